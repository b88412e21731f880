//! PF002: A file could not be parsed.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A file could not be parsed.
    ///
    /// ## Why is this bad?
    /// TODO(docs)
    ///
    /// ## Example
    /// TODO(docs)
    ///
    /// ## Use instead
    /// TODO(docs)
    ///
    /// ## Fix safety
    /// TODO(docs)
    pub static RULE = {
        code: "PF002",
        name: "parse-error",
        summary: "A file could not be parsed",
        check: Check::Intake,
    };
}
