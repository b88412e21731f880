//! PF109: A module, weak reference, match or hash object is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds runtime objects that have no pickled form, reachable from an object that is pickled:
    /// modules stored as attributes (`self.lib = json`, a project module, an `import x as y`
    /// alias; a class attribute is not pickled with the instance and is not reported), weak
    /// references (`weakref.ref`, `proxy`,
    /// `WeakValueDictionary`, `WeakKeyDictionary`, `WeakSet`), regex match objects (`re.match`,
    /// `pattern.search`, ...), hash objects (`hashlib.sha256()`, `hashlib.new(...)`, ...) and
    /// asyncio event loops. Compiled patterns (`re.compile`) pickle and are not reported.
    ///
    /// ## Why is this bad?
    /// Each fails with a message that names only its own type: `TypeError: cannot pickle 'module'
    /// object`, `cannot pickle 'weakref.ReferenceType' object` (3.8–3.9: `'weakref'`), `cannot
    /// pickle 're.Match' object`, `cannot pickle '_hashlib.HASH' object`; weak dictionaries and
    /// event loops fail on an internal function (`Can't pickle local object
    /// 'WeakValueDictionary.__init__.<locals>.remove'`). Modules and hash objects defeat
    /// `copy.deepcopy` as well.
    ///
    /// ## Example
    /// ```python
    /// class Chunk:
    ///     def __init__(self, data):
    ///         self.data = data
    ///         self.digest = hashlib.sha256(data)
    ///
    /// pool.map(size, [Chunk(block) for block in blocks])
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Chunk:
    ///     def __init__(self, data):
    ///         self.data = data
    ///         self.digest = hashlib.sha256(data).hexdigest()
    /// ```
    /// Keep the data the runtime object stands for: a digest string, a match's `groups()`, an id
    /// instead of a weak reference; import modules where they are used.
    ///
    /// ## Fix safety
    /// For weak references, match, hash and event-loop objects the fix adds a `__getstate__` that
    /// puts `None` in place of the attribute in the pickled state. It is unsafe, so `picklefix fix`
    /// applies it only with `--unsafe-fixes`: code in the receiver that uses the attribute gets
    /// `None`, and a running hash cannot be continued there. Module attributes get no automatic
    /// fix.
    pub static RULE = {
        code: "PF109",
        name: "runtime-object-pickled",
        summary: "A module, weak reference, match or hash object is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
