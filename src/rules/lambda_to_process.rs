//! PF201: A lambda is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A lambda is sent to another process.
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
        code: "PF201",
        name: "lambda-to-process",
        summary: "A lambda is sent to another process",
        check: Check::Reach,
    };
}
