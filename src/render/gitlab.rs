//! GitLab Code Quality reports (`artifacts: reports: codequality:`): a JSON array of issues,
//! each with a description, the rule as `check_name`, a fingerprint GitLab uses to follow the
//! issue across commits, a severity and the location.
//! Format: https://docs.gitlab.com/ee/ci/testing/code_quality.html#implement-a-custom-tool

use std::collections::HashMap;

use crate::base::diagnostic::{display_path, Diagnostic};

pub fn gitlab(diags: &[Diagnostic]) -> String {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let issues: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let path = display_path(&d.path);
            // Line numbers stay out of the fingerprint (a finding keeps it when code above it
            // moves); a counter keeps identical findings in one file apart.
            let base = fnv1a(&[d.code, &path, &d.message, d.attribute_path.as_deref().unwrap_or("")]);
            let n = seen.entry(base).or_default();
            let fingerprint = format!("{:016x}", fnv1a(&[&base.to_string(), &n.to_string()]));
            *n += 1;
            serde_json::json!({
                "type": "issue",
                "description": format!("{}: {}", d.code, d.message),
                "check_name": d.code,
                "fingerprint": fingerprint,
                "severity": "major",
                "location": {
                    "path": path,
                    "positions": {
                        "begin": {"line": d.span.line, "column": d.span.column},
                        "end": {"line": d.span.end_line, "column": d.span.end_column},
                    },
                },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into()) + "\n"
}

/// FNV-1a over the parts (with a separator): stable across Rust versions and platforms,
/// which `DefaultHasher` does not promise.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_distinct() {
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        // The FNV-1a test vector for "a" (with our trailing separator byte folded in).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        h ^= u64::from(b'a');
        h = h.wrapping_mul(0x0100_0000_01b3);
        assert_eq!(h, 0xaf63_dc4c_8601_ec8c);
    }
}
