//! "Never lose a byte of the user's work": races with the user's edits (injected by
//! the debug build's `PICKLEFIX_TEST_EDIT` hook in the write path), backups, temporary files,
//! links and ownership, `fix --write --verify` rollback and interrupts (signals sent to a
//! child `picklefix`), process trees and output of verified commands, deep input, and inputs
//! that used to be given up on silently.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_picklefix");

/// A file with one safe fix (the lambda moves to module level).
const FIXABLE: &str = "import multiprocessing as mp\n\n\ndef main():\n    with mp.Pool(2) as pool:\n        print(pool.map(lambda v: v + 1, [1, 2]))\n\n\nif __name__ == \"__main__\":\n    main()\n";

fn cmd(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("CI")
        .env_remove("PICKLEFIX_TEST_EDIT")
        .env_remove("PICKLEFIX_TEST_HARMFUL_FIX")
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = cmd(dir);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("start picklefix")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn commit_all(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "start"]);
}

fn fixed_text(dir: &Path, file: &str) -> String {
    let work = tempfile::tempdir().unwrap();
    write(work.path(), file, read(&dir.join(file)));
    let out = run(work.path(), &["fix", "--write", "--allow-dirty", file], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    read(&work.path().join(file))
}

// ---- 1. the user's edits while `fix --write` runs ----------------------------------------

fn assert_edit_kept(point: &str) {
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), "m.py", FIXABLE);
    let out = run(
        dir.path(),
        &["fix", "--write", "--allow-dirty", "m.py"],
        &[("PICKLEFIX_TEST_EDIT", point)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m.py") && err.contains("changed"), "{}", text(&out));
    assert_eq!(
        read(&m),
        format!("{FIXABLE}# edited while picklefix ran\n"),
        "the edit was lost"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "temporary files left: {left:?}");
}

#[test]
fn an_edit_made_after_picklefix_read_the_file_is_kept() {
    assert_edit_kept("after-read");
}

#[test]
fn an_edit_made_just_before_the_rename_is_kept() {
    assert_edit_kept("before-rename");
}

// ---- 2. backups -----------------------------------------------------------------------------

#[test]
fn backup_never_replaces_an_existing_orig() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.py", FIXABLE);
    write(dir.path(), "m.py.orig", "the user's own copy\n");
    let out = run(
        dir.path(),
        &["fix", "--write", "--allow-dirty", "--backup", "m.py"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read(&dir.path().join("m.py.orig")), "the user's own copy\n");
    assert_eq!(read(&dir.path().join("m.py.orig.1")), FIXABLE);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("m.py.orig.1"),
        "{}",
        text(&out)
    );
}

// ---- 3. temporary files -----------------------------------------------------------------------

fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn stale_temp_files_of_dead_runs_are_removed_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.py", FIXABLE);
    let dead = write(
        dir.path(),
        &format!(".m.py.picklefix-{}.tmp", dead_pid()),
        "half a file",
    );
    let live = write(
        dir.path(),
        &format!(".m.py.picklefix-{}.tmp", std::process::id()),
        "in use",
    );
    let out = run(dir.path(), &["fix", "--write", "--allow-dirty", "m.py"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!dead.exists(), "the dead run's temporary file is still there");
    assert!(live.exists(), "a running process's temporary file was removed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("removed") && err.contains(&*dead.file_name().unwrap().to_string_lossy()),
        "{err}"
    );
}

// ---- 4. links and ownership ------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_symlink_is_written_through_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = write(dir.path(), "real/m.py", FIXABLE);
    std::os::unix::fs::symlink("real/m.py", dir.path().join("link.py")).unwrap();
    let out = run(dir.path(), &["fix", "--write", "--allow-dirty", "link.py"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let link = std::fs::symlink_metadata(dir.path().join("link.py")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink became a regular file");
    assert_ne!(read(&target), FIXABLE, "the target kept the old text");
    assert_eq!(read(&target), fixed_text(dir.path(), "real/m.py"));
}

#[cfg(unix)]
#[test]
fn hard_links_are_kept() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), "m.py", FIXABLE);
    let other = dir.path().join("other.py");
    std::fs::hard_link(&m, &other).unwrap();
    let out = run(dir.path(), &["fix", "--write", "--allow-dirty", "m.py"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_ne!(read(&m), FIXABLE);
    assert_eq!(read(&other), read(&m), "the other hard link kept the old text");
    assert_eq!(std::fs::metadata(&m).unwrap().nlink(), 2);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 2, "temporary files left: {left:?}");
}

#[cfg(unix)]
#[test]
fn ownership_is_kept() {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        common::skip(format_args!("giving a file to another user needs root"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), "m.py", FIXABLE);
    std::os::unix::fs::chown(&m, Some(4242), Some(4243)).unwrap();
    let out = run(dir.path(), &["fix", "--write", "--allow-dirty", "m.py"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let meta = std::fs::metadata(&m).unwrap();
    assert_ne!(read(&m), FIXABLE);
    assert_eq!((meta.uid(), meta.gid()), (4242, 4243), "the owner changed");
}

#[test]
fn the_dirty_check_runs_git_status_once_per_repository() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    for i in 0..5 {
        write(&project, &format!("pkg/m{i}.py"), FIXABLE);
    }
    commit_all(&project);
    write(&project, "pkg/m3.py", format!("{FIXABLE}# uncommitted\n"));
    // A `git` first on PATH that logs its arguments, then runs the real one.
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let bin = dir.path().join("bin");
    let log = dir.path().join("git.log");
    let shim = write(
        &bin,
        "git",
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\nexec {} \"$@\"\n",
            log.display(),
            real.trim()
        ),
    );
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = run(&project, &["fix", "--write", "pkg"], &[("PATH", &path)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m3.py") && !err.contains("m2.py"), "{err}");
    let calls = read(&log);
    assert_eq!(
        calls.lines().filter(|l| l.contains("status")).count(),
        1,
        "git calls:\n{calls}"
    );
}
