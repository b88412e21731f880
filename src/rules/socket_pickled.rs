//! PF103: A socket or selector is reachable from an object that a plain pickler pickles.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A socket or selector is reachable from an object that a plain pickler pickles.
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
        code: "PF103",
        name: "socket-pickled",
        summary: "A socket or selector is reachable from an object that a plain pickler pickles",
        check: Check::Reach,
    };
}
