//! `picklefix verify`: the regression check. It compares the project as it is with a baseline
//! (the last git commit, or the files as they were before `fix --write --verify`):
//!   1. every changed or given Python file compiles with the configured interpreter;
//!   2. `check` finds nothing new (and reports what the changes fixed);
//!   3. the project's command runs under the pickling tracer on both trees, with a timeout that
//!      stops the whole process group; exit status, pickling failures and — for pytest — the
//!      outcome of every test are compared. Regressions are reported apart from fixes.
//!
//! The baseline is a temporary copy: the user's files are never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::analysis::finding::Report;
use crate::base::diagnostic::Diagnostic;
use crate::base::error::{Error, Result};
use crate::config::settings::Settings;

/// How the verification ended.
#[derive(Debug, Default)]
pub struct Verdict {
    pub lines: Vec<String>,
    pub regressions: Vec<String>,
    /// Pickling failures still seen after the change.
    pub remaining: Vec<String>,
    pub fixed: Vec<String>,
    /// Something could not be run (no interpreter, a timeout).
    pub broken: Vec<String>,
}

impl Verdict {
    pub fn exit_code(&self) -> i32 {
        if !self.broken.is_empty() {
            2
        } else if !self.regressions.is_empty() || !self.remaining.is_empty() {
            1
        } else {
            0
        }
    }

    fn step(&mut self, line: String) {
        eprintln!("{line}");
        self.lines.push(line);
    }
}

/// The tree to compare with: a temporary copy of the project as it was.
pub struct Baseline {
    pub dir: tempfile::TempDir,
    /// The project root both trees share (paths below it map one to one).
    pub root: PathBuf,
}

impl Baseline {
    /// The last commit of the git work tree holding `path`.
    pub fn from_git(path: &Path) -> Result<Baseline> {
        let root = git_root(path).ok_or_else(|| {
            Error::Usage(format!(
                "{}: verify compares with the last commit, so it needs a git work tree (or run `picklefix fix --write --verify`)",
                path.display()
            ))
        })?;
        let dir = tempdir()?;
        let archive = Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(["archive", "--format=tar", "HEAD"])
            .output();
        let archive = archive.map_err(|e| Error::io(&root, "run git archive in", e))?;
        if !archive.status.success() {
            return Err(Error::Usage(format!(
                "git archive HEAD failed in {}: {}",
                root.display(),
                String::from_utf8_lossy(&archive.stderr).trim()
            )));
        }
        untar(&archive.stdout, dir.path())?;
        Ok(Baseline { dir, root })
    }

    /// A copy of `root` with some files put back as they were (`fix --write --verify`).
    pub fn from_originals(root: &Path, originals: &[(PathBuf, Vec<u8>)]) -> Result<Baseline> {
        let dir = tempdir()?;
        copy_tree(root, dir.path())?;
        for (path, bytes) in originals {
            let abs = std::path::absolute(path).map_err(|e| Error::io(path, "resolve", e))?;
            let rel = abs
                .strip_prefix(root)
                .map_err(|_| Error::Usage(format!("{} is outside {}", path.display(), root.display())))?;
            let dest = dir.path().join(rel);
            std::fs::write(&dest, bytes).map_err(|e| Error::io(&dest, "write baseline copy of", e))?;
        }
        Ok(Baseline {
            dir,
            root: root.to_path_buf(),
        })
    }

    /// The baseline's counterpart of a path under the project root.
    pub fn map(&self, path: &Path) -> PathBuf {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        match abs.strip_prefix(&self.root) {
            Ok(rel) => self.dir.path().join(rel),
            Err(_) => path.to_path_buf(),
        }
    }
}

fn tempdir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("picklefix-verify")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), "create a temporary folder in", e))
}

pub fn git_root(path: &Path) -> Option<PathBuf> {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let out = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn untar(bytes: &[u8], dest: &Path) -> Result<()> {
    use std::io::Write;
    let mut child = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dest)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::io(dest, "run tar into", e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(bytes).map_err(|e| Error::io(dest, "unpack into", e))?;
    }
    let status = child.wait().map_err(|e| Error::io(dest, "unpack into", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "tar could not unpack the baseline into {}",
            dest.display()
        )))
    }
}

/// Copy a project (what .gitignore does not exclude, without .git) to `dest`.
fn copy_tree(root: &Path, dest: &Path) -> Result<()> {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker.flatten() {
        let p = entry.path();
        let Ok(rel) = p.strip_prefix(root) else { continue };
        let target = dest.join(rel);
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            std::fs::create_dir_all(&target).map_err(|e| Error::io(&target, "create", e))?;
        } else if entry.file_type().is_some_and(|t| t.is_file()) {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create", e))?;
            }
            std::fs::copy(p, &target).map_err(|e| Error::io(p, "copy", e))?;
        }
    }
    Ok(())
}

pub struct Request<'r> {
    pub paths: &'r [PathBuf],
    pub settings: &'r Settings,
    pub baseline: &'r Baseline,
    /// Files known to have changed (from `fix --write`); else asked of git.
    pub changed: Vec<PathBuf>,
    pub command: Vec<String>,
    pub start_method: Option<String>,
    /// How to check the paths for findings (`lib.rs`'s check, handed in: it sits above this
    /// layer).
    pub check: fn(&[PathBuf], &Settings, Option<&indicatif::ProgressBar>) -> Result<Report>,
}

/// Run the three steps.
pub fn verify(req: &Request) -> Result<Verdict> {
    let mut v = Verdict::default();
    compile_step(req, &mut v);
    stop_if_interrupted()?;
    check_step(req, &mut v)?;
    stop_if_interrupted()?;
    run_step(req, &mut v)?;
    let summary = if v.exit_code() == 0 {
        format!("verify: verified ({} fixed)", v.fixed.len())
    } else if v.exit_code() == 2 {
        format!("verify: could not verify: {}", v.broken.join("; "))
    } else {
        format!(
            "verify: {} regression{}, {} pickling failure{} left",
            v.regressions.len(),
            plural(v.regressions.len()),
            v.remaining.len(),
            plural(v.remaining.len())
        )
    };
    v.step(summary);
    Ok(v)
}

fn stop_if_interrupted() -> Result<()> {
    match crate::run::supervise::interrupted() {
        Some(sig) => Err(Error::Interrupted(sig)),
        None => Ok(()),
    }
}

fn status_text(status: Option<i32>) -> String {
    status.map_or("killed by a signal".into(), |c| format!("exit {c}"))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn changed_files(req: &Request) -> Vec<PathBuf> {
    if !req.changed.is_empty() {
        return req.changed.clone();
    }
    let root = &req.baseline.root;
    let mut out: Vec<PathBuf> = Vec::new();
    for args in [
        &["diff", "--name-only", "HEAD"][..],
        &["ls-files", "--others", "--exclude-standard"][..],
    ] {
        if let Ok(o) = Command::new("git").arg("-C").arg(root).args(args).output() {
            out.extend(String::from_utf8_lossy(&o.stdout).lines().map(|l| root.join(l)));
        }
    }
    out.extend(req.paths.iter().filter(|p| p.is_file()).cloned());
    out.retain(|p| p.extension().is_some_and(|e| e == "py") && p.is_file());
    out.sort();
    out.dedup();
    out
}

fn compile_step(req: &Request, v: &mut Verdict) {
    let files = changed_files(req);
    if files.is_empty() {
        v.step("[1/3] compile: no changed Python files".into());
        return;
    }
    let python = &req.settings.verify_python;
    // compile() checks exactly what py_compile does, without writing __pycache__ into the tree.
    const COMPILE: &str = "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, 'rb').read(), f, 'exec')\n";
    let out = Command::new(python)
        .arg("-c")
        .arg(COMPILE)
        .args(&files)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output();
    match out {
        Ok(o) if o.status.success() => v.step(format!(
            "[1/3] compile: ok ({} file{} with {python})",
            files.len(),
            plural(files.len())
        )),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
            v.regressions.push(format!("does not compile with {python}: {err}"));
            v.step(format!("[1/3] compile: FAILED\n{err}"));
        }
        Err(e) => {
            v.broken.push(format!("cannot run {python}: {e}"));
            v.step(format!("[1/3] compile: cannot run {python}: {e}"));
        }
    }
}

/// A finding's identity across the two trees (lines move when code is fixed).
fn finding_key(d: &Diagnostic, root: &Path) -> (String, String, Option<String>, Option<String>) {
    (
        d.code.to_string(),
        below_root(&d.path, root),
        d.attribute_path.clone(),
        d.origin.as_ref().map(|o| below_root(Path::new(&o.path), root)),
    )
}

/// A path as shown relative to the tree's root. `verify .` gives `ROOT/./m.py` on the
/// baseline side and `m.py` on the other: `.` components are dropped so both sides agree.
fn below_root(path: &Path, root: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let rel = abs.strip_prefix(root).map(Path::to_path_buf).unwrap_or(abs);
    let rel: PathBuf = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    crate::base::diagnostic::display_path(&rel)
}

fn check_step(req: &Request, v: &mut Verdict) -> Result<()> {
    let now = (req.check)(req.paths, req.settings, None)?;
    let base_paths: Vec<PathBuf> = req.paths.iter().map(|p| req.baseline.map(p)).collect();
    let before = (req.check)(&base_paths, req.settings, None)?;
    let before_keys: BTreeSet<_> = before
        .diagnostics
        .iter()
        .map(|d| finding_key(d, req.baseline.dir.path()))
        .collect();
    let now_keys: BTreeSet<_> = now
        .diagnostics
        .iter()
        .map(|d| finding_key(d, &req.baseline.root))
        .collect();
    let new: Vec<_> = now_keys.difference(&before_keys).collect();
    let gone: Vec<_> = before_keys.difference(&now_keys).collect();
    for k in &gone {
        v.fixed
            .push(format!("{} {} {}", k.0, k.1, k.2.as_deref().unwrap_or("")));
    }
    for k in &new {
        v.regressions.push(format!(
            "new finding {} in {} {}",
            k.0,
            k.1,
            k.2.as_deref().unwrap_or("")
        ));
    }
    let verdict = if new.is_empty() { "ok" } else { "NEW FINDINGS" };
    v.step(format!(
        "[2/3] check: {verdict} ({} before, {} now, {} fixed, {} new)",
        before_keys.len(),
        now_keys.len(),
        gone.len(),
        new.len()
    ));
    Ok(())
}

/// Per-test outcomes from a JUnit XML report: test id → passed / failed / skipped.
pub fn junit_outcomes(xml: &str) -> BTreeMap<String, &'static str> {
    let mut out = BTreeMap::new();
    let mut rest = xml;
    while let Some(at) = rest.find("<testcase") {
        rest = &rest[at + "<testcase".len()..];
        let head_end = rest.find('>').unwrap_or(rest.len());
        let head = &rest[..head_end];
        let self_closing = head.ends_with('/');
        let attr = |name: &str| {
            let key = format!(" {name}=\"");
            head.find(&key).map(|i| {
                let v = &head[i + key.len()..];
                v[..v.find('"').unwrap_or(v.len())].to_string()
            })
        };
        let id = format!(
            "{}::{}",
            attr("classname").unwrap_or_default(),
            attr("name").unwrap_or_default()
        );
        let body = if self_closing {
            ""
        } else {
            let end = rest.find("</testcase>").unwrap_or(rest.len());
            &rest[head_end..end]
        };
        let outcome = if body.contains("<failure") || body.contains("<error") {
            "failed"
        } else if body.contains("<skipped") {
            "skipped"
        } else {
            "passed"
        };
        out.insert(id, outcome);
    }
    out
}

fn run_step(req: &Request, v: &mut Verdict) -> Result<()> {
    if req.command.is_empty() {
        v.step("[3/3] run: skipped (no command: give one after `--` or set `[verify] command`)".into());
        return Ok(());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", "read the current directory", e))?;
    let base_cwd = req.baseline.map(&cwd);
    let is_pytest = req.command.iter().any(|w| w.contains("pytest"));
    let reports = tempdir()?;
    let mut runs = Vec::new();
    for (label, dir, python) in [
        ("before", base_cwd.as_path(), req.settings.verify_python_before.clone()),
        ("after", cwd.as_path(), None),
    ] {
        let mut command = req.command.clone();
        if let Some(py) = python {
            if command.first().is_some_and(|c| c.starts_with("python")) {
                command[0] = py;
            }
        }
        let junit = reports.path().join(format!("junit-{label}.xml"));
        if is_pytest {
            command.push(format!("--junitxml={}", junit.display()));
        }
        let opts = crate::run::trace::Options {
            command: &command,
            cwd: dir,
            start_method: req.start_method.as_deref(),
            timeout: Duration::from_secs(req.settings.verify_timeout),
            capture: true,
            stdout_to_stderr: false,
            extra_env: Vec::new(),
        };
        let run = crate::run::trace::run(&opts)?;
        if let Some(sig) = run.interrupted {
            return Err(Error::Interrupted(sig));
        }
        let tests = std::fs::read_to_string(&junit)
            .map(|x| junit_outcomes(&x))
            .unwrap_or_default();
        runs.push((label, run, tests));
    }
    let (_, before, tests_before) = &runs[0];
    let (_, after, tests_after) = &runs[1];
    if after.timed_out || before.timed_out {
        let which = if after.timed_out {
            "after the change"
        } else {
            "before the change"
        };
        v.broken.push(format!(
            "the command did not finish within {} s {which}; it was stopped (raise `[verify] timeout`)",
            req.settings.verify_timeout
        ));
    }
    let events = |run: &crate::run::trace::Run| -> BTreeSet<String> {
        run.events
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e.attribute_path
                        .as_deref()
                        .unwrap_or(e.type_name.as_deref().unwrap_or("?")),
                    e.exception
                )
            })
            .collect()
    };
    let (eb, ea) = (events(before), events(after));
    for e in eb.difference(&ea) {
        v.fixed.push(format!("pickling failure gone: {e}"));
    }
    for e in &ea {
        v.remaining.push(format!("pickling failure: {e}"));
    }
    // Worse after: it worked and now fails, or it failed only because of pickling and now fails
    // with no pickling failure left (something else broke).
    let after_fails = after.status != Some(0) && !after.timed_out;
    if after_fails && before.status == Some(0) {
        v.regressions.push(format!(
            "the command exited 0 before and {} after",
            status_text(after.status)
        ));
    } else if after_fails && ea.is_empty() && !eb.is_empty() {
        v.regressions.push(format!(
            "the command failed on pickling before; after the change it still fails ({}), for another reason",
            status_text(after.status)
        ));
    }
    let mut test_regressions = 0;
    for (id, outcome) in tests_after {
        if *outcome == "failed" && tests_before.get(id) == Some(&"passed") {
            v.regressions
                .push(format!("test regressed: {id} passed before, fails now"));
            test_regressions += 1;
        }
    }
    let fixed_tests: Vec<&String> = tests_after
        .iter()
        .filter(|(id, o)| **o == "passed" && tests_before.get(*id) == Some(&"failed"))
        .map(|(id, _)| id)
        .collect();
    for id in &fixed_tests {
        v.fixed.push(format!("test fixed: {id} failed before, passes now"));
    }
    let status = |r: &crate::run::trace::Run| match (r.timed_out, r.status) {
        (true, _) => "timed out".to_string(),
        (_, Some(c)) => format!("exit {c}"),
        _ => "killed".to_string(),
    };
    let tests = if is_pytest {
        format!(
            "; tests: {} regressed, {} fixed, {} run",
            test_regressions,
            fixed_tests.len(),
            tests_after.len()
        )
    } else {
        String::new()
    };
    v.step(format!(
        "[3/3] run: before {} with {} pickling failure{}, after {} with {}{tests}",
        status(before),
        eb.len(),
        plural(eb.len()),
        status(after),
        ea.len()
    ));
    if v.exit_code() != 0 && !after.stderr.is_empty() {
        let err = String::from_utf8_lossy(&after.stderr.bytes);
        let tail: Vec<&str> = err.lines().rev().take(8).collect();
        v.lines.push(format!(
            "stderr after the change ends with{}:\n{}",
            after.stderr.cut_note(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_junit_outcomes() {
        let xml = r#"<testsuite><testcase classname="t.test_a" name="test_ok" time="0.1"/><testcase classname="t.test_a" name="test_bad"><failure message="x">boom</failure></testcase><testcase classname="t" name="test_skip"><skipped/></testcase></testsuite>"#;
        let o = junit_outcomes(xml);
        assert_eq!(o["t.test_a::test_ok"], "passed");
        assert_eq!(o["t.test_a::test_bad"], "failed");
        assert_eq!(o["t::test_skip"], "skipped");
    }
}
