//! The real-interpreter oracle: what picklefix says Python will raise, Python must raise.
//!
//! For every positive scenario in `../shared/scenarios` whose expected findings are all in the
//! PF1xx/PF2xx/PF3xx families (objects that cannot be pickled, callables that cannot be pickled,
//! objects that refuse to be pickled), this test
//!
//! 1. runs `picklefix check --format json --target-version 3.11 .` in `before/`;
//! 2. runs the program for real (`bash run.sh before`, CPython 3.11) and asserts that its stderr
//!    contains the `error` text of every finding;
//! 3. runs `bash run.sh after` and asserts it exits 0 (the hand-made fix really works).
//!
//! `PICKLEFIX_START_METHOD=spawn` is set in the environment of both runs. Note that every
//! scenario's `run.sh` exports its own `PICKLEFIX_START_METHOD` (the scenario's start method,
//! the same literal the code falls back to), so the program runs under the start method
//! picklefix reads from the code.
//!
//! All mismatches are collected and reported together. The test is skipped (with a reason on
//! stderr) when the scenarios are missing or `python3` is not CPython 3.11.
//!
//! `own_fixtures_fail_as_stated_and_run_after_fix` does the same for `tests/fixtures/oracle/`,
//! and also applies `picklefix fix --write` and runs the program again: it must then succeed.

// The oracle scripts are bash, and their timeout kills a Unix process group.
#![cfg(unix)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(120);
const FAMILIES: [&str; 3] = ["PF1xx", "PF2xx", "PF3xx"];

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/scenarios")
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

/// `python3 --version` when it is 3.11, else the reason to skip.
fn python311() -> Result<String, String> {
    let out = Command::new("python3")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let version = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .trim()
    .to_string();
    if version.starts_with("Python 3.11.") {
        Ok(version)
    } else {
        Err(format!("python3 is `{version}`, this oracle needs CPython 3.11"))
    }
}

/// The positive PF1xx/PF2xx/PF3xx scenarios, sorted by folder name.
fn selected_scenarios(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| format!("cannot list {}: {e}", root.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let meta = read_json(&dir.join("meta.json"))?;
        if meta["kind"] != "positive" {
            continue;
        }
        let expected = read_json(&dir.join("expected.json"))?;
        let families: Vec<&str> = expected
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["family"].as_str()).collect())
            .unwrap_or_default();
        if !families.is_empty() && families.iter().all(|f| FAMILIES.contains(f)) {
            out.push(dir);
        }
    }
    Ok(out)
}

struct Run {
    status: Option<ExitStatus>,
    stderr: String,
    timed_out: bool,
}

impl Run {
    fn describe_status(&self) -> String {
        if self.timed_out {
            format!("timed out after {}s", TIMEOUT.as_secs())
        } else {
            match self.status {
                Some(s) => format!("{s}"),
                None => "no exit status".to_string(),
            }
        }
    }

    fn tail(&self, n: usize) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let start = lines.len().saturating_sub(n);
        lines[start..]
            .iter()
            .map(|l| format!("      | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn kill_group(pid: u32) {
    // The child leads its own process group: take down run.sh, python and any workers.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// `bash run.sh <which>` in `dir` with a timeout; stderr captured, stdout drained.
fn run_scenario(dir: &Path, which: &str) -> Result<Run, String> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("bash")
        .arg("run.sh")
        .arg(which)
        .current_dir(dir)
        .env("PICKLEFIX_START_METHOD", "spawn")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start bash run.sh {which}: {e}"))?;
    let pid = child.id();
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || std::io::copy(&mut out_pipe, &mut std::io::sink()));
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + TIMEOUT;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                kill_group(pid);
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for bash run.sh {which}: {e}")),
        }
    };
    // Leftover workers (a forkserver, a resource tracker) would keep the pipes open.
    kill_group(pid);
    let _ = out_reader.join();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Ok(Run {
        status,
        stderr,
        timed_out,
    })
}

/// picklefix's findings on `before/`, as JSON objects.
fn picklefix_findings(before: &Path) -> Result<Vec<Value>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_picklefix"))
        .args([
            "check",
            "--format",
            "json",
            "--target-version",
            "3.11",
            "--no-progress",
            ".",
        ])
        .current_dir(before)
        .output()
        .map_err(|e| format!("cannot run picklefix: {e}"))?;
    let code = out.status.code();
    if code != Some(0) && code != Some(1) {
        return Err(format!(
            "picklefix exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let json: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("picklefix printed invalid JSON: {e}"))?;
    json.as_array()
        .cloned()
        .ok_or_else(|| "picklefix JSON is not an array".to_string())
}

fn finding_label(f: &Value) -> String {
    format!(
        "{} {}:{} {}",
        f["code"].as_str().unwrap_or("?"),
        f["path"].as_str().unwrap_or("?"),
        f["line"].as_u64().unwrap_or(0),
        f["attribute_path"].as_str().unwrap_or("-"),
    )
}

#[test]
fn findings_match_what_python_raises() {
    let root = scenarios_dir();
    if !root.is_dir() {
        common::skip(format_args!("no scenarios at {}", root.display()));
        return;
    }
    let version = match python311() {
        Ok(v) => v,
        Err(reason) => {
            common::skip(format_args!("{reason}"));
            return;
        }
    };
    let scenarios = selected_scenarios(&root).expect("read the scenario metadata");
    assert!(
        !scenarios.is_empty(),
        "no positive PF1xx/PF2xx/PF3xx scenario in {}",
        root.display()
    );
    eprintln!("{version}; {} scenarios", scenarios.len());

    let mut mismatches: Vec<String> = Vec::new();
    let mut checked_errors = 0;
    for dir in &scenarios {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        let findings = match picklefix_findings(&dir.join("before")) {
            Ok(f) => f,
            Err(e) => {
                mismatches.push(format!("{id}: {e}"));
                continue;
            }
        };
        let before = match run_scenario(dir, "before") {
            Ok(r) => r,
            Err(e) => {
                mismatches.push(format!("{id}: {e}"));
                continue;
            }
        };
        if findings.is_empty() {
            mismatches.push(format!(
                "{id}: picklefix reports no finding, but `run.sh before` ends with {}:\n{}",
                before.describe_status(),
                before.tail(3)
            ));
        }
        for f in &findings {
            let label = finding_label(f);
            match f["error"].as_str() {
                None => mismatches.push(format!("{id}: {label}: the finding has no `error` text")),
                Some(error) if before.stderr.contains(error) => checked_errors += 1,
                Some(error) => mismatches.push(format!(
                    "{id}: {label}: expected stderr to contain\n      {error:?}\n    `run.sh before` ended with {}; last lines of stderr:\n{}",
                    before.describe_status(),
                    before.tail(6)
                )),
            }
        }
        let after = match run_scenario(dir, "after") {
            Ok(r) => r,
            Err(e) => {
                mismatches.push(format!("{id}: {e}"));
                continue;
            }
        };
        if after.timed_out || !after.status.is_some_and(|s| s.success()) {
            mismatches.push(format!(
                "{id}: `run.sh after` should exit 0 but ended with {}; last lines of stderr:\n{}",
                after.describe_status(),
                after.tail(6)
            ));
        }
        eprintln!(
            "{id}: {} finding(s); before: {}; after: {}",
            findings.len(),
            before.describe_status(),
            after.describe_status()
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatch(es) between picklefix and CPython ({version}; {checked_errors} error texts confirmed):\n\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Our own oracle fixtures (`tests/fixtures/oracle/*`: `before/` and a `run.sh` like the
/// scenarios'): Python 3.11 must fail with the error of every finding picklefix reports on
/// `before/`, and after `picklefix fix --write --unsafe-fixes` the program must run clean and
/// picklefix must find nothing.
#[test]
fn own_fixtures_fail_as_stated_and_run_after_fix() {
    if let Err(reason) = python311() {
        common::skip(format_args!("{reason}"));
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no oracle fixtures under {}", root.display());
    let mut problems = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let work = tempfile::tempdir().unwrap();
        copy_tree(dir, work.path());
        let before = work.path().join("before");
        let findings = match picklefix_findings(&before) {
            Ok(f) if !f.is_empty() => f,
            Ok(_) => {
                problems.push(format!("{name}: picklefix found nothing in before/"));
                continue;
            }
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        match run_scenario(work.path(), "before") {
            Ok(run) if run.status.is_some_and(|s| s.success()) => {
                problems.push(format!("{name}: before/ ran clean, yet picklefix reported findings"));
            }
            Ok(run) => {
                for f in &findings {
                    let error = f["error"].as_str().unwrap_or_default();
                    if error.is_empty() || !stated_error_in(&run.stderr, error) {
                        problems.push(format!(
                            "{name}: {} states `{error}`, not in Python's stderr:\n{}",
                            finding_label(f),
                            run.tail(6)
                        ));
                    }
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
        let fixed = Command::new(env!("CARGO_BIN_EXE_picklefix"))
            .args([
                "fix",
                "--write",
                "--unsafe-fixes",
                "--allow-dirty",
                "--no-progress",
                ".",
            ])
            .current_dir(&before)
            .output()
            .expect("run picklefix fix");
        if !fixed.status.success() {
            problems.push(format!(
                "{name}: picklefix fix --write failed: {}",
                String::from_utf8_lossy(&fixed.stderr)
            ));
            continue;
        }
        match run_scenario(work.path(), "before") {
            Ok(run) if run.status.is_some_and(|s| s.success()) => {}
            Ok(run) => problems.push(format!(
                "{name}: still fails after fix --write ({}):\n{}",
                run.describe_status(),
                run.tail(6)
            )),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
        match picklefix_findings(&before) {
            Ok(left) if left.is_empty() => {}
            Ok(left) => problems.push(format!(
                "{name}: findings left after the fix: {}",
                left.iter().map(finding_label).collect::<Vec<_>>().join(", ")
            )),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Does Python's stderr show the error a finding states? Errors raised in a spawn child are
/// stated as `... on <module '__mp_main__'> (raised in the child)`, where Python also prints the
/// main module's file: `<module '__mp_main__' from '/tmp/.../report.py'>`.
fn stated_error_in(stderr: &str, error: &str) -> bool {
    let error = error.strip_suffix(" (raised in the child)").unwrap_or(error);
    match error.split_once("<module '__mp_main__'>") {
        Some((head, _)) => stderr.contains(&format!("{head}<module '__mp_main__'")),
        None => stderr.contains(error),
    }
}

/// Fixer fixtures with a `run.sh` (`tests/fixtures/fixes/*/`): the expected after-text (before/
/// with after/ laid over it) runs clean under Python 3.11, its receiving side included (the
/// programs check in the child what they got). A fixture without after/ is a refusal: its
/// before/ must fail, so the refused finding is real.
#[test]
fn fixer_fixtures_after_text_runs() {
    if let Err(reason) = python311() {
        common::skip(format_args!("{reason}"));
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fixes");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("run.sh").is_file())
        .collect();
    dirs.sort();
    assert!(
        !dirs.is_empty(),
        "no fixer fixture with a run.sh under {}",
        root.display()
    );
    let mut problems = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let work = tempfile::tempdir().unwrap();
        std::fs::copy(dir.join("run.sh"), work.path().join("run.sh")).unwrap();
        let tree = work.path().join("tree");
        std::fs::create_dir_all(&tree).unwrap();
        copy_tree(&dir.join("before"), &tree);
        let refusal = !dir.join("after").is_dir();
        if !refusal {
            copy_tree(&dir.join("after"), &tree);
        }
        match run_scenario(work.path(), "tree") {
            Ok(run) => {
                let ok = run.status.is_some_and(|s| s.success()) && !run.timed_out;
                if ok == refusal {
                    problems.push(format!(
                        "{name}: {} should {} but ended with {}:\n{}",
                        if refusal {
                            "before/ (a refusal)"
                        } else {
                            "the after-text"
                        },
                        if refusal { "fail" } else { "run clean" },
                        run.describe_status(),
                        run.tail(6)
                    ));
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
