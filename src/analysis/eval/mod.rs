//! A small abstract interpreter over the index: what values can an expression hold where it is
//! evaluated? Read this first; the parts:
//!
//! - `value`: values, each manifest or latent (see below), and value sets.
//! - `frame`: where an expression is evaluated — the scope, the call's arguments, `self`.
//! - `flow`: which assignments of a name reach a point of its scope (flow sensitivity), with
//!   `if` tests decided by `cond` and `isinstance`/`is None` narrowing.
//! - `names`, `exprs`, `calls`, `external`: names, expressions, calls into project functions
//!   (results computed per argument values: context sensitivity), catalog constructors.
//! - `classes`: bases, method lookup, decorators. `objects`: the attributes an instance holds,
//!   found by running its `__init__` and the methods called on it, in order.
//! - `contexts`: the call chains under which a call site is evaluated (one per caller, so that
//!   a parameter's value comes with the other values of the same call).
//!
//! Manifest and latent: a value is manifest when it reaches its use on every path the analysis
//! can decide (tests on literals, defaults and arguments of the call chain are decided); it is
//! latent when it depends on a branch, a flag or a caller that the analysis cannot decide.
//!
//! Recursion is cut by a depth limit and an in-progress set, and every evaluation is bounded by
//! a step budget; results are cached per frame.

mod attrs;
mod calls;
mod classes;
mod cond;
mod contexts;
mod exprs;
mod external;
mod flow;
mod frame;
mod names;
mod objects;
mod state;
mod walker;

pub use walker::children;
mod value;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::analysis::index::{ClassId, FuncId, Index, Scope};
use crate::analysis::project::ModId;
use crate::base::version::PyVersion;
use crate::config::catalog::Catalog;

pub use cond::Tri;
pub use contexts::Context;
pub use frame::Frame;
pub use objects::Point;
pub use state::ObjState;
pub use value::{container, Args, Const, Inst, Obj, Origin, Vals, Value};

const MAX_DEPTH: u32 = 40;
const STEP_BUDGET: u64 = 40_000_000;

/// What a cached or in-progress evaluation is of. Names are the syntax tree's own strings: a
/// key costs no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key<'a> {
    /// A name read at offset `at` of its scope, in a frame (`frame` 0: a plain frame).
    Name(Scope, &'a str, u32, u64),
    /// A parameter of a function evaluated without a call: default and every caller.
    Param(FuncId, u32),
    /// A function's result in a frame (its arguments and `self`).
    Call(FuncId, u64),
    /// A module-level name as other scopes see it (the module's state at its end).
    Module(ModId, &'a str),
    /// A name looked up in the modules a module star-imports.
    Star(ModId, &'a str),
    Bases(ClassId),
    /// What a decorated `def` binds its name to.
    Decorated(FuncId),
}

/// A cached result, with the functions whose parameters it read without a call context
/// (replayed on a cache hit: see `contexts`).
#[derive(Clone)]
struct Cached {
    vals: Vals,
    reads: Option<Rc<[FuncId]>>,
}

pub struct Eval<'a, 'c> {
    pub index: &'c Index<'a>,
    pub catalog: &'c Catalog,
    /// The Python version the verdicts are for: decides `sys.version_info` tests.
    pub target: PyVersion,
    depth: Cell<u32>,
    active: RefCell<HashSet<Key<'a>>>,
    cache: RefCell<HashMap<Key<'a>, Cached>>,
    bases: RefCell<HashMap<ClassId, classes::Bases>>,
    mros: RefCell<HashMap<ClassId, Rc<[ClassId]>>>,
    worker_only: RefCell<HashSet<FuncId>>,
    /// Nested functions a decorator returned in place of the function it decorated.
    wrappers: RefCell<HashSet<FuncId>>,
    steps: Cell<u64>,
    /// Evaluation stops refining values past this many steps (see `bounded`).
    limit: Cell<u64>,
    /// Cache entries made inside `bounded`, to take back when it runs out of steps.
    cached_since: RefCell<Option<Vec<Key<'a>>>>,
    /// Functions whose parameters were read without a call context, while recording.
    open_reads: RefCell<Vec<FuncId>>,
    recording: Cell<u32>,
    callers: RefCell<HashMap<FuncId, Rc<[calls::Caller]>>>,
    objects: objects::Store<'a>,
    flows: RefCell<HashMap<flow::FlowKey<'a>, Rc<flow::Reach<'a>>>>,
}

impl<'a, 'c> Eval<'a, 'c> {
    pub fn new(index: &'c Index<'a>, catalog: &'c Catalog, target: PyVersion) -> Self {
        Eval {
            index,
            catalog,
            target,
            depth: Cell::new(0),
            active: RefCell::new(HashSet::default()),
            cache: RefCell::new(HashMap::default()),
            bases: RefCell::new(HashMap::default()),
            mros: RefCell::new(HashMap::default()),
            worker_only: RefCell::new(HashSet::default()),
            wrappers: RefCell::new(HashSet::default()),
            steps: Cell::new(0),
            limit: Cell::new(STEP_BUDGET),
            cached_since: RefCell::new(None),
            open_reads: RefCell::new(Vec::new()),
            recording: Cell::new(0),
            callers: RefCell::new(HashMap::default()),
            objects: objects::Store::default(),
            flows: RefCell::new(HashMap::default()),
        }
    }

    /// Count one step; false when the budget ran out (values stop being refined).
    fn step(&self) -> bool {
        self.steps.set(self.steps.get() + 1);
        self.steps.get() <= self.limit.get()
    }

    /// Run `f` unless `key` is already being computed (a cycle); cache plain results.
    fn guarded(&self, key: Key<'a>, cacheable: bool, f: impl FnOnce() -> Vals) -> Vals {
        if cacheable {
            if let Some(c) = self.cache.borrow().get(&key) {
                if let Some(reads) = &c.reads {
                    self.replay_reads(reads);
                }
                return c.vals.clone();
            }
        }
        if self.depth.get() >= MAX_DEPTH || !self.active.borrow_mut().insert(key.clone()) {
            return Vals::new();
        }
        let mark = self.read_mark();
        self.depth.set(self.depth.get() + 1);
        let out = f();
        self.depth.set(self.depth.get() - 1);
        self.active.borrow_mut().remove(&key);
        let reads = self.reads_since(mark);
        if cacheable && !self.exhausted() {
            if let Some(log) = self.cached_since.borrow_mut().as_mut() {
                log.push(key.clone());
            }
            self.cache.borrow_mut().insert(
                key,
                Cached {
                    vals: out.clone(),
                    reads,
                },
            );
        }
        out
    }

    /// Has the current budget (see `bounded`) run out?
    pub fn exhausted(&self) -> bool {
        self.steps.get() > self.limit.get()
    }

    /// Run `f` with at most `steps` evaluation steps. When it runs out, what it cached is taken
    /// back (values cut short must not stand in for complete ones later) and the result is None.
    /// One pathological expression in a large library then costs a bounded amount of time and
    /// leaves the rest of the analysis as it would have been without it.
    pub fn bounded<T>(&self, steps: u64, f: impl FnOnce() -> T) -> Option<T> {
        let outer_limit = self.limit.get();
        let outer_log = self.cached_since.borrow_mut().replace(Vec::new());
        self.limit.set(outer_limit.min(self.steps.get().saturating_add(steps)));
        let out = f();
        let ran_out = self.steps.get() > self.limit.get();
        let log = std::mem::replace(&mut *self.cached_since.borrow_mut(), outer_log).unwrap_or_default();
        self.limit.set(outer_limit);
        if ran_out {
            let mut cache = self.cache.borrow_mut();
            for key in &log {
                cache.remove(key);
            }
            // Object states and flow walks are not stored once the budget has run out, so what
            // they hold was computed in full.
            return None;
        }
        if let Some(outer) = self.cached_since.borrow_mut().as_mut() {
            outer.extend(log);
        }
        Some(out)
    }

    /// Run `f`, returning also the functions whose parameters it read without a call context.
    pub fn recording<T>(&self, f: impl FnOnce() -> T) -> (T, Vec<FuncId>) {
        let mark = self.open_reads.borrow().len();
        self.recording.set(self.recording.get() + 1);
        let out = f();
        self.recording.set(self.recording.get() - 1);
        let mut reads: Vec<FuncId> = self.open_reads.borrow_mut().drain(mark..).collect();
        reads.sort_unstable();
        reads.dedup();
        if self.recording.get() > 0 {
            // An outer recording sees what this one saw.
            self.open_reads.borrow_mut().extend(reads.iter().copied());
        }
        (out, reads)
    }

    /// Note that a parameter of `f` was read without a call context. Always logged (not only
    /// while recording): cached results carry the reads made computing them, replayed on a hit.
    fn note_open_read(&self, f: FuncId) {
        let mut log = self.open_reads.borrow_mut();
        if log.last() != Some(&f) {
            log.push(f);
        }
    }

    fn replay_reads(&self, reads: &[FuncId]) {
        self.open_reads.borrow_mut().extend(reads.iter().copied());
    }

    fn read_mark(&self) -> usize {
        self.open_reads.borrow().len()
    }

    /// The reads logged since `mark`, each once; the log is compacted to them (and emptied when
    /// nothing outside needs it), so it stays small.
    fn reads_since(&self, mark: usize) -> Option<Rc<[FuncId]>> {
        let mut log = self.open_reads.borrow_mut();
        if log.len() <= mark {
            return None;
        }
        let mut r: Vec<FuncId> = log[mark..].to_vec();
        r.sort_unstable();
        r.dedup();
        log.truncate(mark);
        if self.depth.get() > 0 || self.recording.get() > 0 {
            log.extend(r.iter().copied());
        }
        Some(Rc::from(r))
    }

    /// Record functions that run only in worker processes (set once the sinks are known):
    /// what they do to objects happens after pickling.
    pub fn set_worker_only(&self, funcs: HashSet<FuncId>) {
        *self.worker_only.borrow_mut() = funcs;
        self.cache.borrow_mut().clear();
        self.objects.clear();
        self.flows.borrow_mut().clear();
    }

    pub fn is_worker_only(&self, f: FuncId) -> bool {
        self.worker_only.borrow().contains(&f)
    }

    /// Is `scope` (or a function around it) one that runs only in workers?
    pub fn in_worker(&self, scope: Scope) -> bool {
        let workers = self.worker_only.borrow();
        if workers.is_empty() {
            return false;
        }
        let mut s = scope;
        loop {
            match s {
                Scope::Func(f) if workers.contains(&f) => return true,
                Scope::Func(f) => s = self.index.funcs[f].parent,
                Scope::Module(_) => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests;
