//! Text helpers for edits on Python source, shared by the fixers and by the rules that build
//! their own fixes: lines, indentation that follows the file, import insertion, fresh names.
//! Fixes are edits on the original text; these keep them small and in the file's style.

use std::collections::HashSet;

use crate::base::diagnostic::Edit;
use crate::python::parse::{self, ast};

/// Offset of the start of the line holding `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// Offset just past the end of the line holding `offset` (after its newline).
pub fn line_end(text: &str, offset: usize) -> usize {
    match text[offset.min(text.len())..].find(['\n', '\r']) {
        Some(i) => {
            let at = offset + i;
            if text[at..].starts_with("\r\n") {
                at + 2
            } else {
                at + 1
            }
        }
        None => text.len(),
    }
}

/// The leading whitespace of the line holding `offset`.
pub fn indent_at(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// One indentation level as the file writes it: a tab, or the smallest space step seen.
pub fn indent_unit(text: &str) -> String {
    let mut best: Option<usize> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with('\t') {
            return "\t".into();
        }
        let n = line.len() - line.trim_start_matches(' ').len();
        if n > 0 {
            best = Some(best.map_or(n, |b| b.min(n)));
        }
    }
    " ".repeat(best.unwrap_or(4))
}

/// The start of the comment lines directly above the line starting at `line` (they describe
/// the statement there).
pub fn comments_above(text: &str, mut line: usize) -> usize {
    while line > 0 {
        let prev = line_start(text, line - 1);
        if text[prev..line].trim_start().starts_with('#') {
            line = prev;
        } else {
            break;
        }
    }
    line
}

/// The file's newline.
pub fn newline(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text.as_bytes()[i] == b'\r' => "\r",
        _ => "\n",
    }
}

/// Re-indent a block of lines: strip `from` from each line's start, add `to`.
pub fn reindent(block: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(block.len());
    for line in block.split_inclusive(['\n']) {
        let body = line
            .strip_prefix(from)
            .unwrap_or_else(|| line.trim_start_matches([' ', '\t']));
        if body.trim().is_empty() {
            out.push_str(body.trim_start_matches([' ', '\t']));
        } else {
            out.push_str(to);
            out.push_str(body);
        }
    }
    out
}

/// Does the module already `import <module>` at top level?
pub fn has_import(suite: &[ast::Stmt], module: &str) -> bool {
    suite.iter().any(|s| match s {
        ast::Stmt::Import(i) => i.names.iter().any(|a| a.name.as_str() == module && a.asname.is_none()),
        _ => false,
    })
}

/// An edit that adds `import <module>` in the module's import block (after the docstring and
/// `from __future__` imports), or None when it is already there.
pub fn import_edit(text: &str, suite: &[ast::Stmt], module: &str) -> Option<Edit> {
    if has_import(suite, module) {
        return None;
    }
    let nl = newline(text);
    let mut after: Option<usize> = None;
    let mut first_import: Option<usize> = None;
    for (i, s) in suite.iter().enumerate() {
        let is_doc = i == 0 && matches!(s, ast::Stmt::Expr(e) if parse::str_literal(&e.value).is_some());
        let is_future = matches!(s, ast::Stmt::ImportFrom(f) if f.module.as_deref() == Some("__future__"));
        let is_import = matches!(s, ast::Stmt::Import(_) | ast::Stmt::ImportFrom(_));
        if is_doc || is_future {
            after = Some(parse::range_of(s).1);
            continue;
        }
        if is_import {
            // Plain `import x` lines go before `from x import y` lines of the first block.
            if first_import.is_none() {
                first_import = Some(parse::range_of(s).0);
            }
            if matches!(s, ast::Stmt::Import(i) if i.names.iter().all(|a| a.name.as_str() < module)) {
                after = Some(parse::range_of(s).1);
            }
            continue;
        }
        break;
    }
    match (after, first_import) {
        (Some(end), _) if first_import.is_none_or(|f| end >= f) => {
            let at = line_end(text, end);
            let pad = if first_import.is_none() { nl } else { "" };
            let lead = if at == text.len() && !text.ends_with(['\n', '\r']) {
                nl
            } else {
                ""
            };
            Some(Edit {
                start: at,
                end: at,
                content: format!("{lead}{pad}import {module}{nl}"),
            })
        }
        (_, Some(start)) => Some(Edit {
            start,
            end: start,
            content: format!("import {module}{nl}"),
        }),
        _ => Some(Edit {
            start: 0,
            end: 0,
            content: format!("import {module}{nl}{nl}"),
        }),
    }
}

/// `base`, or `base_2`, `base_3`, ... whichever is not taken.
pub fn fresh_name(base: &str, taken: &HashSet<&str>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}_{i}"))
        .find(|n| !taken.contains(n.as_str()))
        .unwrap_or_default()
}

/// Every name bound anywhere in a module (top-level bindings and everything assigned), so a
/// generated name never shadows one.
pub fn names_in(text: &str) -> HashSet<&str> {
    // Every word of the text: slices, no allocation per occurrence (modules can be large).
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(t: &str) -> parse::Suite {
        parse::parse_module(t, "t.py").unwrap()
    }

    #[test]
    fn import_goes_after_docstring_and_future() {
        let t = "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\n\nimport os\nimport sys\n\nx = 1\n";
        let e = import_edit(t, tree(t).suite(), "functools").unwrap();
        let mut out = t.to_string();
        out.replace_range(e.start..e.end, &e.content);
        assert_eq!(out, "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\n\nimport functools\nimport os\nimport sys\n\nx = 1\n");
    }

    #[test]
    fn import_is_not_added_twice() {
        let t = "import functools\n";
        assert!(import_edit(t, tree(t).suite(), "functools").is_none());
    }

    #[test]
    fn import_into_file_without_imports() {
        let t = "x = 1\n";
        let e = import_edit(t, tree(t).suite(), "functools").unwrap();
        assert_eq!((e.start, e.content.as_str()), (0, "import functools\n\n"));
    }

    #[test]
    fn indent_unit_follows_the_file() {
        assert_eq!(indent_unit("def f():\n\treturn 1\n"), "\t");
        assert_eq!(indent_unit("def f():\n  return 1\n"), "  ");
        assert_eq!(indent_unit("x = 1\n"), "    ");
    }

    #[test]
    fn crlf_lines() {
        let t = "a\r\nb\r\n";
        assert_eq!(line_end(t, 0), 3);
        assert_eq!(newline(t), "\r\n");
    }
}
