//! Glob patterns from config files (`include`, `exclude`, `extend-exclude`, the keys of
//! `per-file-ignores`), each kept with the folder of the file that wrote it.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Glob patterns from a config file, each relative to the folder of the file that wrote it.
/// A pattern matches a path relative to that folder, or the name of the file or of any folder
/// above it below that folder (`build` skips every `build/`).
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    sets: Vec<PatternSet>,
}

#[derive(Debug, Clone)]
struct PatternSet {
    base: PathBuf,
    globs: Vec<Glob>,
    set: GlobSet,
    /// From `extend-exclude`: survives a later `exclude`.
    extended: bool,
}

impl Patterns {
    pub fn is_empty(&self) -> bool {
        self.sets.iter().all(|s| s.globs.is_empty())
    }

    pub fn push(&mut self, glob: &str, base: &Path) -> std::result::Result<(), globset::Error> {
        let compiled = Glob::new(glob)?;
        let index = match self.sets.iter().position(|s| s.base == base && !s.extended) {
            Some(i) => i,
            None => {
                self.sets.push(PatternSet {
                    base: base.to_path_buf(),
                    globs: Vec::new(),
                    set: GlobSet::empty(),
                    extended: false,
                });
                self.sets.len() - 1
            }
        };
        let entry = &mut self.sets[index];
        entry.globs.push(compiled);
        let mut builder = GlobSetBuilder::new();
        for g in &entry.globs {
            builder.add(g.clone());
        }
        entry.set = builder.build()?;
        Ok(())
    }

    pub(crate) fn extend(&mut self, other: Patterns) {
        self.sets.extend(other.sets);
    }

    pub(crate) fn into_extended(mut self) -> Patterns {
        for s in &mut self.sets {
            s.extended = true;
        }
        self
    }

    pub(crate) fn retain_extended(&mut self) {
        self.sets.retain(|s| s.extended);
    }

    pub fn matches(&self, path: &Path) -> bool {
        if self.sets.is_empty() {
            return false;
        }
        let abs = normalize(path);
        self.sets.iter().any(|s| {
            let rel = abs.strip_prefix(&s.base).unwrap_or(path);
            s.set.is_match(rel)
                || s.set.is_match(&abs)
                || rel
                    .ancestors()
                    .any(|a| a.file_name().is_some_and(|n| s.set.is_match(n)))
        })
    }
}

/// An absolute path without `.` and `..` components (lexically, as `extend = "../x.toml"`
/// means), so paths from different config files compare.
pub fn normalize(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for part in abs.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
