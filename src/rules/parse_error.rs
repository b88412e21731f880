//! PF002: A file could not be parsed.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Reports files that do not parse as Python 3, at the position where the parser stopped. When
    /// the failing line looks like Python 2, the message names the construct: a `print` or `exec`
    /// statement, `except E, e`, `raise E, V`, a backtick repr, the `<>` operator, `0777` octal and
    /// `10L` long literals, `ur''` strings. When the line is valid newer Python that the parser
    /// does not support yet (`type` aliases, PEP 695 type parameters, PEP 701 f-strings), the
    /// message says so. The other files are still analysed.
    ///
    /// ## Why is this bad?
    /// Python 3 cannot import the module (`SyntaxError: Missing parentheses in call to 'print'`),
    /// and picklefix cannot look inside it: classes, attributes and pickling calls defined there
    /// are invisible, so findings that pass through the file are missed. A module still written in
    /// Python 2 syntax is usually also the one with Python 2 pickling habits (`cPickle`, text-mode
    /// pickle files, open files that 2.7's multiprocessing sent as empty shells) that break after
    /// the move. The reported line can come after the real mistake: an unclosed bracket is reported
    /// where the parser gave up.
    ///
    /// ## Example
    /// ```python
    /// import cPickle as pickle
    ///
    /// def summarize(path):
    ///     counts = pickle.load(open(path))
    ///     print "%d entries in %s" % (len(counts), path)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import pickle
    ///
    /// def summarize(path):
    ///     with open(path, "rb") as fh:
    ///         counts = pickle.load(fh)
    ///     print("%d entries in %s" % (len(counts), path))
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: porting syntax is a job for a Python 2 to 3 converter (`2to3`,
    /// `futurize`) or a person. Port the file, then check again to see the findings inside it.
    pub static RULE = {
        code: "PF002",
        name: "parse-error",
        summary: "A file could not be parsed",
        check: Check::Intake,
    };
}
