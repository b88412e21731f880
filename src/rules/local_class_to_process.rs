//! PF203: An instance of a class defined inside a function is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// An instance of a class defined inside a function is sent to another process.
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
        code: "PF203",
        name: "local-class-to-process",
        summary: "An instance of a class defined inside a function is sent to another process",
        check: Check::Reach,
    };
}
