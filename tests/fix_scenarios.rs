//! `picklefix fix` on the scenario corpus, checked by running the programs for real: for every
//! positive scenario of the families picklefix fixes, a copy of `before/` is fixed with
//! `fix --write --unsafe-fixes --allow-dirty`, then `run.sh` must exit 0 under spawn with the
//! hand-fixed project's output; a second `fix` must print no diff; and the dry-run diff, applied
//! with `git apply` to a fresh copy, must give the same files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const FAMILIES: &[&str] = &["PF1", "PF2", "PF3", "PF4", "PF5"];

fn scenarios() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/scenarios");
    if root.is_dir() {
        Some(root)
    } else {
        common::skip(format_args!("{} is missing", root.display()));
        None
    }
}

fn python_is_311() -> bool {
    let out = Command::new("python3").arg("--version").output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stdout).starts_with("Python 3.11") => true,
        _ => {
            common::skip(format_args!("running the scenarios needs python3 3.11 on PATH"));
            false
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let p = entry.path();
        let dest = to.join(entry.file_name());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
            let mut perms = std::fs::metadata(&dest).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&dest, perms).unwrap();
        }
    }
}

fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().contains("__pycache__") {
                out.push((p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn picklefix(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_picklefix"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn positive(scenario: &Path) -> bool {
    let meta = std::fs::read_to_string(scenario.join("meta.json")).unwrap();
    let expected = std::fs::read_to_string(scenario.join("expected.json")).unwrap();
    meta.contains("\"kind\": \"positive\"")
        && FAMILIES
            .iter()
            .any(|f| expected.contains(&format!("\"family\": \"{f}xx\"")))
}

#[test]
fn fixed_scenarios_run_clean_and_diffs_apply() {
    let Some(root) = scenarios() else { return };
    if !python_is_311() {
        return;
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for scenario in dirs.into_iter().filter(|d| positive(d)) {
        count += 1;
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        let work = tempfile::tempdir().unwrap();
        let copy = work.path().join(&name);
        copy_tree(&scenario, &copy);
        let before = copy.join("before");
        let pristine = work.path().join("pristine");
        copy_tree(&scenario.join("before"), &pristine);

        let dry = picklefix(&before, &["fix", "--unsafe-fixes", "."]);
        let diff = String::from_utf8_lossy(&dry.stdout).to_string();
        let wrote = picklefix(&before, &["fix", "--write", "--unsafe-fixes", "--allow-dirty", "."]);
        if !matches!(wrote.status.code(), Some(0 | 1)) {
            failures.push(format!(
                "{name}: fix --write failed: {}",
                String::from_utf8_lossy(&wrote.stderr)
            ));
            continue;
        }
        let again = picklefix(&before, &["fix", "--unsafe-fixes", "."]);
        if !again.stdout.is_empty() {
            failures.push(format!(
                "{name}: a second fix still prints a diff:\n{}",
                String::from_utf8_lossy(&again.stdout)
            ));
        }
        let run = Command::new("bash")
            .arg("run.sh")
            .arg("before")
            .env("PICKLEFIX_START_METHOD", "spawn")
            .current_dir(&copy)
            .output()
            .unwrap();
        let want = std::fs::read_to_string(scenario.join("expected_output.txt")).unwrap();
        if !run.status.success() || String::from_utf8_lossy(&run.stdout) != want {
            let err = String::from_utf8_lossy(&run.stderr);
            let tail: Vec<&str> = err.lines().rev().take(6).collect();
            failures.push(format!(
                "{name}: after the fix the program exits {:?}, same output: {}; stderr ends:\n{}",
                run.status.code(),
                String::from_utf8_lossy(&run.stdout) == want,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        let mut apply = Command::new("git")
            .args(["apply", "--whitespace=nowarn", "-"])
            .current_dir(&pristine)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        apply.stdin.take().unwrap().write_all(diff.as_bytes()).unwrap();
        let applied = apply.wait().unwrap();
        if !applied.success() {
            failures.push(format!("{name}: git apply rejected the dry-run diff"));
        } else if files(&pristine) != files(&before) {
            failures.push(format!(
                "{name}: the dry-run diff applied with git apply differs from fix --write"
            ));
        }
    }
    assert!(count > 0, "no positive scenarios found");
    assert!(
        failures.is_empty(),
        "{} of {count} scenarios failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
