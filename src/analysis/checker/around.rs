//! The code around a pickling call: a `try` whose handler falls back to another way of
//! pickling handles the failure (the finding becomes latent); a test that expects the failure
//! (`with self.assertRaises(...)`, `pytest.raises`) is no finding at all.

use super::Checker;
use crate::python::parse::{self, ast};

/// How the code around a pickling call treats its failure.
#[derive(PartialEq, Eq)]
pub(super) enum Around {
    Plain,
    /// Inside `try:` with a handler that catches the error: the program handles it.
    Handled,
    /// Inside `with self.assertRaises(...)` / `pytest.raises(...)`: a test of the failure.
    Expected,
}

impl Checker<'_, '_> {
    /// Is the call inside a `try` that handles a pickling error, or a test that expects one?
    pub(super) fn around(&self, site: usize) -> Around {
        let s = &self.index.calls[site];
        let at = parse::range_of(s.call).0;
        let body = match s.scope {
            crate::analysis::index::Scope::Func(f) => self.index.funcs[f].def.body,
            crate::analysis::index::Scope::Module(m) => self.index.project.modules[m].suite().unwrap_or(&[]),
        };
        let mut found = Around::Plain;
        enclosing(body, at, &mut |stmt| match stmt {
            ast::Stmt::With(w) | ast::Stmt::AsyncWith(w) => {
                let expects = w.items.iter().any(|i| {
                    let callee = match i.context_expr.kind() {
                        ast::ExprKind::Call(c) => crate::analysis::index::last_name(&c.func),
                        _ => None,
                    };
                    matches!(callee, Some("assertRaises" | "assertRaisesRegex" | "raises"))
                });
                if expects {
                    found = Around::Expected;
                }
            }
            ast::Stmt::Try(t) | ast::Stmt::TryStar(t) => {
                let in_body = t.body.first().is_some_and(|f| parse::range_of(f).0 <= at)
                    && t.body.last().is_some_and(|l| at < parse::range_of(l).1);
                if in_body && t.handlers.iter().any(catches_pickling_error) && found == Around::Plain {
                    found = Around::Handled;
                }
            }
            _ => {}
        });
        found
    }
}

/// Calls `visit` on every compound statement that contains `at`, outermost first.
fn enclosing<'a>(body: &'a [ast::Stmt<'a>], at: usize, visit: &mut dyn FnMut(&'a ast::Stmt<'a>)) {
    for stmt in body {
        let (a, b) = parse::range_of(stmt);
        if a <= at && at < b {
            visit(stmt);
            for inner in crate::analysis::eval::children(stmt) {
                enclosing(inner, at, visit);
            }
            return;
        }
    }
}

/// An `except` clause that catches what a failed pickling raises and falls back to pickling
/// another way (`cloudpickle.dumps(x)`, a `Pickler` of its own): the program handles the
/// failure. A handler that only reports it does not.
fn catches_pickling_error(h: &ast::ExceptHandler) -> bool {
    let ast::ExceptHandler::ExceptHandler(h) = h;
    let catches = match &h.type_ {
        None => true,
        Some(t) => {
            let names: Vec<&ast::Expr> = match t.kind() {
                ast::ExprKind::Tuple(t) => t.elts.iter().collect(),
                _ => vec![t],
            };
            names.iter().any(|n| {
                matches!(
                    crate::analysis::index::last_name(n),
                    Some(
                        "Exception"
                            | "BaseException"
                            | "PicklingError"
                            | "PickleError"
                            | "TypeError"
                            | "AttributeError"
                    )
                )
            })
        }
    };
    catches && pickles_again(h.body)
}

/// Does the block call a pickling function (`dumps`, `dump`, `Pickler`)?
fn pickles_again(body: &[ast::Stmt]) -> bool {
    struct Find(bool);
    impl<'a> parse::Visitor<'a> for Find {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            if let ast::ExprKind::Call(c) = expr.kind() {
                if matches!(
                    crate::analysis::index::last_name(&c.func),
                    Some("dumps" | "dump" | "Pickler")
                ) {
                    self.0 = true;
                }
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut f = Find(false);
    parse::walk_body(&mut f, body);
    f.0
}
