//! Writing fixed files without losing anything.
//!
//! A file is replaced only if it still holds exactly the bytes the edits were computed from:
//! they are compared when the write starts and again at the rename itself (on Linux the new file
//! is swapped in with `renameat2(RENAME_EXCHANGE)` and the file it displaced is compared; if
//! someone wrote in between, the swap is undone). The new text goes to a temporary file created
//! exclusively (never through a planted symlink) with the original's permissions and owner from
//! the start, is flushed, then renamed over the original. A symlink named on the command line is
//! written through to its target. A file with other hard links, or whose owner cannot be kept,
//! is written in place once a complete copy of the new text is flushed beside it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};
use crate::python::source::SourceFile;

/// What one write did, for the summary.
#[derive(Debug, Default)]
pub struct Written {
    /// The file whose bytes were replaced (the target when `path` is a symlink).
    pub target: PathBuf,
    pub backup: Option<PathBuf>,
    /// Written in place (hard links or an owner that a new file could not keep).
    pub in_place: bool,
}

/// Write `new_text` over `original`'s file, which must still hold what `original` was read from.
pub fn write_fixed(original: &SourceFile, new_text: &str, backup: bool) -> Result<Written> {
    replace_checked(
        &original.path,
        &original.encode(original.text()),
        &original.encode(new_text),
        backup,
    )
}

/// Replace the file at `path` (through a symlink) with `bytes` if it holds `expected`.
pub fn replace_checked(path: &Path, expected: &[u8], bytes: &[u8], backup: bool) -> Result<Written> {
    let target = write_target(path)?;
    let mut current = File::open(&target).map_err(|e| Error::io(&target, "open", e))?;
    let meta = current
        .metadata()
        .map_err(|e| Error::io(&target, "read metadata of", e))?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{}: not a regular file; not writing it",
            target.display()
        )));
    }
    if read_all(&mut current, &target)? != expected {
        return Err(changed(path));
    }
    // Ask the OS, not the mode bits: root may write a 0444 file, a user may not.
    if let Err(e) = std::fs::OpenOptions::new().append(true).open(&target) {
        return Err(Error::io(&target, "open for writing (the file is left as it was)", e));
    }
    let backup = match backup {
        true => Some(write_backup(&target, expected, &meta)?),
        false => None,
    };
    let in_place = must_write_in_place(&meta);
    let mut tmp = Temp::create(&target, &meta, in_place)?;
    let kept_owner = tmp.write(bytes)?;
    if !in_place && !kept_owner {
        // The owner could not be given to a new file: keep the original inode instead.
        drop(tmp);
        let mut tmp = Temp::create(&target, &meta, true)?;
        tmp.write(bytes)?;
        write_in_place(&target, path, &meta, expected, bytes, tmp)?;
        return Ok(Written {
            target,
            backup,
            in_place: true,
        });
    }
    if in_place {
        write_in_place(&target, path, &meta, expected, bytes, tmp)?;
    } else {
        swap_in(tmp, &target, path, expected)?;
    }
    sync_dir(&target);
    Ok(Written {
        target,
        backup,
        in_place,
    })
}

fn changed(path: &Path) -> Error {
    Error::Usage(format!(
        "{}: the file changed since picklefix read it; not writing it (your version is kept; run again)",
        path.display()
    ))
}

/// The file to write: a symlink is followed to its target, so the link stays a link.
fn write_target(path: &Path) -> Result<PathBuf> {
    let link = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, "read metadata of", e))?;
    if link.file_type().is_symlink() {
        std::fs::canonicalize(path).map_err(|e| Error::io(path, "follow the symlink", e))
    } else {
        Ok(path.to_path_buf())
    }
}

fn read_all(file: &mut File, path: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    file.rewind().map_err(|e| Error::io(path, "re-read", e))?;
    file.read_to_end(&mut buf).map_err(|e| Error::io(path, "re-read", e))?;
    Ok(buf)
}

/// A rename gives the path a new inode: other hard links would keep the old text, and a file
/// owned by someone else would become ours. Those files are written in place instead.
#[cfg(unix)]
fn must_write_in_place(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    meta.nlink() > 1 || (euid != 0 && meta.uid() != euid)
}

#[cfg(not(unix))]
fn must_write_in_place(_meta: &std::fs::Metadata) -> bool {
    false
}

/// A temporary file beside the target: `.NAME.picklefix-PID.tmp` (`.inplace.tmp` for the
/// flushed copy kept while a file is written in place). Removed on drop unless committed.
struct Temp {
    path: PathBuf,
    file: Option<File>,
    meta: std::fs::Metadata,
}

impl Temp {
    fn create(target: &Path, meta: &std::fs::Metadata, in_place: bool) -> Result<Temp> {
        let name = file_name(target);
        let kind = if in_place { ".inplace" } else { "" };
        let pid = std::process::id();
        let mut last_err = None;
        for attempt in 0..100 {
            let n = if attempt == 0 {
                String::new()
            } else {
                format!("-{attempt}")
            };
            let path = target.with_file_name(format!(".{name}.picklefix-{pid}{n}{kind}.tmp"));
            match create_exclusive(&path, meta) {
                Ok(file) => {
                    let _ = hook("temp-created", &path);
                    return Ok(Temp {
                        path,
                        file: Some(file),
                        meta: meta.clone(),
                    });
                }
                // A leftover or a planted file (or symlink) at that name: never reuse it.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some((path, e)),
                Err(e) => return Err(Error::io(path, "create temporary file", e)),
            }
        }
        let (path, e) = last_err.expect("the loop ran");
        Err(Error::io(path, "create temporary file", e))
    }

    /// Write and flush the bytes; returns whether the original's owner could be kept.
    fn write(&mut self, bytes: &[u8]) -> Result<bool> {
        let f = self.file.as_mut().expect("a temporary file is open until committed");
        if hook("write-temp", &self.path) {
            // A full disk, as tests inject it: half the bytes, then an error.
            let _ = f.write_all(&bytes[..bytes.len() / 2]);
            let e = std::io::Error::other("no space left on device (injected)");
            return Err(Error::io(&self.path, "write temporary file", e));
        }
        f.write_all(bytes)
            .map_err(|e| Error::io(&self.path, "write temporary file", e))?;
        let kept_owner = keep_owner(f, &self.meta);
        // After chown, which clears set-id bits.
        f.set_permissions(self.meta.permissions())
            .map_err(|e| Error::io(&self.path, "set permissions of", e))?;
        f.sync_all()
            .map_err(|e| Error::io(&self.path, "flush temporary file", e))?;
        Ok(kept_owner)
    }

    /// The file is gone (renamed) or no longer needed: do not remove anything on drop.
    fn forget(mut self) {
        self.file = None;
        self.path = PathBuf::new();
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// O_CREAT|O_EXCL (never follows a symlink at the name) with the original's mode from the
/// start, so the new file is at no moment readable by more people than the original.
#[cfg(unix)]
fn create_exclusive(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(meta.permissions().mode() & 0o777)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

#[cfg(not(unix))]
fn create_exclusive(path: &Path, _meta: &std::fs::Metadata) -> std::io::Result<File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// Give the new file the original's owner and group (root may; others keep theirs).
#[cfg(unix)]
fn keep_owner(file: &File, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let mine = file.metadata().map(|m| (m.uid(), m.gid())).unwrap_or_default();
    if mine == (meta.uid(), meta.gid()) {
        return true;
    }
    if std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).is_ok() {
        return true;
    }
    // Not root: the group may still be ours to give; the owner is then the caller.
    std::os::unix::fs::fchown(file, None, Some(meta.gid())).is_ok() && mine.0 == meta.uid()
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _meta: &std::fs::Metadata) -> bool {
    true
}

/// Replace `target` with the temporary file, checking the bytes it replaces.
fn swap_in(mut tmp: Temp, target: &Path, shown: &Path, expected: &[u8]) -> Result<()> {
    tmp.file = None;
    if std::fs::read(target).map_err(|e| Error::io(target, "re-read", e))? != expected {
        return Err(changed(shown));
    }
    if hook("before-rename", target) {
        return Err(Error::io(target, "replace", std::io::Error::other("injected failure")));
    }
    match exchange(&tmp.path, target) {
        Ok(()) => {
            // The temporary name now holds what the rename displaced: is it what we read?
            let displaced = std::fs::read(&tmp.path).map_err(|e| Error::io(&tmp.path, "re-read", e))?;
            if displaced == expected {
                return Ok(());
            }
            if exchange(&tmp.path, target).is_err() {
                let kept = tmp.path.clone();
                tmp.forget();
                return Err(Error::Usage(format!(
                    "{}: the file changed while picklefix replaced it; your version is in {} (move it back)",
                    shown.display(),
                    kept.display()
                )));
            }
            Err(changed(shown))
        }
        Err(e) if exchange_unsupported(&e) => {
            rename(&tmp.path, target)?;
            tmp.forget();
            Ok(())
        }
        Err(e) => Err(Error::io(target, "replace", e)),
    }
}

/// Swap two names atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths, relative to the working directory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The file system or kernel has no atomic exchange: a plain rename after the last comparison.
fn exchange_unsupported(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)) {
        return true;
    }
    e.kind() == std::io::ErrorKind::Unsupported
}

/// Overwrite the file's own inode (hard links and owner kept). The complete new text is already
/// flushed in `tmp`; it is removed once the file itself is flushed.
fn write_in_place(
    target: &Path,
    shown: &Path,
    meta: &std::fs::Metadata,
    expected: &[u8],
    bytes: &[u8],
    tmp: Temp,
) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(target)
        .map_err(|e| Error::io(target, "open for writing (the file is left as it was)", e))?;
    if !same_file(&f, meta) {
        return Err(changed(shown));
    }
    let _ = hook("before-rename", target);
    if read_all(&mut f, target)? != expected {
        return Err(changed(shown));
    }
    let result = (|| {
        f.rewind()?;
        f.write_all(bytes)?;
        f.set_len(bytes.len() as u64)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let kept = tmp.path.clone();
        tmp.forget();
        return Err(Error::Usage(format!(
            "{}: writing in place failed ({e}); the complete fixed text is in {} (the file may be cut short: move it over the file)",
            shown.display(),
            kept.display()
        )));
    }
    drop(tmp);
    Ok(())
}

#[cfg(unix)]
fn same_file(f: &File, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    f.metadata()
        .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
}

#[cfg(not(unix))]
fn same_file(_f: &File, _meta: &std::fs::Metadata) -> bool {
    true
}

/// Make the renames durable (best effort: some file systems cannot sync a folder).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// `NAME.orig`, or `NAME.orig.1`, `.2` … when it exists: a backup never replaces a file.
pub fn backup_candidates(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    (0..100).map(move |i| {
        let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".orig");
        if i > 0 {
            name.push(format!(".{i}"));
        }
        path.with_file_name(name)
    })
}

/// Write the backup atomically (temporary file, flush, then a link that fails if the name is
/// taken) under the first free name.
fn write_backup(target: &Path, bytes: &[u8], meta: &std::fs::Metadata) -> Result<PathBuf> {
    let first = backup_candidates(target).next().unwrap_or_default();
    let mut tmp = Temp::create(&first, meta, false)?;
    tmp.write(bytes)?;
    tmp.file = None;
    for candidate in backup_candidates(target) {
        match publish_new(&tmp.path, &candidate) {
            Ok(()) => {
                sync_dir(&candidate);
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(candidate, "write backup", e)),
        }
    }
    Err(Error::Usage(format!(
        "{}: {}.orig to .orig.99 all exist; not writing a backup (remove old ones)",
        target.display(),
        file_name(target)
    )))
}

/// Give the complete temporary file a name that must not exist yet.
fn publish_new(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(tmp, dest) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        // No hard links on this file system: check, then rename (a narrow race remains).
        Err(_) if dest.symlink_metadata().is_ok() => Err(std::io::ErrorKind::AlreadyExists.into()),
        Err(_) => std::fs::rename(tmp, dest),
    }
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| Error::io(to, "replace", e))
}

/// Test hooks at points of the write path (never in release builds): the integration tests
/// set `PICKLEFIX_TEST_EDIT=POINT` to append a line to the file there, as a user saving the
/// file at that moment would; unit tests register a closure, which returns true to make the
/// step fail.
pub fn hook(point: &str, path: &Path) -> bool {
    #[cfg(test)]
    if HOOK.with(|h| h.borrow().as_ref().is_some_and(|f| f(point, path))) {
        return true;
    }
    if cfg!(debug_assertions) && std::env::var("PICKLEFIX_TEST_EDIT").is_ok_and(|p| p == point) {
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {
            let _ = f.write_all(b"# edited while picklefix ran\n");
        }
    }
    false
}

#[cfg(test)]
type HookFn = Box<dyn Fn(&str, &Path) -> bool>;

#[cfg(test)]
thread_local! {
    static HOOK: std::cell::RefCell<Option<HookFn>> = const { std::cell::RefCell::new(None) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &Path) -> SourceFile {
        SourceFile::read(path).unwrap()
    }

    fn with_hook(f: impl Fn(&str, &Path) -> bool + 'static, body: impl FnOnce()) {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(f)));
        body();
        HOOK.with(|h| *h.borrow_mut() = None);
    }

    fn temp_files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
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
        let written = write_fixed(&src, &new, true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"# -*- coding: latin-1 -*-\nt = '\xe9'\n");
        assert_eq!(written.backup.as_deref(), Some(dir.path().join("m.py.orig").as_path()));
        assert_eq!(
            std::fs::read(dir.path().join("m.py.orig")).unwrap(),
            b"# -*- coding: latin-1 -*-\ns = '\xe9'\n"
        );
    }

    #[test]
    fn failed_rename_leaves_the_original_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        let src = source(&p);
        let mut result = None;
        with_hook(
            |point, _| point == "before-rename",
            || result = Some(write_fixed(&src, "x = 2\n", false)),
        );
        assert!(result.unwrap().is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 1\n");
        assert!(temp_files(dir.path()).is_empty());
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

    #[test]
    fn an_edit_at_the_moment_of_the_rename_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        let src = source(&p);
        let mut result = None;
        with_hook(
            |point, path| {
                if point == "before-rename" {
                    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
                    f.write_all(b"y = 9\n").unwrap();
                }
                false
            },
            || result = Some(write_fixed(&src, "x = 2\n", false)),
        );
        let err = result.unwrap().unwrap_err().to_string();
        assert!(err.contains("changed since picklefix read it"), "{err}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 1\ny = 9\n");
        assert!(temp_files(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_temp_file_has_the_original_mode_from_its_creation() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let src = source(&p);
        let seen = std::rc::Rc::new(std::cell::Cell::new(None));
        let s = seen.clone();
        with_hook(
            move |point, path| {
                if point == "temp-created" {
                    s.set(Some(std::fs::metadata(path).unwrap().permissions().mode() & 0o777));
                }
                false
            },
            || {
                write_fixed(&src, "x = 2\n", false).unwrap();
            },
        );
        assert_eq!(
            seen.get(),
            Some(0o600),
            "the temporary file was wider than the original"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_temp_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "secret\n").unwrap();
        let planted = dir.path().join(format!(".m.py.picklefix-{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let src = source(&p);
        write_fixed(&src, "x = 2\n", false).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "secret\n");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 2\n");
        assert!(!std::fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
        assert!(std::fs::symlink_metadata(&planted).unwrap().file_type().is_symlink());
    }

    #[test]
    fn a_backup_never_replaces_an_existing_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        std::fs::write(dir.path().join("m.py.orig"), "older backup\n").unwrap();
        let src = source(&p);
        let written = write_fixed(&src, "x = 2\n", true).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("m.py.orig")).unwrap(),
            "older backup\n"
        );
        assert_eq!(written.backup, Some(dir.path().join("m.py.orig.1")));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("m.py.orig.1")).unwrap(),
            "x = 1\n"
        );
        assert!(temp_files(dir.path()).is_empty());
    }

    #[test]
    fn a_failed_backup_leaves_no_partial_backup_and_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        let src = source(&p);
        let mut result = None;
        // The disk fills up halfway through the backup.
        let full = |point: &str, path: &Path| point == "write-temp" && path.to_string_lossy().contains(".orig.");
        with_hook(full, || result = Some(write_fixed(&src, "x = 2\n", true)));
        let err = result.unwrap().unwrap_err().to_string();
        assert!(err.contains("no space left"), "{err}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 1\n");
        assert!(!dir.path().join("m.py.orig").exists());
        assert!(temp_files(dir.path()).is_empty());
    }
}
