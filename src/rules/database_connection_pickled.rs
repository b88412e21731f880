//! PF105: A database connection or client is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A database connection or client is reachable from an object that is pickled.
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
        code: "PF105",
        name: "database-connection-pickled",
        summary: "A database connection or client is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
