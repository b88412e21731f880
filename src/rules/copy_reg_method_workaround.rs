//! PF407: the Python 2 `copy_reg` workaround for pickling bound methods.

use super::Check;
use crate::analysis::checker::Checker;
use crate::base::diagnostic::{Applicability, Fix};
use crate::python::parse::{self, ast};
use crate::rules::migrate::{self, At};

crate::declare_rule! {
    /// ## What it does
    /// Finds `copy_reg.pickle(types.MethodType, reduce, rebuild)` (or `copyreg.pickle(...)`): the
    /// recipe Python 2 code used so that `multiprocessing` could send bound methods.
    ///
    /// ## Why is this bad?
    /// Python 3 pickles bound methods natively, `copy_reg` does not exist there
    /// (`ModuleNotFoundError`), and the helper functions use Python 2-only attributes
    /// (`im_func`, `im_self`, `im_class`): renaming the import to `copyreg` makes
    /// `multiprocessing` work (it registers its own reducer over yours) but any plain
    /// `pickle.dumps` of a bound method then fails with `AttributeError: 'method' object has no
    /// attribute 'im_func'`.
    ///
    /// ## Example
    /// ```python
    /// import copy_reg
    /// import types
    ///
    /// def _pickle_method(method):
    ///     return _unpickle_method, (method.im_func.__name__, method.im_self, method.im_class)
    ///
    /// copy_reg.pickle(types.MethodType, _pickle_method, _unpickle_method)
    /// ```
    ///
    /// ## Use instead
    /// Nothing: delete the registration.
    ///
    /// ## Fix safety
    /// Unsafe: deletes the registration, the helper functions it names when nothing else in the
    /// module uses them, and the `copy_reg` and `types` imports when nothing else uses them.
    /// Code elsewhere that imports the helpers breaks.
    pub static RULE = {
        code: "PF407",
        name: "copy-reg-method-workaround",
        summary: "The Python 2 `copy_reg` bound-method workaround is obsolete",
        check: Check::Beside(check),
    };
}

/// `copy_reg.pickle(types.MethodType, ...)` as a statement.
pub fn is_registration(stmt: &ast::Stmt) -> bool {
    let ast::Stmt::Expr(e) = stmt else { return false };
    let ast::ExprKind::Call(call) = e.value.kind() else {
        return false;
    };
    let callee = parse::dotted_name(&call.func).unwrap_or_default();
    let first = call.args.first().and_then(parse::dotted_name).unwrap_or_default();
    matches!(callee.as_str(), "copy_reg.pickle" | "copyreg.pickle") && first.ends_with("MethodType")
}

pub fn check(c: &mut Checker) {
    let mut found = Vec::new();
    for (m, module) in c.index.project.modules.iter().enumerate() {
        let Some(suite) = module.suite() else { continue };
        for (i, stmt) in suite.iter().enumerate() {
            if !is_registration(stmt) {
                continue;
            }
            let text = module.source.text();
            let fix = removal(suite, text, i).map(|edits| Fix {
                applicability: Applicability::Unsafe,
                message: "Remove the bound-method workaround (Python 3 pickles bound methods)".into(),
                edits,
                path: Some(module.source.path.clone()),
            });
            let message = "Python 2 workaround for pickling bound methods: Python 3 pickles them natively, `copy_reg` is gone, and the helpers use `im_func`/`im_self`".to_string();
            let at = At {
                module: m,
                range: parse::range_of(stmt),
                origin: None,
                sink: None,
            };
            found.push(migrate::diagnostic(
                c,
                RULE.code,
                at,
                message,
                fix,
                "delete the registration and its helper functions",
            ));
        }
    }
    c.report(found);
}

/// The registration, its helpers and the imports only they use.
pub fn removal(suite: &[ast::Stmt], text: &str, registration: usize) -> Option<Vec<crate::base::diagnostic::Edit>> {
    let ast::Stmt::Expr(e) = &suite[registration] else {
        return None;
    };
    let ast::ExprKind::Call(call) = e.value.kind() else {
        return None;
    };
    let mut doomed = vec![registration];
    // Helper functions named in the registration, when only the workaround uses them.
    let helpers: Vec<&str> = call
        .args
        .iter()
        .skip(1)
        .filter_map(|a| match a.kind() {
            ast::ExprKind::Name(n) => Some(n.id.as_str()),
            _ => None,
        })
        .collect();
    for (i, s) in suite.iter().enumerate() {
        if let ast::Stmt::FunctionDef(f) = s {
            if helpers.contains(&f.name.as_str()) {
                doomed.push(i);
            }
        }
    }
    let ranges = |d: &[usize]| d.iter().map(|&i| parse::range_of(&suite[i])).collect::<Vec<_>>();
    for h in &helpers {
        if migrate::used_outside(suite, h, &ranges(&doomed)) {
            return None;
        }
    }
    let dead: Vec<&str> = ["copy_reg", "copyreg", "types"]
        .into_iter()
        .filter(|m| !migrate::used_outside(suite, m, &ranges(&doomed)))
        .collect();
    let mut edits = Vec::new();
    for (i, s) in suite.iter().enumerate() {
        let ast::Stmt::Import(imp) = s else { continue };
        let keep: Vec<&ast::Alias> = imp
            .names
            .iter()
            .filter(|a| a.asname.is_some() || !dead.contains(&a.name.as_str()))
            .collect();
        if keep.len() == imp.names.len() {
            continue;
        }
        if keep.is_empty() {
            doomed.push(i);
        } else {
            // `import copy_reg, types, os` loses only the dead names.
            let (a, b) = parse::range_of(s);
            let names: Vec<&str> = keep
                .iter()
                .map(|al| &text[parse::range_of(*al).0..parse::range_of(*al).1])
                .collect();
            edits.push(crate::base::diagnostic::Edit {
                start: a,
                end: b,
                content: format!("import {}", names.join(", ")),
            });
        }
    }
    doomed.sort_unstable();
    edits.extend(migrate::delete_statements(text, suite, &doomed));
    Some(edits)
}
