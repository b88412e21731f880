//! PF107: A generator is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A generator is reachable from an object that is pickled.
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
        code: "PF107",
        name: "generator-pickled",
        summary: "A generator is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
