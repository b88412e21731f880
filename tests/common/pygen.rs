//! A grammar-based generator of plausible multiprocessing code, in Python 3 and in Python 2:
//! classes holding files, locks, sockets, handlers, lambdas and generators; queues, pools,
//! processes, executors and pickle calls that send them; decorators, nested functions,
//! `__getstate__`, imports between the modules of a package; Python 2 statements the intake
//! rewrites. Files come with random indentation (spaces or tabs), newlines (LF or CRLF) and
//! encodings (UTF-8, with a BOM, or latin-1/cp1252 with a coding cookie and non-ASCII text).
//!
//! Every choice is read from a `Choices`: a seeded generator for the test suite, or the bytes
//! of a fuzzer's input (`fuzz/fuzz_targets/fix.rs`), so a failure is reproduced from its seed
//! or its input file. Shared by `tests/fuzz_grammar.rs` and the fuzz target.

#![allow(dead_code)]

/// Where the generator's decisions come from.
pub trait Choices {
    /// A number in `0..n` (n > 0).
    fn pick(&mut self, n: usize) -> usize;

    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) < percent
    }

    fn one<'s>(&mut self, options: &[&'s str]) -> &'s str {
        options[self.pick(options.len())]
    }
}

/// SplitMix64: small, fast, and the same on every machine.
pub struct Rng(pub u64);

impl Choices for Rng {
    fn pick(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// A fuzzer's bytes as choices; zeros once they run out (the first option: the generator ends).
pub struct Bytes<'d> {
    pub data: &'d [u8],
    pub at: usize,
}

impl Choices for Bytes<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let Some(&b) = self.data.get(self.at) else { return 0 };
        self.at += 1;
        b as usize % n
    }
}

/// One generated file: its path in the project and its bytes.
pub struct File {
    pub path: String,
    pub bytes: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Py3,
    Py2,
}

struct Writer {
    lines: Vec<String>,
    indent: &'static str,
    depth: usize,
    dialect: Dialect,
    /// Non-ASCII text is allowed (the file's encoding can hold it).
    non_ascii: bool,
    classes: Vec<String>,
    functions: Vec<String>,
    counter: usize,
}

impl Writer {
    fn line(&mut self, text: &str) {
        let pad = self.indent.repeat(self.depth);
        self.lines.push(format!("{pad}{text}"));
    }

    fn fresh(&mut self, stem: &str) -> String {
        self.counter += 1;
        format!("{stem}{}", self.counter)
    }

    fn block(&mut self, header: &str, body: impl FnOnce(&mut Writer)) {
        self.line(header);
        self.depth += 1;
        let before = self.lines.len();
        body(self);
        if self.lines.len() == before {
            self.line("pass");
        }
        self.depth -= 1;
    }
}

/// A package `pkg` of one to four modules (plus `__init__.py`), importing one another.
pub fn project(c: &mut impl Choices) -> Vec<File> {
    let n = 1 + c.pick(4);
    let mut files = vec![File {
        path: "pkg/__init__.py".into(),
        bytes: Vec::new(),
    }];
    let mut exported: Vec<(String, String)> = Vec::new();
    for i in 0..n {
        let name = format!("m{i}");
        let (bytes, classes) = module(c, &exported);
        exported.extend(classes.into_iter().map(|k| (name.clone(), k)));
        files.push(File {
            path: format!("pkg/{name}.py"),
            bytes,
        });
    }
    files
}

/// One module's bytes, and the classes it defines (later modules may import them).
fn module(c: &mut impl Choices, importable: &[(String, String)]) -> (Vec<u8>, Vec<String>) {
    let dialect = if c.chance(35) { Dialect::Py2 } else { Dialect::Py3 };
    let encoding = c.pick(5);
    let mut w = Writer {
        lines: Vec::new(),
        indent: ["    ", "  ", "\t"][c.pick(3)],
        depth: 0,
        dialect,
        non_ascii: encoding != 2,
        classes: Vec::new(),
        functions: Vec::new(),
        counter: 0,
    };
    match encoding {
        3 => w.line("# -*- coding: latin-1 -*-"),
        4 => w.line("# coding=cp1252"),
        _ => {}
    }
    if c.chance(40) {
        w.line("\"\"\"A module of the generated project.\"\"\"");
    }
    imports(c, &mut w, importable);
    let parts = 1 + c.pick(6);
    for _ in 0..parts {
        w.line("");
        match c.pick(7) {
            0 | 1 => class(c, &mut w),
            2 => decorator(c, &mut w),
            3 | 4 => sink_function(c, &mut w),
            5 if dialect == Dialect::Py2 => py2_function(c, &mut w),
            _ => plain_function(c, &mut w),
        }
    }
    if c.chance(60) {
        main_guard(c, &mut w);
    }
    let newline = if c.chance(20) { "\r\n" } else { "\n" };
    let mut text = w.lines.join(newline);
    text.push_str(newline);
    let bytes = match encoding {
        1 => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
        3 | 4 => text
            .chars()
            .map(|ch| u8::try_from(u32::from(ch)).unwrap_or(b'?'))
            .collect(),
        _ => text.into_bytes(),
    };
    (bytes, w.classes)
}

fn imports(c: &mut impl Choices, w: &mut Writer, importable: &[(String, String)]) {
    let mut all = vec![
        "import multiprocessing as mp",
        "import multiprocessing",
        "from multiprocessing import Pool, Process, Queue",
        "import pickle",
        "import threading",
        "import socket",
        "import logging",
        "import functools",
        "import os, sys",
        "from concurrent.futures import ProcessPoolExecutor",
    ];
    if w.dialect == Dialect::Py2 {
        all.push("import cPickle");
        all.push("import copy_reg");
    }
    // The names the rest of the file uses are always there.
    for must in [
        "import multiprocessing as mp",
        "import pickle",
        "import threading",
        "import sys",
        "import functools",
        "import logging",
    ] {
        w.line(must);
    }
    for _ in 0..c.pick(4) {
        let i = c.one(&all);
        w.line(i);
    }
    if !importable.is_empty() && c.chance(70) {
        let (m, k) = &importable[c.pick(importable.len())];
        let form = c.pick(3);
        match form {
            0 => w.line(&format!("from pkg.{m} import {k}")),
            1 => w.line(&format!("from .{m} import {k}")),
            _ => {
                w.line(&format!("from pkg import {m}"));
                w.line(&format!("{k} = {m}.{k}"));
            }
        }
        w.classes.push(k.clone());
    }
}

/// A value for an attribute: what cannot be pickled, and what can.
fn value(c: &mut impl Choices, w: &Writer, param: &str) -> String {
    let text = if w.non_ascii { "'caf\u{e9}'" } else { "'text'" };
    let options = [
        format!("open({param})"),
        format!("open({param}, 'rb')"),
        "threading.Lock()".into(),
        "threading.RLock()".into(),
        "lambda x: x + 1".into(),
        "(n for n in range(3))".into(),
        format!("[open({param})]"),
        format!("{{'log': open({param}, 'a')}}"),
        "logging.getLogger(__name__)".into(),
        "mp.Queue()".into(),
        "42".into(),
        text.into(),
        param.to_string(),
        "None".into(),
        "[]".into(),
    ];
    options[c.pick(options.len())].clone()
}

fn class(c: &mut impl Choices, w: &mut Writer) {
    let name = w.fresh("Job");
    let base = match w.classes.last() {
        Some(b) if c.chance(40) => format!("({b})"),
        _ if w.dialect == Dialect::Py2 || c.chance(30) => "(object)".into(),
        _ => String::new(),
    };
    let attrs = 1 + c.pick(3);
    let values: Vec<String> = (0..attrs).map(|_| value(c, w, "path")).collect();
    let getstate = c.chance(20);
    let slotted = c.chance(10);
    w.block(&format!("class {name}{base}:"), |w| {
        if c.chance(30) {
            w.line("\"\"\"Work to send to a worker.\"\"\"");
        }
        if slotted {
            let names: Vec<String> = (0..attrs).map(|i| format!("'a{i}'")).collect();
            w.line(&format!("__slots__ = ({},)", names.join(", ")));
        }
        w.block("def __init__(self, path='data.txt'):", |w| {
            for (i, v) in values.iter().enumerate() {
                if c.chance(15) {
                    w.line("# the handle the worker reads");
                }
                w.line(&format!("self.a{i} = {v}"));
            }
        });
        w.line("");
        w.block("def run(self):", |w| {
            w.line("return self.a0");
        });
        if getstate {
            w.line("");
            w.block("def __getstate__(self):", |w| {
                w.line("state = self.__dict__.copy()");
                w.line("state.pop('a0', None)");
                w.line("return state");
            });
        }
    });
    w.classes.push(name);
}

fn decorator(c: &mut impl Choices, w: &mut Writer) {
    let deco = w.fresh("traced");
    let wraps = c.chance(40);
    w.block(&format!("def {deco}(func):"), |w| {
        if wraps {
            w.line("@functools.wraps(func)");
        }
        w.block("def wrapper(*args, **kwargs):", |w| {
            w.line("return func(*args, **kwargs)");
        });
        w.line("return wrapper");
    });
    w.line("");
    let f = w.fresh("work");
    w.line(&format!("@{deco}"));
    w.block(&format!("def {f}(item):"), |w| {
        w.line("return item");
    });
    w.functions.push(f);
}

fn callable(c: &mut impl Choices, w: &mut Writer) -> String {
    match c.pick(4) {
        0 => "lambda item: item".into(),
        1 if !w.functions.is_empty() => w.functions[c.pick(w.functions.len())].clone(),
        2 => {
            let inner = w.fresh("helper");
            w.block(&format!("def {inner}(item):"), |w| w.line("return item"));
            inner
        }
        _ => "len".into(),
    }
}

fn sent(c: &mut impl Choices, w: &Writer) -> String {
    match w.classes.len() {
        0 => "[1, 2, 3]".into(),
        n if c.chance(80) => format!("{}()", w.classes[c.pick(n)]),
        n => format!("{}().run", w.classes[c.pick(n)]),
    }
}

fn sink_function(c: &mut impl Choices, w: &mut Writer) {
    let name = w.fresh("main");
    let sinks = 1 + c.pick(3);
    w.block(&format!("def {name}():"), |w| {
        for _ in 0..sinks {
            let obj = sent(c, w);
            match c.pick(7) {
                0 => {
                    w.line("q = mp.Queue()");
                    w.line(&format!("q.put({obj})"));
                }
                1 => {
                    let f = callable(c, w);
                    w.block("with mp.Pool(2) as pool:", |w| {
                        w.line(&format!("pool.map({f}, [{obj}])"));
                    });
                }
                2 => {
                    let f = callable(c, w);
                    w.line(&format!("p = mp.Process(target={f}, args=({obj},))"));
                    w.line("p.start()");
                    w.line("p.join()");
                }
                3 => w.line(&format!("data = pickle.dumps({obj})")),
                4 => {
                    w.line("f = open('out.pkl', 'w')");
                    w.line(&format!("pickle.dump({obj}, f)"));
                }
                5 if w.dialect == Dialect::Py2 => w.line(&format!("blob = cPickle.dumps({obj}, 2)")),
                _ => {
                    w.line("ctx = mp.get_context('spawn')");
                    w.line("q = ctx.Queue()");
                    w.line(&format!("q.put({obj})"));
                }
            }
        }
    });
    w.functions.push(name);
}

fn plain_function(c: &mut impl Choices, w: &mut Writer) {
    let name = w.fresh("compute");
    w.block(&format!("def {name}(values):"), |w| {
        w.line("total = 0");
        w.block("for v in values:", |w| {
            if c.chance(50) {
                w.block("if v > 1:", |w| w.line("total += v"));
            } else {
                w.line("total = total + v * 2");
            }
        });
        if w.non_ascii && c.chance(50) {
            w.line("label = 'r\u{e9}sum\u{e9}'  # non-ASCII in the file's encoding");
        }
        w.line("return total");
    });
    w.functions.push(name);
}

fn py2_function(c: &mut impl Choices, w: &mut Writer) {
    let name = w.fresh("legacy");
    let statements = 1 + c.pick(4);
    w.block(&format!("def {name}(d, x):"), |w| {
        for _ in 0..statements {
            match c.pick(9) {
                0 => w.line("print \"value:\", x"),
                1 => w.line("print >>sys.stderr, \"warning\""),
                2 => w.block("try:", |w| w.line("x = int(x)")),
                3 => w.line("n = 0777 + 10L"),
                4 => w.line("s = `x`"),
                5 => w.block("if x <> 1:", |w| w.line("x = 1")),
                6 => w.block("for k, v in d.iteritems():", |w| w.line("print k, v")),
                7 => w.line("r = ur'raw'"),
                _ => w.block("if d.has_key('a'):", |w| w.line("return d['a']")),
            }
            if w.lines.last().is_some_and(|l| l.trim_start() == "x = int(x)") {
                w.block("except ValueError, e:", |w| w.line("raise ValueError, 'bad value'"));
            }
        }
        w.line("return x");
    });
}

fn main_guard(c: &mut impl Choices, w: &mut Writer) {
    w.line("");
    let method = c.one(&["spawn", "fork", "forkserver"]);
    let calls: Vec<String> = w.functions.iter().filter(|f| f.starts_with("main")).cloned().collect();
    w.block("if __name__ == \"__main__\":", |w| {
        if c.chance(60) {
            w.line(&format!("mp.set_start_method(\"{method}\")"));
        }
        for f in &calls {
            w.line(&format!("{f}()"));
        }
    });
}
