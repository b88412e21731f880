//! Helpers shared by the integration tests.

use std::io::Write;

/// Say why a test is skipped, where it is seen: libtest hides what a passing test prints with
/// `eprintln!`, so this writes to the process's stderr directly (`cargo test` shows it).
pub fn skip(reason: std::fmt::Arguments) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
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
