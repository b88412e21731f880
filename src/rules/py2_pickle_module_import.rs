//! PF401: an import of a Python 2 pickling module (`cPickle`, `copy_reg`, `cStringIO`).

use super::Check;
use crate::analysis::checker::Checker;
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::parse::{self, ast};
use crate::rules::migrate::{self, At};

crate::declare_rule! {
    /// ## What it does
    /// Finds imports of modules that Python 3 renamed or removed around pickling: `cPickle`
    /// (now `pickle`, which uses the C accelerator by itself), `copy_reg` (now `copyreg`) and
    /// `cStringIO`/`StringIO` (now `io`), in every form: `import cPickle as pickle`,
    /// `import cPickle` with `cPickle.dumps(...)` uses, `from cPickle import loads`. The
    /// `try: import cPickle ... except ImportError: import pickle` fallback works on Python 3 and
    /// is reported only with `[migration] import-fallbacks = true`, as a clean-up. The renames come from
    /// the catalog (`fixes/renames.toml`). Imports in a block only Python 2 runs (`if
    /// sys.version_info[0] < 3:`, `if six.PY2:`, the `else:` of `if PY3:`) are not reported:
    /// that code already straddles both versions and never runs on Python 3. (All PF4xx rules
    /// skip such blocks.)
    ///
    /// ## Why is this bad?
    /// Python 3 raises `ModuleNotFoundError: No module named 'cPickle'` at import. The fallback
    /// form works but is dead code on Python 3.
    ///
    /// ## Example
    /// ```python
    /// import cPickle as pickle
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import pickle
    /// ```
    ///
    /// ## Fix safety
    /// Safe for `cPickle` and `copy_reg`: the new modules have the same functions.
    /// `import cPickle` becomes `import pickle as cPickle`, so every use keeps working whatever
    /// shadows the name where; the `try`/`except ImportError` fallback becomes one import.
    /// `cStringIO` gets no automatic fix: Python 2 strings were bytes, so whether `io.StringIO`
    /// or `io.BytesIO` is right depends on the data. A `copy_reg` import that only serves the
    /// bound-method workaround is reported by PF407 instead, whose fix removes both.
    pub static RULE = {
        code: "PF401",
        name: "py2-pickle-module-import",
        summary: "A Python 2 pickling module is imported (`cPickle`, `copy_reg`, `cStringIO`)",
        check: Check::Beside(check),
    };
}

pub fn check(c: &mut Checker) {
    let mut found = Vec::new();
    for (m, module) in c.index.project.modules.iter().enumerate() {
        let Some(suite) = module.suite() else { continue };
        // The text is read only where a finding is made: most modules have none.
        visit(c, m, &module.source, suite, suite, &mut found);
    }
    c.report(found);
}

fn visit(
    c: &Checker,
    m: usize,
    src: &crate::python::source::SourceFile,
    module: &[ast::Stmt],
    body: &[ast::Stmt],
    out: &mut Vec<crate::base::diagnostic::Diagnostic>,
) {
    for stmt in body {
        match stmt {
            ast::Stmt::Try(t) => {
                if let Some(d) = fallback(c, m, stmt, t) {
                    // It works on Python 3: reported only as a clean-up, when asked for.
                    if c.settings.import_fallbacks {
                        out.push(d);
                    }
                } else if catches_import_error(t) {
                    // Any other guarded import (`from cStringIO import StringIO` falling back to
                    // `io`): Python 3 runs the handler, nothing fails.
                    visit(c, m, src, module, t.orelse, out);
                    visit(c, m, src, module, t.finalbody, out);
                } else {
                    visit(c, m, src, module, t.body, out);
                }
            }
            ast::Stmt::If(i) => {
                visit(c, m, src, module, i.body, out);
                visit(c, m, src, module, i.orelse, out);
            }
            ast::Stmt::FunctionDef(f) => visit(c, m, src, module, f.body, out),
            ast::Stmt::ClassDef(k) => visit(c, m, src, module, k.body, out),
            ast::Stmt::Import(_) | ast::Stmt::ImportFrom(_) => {
                if let Some(d) = import(c, m, src, module, stmt) {
                    out.push(d);
                }
            }
            _ => {}
        }
    }
}

fn rename(c: &Checker, old: &str) -> Option<(String, bool)> {
    let r = c.catalog.renames.iter().find(|r| r.old == old && r.kind == "module")?;
    // A string module's right replacement depends on the data: report, do not rewrite.
    let fixable = !matches!(old, "cStringIO" | "StringIO");
    Some((r.new.clone(), fixable))
}

/// `copy_reg` used only for `copy_reg.pickle(types.MethodType, ...)`: PF407 covers it.
fn only_method_workaround(module: &[ast::Stmt], text: &str, name: &str) -> bool {
    // PF407 covers the import only when its fix can remove the workaround.
    let removable = module
        .iter()
        .enumerate()
        .filter(|(_, s)| super::copy_reg_method_workaround::is_registration(s))
        .all(|(i, _)| super::copy_reg_method_workaround::removal(module, text, i).is_some());
    if !removable {
        return false;
    }
    let uses = crate::python::names::loaded_names(|v| module.iter().for_each(|s| v.visit_stmt(s)));
    let workaround: Vec<(usize, usize)> = module
        .iter()
        .filter(|s| super::copy_reg_method_workaround::is_registration(s))
        .map(parse::range_of)
        .collect();
    !workaround.is_empty()
        && uses
            .iter()
            .filter(|(n, _, _)| *n == name)
            .all(|(_, a, _)| workaround.iter().any(|(s, e)| s <= a && a < e))
}

fn import(
    c: &Checker,
    m: usize,
    src: &crate::python::source::SourceFile,
    module: &[ast::Stmt],
    stmt: &ast::Stmt,
) -> Option<crate::base::diagnostic::Diagnostic> {
    let (start, end) = parse::range_of(stmt);
    let mut edits = Vec::new();
    let mut names = Vec::new();
    let mut fixable = true;
    match stmt {
        ast::Stmt::Import(i) => {
            for alias in i.names {
                let Some((new, ok)) = rename(c, alias.name.as_str()) else {
                    continue;
                };
                let bound = alias.asname.as_ref().map_or(alias.name.as_str(), |a| a.as_str());
                if alias.name.as_str() == "copy_reg" && only_method_workaround(module, src.text(), bound) {
                    continue;
                }
                names.push(alias.name.to_string());
                fixable &= ok;
                let (a, b) = parse::range_of(alias);
                let replacement = match &alias.asname {
                    Some(as_) if as_.as_str() == new => new.clone(),
                    Some(as_) => format!("{new} as {as_}"),
                    // Keep the old name bound: every use stays right, whatever shadows it where.
                    None => format!("{new} as {}", alias.name),
                };
                edits.push(Edit {
                    start: a,
                    end: b,
                    content: replacement,
                });
            }
        }
        ast::Stmt::ImportFrom(f) => {
            let old = f.module.as_deref()?;
            if f.level > 0 {
                return None;
            }
            let (new, ok) = rename(c, old)?;
            names.push(old.to_string());
            fixable &= ok;
            let at = start + src.text()[start..end].find(old)?;
            edits.push(Edit {
                start: at,
                end: at + old.len(),
                content: new,
            });
        }
        _ => return None,
    }
    if names.is_empty() {
        return None;
    }
    let fix = fixable.then(|| Fix {
        applicability: Applicability::Safe,
        message: format!(
            "Import `{}` instead",
            names
                .iter()
                .filter_map(|n| rename(c, n).map(|r| r.0))
                .collect::<Vec<_>>()
                .join("`, `")
        ),
        edits,
        path: Some(c.index.project.modules[m].source.path.clone()),
    });
    let message = format!("`{}` does not exist in Python 3", names.join("`, `"));
    Some(migrate::diagnostic(
        c,
        RULE.code,
        At {
            module: m,
            range: (start, end),
            origin: None,
            sink: None,
        },
        message,
        fix,
        "import the Python 3 module (`pickle`, `copyreg`, `io`)",
    ))
}

/// Does a handler of the `try` catch a failed import (`ImportError`, `ModuleNotFoundError`,
/// `Exception`, a bare `except:`)?
fn catches_import_error(t: &ast::StmtTry) -> bool {
    fn names_it(e: &ast::Expr) -> bool {
        match e.kind() {
            ast::ExprKind::Tuple(tuple) => tuple.elts.iter().any(names_it),
            _ => matches!(
                crate::analysis::index::last_name(e),
                Some("ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException")
            ),
        }
    }
    t.handlers.iter().any(|h| {
        let ast::ExceptHandler::ExceptHandler(h) = h;
        h.type_.as_ref().is_none_or(names_it)
    })
}

/// `try: import cPickle as pickle` / `except ImportError: import pickle` → `import pickle`.
fn fallback(c: &Checker, m: usize, stmt: &ast::Stmt, t: &ast::StmtTry) -> Option<crate::base::diagnostic::Diagnostic> {
    let [ast::Stmt::Import(first)] = t.body else {
        return None;
    };
    let [alias] = first.names else { return None };
    let (new, ok) = rename(c, alias.name.as_str())?;
    let [ast::ExceptHandler::ExceptHandler(h)] = t.handlers else {
        return None;
    };
    let [ast::Stmt::Import(second)] = h.body else {
        return None;
    };
    let [other] = second.names else { return None };
    if other.name.as_str() != new || !t.orelse.is_empty() || !t.finalbody.is_empty() {
        return None;
    }
    let bound = alias.asname.as_ref().map_or(alias.name.as_str(), |a| a.as_str());
    let bound_after = other.asname.as_ref().map_or(other.name.as_str(), |a| a.as_str());
    if bound != bound_after {
        return None;
    }
    let (start, end) = parse::range_of(stmt);
    let import = if bound == new {
        format!("import {new}")
    } else {
        format!("import {new} as {bound}")
    };
    let fix = ok.then(|| Fix {
        applicability: Applicability::Safe,
        message: format!("Replace the fallback with `{import}`"),
        edits: vec![Edit {
            start,
            end,
            content: import.clone(),
        }],
        path: Some(c.index.project.modules[m].source.path.clone()),
    });
    let message = format!(
        "`{}` does not exist in Python 3, so this `try` always takes its `ImportError` fallback: one import does",
        alias.name
    );
    Some(migrate::diagnostic(
        c,
        RULE.code,
        At {
            module: m,
            range: (start, end),
            origin: None,
            sink: None,
        },
        message,
        fix,
        "import the Python 3 module directly",
    ))
}
