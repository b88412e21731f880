//! `picklefix trace` and `picklefix verify`, against real interpreters.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn picklefix(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_picklefix"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn scenarios() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/scenarios");
    if root.is_dir() {
        Some(root)
    } else {
        common::skip(format_args!("{} is missing", root.display()));
        None
    }
}

fn python311() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("Python 3.11"));
    if !ok {
        common::skip(format_args!("needs python3 3.11 on PATH"));
    }
    ok
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (p, dest) = (e.path(), to.join(e.file_name()));
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::write(&dest, std::fs::read(&p).unwrap()).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

fn positive_pickling_scenarios(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    out.retain(|p| {
        let meta = std::fs::read_to_string(p.join("meta.json")).unwrap();
        let expected = std::fs::read_to_string(p.join("expected.json")).unwrap();
        meta.contains("\"kind\": \"positive\"") && ["PF1xx", "PF2xx", "PF3xx"].iter().any(|f| expected.contains(f))
    });
    out.sort();
    out
}

#[test]
fn trace_names_the_attribute_path_and_sink_of_each_scenario() {
    let Some(root) = scenarios() else { return };
    if !python311() {
        return;
    }
    let mut failures = Vec::new();
    for scenario in positive_pickling_scenarios(&root) {
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(scenario.join("expected.json")).unwrap()).unwrap();
        for (tree, want_findings) in [("before", true), ("after", false)] {
            // The scenario's own run.sh is the command (it sets up data and scratch folders).
            let args = [
                "trace",
                "--format",
                "json",
                "--timeout",
                "120",
                "--start-method",
                "spawn",
                "--",
                "bash",
                "run.sh",
                tree,
            ];
            let out = picklefix(&scenario, &args);
            let got: Vec<serde_json::Value> = match serde_json::from_slice(&out.stdout) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!(
                        "{name}/{tree}: not JSON ({e}): {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                    continue;
                }
            };
            if !want_findings {
                if !got.is_empty() {
                    failures.push(format!("{name}/after: the hand-fixed project still traces {got:?}"));
                }
                continue;
            }
            for want in expected.as_array().unwrap() {
                let hit = got.iter().any(|g| {
                    g["path"] == want["path"]
                        && g["line"] == want["line"]
                        && g["attribute_path"] == want["attribute_path"]
                });
                if !hit {
                    failures.push(format!(
                        "{name}: expected {} {} {} at run time, traced {:?}",
                        want["path"],
                        want["line"],
                        want["attribute_path"],
                        got.iter()
                            .map(|g| (g["path"].clone(), g["line"].clone(), g["attribute_path"].clone()))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fix_write_verify_ends_verified_on_every_scenario() {
    let Some(root) = scenarios() else { return };
    if !python311() {
        return;
    }
    let mut failures = Vec::new();
    for scenario in positive_pickling_scenarios(&root) {
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        let work = tempfile::tempdir().unwrap();
        copy_tree(&scenario, work.path());
        std::fs::remove_dir_all(work.path().join("after")).unwrap();
        git(work.path(), &["init", "-q"]);
        git(work.path(), &["add", "-A"]);
        git(work.path(), &["commit", "-qm", "before"]);
        let args = [
            "fix",
            "--write",
            "--unsafe-fixes",
            "--verify",
            "--start-method",
            "spawn",
            "before",
            "--",
            "bash",
            "run.sh",
            "before",
        ];
        let out = Command::new(env!("CARGO_BIN_EXE_picklefix"))
            .args(args)
            .current_dir(work.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(0) || !err.contains("verify: verified") {
            failures.push(format!(
                "{name}: exit {:?}\n{}{err}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_harmful_fix_is_rolled_back_byte_for_byte() {
    let Some(root) = scenarios() else { return };
    if !python311() {
        return;
    }
    let scenario = root.join("01-queue-nested-file-handle");
    let work = tempfile::tempdir().unwrap();
    copy_tree(&scenario, work.path());
    git(work.path(), &["init", "-q"]);
    git(work.path(), &["add", "-A"]);
    git(work.path(), &["commit", "-qm", "before"]);
    let snapshot = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir.join("before/logscan"))
            .unwrap()
            .flatten()
            .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
            .collect();
        v.sort();
        v
    };
    let before = snapshot(work.path());
    let args = [
        "fix",
        "--write",
        "--unsafe-fixes",
        "--verify",
        "before",
        "--",
        "bash",
        "run.sh",
        "before",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_picklefix"))
        .args(args)
        .current_dir(work.path())
        .env("PICKLEFIX_TEST_HARMFUL_FIX", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("restored 1 file exactly as they were"), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("regression:"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        snapshot(work.path()),
        before,
        "the rollback must restore identical bytes"
    );
}

#[test]
fn a_hanging_command_is_stopped_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = picklefix(
        dir.path(),
        &[
            "trace",
            "--timeout",
            "2",
            "--",
            "python3",
            "-c",
            "import time; time.sleep(60)",
        ],
    );
    assert!(started.elapsed().as_secs() < 30, "the timeout did not stop the command");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stopped after 2 s (timeout)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Python with pytest: a venv in the target folder, made once (PyPI is reachable here).
fn pytest_python() -> Option<PathBuf> {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pytest-venv");
    let python = target.join("bin/python");
    let has = |p: &Path| {
        Command::new(p)
            .args(["-m", "pytest", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has(&python) {
        return Some(python);
    }
    let made = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&target)
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new(&python)
            .args(["-m", "pip", "install", "-q", "pytest"])
            .output()
            .is_ok_and(|o| o.status.success());
    if made && has(&python) {
        Some(python)
    } else {
        common::skip(format_args!(
            "could not make a venv with pytest in {}",
            target.display()
        ));
        None
    }
}

#[test]
fn verify_reports_per_test_regressions_with_pytest() {
    let Some(python) = pytest_python() else { return };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::create_dir_all(dir.join("calc")).unwrap();
    std::fs::write(dir.join("calc/__init__.py"), "").unwrap();
    std::fs::write(
        dir.join("calc/ops.py"),
        "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n",
    )
    .unwrap();
    std::fs::write(dir.join("test_ops.py"), "from calc.ops import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n").unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "green"]);
    // A change that breaks one test and not the other.
    std::fs::write(
        dir.join("calc/ops.py"),
        "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n",
    )
    .unwrap();
    let py = python.to_string_lossy().to_string();
    let out = picklefix(
        dir,
        &["verify", ".", "--", &py, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("test regressed: test_ops::test_mul passed before, fails now"),
        "{stdout}{stderr}"
    );
    assert!(!stdout.contains("test_add passed before"), "{stdout}");
    assert!(stderr.contains("tests: 1 regressed, 0 fixed, 2 run"), "{stderr}");
}

#[test]
fn the_tracer_works_on_every_installed_python() {
    let Ok(out) = Command::new("pyenv").arg("root").output() else {
        common::skip(format_args!("pyenv is not installed"));
        return;
    };
    let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("versions");
    let program = "import multiprocessing, threading\nclass Job:\n    def __init__(self):\n        self.lock = threading.Lock()\nif __name__ == '__main__':\n    q = multiprocessing.Queue()\n    try:\n        q.put(Job())\n    except TypeError:\n        pass\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prog.py"), program).unwrap();
    let mut tried = 0;
    for minor in 6..=13 {
        let versions: Vec<PathBuf> = std::fs::read_dir(&root)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let Some(python) = versions.iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("3.{minor}.")))
        }) else {
            common::skip(format_args!("3.{minor} is not installed under {}", root.display()));
            continue;
        };
        tried += 1;
        let py = python.join("bin/python").to_string_lossy().to_string();
        let out = picklefix(
            dir.path(),
            &["trace", "--format", "json", "--timeout", "60", "--", &py, "prog.py"],
        );
        let got: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("3.{minor}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            got.len(),
            1,
            "3.{minor}: {got:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(got[0]["attribute_path"], "Job.lock", "3.{minor}");
        assert_eq!(got[0]["line"], 8, "3.{minor}");
    }
    if tried == 0 {
        common::skip(format_args!("no Python 3.6-3.13 under {}", root.display()));
    }
}
