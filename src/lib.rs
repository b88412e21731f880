//! picklefix: find, explain and fix what breaks pickling in multiprocess Python code.
//!
//! The pipeline: cli → settings → catalog → discover (and a named file's project) → source →
//! parse → project → index → eval → checker (rules) → suppress, select, per-file-ignores →
//! fixes → render.
//!
//! This file puts the layers together (see the README's "How it is built"): the check of some
//! paths gives each file the settings of its nearest config, hands the rule table to the
//! checker, drops the findings that are not shown (suppressed, unselected, ignored for the
//! file, or on a file read only as a named file's context), and makes the fixes of the
//! findings left. The fix loop and `verify` repeat a check they are handed from here.

pub mod analysis;
pub mod base;
pub mod cli;
pub mod config;
pub mod fix;
pub mod python;
pub mod render;
pub mod rules;
pub mod run;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use analysis::{checker, discover, project, suppress};
use base::{diagnostic, error};
use config::{catalog, patterns::normalize, resolver::Resolver, settings};
use diagnostic::Diagnostic;

/// Runs with fewer files than this show no progress bar.
const PROGRESS_MIN_FILES: usize = 300;

pub use analysis::finding::Report;

/// Whether a check makes the fixes of the findings it shows. Fixes are made after the analysis,
/// for shown findings only; when nothing shows or applies them, they are not made at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixes {
    Made,
    Skipped,
}

/// Check paths with settings: the whole `check` pipeline without any output.
pub fn check_paths(
    paths: &[PathBuf],
    settings: &settings::Settings,
    progress: Option<&indicatif::ProgressBar>,
) -> error::Result<Report> {
    check_paths_with(paths, settings, progress, &std::collections::HashMap::new())
}

/// `check_paths` without fixes: the findings alone (for SARIF or GitHub output with `--quiet`,
/// and for `verify`, which compares findings).
pub fn check_findings(
    paths: &[PathBuf],
    settings: &settings::Settings,
    progress: Option<&indicatif::ProgressBar>,
) -> error::Result<Report> {
    check(
        paths,
        settings,
        progress,
        &std::collections::HashMap::new(),
        Fixes::Skipped,
        None,
    )
}

/// Like `check_paths`, with some files' text replaced in memory (the fix loop's rounds).
pub fn check_paths_with(
    paths: &[PathBuf],
    settings: &settings::Settings,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &std::collections::HashMap<PathBuf, String>,
) -> error::Result<Report> {
    check(paths, settings, progress, overrides, Fixes::Made, None)
}

/// Check/fix rounds in memory until no applicable fix is left (`fix::fix_paths`, handed this
/// crate's check). A round after the first re-checks only the files it names (`focus`): they
/// start the parse, their imports are parsed as usual, and only their findings are reported.
pub fn fix_paths(
    paths: &[PathBuf],
    settings: &settings::Settings,
    unsafe_fixes: bool,
) -> error::Result<fix::FixOutcome> {
    fix::fix_paths(paths, settings, unsafe_fixes, &|paths, settings, overrides, focus| {
        check(paths, settings, None, overrides, Fixes::Made, Some(focus))
    })
}

/// Which files a check starts from, and which findings it reports: every relevant file (a
/// plain check), or, in a fix-loop round, `Some` of the files named there.
type Focus<'f> = Option<fix::Focus<'f>>;

/// The whole check. Every file is checked with the settings of its nearest config file (plus
/// the command line's overrides). A file named on the command line is analysed with the rest
/// of its project (see `discover::project_context`), and only the named and walked files'
/// findings are reported.
fn check(
    paths: &[PathBuf],
    settings: &settings::Settings,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &std::collections::HashMap<PathBuf, String>,
    fixes: Fixes,
    focus: Focus,
) -> error::Result<Report> {
    let resolver = Resolver::new(settings, rules::is_code_prefix);
    let (mut candidates, walk_errors) = discover::discover(paths, &resolver)?;
    let context = discover::project_context(&mut candidates, &resolver)?;
    // Without context files (no file named), every finding is the run's: `reported` is only
    // read for findings on context files.
    let scope = Scope {
        context: context.iter().map(|c| c.path.clone()).collect(),
        reported: if context.is_empty() {
            HashSet::new()
        } else {
            candidates.iter().map(|c| normalize(&c.path)).collect()
        },
    };
    candidates.extend(context);
    candidates.sort();
    candidates.dedup_by(|a, b| a.path == b.path);
    if let Some(fix::Focus::Files(files)) = focus {
        for c in &mut candidates {
            c.explicit = files.report.contains(&c.path) || files.context.contains(&c.path);
        }
    }
    let walk_errors = if matches!(focus, Some(fix::Focus::Files(_))) {
        Vec::new()
    } else {
        walk_errors
    };
    if let Some(pb) = progress {
        // A bar for a handful of files is noise: show it for runs over a few hundred.
        if candidates.len() < PROGRESS_MIN_FILES {
            pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        pb.set_length(candidates.len() as u64);
    }
    let mut diags: Vec<Diagnostic> = walk_errors
        .into_iter()
        .map(|e| Diagnostic::file_error("PF001", e.path, 1, format!("cannot read: {}", e.message)))
        .collect();
    let mut stats = project::Stats::default();
    let mut sources = std::collections::HashMap::new();
    let mut imports = Vec::new();
    for (part_settings, part) in partition_by_config(candidates, &resolver)? {
        let report = check_candidates(&part, &part_settings, &scope, progress, overrides, fixes, focus)?;
        diags.extend(report.diagnostics);
        sources.extend(report.sources);
        imports.extend(report.imports);
        stats.add(report.stats);
    }
    if let Some(fix::Focus::Files(files)) = focus {
        diags.retain(|d| files.report.contains(&d.path));
    }
    diags.sort_by_key(|d| d.sort_key());
    diags.dedup();
    Ok(Report {
        diagnostics: diags,
        stats,
        sources,
        imports,
    })
}

/// Which findings are this run's. Files read only as the context of named files (their
/// project, for the imports) are analysed, but their own findings and read errors are not
/// reported, unless the value a finding is about is created in a file of this run (a test
/// passing an open file to the project's pool).
struct Scope {
    context: HashSet<PathBuf>,
    /// The files of this run (named or walked), normalized.
    reported: HashSet<PathBuf>,
}

impl Scope {
    fn reports(&self, d: &Diagnostic) -> bool {
        !self.context.contains(&d.path)
            || d.origin
                .as_ref()
                .is_some_and(|o| self.reported.contains(&normalize(Path::new(&o.path))))
    }
}

/// Candidates grouped by the settings that govern them (their nearest config file).
fn partition_by_config(
    candidates: Vec<discover::Candidate>,
    resolver: &Resolver,
) -> error::Result<Vec<(Arc<settings::Settings>, Vec<discover::Candidate>)>> {
    let mut groups: std::collections::BTreeMap<Option<PathBuf>, (Arc<settings::Settings>, Vec<discover::Candidate>)> =
        std::collections::BTreeMap::new();
    for c in candidates {
        let s = resolver.for_file(&c.path)?;
        groups
            .entry(s.config_path.clone())
            .or_insert_with(|| (s.clone(), Vec::new()))
            .1
            .push(c);
    }
    Ok(groups.into_values().collect())
}

/// The analysis of one set of files with one set of settings.
fn check_candidates(
    candidates: &[discover::Candidate],
    settings: &settings::Settings,
    scope: &Scope,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &std::collections::HashMap<PathBuf, String>,
    fixes: Fixes,
    focus: Focus,
) -> error::Result<Report> {
    let catalog = catalog::Catalog::load(&settings.catalog_extra, &rules::is_code)?;
    let mut diags = Vec::new();
    // Deeply nested expressions recurse deeply in the parser: give its threads room.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(python::parse::STACK_SIZE)
        .build()
        .map_err(|e| error::Error::Usage(format!("cannot start worker threads: {e}")))?;
    let timings = std::env::var_os("PICKLEFIX_TIMINGS").is_some();
    let started = std::time::Instant::now();
    let seeds = match focus {
        Some(fix::Focus::Files(_)) => project::Seeds::ExplicitOnly,
        _ => project::Seeds::Relevant,
    };
    let project = pool.install(|| project::load_seeded(candidates, &catalog, &mut diags, progress, overrides, seeds));
    let loaded = started.elapsed();
    let suppressions = suppress::Suppressions::new(&project);
    let shown = |d: &Diagnostic| {
        scope.reports(d)
            && !suppressions.hides(d)
            && rules::matches_any(d.code, &settings.select)
            && !rules::matches_any(d.code, &settings.ignore)
            && (settings.per_file_ignores.is_empty() || !rules::matches_any(d.code, &settings.ignored_for(&d.path)))
            && (settings.include_latent || !d.latent)
    };
    let analysed = checker::check_project(&project, &catalog, settings, &pool, rules::RULES, |ev, findings| {
        // Fixes are made for the findings left, from the facts the walk recorded.
        let shown_only = findings.into_iter().filter(|f| shown(&f.diagnostic));
        shown_only
            .map(|f| {
                let mut d = f.diagnostic;
                // A latent finding depends on a path the analysis could not decide: no rewrite.
                if let (Fixes::Made, Some(facts), false) = (fixes, &f.facts, d.latent) {
                    match fix::fixers::fix_for(ev, settings, facts) {
                        Ok(fix) => d.fix = Some(fix),
                        Err(Some(refusal)) => d.help = Some(refusal),
                        Err(None) => {}
                    }
                }
                d
            })
            .collect::<Vec<Diagnostic>>()
    });
    if timings {
        eprintln!(
            "timings: read+scan+parse {:.3}s ({} files, {} parsed, {} of them seeds), analysis {:.3}s",
            loaded.as_secs_f64(),
            project.stats.scanned,
            project.stats.parsed,
            project.stats.seeds,
            (started.elapsed() - loaded).as_secs_f64()
        );
    }
    // A context file that cannot be read or parsed is not this run's failure.
    let failed_context = diags
        .iter()
        .filter(|d| !scope.reports(d) && matches!(d.code, "PF001" | "PF002") && d.fix.is_none())
        .count();
    let mut diags: Vec<Diagnostic> = diags.into_iter().filter(|d| shown(d)).collect();
    diags.extend(analysed);
    // The files' own text (not the Python 2 intake's rewrite): fixes and frames refer to it.
    // Only files with findings are kept: copying every file's text costs time and memory.
    let wanted: std::collections::HashSet<&PathBuf> = diags
        .iter()
        .flat_map(|d| std::iter::once(&d.path).chain(d.fix.as_ref().and_then(|f| f.path.as_ref())))
        .collect();
    let sources = project
        .modules
        .iter()
        .filter(|m| wanted.contains(&m.source.path))
        .map(|m| {
            (
                m.source.path.clone(),
                m.original.clone().unwrap_or_else(|| m.source.text().to_string()),
            )
        })
        .collect();
    let imports = match focus {
        Some(_) => project
            .modules
            .iter()
            .filter(|m| m.suite.is_some())
            .map(|m| {
                let paths = m.imports.iter().map(|&i| project.modules[i].source.path.clone());
                (m.source.path.clone(), paths.collect())
            })
            .collect(),
        None => Vec::new(),
    };
    let mut stats = project.stats;
    stats.failed = stats.failed.saturating_sub(failed_context);
    // Freeing hundreds of syntax trees takes a tenth of a second: do it beside the caller
    // (a command-line run exits without waiting for it).
    std::thread::spawn(move || drop(project));
    Ok(Report {
        diagnostics: diags,
        stats,
        sources,
        imports,
    })
}
