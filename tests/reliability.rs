//! "Never lose a byte of the user's work": races with the user's edits (injected by
//! the debug build's `PICKLEFIX_TEST_EDIT` hook in the write path), backups, temporary files,
//! links and ownership, `fix --write --verify` rollback and interrupts (signals sent to a
//! child `picklefix`), process trees and output of verified commands, deep input, and inputs
//! that used to be given up on silently.

mod common;

use std::io::Read;
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

fn python3() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        common::skip(format_args!("needs python3 on PATH"));
    }
    ok
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

// ---- 5. `fix --write --verify`: rollback and interrupts ------------------------------------

#[cfg(target_os = "linux")]
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat[stat.rfind(')').unwrap() + 1..].trim_start().starts_with('Z'),
    }
}

/// A project whose verify command starts a sleeper in a new session, tells the test its pid
/// through a FIFO, then waits: the test interrupts picklefix at that point.
#[cfg(target_os = "linux")]
fn assert_interrupt_rolls_back(signal: libc::c_int) {
    if !python3() {
        return;
    }
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("project");
    let tmp = outer.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let m = write(&dir, "m.py", FIXABLE);
    write(
        &dir,
        "run.py",
        "import subprocess, sys, time\n\
         s = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True)\n\
         with open(sys.argv[1], 'w') as f:\n    f.write(str(s.pid))\n\
         time.sleep(600)\n",
    );
    commit_all(&dir);
    let fifo = outer.path().join("ready");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let child = cmd(&dir)
        .args(["fix", "--write", "--verify", "m.py", "--", "python3", "run.py"])
        .arg(&fifo)
        .env("TMPDIR", &tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sleeper = String::new();
    // Blocks until the command has started its sleeper.
    std::fs::File::open(&fifo)
        .unwrap()
        .read_to_string(&mut sleeper)
        .unwrap();
    let sleeper: u32 = sleeper.trim().parse().unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(128 + signal), "{}", text(&out));
    assert_eq!(read(&m), FIXABLE, "the fix was not rolled back");
    assert!(
        process_gone(sleeper),
        "the test command's child {sleeper} is still running"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "temporary folders left behind: {left:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn sigint_during_verify_rolls_back_and_stops_the_tests() {
    assert_interrupt_rolls_back(libc::SIGINT);
}

#[cfg(target_os = "linux")]
#[test]
fn sigterm_during_verify_rolls_back_and_stops_the_tests() {
    assert_interrupt_rolls_back(libc::SIGTERM);
}

#[test]
fn rollback_restores_what_it_can_and_keeps_edits_made_while_tests_ran() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.py", FIXABLE);
    let b = write(dir.path(), "b.py", FIXABLE);
    // The command edits b.py while it runs (in the baseline copy before, in the user's tree
    // after), then imports a.py, which the injected harmful fix breaks.
    write(
        dir.path(),
        "run.py",
        "open('b.py', 'a').write('# edited during the tests\\n')\nimport a\n",
    );
    commit_all(dir.path());
    let out = run(
        dir.path(),
        &["fix", "--write", "--verify", "a.py", "b.py", "--", "python3", "run.py"],
        &[("PICKLEFIX_TEST_HARMFUL_FIX", "1")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(read(&a), FIXABLE, "a.py was not restored");
    assert!(
        read(&b).ends_with("# edited during the tests\n"),
        "the user's edit of b.py was overwritten"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("b.py: changed after picklefix wrote it"), "{}", text(&out));
    assert!(err.contains("restored 1 file"), "{}", text(&out));
}

// ---- 6. the verified command's process tree and output ---------------------------------------

#[cfg(target_os = "linux")]
#[test]
fn a_timeout_stops_children_started_in_a_new_session() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("sleeper.pid");
    let script = format!(
        "import subprocess, sys, time\n\
         s = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(45)'], start_new_session=True)\n\
         open({:?}, 'w').write(str(s.pid))\n\
         time.sleep(60)\n",
        pid_file.to_str().unwrap()
    );
    let started = std::time::Instant::now();
    let out = run(
        dir.path(),
        &["trace", "--timeout", "2", "--", "python3", "-c", &script],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(started.elapsed().as_secs() < 30, "took {:?}", started.elapsed());
    let sleeper: u32 = read(&pid_file).trim().parse().unwrap();
    assert!(process_gone(sleeper), "the child in a new session outlived the timeout");
}

/// `verify` captures the command's output: a child in a new session that holds it open must
/// not keep verify waiting once the command is done.
#[cfg(target_os = "linux")]
#[test]
fn verify_does_not_wait_for_a_child_holding_the_output_open() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.py", FIXABLE);
    write(
        dir.path(),
        "run.py",
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(45)'], start_new_session=True)\n",
    );
    commit_all(dir.path());
    let started = std::time::Instant::now();
    let out = run(dir.path(), &["verify", ".", "--", "python3", "run.py"], &[]);
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}\n{}",
        started.elapsed(),
        text(&out)
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[cfg(target_os = "linux")]
#[test]
// The child is reaped by `wait4` (for its peak memory), which clippy does not see.
#[allow(clippy::zombie_processes)]
fn verify_keeps_only_the_tail_of_a_huge_output() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.py", FIXABLE);
    // 300 MiB on stderr, then a failure: verify shows the end of stderr.
    write(
        dir.path(),
        "run.py",
        "import os, sys\nline = b'x' * 1023 + b'\\n'\nfor _ in range(300 * 1024):\n    sys.stderr.buffer.write(line)\nsys.stderr.buffer.write(b'the last line\\n')\nsys.exit(0 if os.path.exists('.base') else 3)\n",
    );
    write(dir.path(), ".base", "");
    commit_all(dir.path());
    std::fs::remove_file(dir.path().join(".base")).unwrap();
    let child = cmd(dir.path())
        .args(["verify", ".", "--", "python3", "run.py"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = String::new();
    child.stdout.unwrap().read_to_string(&mut stdout).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child.
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let peak_mib = usage.ru_maxrss / 1024;
    assert!(stdout.contains("the last line"), "{stdout}");
    assert!(stdout.contains("only the last 1.0 MiB of 300.0 MiB"), "{stdout}");
    assert!(
        peak_mib < 150,
        "picklefix peaked at {peak_mib} MiB for 300 MiB of output"
    );
}

// ---- 7. deep input ----------------------------------------------------------------------------

#[test]
fn fix_survives_a_40000_term_expression_and_a_100000_long_attribute_chain() {
    let dir = tempfile::tempdir().unwrap();
    let terms = vec!["1"; 40_000].join("+");
    write(dir.path(), "expr.py", format!("{FIXABLE}\nx = {terms}\n"));
    let chain = format!("a{}", ".b".repeat(100_000));
    write(
        dir.path(),
        "chain.py",
        format!("{FIXABLE}\nif False:\n    y = {chain}\n"),
    );
    for file in ["expr.py", "chain.py"] {
        let out = run(dir.path(), &["fix", file], &[]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("def _main_lambda"),
            "{file}"
        );
    }
}

// ---- 8. inputs that were given up on silently -------------------------------------------------

#[test]
fn a_utf16_coding_cookie_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pkg/m.py", format!("# coding: utf-16\n{FIXABLE}"));
    let out = run(dir.path(), &["check", "--format", "json", "pkg"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("PF001") && stdout.contains("utf-16"), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn a_fifo_on_the_command_line_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let c = std::ffi::CString::new(dir.path().join("pipe.py").to_str().unwrap()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for sub in ["check", "fix"] {
        let out = run(dir.path(), &[sub, "pipe.py"], &[]);
        assert_eq!(out.status.code(), Some(2), "{sub}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("pipe.py") && err.contains("not a regular file"),
            "{sub}: {err}"
        );
    }
}

#[test]
fn a_class_hierarchy_100_deep_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from(
        "import multiprocessing as mp\n\n\nclass C0:\n    def __init__(self):\n        self.fh = open('x')\n\n\n",
    );
    for i in 1..=100 {
        src.push_str(&format!("class C{i}(C{}):\n    pass\n\n\n", i - 1));
    }
    src.push_str("def main():\n    q = mp.Queue()\n    q.put(C100())\n");
    write(dir.path(), "deep.py", src);
    let out = run(dir.path(), &["check", "--format", "json", "deep.py"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("C100.fh"),
        "{}",
        text(&out)
    );
}
