//! Installing picklefix the way Python teams do: `pip install .` into a fresh virtualenv puts
//! a working `picklefix` on PATH (maturin builds it; the tracer's helper is inside the
//! binary), and the pre-commit hooks of `.pre-commit-hooks.yaml` run on staged files. Both
//! install from PyPI into throwaway virtualenvs under `target/`; without a network they are
//! skipped with the reason printed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{describe, git, text, write};

/// The pip install runs cargo on this checkout, which links the binary under test again even
/// when it is fresh (for a moment it is not there): the two tests take turns.
static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README's install command, run as written in a new virtualenv, then the README's
/// example on examples/logscan with the installed command.
#[test]
fn pip_install_puts_a_working_picklefix_on_path() {
    let _turn = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if Command::new("cargo").arg("--version").output().is_err() {
        return common::skip(format_args!("no cargo to build the package with"));
    }
    let venv = repo().join("target/test-venvs/pip-install");
    let _ = std::fs::remove_dir_all(&venv);
    let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        return common::skip(format_args!("cannot make a virtualenv with python3"));
    }
    let bin = common::venv_bin(&venv);
    // The build runs cargo on this checkout. With the dev profile (the one `cargo test` just
    // built) it reuses that build instead of compiling everything again for release; the
    // packaging (bindings, entry point, what the wheel holds) is the same either way.
    let install = Command::new(bin.join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-cache-dir",
            ".",
        ])
        .current_dir(repo())
        .env("MATURIN_PEP517_ARGS", "--profile dev")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let log = text(&install.stderr) + &text(&install.stdout);
    if !install.status.success() {
        // Only a failure to reach PyPI is a reason to skip; a build failure is a failure.
        let offline = [
            "No matching distribution found",
            "Could not find a version that satisfies",
            "NewConnectionError",
            "Temporary failure in name resolution",
        ]
        .iter()
        .any(|m| log.contains(m));
        if offline {
            return common::skip(format_args!(
                "pip could not get maturin from PyPI: {}",
                log.lines().last().unwrap_or("")
            ));
        }
        panic!("pip install . failed:\n{log}");
    }
    let picklefix = bin.join("picklefix");
    assert!(
        picklefix.is_file(),
        "pip install . did not put picklefix in {}",
        bin.display()
    );
    // `picklefix` is found on PATH, as a user's shell would find it.
    let out = Command::new("picklefix")
        .args(["check", "examples/logscan"])
        .current_dir(repo())
        .env("PATH", common::path_with(&bin))
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("examples/logscan/logscan/jobs.py:59:9: PF101") && stdout.contains("`Job.reader.fh`"),
        "{}",
        describe(&out)
    );
    // The tracer's helper ships inside the binary: trace works from the wheel alone.
    let dir = common::tempdir("picklefix-pip-");
    write(
        dir.path(),
        "prog.py",
        "import pickle\n\nclass Job:\n    def __init__(self):\n        self.fh = open(__file__)\n\npickle.dumps(Job())\n",
    );
    let out = Command::new(&picklefix)
        .args(["trace", "--", "python3", "prog.py"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stdout).contains("Job.fh"), "{}", describe(&out));
}

/// A git repository with a staged module that has a finding, a staged clean one, and an
/// untracked module with a finding of its own (pre-commit must not pass it).
fn staged_repo(dir: &Path) -> Result<(), String> {
    write(dir, "pyproject.toml", "[project]\nname = \"demo\"\nversion = \"0\"\n");
    write(dir, "app/__init__.py", "");
    write(
        dir,
        "app/reader.py",
        "class Reader:\n    def __init__(self, path):\n        self.fh = open(path)\n",
    );
    write(
        dir,
        "app/main.py",
        "import multiprocessing\nfrom app.reader import Reader\n\n\ndef main(q):\n    q.put(Reader('x'))\n\n\nif __name__ == '__main__':\n    main(multiprocessing.Queue())\n",
    );
    write(
        dir,
        "app/clean.py",
        "import pickle\n\n\ndef save(x):\n    return pickle.dumps(x)\n",
    );
    write(
        dir,
        "app/legacy.py",
        "import cPickle\n\n\ndef load(b):\n    return cPickle.loads(b)\n",
    );
    write(dir, "scratch.py", "import pickle\npickle.dumps(lambda: 1)\n");
    git(dir, &["init", "-q"])?;
    git(dir, &["add", "pyproject.toml", "app", ".pre-commit-config.yaml"])
}

/// `.pre-commit-config.yaml` with this repository's hooks as `repo: local` hooks: the same
/// id, entry, file types and arguments, with `language: system` and the binary under test
/// instead of a pip-installed one (that install is what the pip test checks).
fn local_hooks_config(venv_python: &Path, dir: &Path) -> Result<(), String> {
    let script = r#"
import sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
for h in hooks:
    assert h["language"] == "python", h
    h["language"] = "system"
    h["entry"] = sys.argv[2] + h["entry"][len("picklefix"):]
yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, open(sys.argv[3], "w"))
"#;
    let out = Command::new(venv_python)
        .arg("-c")
        .arg(script)
        .arg(repo().join(".pre-commit-hooks.yaml"))
        .arg(env!("CARGO_BIN_EXE_picklefix"))
        .arg(dir.join(".pre-commit-config.yaml"))
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(describe(&out))
    }
}

fn pre_commit(bin: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin.join("pre-commit"))
        .args(args)
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-home"))
        .env("PATH", common::path_with(bin))
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .output()
        .unwrap()
}

#[test]
fn pre_commit_hooks_run_on_staged_files() {
    let _turn = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let bin = match common::venv("pre-commit", &["pre-commit"]) {
        Ok(b) => b,
        Err(why) => return common::skip(format_args!("no pre-commit: {why}")),
    };
    let dir = common::tempdir("picklefix-pre-commit-");
    if let Err(e) = local_hooks_config(&bin.join("python"), dir.path()) {
        panic!(".pre-commit-hooks.yaml does not convert: {e}");
    }
    if let Err(why) = staged_repo(dir.path()) {
        return common::skip(format_args!("{why}"));
    }
    let out = pre_commit(&bin, dir.path(), &["run", "picklefix"]);
    let shown = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the check hook fails on a finding\n{}",
        describe(&out)
    );
    assert!(shown.contains("app/main.py:6:5: PF101"), "{}", describe(&out));
    assert!(shown.contains("app/legacy.py:1:1: PF401 [*]"), "{}", describe(&out));
    assert!(
        !shown.contains("scratch.py"),
        "an unstaged file is not checked\n{}",
        describe(&out)
    );
    // Only clean files staged: the hook passes.
    let only_clean = common::tempdir("picklefix-pre-commit-");
    local_hooks_config(&bin.join("python"), only_clean.path()).unwrap();
    staged_repo(only_clean.path()).unwrap();
    git(
        only_clean.path(),
        &["rm", "-q", "--cached", "app/main.py", "app/legacy.py", "app/reader.py"],
    )
    .unwrap();
    let out = pre_commit(&bin, only_clean.path(), &["run", "picklefix"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // The fix hook applies the safe fix to the staged file and fails, as pre-commit hooks that
    // modify files do; the unsafe fix is left alone.
    let out = pre_commit(&bin, dir.path(), &["run", "picklefix-fix"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let legacy = std::fs::read_to_string(dir.path().join("app/legacy.py")).unwrap();
    assert!(legacy.starts_with("import pickle as cPickle\n"), "{legacy}");
    let reader = std::fs::read_to_string(dir.path().join("app/reader.py")).unwrap();
    assert!(!reader.contains("__getstate__"), "unsafe fixes need --unsafe-fixes");
    let scratch: PathBuf = dir.path().join("scratch.py");
    assert_eq!(
        std::fs::read_to_string(scratch).unwrap(),
        "import pickle\npickle.dumps(lambda: 1)\n"
    );
}
