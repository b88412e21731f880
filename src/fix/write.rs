//! Writing fixed files without losing anything: refuse a file that changed since it was read,
//! write the same encoding and BOM to a temporary file in the same folder, copy the
//! permissions, then rename over the original (atomic on POSIX; on Windows `rename` replaces
//! the file with MoveFileEx, and the permissions are its read-only flag). An interrupted write leaves
//! the old file or the new one, never a mix.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};
use crate::python::source::SourceFile;

/// Write `new_text` over `original`'s file.
pub fn write_fixed(original: &SourceFile, new_text: &str, backup: bool) -> Result<()> {
    let path = &original.path;
    let on_disk = std::fs::read(path).map_err(|e| Error::io(path, "re-read before writing", e))?;
    if on_disk != original.encode(original.text()) {
        return Err(Error::Usage(format!(
            "{}: the file changed since picklefix read it; not writing it (run again)",
            path.display()
        )));
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "read permissions of", e))?;
    // Ask the OS, not the mode bits: root may write a 0444 file, a user may not.
    if let Err(e) = std::fs::OpenOptions::new().append(true).open(path) {
        return Err(Error::io(path, "open for writing (the file is left as it was)", e));
    }
    let bytes = original.encode(new_text);
    if backup {
        let orig = backup_path(path);
        std::fs::write(&orig, &on_disk).map_err(|e| Error::io(&orig, "write backup", e))?;
    }
    replace_atomically(path, &bytes, &meta.permissions())
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".orig");
    path.with_file_name(name)
}

/// Write to `.NAME.picklefix-PID.tmp` next to the file, fsync, then rename over it.
pub fn replace_atomically(path: &Path, bytes: &[u8], permissions: &std::fs::Permissions) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.picklefix-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, "create temporary file", e))?;
        f.write_all(bytes)
            .map_err(|e| Error::io(&tmp, "write temporary file", e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, "flush temporary file", e))?;
        std::fs::set_permissions(&tmp, permissions.clone()).map_err(|e| Error::io(&tmp, "set permissions of", e))?;
        rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(not(test))]
fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| Error::io(to, "replace", e))
}

/// Tests make the rename fail on demand to prove the original survives.
#[cfg(test)]
fn rename(from: &Path, to: &Path) -> Result<()> {
    if to.to_string_lossy().contains("fail-rename") {
        return Err(Error::io(to, "replace", std::io::Error::other("injected failure")));
    }
    std::fs::rename(from, to).map_err(|e| Error::io(to, "replace", e))
}

/// Files with uncommitted changes in their git work tree (empty when not in git).
pub fn dirty_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirty = Vec::new();
    for p in paths {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let out = std::process::Command::new("git")
            .arg("status")
            .arg("--porcelain")
            .arg("--")
            .arg(&name)
            .current_dir(dir)
            .output();
        if let Ok(out) = out {
            if out.status.success() && !out.stdout.is_empty() {
                dirty.push(p.clone());
            }
        }
    }
    dirty
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &Path) -> SourceFile {
        SourceFile::read(path).unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn keeps_encoding_bom_and_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, b"\xEF\xBB\xBFx = 1\r\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o750)).unwrap();
        let src = source(&p);
        write_fixed(&src, "x = 2\r\n", false).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"\xEF\xBB\xBFx = 2\r\n");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o750);
    }

    #[test]
    fn latin1_is_written_back_as_latin1() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, b"# -*- coding: latin-1 -*-\ns = '\xe9'\n").unwrap();
        let src = source(&p);
        let new = src.text().replace("s = ", "t = ");
        write_fixed(&src, &new, true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"# -*- coding: latin-1 -*-\nt = '\xe9'\n");
        assert_eq!(
            std::fs::read(backup_path(&p)).unwrap(),
            b"# -*- coding: latin-1 -*-\ns = '\xe9'\n"
        );
    }

    #[test]
    fn failed_rename_leaves_the_original_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fail-rename.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        let src = source(&p);
        assert!(write_fixed(&src, "x = 2\n", false).is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 1\n");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn refuses_a_file_changed_since_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        let src = source(&p);
        std::fs::write(&p, "x = 3\n").unwrap();
        assert!(write_fixed(&src, "x = 2\n", false).is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 3\n");
    }
}
