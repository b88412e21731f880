//! PF104: A logging handler is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A logging handler is reachable from an object that is pickled.
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
        code: "PF104",
        name: "logging-handler-pickled",
        summary: "A logging handler is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
