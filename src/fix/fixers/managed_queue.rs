//! A `multiprocessing.Queue` (or lock) sent to pool tasks: make it a `Manager()` proxy, which
//! pickles. Unsafe: it starts a manager server process, and every operation becomes a round
//! trip to it.

use super::FixContext;
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::parse::{self, ast};

pub fn fix(ctx: &FixContext) -> Option<Fix> {
    let origin = ctx.leaf.origin?;
    let module = origin.module;
    let call = crate::python::names::expr_at(ctx.suite(module), origin.offset, |e| match e.kind() {
        ast::ExprKind::Call(c) => Some(c),
        _ => None,
    })?;
    let (edits, what) = match call.func.kind() {
        ast::ExprKind::Attribute(a) => {
            let (start, _) = parse::range_of(&a.value);
            let (_, end) = parse::range_of(&call.func);
            let base = &ctx.text(module)[start..parse::range_of(&a.value).1];
            // Managers have no SimpleQueue; a managed Queue does the same job.
            let kind = if a.attr.as_str() == "SimpleQueue" {
                "Queue"
            } else {
                a.attr.as_str()
            };
            (
                vec![Edit {
                    start,
                    end,
                    content: format!("{base}.Manager().{kind}"),
                }],
                kind.to_string(),
            )
        }
        ast::ExprKind::Name(n) => {
            // `from multiprocessing import Queue`: go through the module for the manager.
            let kind = if n.id.as_str() == "SimpleQueue" {
                "Queue"
            } else {
                n.id.as_str()
            };
            let (start, end) = parse::range_of(&call.func);
            let mut edits = vec![Edit {
                start,
                end,
                content: format!("multiprocessing.Manager().{kind}"),
            }];
            edits.extend(crate::python::text::import_edit(
                ctx.text(module),
                ctx.suite(module),
                "multiprocessing",
            ));
            (edits, kind.to_string())
        }
        _ => return None,
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("Use a `Manager().{what}()` proxy, which can be sent to pool workers"),
        edits,
        path: Some(ctx.path(module)),
    })
}
