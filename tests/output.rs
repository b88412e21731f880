//! Output for CI and terminals: SARIF against the official 2.1.0 schema, GitLab Code Quality,
//! JUnit XML, `--output-file`, `--exit-zero`, `--statistics`, `--show-fixes`, safe and unsafe
//! fixes counted apart, colour (`--color`, NO_COLOR, FORCE_COLOR, a real terminal) and shell
//! completions.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use common::{describe, picklefix as cmd, run, text, write};

const BIN: &str = env!("CARGO_BIN_EXE_picklefix");

/// Three findings: PF101 twice (unsafe fixes), PF401 once (a safe fix).
fn project(dir: &Path) {
    write(dir, "pkg/__init__.py", "");
    write(
        dir,
        "pkg/reader.py",
        "class Reader:\n    def __init__(self, path):\n        self.fh = open(path)\n",
    );
    write(
        dir,
        "pkg/main.py",
        "import multiprocessing\nfrom pkg.reader import Reader\n\ndef main(q):\n    q.put(Reader(\"x.txt\"))\n    q.put(Reader(\"y.txt\"))\n\nif __name__ == \"__main__\":\n    main(multiprocessing.Queue())\n",
    );
    write(
        dir,
        "pkg/store.py",
        "import cPickle\n\ndef save(obj, path):\n    with open(path, \"wb\") as f:\n        cPickle.dump(obj, f)\n",
    );
}

fn tempdir() -> tempfile::TempDir {
    common::tempdir("picklefix-output-")
}

#[test]
fn sarif_validates_against_the_official_2_1_0_schema() {
    let dir = tempdir();
    project(dir.path());
    let out = run(dir.path(), &["check", "--format", "sarif", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    // Rule metadata: every rule, its summary and the full text `explain` prints.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let pf101 = rules.iter().find(|r| r["id"] == "PF101").expect("PF101 in rules");
    let explain = run(dir.path(), &["explain", "PF101"]);
    assert_eq!(pf101["fullDescription"]["text"], text(&explain.stdout));
    assert_eq!(pf101["help"]["text"], text(&explain.stdout));
    assert!(pf101["shortDescription"]["text"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{}", describe(&out));
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "ruleIndex points at the rule");
    }
    let clean = tempdir();
    write(clean.path(), "m.py", "x = 1\n");
    let empty = run(clean.path(), &["check", "--format", "sarif", "."]);
    assert_eq!(empty.status.code(), Some(0), "{}", describe(&empty));

    let venv = match common::venv("jsonschema", &["jsonschema"]) {
        Ok(v) => v,
        Err(why) => return common::skip(format_args!("cannot validate SARIF: {why}")),
    };
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    for (name, bytes) in [("findings.sarif", &out.stdout), ("clean.sarif", &empty.stdout)] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let check = Command::new(venv.join("python"))
            .arg("-c")
            .arg(
                "import json, sys, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 doc = json.load(open(sys.argv[2]))\n\
                 jsonschema.Draft4Validator.check_schema(schema)\n\
                 errors = list(jsonschema.Draft4Validator(schema).iter_errors(doc))\n\
                 for e in errors: print(list(e.absolute_path), e.message)\n\
                 sys.exit(1 if errors else 0)\n",
            )
            .arg(&schema)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{name} does not validate:\n{}",
            describe(&check)
        );
    }
    // The validator does reject a broken document (this test can fail).
    let broken = dir.path().join("broken.sarif");
    std::fs::write(&broken, r#"{"version": "2.1.0", "runs": [{"results": []}]}"#).unwrap();
    let check = Command::new(venv.join("python"))
        .arg("-c")
        .arg("import json, sys, jsonschema\njsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))")
        .arg(&schema)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!check.status.success(), "a run without `tool` must not validate");
}

#[test]
fn gitlab_code_quality_report() {
    let dir = tempdir();
    project(dir.path());
    let report = |dir: &Path| -> Vec<Value> {
        let out = run(dir, &["check", "--format", "gitlab", "."]);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("a JSON array")
    };
    let issues = report(dir.path());
    assert_eq!(issues.len(), 3);
    for i in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[key].as_str().is_some_and(|s| !s.is_empty()), "{key} in {i}");
        }
        assert!(i["location"]["path"].as_str().unwrap().starts_with("pkg/"), "{i}");
        assert!(i["location"]["positions"]["begin"]["line"].as_u64().unwrap() >= 1);
    }
    let fingerprints: std::collections::BTreeSet<&str> =
        issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(fingerprints.len(), 3, "fingerprints are unique");
    // A line inserted above a finding moves it but keeps its fingerprint.
    let main = dir.path().join("pkg/main.py");
    let moved = format!("# a comment\n{}", std::fs::read_to_string(&main).unwrap());
    std::fs::write(&main, moved).unwrap();
    let again = report(dir.path());
    let again_fp: std::collections::BTreeSet<&str> = again.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(fingerprints, again_fp);
    assert_ne!(
        issues.iter().map(|i| &i["location"]).collect::<Vec<_>>(),
        again.iter().map(|i| &i["location"]).collect::<Vec<_>>()
    );
}

#[test]
fn junit_report_is_xml_with_one_failure_per_finding() {
    let dir = tempdir();
    project(dir.path());
    let out = run(
        dir.path(),
        &["check", "--format", "junit", "--output-file", "report.xml", "."],
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        out.stdout.is_empty(),
        "--output-file leaves stdout empty\n{}",
        describe(&out)
    );
    let xml = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    assert_eq!(xml.matches("<failure ").count(), 3, "{xml}");
    assert!(xml.contains("name=\"picklefix.PF401\"") && xml.contains("classname=\"pkg/store.py\""));
    // Well-formed: Python's XML parser reads it and counts the same.
    let parsed = Command::new("python3")
        .arg("-c")
        .arg("import sys, xml.etree.ElementTree as E\nr = E.parse(sys.argv[1]).getroot()\nprint(len(r.findall('.//failure')), r.get('failures'))")
        .arg(dir.path().join("report.xml"))
        .output();
    match parsed {
        Ok(p) if p.status.success() => assert_eq!(text(&p.stdout).trim(), "3 3"),
        Ok(p) => panic!("the JUnit report is not well-formed XML:\n{}", describe(&p)),
        Err(e) => common::skip(format_args!("no python3 to parse the XML: {e}")),
    }
    let clean = tempdir();
    write(clean.path(), "m.py", "x = 1\n");
    let out = run(clean.path(), &["check", "--format", "junit", "."]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("tests=\"1\" failures=\"0\""),
        "{}",
        describe(&out)
    );
}

#[test]
fn exit_zero_and_output_file() {
    let dir = tempdir();
    project(dir.path());
    let out = run(dir.path(), &["check", "--exit-zero", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(text(&out.stdout).contains("PF101"), "findings are still printed");
    let out = run(dir.path(), &["check", "--exit-zero", "--select", "XX9", "."]);
    assert_eq!(out.status.code(), Some(2), "a usage error is still an error");
    let out = run(dir.path(), &["check", "--format", "json", "-o", "out/f.json", "."]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a folder that does not exist is an I/O error"
    );
    assert!(text(&out.stderr).contains("out/f.json"), "{}", describe(&out));
    let out = run(dir.path(), &["check", "--format", "json", "-o", "f.json", "."]);
    assert_eq!(out.status.code(), Some(1));
    let findings: Vec<Value> = serde_json::from_slice(&std::fs::read(dir.path().join("f.json")).unwrap()).unwrap();
    assert_eq!(findings.len(), 3);
    let out = run(dir.path(), &["fix", "--exit-zero", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(text(&out.stdout).contains("+import pickle as cPickle"));
    let out = run(dir.path(), &["fix", "-o", "fixes.patch", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::read_to_string(dir.path().join("fixes.patch"))
        .unwrap()
        .contains("-import cPickle"));
}

#[test]
fn statistics_count_findings_per_rule() {
    let dir = tempdir();
    project(dir.path());
    let out = run(dir.path(), &["check", "--statistics", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            "2\tPF101\t    open-file-pickled",
            "1\tPF401\t[*] py2-pickle-module-import"
        ],
        "{}",
        describe(&out)
    );
    let out = run(dir.path(), &["check", "--statistics", "--format", "json", "."]);
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["code"], "PF101");
    assert_eq!(rows[0]["count"], 2);
    assert_eq!(rows[0]["fixable"], 0);
    assert_eq!(rows[0]["unsafe_fixable"], 2);
    assert_eq!(rows[1]["code"], "PF401");
    assert_eq!(rows[1]["fixable"], 1);
}

#[test]
fn safe_fixes_are_marked_and_counted_apart_from_unsafe_ones() {
    let dir = tempdir();
    project(dir.path());
    let out = run(dir.path(), &["check", "."]);
    let stdout = text(&out.stdout);
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with("pkg/")).collect();
    assert_eq!(headers.len(), 3, "{}", describe(&out));
    for h in &headers {
        assert_eq!(
            h.contains("[*]"),
            h.contains("PF401"),
            "[*] marks the safe fix only: {h}"
        );
    }
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("3 findings in 2 files (1 fixable with `picklefix fix --write`, 2 more with `--unsafe-fixes`)"),
        "{}",
        describe(&out)
    );
    // The count is what `fix --write` really fixes.
    let fixed = run(dir.path(), &["fix", "--write", "--allow-dirty", "."]);
    assert!(
        text(&fixed.stderr).contains("Fixed 1 finding in 1 file; 2 left"),
        "{}",
        describe(&fixed)
    );
}

#[test]
fn show_fixes_prints_each_fix_as_a_diff() {
    let dir = tempdir();
    project(dir.path());
    let out = run(dir.path(), &["check", "--show-fixes", "--select", "PF401", "."]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("     -import cPickle\n") && stdout.contains("     +import pickle as cPickle\n"),
        "{}",
        describe(&out)
    );
    let without = run(dir.path(), &["check", "--select", "PF401", "."]);
    assert!(
        !text(&without.stdout).contains("+import pickle"),
        "only with --show-fixes"
    );
    let out = run(dir.path(), &["fix", "--show-fixes", "."]);
    assert!(
        text(&out.stderr).contains("1 × PF401 (py2-pickle-module-import)"),
        "{}",
        describe(&out)
    );
}

const ESC: &str = "\x1b[";

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let dir = tempdir();
    project(dir.path());
    let coloured = |extra: &[&str], env: &[(&str, &str)]| {
        let mut c = cmd(dir.path());
        c.args(extra).arg("check").arg(".");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        text(&out.stdout).contains(ESC)
    };
    assert!(!coloured(&[], &[]), "not a terminal: no colour");
    assert!(coloured(&["--color", "always"], &[]));
    assert!(
        coloured(&["--color=always"], &[("NO_COLOR", "1")]),
        "the flag beats NO_COLOR"
    );
    assert!(!coloured(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&[], &[("FORCE_COLOR", "1")]));
    assert!(!coloured(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
    assert!(!coloured(&[], &[("FORCE_COLOR", "")]), "an empty FORCE_COLOR is unset");
    let bad = run(dir.path(), &["--color", "sometimes", "check", "."]);
    assert_eq!(bad.status.code(), Some(2));
    // Diffs are painted too.
    let out = cmd(dir.path())
        .args(["fix", "--color", "always", "."])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains(&format!("{ESC}31m-import cPickle")),
        "{}",
        describe(&out)
    );
}

/// Run picklefix on a real pseudo-terminal (util-linux `script`); None when there is none.
fn on_terminal(dir: &Path, args: &str, env: &[(&str, &str)]) -> Option<String> {
    let mut c = Command::new("script");
    c.args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CI")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().ok()?;
    let t = text(&out.stdout);
    (t.contains("PF101") && matches!(out.status.code(), Some(0 | 1))).then_some(t)
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let dir = tempdir();
    project(dir.path());
    let Some(tty) = on_terminal(dir.path(), "check .", &[]) else {
        return common::skip(format_args!("no pseudo-terminal (`script` from util-linux) here"));
    };
    assert!(tty.contains(ESC), "a terminal gets colour:\n{tty}");
    let plain = on_terminal(dir.path(), "check .", &[("NO_COLOR", "1")]).unwrap();
    assert!(!plain.contains(ESC), "NO_COLOR on a terminal:\n{plain}");
    let never = on_terminal(dir.path(), "--color never check .", &[]).unwrap();
    assert!(!never.contains(ESC));
}

#[test]
fn no_progress_bar_off_a_terminal() {
    // Enough files for the bar (it is hidden for small runs), stderr a pipe: no bar.
    let dir = tempdir();
    for i in 0..320 {
        write(dir.path(), &format!("m{i}.py"), "import pickle\nx = pickle.dumps(1)\n");
    }
    let out = run(dir.path(), &["check", "."]);
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("reading") && !stderr.contains(ESC) && !stderr.contains('\r'),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "only the summary: {stderr}");
}

#[test]
fn shell_completions() {
    let dir = tempdir();
    for shell in ["bash", "zsh", "fish"] {
        let out = run(dir.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let script = text(&out.stdout);
        assert!(
            script.contains("picklefix") && script.contains("target-version"),
            "{shell}"
        );
        assert!(script.contains("check") && script.contains("explain"), "{shell}");
    }
    let bash = run(dir.path(), &["completions", "bash"]);
    let file = dir.path().join("picklefix.bash");
    std::fs::write(&file, &bash.stdout).unwrap();
    if let Ok(syntax) = Command::new("bash").arg("-n").arg(&file).output() {
        assert!(syntax.status.success(), "bash -n: {}", describe(&syntax));
    }
    let out = run(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}
