//! What the migration rules (PF4xx) and the checker read about Python 2 code: every call of a
//! pickle function in the project, resolved to the module it comes from (`cPickle.load` is
//! pickle's), and the blocks only Python 2 runs (`if six.PY2:`), where those rules stay quiet.

use crate::analysis::eval::{Eval, Value};
use crate::python::parse::{self, ast};

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
/// The checker keeps the result (`Checker::pickle_calls`): the migration rules all read it.
pub fn find(ev: &Eval) -> Vec<(usize, PickleCall, String)> {
    let mut out = Vec::new();
    for (i, site) in ev.index.calls.iter().enumerate() {
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
        let frame = ev.site_frame(i);
        let q = ev.eval(&frame, &site.call.func).into_iter().find_map(|v| match v {
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
pub fn runs_on_python2(test: &ast::Expr) -> Option<bool> {
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
