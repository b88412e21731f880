//! The README's usage section works as written: every `picklefix ...` line of its `sh` blocks
//! runs (through `sh -c`, with the binary under test first on PATH) in a fresh copy of a
//! fixture laid out like the examples (`src/` a project, `myapp/` a program, a git repository
//! with everything committed), and must exit 0 or 1. The review recipe is also checked for
//! what it does: the patch applies, and an empty patch is no error.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{describe, text, write};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of the `sh` blocks between `## Usage` and the next `## ` heading that run
/// picklefix.
fn usage_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("\n## Usage").expect("README has a Usage section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in rest[..end].lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && t == "```sh";
            continue;
        }
        if in_sh && t.starts_with("picklefix ") {
            commands.push(t.to_string());
        }
    }
    commands
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    if let Err(e) = common::git(dir, args) {
        panic!("{e}");
    }
}

/// `src/logscan` (the example package), `src/legacy/store.py` (a safe fix), `myapp/main.py`
/// (a program that pickles an open file), a passing test, all committed.
fn fixture(dir: &Path, with_safe_fix: bool) {
    std::fs::create_dir_all(dir.join("src/logscan")).unwrap();
    copy_dir(&repo().join("examples/logscan/logscan"), &dir.join("src/logscan"));
    copy_dir(&repo().join("examples/logscan/data"), {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        &dir.join("data")
    });
    if with_safe_fix {
        write(
            dir,
            "src/legacy/store.py",
            "import cPickle\n\n\ndef load(blob):\n    return cPickle.loads(blob)\n",
        );
    }
    write(dir, "myapp/__init__.py", "");
    write(
        dir,
        "myapp/main.py",
        "import multiprocessing\n\n\nclass Job:\n    def __init__(self, path):\n        self.fh = open(path)\n\n\ndef work(job):\n    return job.fh.readline()\n\n\nif __name__ == '__main__':\n    with multiprocessing.Pool(1) as pool:\n        try:\n            pool.map(work, [Job(__file__)])\n        except TypeError as e:\n            print('failed:', e)\n",
    );
    write(dir, "tests/test_smoke.py", "def test_smoke():\n    assert 1 + 1 == 2\n");
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "fixture"]);
}

/// `PATH` with the binary under test, and a virtualenv with pytest when one can be made (the
/// verify commands run `python -m pytest`; without pytest they still run, on both sides).
fn search_path() -> std::ffi::OsString {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_picklefix"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut dirs: Vec<PathBuf> = vec![bin_dir];
    match common::venv("pytest", &["pytest"]) {
        Ok(venv) => dirs.push(venv),
        Err(why) => common::skip(format_args!("the verify commands run without pytest: {why}")),
    }
    let mut parts = dirs;
    if let Some(old) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(parts).unwrap()
}

fn sh(dir: &Path, line: &str, path: &std::ffi::OsStr) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("PATH", path)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CI")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn every_usage_command_runs_as_written() {
    if Command::new("git").arg("--version").output().is_err() {
        return common::skip(format_args!("no git for the fixture repository"));
    }
    let commands = usage_commands();
    assert!(
        commands.len() >= 15,
        "the usage section lost its commands: {commands:?}"
    );
    let path = search_path();
    let mut failures = Vec::new();
    for line in &commands {
        let dir = common::tempdir("picklefix-readme-");
        fixture(dir.path(), true);
        let out = sh(dir.path(), line, &path);
        let err = text(&out.stderr);
        if !matches!(out.status.code(), Some(0 | 1)) || err.contains("panicked") {
            failures.push(format!("`{line}`\n{}", describe(&out)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} README commands failed:\n{}",
        failures.len(),
        commands.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_review_recipe_applies_the_patch_and_accepts_an_empty_one() {
    if Command::new("git").arg("--version").output().is_err() {
        return common::skip(format_args!("no git for the fixture repository"));
    }
    let recipe = usage_commands()
        .into_iter()
        .find(|c| c.contains("git apply"))
        .expect("the README has a review recipe");
    let path = search_path();
    let dir = common::tempdir("picklefix-readme-");
    fixture(dir.path(), true);
    let out = sh(dir.path(), &recipe, &path);
    assert_eq!(out.status.code(), Some(0), "`{recipe}`\n{}", describe(&out));
    let store = std::fs::read_to_string(dir.path().join("src/legacy/store.py")).unwrap();
    assert!(
        store.starts_with("import pickle as cPickle\n"),
        "the patch was applied: {store}"
    );
    // Only safe fixes: the unsafe one (logscan's reader) is left for review.
    let reader = std::fs::read_to_string(dir.path().join("src/logscan/reader.py")).unwrap();
    assert!(!reader.contains("__getstate__"));
    // Nothing left to fix: the recipe still succeeds, and changes nothing.
    let again = sh(dir.path(), &recipe, &path);
    assert_eq!(
        again.status.code(),
        Some(0),
        "`{recipe}` on a fixed tree\n{}",
        describe(&again)
    );
    let clean = common::tempdir("picklefix-readme-");
    fixture(clean.path(), false);
    let out = sh(clean.path(), &recipe, &path);
    assert_eq!(
        out.status.code(),
        Some(0),
        "`{recipe}` with an empty patch\n{}",
        describe(&out)
    );
    let status = Command::new("git")
        .args(["status", "--porcelain", "src"])
        .current_dir(clean.path())
        .output()
        .unwrap();
    assert!(
        status.stdout.is_empty(),
        "an empty patch changes nothing: {}",
        describe(&status)
    );
}

/// The example output near the top of the README is what `picklefix check examples/logscan`
/// prints (findings on stdout, then the summary line on stderr), to the letter.
#[test]
fn the_example_output_is_the_real_output() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("$ picklefix check examples/logscan\n")
        .expect("the README shows the example's output");
    let block = &readme[start..];
    let block = &block[..block.find("\n```").unwrap()];
    let shown: Vec<&str> = block.lines().skip(1).collect();
    let out = common::run(repo(), &["check", "examples/logscan"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let real = text(&out.stdout) + &text(&out.stderr);
    let real: Vec<&str> = real.lines().collect();
    assert_eq!(shown, real, "README.md's example output differs from the real output");
}
