//! PF109: A module, weak reference, match or hash object is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A module, weak reference, match or hash object is reachable from an object that is pickled.
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
        code: "PF109",
        name: "runtime-object-pickled",
        summary: "A module, weak reference, match or hash object is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
