//! PF106: A running subprocess is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A running subprocess is reachable from an object that is pickled.
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
        code: "PF106",
        name: "subprocess-pickled",
        summary: "A running subprocess is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
