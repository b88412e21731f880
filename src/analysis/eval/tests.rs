//! Unit tests of the evaluator on small modules.

use super::*;

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
    let ev = Eval::new(&index, &catalog, crate::base::version::DEFAULT_TARGET);
    let module = Frame::plain(Scope::Module(0));
    // Two steps are not enough to follow `x` into `make()`: the result is None...
    assert!(ev.bounded(2, || ev.name(&module, "x", flow::END)).is_none());
    // ...and what was cached on the way does not stand in for the full value.
    let full = ev.name(&module, "x", flow::END);
    assert!(matches!(full.first(), Some(Value::Obj(_))), "{full:?}");
    // With enough steps the same evaluation completes.
    let ev2 = Eval::new(&index, &catalog, crate::base::version::DEFAULT_TARGET);
    let bounded = ev2
        .bounded(10_000, || ev2.name(&module, "x", flow::END))
        .expect("enough steps");
    assert!(matches!(bounded.first(), Some(Value::Obj(_))), "{bounded:?}");
}
