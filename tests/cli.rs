//! Command-line integration tests: every test builds a small Python project in a temporary
//! directory and drives the real `picklefix` binary over it, checking exit codes, output
//! formats, configuration discovery, suppression comments, source encodings and hostile inputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_picklefix");

/// The result of one run of the binary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from_output(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Parse stdout as the JSON array `--format json` prints.
    fn json(&self) -> Vec<Value> {
        match serde_json::from_str::<Value>(&self.stdout) {
            Ok(Value::Array(items)) => items,
            Ok(other) => panic!("--format json did not print an array: {other}\n{}", self.describe()),
            Err(e) => panic!("--format json did not print JSON ({e})\n{}", self.describe()),
        }
    }

    fn describe(&self) -> String {
        format!(
            "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    fn assert_code(&self, expected: i32) {
        assert_eq!(self.code, Some(expected), "unexpected exit status\n{}", self.describe());
    }

    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "picklefix panicked\n{}",
            self.describe()
        );
        assert!(
            matches!(self.code, Some(0..=2)),
            "picklefix did not exit with 0, 1 or 2 (killed by a signal or crashed?)\n{}",
            self.describe()
        );
    }
}

/// A command for the binary, running in `dir`, with an environment that does not depend on
/// the caller's (no colour override, no CI detection).
fn cmd(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env_remove("FORCE_COLOR")
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let out = cmd(dir).args(args).output().expect("failed to start picklefix");
    Run::from_output(out)
}

/// `picklefix check --format json --no-progress ARGS...` and the parsed findings.
fn check_json(dir: &Path, args: &[&str]) -> (Run, Vec<Value>) {
    let mut all = vec!["check", "--format", "json", "--no-progress"];
    all.extend_from_slice(args);
    let r = run(dir, &all);
    r.assert_no_panic();
    let findings = if r.code == Some(2) { Vec::new() } else { r.json() };
    (r, findings)
}

fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, content).unwrap();
    path
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("picklefix-cli-").tempdir().unwrap()
}

const READER_PY: &str = "class Reader:\n    def __init__(self, path):\n        self.fh = open(path)\n";
const MAIN_PY: &str = "import multiprocessing\nfrom pkg.reader import Reader\n\ndef main(q):\n    q.put(Reader(\"x.txt\"))\n\nif __name__ == \"__main__\":\n    main(multiprocessing.Queue())\n";

/// The minimal positive project: one PF101 at pkg/main.py:5, `Reader.fh`, origin pkg/reader.py:3.
fn positive_project(dir: &Path) {
    write(dir, "pkg/__init__.py", "");
    write(dir, "pkg/reader.py", READER_PY);
    write(dir, "pkg/main.py", MAIN_PY);
}

/// A clean project: the same shape, but the reader keeps a path, not an open file.
fn clean_project(dir: &Path) {
    write(dir, "pkg/__init__.py", "");
    write(
        dir,
        "pkg/reader.py",
        "class Reader:\n    def __init__(self, path):\n        self.path = path\n",
    );
    write(dir, "pkg/main.py", MAIN_PY);
}

/// A self-contained positive module. Returns its text and the 1-based lines of the sink
/// (`q.put(...)`) and of the origin (`open(...)`), counted after `header_lines` header lines.
fn single_file_positive(header: &str) -> (String, usize, usize) {
    let header_lines = header.lines().count();
    let body = "import multiprocessing\n\n\nclass Reader:\n    def __init__(self, path):\n        self.fh = open(path)\n\n\ndef main(q):\n    q.put(Reader(\"x.txt\"))\n\n\nif __name__ == \"__main__\":\n    main(multiprocessing.Queue())\n";
    (format!("{header}{body}"), header_lines + 10, header_lines + 6)
}

fn codes(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn find<'a>(findings: &'a [Value], code: &str, path: &str) -> Option<&'a Value> {
    findings.iter().find(|f| f["code"] == code && f["path"] == path)
}

/// Assert the one PF101 finding of the minimal positive project is among `findings`.
fn assert_positive_finding(findings: &[Value], path: &str, line: u64, origin_path: &str, origin_line: u64) {
    let f = findings
        .iter()
        .find(|f| f["code"] == "PF101" && f["path"] == path && f["line"] == line)
        .unwrap_or_else(|| {
            panic!(
                "no PF101 at {path}:{line}; findings: {}",
                serde_json::to_string_pretty(findings).unwrap()
            )
        });
    assert_eq!(f["attribute_path"], "Reader.fh", "{f}");
    assert_eq!(f["origin"]["path"], origin_path, "{f}");
    assert_eq!(f["origin"]["line"], origin_line, "{f}");
}

// ---------------------------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------------------------

#[test]
fn exit_0_on_clean_project() {
    let dir = tempdir();
    clean_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress"]);
    r.assert_no_panic();
    r.assert_code(0);
    assert_eq!(r.stdout.trim(), "", "a clean run prints no findings\n{}", r.describe());
}

#[test]
fn exit_1_on_findings_with_the_expected_finding() {
    let dir = tempdir();
    positive_project(dir.path());
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    assert_eq!(findings.len(), 1, "exactly one finding expected\n{}", r.describe());
    assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
    let f = &findings[0];
    assert_eq!(f["column"], 5);
    assert_eq!(f["sink"]["path"], "pkg/main.py");
    assert_eq!(f["sink"]["line"], 5);
    assert!(f["sink"]["call"].as_str().is_some_and(|c| c.contains("put")), "{f}");
}

#[test]
fn default_path_is_current_directory() {
    let dir = tempdir();
    positive_project(dir.path());
    let (r, findings) = check_json(dir.path(), &[]);
    r.assert_code(1);
    assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
}

#[test]
fn exit_2_on_bad_flag_values() {
    let dir = tempdir();
    positive_project(dir.path());
    let cases: &[&[&str]] = &[
        &["check", "--format", "xml", "."],
        &["check", "--start-method", "thread", "."],
        &["check", "--target-version", "4.7", "."],
        &["check", "--target-version", "banana", "."],
        // Versions whose pickling behaviour was never measured are refused, not guessed.
        &["check", "--target-version", "2.6", "."],
        &["check", "--target-version", "3.5", "."],
        &["check", "--target-version", "3.99", "."],
        &["check", "--select", "XY1", "."],
        &["check", "--ignore", "PF999", "."],
        &["check", "--no-such-flag", "."],
        &["frobnicate"],
    ];
    for args in cases {
        let r = run(dir.path(), args);
        r.assert_no_panic();
        assert_eq!(r.code, Some(2), "{args:?} must be a usage error\n{}", r.describe());
        assert!(
            !r.stderr.trim().is_empty(),
            "{args:?}: a usage error must say why\n{}",
            r.describe()
        );
        assert!(
            r.stdout.trim().is_empty() || !r.stdout.contains("PF101"),
            "{args:?}: no findings on a usage error\n{}",
            r.describe()
        );
    }
    // The message names what is allowed.
    let r = run(dir.path(), &["check", "--start-method", "thread", "."]);
    assert!(
        r.stderr.contains("thread") && r.stderr.contains("spawn") && r.stderr.contains("fork"),
        "{}",
        r.describe()
    );
    let r = run(dir.path(), &["check", "--target-version", "4.7", "."]);
    assert!(r.stderr.contains("4.7"), "{}", r.describe());
    let r = run(dir.path(), &["check", "--target-version", "3.5", "."]);
    assert!(
        r.stderr.contains("3.5")
            && r.stderr
                .contains("allowed: 2.7, 3.6, 3.7, 3.8, 3.9, 3.10, 3.11, 3.12, 3.13, 3.14"),
        "{}",
        r.describe()
    );
}

#[test]
fn exit_2_on_nonexistent_path() {
    let dir = tempdir();
    positive_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "does/not/exist"]);
    r.assert_no_panic();
    r.assert_code(2);
    assert!(
        r.stderr.contains("does/not/exist"),
        "the error must name the path\n{}",
        r.describe()
    );
    // Also when mixed with a good path.
    let r = run(dir.path(), &["check", "--no-progress", "pkg", "missing.py"]);
    r.assert_no_panic();
    r.assert_code(2);
    assert!(r.stderr.contains("missing.py"), "{}", r.describe());
}

#[test]
fn exit_2_on_bad_config_syntax() {
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "picklefix.toml", "select = [\"PF1\"\nignore = \n");
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_no_panic();
    r.assert_code(2);
    assert!(
        r.stderr.contains("picklefix.toml"),
        "the error must name the config file\n{}",
        r.describe()
    );
}

#[test]
fn exit_2_on_missing_config_flag_file() {
    let dir = tempdir();
    positive_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "--config", "nope.toml", "."]);
    r.assert_no_panic();
    r.assert_code(2);
    assert!(r.stderr.contains("nope.toml"), "{}", r.describe());
}

// ---------------------------------------------------------------------------------------------
// JSON output
// ---------------------------------------------------------------------------------------------

/// A project with several findings in several files, for ordering tests.
fn multi_finding_project(dir: &Path) {
    positive_project(dir);
    let (text, _, _) = single_file_positive("");
    write(dir, "alpha/job.py", &text);
    write(dir, "zeta/job.py", &text);
    write(
        dir,
        "pkg/pool.py",
        "import multiprocessing\n\n\ndef crawl(urls):\n    n = 3\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(lambda u: u * n, urls)\n",
    );
}

#[test]
fn json_findings_have_every_documented_field() {
    let dir = tempdir();
    multi_finding_project(dir.path());
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    assert!(findings.len() >= 3, "{}", r.describe());
    for f in &findings {
        let obj = f.as_object().unwrap_or_else(|| panic!("finding is not an object: {f}"));
        for key in [
            "code",
            "message",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "attribute_path",
            "origin",
            "sink",
            "fix",
        ] {
            assert!(obj.contains_key(key), "finding lacks `{key}`: {f}");
        }
        assert!(
            f["code"].as_str().is_some_and(|c| c.starts_with("PF") && c.len() == 5),
            "{f}"
        );
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
        assert!(
            f["path"]
                .as_str()
                .is_some_and(|p| !p.is_empty() && !p.contains('\\') && !p.starts_with("./")),
            "{f}"
        );
        for key in ["line", "column", "end_line", "end_column"] {
            assert!(
                f[key].as_u64().is_some_and(|n| n >= 1),
                "`{key}` must be a 1-based number: {f}"
            );
        }
        let (l, c, el, ec) = (
            f["line"].as_u64().unwrap(),
            f["column"].as_u64().unwrap(),
            f["end_line"].as_u64().unwrap(),
            f["end_column"].as_u64().unwrap(),
        );
        assert!((el, ec) >= (l, c), "end before start: {f}");
        assert!(f["attribute_path"].is_null() || f["attribute_path"].is_string(), "{f}");
        if !f["origin"].is_null() {
            assert!(f["origin"]["path"].is_string(), "{f}");
            assert!(f["origin"]["line"].as_u64().is_some_and(|n| n >= 1), "{f}");
        }
        if !f["sink"].is_null() {
            assert!(f["sink"]["path"].is_string(), "{f}");
            assert!(f["sink"]["line"].as_u64().is_some_and(|n| n >= 1), "{f}");
            assert!(f["sink"]["call"].as_str().is_some_and(|c| !c.is_empty()), "{f}");
        }
        if !f["fix"].is_null() {
            assert!(f["fix"]["applicability"].is_string(), "{f}");
            assert!(f["fix"]["message"].is_string(), "{f}");
            assert!(f["fix"]["edits"].is_array(), "{f}");
        }
    }
    // The three single-sink files are all reported.
    assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
    assert_positive_finding(&findings, "alpha/job.py", 10, "alpha/job.py", 6);
    assert_positive_finding(&findings, "zeta/job.py", 10, "zeta/job.py", 6);
    let lambda = findings
        .iter()
        .find(|f| f["path"] == "pkg/pool.py")
        .unwrap_or_else(|| panic!("lambda to Pool.map not reported\n{}", r.describe()));
    assert_eq!(lambda["code"], "PF201", "{lambda}");
    assert_eq!(lambda["line"], 7, "{lambda}");
}

#[test]
fn json_output_is_one_array_in_stable_sorted_order() {
    let dir = tempdir();
    multi_finding_project(dir.path());
    let first = run(dir.path(), &["check", "--format", "json", "--no-progress", "."]);
    let second = run(dir.path(), &["check", "--format", "json", "--no-progress", "."]);
    first.assert_code(1);
    second.assert_code(1);
    assert_eq!(first.stdout, second.stdout, "two runs gave different JSON");
    let findings = first.json();
    let keys: Vec<(String, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "findings are not sorted by path, line, column");
    // Naming the paths in another order gives the same output.
    let reordered = run(
        dir.path(),
        &["check", "--format", "json", "--no-progress", "zeta", "pkg", "alpha"],
    );
    reordered.assert_code(1);
    assert_eq!(
        first.stdout, reordered.stdout,
        "the order of the paths on the command line changed the output"
    );
}

#[test]
fn json_clean_run_is_empty_array() {
    let dir = tempdir();
    clean_project(dir.path());
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(0);
    assert!(findings.is_empty(), "{}", r.describe());
}

// ---------------------------------------------------------------------------------------------
// Text output and summary
// ---------------------------------------------------------------------------------------------

#[test]
fn text_output_has_location_code_frame_and_notes_without_colour() {
    let dir = tempdir();
    positive_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_no_panic();
    r.assert_code(1);
    let out = &r.stdout;
    assert!(
        out.contains("pkg/main.py:5:5: PF101"),
        "no `path:line:col: CODE` header\n{}",
        r.describe()
    );
    assert!(out.contains("Reader.fh"), "{}", r.describe());
    // Code frame: the source line with its number, and a caret underline.
    assert!(
        out.lines()
            .any(|l| l.starts_with("5 |") && l.contains("q.put(Reader(\"x.txt\"))")),
        "no code frame\n{}",
        r.describe()
    );
    assert!(
        out.lines().any(|l| l.trim_start().starts_with('|') && l.contains('^')),
        "no caret line\n{}",
        r.describe()
    );
    // Notes: where the value is created.
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("= note:") && l.contains("pkg/reader.py:3")),
        "no origin note\n{}",
        r.describe()
    );
    assert!(
        !out.contains('\x1b'),
        "ANSI escapes in output that is not a terminal\n{}",
        r.describe()
    );
    assert!(
        !r.stderr.contains('\x1b'),
        "ANSI escapes on stderr that is not a terminal\n{}",
        r.describe()
    );
}

#[test]
fn summary_line_on_stderr() {
    let dir = tempdir();
    positive_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_code(1);
    assert!(
        r.stderr.contains("1 finding in 1 file"),
        "no summary on stderr\n{}",
        r.describe()
    );
    assert!(
        !r.stdout.contains("1 finding in 1 file"),
        "the summary belongs on stderr\n{}",
        r.describe()
    );

    let dir = tempdir();
    multi_finding_project(dir.path());
    let (r, findings) = check_json(dir.path(), &["."]);
    let files: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let want = format!("{} findings in {} files", findings.len(), files.len());
    assert!(
        r.stderr.contains(&want),
        "expected `{want}` on stderr\n{}",
        r.describe()
    );

    let dir = tempdir();
    clean_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_code(0);
    assert!(
        r.stderr.contains("0 findings in 0 files"),
        "no summary for a clean run\n{}",
        r.describe()
    );
}

#[test]
fn quiet_suppresses_summary() {
    let dir = tempdir();
    positive_project(dir.path());
    for flag in ["--quiet", "-q"] {
        let r = run(dir.path(), &["check", flag, "."]);
        r.assert_no_panic();
        r.assert_code(1);
        assert!(
            r.stdout.contains("PF101"),
            "--quiet still prints findings\n{}",
            r.describe()
        );
        assert!(
            !r.stderr.contains("finding"),
            "{flag} must suppress the summary\n{}",
            r.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn config_discovery_for_each_file_kind() {
    let cases: &[(&str, &str)] = &[
        ("picklefix.toml", "ignore = [\"PF101\"]\n"),
        (".picklefix.toml", "ignore = [\"PF101\"]\n"),
        (
            "pyproject.toml",
            "[project]\nname = \"demo\"\n\n[tool.picklefix]\nignore = [\"PF101\"]\n",
        ),
    ];
    let (solo, _, _) = single_file_positive("");
    for (name, text) in cases {
        let dir = tempdir();
        positive_project(dir.path());
        write(dir.path(), "pkg/solo.py", &solo);
        // Without the config every path below has a finding.
        for path in [".", "pkg", "pkg/solo.py"] {
            let r = run(dir.path(), &["check", "--no-progress", path]);
            assert_eq!(
                r.code,
                Some(1),
                "baseline without config (path {path})\n{}",
                r.describe()
            );
        }
        write(dir.path(), name, text);
        // From the project root, from a sub-directory and for a single file: the config above is found.
        for path in [".", "pkg", "pkg/solo.py"] {
            let r = run(dir.path(), &["check", "--no-progress", path]);
            r.assert_no_panic();
            assert_eq!(
                r.code,
                Some(0),
                "{name} with ignore = [PF101] must silence the finding (path {path})\n{}",
                r.describe()
            );
        }
        // Also when run from inside the sub-directory (walking up).
        let r = run(&dir.path().join("pkg"), &["check", "--no-progress", "solo.py"]);
        assert_eq!(
            r.code,
            Some(0),
            "{name}: config above the working directory not found\n{}",
            r.describe()
        );
    }
}

#[test]
fn pyproject_without_tool_section_is_not_a_config() {
    let dir = tempdir();
    positive_project(dir.path());
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nname = \"demo\"\n\n[tool.black]\nline-length = 100\n",
    );
    // A picklefix.toml further up would be found; none here, so defaults apply.
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_no_panic();
    r.assert_code(1);
}

#[test]
fn nested_config_wins_for_files_under_it() {
    let (sub_text, sub_line, _) = single_file_positive("");
    // Root ignores PF101, the nested config does not: only the nested file is reported.
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "picklefix.toml", "ignore = [\"PF101\"]\n");
    write(dir.path(), "sub/picklefix.toml", "ignore = []\n");
    write(dir.path(), "sub/job.py", &sub_text);

    let (r, findings) = check_json(dir.path(), &["sub"]);
    r.assert_code(1);
    assert_positive_finding(&findings, "sub/job.py", sub_line as u64, "sub/job.py", 6);

    let (r, findings) = check_json(dir.path(), &["."]);
    assert!(
        find(&findings, "PF101", "pkg/main.py").is_none(),
        "root config ignores PF101 for pkg/\n{}",
        r.describe()
    );
    assert!(
        find(&findings, "PF101", "sub/job.py").is_some(),
        "`check .`: sub/picklefix.toml (ignore = []) must win for sub/job.py over the root config\n{}",
        r.describe()
    );
    r.assert_code(1);

    // The other way round: the nested config silences, the root one does not.
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "picklefix.toml", "select = [\"PF\"]\n");
    write(dir.path(), "sub/picklefix.toml", "ignore = [\"PF1\"]\n");
    write(dir.path(), "sub/job.py", &sub_text);
    let (r, findings) = check_json(dir.path(), &["sub"]);
    assert!(findings.is_empty(), "sub/picklefix.toml ignores PF1\n{}", r.describe());
    r.assert_code(0);
    let (r, findings) = check_json(dir.path(), &["."]);
    assert!(find(&findings, "PF101", "pkg/main.py").is_some(), "{}", r.describe());
    assert!(
        find(&findings, "PF101", "sub/job.py").is_none(),
        "`check .`: sub/picklefix.toml (ignore = [PF1]) must win for sub/job.py\n{}",
        r.describe()
    );
}

#[test]
fn config_flag_overrides_discovery() {
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "picklefix.toml", "ignore = [\"PF101\"]\n");
    write(dir.path(), "alt/strict.toml", "select = [\"PF\"]\n");
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_code(0);
    let r = run(
        dir.path(),
        &["check", "--no-progress", "--config", "alt/strict.toml", "."],
    );
    r.assert_no_panic();
    assert_eq!(
        r.code,
        Some(1),
        "--config must replace the discovered picklefix.toml\n{}",
        r.describe()
    );
    // And the other way: --config with an ignore silences a project without a config.
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "cfg/quiet.toml", "ignore = [\"PF1\"]\n");
    let r = run(
        dir.path(),
        &["check", "--no-progress", "--config", "cfg/quiet.toml", "."],
    );
    assert_eq!(r.code, Some(0), "{}", r.describe());
}

#[test]
fn flags_override_config_ignore() {
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "picklefix.toml", "ignore = [\"PF101\"]\n");
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_no_panic();
    assert_eq!(
        r.code,
        Some(0),
        "ignore = [PF101] in the config must silence PF101\n{}",
        r.describe()
    );
    let (r, findings) = check_json(dir.path(), &["--select", "PF101", "."]);
    assert_eq!(
        r.code,
        Some(1),
        "--select PF101 on the command line must restore PF101 ignored by the config\n{}",
        r.describe()
    );
    assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
}

#[test]
fn flags_select_and_ignore_without_config() {
    let dir = tempdir();
    positive_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "--ignore", "PF101", "."]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let r = run(dir.path(), &["check", "--no-progress", "--ignore", "PF1", "."]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let r = run(dir.path(), &["check", "--no-progress", "--select", "PF2,PF3", "."]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let r = run(dir.path(), &["check", "--no-progress", "--select", "PF1", "."]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    let r = run(dir.path(), &["check", "--no-progress", "--select", "ALL", "."]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
}

/// `Process(target=w.run)` where `w` holds an open file: pickled under spawn, not under fork.
fn bound_method_project(dir: &Path) {
    write(dir, "app/__init__.py", "");
    write(
        dir,
        "app/main.py",
        "import multiprocessing\n\n\nclass Worker:\n    def __init__(self, path):\n        self.out = open(path, \"w\")\n\n    def run(self):\n        self.out.write(\"hi\")\n\n\ndef main():\n    w = Worker(\"out.txt\")\n    p = multiprocessing.Process(target=w.run)\n    p.start()\n    p.join()\n\n\nif __name__ == \"__main__\":\n    main()\n",
    );
}

#[test]
fn start_method_from_config_and_flags() {
    let dir = tempdir();
    bound_method_project(dir.path());
    // Default (auto = spawn semantics): reported at the Process(...) call.
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    assert!(
        findings
            .iter()
            .any(|f| f["path"] == "app/main.py" && f["line"] == 14 && f["attribute_path"] == "Worker.out"),
        "Process(target=w.run) with an open file on w must be reported under spawn\n{}",
        r.describe()
    );
    let (r, _) = check_json(dir.path(), &["--start-method", "spawn", "."]);
    r.assert_code(1);
    let (r, _) = check_json(dir.path(), &["--start-method", "forkserver", "."]);
    r.assert_code(1);
    let (r, findings) = check_json(dir.path(), &["--start-method", "fork", "."]);
    assert!(
        findings.is_empty(),
        "fork does not pickle Process targets\n{}",
        r.describe()
    );
    r.assert_code(0);

    // start-method = "fork" in the config silences it; the flag overrides the config again.
    write(dir.path(), "picklefix.toml", "start-method = \"fork\"\n");
    let (r, findings) = check_json(dir.path(), &["."]);
    assert!(
        findings.is_empty(),
        "start-method = \"fork\" in picklefix.toml must silence the Process target finding\n{}",
        r.describe()
    );
    r.assert_code(0);
    let (r, _) = check_json(dir.path(), &["--start-method", "spawn", "."]);
    assert_eq!(
        r.code,
        Some(1),
        "--start-method spawn must override the config's fork\n{}",
        r.describe()
    );

    // The same through pyproject.toml.
    std::fs::remove_file(dir.path().join("picklefix.toml")).unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.picklefix]\nstart-method = \"fork\"\n",
    );
    let (r, _) = check_json(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
}

#[test]
fn target_version_flag_is_accepted() {
    let dir = tempdir();
    positive_project(dir.path());
    for v in ["2.7", "3.6", "3.11", "3.13", "3.14"] {
        let r = run(dir.path(), &["check", "--no-progress", "--target-version", v, "."]);
        r.assert_no_panic();
        assert_ne!(
            r.code,
            Some(2),
            "--target-version {v} must be accepted\n{}",
            r.describe()
        );
    }
}

/// Run a check with `config_name` holding `text`; expect exit 2 with the file, line, key and
/// the allowed values named on stderr.
fn assert_config_error(config_name: &str, text: &str, line: usize, key: &str, allowed: &[&str]) {
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), config_name, text);
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_no_panic();
    assert_eq!(
        r.code,
        Some(2),
        "{config_name}: {text:?} must be a configuration error\n{}",
        r.describe()
    );
    let err = &r.stderr;
    assert!(
        err.contains(config_name),
        "the error must name the file `{config_name}`\n{}",
        r.describe()
    );
    assert!(
        err.contains(&format!("{config_name}:{line}")),
        "the error must name line {line} as `{config_name}:{line}`\n{}",
        r.describe()
    );
    assert!(
        err.contains(key),
        "the error must name the key `{key}`\n{}",
        r.describe()
    );
    assert!(
        err.contains("allowed"),
        "the error must list what is allowed\n{}",
        r.describe()
    );
    for a in allowed {
        assert!(
            err.contains(a),
            "the error must list `{a}` as allowed\n{}",
            r.describe()
        );
    }
}

#[test]
fn unknown_config_keys_are_errors() {
    assert_config_error(
        "picklefix.toml",
        "select = [\"PF\"]\nstart-methd = \"spawn\"\n",
        2,
        "start-methd",
        &["start-method", "select", "ignore"],
    );
    assert_config_error(
        ".picklefix.toml",
        "\n\n\nfrobnicate = true\n",
        4,
        "frobnicate",
        &["start-method", "target-version"],
    );
    assert_config_error(
        "pyproject.toml",
        "[project]\nname = \"demo\"\n\n[tool.picklefix]\nselect = [\"PF\"]\nignor = [\"PF101\"]\n",
        6,
        "ignor",
        &["ignore", "select"],
    );
    assert_config_error(
        "picklefix.toml",
        "[fix]\nhandle-strategi = \"lazy\"\n",
        2,
        "handle-strategi",
        &["handle-strategy"],
    );
    assert_config_error(
        "picklefix.toml",
        "[verify]\ncommand = []\ntimeot = 5\n",
        3,
        "timeot",
        &["timeout", "command"],
    );
}

#[test]
fn bad_config_values_are_errors() {
    assert_config_error(
        "picklefix.toml",
        "\n\nstart-method = \"thread\"\n",
        3,
        "start-method",
        &["fork", "spawn", "forkserver"],
    );
    assert_config_error(
        "picklefix.toml",
        "target-version = \"4.2\"\n",
        1,
        "target-version",
        &["2.7", "3.14"],
    );
    assert_config_error(
        "picklefix.toml",
        "select = [\"PF\"]\ntarget-version = \"3.5\"\n",
        2,
        "target-version",
        &["2.7", "3.6", "3.14"],
    );
    assert_config_error(
        "pyproject.toml",
        "[tool.picklefix]\nstart-method = \"threads\"\n",
        2,
        "start-method",
        &["fork", "spawn"],
    );
    assert_config_error(
        "picklefix.toml",
        "[fix]\nhandle-strategy = \"eager\"\n",
        2,
        "handle-strategy",
        &["auto", "lazy", "getstate"],
    );
}

#[test]
fn bad_config_value_types_are_errors() {
    for (text, key) in [
        ("select = \"PF1\"\n", "select"),
        ("ignore = [\"XX1\"]\n", "ignore"),
        ("respect-gitignore = \"yes\"\n", "respect-gitignore"),
        ("start-method = 3\n", "start-method"),
    ] {
        let dir = tempdir();
        positive_project(dir.path());
        write(dir.path(), "picklefix.toml", text);
        let r = run(dir.path(), &["check", "--no-progress", "."]);
        r.assert_no_panic();
        assert_eq!(
            r.code,
            Some(2),
            "{text:?} must be a configuration error\n{}",
            r.describe()
        );
        assert!(
            r.stderr.contains("picklefix.toml:1") && r.stderr.contains(key),
            "{text:?}\n{}",
            r.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Source encodings
// ---------------------------------------------------------------------------------------------

#[test]
fn latin1_file_with_coding_cookie_is_analysed() {
    let dir = tempdir();
    // Line 2 holds a latin-1 byte (0xE9, `é`) that is not valid UTF-8.
    let (text, sink, origin) = single_file_positive("# -*- coding: latin-1 -*-\n# caf\u{e9} r\u{e9}sum\u{e9}\n");
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(c as u32).expect("latin-1 text"))
        .collect();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must not be valid UTF-8"
    );
    write(dir.path(), "legacy.py", &bytes);
    let (r, findings) = check_json(dir.path(), &["."]);
    assert!(
        !codes(&findings).iter().any(|c| c == "PF001"),
        "a latin-1 file with a cookie must decode\n{}",
        r.describe()
    );
    r.assert_code(1);
    assert_positive_finding(&findings, "legacy.py", sink as u64, "legacy.py", origin as u64);
    assert_eq!(sink, 12);
    // The text renderer shows the decoded line.
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    assert!(r.stdout.contains("legacy.py:12:5: PF101"), "{}", r.describe());
}

#[test]
fn utf8_bom_file_is_analysed() {
    let dir = tempdir();
    let (text, sink, origin) = single_file_positive("# h\u{e9}llo w\u{f6}rld\n");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    write(dir.path(), "bom.py", &bytes);
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    assert_positive_finding(&findings, "bom.py", sink as u64, "bom.py", origin as u64);
    let f = find(&findings, "PF101", "bom.py").unwrap();
    assert_eq!(f["column"], 5, "the BOM must not shift columns: {f}");
}

#[test]
fn crlf_file_is_analysed() {
    let dir = tempdir();
    let (text, sink, origin) = single_file_positive("# windows line endings\n");
    write(dir.path(), "win.py", text.replace('\n', "\r\n"));
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    assert_positive_finding(&findings, "win.py", sink as u64, "win.py", origin as u64);
    let f = find(&findings, "PF101", "win.py").unwrap();
    assert_eq!(f["column"], 5, "{f}");
    assert_eq!(f["end_line"], sink as u64, "{f}");
    // The code frame does not print a carriage return.
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    assert!(
        !r.stdout.contains('\r'),
        "carriage return in the text output\n{:?}",
        r.stdout
    );
}

#[test]
fn python2_file_is_pf002_and_rest_is_analysed() {
    let dir = tempdir();
    positive_project(dir.path());
    write(
        dir.path(),
        "pkg/old.py",
        "import multiprocessing\n\n\ndef hello(q):\n    print \"hello\"\n    q.put(1)\n",
    );
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    let pf002 = find(&findings, "PF002", "pkg/old.py")
        .unwrap_or_else(|| panic!("no PF002 for the Python 2 file\n{}", r.describe()));
    assert_eq!(pf002["line"], 5, "{pf002}");
    assert!(
        pf002["message"].as_str().unwrap().contains("print"),
        "PF002 must name the `print` statement: {pf002}"
    );
    assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
}

#[test]
fn invalid_utf8_file_is_pf001_and_rest_is_analysed() {
    let dir = tempdir();
    positive_project(dir.path());
    write(
        dir.path(),
        "pkg/broken.py",
        b"import multiprocessing\nx = '\xc3\x28 \xff'\n".as_slice(),
    );
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    let pf001 = find(&findings, "PF001", "pkg/broken.py")
        .unwrap_or_else(|| panic!("no PF001 for the invalid UTF-8 file\n{}", r.describe()));
    assert_eq!(
        pf001["line"], 2,
        "PF001 should point at the line with the bad bytes: {pf001}"
    );
    assert!(!pf001["message"].as_str().unwrap().is_empty());
    assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
}

// ---------------------------------------------------------------------------------------------
// Suppression comments
// ---------------------------------------------------------------------------------------------

#[test]
fn suppression_comments_on_reported_and_origin_line() {
    // (comment, suppresses PF101?)
    let comments: &[(&str, bool)] = &[
        ("# noqa", true),
        ("# noqa: PF101", true),
        ("# noqa:PF101", true),
        ("# noqa: PF1", true),
        ("# noqa: PF2", false),
        ("# noqa: PF102", false),
        ("# picklefix: ignore[PF101]", true),
        ("# picklefix: ignore[PF102]", false),
    ];
    let mut failures = Vec::new();
    for (comment, suppresses) in comments {
        for on in ["sink", "origin"] {
            let dir = tempdir();
            positive_project(dir.path());
            match on {
                "sink" => write(
                    dir.path(),
                    "pkg/main.py",
                    MAIN_PY.replace(
                        "q.put(Reader(\"x.txt\"))",
                        &format!("q.put(Reader(\"x.txt\"))  {comment}"),
                    ),
                ),
                _ => write(
                    dir.path(),
                    "pkg/reader.py",
                    READER_PY.replace("self.fh = open(path)", &format!("self.fh = open(path)  {comment}")),
                ),
            };
            let (r, findings) = check_json(dir.path(), &["."]);
            let reported = find(&findings, "PF101", "pkg/main.py").is_some();
            let want_code = if *suppresses { 0 } else { 1 };
            if reported == *suppresses || r.code != Some(want_code) {
                failures.push(format!(
                    "`{comment}` on the {on} line: expected PF101 {}, got exit {:?} with {:?}",
                    if *suppresses { "suppressed" } else { "reported" },
                    r.code,
                    codes(&findings)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "suppression failures:\n{}", failures.join("\n"));
}

#[test]
fn noqa_inside_a_string_does_not_suppress() {
    let dir = tempdir();
    positive_project(dir.path());
    write(
        dir.path(),
        "pkg/main.py",
        MAIN_PY.replace("q.put(Reader(\"x.txt\"))", "q.put(Reader(\"x.txt # noqa\"))"),
    );
    let (r, findings) = check_json(dir.path(), &["."]);
    r.assert_code(1);
    assert!(find(&findings, "PF101", "pkg/main.py").is_some(), "{}", r.describe());
}

// ---------------------------------------------------------------------------------------------
// rules / explain / init
// ---------------------------------------------------------------------------------------------

fn rule_codes(dir: &Path) -> Vec<String> {
    let r = run(dir, &["rules"]);
    r.assert_no_panic();
    r.assert_code(0);
    let codes: Vec<String> = r
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert!(!codes.is_empty(), "`picklefix rules` lists nothing\n{}", r.describe());
    for c in &codes {
        assert!(
            c.starts_with("PF") && c.len() == 5 && c[2..].chars().all(|ch| ch.is_ascii_digit()),
            "`{c}` in `picklefix rules` is not a rule code\n{}",
            r.describe()
        );
    }
    codes
}

#[test]
fn rules_lists_every_family() {
    let dir = tempdir();
    let codes = rule_codes(dir.path());
    for prefix in ["PF0", "PF1", "PF2", "PF3", "PF5"] {
        assert!(
            codes.iter().any(|c| c.starts_with(prefix)),
            "no {prefix}xx rule in `picklefix rules`: {codes:?}"
        );
    }
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted, "rules are not listed once each, in order");
}

#[test]
fn explain_every_rule_has_the_five_sections() {
    let dir = tempdir();
    let mut failures = Vec::new();
    for code in rule_codes(dir.path()) {
        let r = run(dir.path(), &["explain", &code]);
        r.assert_no_panic();
        if r.code != Some(0) {
            failures.push(format!("{code}: exit {:?}: {}", r.code, r.stderr.trim()));
            continue;
        }
        if !r.stdout.contains(&code) {
            failures.push(format!("{code}: the explanation does not name the code"));
        }
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Fix safety",
        ] {
            // Markdown allows up to three spaces before a heading.
            if !r
                .stdout
                .lines()
                .any(|l| l.trim() == heading && l.len() - l.trim_start().len() <= 3)
            {
                failures.push(format!("{code}: missing heading `{heading}`"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "`picklefix explain` problems:\n{}",
        failures.join("\n")
    );
}

#[test]
fn explain_unknown_code_exits_2() {
    let dir = tempdir();
    for code in ["PF999", "XYZ", ""] {
        let r = run(dir.path(), &["explain", code]);
        r.assert_no_panic();
        assert_eq!(r.code, Some(2), "explain {code:?}\n{}", r.describe());
        assert!(!r.stderr.trim().is_empty(), "{}", r.describe());
    }
    let r = run(dir.path(), &["explain"]);
    r.assert_no_panic();
    r.assert_code(2);
}

#[test]
fn init_writes_config_and_refuses_to_overwrite() {
    let dir = tempdir();
    let r = run(dir.path(), &["init"]);
    r.assert_no_panic();
    r.assert_code(0);
    let path = dir.path().join("picklefix.toml");
    let written = std::fs::read_to_string(&path).expect("init must write picklefix.toml");
    assert!(
        written.contains("start-method") && written.contains("select"),
        "picklefix.toml lacks the keys:\n{written}"
    );
    // The written file is a valid config: a check with it works.
    positive_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "."]);
    r.assert_no_panic();
    assert_eq!(
        r.code,
        Some(1),
        "the config written by init must load and keep the defaults\n{}",
        r.describe()
    );
    // A second init refuses and leaves the file alone.
    std::fs::write(&path, "# mine\nselect = [\"PF1\"]\n").unwrap();
    let r = run(dir.path(), &["init"]);
    r.assert_no_panic();
    r.assert_code(2);
    assert!(r.stderr.contains("picklefix.toml"), "{}", r.describe());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# mine\nselect = [\"PF1\"]\n",
        "init overwrote an existing picklefix.toml"
    );
}

#[test]
fn help_and_version_exit_0() {
    let dir = tempdir();
    for args in [&["--help"][..], &["--version"], &["check", "--help"]] {
        let r = run(dir.path(), args);
        r.assert_no_panic();
        assert_eq!(r.code, Some(0), "{args:?}\n{}", r.describe());
        assert!(!r.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Broken pipe
// ---------------------------------------------------------------------------------------------

/// Start picklefix with stdout piped, close the reading end at once, and wait.
fn run_with_closed_stdout(dir: &Path, args: &[&str]) -> Run {
    let mut child = cmd(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn picklefix");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for picklefix");
    Run::from_output(out)
}

#[test]
fn broken_pipe_is_not_an_error() {
    let dir = tempdir();
    positive_project(dir.path());
    // Enough findings that the output is far larger than a pipe buffer.
    let mut big = String::from("import multiprocessing\nfrom pkg.reader import Reader\n\ndef main(q):\n");
    for _ in 0..1500 {
        big.push_str("    q.put(Reader(\"x.txt\"))\n");
    }
    big.push_str("\nif __name__ == \"__main__\":\n    main(multiprocessing.Queue())\n");
    write(dir.path(), "pkg/many.py", &big);
    for args in [
        &["check", "--no-progress", "."][..],
        &["check", "--no-progress", "--format", "json", "."],
        &["check", "--no-progress", "--format", "sarif", "."],
        &["rules"],
        &["explain", "PF101"],
    ] {
        let r = run_with_closed_stdout(dir.path(), args);
        assert!(
            !r.stderr.contains("panicked"),
            "{args:?}: panic on a closed stdout\n{}",
            r.describe()
        );
        assert!(
            r.code.is_some(),
            "{args:?}: killed by a signal on a closed stdout\n{}",
            r.describe()
        );
        assert_ne!(
            r.code,
            Some(2),
            "{args:?}: a closed stdout is not an error\n{}",
            r.describe()
        );
        assert!(
            !r.stderr.to_lowercase().contains("broken pipe"),
            "{args:?}: broken pipe reported as an error\n{}",
            r.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Other output formats (smoke)
// ---------------------------------------------------------------------------------------------

#[test]
fn sarif_and_github_formats() {
    let dir = tempdir();
    positive_project(dir.path());
    let r = run(dir.path(), &["check", "--no-progress", "--format", "sarif", "."]);
    r.assert_code(1);
    let doc: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("SARIF is not JSON: {e}\n{}", r.describe()));
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().expect("runs[0].results");
    assert_eq!(results.len(), 1, "{}", r.describe());
    assert_eq!(results[0]["ruleId"], "PF101");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 5);
    let r = run(dir.path(), &["check", "--no-progress", "--format", "github", "."]);
    r.assert_code(1);
    assert!(
        r.stdout.starts_with("::error") && r.stdout.contains("file=pkg/main.py,line=5,col=5"),
        "{}",
        r.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs
// ---------------------------------------------------------------------------------------------

/// Pseudo-random bytes (xorshift), deterministic.
fn junk(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Run over a hostile project: no panic, exit 0/1/2, and the positive finding still there
/// when the run did not stop with an error.
fn assert_survives(dir: &Path, what: &str) -> (Run, Vec<Value>) {
    assert_survives_with(dir, what, true)
}

fn assert_survives_with(dir: &Path, what: &str, also_text: bool) -> (Run, Vec<Value>) {
    let (r, findings) = check_json(dir, &["."]);
    assert!(
        matches!(r.code, Some(1) | Some(2)),
        "{what}: expected findings or an error\n{}",
        r.describe()
    );
    if r.code == Some(2) {
        assert!(
            r.stderr.contains("error"),
            "{what}: exit 2 without a clear message\n{}",
            r.describe()
        );
    } else {
        assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
        for f in &findings {
            assert!(
                f["message"].as_str().is_some_and(|m| !m.trim().is_empty()),
                "{what}: empty message: {f}"
            );
        }
    }
    if !also_text {
        return (r, findings);
    }
    // The text renderer copes too.
    let t = run(dir, &["check", "--no-progress", "."]);
    t.assert_no_panic();
    assert_eq!(t.code, r.code, "{what}: text and JSON runs disagree\n{}", t.describe());
    (r, findings)
}

#[test]
fn hostile_binary_junk_named_py() {
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "junk/a.py", junk(4096, 0x9E3779B97F4A7C15));
    write(dir.path(), "junk/b.py", junk(300, 42));
    let mut with_nul = b"import multiprocessing\n".to_vec();
    with_nul.extend_from_slice(b"\x00\x00\x01\x02binary\x00\n");
    write(dir.path(), "junk/c.py", with_nul);
    // A directory whose name ends in .py.
    write(dir.path(), "junk/folder.py/inner.py", junk(128, 7));
    let (r, findings) = assert_survives(dir.path(), "binary junk");
    if r.code == Some(1) {
        for name in ["junk/a.py", "junk/b.py", "junk/c.py"] {
            assert!(
                findings
                    .iter()
                    .any(|f| f["path"] == name && (f["code"] == "PF001" || f["code"] == "PF002")),
                "{name} (binary junk) must be reported as PF001/PF002\n{}",
                r.describe()
            );
        }
    }
}

#[test]
fn hostile_empty_file() {
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "pkg/empty.py", "");
    write(dir.path(), "pkg/blank.py", "\n\n   \n");
    let (r, findings) = assert_survives(dir.path(), "empty file");
    r.assert_code(1);
    assert!(
        findings.iter().all(|f| f["path"] != "pkg/empty.py"),
        "an empty file has nothing to report\n{}",
        r.describe()
    );
}

#[test]
fn hostile_ten_megabyte_file() {
    let dir = tempdir();
    positive_project(dir.path());
    // Relevant (mentions multiprocessing), so it is really parsed.
    let mut big = String::from("import multiprocessing\n\n");
    let mut i = 0;
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&format!(
            "value_{i} = [{i}, \"padding text to make the file large\", {{'k': {i}}}]\n"
        ));
        i += 1;
    }
    write(dir.path(), "pkg/huge.py", &big);
    let start = std::time::Instant::now();
    let (r, findings) = assert_survives_with(dir.path(), "10 MB file", false);
    eprintln!("10 MB file checked in {:?}", start.elapsed());
    r.assert_code(1);
    assert!(
        findings.iter().all(|f| f["path"] != "pkg/huge.py"),
        "nothing to report in the huge file\n{}",
        r.describe()
    );
}

#[test]
fn hostile_deep_nesting() {
    let dir = tempdir();
    positive_project(dir.path());
    let depth = 1000;
    let parens = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    let lists = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let mixed: String = (0..depth)
        .map(|i| if i % 2 == 0 { "(" } else { "[" })
        .collect::<String>()
        + "1"
        + &(0..depth)
            .rev()
            .map(|i| if i % 2 == 0 { ")" } else { "]" })
            .collect::<String>();
    let text = format!(
        "import multiprocessing\n\nx = {parens}\ny = {lists}\nz = {mixed}\n\n\ndef main(q):\n    q.put(x)\n    q.put(y)\n    q.put(z)\n\n\nif __name__ == \"__main__\":\n    main(multiprocessing.Queue())\n"
    );
    write(dir.path(), "pkg/deep.py", &text);
    // Unclosed nesting too.
    write(
        dir.path(),
        "pkg/unclosed.py",
        format!("import multiprocessing\nx = {}\n", "[(".repeat(depth)),
    );
    let (r, findings) = assert_survives(dir.path(), "1000-deep nesting");
    if r.code == Some(1) {
        assert!(
            find(&findings, "PF002", "pkg/unclosed.py").is_some(),
            "unclosed brackets must be PF002\n{}",
            r.describe()
        );
    }
}

// Unix permission bits; Windows has no mode to take away.
#[cfg(unix)]
#[test]
fn hostile_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    positive_project(dir.path());
    let (text, _, _) = single_file_positive("");
    let locked = write(dir.path(), "pkg/locked.py", &text);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = std::fs::read(&locked).is_ok();
    let (r, findings) = check_json(dir.path(), &["."]);
    // Restore so the temp dir can be removed.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(r.code, Some(0..=2)), "{}", r.describe());
    if r.code == Some(2) {
        assert!(
            r.stderr.contains("locked.py"),
            "exit 2 must name the unreadable file\n{}",
            r.describe()
        );
    } else {
        assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
        if !privileged {
            let f = find(&findings, "PF001", "pkg/locked.py")
                .unwrap_or_else(|| panic!("an unreadable file must be reported as PF001\n{}", r.describe()));
            assert!(
                f["message"].as_str().unwrap().to_lowercase().contains("permission")
                    || f["message"].as_str().unwrap().contains("read"),
                "{f}"
            );
        }
    }
    // An unreadable directory.
    let dir2 = tempdir();
    positive_project(dir2.path());
    write(dir2.path(), "secret/x.py", "import os\n");
    let secret = dir2.path().join("secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (r, _) = check_json(dir2.path(), &["."]);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(matches!(r.code, Some(0..=2)), "{}", r.describe());
}

#[cfg(unix)]
#[test]
fn hostile_everything_at_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "h/junk.py", junk(2048, 99));
    write(dir.path(), "h/empty.py", "");
    write(
        dir.path(),
        "h/deep.py",
        format!(
            "import pickle\nx = {}0{}\npickle.dumps(x)\n",
            "[".repeat(1000),
            "]".repeat(1000)
        ),
    );
    write(
        dir.path(),
        "h/py2.py",
        "import multiprocessing\nprint 'old'\nexec 'x = 1'\n",
    );
    write(
        dir.path(),
        "h/cookie.py",
        b"# -*- coding: klingon -*-\nimport pickle\n".as_slice(),
    );
    write(
        dir.path(),
        "h/bom_and_cookie.py",
        b"\xEF\xBB\xBF# -*- coding: latin-1 -*-\nimport pickle\n".as_slice(),
    );
    write(
        dir.path(),
        "h/lone_cr.py",
        b"import pickle\rx = 1\rpickle.dumps(x)\r".as_slice(),
    );
    write(
        dir.path(),
        "h/tabs.py",
        "import pickle\nif True:\n\tx = 1\n        y = 2\n",
    );
    let locked = write(dir.path(), "h/locked.py", "import pickle\n");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let r = run(dir.path(), &["check", "--no-progress", "--format", "json", "."]);
    let t = run(dir.path(), &["check", "--no-progress", "."]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    r.assert_no_panic();
    t.assert_no_panic();
    assert!(matches!(r.code, Some(1) | Some(2)), "{}", r.describe());
    if r.code == Some(1) {
        let findings = r.json();
        assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
        for name in ["h/junk.py", "h/cookie.py", "h/bom_and_cookie.py", "h/py2.py"] {
            assert!(
                findings
                    .iter()
                    .any(|f| f["path"] == name && f["code"].as_str().is_some_and(|c| c.starts_with("PF0"))),
                "{name} must be reported as PF0xx\n{}",
                r.describe()
            );
        }
    }
}

#[test]
fn explicit_file_paths() {
    let dir = tempdir();
    positive_project(dir.path());
    write(dir.path(), "README.txt", "not python\n");
    let r = run(dir.path(), &["check", "--no-progress", "README.txt"]);
    r.assert_no_panic();
    assert!(matches!(r.code, Some(0) | Some(2)), "{}", r.describe());
    // A file given explicitly is checked.
    let (solo, sink, origin) = single_file_positive("");
    write(dir.path(), "pkg/solo.py", &solo);
    let (r, findings) = check_json(dir.path(), &["pkg/solo.py"]);
    r.assert_code(1);
    assert_positive_finding(&findings, "pkg/solo.py", sink as u64, "pkg/solo.py", origin as u64);
    assert!(
        findings.iter().all(|f| f["path"] == "pkg/solo.py"),
        "only the named file is reported\n{}",
        r.describe()
    );
}

#[test]
fn explicit_file_follows_project_imports() {
    // Analysis is per project: naming pkg/main.py alone must still resolve `from pkg.reader
    // import Reader` in the project around it and find `Reader.fh`.
    let dir = tempdir();
    positive_project(dir.path());
    let (r, findings) = check_json(dir.path(), &["pkg/main.py"]);
    assert_eq!(
        r.code,
        Some(1),
        "`check pkg/main.py` must find the PF101 that `check .` finds\n{}",
        r.describe()
    );
    assert_positive_finding(&findings, "pkg/main.py", 5, "pkg/reader.py", 3);
}

#[test]
fn findings_do_not_depend_on_the_number_of_threads() {
    // Modules are read, parsed and indexed in parallel and the migration rules run beside the
    // sink walk: on one thread everything happens in turn. The output must be the same bytes.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let output = |threads: &str| {
        let out = cmd(&fixtures)
            .env("RAYON_NUM_THREADS", threads)
            .args(["check", "--format", "json", "--no-progress", "--quiet", "."])
            .output()
            .expect("failed to start picklefix");
        let r = Run::from_output(out);
        r.assert_no_panic();
        assert!(
            r.json().len() > 50,
            "the fixtures should give many findings\n{}",
            r.describe()
        );
        r.stdout
    };
    assert_eq!(output("1"), output("2"));
}
