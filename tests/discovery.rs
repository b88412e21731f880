//! Discovery and git: a file git tracks is checked even where a `.gitignore` pattern matches
//! it (git never ignores a tracked file), while untracked ignored files stay out.

mod common;

use common::{describe, run, skip, text, write};

const TEXT_MODE_DUMP: &str =
    "import pickle\n\n\ndef save(obj, path):\n    with open(path, \"w\") as fh:\n        pickle.dump(obj, fh)\n";

#[test]
fn tracked_files_are_checked_even_when_a_gitignore_pattern_matches_them() {
    let dir = common::tempdir("pf-discovery-");
    let root = dir.path();
    if let Err(e) = common::git(root, &["init", "-q"]) {
        skip(format_args!("{e}"));
        return;
    }
    // `tool` is meant for the binary a build leaves at the root; it also matches `python/tool/`.
    write(root, ".gitignore", "tool\nscratch.py\n");
    write(root, "python/tool/__init__.py", "");
    write(root, "python/tool/cache.py", TEXT_MODE_DUMP);
    common::git(
        root,
        &[
            "add",
            "-f",
            ".gitignore",
            "python/tool/__init__.py",
            "python/tool/cache.py",
        ],
    )
    .unwrap();
    common::git(root, &["commit", "-q", "-m", "init"]).unwrap();
    // Ignored and untracked: still left out.
    write(root, "scratch.py", TEXT_MODE_DUMP);
    write(root, "python/tool/generated.py", TEXT_MODE_DUMP);

    let out = run(root, &["check", ".", "--format", "json"]);
    let findings: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", describe(&out)));
    let mut paths: Vec<String> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .replace('\\', "/")
                .trim_start_matches("./")
                .to_string()
        })
        .collect();
    paths.sort();
    assert_eq!(paths, vec!["python/tool/cache.py"], "{}", text(&out.stdout));

    // Without respecting .gitignore, everything is checked.
    write(root, "picklefix.toml", "respect-gitignore = false\n");
    let out = run(root, &["check", ".", "--format", "json"]);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", describe(&out)));
    assert_eq!(all.as_array().unwrap().len(), 3, "{}", describe(&out));
}
