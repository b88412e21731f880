//! PF501: a worker reads a global the parent sets at run time. When the parent sets it by
//! calling a function (`settings.configure(path)`), run that function in every worker too:
//! add `initializer=settings.configure, initargs=(path,)` to the pool that runs the worker.
//!
//! Unsafe: the function then runs once per worker process (its side effects repeat), and its
//! arguments are pickled.

use crate::analysis::eval::{Eval, Origin, Value};
use crate::analysis::index::FuncId;
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::parse::{self, ast};

/// The fix for the workers of the pool made at `pool` when function `writer` sets the global.
pub fn fix(ev: &Eval, pool: Origin, writer: FuncId) -> Option<Fix> {
    let index = ev.index;
    let module = pool.module;
    let suite = index.project.modules[module].suite()?;
    let ctor = crate::python::names::expr_at(suite, pool.offset, |e| match e.kind() {
        ast::ExprKind::Call(call) => Some(call),
        _ => None,
    })?;
    if ctor.keywords.iter().any(|k| k.arg.as_deref() == Some("initializer")) {
        return None;
    }
    // The parent's own call of the writer, in the same module, before the pool is made.
    let (_, site) = index.calls.iter().enumerate().find(|(i, s)| {
        s.module() == module
            && parse::range_of(s.call).0 < pool.offset
            && ev
                .eval(&ev.site_frame(*i), &s.call.func)
                .iter()
                .any(|v| matches!(v, Value::Func(f) if *f == writer))
    })?;
    if !site.call.keywords.is_empty()
        || site
            .call
            .args
            .iter()
            .any(|a| matches!(a.kind(), ast::ExprKind::Starred(_)))
    {
        return None;
    }
    let text = index.project.modules[module].source.text();
    let slice = |e: &ast::Expr| {
        let (a, b) = parse::range_of(e);
        text[a..b].to_string()
    };
    let callee = slice(&site.call.func);
    let args: Vec<String> = site.call.args.iter().map(slice).collect();
    let initargs = match args.len() {
        0 => "()".to_string(),
        1 => format!("({},)", args[0]),
        _ => format!("({})", args.join(", ")),
    };
    let last = ctor
        .args
        .iter()
        .map(|a| parse::range_of(a).1)
        .chain(ctor.keywords.iter().map(|k| parse::range_of(&k.value).1))
        .max();
    let (at, content) = match last {
        Some(end) => (end, format!(", initializer={callee}, initargs={initargs}")),
        None => {
            let close = parse::range_of(ctor).1 - 1;
            (close, format!("initializer={callee}, initargs={initargs}"))
        }
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("Run `{callee}` in every worker with `initializer=`"),
        edits: vec![Edit {
            start: at,
            end: at,
            content,
        }],
        path: Some(index.project.modules[module].source.path.clone()),
    })
}
