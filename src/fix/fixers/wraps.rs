//! `@functools.wraps(func)` on a decorator's wrapper, so that the decorated function keeps its
//! name and pickles by reference again (PF205).

use super::FixContext;
use crate::analysis::index::Scope;
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::text::{import_edit, indent_at, line_start, newline};

pub fn fix(ctx: &FixContext) -> Option<Fix> {
    let origin = ctx.leaf.origin?;
    let index = ctx.index;
    let wrapper = index.funcs.iter().find(|f| {
        f.module == origin.module
            && f.def.start() <= origin.offset
            && origin.offset < usize::from(f.def.range.end())
            && f.qualname == ctx.leaf.qualname.as_deref().unwrap_or("")
    })?;
    let Scope::Func(parent) = wrapper.parent else {
        return None;
    };
    let decorator = &index.funcs[parent];
    // A method's first parameter is `self`, not the wrapped function.
    if decorator.class.is_some() {
        return None;
    }
    let wrapped = decorator.def.params().first()?.arg.as_str();
    let module = origin.module;
    let text = ctx.text(module);
    let at = line_start(text, wrapper.def.start());
    let line = format!("{}@functools.wraps({wrapped}){}", indent_at(text, at), newline(text));
    let mut edits = vec![Edit {
        start: at,
        end: at,
        content: line,
    }];
    edits.extend(import_edit(text, ctx.suite(module), "functools"));
    Some(Fix {
        applicability: Applicability::Safe,
        message: format!("Add `@functools.wraps({wrapped})` to `{}`", wrapper.qualname),
        edits,
        path: Some(ctx.path(module)),
    })
}
