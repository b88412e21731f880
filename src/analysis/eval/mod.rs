//! A small abstract interpreter over the index: what values can an expression have? Values are
//! sets (a union over every assignment), calls are followed into project functions with their
//! arguments bound, parameters without a known call fall back to every call site in the parsed
//! project. Recursion is cut by a depth limit and an in-progress set; results are cached.
//!
//! `Eval` (here) holds the state; its methods live by what they evaluate: `value` (the values),
//! `names` (names, frames, parameters), `classes` (bases, methods, instance attributes), `expr`
//! (expressions, containers, attributes), `calls` (calls of functions, methods, classes and
//! external constructors), `cache` (the cache, the recursion guard and step budgets).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

mod cache;
mod calls;
mod classes;
mod expr;
mod names;
mod value;

use cache::{Key, STEP_BUDGET};
use classes::Bases;
pub use names::Frame;
pub use value::{container, Args, Inst, Obj, Origin, Vals, Value};

use crate::analysis::index::{ClassId, FuncId, Index};
use crate::config::catalog::Catalog;

pub struct Eval<'a, 'c> {
    pub index: &'c Index<'a>,
    pub catalog: &'c Catalog,
    depth: Cell<u32>,
    active: RefCell<HashSet<Key<'a>>>,
    cache: RefCell<HashMap<Key<'a>, Vals>>,
    bases: RefCell<HashMap<ClassId, Bases>>,
    worker_only: RefCell<HashSet<FuncId>>,
    /// Nested functions a decorator returned in place of the function it decorated.
    wrappers: RefCell<HashSet<FuncId>>,
    steps: Cell<u64>,
    /// Evaluation stops refining values past this many steps (see `bounded`).
    limit: Cell<u64>,
    mros: RefCell<HashMap<ClassId, Rc<[ClassId]>>>,
    /// Cache entries made inside `bounded`, to take back when it runs out of steps.
    cached_since: RefCell<Option<Vec<Key<'a>>>>,
}

impl<'a, 'c> Eval<'a, 'c> {
    pub fn new(index: &'c Index<'a>, catalog: &'c Catalog) -> Self {
        Eval {
            index,
            catalog,
            depth: Cell::new(0),
            active: RefCell::new(HashSet::default()),
            cache: RefCell::new(HashMap::default()),
            bases: RefCell::new(HashMap::default()),
            worker_only: RefCell::new(HashSet::default()),
            wrappers: RefCell::new(HashSet::default()),
            steps: Cell::new(0),
            limit: Cell::new(STEP_BUDGET),
            mros: RefCell::new(HashMap::default()),
            cached_since: RefCell::new(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::index::Scope;

    /// A project of one module, `m.py`, read from a temporary folder.
    fn project(text: &str) -> (tempfile::TempDir, crate::analysis::project::Project) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.py");
        std::fs::write(&path, text).unwrap();
        let candidates = vec![crate::analysis::discover::Candidate {
            path,
            explicit: true,
            root: dir.path().to_path_buf(),
        }];
        // Rule codes are known above the analysis; this test does not look at them.
        let catalog = Catalog::load(&[], &|_| true).unwrap();
        let project = crate::analysis::project::load(&candidates, &catalog, &mut Vec::new(), None, &Default::default());
        (dir, project)
    }

    #[test]
    fn a_bounded_evaluation_that_runs_out_leaves_nothing_cached() {
        let (_dir, project) = project("import threading\n\ndef make():\n    return threading.Lock()\n\nx = make()\n");
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let index = Index::build(&project, &pool);
        let catalog = Catalog::load(&[], &|_| true).unwrap();
        let ev = Eval::new(&index, &catalog);
        let module = Frame::plain(Scope::Module(0));
        // Two steps are not enough to follow `x` into `make()`: the result is None...
        assert!(ev.bounded(2, || ev.name(&module, "x")).is_none());
        // ...and what was cached on the way does not stand in for the full value.
        let full = ev.name(&module, "x");
        assert!(matches!(full.as_slice(), [Value::Obj(_)]), "{full:?}");
        // With enough steps the same evaluation completes.
        let ev2 = Eval::new(&index, &catalog);
        let bounded = ev2.bounded(10_000, || ev2.name(&module, "x")).expect("enough steps");
        assert!(matches!(bounded.as_slice(), [Value::Obj(_)]), "{bounded:?}");
    }
}
