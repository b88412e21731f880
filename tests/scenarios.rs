//! The 30 scenario projects in `../shared/scenarios`: run `picklefix check --format json .`
//! inside each `before/` and compare with `expected.json`, restricted to the families the
//! engine implements (PF1xx, PF2xx, PF3xx, PF4xx, PF5xx; PF0xx is ignored
//! ). Every hand-fixed `after/` must be free of those families. All mismatches are
//! collected and reported together.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_picklefix");

/// Families compared against expected.json.
const FAMILIES: &[&str] = &["PF1", "PF2", "PF3", "PF4", "PF5"];

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/scenarios")
}

fn scenario_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("read scenarios folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    let b = n.as_bytes();
                    b.len() > 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b'-'
                })
        })
        .collect();
    dirs.sort();
    dirs
}

fn in_families(code: &str) -> bool {
    FAMILIES.iter().any(|f| code.starts_with(f))
}

fn family_of_expected(f: &Value) -> String {
    f["family"].as_str().unwrap_or("").to_string()
}

fn expected_in_families(f: &Value) -> bool {
    let fam = family_of_expected(f);
    FAMILIES
        .iter()
        .any(|p| fam.starts_with(p) && fam.ends_with("xx") && fam.len() == 5)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Run the binary in `dir` and return the findings, or why it could not.
fn check(dir: &Path) -> Result<Vec<Value>, String> {
    let out = Command::new(BIN)
        .args(["check", "--format", "json", "--no-progress", "--quiet", "."])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .output()
        .map_err(|e| format!("cannot run picklefix: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("panicked") {
        return Err(format!("picklefix panicked: {}", stderr.trim()));
    }
    match out.status.code() {
        Some(0) | Some(1) => {}
        other => return Err(format!("exit {other:?}: {}", stderr.trim())),
    }
    match serde_json::from_str::<Value>(&stdout) {
        Ok(Value::Array(items)) => {
            let empty = items.is_empty();
            let code = out.status.code();
            if empty != (code == Some(0)) {
                return Err(format!("exit {code:?} does not agree with {} findings", items.len()));
            }
            Ok(items)
        }
        Ok(_) => Err("--format json did not print an array".into()),
        Err(e) => Err(format!("--format json did not print JSON: {e}")),
    }
}

fn short(f: &Value) -> String {
    let origin = if f["origin"].is_null() {
        "-".to_string()
    } else {
        format!(
            "{}:{}",
            f["origin"]["path"].as_str().unwrap_or("?"),
            f["origin"]["line"]
        )
    };
    format!(
        "{} {}:{} attribute_path={} origin={}",
        f.get("code")
            .or_else(|| f.get("family"))
            .and_then(Value::as_str)
            .unwrap_or("?"),
        f["path"].as_str().unwrap_or("?"),
        f["line"],
        f["attribute_path"],
        origin
    )
}

/// Does `got` match the expected finding `want` (path and line; attribute path and origin when
/// expected)? Returns the reasons it does not.
fn mismatch(want: &Value, got: &Value) -> Vec<String> {
    let mut why = Vec::new();
    if !want["attribute_path"].is_null() && want["attribute_path"] != got["attribute_path"] {
        why.push(format!(
            "attribute_path {} (expected {})",
            got["attribute_path"], want["attribute_path"]
        ));
    }
    if !want["origin"].is_null() {
        let same = got["origin"]["path"] == want["origin"]["path"] && got["origin"]["line"] == want["origin"]["line"];
        if !same {
            why.push(format!(
                "origin {} (expected {}:{})",
                if got["origin"].is_null() {
                    "null".to_string()
                } else {
                    format!(
                        "{}:{}",
                        got["origin"]["path"].as_str().unwrap_or("?"),
                        got["origin"]["line"]
                    )
                },
                want["origin"]["path"].as_str().unwrap_or("?"),
                want["origin"]["line"]
            ));
        }
    }
    why
}

/// Compare one scenario's before/ run with its expected.json; push mismatches.
fn compare_before(id: &str, kind: &str, expected: &[Value], got: &[Value], problems: &mut Vec<String>) {
    if kind == "negative" {
        for f in got {
            problems.push(format!("{id} (negative) before/: unexpected finding {}", short(f)));
        }
        return;
    }
    let want: Vec<&Value> = expected.iter().filter(|f| expected_in_families(f)).collect();
    let got: Vec<&Value> = got
        .iter()
        .filter(|f| f["code"].as_str().is_some_and(in_families))
        .collect();
    let mut used = vec![false; got.len()];
    for w in &want {
        let at_line: Vec<usize> = (0..got.len())
            .filter(|&i| !used[i] && got[i]["path"] == w["path"] && got[i]["line"] == w["line"])
            .collect();
        if at_line.is_empty() {
            problems.push(format!("{id} before/: expected finding not reported: {}", short(w)));
            continue;
        }
        match at_line.iter().find(|&&i| mismatch(w, got[i]).is_empty()) {
            Some(&i) => used[i] = true,
            None => {
                let i = at_line[0];
                used[i] = true;
                problems.push(format!(
                    "{id} before/: finding at {}:{} differs: {}; reported {}",
                    w["path"].as_str().unwrap_or("?"),
                    w["line"],
                    mismatch(w, got[i]).join(", "),
                    short(got[i])
                ));
            }
        }
    }
    for (i, f) in got.iter().enumerate() {
        if !used[i] {
            problems.push(format!("{id} before/: additional finding {}", short(f)));
        }
    }
}

#[test]
fn scenarios_match_expected_findings() {
    let root = scenarios_dir();
    if !root.is_dir() {
        common::skip(format_args!("scenarios folder {} not found", root.display()));
        return;
    }
    let dirs = scenario_dirs(&root);
    assert!(!dirs.is_empty(), "no scenarios under {}", root.display());
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let id = dir.file_name().unwrap().to_string_lossy().to_string();
        let meta = match read_json(&dir.join("meta.json")) {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("{id}: meta.json: {e}"));
                continue;
            }
        };
        let kind = meta["kind"].as_str().unwrap_or("positive").to_string();
        let expected = match read_json(&dir.join("expected.json")) {
            Ok(Value::Array(a)) => a,
            Ok(_) => {
                problems.push(format!("{id}: expected.json is not an array"));
                continue;
            }
            Err(e) => {
                problems.push(format!("{id}: expected.json: {e}"));
                continue;
            }
        };

        match check(&dir.join("before")) {
            Ok(got) => compare_before(&id, &kind, &expected, &got, &mut problems),
            Err(e) => problems.push(format!("{id} before/: {e}")),
        }

        match check(&dir.join("after")) {
            Ok(got) => {
                for f in got.iter().filter(|f| f["code"].as_str().is_some_and(in_families)) {
                    problems.push(format!("{id} after/ (hand-fixed): finding {}", short(f)));
                }
            }
            Err(e) => problems.push(format!("{id} after/: {e}")),
        }
        checked += 1;
    }
    eprintln!("checked {checked} scenarios, {} mismatches", problems.len());
    assert!(
        problems.is_empty(),
        "{} scenario mismatches:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn thirty_scenarios_are_present() {
    let root = scenarios_dir();
    if !root.is_dir() {
        common::skip(format_args!("scenarios folder {} not found", root.display()));
        return;
    }
    let dirs = scenario_dirs(&root);
    assert_eq!(dirs.len(), 30, "expected 30 scenarios, found {}: {dirs:?}", dirs.len());
    for d in &dirs {
        for part in ["before", "after", "expected.json", "meta.json"] {
            assert!(d.join(part).exists(), "{} lacks {part}", d.display());
        }
    }
}
