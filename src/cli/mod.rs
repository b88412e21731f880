//! The command line: argument parsing and the commands. `run` returns the exit code:
//! 0 nothing found, 1 findings, 2 usage, configuration or I/O error.
//!
//! This file parses the arguments and runs `check`, `fix` and the small commands; `user_code`
//! holds the commands that run the user's code (`verify`, `trace`, `fix --write --verify`).

mod user_code;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::base::error::Error;
use crate::config::settings::{self, Settings, StartMethod};
use crate::render::{self, Format};
use user_code::{note_write, roll_back, trace, verify_after_fix, verify_cmd, Rewrite};

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
    /// Colour in text output and diffs: auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR
    /// forces it), always or never
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to paint output that goes to a stream that is (or is not) a terminal.
    /// NO_COLOR (https://no-color.org) and FORCE_COLOR (https://force-color.org) count when
    /// set to anything but the empty string; the flag beats both.
    fn enabled(self, terminal: bool) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto if set("FORCE_COLOR") => true,
            ColorChoice::Auto => terminal,
        }
    }
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
    /// Print a shell completion script (e.g. `picklefix completions bash > ~/.local/share/bash-completion/completions/picklefix`)
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the findings (or statistics) to this file instead of stdout
    #[arg(long, short)]
    output_file: Option<PathBuf>,
    /// Exit 0 even when something is found (errors still exit 2)
    #[arg(long)]
    exit_zero: bool,
    /// Print how many findings each rule has instead of the findings (JSON with --format json)
    #[arg(long)]
    statistics: bool,
    /// Show each finding's fix as a diff under it (text format)
    #[arg(long)]
    show_fixes: bool,
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
    /// Write the diff to this file instead of stdout
    #[arg(long, short, conflicts_with = "write")]
    output_file: Option<PathBuf>,
    /// Exit 0 when the diff is not empty or findings are left (errors still exit 2), so that
    /// `picklefix fix --exit-zero src/ > fixes.patch && git apply --allow-empty fixes.patch` works
    #[arg(long)]
    exit_zero: bool,
    /// List the fixes by rule after fixing (on stderr)
    #[arg(long)]
    show_fixes: bool,
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
    /// Apply `exclude` to files named on the command line too (for pre-commit and editors)
    #[arg(long)]
    force_exclude: bool,
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
    let color = cli.color;
    let result = match cli.command {
        Command::Check(args) => check(args, color),
        Command::Fix(args) => fix(args, color),
        Command::Trace(args) => trace(args, color),
        Command::Verify(args) => verify_cmd(args),
        Command::Rules => rules(),
        Command::Explain { code } => explain(&code),
        Command::Init => init(),
        Command::Completions { shell } => completions(shell),
    };
    match result {
        Ok(code) => code,
        Err(Error::Interrupted(sig)) => {
            eprintln!("picklefix: interrupted by signal {sig}; stopped what it had started");
            crate::run::supervise::exit_code_for(sig)
        }
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
    let text = crate::rules::explain_text(rule);
    render::write_stdout(&text).map_err(|e| Error::io("<stdout>", "write", e))?;
    Ok(0)
}

fn completions(shell: clap_complete::Shell) -> Result<i32, Error> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "picklefix", &mut out);
    render::write_stdout(&String::from_utf8_lossy(&out)).map_err(|e| Error::io("<stdout>", "write", e))?;
    Ok(0)
}

/// Output goes to `--output-file` when given, else to stdout.
fn emit(text: &str, file: Option<&Path>) -> Result<(), Error> {
    match file {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::io(path, "write output to", e)),
        None => render::write_stdout(text).map_err(|e| Error::io("<stdout>", "write", e)),
    }
}

fn init() -> Result<i32, Error> {
    let path = Path::new("picklefix.toml");
    if path.exists() {
        return Err(Error::Usage("picklefix.toml already exists; not overwriting it".into()));
    }
    std::fs::write(path, include_str!("../../config.example.toml")).map_err(|e| Error::io(path, "write", e))?;
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
        force_exclude: args.force_exclude,
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
        o.target_version =
            Some(crate::base::version::parse_target(v).map_err(|e| Error::Usage(format!("--target-version: {e}")))?);
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

fn check(args: CheckArgs, color: ColorChoice) -> Result<i32, Error> {
    let common = &args.common;
    let show_progress =
        !common.quiet && !common.no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    // Text shows `[*]` and fix titles, JSON a `fix` field, the summary and `--statistics` the
    // counts of safe and unsafe fixes; SARIF, GitHub, GitLab and JUnit under `--quiet` show
    // no fix at all.
    let shows_fixes = !common.quiet || args.statistics || matches!(args.format, Format::Text | Format::Json);
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
    let out = if args.statistics {
        render::statistics(&diags, args.format == Format::Json)
    } else {
        let terminal = args.output_file.is_none() && std::io::stdout().is_terminal();
        let opts = render::TextOptions {
            color: args.format == Format::Text && color.enabled(terminal),
            show_fixes: args.show_fixes,
        };
        render::findings(args.format, &diags, &sources, opts)
    };
    emit(&out, args.output_file.as_deref())?;
    if !common.quiet {
        eprintln!("{}", summary(&diags, stats));
    }
    Ok(if diags.is_empty() || args.exit_zero { 0 } else { 1 })
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

fn fix(args: FixArgs, color: ColorChoice) -> Result<i32, Error> {
    let common = &args.common;
    let mut changes = Vec::new();
    let mut remaining = Vec::new();
    let mut applied = 0usize;
    let mut applied_by_code: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut refused = 0;
    for (config, group) in config_groups(common) {
        let s = settings_for(config.as_deref(), common)?;
        let outcome = crate::fix_paths(&group, &s, args.unsafe_fixes)?;
        changes.extend(outcome.changes);
        remaining.extend(outcome.remaining);
        applied += outcome.applied.values().sum::<usize>();
        for (code, n) in outcome.applied {
            *applied_by_code.entry(code).or_default() += n;
        }
        problems.extend(outcome.errors);
        notes.extend(outcome.notes);
        for r in &outcome.refused {
            eprintln!("picklefix: error: {r}");
        }
        refused += outcome.refused.len();
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
    if args.show_fixes {
        eprint!("{}", fixes_by_rule(&applied_by_code));
    }
    if !args.write {
        let mut out = String::new();
        for (src, new) in &changes {
            out.push_str(&render::diff(&diff_path(&src.path), src.text(), new));
        }
        let terminal = args.output_file.is_none() && std::io::stdout().is_terminal();
        if color.enabled(terminal) {
            out = render::paint_diff(&out);
        }
        emit(&out, args.output_file.as_deref())?;
        if !common.quiet {
            eprintln!(
                "{applied} fix{} in {} file{} (nothing written; add --write to apply){}",
                plural_es(applied),
                changes.len(),
                if changes.len() == 1 { "" } else { "s" },
                unsafe_hint(unsafe_left)
            );
        }
        return Ok(if refused > 0 {
            2
        } else if changes.is_empty() || args.exit_zero {
            0
        } else {
            1
        });
    }
    if !args.allow_dirty {
        let files: Vec<PathBuf> = changes.iter().map(|(s, _)| s.path.clone()).collect();
        let dirty = crate::fix::workspace::dirty_files(&files);
        if !dirty.is_empty() {
            let list: Vec<String> = dirty.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Usage(format!(
                "these files have uncommitted changes: {}; commit or stash them, or pass --allow-dirty",
                list.join(", ")
            )));
        }
    }
    let dirs: Vec<PathBuf> = changes
        .iter()
        .filter_map(|(src, _)| std::fs::canonicalize(&src.path).ok()?.parent().map(Path::to_path_buf))
        .collect();
    for note in crate::fix::workspace::clean_stale_temps(&dirs) {
        eprintln!("picklefix: {note}");
    }
    if args.verify {
        // From here on an interrupt rolls the fixes back instead of leaving them half checked.
        crate::run::supervise::catch_interrupts();
    }
    let mut failed = refused;
    let mut fixed_findings = applied;
    let mut written = Vec::new();
    for (src, new) in &changes {
        if crate::run::supervise::interrupted().is_some() {
            break;
        }
        match crate::fix::write::write_fixed(src, new, args.backup) {
            Ok(w) => {
                note_write(&src.path, &w);
                written.push(Rewrite {
                    path: src.path.clone(),
                    original: src.encode(src.text()),
                    fixed: src.encode(new),
                });
            }
            Err(e) => {
                eprintln!("picklefix: error: {e}");
                failed += 1;
                fixed_findings = fixed_findings.saturating_sub(1);
            }
        }
    }
    if let Some(sig) = crate::run::supervise::interrupted() {
        roll_back(&written, "the run was interrupted");
        return Err(Error::Interrupted(sig));
    }
    let applied = fixed_findings;
    if args.verify && !written.is_empty() {
        let code = verify_after_fix(&args, &written, applied)?;
        return Ok(if failed > 0 { 2 } else { code });
    }
    if !common.quiet {
        eprintln!(
            "Fixed {applied} finding{} in {} file{}; {} left{}",
            if applied == 1 { "" } else { "s" },
            written.len(),
            if written.len() == 1 { "" } else { "s" },
            remaining.len(),
            unsafe_hint(unsafe_left)
        );
    }
    Ok(if failed > 0 {
        2
    } else if remaining.is_empty() || args.exit_zero {
        0
    } else {
        1
    })
}

/// `fix --show-fixes`: how many fixes of each rule were applied (or would be).
fn fixes_by_rule(applied: &BTreeMap<&'static str, usize>) -> String {
    let mut out = String::new();
    for (code, n) in applied {
        let name = crate::rules::by_code(code).map_or("", |r| r.name);
        out.push_str(&format!("  {n} × {code} ({name})\n"));
    }
    out
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

/// The one-line summary: findings, what `fix --write` would fix (safe fixes) and what needs
/// `--unsafe-fixes` counted apart, and what was read.
fn summary(diags: &[crate::base::diagnostic::Diagnostic], stats: crate::analysis::project::Stats) -> String {
    let files: std::collections::HashSet<&PathBuf> = diags.iter().map(|d| &d.path).collect();
    let safe = diags.iter().filter(|d| render::is_safe_fix(d)).count();
    let unsafe_ = diags.iter().filter(|d| render::is_unsafe_fix(d)).count();
    let n = diags.len();
    let plural = |k: usize, word: &str| format!("{k} {word}{}", if k == 1 { "" } else { "s" });
    let failed = if stats.failed > 0 {
        format!(", {} could not be read or parsed", stats.failed)
    } else {
        String::new()
    };
    let fixable = if unsafe_ > 0 {
        format!("{safe} fixable with `picklefix fix --write`, {unsafe_} more with `--unsafe-fixes`")
    } else {
        format!("{safe} fixable with `picklefix fix --write`")
    };
    format!(
        "{} in {} ({fixable}); {} scanned, {} parsed, {} skipped as irrelevant{failed}",
        plural(n, "finding"),
        plural(files.len(), "file"),
        plural(stats.scanned, "file"),
        stats.parsed,
        stats.skipped
    )
}
