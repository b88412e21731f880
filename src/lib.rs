//! picklefix: find, explain and fix what breaks pickling in multiprocess Python code.
//!
//! The pipeline: cli → settings → catalog → discover → source → parse → project → index →
//! eval → checker (rules) → suppress → render.

pub mod catalog;
pub mod checker;
pub mod cli;
pub mod diagnostic;
pub mod discover;
pub mod error;
pub mod eval;
pub mod fix;
pub mod fixers;
pub mod index;
pub mod parse;
pub mod project;
pub mod render;
pub mod rules;
pub mod settings;
pub mod source;
pub mod suppress;
pub mod version;

use std::path::PathBuf;

use diagnostic::Diagnostic;

/// The result of checking some paths with one set of settings.
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub stats: project::Stats,
    /// Source text of every file read, for code frames.
    pub sources: std::collections::HashMap<PathBuf, String>,
}

/// Check paths with settings: the whole `check` pipeline without any output.
pub fn check_paths(paths: &[PathBuf], settings: &settings::Settings, progress: Option<&indicatif::ProgressBar>) -> error::Result<Report> {
    check_paths_with(paths, settings, progress, &std::collections::HashMap::new())
}

/// Like `check_paths`, with some files' text replaced in memory (the fix loop's rounds).
pub fn check_paths_with(
    paths: &[PathBuf],
    settings: &settings::Settings,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &std::collections::HashMap<PathBuf, String>,
) -> error::Result<Report> {
    let catalog = catalog::Catalog::load(&settings.catalog_extra)?;
    let (candidates, walk_errors) = discover::discover(paths, settings)?;
    if let Some(pb) = progress {
        pb.set_length(candidates.len() as u64);
    }
    let mut diags: Vec<Diagnostic> = walk_errors
        .into_iter()
        .map(|e| Diagnostic {
            code: "PF001",
            message: format!("cannot read: {}", e.message),
            path: e.path,
            span: diagnostic::Span { line: 1, column: 1, end_line: 1, end_column: 1 },
            attribute_path: None,
            origin: None,
            origin_text: None,
            sink: None,
            error: None,
            fix: None,
            help: None,
        })
        .collect();
    // Deeply nested expressions recurse deeply in the parser: give its threads room.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(256 << 20)
        .build()
        .map_err(|e| error::Error::Usage(format!("cannot start worker threads: {e}")))?;
    let project = pool.install(|| project::load(&candidates, &catalog, &mut diags, progress, overrides));
    diags.extend(checker::check_project(&project, &catalog, settings));
    let mut diags: Vec<Diagnostic> = suppress::filter(diags, &project)
        .into_iter()
        .filter(|d| rules::matches_any(d.code, &settings.select) && !rules::matches_any(d.code, &settings.ignore))
        .collect();
    diags.sort_by_key(|d| d.sort_key());
    diags.dedup();
    let sources = project.modules.iter().map(|m| (m.source.path.clone(), m.source.text.clone())).collect();
    Ok(Report { diagnostics: diags, stats: project.stats, sources })
}
