//! Fixer fixtures: every folder under `tests/fixtures/fixes/` holds `before/` (a small project,
//! optionally with a picklefix.toml) and `after/` (the exact expected result of
//! `picklefix fix --write --unsafe-fixes`). Files absent from `after/` must stay unchanged.
//! Fixing `after/` again must change nothing.
//!
//! A fixture may also hold `notes.txt`: every line must be said by the fix run, as a note on a
//! dropped fix or as the `help` of a finding left without one (a refusal says what to do by
//! hand); paths in notes are relative to the fixture. Without it, the run must drop no fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !root.is_dir() {
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn settings_for(dir: &Path) -> picklefix::config::settings::Settings {
    let config = dir.join("picklefix.toml");
    if config.is_file() {
        picklefix::config::settings::load(&config, &picklefix::rules::is_code_prefix).unwrap()
    } else {
        picklefix::config::settings::Settings::default()
    }
}

/// What a fix run said besides its edits: its notes, and the help of findings left unfixed.
type Said = Vec<String>;

/// Fix a copy of `src` in place and return the resulting tree.
fn fix_copy(src: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>, String> {
    fix_copy_said(src).map(|(tree, _)| tree)
}

fn fix_copy_said(src: &Path) -> Result<(BTreeMap<PathBuf, Vec<u8>>, Said), String> {
    let work = tempfile::tempdir().unwrap();
    for (rel, bytes) in tree(src) {
        let dest = work.path().join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
    let settings = settings_for(work.path());
    let outcome = picklefix::fix_paths(&[work.path().to_path_buf()], &settings, true).map_err(|e| e.to_string())?;
    if !outcome.errors.is_empty() {
        return Err(outcome.errors.join("\n"));
    }
    for (src, new) in &outcome.changes {
        picklefix::fix::write::write_fixed(src, new, false).map_err(|e| e.to_string())?;
    }
    let prefix = format!("{}/", work.path().display());
    let mut said: Said = outcome.notes.iter().map(|n| n.replace(&prefix, "")).collect();
    said.extend(outcome.remaining.iter().filter_map(|d| d.help.clone()));
    Ok((tree(work.path()), said))
}

#[test]
fn fixer_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fixes");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("before").is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no fixer fixtures under {}", root.display());
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let before = tree(&dir.join("before"));
        let mut want = before.clone();
        want.extend(tree(&dir.join("after")));
        let notes = std::fs::read_to_string(dir.join("notes.txt")).ok();
        match fix_copy_said(&dir.join("before")) {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok((got, said)) => {
                match &notes {
                    Some(notes) => {
                        for line in notes.lines().filter(|l| !l.trim().is_empty()) {
                            if !said.iter().any(|s| s.contains(line.trim())) {
                                failures.push(format!(
                                    "{name}: the run did not say `{}`; it said:\n{}",
                                    line.trim(),
                                    said.join("\n")
                                ));
                            }
                        }
                    }
                    None => {
                        let dropped: Vec<&String> =
                            said.iter().filter(|s| s.contains(": dropped the fix for")).collect();
                        if !dropped.is_empty() {
                            failures.push(format!("{name}: unexpected notes: {dropped:?}"));
                        }
                    }
                }
                for (rel, bytes) in &want {
                    if got.get(rel) != Some(bytes) {
                        let shown = got
                            .get(rel)
                            .map(|b| String::from_utf8_lossy(b).to_string())
                            .unwrap_or_default();
                        failures.push(format!("{name}: {} differs; got:\n{shown}", rel.display()));
                    }
                }
                // The expected result is a fixed point.
                let work = tempfile::tempdir().unwrap();
                for (rel, bytes) in &want {
                    let dest = work.path().join(rel);
                    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                    std::fs::write(dest, bytes).unwrap();
                }
                match fix_copy(work.path()) {
                    Ok(again) if again == want => {}
                    Ok(_) => failures.push(format!("{name}: fixing the expected result changes it again")),
                    Err(e) => failures.push(format!("{name}: fixing the expected result failed: {e}")),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixer fixtures failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
