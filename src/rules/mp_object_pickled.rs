//! PF302: A pool, manager, executor or process object is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A pool, manager, executor or process object is pickled.
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
        code: "PF302",
        name: "mp-object-pickled",
        summary: "A pool, manager, executor or process object is pickled",
        check: Check::Reach,
    };
}
