//! PF001: A file could not be read or decoded.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A file could not be read or decoded.
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
        code: "PF001",
        name: "undecodable-file",
        summary: "A file could not be read or decoded",
        check: Check::Intake,
    };
}
