//! PF301: A multiprocessing queue or lock is sent where only inheritance can take it.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A multiprocessing queue or lock is sent where only inheritance can take it.
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
        code: "PF301",
        name: "mp-primitive-to-pool",
        summary: "A multiprocessing queue or lock is sent where only inheritance can take it",
        check: Check::Reach,
    };
}
