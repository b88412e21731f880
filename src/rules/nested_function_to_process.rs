//! PF202: A nested function is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A nested function is sent to another process.
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
        code: "PF202",
        name: "nested-function-to-process",
        summary: "A nested function is sent to another process",
        check: Check::Reach,
    };
}
