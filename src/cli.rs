//! The command line: argument parsing and the commands. `run` returns the exit code:
//! 0 nothing found, 1 findings, 2 usage, configuration or I/O error.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::render::{self, Format};
use crate::settings::{self, Settings, StartMethod};
use crate::version::PyVersion;

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
    /// Files or directories to check (default: the current directory)
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
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
    let text = format!("# {} ({})\n\n{}\n\n{}", rule.name, rule.code, rule.summary, rule.doc.replace("\n ", "\n"));
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
fn settings_for(config: Option<&Path>, args: &CheckArgs) -> Result<Settings, Error> {
    let mut s = match config {
        Some(p) => settings::load(p)?,
        None => Settings::default(),
    };
    if let Some(sel) = &args.select {
        check_codes(sel, "--select")?;
        s.select = sel.clone();
    }
    if let Some(ign) = &args.ignore {
        check_codes(ign, "--ignore")?;
        s.ignore.extend(ign.iter().cloned());
    }
    if let Some(v) = &args.target_version {
        s.target_version = PyVersion::parse(v).ok_or_else(|| Error::Usage(format!("--target-version: `{v}` is not a version; allowed: 2.7, 3.6 … 3.14")))?;
    }
    if let Some(m) = &args.start_method {
        s.start_method = StartMethod::parse(m).ok_or_else(|| Error::Usage(format!("--start-method: `{m}` is not allowed; allowed: fork, spawn, forkserver, auto")))?;
    }
    Ok(s)
}

fn check_codes(codes: &[String], flag: &str) -> Result<(), Error> {
    for c in codes {
        if !settings::is_code_prefix(c) {
            return Err(Error::Usage(format!("{flag}: `{c}` is not a rule code or prefix (see `picklefix rules`)")));
        }
    }
    Ok(())
}

fn check(args: CheckArgs) -> Result<i32, Error> {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    // Each path uses the config nearest to it; paths sharing a config are checked together.
    let mut groups: BTreeMap<Option<PathBuf>, Vec<PathBuf>> = BTreeMap::new();
    for p in &paths {
        let config = match &args.config {
            Some(c) => Some(c.clone()),
            None => settings::find_config(p),
        };
        groups.entry(config).or_default().push(p.clone());
    }
    let show_progress = !args.quiet && !args.no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let mut diags = Vec::new();
    let mut sources = std::collections::HashMap::new();
    let mut stats = crate::project::Stats::default();
    for (config, group) in groups {
        let s = settings_for(config.as_deref(), &args)?;
        let pb = show_progress.then(|| {
            let pb = indicatif::ProgressBar::new(0);
            pb.set_style(indicatif::ProgressStyle::with_template("{spinner} reading {pos}/{len} files").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
            pb
        });
        let report = crate::check_paths(&group, &s, pb.as_ref())?;
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        diags.extend(report.diagnostics);
        sources.extend(report.sources);
        stats.scanned += report.stats.scanned;
        stats.parsed += report.stats.parsed;
        stats.skipped += report.stats.skipped;
        stats.lines += report.stats.lines;
    }
    diags.sort_by_key(|d| d.sort_key());
    let color = args.format == Format::Text && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let out = match args.format {
        Format::Text => render::text(&diags, &sources, color),
        Format::Json => render::json(&diags),
        Format::Sarif => render::sarif(&diags),
        Format::Github => render::github(&diags),
    };
    render::write_stdout(&out).map_err(|e| Error::io("<stdout>", "write", e))?;
    if !args.quiet {
        eprintln!("{}", summary(&diags, stats));
    }
    Ok(if diags.is_empty() { 0 } else { 1 })
}

fn summary(diags: &[crate::diagnostic::Diagnostic], stats: crate::project::Stats) -> String {
    let files: std::collections::HashSet<&PathBuf> = diags.iter().map(|d| &d.path).collect();
    let fixable = diags.iter().filter(|d| d.fix.is_some()).count();
    let n = diags.len();
    let plural = |k: usize, word: &str| format!("{k} {word}{}", if k == 1 { "" } else { "s" });
    format!(
        "{} in {} ({fixable} fixable); {} scanned, {} parsed, {} skipped as irrelevant",
        plural(n, "finding"),
        plural(files.len(), "file"),
        plural(stats.scanned, "file"),
        stats.parsed,
        stats.skipped
    )
}
