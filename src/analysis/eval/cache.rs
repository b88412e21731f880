//! The evaluator's memory and its limits: results cached by what they are of (`Key`), a guard
//! against evaluating what is already being evaluated (a cycle) or too deep, and step budgets
//! (`bounded`) that cut one pathological expression short without leaving half results cached.

use super::{Eval, Vals};
use crate::analysis::index::{ClassId, FuncId, Scope};
use crate::analysis::project::ModId;

const MAX_DEPTH: u32 = 32;
pub(super) const STEP_BUDGET: u64 = 20_000_000;

/// What a cached or in-progress evaluation is of. Names are the syntax tree's own strings: a
/// key costs no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) enum Key<'a> {
    Name(Scope, &'a str),
    /// A name looked up in a frame with call context: (scope, name, frame identity).
    FrameName(Scope, &'a str, usize),
    Param(FuncId, usize),
    Attr(ClassId, &'a str, usize),
    Call(FuncId, usize),
    /// What a function returns with no call context (k-limited calls).
    Returns(FuncId),
    Module(ModId, &'a str),
    /// A name looked up in the modules a module star-imports.
    Star(ModId, &'a str),
    Bases(ClassId),
    /// What a decorated `def` binds its name to.
    Decorated(FuncId),
}

impl<'a, 'c> Eval<'a, 'c> {
    /// Run `f` unless `key` is already being computed (a cycle); cache plain results.
    pub(super) fn guarded(&self, key: Key<'a>, cacheable: bool, f: impl FnOnce() -> Vals) -> Vals {
        if cacheable {
            if let Some(v) = self.cache.borrow().get(&key) {
                return v.clone();
            }
        }
        if self.depth.get() >= MAX_DEPTH || !self.active.borrow_mut().insert(key.clone()) {
            return Vec::new();
        }
        self.depth.set(self.depth.get() + 1);
        let out = f();
        self.depth.set(self.depth.get() - 1);
        self.active.borrow_mut().remove(&key);
        if cacheable {
            if let Some(log) = self.cached_since.borrow_mut().as_mut() {
                log.push(key.clone());
            }
            self.cache.borrow_mut().insert(key, out.clone());
        }
        out
    }

    /// Run `f` with at most `steps` evaluation steps. When it runs out, what it cached is taken
    /// back (values cut short must not stand in for complete ones later) and the result is None.
    /// One pathological expression in a large library then costs a bounded amount of time and
    /// leaves the rest of the analysis as it would have been without it.
    /// Has the current budget (see `bounded`) run out?
    pub fn exhausted(&self) -> bool {
        self.steps.get() > self.limit.get()
    }

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
            return None;
        }
        if let Some(outer) = self.cached_since.borrow_mut().as_mut() {
            outer.extend(log);
        }
        Some(out)
    }
}
