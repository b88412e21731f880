//! Discovery: the Python files under the given paths, .gitignore-aware, in a stable order.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::base::error::{Error, Result};
use crate::config::resolver::Resolver;

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

/// The Python files under `paths`. Every file is filtered with the `include`/`exclude` of its
/// nearest config file, and a folder with those of the config above it (ruff's rule), so a
/// file is in or out whatever path the run started from. Named files are always checked,
/// unless `--force-exclude` and their config excludes them.
pub fn discover(paths: &[PathBuf], resolver: &Arc<Resolver>) -> Result<(Vec<Candidate>, Vec<WalkError>)> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_file() {
            if (is_python_file(path) || has_python_shebang(path)) && !force_excluded(path, resolver)? {
                let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
                found.push(Candidate {
                    path: path.clone(),
                    explicit: true,
                    root,
                });
            }
            continue;
        }
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_dir() {
                // A FIFO would block the read forever; a device is not source either.
                return Err(Error::Usage(format!(
                    "{}: not a regular file or directory ({}); picklefix reads only regular files",
                    path.display(),
                    file_kind(&meta)
                )));
            }
        }
        if !path.exists() {
            return Err(Error::io(
                path,
                "read path",
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
        walk(path, resolver, &mut found, &mut errors)?;
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    Ok((found, errors))
}

/// Walk one folder named on the command line (or a project root, for context).
fn walk(path: &Path, resolver: &Arc<Resolver>, found: &mut Vec<Candidate>, errors: &mut Vec<WalkError>) -> Result<()> {
    let top = resolver.for_dir(path)?;
    let mut walker = ignore::WalkBuilder::new(path);
    walker
        .follow_links(false)
        .git_ignore(top.respect_gitignore)
        .git_global(top.respect_gitignore)
        .git_exclude(top.respect_gitignore)
        .ignore(top.respect_gitignore)
        .require_git(false)
        .hidden(true)
        .sort_by_file_name(|a, b| a.cmp(b));
    let named = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let failure: Arc<Mutex<Option<Error>>> = Arc::new(Mutex::new(None));
    let (filter_resolver, filter_failure) = (resolver.clone(), failure.clone());
    walker.filter_entry(move |e| {
        if !e.file_type().is_some_and(|t| t.is_dir()) {
            return true;
        }
        let is_named = std::path::absolute(e.path()).is_ok_and(|p| p == named);
        if is_named {
            return true;
        }
        let default_excluded = e.file_name().to_str().is_some_and(|n| DEFAULT_EXCLUDE.contains(&n));
        // A folder is judged by the config above it: its own config cannot exclude it.
        let parent = e.path().parent().unwrap_or(Path::new("."));
        match filter_resolver.for_dir(parent) {
            Ok(s) => !default_excluded && !s.exclude.matches(e.path()),
            Err(err) => {
                if let Ok(mut f) = filter_failure.lock() {
                    f.get_or_insert(err);
                }
                false
            }
        }
    });
    for entry in walker.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                errors.push(WalkError {
                    path: path.to_path_buf(),
                    message: err.to_string(),
                });
                continue;
            }
        };
        let p = entry.path();
        if !entry.file_type().is_some_and(|t| t.is_file()) || !is_python_file(p) {
            continue;
        }
        let s = resolver.for_file(p)?;
        if s.exclude.matches(p) || (!s.include.is_empty() && !s.include.matches(p)) {
            continue;
        }
        found.push(Candidate {
            path: p.to_path_buf(),
            explicit: false,
            root: path.to_path_buf(),
        });
    }
    if let Some(err) = failure.lock().ok().and_then(|mut f| f.take()) {
        return Err(err);
    }
    if top.respect_gitignore {
        add_tracked(path, resolver, found)?;
    }
    Ok(())
}

/// Files git tracks are source even where a `.gitignore` pattern matches them (git never
/// ignores a tracked file: a pattern `tool` meant for a built binary at the root also matches
/// the package `python/tool/`). Add the tracked Python files under `path` the walk left out,
/// unless a default-excluded or hidden folder, or the config, excludes them.
fn add_tracked(path: &Path, resolver: &Arc<Resolver>, found: &mut Vec<Candidate>) -> Result<()> {
    let Some(tracked) = git_tracked_python(path) else {
        return Ok(());
    };
    let known: std::collections::HashSet<PathBuf> = found.iter().map(|c| c.path.clone()).collect();
    for rel in tracked {
        let skipped_folder = rel.parent().into_iter().flat_map(Path::components).any(|c| {
            c.as_os_str()
                .to_str()
                .is_some_and(|n| n.starts_with('.') || DEFAULT_EXCLUDE.contains(&n))
        });
        let p = path.join(&rel);
        if skipped_folder || known.contains(&p) || !p.is_file() {
            continue;
        }
        let excluded_folder = p
            .ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(path) && *a != path)
            .try_fold(false, |acc, dir| -> Result<bool> {
                let parent = dir.parent().unwrap_or(path);
                Ok(acc || resolver.for_dir(parent)?.exclude.matches(dir))
            })?;
        let s = resolver.for_file(&p)?;
        if excluded_folder || s.exclude.matches(&p) || (!s.include.is_empty() && !s.include.matches(&p)) {
            continue;
        }
        found.push(Candidate {
            path: p,
            explicit: false,
            root: path.to_path_buf(),
        });
    }
    Ok(())
}

/// The `.py` files git tracks under `dir`, relative to it; None outside a work tree or
/// without git.
fn git_tracked_python(dir: &Path) -> Option<Vec<PathBuf>> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "-z", "--cached", "--", "*.py"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.split('\0').filter(|s| !s.is_empty()).map(PathBuf::from).collect())
}

/// `--force-exclude`: is a named file excluded by its config, or inside a folder the walk
/// would skip (checked up to the folder of that config, or the current one)?
fn force_excluded(path: &Path, resolver: &Arc<Resolver>) -> Result<bool> {
    if !resolver.start().overrides.force_exclude {
        return Ok(false);
    }
    let s = resolver.for_file(path)?;
    if s.exclude.matches(path) {
        return Ok(true);
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let stop = s
        .config_path
        .as_ref()
        .and_then(|c| std::path::absolute(c).ok())
        .and_then(|c| c.parent().map(Path::to_path_buf))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let Ok(rel) = abs.strip_prefix(&stop) else {
        return Ok(false);
    };
    let folders = rel.parent().into_iter().flat_map(Path::ancestors);
    for dir in folders.filter(|d| !d.as_os_str().is_empty()) {
        let full = stop.join(dir);
        let default_excluded = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| DEFAULT_EXCLUDE.contains(&n));
        let parent = full.parent().unwrap_or(&stop);
        if default_excluded || resolver.for_dir(parent)?.exclude.matches(&full) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The files that mark a project's root folder (the nearest one above a named file).
pub const PROJECT_MARKERS: &[&str] = &["pyproject.toml", "setup.py", "setup.cfg", ".git"];

pub fn project_root(file: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(file).ok()?;
    abs.ancestors()
        .skip(1)
        .find(|d| PROJECT_MARKERS.iter().any(|m| d.join(m).exists()))
        .map(Path::to_path_buf)
}

/// Files named on the command line are analysed with their project: every file `check ROOT`
/// would read (the nearest folder with a `pyproject.toml`, `setup.py`, `setup.cfg` or `.git`),
/// so that `check changed.py` finds on that file what `check .` finds. The named files take
/// the root as theirs (module names as in `check ROOT`); the rest are context, whose own
/// findings are not reported. A named file that `check ROOT` would skip (ignored, excluded),
/// or that has no root, gets the modules of its package instead.
pub fn project_context(candidates: &mut [Candidate], resolver: &Arc<Resolver>) -> Result<Vec<Candidate>> {
    let mut roots: Vec<(PathBuf, Vec<usize>)> = Vec::new();
    let mut orphans: Vec<usize> = Vec::new();
    for (i, c) in candidates.iter().enumerate().filter(|(_, c)| c.explicit) {
        match project_root(&c.path) {
            Some(root) => match roots.iter_mut().find(|(r, _)| *r == root) {
                Some((_, list)) => list.push(i),
                None => roots.push((root, vec![i])),
            },
            None => orphans.push(i),
        }
    }
    let present: std::collections::HashSet<PathBuf> = candidates
        .iter()
        .filter_map(|c| std::path::absolute(&c.path).ok())
        .collect();
    let mut context: Vec<Candidate> = Vec::new();
    for (root, named) in roots {
        let shown_root = relative_to_cwd(&root);
        let mut found = Vec::new();
        walk(&shown_root, resolver, &mut found, &mut Vec::new())?;
        let walked: std::collections::HashSet<PathBuf> =
            found.iter().filter_map(|c| std::path::absolute(&c.path).ok()).collect();
        let mut any = false;
        for i in named {
            if std::path::absolute(&candidates[i].path).is_ok_and(|a| walked.contains(&a)) {
                candidates[i].root = shown_root.clone();
                any = true;
            } else {
                orphans.push(i);
            }
        }
        if any {
            context.extend(
                found
                    .into_iter()
                    .filter(|c| std::path::absolute(&c.path).is_ok_and(|a| !present.contains(&a))),
            );
        }
    }
    if !orphans.is_empty() {
        let named: Vec<Candidate> = orphans.iter().map(|&i| candidates[i].clone()).collect();
        context.extend(package_siblings(&named, resolver)?);
    }
    context.sort();
    context.dedup_by(|a, b| a.path == b.path);
    Ok(context)
}

/// For files named on the command line: the other modules of their package (found by walking
/// up through `__init__.py` folders), so their imports can be followed. Not explicit: they are
/// parsed only when imported.
fn package_siblings(candidates: &[Candidate], resolver: &Arc<Resolver>) -> Result<Vec<Candidate>> {
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
        let rel = relative_to_cwd(&dir);
        if !roots.contains(&rel) {
            roots.push(rel);
        }
    }
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let (found, _) = discover(&roots, resolver)?;
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

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
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
