//! Helpers shared by the integration tests.

use std::io::Write;

/// Say why a test is skipped, where it is seen: libtest hides what a passing test prints with
/// `eprintln!`, so this writes to the process's stderr directly (`cargo test` shows it).
pub fn skip(reason: std::fmt::Arguments) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// A throwaway virtualenv under `target/test-venvs/NAME` with `packages` installed from PyPI
/// (kept between runs; a marker file says the install finished). `None` with the reason when
/// there is no `python3` or pip cannot install them (no network): the caller skips.
#[allow(dead_code)]
pub fn venv(name: &str, packages: &[&str]) -> Result<std::path::PathBuf, String> {
    use std::process::Command;
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-venvs")
        .join(name);
    let bin = venv_bin(&dir);
    let marker = dir.join(format!(
        "installed-{}",
        packages.join("+").replace(['/', '=', '<', '>'], "_")
    ));
    if marker.is_file() {
        return Ok(bin);
    }
    let made = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg("--clear")
        .arg(&dir)
        .output();
    match made {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Err(format!(
                "python3 -m venv failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
        Err(e) => return Err(format!("no python3: {e}")),
    }
    let pip = Command::new(bin.join("python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
        .args(packages)
        .output()
        .map_err(|e| format!("cannot run pip: {e}"))?;
    if !pip.status.success() {
        return Err(format!(
            "pip install {} failed (no network?): {}",
            packages.join(" "),
            String::from_utf8_lossy(&pip.stderr).trim().lines().last().unwrap_or("")
        ));
    }
    std::fs::write(&marker, "").map_err(|e| e.to_string())?;
    Ok(bin)
}

/// The folder holding a virtualenv's executables.
#[allow(dead_code)]
pub fn venv_bin(dir: &std::path::Path) -> std::path::PathBuf {
    if cfg!(windows) {
        dir.join("Scripts")
    } else {
        dir.join("bin")
    }
}

/// `PATH` with the folder of the `picklefix` binary under test first.
#[allow(dead_code)]
pub fn path_with(dir: &std::path::Path) -> std::ffi::OsString {
    let mut parts = vec![dir.to_path_buf()];
    if let Some(old) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(parts).unwrap_or_default()
}

/// The `picklefix` binary under test, run in `dir` with an environment that does not depend on
/// the caller's (no colour override, no CI detection, no standard input).
#[allow(dead_code)]
pub fn picklefix(dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_picklefix"));
    c.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CI")
        .stdin(std::process::Stdio::null());
    c
}

/// Run `picklefix ARGS` in `dir`.
#[allow(dead_code)]
pub fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    picklefix(dir).args(args).output().expect("run picklefix")
}

#[allow(dead_code)]
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit status and both streams, for assertion messages.
#[allow(dead_code)]
pub fn describe(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    )
}

/// Write `content` to `dir/rel`, creating folders.
#[allow(dead_code)]
pub fn write(dir: &std::path::Path, rel: &str, content: &str) -> std::path::PathBuf {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    p
}

/// A temporary folder named after the test file using it.
#[allow(dead_code)]
pub fn tempdir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir().unwrap()
}

/// `git ARGS` in `dir` with a fixed identity (fixture repositories need commits).
#[allow(dead_code)]
pub fn git(dir: &std::path::Path, args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .map_err(|e| format!("no git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("git {args:?}: {}", text(&out.stderr)))
    }
}

/// `python3` when it runs (and says it is Python 3).
#[allow(dead_code)]
pub fn python3() -> Option<std::path::PathBuf> {
    let out = std::process::Command::new("python3").arg("--version").output().ok()?;
    (out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("Python 3")).then(|| "python3".into())
}

/// Can this interpreter import the module?
#[allow(dead_code)]
pub fn python_has(python: &std::path::Path, module: &str) -> bool {
    std::process::Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
