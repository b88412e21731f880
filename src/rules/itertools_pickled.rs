//! PF503: An itertools iterator is pickled, which Python 3.14 no longer supports.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// An itertools iterator is pickled, which Python 3.14 no longer supports.
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
        code: "PF503",
        name: "itertools-pickled",
        summary: "An itertools iterator is pickled, which Python 3.14 no longer supports",
        check: Check::Reach,
    };
}
