//! Discovery: the Python files under the given paths, .gitignore-aware, in a stable order.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::base::error::{Error, Result};
use crate::config::settings::Settings;

/// A file to check, and whether the user named it explicitly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub explicit: bool,
    /// The input directory it was found under (for module names in namespace packages).
    pub root: PathBuf,
}

/// Problems that do not stop discovery: reported as PF001 for that path.
#[derive(Debug)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// Folders never walked into unless named on the command line (the same list as ruff's
/// default `exclude`): version control, virtualenvs, installed packages, build output, caches.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
];

pub fn discover(paths: &[PathBuf], settings: &Settings) -> Result<(Vec<Candidate>, Vec<WalkError>)> {
    let base = settings
        .config_path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let include = globs(&settings.include, settings)?;
    let exclude = globs(&settings.exclude, settings)?;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_file() {
            if is_python_file(path) || has_python_shebang(path) {
                let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
                found.push(Candidate {
                    path: path.clone(),
                    explicit: true,
                    root,
                });
            }
            continue;
        }
        if !path.exists() {
            return Err(Error::io(
                path,
                "read path",
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
        let mut walker = ignore::WalkBuilder::new(path);
        walker
            .follow_links(false)
            .git_ignore(settings.respect_gitignore)
            .git_global(settings.respect_gitignore)
            .git_exclude(settings.respect_gitignore)
            .ignore(settings.respect_gitignore)
            .require_git(false)
            .hidden(true)
            .sort_by_file_name(|a, b| a.cmp(b));
        let named = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        walker.filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            let excluded = is_dir && e.file_name().to_str().is_some_and(|n| DEFAULT_EXCLUDE.contains(&n));
            !excluded || std::path::absolute(e.path()).is_ok_and(|p| p == named)
        });
        for entry in walker.build() {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    errors.push(WalkError {
                        path: path.clone(),
                        message: err.to_string(),
                    });
                    continue;
                }
            };
            let p = entry.path();
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if !is_file || !is_python_file(p) {
                continue;
            }
            let rel = relative_to(p, &base);
            if exclude.as_ref().is_some_and(|g| matches(g, p, &rel)) {
                continue;
            }
            if include.as_ref().is_some_and(|g| !matches(g, p, &rel)) {
                continue;
            }
            found.push(Candidate {
                path: p.to_path_buf(),
                explicit: false,
                root: path.clone(),
            });
        }
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    Ok((found, errors))
}

/// For files named on the command line: the other modules of their package (found by walking
/// up through `__init__.py` folders), so their imports can be followed. Not explicit: they are
/// parsed only when imported.
pub fn package_siblings(candidates: &[Candidate], settings: &Settings) -> Result<Vec<Candidate>> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for c in candidates.iter().filter(|c| c.explicit) {
        let Some(mut dir) = std::path::absolute(&c.path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        else {
            continue;
        };
        if !dir.join("__init__.py").is_file() {
            continue;
        }
        while dir.parent().is_some_and(|p| p.join("__init__.py").is_file()) {
            dir = dir.parent().map(Path::to_path_buf).unwrap_or(dir);
        }
        let top = dir.parent().map(Path::to_path_buf).unwrap_or(dir.clone());
        let rel = relative_to_cwd(&dir);
        if !roots.contains(&rel) {
            roots.push(rel);
        }
        let _ = top;
    }
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let (found, _) = discover(&roots, settings)?;
    let named: Vec<PathBuf> = candidates
        .iter()
        .filter(|c| c.explicit)
        .filter_map(|c| std::path::absolute(&c.path).ok())
        .collect();
    Ok(found
        .into_iter()
        .filter(|c| std::path::absolute(&c.path).is_ok_and(|a| !named.contains(&a)))
        .map(|mut c| {
            c.explicit = false;
            c.root = c.root.parent().map(Path::to_path_buf).unwrap_or_default();
            c
        })
        .collect())
}

fn relative_to_cwd(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        })
        .unwrap_or_else(|_| path.to_path_buf())
}

fn matches(set: &GlobSet, path: &Path, rel: &Path) -> bool {
    set.is_match(rel) || set.is_match(path) || path.ancestors().any(|a| a.file_name().is_some_and(|n| set.is_match(n)))
}

fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    abs.strip_prefix(&base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

fn globs(patterns: &[String], settings: &Settings) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| Error::Config {
            path: settings.config_path.clone().unwrap_or_default(),
            line: 1,
            message: format!("bad glob `{p}`: {e}"),
        })?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| Error::Usage(e.to_string()))
}

pub fn is_python_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "py" || e == "pyw")
}

fn has_python_shebang(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 128];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let first = head[..n].split(|&b| b == b'\n').next().unwrap_or_default();
    first.starts_with(b"#!") && String::from_utf8_lossy(first).contains("python")
}
