//! The commands that run the user's code: `verify`, `trace`, and the check after
//! `fix --write --verify` that puts the files back on a regression.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::{plural_es, settings_for, ColorChoice, CommonArgs, FixArgs, TraceArgs, VerifyArgs};
use crate::base::error::Error;
use crate::config::settings::{self, Settings, StartMethod};
use crate::render::{self, Format};

/// What both verify paths start from: the paths (default `.`), their settings, and the command
/// (from the command line, else `[verify] command`).
fn verify_setup(common: &CommonArgs, command: &[String]) -> Result<(Vec<PathBuf>, Settings, Vec<String>), Error> {
    let paths = if common.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        common.paths.clone()
    };
    let config = common.config.clone().or_else(|| settings::find_config(&paths[0]));
    let s = settings_for(config.as_deref(), common)?;
    let command = if command.is_empty() {
        s.verify_command.clone()
    } else {
        command.to_vec()
    };
    Ok((paths, s, command))
}

/// The start method to force in runs: the flag's, else the config's when it names one.
fn run_start_method(s: &Settings) -> Option<String> {
    match s.start_method {
        StartMethod::Auto => None,
        m => Some(m.semantics().to_string()),
    }
}

pub(super) fn verify_cmd(args: VerifyArgs) -> Result<i32, Error> {
    // An interrupt stops the command and removes the baseline copy (dropped on return).
    crate::run::supervise::catch_interrupts();
    let (paths, s, command) = verify_setup(&args.common, &args.command)?;
    let baseline = crate::run::verify::Baseline::from_git(&paths[0])?;
    let req = crate::run::verify::Request {
        paths: &paths,
        settings: &s,
        baseline: &baseline,
        changed: Vec::new(),
        command,
        start_method: run_start_method(&s),
        check: crate::check_findings,
    };
    let verdict = crate::run::verify::verify(&req)?;
    report_verdict(&verdict);
    Ok(verdict.exit_code())
}

fn report_verdict(v: &crate::run::verify::Verdict) {
    let mut out = String::new();
    for r in &v.regressions {
        out.push_str(&format!("regression: {r}\n"));
    }
    for r in &v.remaining {
        out.push_str(&format!("remaining: {r}\n"));
    }
    for f in &v.fixed {
        out.push_str(&format!("fixed: {f}\n"));
    }
    for l in v.lines.iter().filter(|l| l.starts_with("stderr after")) {
        out.push_str(l);
        out.push('\n');
    }
    let _ = render::write_stdout(&out);
}

pub(super) fn trace(args: TraceArgs, color: ColorChoice) -> Result<i32, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", "read the current directory", e))?;
    let opts = crate::run::trace::Options {
        command: &args.command,
        cwd: &cwd,
        start_method: args.start_method.as_deref(),
        timeout: std::time::Duration::from_secs(args.timeout),
        capture: false,
        stdout_to_stderr: args.format != Format::Text,
        extra_env: Vec::new(),
    };
    let run = crate::run::trace::run(&opts)?;
    if let Some(sig) = run.interrupted {
        return Err(Error::Interrupted(sig));
    }
    let catalog = crate::config::catalog::Catalog::builtin(&crate::rules::is_code)?;
    let diags = crate::run::trace::diagnostics(&run.events, &catalog, &cwd);
    let sources = diags
        .iter()
        .filter_map(|d| std::fs::read_to_string(&d.path).ok().map(|t| (d.path.clone(), t)))
        .collect();
    let opts = render::TextOptions {
        color: args.format == Format::Text && color.enabled(std::io::stdout().is_terminal()),
        show_fixes: false,
    };
    let out = render::findings(args.format, &diags, &sources, opts);
    render::write_stdout(&out).map_err(|e| Error::io("<stdout>", "write", e))?;
    let ended = match (run.timed_out, run.status) {
        (true, _) => format!("was stopped after {} s (timeout)", args.timeout),
        (false, Some(code)) => format!("exited with {code}"),
        (false, None) => "was killed by a signal".to_string(),
    };
    let n = diags.len();
    eprintln!(
        "trace: {n} pickling failure{}; the command {ended}",
        if n == 1 { "" } else { "s" }
    );
    Ok(if run.timed_out {
        2
    } else if n > 0 {
        1
    } else {
        0
    })
}

/// A file `fix --write` replaced: what it held, and what picklefix wrote.
pub(super) struct Rewrite {
    pub path: PathBuf,
    pub original: Vec<u8>,
    pub fixed: Vec<u8>,
}

/// Say what a write did that the user would not assume.
pub(super) fn note_write(path: &Path, w: &crate::fix::write::Written) {
    if let Some(b) = &w.backup {
        if crate::fix::write::backup_candidates(&w.target).next().as_ref() != Some(b) {
            eprintln!(
                "picklefix: {}: an older backup exists; this one is {}",
                path.display(),
                b.display()
            );
        }
    }
    if w.target != *path {
        eprintln!(
            "picklefix: {} is a symlink; wrote its target {}",
            path.display(),
            w.target.display()
        );
    }
}

/// Put back every file it can; report each one it cannot (an edit made since picklefix wrote
/// it is kept). Returns how many were restored and the problems.
pub(super) fn roll_back(written: &[Rewrite], why: &str) -> (usize, Vec<String>) {
    let mut restored = 0;
    let mut problems = Vec::new();
    for w in written {
        let now = std::fs::read(&w.path);
        if now.as_ref().is_ok_and(|b| *b != w.fixed) {
            problems.push(format!(
                "{}: changed after picklefix wrote it; not rolled back, your edit is kept (the fix is still in it)",
                w.path.display()
            ));
            continue;
        }
        match crate::fix::write::replace_checked(&w.path, &w.fixed, &w.original, false) {
            Ok(_) => restored += 1,
            Err(e) => problems.push(format!("{e} (not rolled back)")),
        }
    }
    for p in &problems {
        eprintln!("picklefix: error: {p}");
    }
    eprintln!(
        "picklefix: {why}; restored {restored} file{} exactly as they were{}",
        if restored == 1 { "" } else { "s" },
        if problems.is_empty() {
            String::new()
        } else {
            format!(", {} could not be restored (above)", problems.len())
        }
    );
    (restored, problems)
}

/// `fix --write --verify`: compare with the files as they were; put them back on regression,
/// or when the check could not run.
pub(super) fn verify_after_fix(args: &FixArgs, written: &[Rewrite], applied: usize) -> Result<i32, Error> {
    let verdict = (|| {
        let (paths, s, command) = verify_setup(&args.common, &args.command)?;
        let root = crate::run::verify::git_root(&paths[0])
            .unwrap_or(std::env::current_dir().map_err(|e| Error::io(".", "read the current directory", e))?);
        let originals: Vec<(PathBuf, Vec<u8>)> = written.iter().map(|w| (w.path.clone(), w.original.clone())).collect();
        let baseline = crate::run::verify::Baseline::from_originals(&root, &originals)?;
        let req = crate::run::verify::Request {
            paths: &paths,
            settings: &s,
            baseline: &baseline,
            changed: written.iter().map(|w| w.path.clone()).collect(),
            command,
            start_method: run_start_method(&s),
            check: crate::check_findings,
        };
        crate::run::verify::verify(&req)
    })();
    let verdict = match verdict {
        Ok(v) => v,
        Err(e) => {
            // Could not verify (or interrupted): the fixes are not kept unverified.
            roll_back(written, &format!("the fixes could not be verified ({e})"));
            return Err(e);
        }
    };
    report_verdict(&verdict);
    if verdict.regressions.is_empty() && verdict.broken.is_empty() {
        eprintln!("picklefix: {applied} fix{} verified", plural_es(applied));
        return Ok(verdict.exit_code());
    }
    let why = verdict
        .regressions
        .first()
        .or(verdict.broken.first())
        .cloned()
        .unwrap_or_default();
    let (_, problems) = roll_back(written, &format!("the fixes did not verify ({why})"));
    Ok(if problems.is_empty() { 1 } else { 2 })
}
