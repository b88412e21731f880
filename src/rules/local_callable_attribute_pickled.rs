//! PF108: A lambda, nested function or local class instance is stored in an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds lambdas, nested functions and instances of classes defined inside a function that are
    /// stored in an attribute or a container of an object that is pickled (`Ranker.key`,
    /// `Handlers.table[*]`). When the lambda, function or instance is itself what is sent, the
    /// finding is PF201, PF202 or PF203 instead.
    ///
    /// ## Why is this bad?
    /// `pickle` stores functions and classes by reference, as module and `__qualname__`, which the
    /// receiver imports; code defined inside a function has no importable name: `AttributeError:
    /// Can't pickle local object 'Ranker.__init__.<locals>.<lambda>'` (3.13: `Can't get local
    /// object`; 3.14 raises `PicklingError`). A lambda assigned at module level fails too, with
    /// `PicklingError: Can't pickle <function <lambda> ...>: attribute lookup <lambda> on ...
    /// failed`. `copy.deepcopy` keeps functions and classes as they are and succeeds, so a deepcopy
    /// test says nothing about pickling.
    ///
    /// ## Example
    /// ```python
    /// class Ranker:
    ///     def __init__(self, key=None):
    ///         self.key = key or (lambda listing: listing["score"])
    ///
    /// pool.starmap(rank, [(Ranker(), shard) for shard in shards])
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def by_score(listing):
    ///     return listing["score"]
    ///
    /// class Ranker:
    ///     def __init__(self, key=None):
    ///         self.key = key or by_score
    /// ```
    /// For values a closure captured, store `functools.partial(module_function, value)`;
    /// `operator.itemgetter("score")` pickles too.
    ///
    /// ## Fix safety
    /// The fix moves the lambda or nested function to module level under a fresh name and passes
    /// the local names it uses with `functools.partial`; a local class moves to module level when
    /// it uses no local names. It is safe when nothing is closed over (only `__qualname__` changes)
    /// and unsafe otherwise, so `picklefix fix` applies it then only with `--unsafe-fixes`:
    /// `partial` binds the values when it is created where the closure read them when called, and
    /// the bound values must pickle too. Lambdas with default arguments, decorated nested functions
    /// and local classes that read enclosing locals get no fix.
    pub static RULE = {
        code: "PF108",
        name: "local-callable-attribute-pickled",
        summary: "A lambda, nested function or local class instance is stored in an object that is pickled",
        check: Check::Reach,
    };
}
