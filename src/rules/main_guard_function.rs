//! PF502: A function defined under the main guard is sent to a spawned process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A function defined under the main guard is sent to a spawned process.
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
        code: "PF502",
        name: "main-guard-function",
        summary: "A function defined under the main guard is sent to a spawned process",
        check: Check::Reach,
    };
}
