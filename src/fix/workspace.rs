//! What surrounds the files `fix --write` replaces: temporary files left beside them by runs
//! that were killed (named by `write`), and whether git holds uncommitted changes to them.
//! Uses `base` only.

use std::path::{Path, PathBuf};

/// Temporary files left by runs that were killed: `.NAME.picklefix-PID[-N][.inplace].tmp` in
/// `dirs` whose PID is no longer running. Returns what was removed or kept, to report.
pub fn clean_stale_temps(dirs: &[PathBuf]) -> Vec<String> {
    let mut dirs = dirs.to_vec();
    dirs.sort();
    dirs.dedup();
    let mut notes = Vec::new();
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(stale) = parse_temp_name(&name) else { continue };
            if stale.pid == std::process::id() || pid_alive(stale.pid) {
                continue;
            }
            if let Some(note) = clean_one(dir, &entry.path(), &stale) {
                notes.push(note);
            }
        }
    }
    notes
}

fn clean_one(dir: &Path, path: &Path, stale: &TempName) -> Option<String> {
    let is_file = path.symlink_metadata().is_ok_and(|m| m.is_file());
    if stale.in_place && is_file {
        let original = dir.join(&stale.original);
        // The in-place write may have finished before the kill; then the copy is not needed.
        if std::fs::read(path).ok() != std::fs::read(&original).ok() {
            return Some(format!(
                "kept {}: picklefix (PID {}) was stopped while writing {} in place; it holds the complete fixed text (compare, then move it over the file or delete it)",
                path.display(),
                stale.pid,
                original.display()
            ));
        }
    }
    match std::fs::remove_file(path) {
        Ok(()) => Some(format!(
            "removed {}, a temporary file left by an interrupted picklefix run (PID {})",
            path.display(),
            stale.pid
        )),
        Err(e) => Some(format!(
            "could not remove the stale temporary file {}: {e}",
            path.display()
        )),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct TempName {
    original: String,
    pid: u32,
    in_place: bool,
}

fn parse_temp_name(name: &str) -> Option<TempName> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (rest, in_place) = match rest.strip_suffix(".inplace") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let at = rest.rfind(".picklefix-")?;
    let (original, tail) = (&rest[..at], &rest[at + ".picklefix-".len()..]);
    let pid = tail.split('-').next()?;
    let counter_ok = tail[pid.len()..]
        .strip_prefix('-')
        .is_none_or(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if original.is_empty() || pid.is_empty() || !counter_ok {
        return None;
    }
    Some(TempName {
        original: original.to_string(),
        pid: pid.parse().ok()?,
        in_place,
    })
}

/// Is a process with this id running? (EPERM: yes, someone else's.)
#[cfg(unix)]
fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Without a cheap check, assume it runs: a temporary file is never removed by guesswork.
#[cfg(not(unix))]
fn pid_alive(_pid: u32) -> bool {
    true
}

/// Files with uncommitted changes in their git work tree (empty when not in git): one
/// `git status` per repository, whatever the number of files.
pub fn dirty_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut by_repo: std::collections::BTreeMap<PathBuf, Vec<(PathBuf, PathBuf)>> = Default::default();
    let mut roots: std::collections::HashMap<PathBuf, Option<PathBuf>> = Default::default();
    for p in paths {
        let Ok(abs) = std::fs::canonicalize(p) else { continue };
        let Some(dir) = abs.parent() else { continue };
        let root = roots
            .entry(dir.to_path_buf())
            .or_insert_with(|| work_tree_root(dir))
            .clone();
        if let Some(root) = root {
            by_repo.entry(root).or_default().push((p.clone(), abs));
        }
    }
    let mut dirty = Vec::new();
    for (root, files) in by_repo {
        let changed = git_changed(&root);
        dirty.extend(
            files
                .into_iter()
                .filter(|(_, abs)| changed.contains(abs))
                .map(|(p, _)| p),
        );
    }
    dirty
}

/// The nearest folder with a `.git` entry (a folder, or a file for worktrees and submodules).
fn work_tree_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

/// Every changed or untracked file of a work tree, as absolute paths.
fn git_changed(root: &Path) -> std::collections::HashSet<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["status", "--porcelain", "-z", "--no-renames", "--untracked-files=all"])
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        return Default::default();
    };
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    out.stdout
        .split(|&b| b == 0)
        .filter(|entry| entry.len() > 3)
        .map(|entry| root.join(String::from_utf8_lossy(&entry[3..]).as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_parse() {
        let t = parse_temp_name(".m.py.picklefix-123.tmp").unwrap();
        assert_eq!((t.original.as_str(), t.pid, t.in_place), ("m.py", 123, false));
        let t = parse_temp_name(".a.b.py.picklefix-7-2.inplace.tmp").unwrap();
        assert_eq!((t.original.as_str(), t.pid, t.in_place), ("a.b.py", 7, true));
        assert!(parse_temp_name(".m.py.picklefix-x.tmp").is_none());
        assert!(parse_temp_name("m.py.picklefix-1.tmp").is_none());
        assert!(parse_temp_name(".m.py.picklefix-1-.tmp").is_none());
    }
}
