//! Checking a file sees its project: `check FILE` reports on FILE what `check .` reports on
//! it (findings located in it, and findings about values created in it), from any folder;
//! `--force-exclude` applies `exclude` to named files.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{describe, run, write};
use serde_json::Value;

/// A small project: `pkg/jobs.py` makes jobs holding open files, `pkg/executor.py` pickles
/// what it is given in a process pool, and two test modules use them: one puts a job on a
/// queue itself, one passes a job with a lock to the executor.
fn project(root: &Path) {
    write(root, "pyproject.toml", "[project]\nname = \"demo\"\nversion = \"0\"\n");
    write(root, "pkg/__init__.py", "");
    write(
        root,
        "pkg/jobs.py",
        "class Job:\n    def __init__(self, path):\n        self.path = path\n        self.fh = open(path)\n\n\ndef make_job(path):\n    return Job(path)\n",
    );
    write(
        root,
        "pkg/executor.py",
        "from concurrent.futures import ProcessPoolExecutor\n\n\ndef send(job):\n    with ProcessPoolExecutor(2) as pool:\n        return pool.submit(len, job).result()\n",
    );
    write(
        root,
        "tests/test_direct.py",
        "import multiprocessing\n\nfrom pkg.jobs import make_job\n\n\ndef test_put(tmp_path):\n    q = multiprocessing.Queue()\n    q.put(make_job(str(tmp_path / 'a.txt')))\n",
    );
    write(
        root,
        "tests/test_via.py",
        "import threading\nimport multiprocessing\n\nfrom pkg.executor import send\n\n\nclass Guarded:\n    def __init__(self):\n        self.lock = threading.Lock()\n\n\ndef test_send():\n    send(Guarded())\n",
    );
    write(
        root,
        "tests/helpers/skipme.py",
        "import pickle\npickle.dumps(lambda: 1)\n",
    );
}

/// A finding's identity, with paths made absolute.
type Key = (String, String, u64, String, String);

fn keys(cwd: &Path, args: &[&str]) -> Vec<Key> {
    let mut all = vec!["check", "--format", "json", "--no-progress"];
    all.extend_from_slice(args);
    let out = run(cwd, &all);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}\n{}", describe(&out));
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let abs = |p: &str| std::fs::canonicalize(cwd.join(p)).unwrap().display().to_string();
    let mut keys: Vec<Key> = list
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                abs(f["path"].as_str().unwrap()),
                f["line"].as_u64().unwrap(),
                f["attribute_path"].as_str().unwrap_or("").to_string(),
                f["origin"]["path"].as_str().map(abs).unwrap_or_default(),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// What `check .` reports about `file`: located in it, or about a value created in it.
fn about(all: &[Key], file: &Path) -> Vec<Key> {
    let file = std::fs::canonicalize(file).unwrap().display().to_string();
    all.iter().filter(|k| k.1 == file || k.4 == file).cloned().collect()
}

#[test]
fn a_named_file_gets_the_findings_check_dot_gives_it() {
    let dir = common::tempdir("picklefix-context-");
    let root = dir.path();
    project(root);
    let everything = keys(root, &["."]);
    let codes: BTreeSet<&str> = everything.iter().map(|k| k.0.as_str()).collect();
    assert!(
        codes.contains("PF101") && codes.contains("PF102"),
        "the fixture has both findings: {everything:?}"
    );
    for rel in [
        "tests/test_direct.py",
        "tests/test_via.py",
        "pkg/jobs.py",
        "pkg/executor.py",
    ] {
        let file = root.join(rel);
        let expect = about(&everything, &file);
        assert!(!expect.is_empty(), "{rel}: the fixture must have a finding about it");
        assert_eq!(keys(root, &[rel]), expect, "check {rel} from the root");
        // From inside the tests folder, and with the absolute path: the same.
        let from_tests = keys(&root.join("tests"), &[file.to_str().unwrap()]);
        assert_eq!(from_tests, expect, "check {rel} from tests/");
    }
    // Two named files: the union of what each gets.
    let both = keys(root, &["tests/test_direct.py", "tests/test_via.py"]);
    let mut union: Vec<Key> = about(&everything, &root.join("tests/test_direct.py"));
    union.extend(about(&everything, &root.join("tests/test_via.py")));
    union.sort();
    union.dedup();
    assert_eq!(both, union);
}

#[test]
fn without_a_project_root_a_named_file_sees_its_package() {
    // No pyproject.toml, setup.py, setup.cfg or .git: the named file's package is its context.
    let dir = common::tempdir("picklefix-context-");
    let root = dir.path();
    project(root);
    std::fs::remove_file(root.join("pyproject.toml")).unwrap();
    if root.ancestors().skip(1).any(|a| {
        picklefix::analysis::discover::PROJECT_MARKERS
            .iter()
            .any(|m| a.join(m).exists())
    }) {
        return common::skip(format_args!("the temporary folder is inside a project"));
    }
    write(
        root,
        "pkg/run.py",
        "import multiprocessing\nfrom pkg.jobs import make_job\n\ndef go():\n    multiprocessing.Queue().put(make_job('x'))\n",
    );
    let found = keys(root, &["pkg/run.py"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "PF101");
}

#[test]
fn force_exclude_applies_exclude_to_named_files() {
    let dir = common::tempdir("picklefix-context-");
    let root = dir.path();
    project(root);
    write(
        root,
        "pyproject.toml",
        "[project]\nname = \"demo\"\n\n[tool.picklefix]\nexclude = [\"tests/test_via.py\", \"helpers\"]\n",
    );
    let named = ["tests/test_via.py", "tests/helpers/skipme.py", "tests/test_direct.py"];
    let plain = keys(root, &named);
    let files: BTreeSet<String> = plain.iter().map(|k| k.1.clone()).collect();
    assert!(
        files.len() >= 2,
        "named files are checked even when excluded: {plain:?}"
    );
    let forced = keys(root, &[&["--force-exclude"][..], &named[..]].concat());
    let direct = std::fs::canonicalize(root.join("tests/test_direct.py"))
        .unwrap()
        .display()
        .to_string();
    assert!(!forced.is_empty());
    assert!(
        forced.iter().all(|k| k.1 == direct || k.4 == direct),
        "only test_direct.py is left: {forced:?}"
    );
    // A default-excluded folder (a virtualenv) is skipped too.
    write(root, ".venv/lib/site.py", "import pickle\npickle.dumps(lambda: 1)\n");
    let out = run(
        root,
        &["check", "--force-exclude", "--no-progress", ".venv/lib/site.py"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let out = run(root, &["check", "--no-progress", ".venv/lib/site.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}
