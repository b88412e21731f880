//! Rule fixtures: every folder under `tests/fixtures/rules/` and `tests/fixtures/projects/` is a
//! small project whose Python files carry their own expectations:
//!
//! ```python
//! queue.put(job)  # error: PF101 Job.reader.fh
//! pool.map(work, items)  # ok: PF201
//! ```
//!
//! `# error: CODE [ATTRIBUTE_PATH]` on a line means exactly that finding is reported there, as
//! a manifest finding (shown by default); `# latent: CODE [ATTRIBUTE_PATH]` means it is reported
//! as a latent one (shown only with `include-latent`); `# ok: CODE` means no finding of that
//! code is, latent or not. Every finding must be announced by a marker. A `picklefix.toml` in
//! the folder configures the run (latent findings are always asked for).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use picklefix::config::settings::{self, Settings};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    path: String,
    line: usize,
    code: String,
    attribute_path: Option<String>,
    latent: bool,
}

fn markers(root: &Path) -> (BTreeSet<Expect>, BTreeSet<(String, usize, String)>) {
    let mut errors = BTreeSet::new();
    let mut oks = BTreeSet::new();
    for entry in walk(root) {
        let text = std::fs::read(&entry).expect("read fixture");
        let text = String::from_utf8_lossy(&text);
        let rel = entry.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        for (i, line) in text.lines().enumerate() {
            for (marker, kind) in [("# error: ", Some(false)), ("# latent: ", Some(true)), ("# ok: ", None)] {
                if let Some(at) = line.find(marker) {
                    let mut words = line[at + marker.len()..].split_whitespace();
                    let code = words.next().unwrap_or_default().to_string();
                    match kind {
                        Some(latent) => {
                            let attribute_path = words.next().map(str::to_string);
                            errors.insert(Expect {
                                path: rel.clone(),
                                line: i + 1,
                                code,
                                attribute_path,
                                latent,
                            });
                        }
                        None => {
                            oks.insert((rel.clone(), i + 1, code));
                        }
                    }
                }
            }
        }
    }
    (errors, oks)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|e| e == "py") {
            out.push(p);
        }
    }
    out
}

fn check_fixture(dir: &Path) -> Result<(), String> {
    let config = dir.join("picklefix.toml");
    let mut settings = if config.is_file() {
        settings::load(&config, &picklefix::rules::is_code_prefix).map_err(|e| e.to_string())?
    } else {
        Settings::default()
    };
    settings.include_latent = true;
    let report = picklefix::check_paths(&[dir.to_path_buf()], &settings, None).map_err(|e| e.to_string())?;
    let got: BTreeSet<Expect> = report
        .diagnostics
        .iter()
        .map(|d| Expect {
            path: d
                .path
                .strip_prefix(dir)
                .unwrap_or(&d.path)
                .to_string_lossy()
                .replace('\\', "/"),
            line: d.span.line,
            code: d.code.to_string(),
            attribute_path: d.attribute_path.clone(),
            latent: d.latent,
        })
        .collect();
    let (want, oks) = markers(dir);
    let mut problems = Vec::new();
    for w in &want {
        let hit = got.iter().any(|g| {
            g.path == w.path
                && g.line == w.line
                && g.code == w.code
                && g.latent == w.latent
                && (w.attribute_path.is_none() || g.attribute_path == w.attribute_path)
        });
        if !hit {
            let kind = if w.latent { "latent" } else { "manifest" };
            problems.push(format!(
                "missing {kind} {}:{} {} {:?}",
                w.path, w.line, w.code, w.attribute_path
            ));
        }
    }
    for g in &got {
        let announced = want
            .iter()
            .any(|w| w.path == g.path && w.line == g.line && w.code == g.code);
        if !announced {
            let kind = if g.latent { "latent" } else { "manifest" };
            problems.push(format!(
                "unexpected {kind} {}:{} {} {:?}",
                g.path, g.line, g.code, g.attribute_path
            ));
        }
        if oks.contains(&(g.path.clone(), g.line, g.code.clone())) {
            problems.push(format!("marked ok but reported {}:{} {}", g.path, g.line, g.code));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

fn run_all(folder: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    if !root.is_dir() {
        return;
    }
    let mut failures = Vec::new();
    let mut count = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        count += 1;
        if let Err(e) = check_fixture(&dir) {
            failures.push(format!("{}:\n  {e}", dir.display()));
        }
    }
    assert!(count > 0, "no fixtures under {}", root.display());
    assert!(
        failures.is_empty(),
        "{} of {count} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn rule_fixtures() {
    run_all("rules");
}

#[test]
fn project_fixtures() {
    run_all("projects");
}
