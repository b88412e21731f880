//! PF102: A lock, thread or thread queue is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A lock, thread or thread queue is reachable from an object that is pickled.
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
        code: "PF102",
        name: "lock-pickled",
        summary: "A lock, thread or thread queue is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
