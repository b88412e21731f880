//! Shared plumbing of the Python 2 to 3 migration rules (PF4xx): the pickle calls of the
//! project (found by `analysis::pickle_calls`, resolved once per check), findings at a node,
//! and edits that delete whole statements cleanly.

use crate::analysis::checker::Checker;
use crate::analysis::eval::Origin;
use crate::analysis::pickle_calls;
pub use crate::analysis::pickle_calls::PickleCall;
use crate::analysis::project::ModId;
use crate::base::diagnostic::{display_path, Diagnostic, Edit, Fix, Location, SinkLocation, Span};
use crate::python::parse::{self, ast};
use crate::python::text::{line_end, line_start};

/// Every call of a pickle function in the parsed project: (call site, kind, qualified name).
/// Resolved once per check; the migration rules all use it.
pub fn pickle_calls(c: &Checker) -> Vec<(usize, PickleCall, String)> {
    c.pickle_calls.get_or_init(|| pickle_calls::find(&c.ev)).clone()
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
        latent: false,
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
