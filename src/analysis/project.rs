//! The project: every discovered file read, the relevant ones parsed. Parsing is demand-driven:
//! a cheap byte scan finds files that can reach a pickling sink, and only they, the files named
//! on the command line, and the project modules they import (transitively) are parsed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analysis::discover::Candidate;
use crate::base::diagnostic::{Diagnostic, Span};
use crate::config::catalog::Catalog;
use crate::python::parse::{self, ast, Suite};
use crate::python::source::{ReadError, SourceFile};

pub type ModId = usize;

pub struct ModuleFile {
    pub source: SourceFile,
    /// None when the file was not parsed (irrelevant) or did not parse.
    pub suite: Option<Suite>,
    /// Dotted module names this file answers to (package-based first).
    pub names: Vec<String>,
    pub is_package: bool,
    pub explicit: bool,
    /// The file's own text when `source` holds the Python 2 intake's rewrite of it.
    pub original: Option<String>,
    /// Project modules its imports name (set when it is parsed): the fix loop re-checks the
    /// importers of a file it changed.
    pub imports: Vec<ModId>,
    /// `source` holds the file's text. The text of a file that cannot reach a sink is let go
    /// as soon as it is scanned, and read again if an import brings the file into the analysis.
    loaded: bool,
}

impl ModuleFile {
    /// The parsed module body (None when the file was not parsed or did not parse).
    pub fn suite(&self) -> Option<&[ast::Stmt<'_>]> {
        self.suite.as_ref().map(Suite::suite)
    }

    pub fn name(&self) -> &str {
        self.names.first().map_or("", String::as_str)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub scanned: usize,
    pub parsed: usize,
    pub skipped: usize,
    /// Files that could not be read, decoded or parsed.
    pub failed: usize,
    /// Files parsed because they can reach a sink (or were named); the rest of `parsed` were
    /// imported by them.
    pub seeds: usize,
    pub lines: usize,
}

impl Stats {
    pub fn add(&mut self, other: Stats) {
        self.scanned += other.scanned;
        self.parsed += other.parsed;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.seeds += other.seeds;
        self.lines += other.lines;
    }
}

pub struct Project {
    pub modules: Vec<ModuleFile>,
    by_name: HashMap<String, ModId>,
    pub stats: Stats,
    /// A fix-loop round: only the explicit modules' findings are wanted, the rest of the
    /// project is context (see `Seeds::ExplicitOnly`).
    pub focused: bool,
}

/// Which files start the parse (the rest are parsed when these import them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeds {
    /// Files named on the command line and files that mention something that can pickle.
    Relevant,
    /// Only the candidates marked explicit (the fix loop's re-check of the files it changed
    /// and their importers), and the files that set a start method.
    ExplicitOnly,
}

/// Read every candidate, parse what matters. Files that cannot be read or parsed become
/// PF001/PF002 diagnostics and are left out of the analysis.
pub fn load(
    candidates: &[Candidate],
    catalog: &Catalog,
    diags: &mut Vec<Diagnostic>,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &HashMap<PathBuf, String>,
) -> Project {
    load_seeded(candidates, catalog, diags, progress, overrides, Seeds::Relevant)
}

/// `load`, choosing which files start the parse.
pub fn load_seeded(
    candidates: &[Candidate],
    catalog: &Catalog,
    diags: &mut Vec<Diagnostic>,
    progress: Option<&indicatif::ProgressBar>,
    overrides: &HashMap<PathBuf, String>,
    seeds: Seeds,
) -> Project {
    // A focused round still parses the files that set a start method: the method in force
    // at a sink depends on the code that imports its module, which the round must see as the
    // full check does.
    let triggers = if seeds == Seeds::Relevant {
        catalog.trigger_words()
    } else {
        start_method_words(catalog)
    };
    // Read and scan in one pass, letting go of each irrelevant text at once: holding every
    // file's text until all are scanned costs the size of the whole tree.
    let read: Vec<(Candidate, Result<Scanned, ReadError>)> = candidates
        .par_iter()
        .map(|c| {
            let r = read_source(&c.path, overrides).map(|mut source| {
                let seed = c.explicit || is_relevant(source.text(), &triggers);
                let lines = source.line_count();
                if !seed {
                    source.release_text();
                }
                Scanned { source, seed, lines }
            });
            if let Some(pb) = progress {
                pb.inc(1);
            }
            (c.clone(), r)
        })
        .collect();
    let mut modules = Vec::new();
    let mut wanted = Vec::new();
    let mut lines = 0;
    for (cand, result) in read {
        match result {
            Ok(scanned) => {
                let names = module_names(&cand.path, &cand.root);
                let is_package = cand.path.file_stem().is_some_and(|s| s == "__init__");
                if scanned.seed {
                    wanted.push(modules.len());
                }
                lines += scanned.lines;
                modules.push(ModuleFile {
                    source: scanned.source,
                    suite: None,
                    names,
                    is_package,
                    explicit: cand.explicit,
                    original: None,
                    imports: Vec::new(),
                    loaded: scanned.seed,
                });
            }
            Err(err) => diags.push(read_error(&cand.path, err)),
        }
    }
    let mut by_name = HashMap::new();
    for (id, m) in modules.iter().enumerate() {
        for n in &m.names {
            by_name.entry(n.clone()).or_insert(id);
        }
    }
    let unreadable = candidates.len() - modules.len();
    let mut project = Project {
        modules,
        by_name,
        stats: Stats::default(),
        focused: seeds == Seeds::ExplicitOnly,
    };
    project.stats.scanned = candidates.len();
    project.stats.lines = lines;
    let before = diags.len();
    project.stats.seeds = wanted.len();
    let tried = project.parse_closure(wanted, diags, overrides);
    // Files that failed to parse or to be read again (PF002, PF001); files the intake rewrote
    // did parse, and their PF002 carries the rewrite as a fix.
    let unparsable = diags[before..].iter().filter(|d| d.fix.is_none()).count();
    project.stats.parsed = project.modules.iter().filter(|m| m.suite.is_some()).count();
    project.stats.failed = unreadable + unparsable;
    project.stats.skipped = project
        .stats
        .scanned
        .saturating_sub(project.stats.parsed + project.stats.failed);
    project.modules.par_iter_mut().enumerate().for_each(|(id, m)| {
        if !tried.contains(&id) {
            m.source.release_text();
        } else if m.suite.is_some() {
            // Parsed: the analysis reads its tree, and the text of a few files only.
            m.source.pack();
        }
    });
    project
}

fn start_method_words(catalog: &Catalog) -> Vec<String> {
    let mut words: Vec<String> = catalog
        .start_method
        .setters
        .iter()
        .filter_map(|s| s.rsplit('.').next())
        .map(str::to_string)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// A file read and scanned: whether it can reach a sink (its text is kept only then).
struct Scanned {
    source: SourceFile,
    seed: bool,
    lines: usize,
}

/// Read a file, or take its text from `overrides` (the fix loop's rounds).
fn read_source(path: &Path, overrides: &HashMap<PathBuf, String>) -> Result<SourceFile, ReadError> {
    let src = SourceFile::read(path)?;
    Ok(match overrides.get(path) {
        Some(text) => SourceFile::from_text(src.path, text.clone(), src.encoding, src.bom),
        None => src,
    })
}

fn read_error(path: &Path, err: ReadError) -> Diagnostic {
    let (line, message) = match err {
        ReadError::Io(e) => (1, format!("cannot read the file: {e}")),
        ReadError::Decode(line, m) => (line, format!("cannot decode the file: {m}")),
    };
    Diagnostic::file_error("PF001", path.to_path_buf(), line, message)
}

/// Does the text mention anything that can pickle? Cheap: a few substring searches.
fn is_relevant(text: &str, triggers: &[String]) -> bool {
    triggers
        .iter()
        .any(|t| memchr::memmem::find(text.as_bytes(), t.as_bytes()).is_some())
}

impl Project {
    /// Parse `start` and, wave by wave, the project modules their imports name.
    /// Returns every module it tried to parse.
    fn parse_closure(
        &mut self,
        start: Vec<ModId>,
        diags: &mut Vec<Diagnostic>,
        overrides: &HashMap<PathBuf, String>,
    ) -> HashSet<ModId> {
        let mut done: HashSet<ModId> = HashSet::new();
        let mut wave = start;
        while !wave.is_empty() {
            wave.retain(|id| done.insert(*id));
            self.load_texts(&mut wave, diags, overrides);
            let results: Vec<(ModId, Parsed)> = wave
                .par_iter()
                .map(|&id| (id, parse_or_intake(&self.modules[id])))
                .collect();
            let mut next = Vec::new();
            for (id, result) in results {
                let result = match result {
                    Parsed::Python3(suite) => Ok(suite),
                    Parsed::Failed(err) => Err(err),
                    Parsed::Python2 {
                        suite,
                        text,
                        diagnostic,
                    } => {
                        diags.push(*diagnostic);
                        let m = &mut self.modules[id];
                        let rewritten =
                            SourceFile::from_text(m.source.path.clone(), text, m.source.encoding, m.source.bom);
                        m.original = Some(std::mem::replace(&mut m.source, rewritten).into_text());
                        Ok(suite)
                    }
                };
                match result {
                    Ok(suite) => {
                        let mut imports = Vec::new();
                        for name in imported_modules(&suite, &self.modules[id]) {
                            for candidate in self.import_targets(&name) {
                                if !done.contains(&candidate) {
                                    next.push(candidate);
                                }
                                imports.push(candidate);
                            }
                        }
                        imports.sort_unstable();
                        imports.dedup();
                        self.modules[id].imports = imports;
                        self.modules[id].suite = Some(suite);
                    }
                    Err(err) => diags.push(self.syntax_error(id, err)),
                }
            }
            next.sort_unstable();
            next.dedup();
            wave = next;
        }
        done
    }

    /// Read again the texts let go after the scan, for the modules of `wave` that need them;
    /// a file that can no longer be read is reported and left out.
    fn load_texts(&mut self, wave: &mut Vec<ModId>, diags: &mut Vec<Diagnostic>, overrides: &HashMap<PathBuf, String>) {
        let missing: Vec<(ModId, &Path)> = wave
            .iter()
            .filter(|&&id| !self.modules[id].loaded)
            .map(|&id| (id, self.modules[id].source.path.as_path()))
            .collect();
        let read: Vec<(ModId, Result<SourceFile, ReadError>)> = missing
            .par_iter()
            .map(|&(id, path)| (id, read_source(path, overrides)))
            .collect();
        for (id, result) in read {
            match result {
                Ok(source) => {
                    self.modules[id].source = source;
                    self.modules[id].loaded = true;
                }
                Err(err) => diags.push(read_error(&self.modules[id].source.path, err)),
            }
        }
        wave.retain(|&id| self.modules[id].loaded);
    }

    fn syntax_error(&self, id: ModId, err: parse::SyntaxError) -> Diagnostic {
        let source = &self.modules[id].source;
        let (line, column) = source.line_col(err.offset);
        let mut d = Diagnostic::file_error("PF002", source.path.clone(), line, err.message);
        d.span.column = column;
        d.span.end_column = column;
        d
    }

    /// Modules a dotted import may load: the module itself and its parent packages.
    fn import_targets(&self, name: &str) -> Vec<ModId> {
        let mut out = Vec::new();
        let mut current = name;
        loop {
            if let Some(&id) = self.by_name.get(current) {
                out.push(id);
            }
            match current.rfind('.') {
                Some(i) => current = &current[..i],
                None => break,
            }
        }
        out
    }

    pub fn module_by_name(&self, name: &str) -> Option<ModId> {
        self.by_name.get(name).copied()
    }

    /// Resolve a relative import (`from ..x import y`) against a module.
    pub fn resolve_relative(&self, from: ModId, level: usize, module: Option<&str>) -> String {
        resolve_relative(&self.modules[from], level, module)
    }
}

enum Parsed {
    Python3(Suite),
    /// Parsed after the Python 2 intake rewrote it: the suite, the rewritten text, and the
    /// PF002 finding whose fix is that rewrite.
    Python2 {
        suite: Suite,
        text: String,
        diagnostic: Box<Diagnostic>,
    },
    Failed(parse::SyntaxError),
}

/// Parse as Python 3; if that fails, try the Python 2 intake and parse its rewrite.
fn parse_or_intake(m: &ModuleFile) -> Parsed {
    let path = m.source.path.to_string_lossy();
    let err = match parse::parse_module(m.source.text(), &path) {
        Ok(suite) => return Parsed::Python3(suite),
        Err(e) => e,
    };
    let intake = match crate::python::py2::intake(m.source.text()) {
        Ok(i) if !i.edits.is_empty() => i,
        Ok(_) => return Parsed::Failed(err),
        Err(unsupported) => {
            return Parsed::Failed(parse::SyntaxError {
                offset: unsupported.offset,
                message: format!(
                    "Python 2 syntax: {} cannot be rewritten automatically; port it by hand",
                    unsupported.construct
                ),
            })
        }
    };
    let text = crate::python::py2::apply(m.source.text(), &intake.edits);
    let Ok(suite) = parse::parse_module(&text, &path) else {
        return Parsed::Failed(err);
    };
    let first = intake.edits.first().map_or(0, |e| e.start);
    let (line, column) = m.source.line_col(first);
    let what = intake.constructs.join(", ");
    let diagnostic = Diagnostic {
        code: "PF002",
        message: format!(
            "Python 2 syntax ({what}); analysed as rewritten by the Python 2 intake, which `picklefix fix` applies"
        ),
        path: m.source.path.clone(),
        span: Span {
            line,
            column,
            end_line: line,
            end_column: column,
        },
        attribute_path: None,
        origin: None,
        origin_text: None,
        sink: None,
        error: None,
        fix: Some(crate::base::diagnostic::Fix {
            applicability: crate::base::diagnostic::Applicability::Safe,
            message: format!("Rewrite the Python 2 syntax ({what})"),
            edits: intake.edits,
            path: Some(m.source.path.clone()),
        }),
        help: Some("run `picklefix fix` to rewrite it, then review the diff".into()),
        latent: false,
    };
    Parsed::Python2 {
        suite,
        text,
        diagnostic: Box::new(diagnostic),
    }
}

fn resolve_relative(m: &ModuleFile, level: usize, module: Option<&str>) -> String {
    if level == 0 {
        return module.unwrap_or_default().to_string();
    }
    let mut parts: Vec<&str> = m.name().split('.').collect();
    // A package's own name is its package; a module's package is its parent.
    let drop = if m.is_package { level - 1 } else { level };
    for _ in 0..drop.min(parts.len()) {
        parts.pop();
    }
    let mut base = parts.join(".");
    if let Some(rest) = module {
        if !base.is_empty() {
            base.push('.');
        }
        base.push_str(rest);
    }
    base
}

/// Every module an `import` statement anywhere in the file may load.
fn imported_modules(suite: &Suite, m: &ModuleFile) -> Vec<String> {
    struct Imports<'m> {
        m: &'m ModuleFile,
        out: Vec<String>,
    }
    impl<'a> parse::Visitor<'a> for Imports<'_> {
        fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
            match stmt {
                ast::Stmt::Import(i) => self.out.extend(i.names.iter().map(|a| a.name.to_string())),
                ast::Stmt::ImportFrom(f) => {
                    let level = f.level as usize;
                    let base = resolve_relative(self.m, level, f.module.as_deref());
                    for a in f.names {
                        self.out.push(format!("{base}.{}", a.name));
                    }
                    self.out.push(base);
                }
                _ => parse::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, _: &'a ast::Expr<'a>) {}
    }
    let mut v = Imports { m, out: Vec::new() };
    parse::walk_body(&mut v, suite.suite());
    v.out
}

/// `pkg/sub/mod.py` → `pkg.sub.mod` by walking up through `__init__.py` packages, plus the
/// name relative to the input root for namespace packages and `src/` layouts.
pub fn module_names(path: &Path, root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let stem = abs
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut parts: Vec<String> = if stem == "__init__" { vec![] } else { vec![stem] };
    let mut dir: Option<PathBuf> = abs.parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        if !d.join("__init__.py").is_file() {
            break;
        }
        if let Some(n) = d.file_name() {
            parts.push(n.to_string_lossy().to_string());
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    parts.reverse();
    if !parts.is_empty() {
        names.push(parts.join("."));
    }
    let abs_root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    if let Ok(rel) = abs.strip_prefix(&abs_root) {
        let mut rel_parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().to_string()).collect();
        if let Some(last) = rel_parts.pop() {
            let stem = last.trim_end_matches(".pyw").trim_end_matches(".py").to_string();
            if stem != "__init__" {
                rel_parts.push(stem);
            }
        }
        if rel_parts.first().is_some_and(|p| p == "src") && rel_parts.len() > 1 {
            rel_parts.remove(0);
        }
        let rel_name = rel_parts.join(".");
        if !rel_name.is_empty() && !names.contains(&rel_name) {
            names.push(rel_name);
        }
    }
    names
}
