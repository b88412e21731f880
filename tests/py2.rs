//! The Python 2 syntax intake against real Python 2 code: the 2.7 standard library (share of
//! files picklefix can analyse, and every rewrite compiles with Python 3), and small programs
//! whose rewritten form must print what Python 2.7 prints for the original.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn pyenv_version(prefix: &str) -> Option<PathBuf> {
    let root = Command::new("pyenv").arg("root").output().ok()?;
    let versions = PathBuf::from(String::from_utf8_lossy(&root.stdout).trim()).join("versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&versions)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)))
        .collect();
    found.sort();
    found.pop()
}

fn python_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "site-packages") {
                python_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "py") {
            out.push(p);
        }
    }
}

#[test]
fn the_python27_standard_library_becomes_analysable() {
    let Some(py27) = pyenv_version("2.7") else {
        common::skip(format_args!("Python 2.7 is not installed under pyenv"));
        return;
    };
    let lib = py27.join("lib/python2.7");
    let mut files = Vec::new();
    python_files(&lib, &mut files);
    files.sort();
    assert!(
        files.len() > 1000,
        "expected the 2.7 standard library under {}",
        lib.display()
    );
    let (mut parser_alone, mut with_intake, mut undecodable) = (0usize, 0usize, 0usize);
    let rewritten_dir = tempfile::tempdir().unwrap();
    let mut rewritten = Vec::new();
    let mut refused = Vec::new();
    for f in &files {
        let Ok(src) = picklefix::python::source::SourceFile::read(f) else {
            undecodable += 1;
            continue;
        };
        if picklefix::python::parse::parse_module(src.text(), "").is_ok() {
            parser_alone += 1;
            with_intake += 1;
            continue;
        }
        match picklefix::python::py2::intake(src.text()) {
            Ok(i) if !i.edits.is_empty() => {
                let text = picklefix::python::py2::apply(src.text(), &i.edits);
                if picklefix::python::parse::parse_module(&text, "").is_ok() {
                    with_intake += 1;
                    let dest = rewritten_dir.path().join(f.strip_prefix(&lib).unwrap());
                    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                    std::fs::write(&dest, src.encode(&text)).unwrap();
                    rewritten.push(dest);
                } else {
                    refused.push(format!("{} (still does not parse)", f.display()));
                }
            }
            Ok(_) => refused.push(format!("{} (nothing to rewrite)", f.display())),
            Err(u) => refused.push(format!("{} ({})", f.display(), u.construct)),
        }
    }
    let n = files.len();
    let pct = |k: usize| 100.0 * k as f64 / n as f64;
    eprintln!(
        "Python 2.7 standard library: {n} files; the Python 3 parser alone: {parser_alone} ({:.1}%); with the intake: {with_intake} ({:.1}%); undecodable: {undecodable}",
        pct(parser_alone),
        pct(with_intake)
    );
    for r in refused.iter().take(40) {
        eprintln!("  not analysable: {r}");
    }
    assert!(
        pct(with_intake) >= 99.0,
        "only {:.1}% of the 2.7 standard library is analysable",
        pct(with_intake)
    );
    // Every rewrite must compile with Python 3 (3.11), not only parse with our parser.
    let check = "import sys\nbad = []\nfor f in sys.argv[1:]:\n    try:\n        compile(open(f, 'rb').read(), f, 'exec')\n    except SyntaxError as e:\n        bad.append('%s: %s' % (f, e))\nprint('\\n'.join(bad))\n";
    let mut bad = String::new();
    for chunk in rewritten.chunks(200) {
        let out = Command::new("python3")
            .arg("-c")
            .arg(check)
            .args(chunk)
            .output()
            .expect("python3");
        bad.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    // Files Python 2.7 itself rejects (the standard library's deliberately broken test inputs,
    // badsyntax_*.py, bad_coding*.py) are not expected to compile after a rewrite either.
    let mut broken_in_py2 = 0;
    let bad: Vec<&str> = bad
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| {
            let rel = l.split(": ").next().unwrap_or_default();
            let rel = Path::new(rel)
                .strip_prefix(rewritten_dir.path())
                .unwrap_or(Path::new(rel));
            let original = lib.join(rel);
            let py2 = Command::new(py27.join("bin/python"))
                .arg("-c")
                .arg("import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')")
                .arg(&original)
                .output();
            let rejected_by_py2 = py2.is_ok_and(|o| !o.status.success());
            broken_in_py2 += usize::from(rejected_by_py2);
            !rejected_by_py2
        })
        .collect();
    eprintln!(
        "rewritten: {} files; compile with python3: {} fail ({broken_in_py2} more that Python 2.7 rejects too)",
        rewritten.len(),
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "rewritten files that python3 cannot compile:\n{}",
        bad.join("\n")
    );
}

/// Small Python 2 programs; each must print the same under 2.7 (as written) and 3.11 (after the
/// intake).
const PROGRAMS: &[(&str, &str)] = &[
    ("print_forms", "import sys\nx = 3\nprint 'a', x\nprint\nprint 'no newline',\nprint 'then this'\nprint >>sys.stdout, 'to', 'stdout'\nprint ('one')\nprint 'pct %d%%' % 50\nif x: print 'inline'\nprint 'a'; print 'b'\n"),
    ("numbers", "print 0777, 0o17, 10L + 1, 0x1fL\nprint 010 == 8\n"),
    ("operators", "a, b = 1, 2\nif a <> b:\n    print 'different'\nprint `a`, `'s'`\n"),
    ("exceptions", "try:\n    raise ValueError, 'bad value'\nexcept ValueError, e:\n    print 'caught', e\ntry:\n    {}['k']\nexcept (KeyError, IndexError), e:\n    print 'missing', e\n"),
    ("exec", "ns = {}\nexec 'y = 6 * 7' in ns\nprint ns['y']\ncode = 'z = 1 + 1'\nexec code\nprint z\n"),
    ("strings", "print ur'raw\\d', u'uni', '\\u00e9', len('\\N{x}')\n"),
    ("comprehensions", "a, b = 1, 2\nprint [x * 2 for x in a, b]\nprint 7L.__hash__() == 7\n"),
    ("tabs", "def f(x):\n        if x:\n\t    return 'tab'\n        return 'spaces'\nprint f(1), f(0)\n"),
];

#[test]
fn rewritten_programs_behave_like_python27() {
    let Some(py27) = pyenv_version("2.7") else {
        common::skip(format_args!("Python 2.7 is not installed under pyenv"));
        return;
    };
    let Some(py311) = pyenv_version("3.11") else {
        common::skip(format_args!("Python 3.11 is not installed under pyenv"));
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (name, program) in PROGRAMS {
        let original = dir.path().join(format!("{name}_py2.py"));
        std::fs::write(&original, program).unwrap();
        let intake = picklefix::python::py2::intake(program).unwrap_or_else(|u| panic!("{name}: {}", u.construct));
        let text = picklefix::python::py2::apply(program, &intake.edits);
        let port = dir.path().join(format!("{name}_py3.py"));
        std::fs::write(&port, &text).unwrap();
        let run = |python: &Path, file: &Path| Command::new(python.join("bin/python")).arg(file).output().unwrap();
        let (old, new) = (run(&py27, &original), run(&py311, &port));
        if !old.status.success() || !new.status.success() || old.stdout != new.stdout {
            failures.push(format!(
                "{name}:\n--- 2.7 (exit {:?})\n{}{}--- 3.11 (exit {:?})\n{}{}--- rewritten\n{text}",
                old.status.code(),
                String::from_utf8_lossy(&old.stdout),
                String::from_utf8_lossy(&old.stderr),
                new.status.code(),
                String::from_utf8_lossy(&new.stdout),
                String::from_utf8_lossy(&new.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
