//! A guard at the top of `__getattr__` for the attributes it reads from `self`, so that
//! loading a pickled instance gets `AttributeError` instead of endless recursion (PF110).

use super::FixContext;
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::names::getattr_self_reads;
use crate::python::parse::{self, ast};
use crate::python::text::{indent_at, indent_unit, line_start, newline};

pub fn fix(ctx: &FixContext) -> Option<Fix> {
    let index = ctx.index;
    let qualname = ctx.leaf.qualname.as_deref()?;
    let getattr = index
        .funcs
        .iter()
        .find(|f| f.def.name == "__getattr__" && f.qualname == qualname)?;
    let module = getattr.module;
    let params = getattr.def.params();
    let (this, name) = (params.first()?.arg.as_str(), params.get(1)?.arg.as_str());
    let reads = getattr_self_reads(getattr.def.body, this);
    if reads.is_empty() {
        return None;
    }
    // After a docstring, before the first statement that does something.
    let body = getattr.def.body;
    let is_doc = |s: &ast::Stmt| matches!(s, ast::Stmt::Expr(e) if parse::str_literal(&e.value).is_some());
    let first = body.iter().find(|s| !is_doc(s))?;
    let text = ctx.text(module);
    let at = line_start(text, parse::range_of(first).0);
    let indent = indent_at(text, at);
    // A one-line body (`def __getattr__(self, n): return ...`) has no line of its own to go before.
    if indent.is_empty() || !text[at..parse::range_of(first).0].trim().is_empty() {
        return None;
    }
    let nl = newline(text);
    let names: Vec<String> = reads.iter().map(|r| format!("{r:?}")).collect();
    let tuple = if names.len() == 1 {
        format!("({},)", names[0])
    } else {
        format!("({})", names.join(", "))
    };
    let guard = format!(
        "{indent}if {name} in {tuple}:{nl}{indent}{unit}raise AttributeError({name}){nl}",
        unit = indent_unit(text)
    );
    Some(Fix {
        applicability: Applicability::Safe,
        message: format!(
            "Raise `AttributeError` in `{}` for {}",
            getattr.qualname,
            names.join(", ")
        ),
        edits: vec![Edit {
            start: at,
            end: at,
            content: guard,
        }],
        path: Some(ctx.path(module)),
    })
}
