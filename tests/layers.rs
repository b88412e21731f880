//! The shape of `src/`: each top-level folder is a layer that uses only the layers below it.
//!
//! A plain scanner (no parser) reads every file of the library, drops comments and string
//! literals, and collects the paths that name another part of the crate: `crate::x::...`,
//! `$crate::x::...`, `super::...` (resolved from the file's place), `use crate::{x, y::z}`, and
//! in `lib.rs` the bare `x::...` of its own modules. Each path's first segment is the folder
//! (or top-level file) it leads to; `crate::name` of anything else is an item of `lib.rs`.
//!
//! `cargo test --test layers -- --nocapture` prints every edge between folders with the first
//! place that makes it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A folder may use the folders of lower lines, and the other
/// members of its own line (a cycle among those still fails `no_cycle_between_folders`).
const LAYERS: &[&[&str]] = &[
    &["base"],
    &["config"],
    &["python"],
    &["analysis"],
    &["rules"],
    &["fix"],
    &["run"],
    &["lib", "cli", "render"],
];

/// The most lines a file of `src/` may have: past this, split it along a seam.
const MAX_LINES: usize = 700;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file of the library: `src/fix/fixers/hoist.rs` is `fix::fixers::hoist`,
/// `src/fix/mod.rs` is `fix`, `src/lib.rs` is the root (empty).
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).expect("a file under src/");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn node_of(module: &[String]) -> String {
    module.first().cloned().unwrap_or_else(|| "lib".to_string())
}

/// The text with comments, string and character literals blanked (newlines kept, so line
/// numbers stay right).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank =
        |out: &mut Vec<u8>, bytes: &[u8]| out.extend(bytes.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }));
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if let Some(len) = raw_string_len(rest) {
            blank(&mut out, &rest[..len]);
            i += len;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let len = (j + 1).min(rest.len());
            blank(&mut out, &rest[..len]);
            i += len;
        } else if let Some(len) = char_literal_len(rest) {
            blank(&mut out, &rest[..len]);
            i += len;
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `r"..."`, `r#"..."#`, `br"..."` at the start of `rest` (not inside an identifier).
fn raw_string_len(rest: &[u8]) -> Option<usize> {
    let start = if rest.starts_with(b"br") {
        2
    } else if rest.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = rest[start..].iter().take_while(|&&c| c == b'#').count();
    if rest.get(start + hashes) != Some(&b'"') {
        return None;
    }
    let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
    let body = start + hashes + 1;
    let end = rest[body..].windows(close.len()).position(|w| w == close.as_slice())?;
    Some(body + end + close.len())
}

/// `'x'`, `'\n'`, `'\u{1F600}'` (a lifetime `'a` is not one).
fn char_literal_len(rest: &[u8]) -> Option<usize> {
    if rest.first() != Some(&b'\'') {
        return None;
    }
    if rest.get(1) == Some(&b'\\') {
        let end = rest[2..].iter().position(|&c| c == b'\'')?;
        return Some(end + 3);
    }
    let ch = std::str::from_utf8(&rest[1..rest.len().min(5)])
        .ok()
        .or_else(|| {
            (2..5)
                .rev()
                .find_map(|n| std::str::from_utf8(&rest[1..rest.len().min(n)]).ok())
        })?
        .chars()
        .next()?;
    let n = ch.len_utf8();
    (rest.get(1 + n) == Some(&b'\'')).then_some(n + 2)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// An identifier starting at `at`, and where it ends.
fn ident_at(code: &[u8], at: usize) -> Option<(String, usize)> {
    let len = code[at..].iter().take_while(|&&c| is_ident(c)).count();
    (len > 0).then(|| (String::from_utf8_lossy(&code[at..at + len]).into_owned(), at + len))
}

fn skip_space(code: &[u8], mut at: usize) -> usize {
    while at < code.len() && code[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// The first segments of the items of a `{...}` group starting at `at` (nested groups are
/// items of their own first segment), and the first segments of nested `{}` at depth 0.
fn group_heads(code: &[u8], at: usize) -> Vec<(String, bool)> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    let mut i = at;
    while i < code.len() {
        match code[i] {
            b'{' => {
                depth += 1;
                expect_head = depth == 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                i += 1;
            }
            b',' if depth == 1 => {
                expect_head = true;
                i += 1;
            }
            c if depth == 1 && expect_head && is_ident(c) => {
                let (name, end) = ident_at(code, i).expect("an identifier");
                let macro_call = code.get(skip_space(code, end)) == Some(&b'!');
                heads.push((name, macro_call));
                expect_head = false;
                i = end;
            }
            _ => i += 1,
        }
    }
    heads
}

struct Crate {
    /// Top-level folders and files of `src/` (besides `lib.rs` and `main.rs`).
    tops: BTreeSet<String>,
    /// `#[macro_export]` macros by name, with the folder that defines them.
    macros: BTreeMap<String, String>,
}

impl Crate {
    fn read(files: &[PathBuf]) -> Crate {
        let mut tops = BTreeSet::new();
        for e in std::fs::read_dir(src()).expect("src/ lists") {
            let p = e.expect("an entry").path();
            let name = p.file_stem().expect("a name").to_string_lossy().into_owned();
            if p.is_dir() || (p.extension().is_some_and(|x| x == "rs") && name != "lib" && name != "main") {
                tops.insert(name);
            }
        }
        let mut macros = BTreeMap::new();
        for f in files {
            let code = code_only(&std::fs::read_to_string(f).expect("a source file"));
            let mut rest = code.as_str();
            while let Some(at) = rest.find("macro_rules!") {
                let before = &rest[..at];
                let after = rest[at + "macro_rules!".len()..].trim_start();
                let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if before.trim_end().ends_with("#[macro_export]") {
                    macros.insert(name, node_of(&module_path(f)));
                }
                rest = &rest[at + 1..];
            }
        }
        Crate { tops, macros }
    }

    /// The folder a path's first segment after the crate root leads to.
    fn target(&self, head: &str, macro_call: bool) -> String {
        if macro_call {
            if let Some(m) = self.macros.get(head) {
                return m.clone();
            }
        }
        if self.tops.contains(head) {
            head.to_string()
        } else {
            "lib".to_string()
        }
    }
}

/// An edge between two folders, with the first place (file:line) that makes it.
type Edges = BTreeMap<(String, String), String>;

fn edges() -> Edges {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.retain(|f| f.file_name().is_some_and(|n| n != "main.rs") || f.parent() != Some(src().as_path()));
    let krate = Crate::read(&files);
    let mut edges = Edges::new();
    for file in &files {
        let module = module_path(file);
        let from = node_of(&module);
        let code = code_only(&std::fs::read_to_string(file).expect("a source file"));
        let bytes = code.as_bytes();
        let rel = file
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap_or(file)
            .display()
            .to_string();
        // Inline modules (`mod tests { ... }`) with the brace depth inside them: `super`
        // there starts from the inline module.
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    inline.retain(|(_, d)| *d <= depth);
                }
                _ => {}
            }
            let starts_word = i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b':');
            if !starts_word || !is_ident(bytes[i]) {
                i += 1;
                continue;
            }
            let (word, end) = ident_at(bytes, i).expect("an identifier");
            let line = code[..i].matches('\n').count() + 1;
            if word == "mod" {
                if let Some((name, after)) = ident_at(bytes, skip_space(bytes, end)) {
                    if bytes.get(skip_space(bytes, after)) == Some(&b'{') {
                        inline.push((name, depth + 1));
                    }
                }
            }
            let module: Vec<String> = module
                .iter()
                .cloned()
                .chain(inline.iter().map(|(n, _)| n.clone()))
                .collect();
            let mut targets: Vec<String> = Vec::new();
            let mut next = end;
            if bytes[end..].starts_with(b"::") {
                // Where the path starts: the crate root (`crate`), a module above (`super`).
                let root: Option<Vec<String>> = match word.as_str() {
                    "crate" => Some(Vec::new()),
                    "super" => {
                        let mut m = module.clone();
                        m.pop();
                        let mut at = end + 2;
                        while bytes[at..].starts_with(b"super::") {
                            m.pop();
                            at += "super::".len();
                        }
                        next = at - 2;
                        Some(m)
                    }
                    w if module.is_empty() && krate.tops.contains(w) => {
                        targets.push(w.to_string());
                        None
                    }
                    _ => None,
                };
                if let Some(root) = root {
                    let at = skip_space(bytes, next + 2);
                    if !root.is_empty() {
                        targets.push(root[0].clone());
                    } else if bytes.get(at) == Some(&b'{') {
                        for (head, macro_call) in group_heads(bytes, at) {
                            targets.push(krate.target(&head, macro_call));
                        }
                    } else if let Some((head, after)) = ident_at(bytes, at) {
                        let macro_call = bytes.get(skip_space(bytes, after)) == Some(&b'!');
                        targets.push(krate.target(&head, macro_call));
                    }
                }
            }
            for to in targets {
                if to != from {
                    edges
                        .entry((from.clone(), to))
                        .or_insert_with(|| format!("{rel}:{line}"));
                }
            }
            i = end;
        }
    }
    edges
}

/// Folders that reach each other through edges (strongly connected components of size > 1).
fn cycles(edges: &Edges) -> Vec<BTreeSet<String>> {
    let nodes: BTreeSet<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for ((a, b), _) in edges.iter() {
                if *a == n && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for n in &nodes {
        let comp: BTreeSet<String> = nodes
            .iter()
            .filter(|m| reached[*n].contains(**m) && reached[**m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if comp.len() > 1 && !out.contains(&comp) {
            out.push(comp);
        }
    }
    out
}

fn describe(edges: &Edges) -> String {
    edges
        .iter()
        .map(|((a, b), at)| format!("  {a} -> {b}   (first at {at})"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_cycle_between_folders() {
    let edges = edges();
    println!("edges between the top-level folders of src/:\n{}", describe(&edges));
    let found = cycles(&edges);
    let mut report = String::new();
    for comp in &found {
        report.push_str(&format!(
            "import circle through {}:\n",
            comp.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
        for ((a, b), at) in &edges {
            if comp.contains(a) && comp.contains(b) {
                report.push_str(&format!("  {a} -> {b}   (first at {at})\n"));
            }
        }
    }
    assert!(found.is_empty(), "{report}");
}

#[test]
fn folders_use_only_lower_layers() {
    let level = |node: &str| LAYERS.iter().position(|l| l.contains(&node));
    let mut problems = Vec::new();
    for ((a, b), at) in &edges() {
        match (level(a), level(b)) {
            (Some(x), Some(y)) if y <= x => {}
            (Some(_), Some(_)) => problems.push(format!("{at}: `{a}` uses `{b}`, a layer above it")),
            _ => problems.push(format!(
                "{at}: `{a}` -> `{b}`: a folder missing from LAYERS in tests/layers.rs (add it where it belongs)"
            )),
        }
    }
    assert!(problems.is_empty(), "back edges:\n{}", problems.join("\n"));
}

#[test]
fn every_top_level_folder_is_a_layer() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let krate = Crate::read(&files);
    let missing: Vec<&String> = krate
        .tops
        .iter()
        .filter(|t| !LAYERS.iter().any(|l| l.contains(&t.as_str())))
        .collect();
    assert!(
        missing.is_empty(),
        "add these to LAYERS in tests/layers.rs: {missing:?}"
    );
}

#[test]
fn no_file_in_src_is_over_the_limit() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).expect("a source file").lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them along a seam):\n{}",
        long.join("\n")
    );
}

/// The scanner itself: comments and strings do not count, `super` and groups resolve.
#[test]
fn the_scanner_reads_paths_not_prose() {
    let code =
        code_only("let a = \"crate::x\"; // crate::y\n/* crate::z */ let c = 'c'; crate::w::f(); r#\"crate::v\"#");
    assert!(!code.contains("crate::x") && !code.contains("crate::y") && !code.contains("crate::z"));
    assert!(!code.contains("crate::v"));
    assert!(code.contains("crate::w::f()"));
    assert_eq!(code.lines().count(), 2);
    let heads = group_heads(b"{a::b, c::{d, e}, declare!}", 0);
    let names: Vec<&str> = heads.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "c", "declare"]);
    assert_eq!(char_literal_len(b"'a>"), None);
    assert_eq!(char_literal_len(b"'\\n'"), Some(4));
}
