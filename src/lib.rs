//! picklefix: find, explain and fix what breaks pickling in multiprocess Python code.
//!
//! The pipeline: cli → settings → catalog → discover → source → parse → project → index →
//! eval → checker (rules) → suppress → fixes → render.
//!
//! This file puts the layers together (see the README's "How it is built"): the check of some
//! paths hands the rule table to the checker, drops suppressed and unselected findings, and
//! makes the fixes of the findings left. The fix loop and `verify` repeat a check they are
//! handed from here.

pub mod analysis;
pub mod base;
pub mod cli;
pub mod config;
pub mod fix;
pub mod python;
pub mod render;
pub mod rules;
pub mod run;

use std::path::PathBuf;

use analysis::{checker, discover, project, suppress};
use base::{diagnostic, error};
use config::{catalog, settings};
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

/// The whole check. Files under a nested config file are checked with that file's settings
/// (plus the command line's overrides). A file named on the command line is analysed with the
/// modules of its package, and only its own findings are reported.
fn check(
    paths: &[PathBuf],
    settings: &settings::Settings,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &std::collections::HashMap<PathBuf, String>,
    fixes: Fixes,
    focus: Focus,
) -> error::Result<Report> {
    let (mut candidates, walk_errors) = discover::discover(paths, settings)?;
    let named: Vec<PathBuf> = candidates
        .iter()
        .filter(|c| c.explicit)
        .map(|c| c.path.clone())
        .collect();
    candidates.extend(discover::package_siblings(&candidates, settings)?);
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
    for (config, part) in partition_by_config(candidates, settings) {
        let part_settings = match &config {
            Some(c) if Some(c) != settings.config_path.as_ref() => {
                settings::resolve(Some(c), &settings.overrides, &rules::is_code_prefix)?
            }
            _ => settings.clone(),
        };
        let report = check_candidates(&part, &part_settings, progress, overrides, fixes, focus)?;
        diags.extend(report.diagnostics);
        sources.extend(report.sources);
        imports.extend(report.imports);
        stats.add(report.stats);
    }
    if let Some(fix::Focus::Files(files)) = focus {
        diags.retain(|d| files.report.contains(&d.path));
    }
    if !named.is_empty() && paths.iter().all(|p| p.is_file()) {
        diags.retain(|d| named.iter().any(|n| n == &d.path));
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

/// Candidates grouped by the config file nearest to each (looked up once per folder).
fn partition_by_config(
    candidates: Vec<discover::Candidate>,
    settings: &settings::Settings,
) -> Vec<(Option<PathBuf>, Vec<discover::Candidate>)> {
    if settings.overrides.config_pinned {
        return vec![(settings.config_path.clone(), candidates)];
    }
    let mut by_dir: std::collections::HashMap<PathBuf, Option<PathBuf>> = std::collections::HashMap::new();
    let mut groups: std::collections::BTreeMap<Option<PathBuf>, Vec<discover::Candidate>> =
        std::collections::BTreeMap::new();
    for c in candidates {
        let dir = c.path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        let config = by_dir
            .entry(dir.clone())
            .or_insert_with(|| settings::find_config(&dir))
            .clone();
        // Without a config of its own, a file follows the settings the run started with.
        let config = config.or_else(|| settings.config_path.clone());
        let config = match (&config, &settings.config_path) {
            (Some(found), Some(start)) if same_file(found, start) => Some(start.clone()),
            _ => config,
        };
        groups.entry(config).or_default().push(c);
    }
    groups.into_iter().collect()
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    std::path::absolute(a).ok() == std::path::absolute(b).ok()
}

/// The analysis of one set of files with one set of settings.
fn check_candidates(
    candidates: &[discover::Candidate],
    settings: &settings::Settings,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &std::collections::HashMap<PathBuf, String>,
    fixes: Fixes,
    focus: Focus,
) -> error::Result<Report> {
    let catalog = catalog::Catalog::load(&settings.catalog_extra, &rules::is_code)?;
    let mut diags = Vec::new();
    // Deeply nested expressions recurse deeply in the parser: give its threads room.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(256 << 20)
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
        !suppressions.hides(d)
            && rules::matches_any(d.code, &settings.select)
            && !rules::matches_any(d.code, &settings.ignore)
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
    let stats = project.stats;
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
