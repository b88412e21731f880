//! The rule registry. A rule is one file in this folder: its docs (what it does, why is this
//! bad, example, use instead, fix safety), its code, and — for rules that are not driven by the
//! catalog's reachability facts — its check function. Registration is one line in `RULES`.
//! `migrate` is the plumbing the migration rules (PF4xx) share.
//!
//! Uses `base`, `config`, `python` and `analysis` (a rule's check reads the `Checker`). A rule
//! that offers a fix builds its edits itself (`python::text`); the catalog-driven fixers are in
//! `fix`, above. `lib.rs` hands `RULES` to the checker.

pub use crate::analysis::rule::{Check, Rule};

/// What `picklefix explain CODE` prints (also SARIF's rule help): name, code, summary and docs.
pub fn explain_text(rule: &Rule) -> String {
    let doc: Vec<&str> = rule.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect();
    format!(
        "# {} ({})\n\n{}\n\n{}\n",
        rule.name,
        rule.code,
        rule.summary,
        doc.join("\n")
    )
}

/// Declare a rule; the `///` comment above it becomes the text `picklefix explain` prints.
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* pub static $ident:ident = { code: $code:literal, name: $name:literal, summary: $summary:literal, check: $check:expr $(,)? };) => {
        pub static $ident: $crate::analysis::rule::Rule = $crate::analysis::rule::Rule {
            code: $code,
            name: $name,
            summary: $summary,
            doc: concat!($($doc, "\n"),*),
            check: $check,
        };
    };
}

pub mod bound_method_state_pickled;
pub mod copy_reg_method_workaround;
pub mod database_connection_pickled;
pub mod decorator_without_wraps;
pub mod generator_pickled;
pub mod getattr_recursion;
pub mod getinitargs_ignored;
pub mod itertools_pickled;
pub mod lambda_to_process;
pub mod legacy_pickle_without_encoding;
pub mod local_callable_attribute_pickled;
pub mod local_class_to_process;
pub mod lock_pickled;
pub mod logging_handler_pickled;
pub mod main_guard_function;
pub mod migrate;
pub mod mp_object_pickled;
pub mod mp_primitive_to_pool;
pub mod nested_function_to_process;
pub mod open_file_pickled;
pub mod parse_error;
pub mod pickle_file_text_mode;
pub mod pickle_protocol_for_python2;
pub mod pickled_bytes_as_text;
pub mod private_method_target;
pub mod py2_pickle_module_import;
pub mod runtime_global_read_by_worker;
pub mod runtime_object_pickled;
pub mod socket_pickled;
pub mod subprocess_pickled;
pub mod undecodable_file;

/// Every rule, in code order. One line per rule.
pub static RULES: &[&Rule] = &[
    &undecodable_file::RULE,
    &parse_error::RULE,
    &open_file_pickled::RULE,
    &lock_pickled::RULE,
    &socket_pickled::RULE,
    &logging_handler_pickled::RULE,
    &database_connection_pickled::RULE,
    &subprocess_pickled::RULE,
    &generator_pickled::RULE,
    &local_callable_attribute_pickled::RULE,
    &runtime_object_pickled::RULE,
    &getattr_recursion::RULE,
    &lambda_to_process::RULE,
    &nested_function_to_process::RULE,
    &local_class_to_process::RULE,
    &bound_method_state_pickled::RULE,
    &decorator_without_wraps::RULE,
    &private_method_target::RULE,
    &mp_primitive_to_pool::RULE,
    &mp_object_pickled::RULE,
    &py2_pickle_module_import::RULE,
    &pickle_file_text_mode::RULE,
    &legacy_pickle_without_encoding::RULE,
    &pickled_bytes_as_text::RULE,
    &pickle_protocol_for_python2::RULE,
    &getinitargs_ignored::RULE,
    &copy_reg_method_workaround::RULE,
    &runtime_global_read_by_worker::RULE,
    &main_guard_function::RULE,
    &itertools_pickled::RULE,
];

pub fn by_code(code: &str) -> Option<&'static Rule> {
    crate::analysis::rule::by_code(RULES, code)
}

/// Is this the code of a rule (exactly, as the catalog names them)?
pub fn is_code(code: &str) -> bool {
    RULES.iter().any(|r| r.code == code)
}

/// `PF`, `PF1`, `PF10`, `PF101` (of an existing rule), or `ALL`: what `select` and `ignore` take.
pub fn is_code_prefix(c: &str) -> bool {
    c == "ALL" || RULES.iter().any(|r| r.code.starts_with(c)) && c.starts_with("PF")
}

/// Does a code match any of these prefixes (`PF`, `PF1`, `PF101`)?
pub fn matches_any(code: &str, prefixes: &[String]) -> bool {
    prefixes
        .iter()
        .any(|p| code.starts_with(p.as_str()) || p.eq_ignore_ascii_case("ALL"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const HEADINGS: &[&str] = &[
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
    ];

    #[test]
    fn codes_are_unique_and_sorted() {
        let mut seen = HashSet::new();
        let mut last = "";
        for r in RULES {
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert!(r.code > last, "{} is out of order", r.code);
            last = r.code;
            assert!(r.code.len() == 5 && r.code.starts_with("PF"), "{}", r.code);
        }
    }

    #[test]
    fn every_rule_has_docs_under_fixed_headings() {
        for r in RULES {
            for h in HEADINGS {
                assert!(r.doc.contains(h), "{} lacks `{h}`", r.code);
            }
            assert!(!r.summary.ends_with('.'), "{}: summary ends with a period", r.code);
        }
    }

    #[test]
    fn every_rule_has_a_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
        for r in RULES {
            let dir = root.join(r.code);
            assert!(dir.is_dir(), "{} has no fixture folder {}", r.code, dir.display());
        }
    }
}
