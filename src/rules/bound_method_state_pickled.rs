//! PF204: A bound method is sent to another process but its instance holds state that cannot be pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A bound method is sent to another process but its instance holds state that cannot be pickled.
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
        code: "PF204",
        name: "bound-method-state-pickled",
        summary: "A bound method is sent to another process but its instance holds state that cannot be pickled",
        check: Check::Reach,
    };
}
