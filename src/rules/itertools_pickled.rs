//! PF503: An itertools iterator is pickled, which Python 3.14 no longer supports.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// With `target-version = "3.14"` or later, finds `itertools` iterators (`count`, `cycle`,
    /// `islice`, `groupby`, `tee`, `permutations`, `combinations`, `product`, `accumulate`)
    /// reachable from an object that is pickled or deep-copied. Materialised results such as
    /// `list(itertools.islice(...))` are fine.
    ///
    /// ## Why is this bad?
    /// Python 3.14 removed pickling, copying and deep-copying support from `itertools`; 3.12 and
    /// 3.13 already warn `DeprecationWarning: Pickle, copy, and deepcopy support will be removed
    /// from itertools in Python 3.14.` Code that puts a counter or a cycle on a queue, sends it to
    /// a pool or deep-copies it works up to 3.13 and fails on 3.14 with `TypeError: cannot pickle
    /// 'itertools.count' object` (named after the iterator's type), or, through
    /// `multiprocessing.Queue.put`, silently loses the item.
    ///
    /// ## Example
    /// ```python
    /// class IdAllocator:
    ///     def __init__(self, start):
    ///         self.next_id = itertools.count(start)
    ///
    ///     def allocate(self):
    ///         return next(self.next_id)
    ///
    /// requests.put((IdAllocator(1000), items))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class IdAllocator:
    ///     def __init__(self, start):
    ///         self.next_value = start
    ///
    ///     def allocate(self):
    ///         value = self.next_value
    ///         self.next_value += 1
    ///         return value
    /// ```
    /// Keep the iterator's state as plain data (a number; a list and an index), or build the
    /// iterator in the process that uses it.
    ///
    /// ## Fix safety
    /// There is no automatic fix: the state an iterator stands for (the next number, the position
    /// in a cycle, the rest of a slice) has to be written out by hand.
    pub static RULE = {
        code: "PF503",
        name: "itertools-pickled",
        summary: "An itertools iterator is pickled, which Python 3.14 no longer supports",
        check: Check::Reach,
    };
}
