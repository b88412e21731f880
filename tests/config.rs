//! Configuration like ruff's: `per-file-ignores`, `extend`, `extend-exclude`, nested config
//! files that resolve one way whatever the invocation, the JSON schema of the config file,
//! and a clear error (file, line, key) for every mistake.

mod common;

use std::path::Path;

use common::{describe, run, text, write};
use serde_json::Value;

/// PF101 in `dir/REL/job.py` (line 6) and PF201 in `dir/REL/lam.py` (line 4).
fn findings_in(dir: &Path, rel: &str) {
    write(
        dir,
        &format!("{rel}/job.py"),
        "import multiprocessing\n\nclass Job:\n    def __init__(self):\n        self.fh = open('x')\n\ndef run(q):\n    q.put(Job())\n\nif __name__ == '__main__':\n    run(multiprocessing.Queue())\n",
    );
    write(
        dir,
        &format!("{rel}/lam.py"),
        "import multiprocessing\n\ndef main():\n    with multiprocessing.Pool(2) as pool:\n        pool.map(lambda x: x, [1, 2])\n",
    );
}

/// `check --format json ARGS` in `cwd`: (code, path relative to `root`) of every finding.
fn found(cwd: &Path, root: &Path, args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["check", "--format", "json", "--no-progress"];
    all.extend_from_slice(args);
    let out = run(cwd, &all);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}\n{}", describe(&out));
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let root = std::fs::canonicalize(root).unwrap();
    let mut pairs: Vec<(String, String)> = list
        .iter()
        .map(|f| {
            let p = std::fs::canonicalize(cwd.join(f["path"].as_str().unwrap())).unwrap();
            let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            (f["code"].as_str().unwrap().to_string(), rel)
        })
        .collect();
    pairs.sort();
    pairs
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn per_file_ignores_drop_codes_for_matching_files() {
    let dir = common::tempdir("picklefix-config-");
    findings_in(dir.path(), "app");
    findings_in(dir.path(), "tests/unit");
    write(
        dir.path(),
        "picklefix.toml",
        "[per-file-ignores]\n\"tests/**\" = [\"PF1\"]\n\"app/lam.py\" = [\"PF201\"]\n",
    );
    assert_eq!(
        found(dir.path(), dir.path(), &["."]),
        pairs(&[("PF101", "app/job.py"), ("PF201", "tests/unit/lam.py")])
    );
    // The same under [tool.picklefix] in pyproject.toml, globs relative to that file.
    std::fs::remove_file(dir.path().join("picklefix.toml")).unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.picklefix.per-file-ignores]\n\"app/*.py\" = [\"ALL\"]\n",
    );
    assert_eq!(
        found(&dir.path().join("tests"), dir.path(), &["."]),
        pairs(&[("PF101", "tests/unit/job.py"), ("PF201", "tests/unit/lam.py")])
    );
    assert_eq!(
        found(dir.path(), dir.path(), &["."]),
        pairs(&[("PF101", "tests/unit/job.py"), ("PF201", "tests/unit/lam.py")])
    );
}

#[test]
fn extend_inherits_and_extend_exclude_adds() {
    let dir = common::tempdir("picklefix-config-");
    findings_in(dir.path(), "svc");
    findings_in(dir.path(), "svc/old");
    findings_in(dir.path(), "svc/gen");
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.picklefix]\nselect = [\"PF1\"]\nexclude = [\"svc/old\"]\n",
    );
    // The nested file inherits select and the root's exclude (relative to the root), and
    // skips one more folder.
    write(
        dir.path(),
        "svc/picklefix.toml",
        "extend = \"../pyproject.toml\"\nextend-exclude = [\"gen\"]\n",
    );
    let expect = pairs(&[("PF101", "svc/job.py")]);
    assert_eq!(found(dir.path(), dir.path(), &["."]), expect);
    assert_eq!(found(&dir.path().join("svc"), dir.path(), &["."]), expect);
    // Its own `exclude` replaces the inherited one; `extend-exclude` still adds.
    write(
        dir.path(),
        "svc/picklefix.toml",
        "extend = \"../pyproject.toml\"\nexclude = []\nextend-exclude = [\"gen\"]\nselect = [\"PF\"]\n",
    );
    assert_eq!(
        found(dir.path(), dir.path(), &["svc"]),
        pairs(&[
            ("PF101", "svc/job.py"),
            ("PF101", "svc/old/job.py"),
            ("PF201", "svc/lam.py"),
            ("PF201", "svc/old/lam.py"),
        ])
    );
}

/// A root `pyproject.toml` and a nested `Doc/picklefix.toml`: the files under `Doc/` use the
/// nested file only (its `select` and its `exclude`), whichever path or folder the run
/// starts from (ruff's rule: the nearest config wins).
#[test]
fn nested_config_resolves_one_way_whatever_the_invocation() {
    let dir = common::tempdir("picklefix-config-");
    let root = dir.path();
    findings_in(root, "src");
    findings_in(root, "Doc");
    findings_in(root, "Doc/skipped");
    write(root, "Doc/gen.py", "import pickle\npickle.dumps(lambda: 1)\n");
    write(
        root,
        "pyproject.toml",
        "[tool.picklefix]\nselect = [\"PF1\"]\nexclude = [\"Doc/job.py\"]\n",
    );
    write(
        root,
        "Doc/picklefix.toml",
        "select = [\"PF2\"]\nexclude = [\"skipped\", \"gen.py\"]\n",
    );
    let doc_expect = pairs(&[("PF201", "Doc/lam.py")]);
    let only_doc = |list: Vec<(String, String)>| -> Vec<(String, String)> {
        list.into_iter().filter(|(_, p)| p.starts_with("Doc/")).collect()
    };
    assert_eq!(only_doc(found(root, root, &["."])), doc_expect, "check .");
    assert_eq!(found(root, root, &["Doc"]), doc_expect, "check Doc");
    assert_eq!(found(&root.join("Doc"), root, &["."]), doc_expect, "cd Doc; check .");
    assert_eq!(
        found(root, root, &["Doc/lam.py", "Doc/job.py"]),
        pairs(&[("PF201", "Doc/lam.py")]),
        "named files use their nearest config's select too"
    );
    assert_eq!(
        found(root, root, &["."])
            .into_iter()
            .filter(|(_, p)| p.starts_with("src/"))
            .collect::<Vec<_>>(),
        pairs(&[("PF101", "src/job.py")]),
        "the root's files keep the root's settings"
    );
    // `--config` makes one file govern everything, nested ones included.
    assert_eq!(
        found(root, root, &["--config", "pyproject.toml", "Doc"]),
        pairs(&[("PF101", "Doc/skipped/job.py")])
    );
}

/// Every mistake in a config file is an error that names the file, the line and the key.
#[test]
fn every_config_mistake_names_file_line_and_key() {
    let cases: &[(&str, &str, usize, &str)] = &[
        // (file, text, line, what the message must contain)
        ("picklefix.toml", "select = [\"PF\"\n", 2, "invalid array"),
        (
            "picklefix.toml",
            "select = [\"PF\"]\nselect = [\"PF1\"]\n",
            2,
            "duplicate key",
        ),
        ("picklefix.toml", "selct = [\"PF\"]\n", 1, "`selct`: unknown key"),
        (
            "picklefix.toml",
            "select = \"PF1\"\n",
            1,
            "`select`: expected a list of strings",
        ),
        (
            "picklefix.toml",
            "ignore = [\"PF999\"]\n",
            1,
            "`ignore`: `PF999` is not a rule code",
        ),
        (
            "picklefix.toml",
            "\ntarget-version = \"3.5\"\n",
            2,
            "`target-version`: `3.5`",
        ),
        (
            "picklefix.toml",
            "target-version = 3.11\n",
            1,
            "`target-version`: expected a string",
        ),
        (
            "picklefix.toml",
            "start-method = \"thread\"\n",
            1,
            "`start-method`: `thread` is not allowed",
        ),
        (
            "picklefix.toml",
            "include = [1]\n",
            1,
            "`include`: expected a list of strings",
        ),
        (
            "picklefix.toml",
            "\n\nexclude = [\"[a-\"]\n",
            3,
            "`exclude`: `[a-` is not a valid glob",
        ),
        (
            "picklefix.toml",
            "extend-exclude = \"build\"\n",
            1,
            "`extend-exclude`: expected a list",
        ),
        (
            "picklefix.toml",
            "respect-gitignore = 1\n",
            1,
            "`respect-gitignore`: expected true or false",
        ),
        ("picklefix.toml", "extend = 3\n", 1, "`extend`: expected a string"),
        (
            "picklefix.toml",
            "\nextend = \"missing.toml\"\n",
            2,
            "`extend`: `missing.toml` is not a file",
        ),
        (
            "picklefix.toml",
            "extend = \"picklefix.toml\"\n",
            1,
            "`extend`: `picklefix.toml` extends this file again",
        ),
        (
            "picklefix.toml",
            "per-file-ignores = [\"a\"]\n",
            1,
            "`per-file-ignores`: expected a table",
        ),
        (
            "picklefix.toml",
            "[per-file-ignores]\n\"tests/*\" = \"PF1\"\n",
            2,
            "`per-file-ignores.\"tests/*\"`: expected a list of rule codes",
        ),
        (
            "picklefix.toml",
            "[per-file-ignores]\n\"a.py\" = []\n\"tests/*\" = [\"XX1\"]\n",
            3,
            "`XX1` is not a rule code",
        ),
        (
            "picklefix.toml",
            "[per-file-ignores]\n\"[z-\" = [\"PF1\"]\n",
            2,
            "`[z-` is not a valid glob",
        ),
        ("picklefix.toml", "catalog = 1\n", 1, "`catalog`: expected a table"),
        (
            "picklefix.toml",
            "[catalog]\nextra = \"x.toml\"\n",
            2,
            "`catalog.extra`: expected a list",
        ),
        (
            "picklefix.toml",
            "[catalog]\nextras = []\n",
            2,
            "`catalog.extras`: unknown key",
        ),
        (
            "picklefix.toml",
            "[fix]\nhandle-strategy = \"eager\"\n",
            2,
            "`fix.handle-strategy`",
        ),
        (
            "picklefix.toml",
            "[verify]\ntimeout = -1\n",
            2,
            "`verify.timeout`: expected a positive number",
        ),
        (
            "picklefix.toml",
            "[verify]\npython = 3\n",
            2,
            "`verify.python`: expected a string",
        ),
        (
            "picklefix.toml",
            "[verify]\ncommand = [1]\n",
            2,
            "`verify.command`: expected a list",
        ),
        (
            "picklefix.toml",
            "[verify]\npython-before = false\n",
            2,
            "`verify.python-before`",
        ),
        (
            "picklefix.toml",
            "[migration]\nlegacy-pickles = \"yes\"\n",
            2,
            "`migration.legacy-pickles`",
        ),
        (
            "picklefix.toml",
            "[migration]\npy2-interop = \"no\"\n",
            2,
            "`migration.py2-interop`",
        ),
        (
            ".picklefix.toml",
            "\n[migration]\nlegacy = true\n",
            3,
            "`migration.legacy`: unknown key",
        ),
        (
            "pyproject.toml",
            "[tool]\npicklefix = 3\n",
            2,
            "`tool.picklefix`: expected a table",
        ),
        (
            "pyproject.toml",
            "[tool.ruff]\nselect = [\"E\"]\n\n[tool.picklefix]\nselect = \"PF\"\n",
            5,
            "`tool.picklefix.select`",
        ),
        (
            "pyproject.toml",
            "[tool.picklefix]\nselect = [\"PF\"]\n\n[tool.picklefix.verify]\ntimeout = 0\n",
            5,
            "`tool.picklefix.verify.timeout`",
        ),
    ];
    let mut failures = Vec::new();
    for (file, config, line, needle) in cases {
        let dir = common::tempdir("picklefix-config-");
        findings_in(dir.path(), "pkg");
        write(dir.path(), file, config);
        let out = run(dir.path(), &["check", "--no-progress", "."]);
        let err = text(&out.stderr);
        let at = format!("{file}:{line}:");
        if out.status.code() != Some(2) || !err.contains(&at) || !err.contains(needle) || err.contains("panicked") {
            failures.push(format!(
                "{file} {config:?}: want exit 2, `{at}` and `{needle}`\n{}",
                describe(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_nested_config_mistake_names_the_nested_file() {
    let dir = common::tempdir("picklefix-config-");
    findings_in(dir.path(), "pkg/sub");
    write(dir.path(), "picklefix.toml", "select = [\"PF\"]\n");
    write(dir.path(), "pkg/sub/picklefix.toml", "\nselect = [\"nope\"]\n");
    let out = run(dir.path(), &["check", "--no-progress", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("pkg/sub/picklefix.toml:2:"),
        "{}",
        describe(&out)
    );
}

/// `picklefix.schema.json` accepts the example config (every key) and rejects what picklefix
/// rejects; its keys are the example's keys.
#[test]
fn json_schema_matches_the_example_config() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("picklefix.schema.json")).unwrap()).unwrap();
    let example = std::fs::read_to_string(repo.join("config.example.toml")).unwrap();
    let top: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in &top {
        assert!(
            example.contains(&format!("{key} =")) || example.contains(&format!("[{key}]")),
            "schema key `{key}` is not in config.example.toml"
        );
    }
    let venv = match common::venv("jsonschema", &["jsonschema"]) {
        Ok(v) => v,
        Err(why) => return common::skip(format_args!("cannot validate against the schema: {why}")),
    };
    let dir = common::tempdir("picklefix-config-");
    let with_extend = example.replace("# extend = ", "extend = ");
    let cases: &[(&str, &str, bool)] = &[
        ("example.toml", &example, true),
        ("extend.toml", &with_extend, true),
        (
            "pfi.toml",
            "[per-file-ignores]\n\"tests/*\" = [\"PF1\", \"PF201\"]\n",
            true,
        ),
        ("unknown.toml", "selct = [\"PF\"]\n", false),
        ("method.toml", "start-method = \"thread\"\n", false),
        ("version.toml", "target-version = \"3.5\"\n", false),
        ("timeout.toml", "[verify]\ntimeout = 0\n", false),
        ("code.toml", "[per-file-ignores]\n\"a\" = [\"XX\"]\n", false),
    ];
    for (name, config, valid) in cases {
        write(dir.path(), name, config);
        let out = std::process::Command::new(venv.join("python"))
            .arg("-c")
            .arg("import json, sys, tomllib, jsonschema\njsonschema.Draft7Validator.check_schema(json.load(open(sys.argv[1])))\njsonschema.validate(tomllib.load(open(sys.argv[2], 'rb')), json.load(open(sys.argv[1])))")
            .arg(repo.join("picklefix.schema.json"))
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        assert_eq!(out.status.success(), *valid, "{name}: {config}\n{}", describe(&out));
        // picklefix agrees with the schema.
        let project = common::tempdir("picklefix-config-");
        write(project.path(), "m.py", "x = 1\n");
        write(project.path(), "picklefix.toml", config);
        let own = run(project.path(), &["check", "--no-progress", "."]);
        if *name != "extend.toml" {
            assert_eq!(
                own.status.code() != Some(2),
                *valid,
                "{name}: picklefix disagrees\n{}",
                describe(&own)
            );
        }
    }
}
