//! Fixing: collect the fixes attached to findings, apply them as text edits on the original
//! source (copy forward, skip overlaps, next round picks them up), re-parse, and repeat until
//! nothing changes. A round that breaks the syntax of a file is dropped for that file.
//!
//! `fixers` turn a finding's facts into edits (one file per strategy), `apply` applies edits,
//! `write` writes a file atomically; this file holds the loop. Uses `base`, `config`, `python`
//! and `analysis`; the check each round repeats is handed in by `lib.rs`, which sits above.

pub mod apply;
pub mod fixers;
pub mod write;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::analysis::finding::Report;
use crate::base::diagnostic::{Applicability, Diagnostic, Fix};
use crate::base::error::Result;
use crate::config::settings::Settings;
use crate::python::source::SourceFile;

/// Rounds before giving up on convergence (ruff uses 100; our fixes rarely chain).
pub const MAX_ROUNDS: usize = 10;

/// The outcome of fixing a set of paths, nothing written yet.
pub struct FixOutcome {
    /// Original file and its fixed text, for every file that changed.
    pub changes: Vec<(SourceFile, String)>,
    /// Findings left after the last round.
    pub remaining: Vec<Diagnostic>,
    /// Fixes applied, by rule code.
    pub applied: BTreeMap<&'static str, usize>,
    /// Internal errors: a fix that broke a file or did not converge (file left as it was).
    pub errors: Vec<String>,
}

/// A whole check of some paths with some files' text replaced in memory. The check sits above
/// this layer (it runs the rules and these fixers): `lib.rs` hands it in.
pub type Check<'c> = &'c dyn Fn(&[PathBuf], &Settings, &HashMap<PathBuf, String>) -> Result<Report>;

/// Run check/fix rounds in memory until no applicable fix is left.
pub fn fix_paths(paths: &[PathBuf], settings: &Settings, unsafe_fixes: bool, check: Check) -> Result<FixOutcome> {
    let mut overrides: HashMap<PathBuf, String> = HashMap::new();
    let mut originals: HashMap<PathBuf, SourceFile> = HashMap::new();
    let mut applied: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut broken: Vec<PathBuf> = Vec::new();
    let mut remaining = Vec::new();
    for round in 0..=MAX_ROUNDS {
        let report = check(paths, settings, &overrides)?;
        let by_file = group_fixes(&report.diagnostics, unsafe_fixes, &broken);
        remaining = report.diagnostics;
        if by_file.is_empty() {
            break;
        }
        if round == MAX_ROUNDS {
            for path in by_file.keys() {
                errors.push(format!("{}: fixes did not converge after {MAX_ROUNDS} rounds; the file is left as it was (please report this)", path.display()));
                overrides.remove(path);
                broken.push(path.clone());
            }
            break;
        }
        for (path, fixes) in by_file {
            let Some(current) = report.sources.get(&path) else {
                continue;
            };
            let (new_text, codes) = apply::apply_fixes(current, &fixes);
            if new_text == *current {
                continue;
            }
            if let Err(e) = crate::python::parse::parse_module(&new_text, &path.to_string_lossy()) {
                let mut names = codes.clone();
                names.dedup();
                errors.push(format!(
                    "{}: a fix for {} produced invalid syntax ({}); the file is left as it was (please report this)",
                    path.display(),
                    names.join(", "),
                    e.message
                ));
                overrides.remove(&path);
                broken.push(path);
                continue;
            }
            if !originals.contains_key(&path) {
                if let Ok(src) = SourceFile::read(&path) {
                    originals.insert(path.clone(), src);
                }
            }
            for c in codes {
                *applied.entry(c).or_default() += 1;
            }
            overrides.insert(path, new_text);
        }
    }
    let mut changes: Vec<(SourceFile, String)> = overrides
        .into_iter()
        .filter(|(p, _)| !broken.contains(p))
        .filter_map(|(p, text)| originals.remove(&p).filter(|o| o.text() != text).map(|o| (o, text)))
        .collect();
    changes.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    inject_harmful_edit(&mut changes);
    Ok(FixOutcome {
        changes,
        remaining,
        applied,
        errors,
    })
}

/// Tests of `fix --write --verify` need a fix that breaks the program, to prove the rollback;
/// debug builds add one when PICKLEFIX_TEST_HARMFUL_FIX is set. Release builds never do.
fn inject_harmful_edit(changes: &mut [(SourceFile, String)]) {
    if cfg!(debug_assertions) && std::env::var_os("PICKLEFIX_TEST_HARMFUL_FIX").is_some() {
        if let Some((src, text)) = changes.first_mut() {
            let nl = src.newline.as_str();
            text.push_str(&format!(
                "{nl}raise RuntimeError(\"harmful edit injected by a picklefix test\"){nl}"
            ));
        }
    }
}

/// Applicable fixes per file, in source order, without duplicates.
fn group_fixes(
    diags: &[Diagnostic],
    unsafe_fixes: bool,
    broken: &[PathBuf],
) -> BTreeMap<PathBuf, Vec<(&'static str, Fix)>> {
    let mut by_file: BTreeMap<PathBuf, Vec<(&'static str, Fix)>> = BTreeMap::new();
    for d in diags {
        let Some(fix) = &d.fix else { continue };
        let ok = match fix.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => unsafe_fixes,
            Applicability::DisplayOnly => false,
        };
        if !ok || fix.edits.is_empty() {
            continue;
        }
        let Some(path) = fix.path.clone() else { continue };
        if broken.contains(&path) {
            continue;
        }
        let list = by_file.entry(path).or_default();
        if !list.iter().any(|(_, f)| f.edits == fix.edits) {
            list.push((d.code, fix.clone()));
        }
    }
    for list in by_file.values_mut() {
        // Other fixes of a file the Python 2 intake rewrites refer to the rewritten text:
        // apply the intake alone, the next round sees the rest.
        if list.iter().any(|(code, _)| *code == "PF002") {
            list.retain(|(code, _)| *code == "PF002");
        }
        list.sort_by_key(|(_, f)| f.edits.first().map(|e| (e.start, e.end)));
    }
    by_file
}

/// Is this fix applied under these flags?
pub fn is_applicable(fix: &Fix, unsafe_fixes: bool) -> bool {
    match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => unsafe_fixes,
        Applicability::DisplayOnly => false,
    }
}
