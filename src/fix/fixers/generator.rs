//! A generator stored on a pickled object: keep the data instead. A generator expression
//! becomes a list comprehension; a generator function's result is wrapped in `list(...)`.
//!
//! Unsafe: the data is computed at once instead of lazily (memory, side effects, timing), and
//! the attribute can be iterated more than once afterwards.

use super::FixContext;
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::parse::{self, ast};

pub fn fix(ctx: &FixContext) -> Option<Fix> {
    let origin = ctx.leaf.origin?;
    let module = origin.module;
    let text = ctx.text(module);
    let found = crate::python::names::expr_at(ctx.suite(module), origin.offset, |e| match e.kind() {
        ast::ExprKind::GeneratorExp(_) | ast::ExprKind::Call(_) => Some(e),
        _ => None,
    })?;
    let (a, b) = parse::range_of(found);
    let edits = match found.kind() {
        ast::ExprKind::GeneratorExp(_) if text[a..].starts_with('(') && text[..b].ends_with(')') => {
            vec![
                Edit {
                    start: a,
                    end: a + 1,
                    content: "[".into(),
                },
                Edit {
                    start: b - 1,
                    end: b,
                    content: "]".into(),
                },
            ]
        }
        ast::ExprKind::Call(_) => vec![
            Edit {
                start: a,
                end: a,
                content: "list(".into(),
            },
            Edit {
                start: b,
                end: b,
                content: ")".into(),
            },
        ],
        _ => return None,
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: "Store the data as a list instead of a generator".into(),
        edits,
        path: Some(ctx.path(module)),
    })
}
