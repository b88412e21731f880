//! PF402: a pickle file opened in text mode.

use std::rc::Rc;

use super::Check;
use crate::analysis::checker::Checker;
use crate::analysis::eval::Value;
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::parse::{self, ast};
use crate::rules::migrate::{self, argument, At, PickleCall};

crate::declare_rule! {
    /// ## What it does
    /// Follows the file given to `pickle.dump`, `pickle.load`, `Pickler` or `Unpickler` back to
    /// the `open(...)` that made it — through variables, `with` blocks and function parameters —
    /// and reports it when the mode is text (`"r"`, `"w"`, `"a"`, or no mode at all). A
    /// project object that forwards `write`/`read` (or everything, through `__getattr__`) to a
    /// file it holds (an atomic-file class) counts as that file; its mode is fixed by hand.
    ///
    /// ## Why is this bad?
    /// Python 3 pickles are bytes. Writing them to a text file raises
    /// `TypeError: write() argument must be str, not bytes`; reading from one raises
    /// `TypeError: a bytes-like object is required, not 'str'`. Python 2 did not care on POSIX,
    /// so ported code breaks here.
    ///
    /// ## Example
    /// ```python
    /// with open(path, "w") as fh:
    ///     pickle.dump(index, fh)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// with open(path, "wb") as fh:
    ///     pickle.dump(index, fh)
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the mode becomes binary (`"r"` → `"rb"`, `"w"` → `"wb"`, `"a"` → `"ab"`, a missing
    /// mode → `"rb"` or `"wb"`), and an `encoding=`, `errors=` or `newline=` argument, which
    /// binary mode forbids, is dropped. A pickle cannot be written to or read from a text file
    /// on Python 3 at all, so no working behaviour changes. Files whose mode is not a literal
    /// get no fix.
    pub static RULE = {
        code: "PF402",
        name: "pickle-file-text-mode",
        summary: "A pickle file is opened in text mode",
        check: Check::Beside(check),
    };
}

pub fn check(c: &mut Checker) {
    let Some(file_type) = c.catalog.type_id("file") else {
        return;
    };
    let mut found = Vec::new();
    for (site, kind, name) in migrate::pickle_calls(c) {
        let call = c.index.calls[site].call;
        let (arg, writes) = match kind {
            PickleCall::Dump => (argument(call, 1, "file"), true),
            PickleCall::Pickler => (argument(call, 0, "file"), true),
            PickleCall::Load | PickleCall::Unpickler => (argument(call, 0, "file"), false),
            _ => continue,
        };
        let Some(arg) = arg else { continue };
        let frame = c.ev.site_frame(site);
        let mut files: Vec<(Rc<crate::analysis::eval::Obj>, bool)> = Vec::new();
        for v in c.ev.eval(&frame, arg) {
            match v {
                Value::Obj(o) => files.push((o.clone(), false)),
                Value::Instance(inst) => files.extend(wrapped_files(c, &inst, writes).into_iter().map(|o| (o, true))),
                _ => {}
            }
        }
        for (o, wrapped) in files {
            let binary = o
                .class
                .as_deref()
                .is_some_and(|k| k.starts_with("Buffered") || k == "FileIO");
            if o.ty != file_type || binary || !o.ctor.ends_with("open") {
                continue;
            }
            let module = c.index.calls[site].module();
            // Through a wrapper the mode is the wrapper's, shared with its other callers: by hand.
            let fix = if wrapped {
                None
            } else {
                binary_mode_fix(c, o.origin, writes)
            };
            let verb = if writes { "writes" } else { "reads" };
            let message =
                format!("`{name}` {verb} bytes, but the file is opened in text mode; Python 3 raises `TypeError`");
            let at = At {
                module,
                range: parse::range_of(call),
                origin: Some(o.origin),
                sink: Some(&name),
            };
            found.push(migrate::diagnostic(
                c,
                RULE.code,
                at,
                message,
                fix,
                "open the file in binary mode (`\"rb\"` / `\"wb\"`)",
            ));
        }
    }
    c.report(found);
}

/// The files a project object hands `pickle` its writes (or reads) to: its class forwards
/// `write`/`read` (a method of that name, or `__getattr__`) to one of its attributes, and the
/// attribute holds an open file (`self._fp = os.fdopen(fd, "w")` in an atomic-file class).
fn wrapped_files(
    c: &Checker,
    inst: &Rc<crate::analysis::eval::Inst>,
    writes: bool,
) -> Vec<Rc<crate::analysis::eval::Obj>> {
    let verb = if writes { "write" } else { "read" };
    let Some(method) =
        c.ev.method(inst.class, verb)
            .or_else(|| c.ev.method(inst.class, "__getattr__"))
    else {
        return Vec::new();
    };
    let body = c.index.funcs[method].def.body;
    let state = c.ev.overall_state(inst);
    let mut out = Vec::new();
    for name in state.names() {
        // The method reads the attribute (`self._fp.write(...)`, `getattr(self._fp, name)`).
        if !crate::python::names::mentions_anywhere(body, name) {
            continue;
        }
        for v in state.get(name).into_iter().flat_map(|vals| vals.iter()) {
            if let Value::Obj(o) = v {
                out.push(o.clone());
            }
        }
    }
    out
}

fn binary_mode_fix(c: &Checker, origin: crate::analysis::eval::Origin, writes: bool) -> Option<Fix> {
    let m = &c.index.project.modules[origin.module];
    let suite = m.suite()?;
    let open = crate::python::names::expr_at(suite, origin.offset, |e| match e.kind() {
        ast::ExprKind::Call(call) => Some(call),
        _ => None,
    })?;
    let mut edits = Vec::new();
    let mode = argument(open, 1, "mode");
    match mode {
        Some(e) => {
            let current = parse::str_literal(e)?;
            let new = if current.contains('b') {
                return None;
            } else {
                binary(current)
            };
            let (a, b) = parse::range_of(e);
            let quote = &m.source.text()[a..a + 1];
            let quote = if quote == "'" { "'" } else { "\"" };
            edits.push(Edit {
                start: a,
                end: b,
                content: format!("{quote}{new}{quote}"),
            });
        }
        None => {
            let first = open.args.first()?;
            let at = parse::range_of(first).1;
            let new = if writes { "wb" } else { "rb" };
            edits.push(Edit {
                start: at,
                end: at,
                content: format!(", \"{new}\""),
            });
        }
    }
    let text = m.source.text();
    let mut previous_end = open
        .args
        .iter()
        .map(|a| parse::range_of(a).1)
        .max()
        .unwrap_or(parse::range_of(&open.func).1);
    for k in open.keywords {
        let (a, b) = parse::range_of(k);
        if matches!(k.arg.as_deref(), Some("encoding" | "errors" | "newline")) {
            let comma = first_comma(text, previous_end, a)?;
            let line = crate::python::text::line_start(text, a);
            let line_end = crate::python::text::line_end(text, b);
            let rest = text[b..line_end].trim();
            if text[line..a].trim().is_empty() && (rest.is_empty() || rest == ",") && comma < line {
                // The keyword has a line of its own: drop the line.
                edits.push(Edit {
                    start: line,
                    end: line_end,
                    content: String::new(),
                });
            } else if text[comma + 1..a].trim().is_empty() {
                edits.push(Edit {
                    start: comma,
                    end: b,
                    content: String::new(),
                });
            } else {
                // A comment sits between: drop the comma and the keyword, keep the comment.
                edits.push(Edit {
                    start: comma,
                    end: comma + 1,
                    content: String::new(),
                });
                edits.push(Edit {
                    start: a,
                    end: b,
                    content: String::new(),
                });
            }
        }
        previous_end = b;
    }
    Some(Fix {
        applicability: Applicability::Safe,
        message: "Open the file in binary mode".into(),
        edits,
        path: Some(m.source.path.clone()),
    })
}

/// The first `,` between two offsets that is not inside a comment.
fn first_comma(text: &str, from: usize, to: usize) -> Option<usize> {
    let mut in_comment = false;
    for (i, ch) in text[from..to].char_indices() {
        match ch {
            '#' => in_comment = true,
            '\n' | '\r' => in_comment = false,
            ',' if !in_comment => return Some(from + i),
            _ => {}
        }
    }
    None
}

fn binary(mode: &str) -> String {
    let mode = if mode.is_empty() { "r" } else { mode };
    let mode = mode.replace('t', "");
    match mode.find('+') {
        Some(i) => format!("{}b{}", &mode[..i], &mode[i..]),
        None => format!("{mode}b"),
    }
}
