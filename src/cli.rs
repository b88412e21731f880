//! The command line: argument parsing and the commands. `run` returns the exit code:
//! 0 nothing found, 1 findings, 2 usage, configuration or I/O error.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::base::error::Error;
use crate::base::version::PyVersion;
use crate::config::settings::{self, Settings, StartMethod};
use crate::render::{self, Format};

#[derive(Parser)]
#[command(
    name = "picklefix",
    version,
    about = "Find what breaks pickling in multiprocess Python code, with the exact attribute path",
    long_about = "picklefix finds the objects that break pickling when Python code sends them to other processes \
(queues, pipes, pools, executors, spawned processes, pickle.dump, copy.deepcopy), names the attribute path that \
breaks (`Job.reader.fh` is an open file), where the value is created and where it is pickled.\n\n\
Exit status: 0 nothing found, 1 findings, 2 usage, configuration or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report what cannot be pickled where the code pickles it
    Check(CheckArgs),
    /// Show the fixes as a unified diff (nothing written), or apply them with --write
    Fix(FixArgs),
    /// Check that the changes since the last commit (or a fix) broke nothing: compile, re-check,
    /// and run the project's command under the tracer before and after
    ///
    /// Example: picklefix verify src/ -- python -m pytest -q
    Verify(VerifyArgs),
    /// Run a command with a pickling tracer and report the attribute path of every failure
    ///
    /// Example: picklefix trace --start-method spawn -- python -m myapp.main
    Trace(TraceArgs),
    /// List every rule with its code and summary
    Rules,
    /// Print the documentation of a rule (e.g. `picklefix explain PF101`)
    Explain {
        /// A rule code such as PF101
        code: String,
    },
    /// Write a picklefix.toml with every key and its default into the current directory
    Init,
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(clap::Args)]
struct FixArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Apply the fixes to the files (atomically, keeping encoding, BOM, newlines, permissions)
    #[arg(long)]
    write: bool,
    /// Also apply fixes marked unsafe (they can change behaviour; review the diff)
    #[arg(long)]
    unsafe_fixes: bool,
    /// Write even when the files have uncommitted changes in git
    #[arg(long)]
    allow_dirty: bool,
    /// Keep a copy of each rewritten file as NAME.orig
    #[arg(long)]
    backup: bool,
    /// After writing, run the regression check; restore every written file if anything regressed
    #[arg(long, requires = "write")]
    verify: bool,
    /// The command `--verify` runs (default: `[verify] command` from the config)
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The command to run before and after (default: `[verify] command` from the config)
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(clap::Args)]
struct TraceArgs {
    /// Force this start method in the traced program (and its children)
    #[arg(long, value_parser = ["fork", "spawn", "forkserver"])]
    start_method: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Seconds before the command (and every process it started) is stopped
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// The command to run, after `--`
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

#[derive(clap::Args)]
struct CommonArgs {
    /// Files or directories to check (default: the current directory)
    paths: Vec<PathBuf>,
    /// Rule codes or prefixes to report, comma separated (e.g. PF1,PF201); replaces the config's
    #[arg(long, value_delimiter = ',')]
    select: Option<Vec<String>>,
    /// Rule codes or prefixes to leave out, comma separated; added to the config's
    #[arg(long, value_delimiter = ',')]
    ignore: Option<Vec<String>>,
    /// Python version the code must run on (2.7, 3.6 … 3.14); default 3.13
    #[arg(long)]
    target_version: Option<String>,
    /// Start method when the code does not set one: fork, spawn, forkserver, or auto (portable: spawn semantics)
    #[arg(long)]
    start_method: Option<String>,
    /// Also report latent findings: ones that hold only on a path the analysis cannot decide
    /// (a flag, a branch or a caller); they are marked `latent`
    #[arg(long)]
    include_latent: bool,
    /// Use this config file instead of searching for one
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print findings only, no summary
    #[arg(long, short)]
    quiet: bool,
    /// Never show a progress bar
    #[arg(long)]
    no_progress: bool,
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Fix(args) => fix(args),
        Command::Trace(args) => trace(args),
        Command::Verify(args) => verify_cmd(args),
        Command::Rules => rules(),
        Command::Explain { code } => explain(&code),
        Command::Init => init(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("picklefix: error: {e}");
            2
        }
    }
}

fn rules() -> Result<i32, Error> {
    let mut out = String::new();
    for r in crate::rules::RULES {
        out.push_str(&format!("{}  {:<36} {}\n", r.code, r.name, r.summary));
    }
    render::write_stdout(&out).map_err(|e| Error::io("<stdout>", "write", e))?;
    Ok(0)
}

fn explain(code: &str) -> Result<i32, Error> {
    let Some(rule) = crate::rules::by_code(code) else {
        return Err(Error::Usage(format!("no rule `{code}`; `picklefix rules` lists them")));
    };
    let doc: Vec<&str> = rule.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect();
    let text = format!(
        "# {} ({})\n\n{}\n\n{}\n",
        rule.name,
        rule.code,
        rule.summary,
        doc.join("\n")
    );
    render::write_stdout(&text).map_err(|e| Error::io("<stdout>", "write", e))?;
    Ok(0)
}

fn init() -> Result<i32, Error> {
    let path = Path::new("picklefix.toml");
    if path.exists() {
        return Err(Error::Usage("picklefix.toml already exists; not overwriting it".into()));
    }
    std::fs::write(path, include_str!("../config.example.toml")).map_err(|e| Error::io(path, "write", e))?;
    eprintln!("picklefix: wrote picklefix.toml");
    Ok(0)
}

/// Settings for one config file (or none), with the command-line overrides applied.
fn settings_for(config: Option<&Path>, args: &CommonArgs) -> Result<Settings, Error> {
    settings::resolve(config, &overrides(args)?, &crate::rules::is_code_prefix)
}

fn overrides(args: &CommonArgs) -> Result<settings::Overrides, Error> {
    let mut o = settings::Overrides {
        config_pinned: args.config.is_some(),
        ..Default::default()
    };
    if let Some(sel) = &args.select {
        check_codes(sel, "--select")?;
        o.select = Some(sel.clone());
    }
    if let Some(ign) = &args.ignore {
        check_codes(ign, "--ignore")?;
        o.ignore = Some(ign.clone());
    }
    if let Some(v) = &args.target_version {
        o.target_version = Some(PyVersion::parse(v).ok_or_else(|| {
            Error::Usage(format!(
                "--target-version: `{v}` is not a version; allowed: 2.7, 3.6 … 3.14"
            ))
        })?);
    }
    if args.include_latent {
        o.include_latent = Some(true);
    }
    if let Some(m) = &args.start_method {
        o.start_method = Some(StartMethod::parse(m).ok_or_else(|| {
            Error::Usage(format!(
                "--start-method: `{m}` is not allowed; allowed: fork, spawn, forkserver, auto"
            ))
        })?);
    }
    Ok(o)
}

fn check_codes(codes: &[String], flag: &str) -> Result<(), Error> {
    for c in codes {
        if !crate::rules::is_code_prefix(c) {
            return Err(Error::Usage(format!(
                "{flag}: `{c}` is not a rule code or prefix (see `picklefix rules`)"
            )));
        }
    }
    Ok(())
}

/// Paths grouped by the config file that applies to them (each path uses the nearest one).
fn config_groups(args: &CommonArgs) -> BTreeMap<Option<PathBuf>, Vec<PathBuf>> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut groups: BTreeMap<Option<PathBuf>, Vec<PathBuf>> = BTreeMap::new();
    for p in &paths {
        let config = match &args.config {
            Some(c) => Some(c.clone()),
            None => settings::find_config(p),
        };
        groups.entry(config).or_default().push(p.clone());
    }
    groups
}

fn check(args: CheckArgs) -> Result<i32, Error> {
    let common = &args.common;
    let show_progress =
        !common.quiet && !common.no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    // Text shows `[*]` and fix titles, JSON a `fix` field, the summary a count of fixable
    // findings; SARIF and GitHub annotations under `--quiet` show no fix at all.
    let shows_fixes = !common.quiet || matches!(args.format, Format::Text | Format::Json);
    let mut diags = Vec::new();
    let mut sources = std::collections::HashMap::new();
    let mut stats = crate::analysis::project::Stats::default();
    for (config, group) in config_groups(common) {
        let s = settings_for(config.as_deref(), common)?;
        let pb = show_progress.then(|| {
            let pb = indicatif::ProgressBar::new(0);
            pb.set_style(
                indicatif::ProgressStyle::with_template("{spinner} reading {pos}/{len} files")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            pb
        });
        let report = if shows_fixes {
            crate::check_paths(&group, &s, pb.as_ref())?
        } else {
            crate::check_findings(&group, &s, pb.as_ref())?
        };
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        diags.extend(report.diagnostics);
        sources.extend(report.sources);
        stats.add(report.stats);
    }
    diags.sort_by_key(|d| d.sort_key());
    let color =
        args.format == Format::Text && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let out = match args.format {
        Format::Text => render::text(&diags, &sources, color),
        Format::Json => render::json(&diags),
        Format::Sarif => render::sarif(&diags),
        Format::Github => render::github(&diags),
    };
    render::write_stdout(&out).map_err(|e| Error::io("<stdout>", "write", e))?;
    if !common.quiet {
        eprintln!("{}", summary(&diags, stats));
    }
    Ok(if diags.is_empty() { 0 } else { 1 })
}

/// A path for diff headers: relative to the current directory when it is under it.
fn diff_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match cwd.as_ref().and_then(|c| abs.strip_prefix(c).ok()) {
        Some(rel) => crate::base::diagnostic::display_path(rel),
        None => crate::base::diagnostic::display_path(path),
    }
}

fn fix(args: FixArgs) -> Result<i32, Error> {
    let common = &args.common;
    let mut changes = Vec::new();
    let mut remaining = Vec::new();
    let mut applied = 0usize;
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for (config, group) in config_groups(common) {
        let s = settings_for(config.as_deref(), common)?;
        let outcome = crate::fix_paths(&group, &s, args.unsafe_fixes)?;
        changes.extend(outcome.changes);
        remaining.extend(outcome.remaining);
        applied += outcome.applied.values().sum::<usize>();
        problems.extend(outcome.errors);
        notes.extend(outcome.notes);
    }
    for p in &problems {
        eprintln!("picklefix: internal error: {p}");
    }
    for n in &notes {
        eprintln!("picklefix: note: {n}");
    }
    let unsafe_left = remaining
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| !crate::fix::is_applicable(f, args.unsafe_fixes))
        })
        .count();
    if !args.write {
        let mut out = String::new();
        for (src, new) in &changes {
            out.push_str(&render::diff(&diff_path(&src.path), src.text(), new));
        }
        render::write_stdout(&out).map_err(|e| Error::io("<stdout>", "write", e))?;
        if !common.quiet {
            eprintln!(
                "{applied} fix{} in {} file{} (nothing written; add --write to apply){}",
                plural_es(applied),
                changes.len(),
                if changes.len() == 1 { "" } else { "s" },
                unsafe_hint(unsafe_left)
            );
        }
        return Ok(if changes.is_empty() { 0 } else { 1 });
    }
    if !args.allow_dirty {
        let files: Vec<PathBuf> = changes.iter().map(|(s, _)| s.path.clone()).collect();
        let dirty = crate::fix::write::dirty_files(&files);
        if !dirty.is_empty() {
            let list: Vec<String> = dirty.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Usage(format!(
                "these files have uncommitted changes: {}; commit or stash them, or pass --allow-dirty",
                list.join(", ")
            )));
        }
    }
    let mut failed = 0;
    let mut fixed_findings = applied;
    let originals: Vec<(PathBuf, Vec<u8>)> = changes
        .iter()
        .map(|(src, _)| (src.path.clone(), src.encode(src.text())))
        .collect();
    for (src, new) in &changes {
        if let Err(e) = crate::fix::write::write_fixed(src, new, args.backup) {
            eprintln!("picklefix: error: {e}");
            failed += 1;
            fixed_findings = fixed_findings.saturating_sub(1);
        }
    }
    let applied = fixed_findings;
    if args.verify && failed == 0 && !changes.is_empty() {
        return verify_after_fix(&args, &originals, applied);
    }
    if !common.quiet {
        eprintln!(
            "Fixed {applied} finding{} in {} file{}; {} left{}",
            if applied == 1 { "" } else { "s" },
            changes.len() - failed,
            if changes.len() - failed == 1 { "" } else { "s" },
            remaining.len(),
            unsafe_hint(unsafe_left)
        );
    }
    Ok(if failed > 0 {
        2
    } else if remaining.is_empty() {
        0
    } else {
        1
    })
}

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

fn verify_cmd(args: VerifyArgs) -> Result<i32, Error> {
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

fn trace(args: TraceArgs) -> Result<i32, Error> {
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
    let out = match args.format {
        Format::Json => render::json(&diags),
        Format::Sarif => render::sarif(&diags),
        Format::Github => render::github(&diags),
        Format::Text => render::text(
            &diags,
            &sources,
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        ),
    };
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
fn verify_after_fix(args: &FixArgs, originals: &[(PathBuf, Vec<u8>)], applied: usize) -> Result<i32, Error> {
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

fn plural_es(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "es"
    }
}

fn unsafe_hint(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("; {n} more with --unsafe-fixes")
    }
}

fn summary(diags: &[crate::base::diagnostic::Diagnostic], stats: crate::analysis::project::Stats) -> String {
    let files: std::collections::HashSet<&PathBuf> = diags.iter().map(|d| &d.path).collect();
    let fixable = diags.iter().filter(|d| d.fix.is_some()).count();
    let n = diags.len();
    let plural = |k: usize, word: &str| format!("{k} {word}{}", if k == 1 { "" } else { "s" });
    let failed = if stats.failed > 0 {
        format!(", {} could not be read or parsed", stats.failed)
    } else {
        String::new()
    };
    format!(
        "{} in {} ({fixable} fixable); {} scanned, {} parsed, {} skipped as irrelevant{failed}",
        plural(n, "finding"),
        plural(files.len(), "file"),
        plural(stats.scanned, "file"),
        stats.parsed,
        stats.skipped
    )
}
