//! Precision probes: small programs, one per false-positive class seen on real code (the shared
//! probes of `../shared/probes/precision/` and the ones found measuring precision on real
//! projects). Each runs clean under Python; picklefix must report nothing on it by default.
//!
//! `PENDING` names the probes whose class is not handled yet: the test checks that they still
//! report something, so that a probe that starts passing must leave the list.

mod common;

use std::path::{Path, PathBuf};

use picklefix::config::settings::Settings;

/// Probes whose false positive is still reported, with what is missing.
const PENDING: &[(&str, &str)] = &[(
    "dill-context-chosen-by-flag",
    "the dill context is chosen by a literal dict key; dict values are not kept by key",
)];

fn probes() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/precision");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("read tests/fixtures/precision")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn precision_probes_give_no_finding() {
    let mut problems = Vec::new();
    let dirs = probes();
    assert!(dirs.len() >= 13, "the probes are missing");
    for dir in &dirs {
        let report = picklefix::check_paths(std::slice::from_ref(dir), &Settings::default(), None).expect("check");
        let found: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| format!("{}:{} {} {}", d.path.display(), d.span.line, d.code, d.message))
            .collect();
        let pending = PENDING.iter().any(|(p, _)| *p == name(dir));
        match (found.is_empty(), pending) {
            (false, false) => problems.push(format!("{}: {}", name(dir), found.join("\n    "))),
            (true, true) => problems.push(format!("{}: now clean, take it off PENDING", name(dir))),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The probes are real programs that work: run each with python3 in a scratch folder (they
/// write small files), skipping those that need a package this machine lacks.
#[test]
fn precision_probes_run_clean() {
    let Some(python) = common::python3() else {
        common::skip(format_args!("python3 is not installed"));
        return;
    };
    let mut failures = Vec::new();
    for dir in probes() {
        let text = std::fs::read_to_string(dir.join("main.py")).expect("read probe");
        let needs: Vec<&str> = ["cloudpickle", "multiprocess", "dill"]
            .into_iter()
            .filter(|m| {
                text.lines().any(|l| {
                    let words: Vec<&str> = l.split_whitespace().collect();
                    // `import multiprocessing` does not need `multiprocess`: compare whole names.
                    let module = |w: &str| w.trim_end_matches(',').split('.').next() == Some(*m);
                    matches!(words.as_slice(), ["import" | "from", w, ..] if module(w))
                })
            })
            .collect();
        if needs.iter().any(|m| !common::python_has(&python, m)) {
            common::skip(format_args!("probe {}: python3 lacks {}", name(&dir), needs.join(", ")));
            continue;
        }
        let scratch = tempfile::tempdir().expect("temp dir");
        std::fs::copy(dir.join("main.py"), scratch.path().join("main.py")).expect("copy probe");
        let out = std::process::Command::new(&python)
            .arg("main.py")
            .current_dir(scratch.path())
            .output()
            .expect("run python3");
        if !out.status.success() {
            failures.push(format!(
                "{}: exit {:?}\n{}",
                name(&dir),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
