//! Shared plumbing of the Python 2 to 3 migration rules (PF4xx): the pickle calls of the
//! project, findings at a node, and edits that delete whole statements cleanly.

use crate::analysis::checker::Checker;
use crate::analysis::eval::{Origin, Value};
use crate::analysis::project::ModId;
use crate::base::diagnostic::{display_path, Diagnostic, Edit, Fix, Location, SinkLocation, Span};
use crate::python::parse::{self, ast};
use crate::python::text::{line_end, line_start};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickleCall {
    Dump,
    Dumps,
    Load,
    Loads,
    Pickler,
    Unpickler,
}

/// Modules whose `dump`/`load` functions are pickle's (Python 2's `cPickle` included).
const PICKLE_MODULES: &[&str] = &["pickle", "cPickle", "_pickle"];

/// Every call of a pickle function in the parsed project: (call site, kind, qualified name).
/// Resolved once per check; the migration rules all use it.
pub fn pickle_calls(c: &Checker) -> Vec<(usize, PickleCall, String)> {
    c.pickle_calls.get_or_init(|| find_pickle_calls(c)).clone()
}

fn find_pickle_calls(c: &Checker) -> Vec<(usize, PickleCall, String)> {
    let mut out = Vec::new();
    for (i, site) in c.index.calls.iter().enumerate() {
        let Some(last) = crate::analysis::index::last_name(&site.call.func) else {
            continue;
        };
        let kind = match last {
            "dump" => PickleCall::Dump,
            "dumps" => PickleCall::Dumps,
            "load" => PickleCall::Load,
            "loads" => PickleCall::Loads,
            "Pickler" => PickleCall::Pickler,
            "Unpickler" => PickleCall::Unpickler,
            _ => continue,
        };
        let frame = c.ev.site_frame(i);
        let q = c.ev.eval(&frame, &site.call.func).into_iter().find_map(|v| match v {
            Value::External(q)
                if PICKLE_MODULES
                    .iter()
                    .any(|m| q.strip_prefix(m).and_then(|r| r.strip_prefix('.')) == Some(last)) =>
            {
                Some(q.to_string())
            }
            _ => None,
        });
        if let Some(q) = q {
            out.push((i, kind, q));
        }
    }
    out
}

/// The argument at `pos` or keyword `kw` of a call.
pub fn argument<'a>(call: &'a ast::ExprCall<'a>, pos: usize, kw: &str) -> Option<&'a ast::Expr<'a>> {
    call.keywords
        .iter()
        .find(|k| k.arg.as_deref() == Some(kw))
        .map(|k| &k.value)
        .or_else(|| {
            call.args
                .get(pos)
                .filter(|a| !matches!(a.kind(), ast::ExprKind::Starred(_)))
        })
}

/// A fix whose edits apply to a module of the project.
pub fn fix(
    c: &Checker,
    module: ModId,
    applicability: crate::base::diagnostic::Applicability,
    message: impl Into<String>,
    edits: Vec<Edit>,
) -> Fix {
    Fix {
        applicability,
        message: message.into(),
        edits,
        path: Some(c.index.project.modules[module].source.path.clone()),
    }
}

/// A finding at a node of a module.
pub struct At<'x> {
    pub module: ModId,
    pub range: (usize, usize),
    pub origin: Option<Origin>,
    pub sink: Option<&'x str>,
}

pub fn diagnostic(
    c: &Checker,
    code: &'static str,
    at: At,
    message: String,
    fix: Option<Fix>,
    help: &str,
) -> Diagnostic {
    let file = &c.index.project.modules[at.module].source;
    let (line, column) = file.line_col(at.range.0);
    let (end_line, end_column) = file.line_col(at.range.1);
    let origin = at.origin.map(|o| {
        let m = &c.index.project.modules[o.module].source;
        let (l, _) = m.line_col(o.offset);
        (
            Location {
                path: display_path(&m.path),
                line: l,
            },
            m.line_text(l).trim().to_string(),
        )
    });
    Diagnostic {
        code,
        message,
        path: file.path.clone(),
        span: Span {
            line,
            column,
            end_line,
            end_column,
        },
        attribute_path: None,
        origin: origin.as_ref().map(|o| o.0.clone()),
        origin_text: origin.map(|o| o.1),
        sink: at.sink.map(|call| SinkLocation {
            path: display_path(&file.path),
            line,
            call: call.to_string(),
        }),
        error: None,
        fix,
        help: Some(help.to_string()),
    }
}

/// Edits that delete top-level statements (with the comment lines right above each run), so
/// that the blank lines around them do not pile up.
pub fn delete_statements(text: &str, suite: &[ast::Stmt], doomed: &[usize]) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut i = 0;
    while i < suite.len() {
        if !doomed.contains(&i) {
            i += 1;
            continue;
        }
        let first = i;
        while i + 1 < suite.len() && doomed.contains(&(i + 1)) {
            i += 1;
        }
        let mut start = crate::python::text::comments_above(text, line_start(text, stmt_start(&suite[first])));
        let end = line_end(text, parse::range_of(&suite[i]).1);
        // Blank lines before and after the run: keep only those after it.
        let before_blank = blank_lines_before(text, start);
        if before_blank < start && text[end..].starts_with(['\n', '\r']) {
            start = before_blank;
        }
        edits.push(Edit {
            start,
            end,
            content: String::new(),
        });
        i += 1;
    }
    edits
}

fn stmt_start(stmt: &ast::Stmt) -> usize {
    let decorators: &[ast::Expr] = match stmt {
        ast::Stmt::FunctionDef(f) | ast::Stmt::AsyncFunctionDef(f) => f.decorator_list,
        ast::Stmt::ClassDef(c) => c.decorator_list,
        _ => &[],
    };
    decorators
        .first()
        .map_or(parse::range_of(stmt).0, |d| parse::range_of(d).0)
}

fn blank_lines_before(text: &str, mut line: usize) -> usize {
    while line > 0 {
        let prev = line_start(text, line - 1);
        if text[prev..line].trim().is_empty() {
            line = prev;
        } else {
            break;
        }
    }
    line
}

/// Does `name` appear as a loaded name anywhere in the suite outside the given byte ranges?
pub fn used_outside(suite: &[ast::Stmt], name: &str, skip: &[(usize, usize)]) -> bool {
    let names = crate::python::names::loaded_names(|v| suite.iter().for_each(|s| v.visit_stmt(s)));
    names
        .iter()
        .any(|(n, a, _)| *n == name && !skip.iter().any(|(s, e)| s <= a && a < e))
}

/// Byte ranges of blocks only Python 2 runs: the body of `if sys.version_info[0] < 3:`,
/// `if six.PY2:`, `if not PY3:` and the like, and the `else:` of the Python 3 tests. The
/// migration rules leave code there alone: it is already the Python 2 half of a port.
pub fn python2_blocks(suite: &[ast::Stmt]) -> Vec<(usize, usize)> {
    struct Blocks(Vec<(usize, usize)>);
    impl<'a> parse::Visitor<'a> for Blocks {
        fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
            if let ast::Stmt::If(i) = stmt {
                let block = match runs_on_python2(&i.test) {
                    Some(true) => Some(&i.body),
                    Some(false) => Some(&i.orelse),
                    None => None,
                };
                if let (Some(first), Some(last)) = (block.and_then(|b| b.first()), block.and_then(|b| b.last())) {
                    self.0.push((parse::range_of(first).0, parse::range_of(last).1));
                }
            }
            parse::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, _: &'a ast::Expr<'a>) {}
    }
    let mut blocks = Blocks(Vec::new());
    parse::walk_body(&mut blocks, suite);
    blocks.0
}

/// Some(true): the test holds on Python 2 only; Some(false): on Python 3 only.
fn runs_on_python2(test: &ast::Expr) -> Option<bool> {
    match test.kind() {
        ast::ExprKind::UnaryOp(u) if matches!(u.op, ast::UnaryOp::Not) => runs_on_python2(&u.operand).map(|b| !b),
        ast::ExprKind::Name(_) | ast::ExprKind::Attribute(_) => match crate::analysis::index::last_name(test)? {
            "PY2" => Some(true),
            "PY3" => Some(false),
            _ => None,
        },
        ast::ExprKind::Compare(c) if c.ops.len() == 1 => {
            let major = version_major_of(&c.left)?;
            let bound = major_bound(&c.comparators[0], major)?;
            use ast::CmpOp as Op;
            match (&c.ops[0], bound) {
                (Op::Lt, 3) | (Op::LtE, 2) | (Op::Eq, 2) => Some(true),
                (Op::GtE, 3) | (Op::Gt, 2) | (Op::Eq, 3) | (Op::NotEq, 2) => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// What a version test compares: `sys.version_info[0]` / `.major` (a number, true) or
/// `sys.version_info` / `sys.version_info[:2]` (a tuple, false).
fn version_major_of(e: &ast::Expr) -> Option<bool> {
    let is_version_info =
        |e: &ast::Expr| matches!(e.kind(), ast::ExprKind::Attribute(a) if a.attr.as_str() == "version_info");
    match e.kind() {
        ast::ExprKind::Subscript(s) if is_version_info(&s.value) => match s.slice.kind() {
            ast::ExprKind::Constant(c) if matches!(&c.value, ast::Constant::Int(0)) => Some(true),
            ast::ExprKind::Slice(_) => Some(false),
            _ => None,
        },
        ast::ExprKind::Attribute(a) if a.attr.as_str() == "major" && is_version_info(&a.value) => Some(true),
        _ if is_version_info(e) => Some(false),
        _ => None,
    }
}

/// The major version a comparison names: `3`, or `(3,)` / `(3, 0)` for tuples (a tuple bound
/// with a nonzero minor, `(3, 6)`, splits Python 3 itself and is not a 2-or-3 test).
fn major_bound(e: &ast::Expr, number: bool) -> Option<u32> {
    let int = |e: &ast::Expr| match e.kind() {
        ast::ExprKind::Constant(c) => match &c.value {
            ast::Constant::Int(i) => u32::try_from(*i).ok(),
            _ => None,
        },
        _ => None,
    };
    if number {
        return int(e);
    }
    let ast::ExprKind::Tuple(t) = e.kind() else { return None };
    let major = int(t.elts.first()?)?;
    let rest_zero = t.elts[1..].iter().all(|x| int(x) == Some(0));
    rest_zero.then_some(major)
}
