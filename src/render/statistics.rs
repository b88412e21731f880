//! `--statistics`: how many findings each rule has, like ruff's: count, code, whether the
//! findings have safe fixes (`[*]`), and the rule's name. Most frequent first.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::base::diagnostic::Diagnostic;

#[derive(Serialize)]
struct Row {
    code: &'static str,
    name: &'static str,
    count: usize,
    /// Findings of this rule with a safe fix (`fix --write` applies them).
    fixable: usize,
    /// Findings with a fix that needs `--unsafe-fixes`.
    unsafe_fixable: usize,
}

pub fn statistics(diags: &[Diagnostic], json: bool) -> String {
    let mut rows: BTreeMap<&'static str, Row> = BTreeMap::new();
    for d in diags {
        let row = rows.entry(d.code).or_insert_with(|| Row {
            code: d.code,
            name: crate::rules::by_code(d.code).map_or("", |r| r.name),
            count: 0,
            fixable: 0,
            unsafe_fixable: 0,
        });
        row.count += 1;
        row.fixable += usize::from(super::is_safe_fix(d));
        row.unsafe_fixable += usize::from(super::is_unsafe_fix(d));
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    if json {
        return serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into()) + "\n";
    }
    let width = rows.iter().map(|r| r.count.to_string().len()).max().unwrap_or(1);
    let mut out = String::new();
    for r in &rows {
        let mark = if r.fixable > 0 { "[*]" } else { "   " };
        out.push_str(&format!("{:>width$}\t{}\t{mark} {}\n", r.count, r.code, r.name));
    }
    out
}
