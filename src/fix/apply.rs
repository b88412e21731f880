//! Applying edits: copy the source forward, splice each fix's edits in, skip a fix that
//! overlaps one already applied (the next round picks it up). Insertions at one point from
//! several fixes all apply, in order (hoisted functions placed before one statement), and an
//! insertion identical to one already there is made once (a shared `import functools`): one
//! fix per round there would take a round per closure.

use crate::base::diagnostic::Fix;

/// Apply non-overlapping fixes in order; returns the new text and the codes applied.
pub fn apply_fixes(text: &str, fixes: &[(&'static str, Fix)]) -> (String, Vec<&'static str>) {
    let mut out = String::with_capacity(text.len() + 256);
    let mut last = 0usize;
    let mut codes = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut inserted: Vec<(usize, &str)> = Vec::new();
    let mut ordered: Vec<&(&'static str, Fix)> = fixes.iter().collect();
    ordered.sort_by_key(|(_, f)| f.edits.iter().map(|e| e.start).min().unwrap_or(0));
    let mut accepted: Vec<&(&'static str, Fix)> = Vec::new();
    for item in ordered {
        let mut edits: Vec<(usize, usize)> = item.1.edits.iter().map(|e| (e.start, e.end)).collect();
        edits.sort_unstable();
        let valid = edits
            .iter()
            .all(|&(s, e)| s <= e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e));
        let overlaps = edits
            .iter()
            .any(|&(s, e)| taken.iter().any(|&(ts, te)| s < te && ts < e));
        if !valid || overlaps {
            continue;
        }
        taken.extend(edits);
        accepted.push(item);
    }
    let mut all: Vec<(usize, usize, &str)> = Vec::new();
    for (_, f) in &accepted {
        for e in &f.edits {
            if e.start == e.end {
                if inserted.contains(&(e.start, e.content.as_str())) {
                    continue;
                }
                inserted.push((e.start, e.content.as_str()));
            }
            all.push((e.start, e.end, e.content.as_str()));
        }
    }
    all.sort_by_key(|&(s, e, _)| (s, e));
    for (s, e, content) in all {
        if s < last {
            continue;
        }
        out.push_str(&text[last..s]);
        out.push_str(content);
        last = e;
    }
    out.push_str(&text[last..]);
    // One entry per applied fix, so callers can count fixes.
    codes.extend(accepted.iter().map(|(code, _)| *code));
    (out, codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::diagnostic::{Applicability, Edit};

    fn fix(edits: &[(usize, usize, &str)]) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            message: String::new(),
            edits: edits
                .iter()
                .map(|&(start, end, c)| Edit {
                    start,
                    end,
                    content: c.into(),
                })
                .collect(),
            path: None,
        }
    }

    #[test]
    fn applies_in_order_and_skips_overlaps() {
        let text = "abcdef";
        let fixes = vec![
            ("PF101", fix(&[(0, 1, "A")])),
            ("PF102", fix(&[(0, 2, "XX")])),
            ("PF103", fix(&[(4, 4, "+"), (5, 6, "F")])),
        ];
        let (out, codes) = apply_fixes(text, &fixes);
        assert_eq!(out, "Abcd+eF");
        assert_eq!(codes, vec!["PF101", "PF103"]);
        let (_, codes) = apply_fixes("ab", &[("PF107", fix(&[(0, 1, "A")])), ("PF107", fix(&[(1, 2, "B")]))]);
        assert_eq!(codes.len(), 2, "two fixes of one rule count twice");
    }

    #[test]
    fn insertions_at_the_same_point_from_two_fixes_both_apply_and_identical_ones_once() {
        let (out, codes) = apply_fixes(
            "x",
            &[
                ("PF101", fix(&[(0, 0, "i;"), (1, 1, "a")])),
                ("PF102", fix(&[(0, 0, "i;"), (1, 1, "b")])),
            ],
        );
        assert_eq!(out, "i;xab");
        assert_eq!(codes.len(), 2);
    }
}
