//! Fixing: collect the fixes attached to findings, apply them as text edits on the original
//! source (copy forward, skip overlaps, next round picks them up), check the result (it parses,
//! and `namecheck` finds no name the edits made undefined, unbound or mangled; a fix that
//! fails is dropped with a note), and repeat until nothing changes. Rounds after the first
//! re-check only the files that changed and the files that import them; a file whose round
//! repeats an earlier text of it is left as it was.
//!
//! `fixers` turn a finding's facts into edits (one file per strategy), `apply` applies edits,
//! `namecheck` resolves names, `write` writes a file without losing the user's bytes,
//! `workspace` cleans what killed runs left and asks git what is uncommitted; this file holds
//! the loop. Uses `base`, `config`, `python` and `analysis`; the check each round repeats is handed in by `lib.rs`, which sits above.

pub mod apply;
pub mod fixers;
pub mod namecheck;
pub mod workspace;
pub mod write;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::analysis::finding::Report;
use crate::base::diagnostic::{Applicability, Diagnostic, Fix};
use crate::base::error::Result;
use crate::config::settings::Settings;
use crate::python::source::SourceFile;

/// Rounds before giving up on convergence (ruff uses 100; our fixes rarely chain). A file whose
/// round repeats an earlier text of it is dropped at once.
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
    /// Fixes dropped because the name check found them wrong (one line each).
    pub notes: Vec<String>,
    /// Files left out because they changed while being read, or would not be written back
    /// byte for byte (an I/O error for the caller: exit 2).
    pub refused: Vec<String>,
}

/// What a round checks: everything (the first round), or some files (later rounds).
#[derive(Clone, Copy)]
pub enum Focus<'f> {
    All,
    Files(&'f Focused),
}

/// A later round's check: the files whose findings it reports (they start the parse), and the
/// files that import them, parsed too so that the call sites in them are seen.
pub struct Focused {
    pub report: HashSet<PathBuf>,
    pub context: HashSet<PathBuf>,
}

/// A whole check of some paths with some files' text replaced in memory. The check sits above
/// this layer (it runs the rules and these fixers): `lib.rs` hands it in.
pub type Check<'c> = &'c dyn Fn(&[PathBuf], &Settings, &HashMap<PathBuf, String>, Focus) -> Result<Report>;

/// The state of the loop between rounds.
#[derive(Default)]
struct Rounds {
    overrides: HashMap<PathBuf, String>,
    originals: HashMap<PathBuf, SourceFile>,
    applied: BTreeMap<&'static str, usize>,
    errors: Vec<String>,
    notes: Vec<String>,
    refused: Vec<String>,
    broken: HashSet<PathBuf>,
    /// Findings of the last check of each file (by the file they are reported in).
    findings: BTreeMap<PathBuf, Vec<Diagnostic>>,
    /// The current text of the files fixes apply to.
    texts: HashMap<PathBuf, String>,
    /// Hashes of every text each file has had, to stop a loop at its first repeat.
    seen: HashMap<PathBuf, HashSet<u64>>,
    /// File → the project files it imports, from the latest check of the file.
    imports: HashMap<PathBuf, Vec<PathBuf>>,
}

/// Run check/fix rounds in memory until no applicable fix is left.
pub fn fix_paths(paths: &[PathBuf], settings: &Settings, unsafe_fixes: bool, check: Check) -> Result<FixOutcome> {
    let mut st = Rounds::default();
    let report = check(paths, settings, &st.overrides, Focus::All)?;
    st.take(report, None);
    for round in 0..MAX_ROUNDS {
        let all: Vec<&Diagnostic> = st.findings.values().flatten().collect();
        let by_file = group_fixes(&all, unsafe_fixes, &st.broken);
        if by_file.is_empty() {
            break;
        }
        let mut changed: HashSet<PathBuf> = HashSet::new();
        for (path, fixes) in by_file {
            let Some(current) = st.texts.get(&path).cloned() else {
                continue;
            };
            let applied = apply_checked_on_big_stack(&path, &current, &fixes);
            st.errors.extend(applied.errors);
            st.notes.extend(applied.notes);
            if applied.text == current {
                continue;
            }
            if !st
                .seen
                .entry(path.clone())
                .or_default()
                .insert(text_hash(&applied.text))
            {
                st.errors.push(format!(
                    "{}: fixes do not converge (round {} repeats an earlier text of the file); the file is left as it was (please report this)",
                    path.display(),
                    round + 1
                ));
                st.drop_file(&path, &mut changed);
                continue;
            }
            if !st.originals.contains_key(&path) {
                let _ = write::hook("after-read", &path);
                match read_original(&path, &current) {
                    Ok(src) => {
                        st.originals.insert(path.clone(), src);
                    }
                    Err(e) => {
                        st.refused.push(e);
                        st.drop_file(&path, &mut changed);
                        continue;
                    }
                }
            }
            for c in applied.codes {
                *st.applied.entry(c).or_default() += 1;
            }
            st.texts.insert(path.clone(), applied.text.clone());
            st.overrides.insert(path.clone(), applied.text);
            changed.insert(path);
        }
        if changed.is_empty() {
            break;
        }
        if round + 1 == MAX_ROUNDS {
            // The last round's edits are not checked again: leave those files as they were.
            for path in &changed {
                st.errors.push(format!("{}: fixes did not converge after {MAX_ROUNDS} rounds; the file is left as it was (please report this)", path.display()));
                st.overrides.remove(path);
                st.broken.insert(path.clone());
            }
            break;
        }
        let focus = st.focus(&changed);
        let report = check(paths, settings, &st.overrides, Focus::Files(&focus))?;
        st.take(report, Some(&focus.report));
    }
    let Rounds {
        overrides,
        mut originals,
        applied,
        errors,
        notes,
        refused,
        broken,
        findings,
        ..
    } = st;
    let mut changes: Vec<(SourceFile, String)> = overrides
        .into_iter()
        .filter(|(p, _)| !broken.contains(p))
        .filter_map(|(p, text)| originals.remove(&p).filter(|o| o.text() != text).map(|o| (o, text)))
        .collect();
    changes.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    inject_harmful_edit(&mut changes);
    let mut remaining: Vec<Diagnostic> = findings.into_values().flatten().collect();
    remaining.sort_by_key(|d| d.sort_key());
    Ok(FixOutcome {
        changes,
        remaining,
        applied,
        errors,
        notes,
        refused,
    })
}

/// The file as it is now, which must be exactly what the fixes were computed from: the same
/// text, and bytes that decode to it and back unchanged (so writing the fixed text changes no
/// byte outside the edits). Otherwise the file is left out, with the reason.
fn read_original(path: &Path, computed_from: &str) -> std::result::Result<SourceFile, String> {
    let changed = || {
        format!(
            "{}: the file changed while picklefix read it; it is left as it was (run again)",
            path.display()
        )
    };
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot re-read the file: {e}", path.display()))?;
    let src = SourceFile::from_bytes(path.to_path_buf(), &bytes).map_err(|_| changed())?;
    if src.text() != computed_from {
        return Err(changed());
    }
    if src.encode(src.text()) != bytes {
        return Err(format!(
            "{}: its bytes do not survive decoding as {} and encoding back, so writing it would change more than the fixes; it is left as it was",
            path.display(),
            src.encoding.name()
        ));
    }
    Ok(src)
}

impl Rounds {
    /// Take a check's findings: all of them (first round), or those of the files in focus.
    fn take(&mut self, report: Report, focus: Option<&HashSet<PathBuf>>) {
        match focus {
            None => self.findings.clear(),
            Some(files) => self.findings.retain(|p, _| !files.contains(p)),
        }
        for d in report.diagnostics {
            self.findings.entry(d.path.clone()).or_default().push(d);
        }
        for (path, text) in report.sources {
            self.seen.entry(path.clone()).or_default().insert(text_hash(&text));
            self.texts.insert(path, text);
        }
        self.imports.extend(report.imports);
    }

    /// Leave a file as it was; the files that depend on it are checked again.
    fn drop_file(&mut self, path: &Path, changed: &mut HashSet<PathBuf>) {
        if self.overrides.remove(path).is_some() {
            changed.insert(path.to_path_buf());
        }
        if let Some(o) = self.originals.get(path) {
            self.texts.insert(path.to_path_buf(), o.text().to_string());
        }
        self.broken.insert(path.to_path_buf());
    }

    /// What to check again after `changed` changed: the changed files and every file that
    /// imports one of them, directly or not. A fix can give a finding to a file that had none
    /// (a `__getstate__` added to a base class shadows the one that dropped a subclass's
    /// lambda), so importers without findings are reported again too. Their direct importers
    /// are parsed as context (call sites of their functions).
    fn focus(&self, changed: &HashSet<PathBuf>) -> Focused {
        let mut importers: HashMap<&Path, Vec<&Path>> = HashMap::new();
        for (file, imports) in &self.imports {
            for i in imports {
                importers.entry(i.as_path()).or_default().push(file.as_path());
            }
        }
        let mut report: HashSet<PathBuf> = changed.clone();
        let mut stack: Vec<PathBuf> = changed.iter().cloned().collect();
        while let Some(p) = stack.pop() {
            for &i in importers.get(p.as_path()).into_iter().flatten() {
                if report.insert(i.to_path_buf()) {
                    stack.push(i.to_path_buf());
                }
            }
        }
        // A finding whose fix edits a changed file is computed again from its new text.
        for (file, diags) in &self.findings {
            let edits_changed = diags.iter().any(|d| {
                d.fix
                    .as_ref()
                    .and_then(|f| f.path.as_ref())
                    .is_some_and(|p| changed.contains(p))
            });
            if edits_changed {
                report.insert(file.clone());
            }
        }
        let context = report
            .iter()
            .flat_map(|f| importers.get(f.as_path()).into_iter().flatten())
            .map(|p| p.to_path_buf())
            .filter(|p| !report.contains(p))
            .collect();
        Focused { report, context }
    }
}

fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// A file's fixes applied and checked.
struct Applied {
    text: String,
    codes: Vec<&'static str>,
    errors: Vec<String>,
    notes: Vec<String>,
}

/// `apply_checked` on a thread with a stack as large as the analysis threads' (see
/// `check_candidates` in `lib.rs`): the re-parse and the name check of the fixed text recurse once
/// per level of nesting, and a deeply nested file overflowed the main thread's stack.
fn apply_checked_on_big_stack(path: &Path, current: &str, fixes: &[(&'static str, Fix)]) -> Applied {
    std::thread::scope(|scope| {
        let work = std::thread::Builder::new()
            .name("fix-check".into())
            .stack_size(crate::python::parse::STACK_SIZE)
            .spawn_scoped(scope, || apply_checked(path, current, fixes));
        let failed = |why: String| Applied {
            text: current.to_string(),
            codes: Vec::new(),
            errors: vec![format!(
                "{}: {why}; its fixes are dropped (please report this)",
                path.display()
            )],
            notes: Vec::new(),
        };
        match work {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| failed("checking the fixed text panicked".into())),
            Err(e) => failed(format!("cannot start a thread to check the fixed text: {e}")),
        }
    })
}

/// Apply a file's fixes, keeping only those whose result parses and passes the name check
/// (`namecheck`). All at once when they pass together; else one by one, in order.
fn apply_checked(path: &Path, current: &str, fixes: &[(&'static str, Fix)]) -> Applied {
    let name = path.to_string_lossy();
    // A file that does not parse yet (Python 2 before the intake) has no names to compare.
    let before = crate::python::parse::parse_module(current, &name)
        .ok()
        .map(|t| namecheck::problems(t.suite()));
    let verdict = |text: &str| -> Verdict {
        match crate::python::parse::parse_module(text, &name) {
            Err(e) => Verdict::Syntax(e.message),
            Ok(tree) => match &before {
                None => Verdict::Ok,
                Some(before) => {
                    let added = namecheck::added(before, &namecheck::problems(tree.suite()));
                    match added.first() {
                        None => Verdict::Ok,
                        // Two fixes made the same new name: the next round makes another.
                        Some(p) if p.kind == namecheck::Kind::Redefined => Verdict::Deferred,
                        Some(p) => Verdict::Names(namecheck::describe(p, text)),
                    }
                }
            },
        }
    };
    let (text, codes) = apply::apply_fixes(current, fixes);
    let mut out = Applied {
        text: current.to_string(),
        codes: Vec::new(),
        errors: Vec::new(),
        notes: Vec::new(),
    };
    if text == current || verdict(&text) == Verdict::Ok {
        out.text = text;
        out.codes = codes;
        return out;
    }
    let mut kept: Vec<(&'static str, Fix)> = Vec::new();
    for fix in fixes {
        kept.push(fix.clone());
        let (text, codes) = apply::apply_fixes(current, &kept);
        if codes.len() < kept.len() || text == out.text {
            // Overlaps an edit already kept: the next round picks it up.
            kept.pop();
            continue;
        }
        match verdict(&text) {
            Verdict::Ok => {
                out.text = text;
                out.codes = codes;
            }
            Verdict::Deferred => {
                kept.pop();
            }
            Verdict::Syntax(message) => {
                kept.pop();
                out.errors.push(format!(
                    "{}: a fix for {} produced invalid syntax ({message}); that fix is dropped (please report this)",
                    path.display(),
                    fix.0
                ));
            }
            Verdict::Names(why) => {
                kept.pop();
                out.notes.push(format!(
                    "{}: dropped the fix for {} (\"{}\"): {why}",
                    path.display(),
                    fix.0,
                    fix.1.message
                ));
            }
        }
    }
    out
}

#[derive(PartialEq, Eq)]
enum Verdict {
    Ok,
    Deferred,
    Syntax(String),
    Names(String),
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
pub fn group_fixes(
    diags: &[&Diagnostic],
    unsafe_fixes: bool,
    broken: &HashSet<PathBuf>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::diagnostic::Edit;

    fn fix(start: usize, end: usize, content: &str) -> (&'static str, Fix) {
        let edits = vec![Edit {
            start,
            end,
            content: content.to_string(),
        }];
        let message = format!("Write `{}`", content.trim());
        (
            "PF999",
            Fix {
                applicability: Applicability::Unsafe,
                message,
                edits,
                path: None,
            },
        )
    }

    #[test]
    fn fixes_that_pass_together_are_all_kept() {
        let text = "a = 1\nb = 2\n";
        let out = apply_checked(Path::new("m.py"), text, &[fix(0, 5, "a = 3"), fix(6, 11, "b = a")]);
        assert_eq!(out.text, "a = 3\nb = a\n");
        assert_eq!(out.codes.len(), 2);
        assert!(out.notes.is_empty() && out.errors.is_empty());
    }

    #[test]
    fn a_fix_the_name_check_rejects_is_dropped_with_a_note_and_the_rest_kept() {
        // The second fix reads `c`, which nothing binds.
        let text = "a = 1\nb = 2\n";
        let out = apply_checked(Path::new("m.py"), text, &[fix(0, 5, "a = 3"), fix(6, 11, "b = c")]);
        assert_eq!(out.text, "a = 3\nb = 2\n");
        assert_eq!(out.codes.len(), 1);
        assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
        assert!(
            out.notes[0].contains("`c` would be undefined (line 2)"),
            "{}",
            out.notes[0]
        );
        assert!(!out.notes[0].contains('\n'));
        assert!(out.errors.is_empty());
    }

    #[test]
    fn a_fix_that_breaks_the_syntax_is_dropped_as_an_internal_error() {
        let text = "def f():\n    return 1\n";
        let out = apply_checked(Path::new("m.py"), text, &[fix(13, 21, "return (")]);
        assert_eq!(out.text, text);
        assert!(out.codes.is_empty());
        assert_eq!(out.errors.len(), 1);
        assert!(out.errors[0].contains("invalid syntax"), "{}", out.errors[0]);
    }

    #[test]
    fn a_partial_made_before_its_arguments_exist_is_dropped() {
        let text = "def run():\n    def work(x):\n        return x + k\n    k = 2\n    return work\n";
        let hoisted = "import functools\n\n\ndef _work(k, x):\n    return x + k\n\n\n";
        let (start, end) = (text.find("    def work").unwrap(), text.find("    k = 2").unwrap());
        let mut f = fix(0, 0, hoisted);
        f.1.edits.push(Edit {
            start,
            end,
            content: "    work = functools.partial(_work, k)\n".to_string(),
        });
        let out = apply_checked(Path::new("m.py"), text, &[f]);
        assert_eq!(out.text, text);
        assert!(
            out.notes[0].contains("`k` would be read before it is assigned"),
            "{:?}",
            out.notes
        );
    }
}
