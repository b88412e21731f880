//! Helpers shared by the integration tests.

use std::io::Write;

/// Say why a test is skipped, where it is seen: libtest hides what a passing test prints with
/// `eprintln!`, so this writes to the process's stderr directly (`cargo test` shows it).
pub fn skip(reason: std::fmt::Arguments) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}
