//! The commands that run the user's code: `verify`, `trace`, and the check after
//! `fix --write --verify` that puts the files back on a regression.

use std::io::IsTerminal;
use std::path::PathBuf;

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

/// `fix --write --verify`: compare with the files as they were; put them back on regression.
pub(super) fn verify_after_fix(args: &FixArgs, originals: &[(PathBuf, Vec<u8>)], applied: usize) -> Result<i32, Error> {
    let (paths, s, command) = verify_setup(&args.common, &args.command)?;
    let root = crate::run::verify::git_root(&paths[0])
        .unwrap_or(std::env::current_dir().map_err(|e| Error::io(".", "read the current directory", e))?);
    let baseline = crate::run::verify::Baseline::from_originals(&root, originals)?;
    let changed: Vec<PathBuf> = originals.iter().map(|(p, _)| p.clone()).collect();
    let req = crate::run::verify::Request {
        paths: &paths,
        settings: &s,
        baseline: &baseline,
        changed,
        command,
        start_method: run_start_method(&s),
        check: crate::check_findings,
    };
    let verdict = crate::run::verify::verify(&req)?;
    report_verdict(&verdict);
    if verdict.regressions.is_empty() && verdict.broken.is_empty() {
        eprintln!("picklefix: {applied} fix{} verified", plural_es(applied));
        return Ok(verdict.exit_code());
    }
    let mut restored = 0;
    for (path, bytes) in originals {
        let perms = std::fs::metadata(path)
            .map_err(|e| Error::io(path, "read permissions of", e))?
            .permissions();
        crate::fix::write::replace_atomically(path, bytes, &perms)?;
        restored += 1;
    }
    let why = verdict
        .regressions
        .first()
        .or(verdict.broken.first())
        .cloned()
        .unwrap_or_default();
    eprintln!(
        "picklefix: the fixes did not verify ({why}); restored {restored} file{} exactly as they were",
        if restored == 1 { "" } else { "s" }
    );
    Ok(1)
}
