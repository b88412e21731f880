//! PF108: A lambda, nested function or local class instance is stored in an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// A lambda, nested function or local class instance is stored in an object that is pickled.
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
        code: "PF108",
        name: "local-callable-attribute-pickled",
        summary: "A lambda, nested function or local class instance is stored in an object that is pickled",
        check: Check::Reach,
    };
}
