//! JUnit XML: one test suite per file with findings, one failed test case per finding (named
//! after the rule), so CI systems that read test reports list them. A clean run is one suite
//! with one passing case, as a run with no tests would read as a failure in some of them.

use std::collections::BTreeMap;

use crate::base::diagnostic::{display_path, Diagnostic};

pub fn junit(diags: &[Diagnostic]) -> String {
    let mut by_file: BTreeMap<String, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diags {
        by_file.entry(display_path(&d.path)).or_default().push(d);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"picklefix\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n",
        diags.len().max(1),
        diags.len()
    ));
    if by_file.is_empty() {
        out.push_str("  <testsuite name=\"picklefix\" tests=\"1\" failures=\"0\" errors=\"0\">\n");
        out.push_str("    <testcase name=\"no findings\" classname=\"picklefix\"/>\n");
        out.push_str("  </testsuite>\n");
    }
    for (path, list) in &by_file {
        out.push_str(&format!(
            "  <testsuite name=\"{p}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">\n",
            p = escape(path),
            n = list.len()
        ));
        for d in list {
            out.push_str(&format!(
                "    <testcase name=\"picklefix.{code}\" classname=\"{p}\" file=\"{p}\" line=\"{line}\">\n      <failure message=\"{msg}\">{p}:{line}:{col}: {code} {msg}</failure>\n    </testcase>\n",
                code = d.code,
                p = escape(path),
                line = d.span.line,
                col = d.span.column,
                msg = escape(&d.message),
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// XML attribute and text escaping; characters XML 1.0 cannot hold at all are dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
