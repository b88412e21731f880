//! Scope questions the hoisting fixer asks before it moves a closure to module level: where
//! each closed-over name is assigned, where the closure's name is first used, whether the
//! closure rebinds enclosing state (`nonlocal`) or needs its class cell (`super()`), and a name
//! for the moved code that is unique and never mangled.

use std::collections::HashSet;

use super::FixContext;
use crate::analysis::index::Binding;
use crate::python::parse::{self, ast};

/// Why a closure is not moved (the finding keeps its help text).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The closure declares `nonlocal`: it rebinds the enclosing function's state.
    Nonlocal,
    /// The closure uses its class cell (`super()` without arguments, `__class__`).
    ClassCell,
    /// A closed-over name holds a function or class defined locally (it cannot be bound).
    LocalCallable(String),
    /// A closed-over name is assigned after the point where the closure is used.
    AssignedLater(String),
}

impl Refusal {
    /// What the finding's help says instead of the generic advice (`what`: the closure).
    pub fn help(&self, what: &str) -> String {
        match self {
            Refusal::Nonlocal => format!("not moved automatically: {what} rebinds enclosing state with `nonlocal`, which a copy in another process cannot share; return the new value from the task instead, then move it to module level"),
            Refusal::ClassCell => format!("not moved automatically: {what} uses `super()` without arguments, which needs its class; name the class (`super(Class, self)`) or make it a method"),
            Refusal::LocalCallable(n) => format!("not moved automatically: {what} closes over `{n}`, a function or class defined in the same function; move `{n}` to module level first"),
            Refusal::AssignedLater(n) => format!("not moved automatically: {what} reads `{n}`, which is assigned again after it is first used, and a `functools.partial` would keep the first value; pass `{n}` to it as an argument at each use"),
        }
    }
}

/// A name for code moved to module level, from the words of `parts`: one leading underscore
/// (two would be mangled inside a class), unique among the words of `text`.
pub fn module_name(parts: &[&str], taken: &HashSet<&str>) -> String {
    let words: Vec<&str> = parts
        .iter()
        .map(|p| p.trim_matches('_'))
        .filter(|p| !p.is_empty())
        .collect();
    let base = if words.is_empty() {
        "_hoisted".to_string()
    } else {
        format!("_{}", words.join("_"))
    };
    crate::python::text::fresh_name(&base, taken)
}

/// Does the code (a function body, a lambda's expression) declare `nonlocal`, or use its
/// class cell (at any depth)?
pub fn closure_refusal<'a>(visit: impl FnOnce(&mut dyn parse::Visitor<'a>)) -> Option<Refusal> {
    struct Scan {
        nonlocal: bool,
        class_cell: bool,
    }
    impl<'a> parse::Visitor<'a> for Scan {
        fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
            if matches!(stmt, ast::Stmt::Nonlocal(_)) {
                self.nonlocal = true;
            }
            parse::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, e: &'a ast::Expr<'a>) {
            match e.kind() {
                ast::ExprKind::Name(n) if n.id.as_str() == "__class__" => self.class_cell = true,
                ast::ExprKind::Call(c) if c.args.is_empty() => {
                    if let ast::ExprKind::Name(n) = c.func.kind() {
                        if n.id.as_str() == "super" {
                            self.class_cell = true;
                        }
                    }
                }
                _ => {}
            }
            parse::walk_expr(self, e);
        }
    }
    let mut scan = Scan {
        nonlocal: false,
        class_cell: false,
    };
    visit(&mut scan);
    if scan.nonlocal {
        Some(Refusal::Nonlocal)
    } else if scan.class_cell {
        Some(Refusal::ClassCell)
    } else {
        None
    }
}

/// Where the closed-over names are assigned after `after` (an offset), in the enclosing
/// functions: the last such offset and its name, or a refusal when one of them holds a local function or
/// class. Mutations (`x.append(...)`) are not assignments: the bound object sees them.
pub fn last_assignment(
    ctx: &FixContext,
    scopes: &[usize],
    free: &[String],
    after: usize,
) -> Result<Option<(usize, String)>, Refusal> {
    let mut last = None;
    for name in free {
        for &s in scopes {
            let Some(bindings) = ctx.index.funcs[s].scope.bindings.get(name) else {
                continue;
            };
            for b in bindings {
                if matches!(b, Binding::Def { .. } | Binding::Class { .. }) {
                    return Err(Refusal::LocalCallable(name.clone()));
                }
                if matches!(b, Binding::Element { .. } | Binding::Param(_)) {
                    continue;
                }
                if let Some(at) = b.offset().map(|o| o as usize).filter(|&o| o > after) {
                    if last.as_ref().is_none_or(|(l, _)| *l < at) {
                        last = Some((at, name.clone()));
                    }
                }
            }
        }
    }
    Ok(last)
}

/// The statement list that holds the statement starting at `start`, searched from `body`.
pub fn siblings<'a>(body: &'a [ast::Stmt<'a>], start: usize) -> Option<&'a [ast::Stmt<'a>]> {
    for s in body {
        let (a, b) = parse::range_of(s);
        if a == start {
            return Some(body);
        }
        if a < start && start < b {
            return child_bodies(s).into_iter().find_map(|inner| siblings(inner, start));
        }
    }
    None
}

fn child_bodies<'a>(s: &'a ast::Stmt<'a>) -> Vec<&'a [ast::Stmt<'a>]> {
    use ast::Stmt as S;
    match s {
        S::If(i) => vec![i.body, i.orelse],
        S::For(f) | S::AsyncFor(f) => vec![f.body, f.orelse],
        S::While(w) => vec![w.body, w.orelse],
        S::With(w) | S::AsyncWith(w) => vec![w.body],
        S::Try(t) | S::TryStar(t) => {
            let mut out = vec![t.body, t.orelse, t.finalbody];
            out.extend(t.handlers.iter().map(|ast::ExceptHandler::ExceptHandler(h)| h.body));
            out
        }
        S::Match(m) => m.cases.iter().map(|c| c.body).collect(),
        _ => Vec::new(),
    }
}

/// The end of the statement among `list` that contains `offset` (None when none does: the
/// assignment is not in the closure's own block or one nested in it).
pub fn statement_end_containing(list: &[ast::Stmt], offset: usize) -> Option<usize> {
    list.iter()
        .map(parse::range_of)
        .find(|&(a, b)| a <= offset && offset < b)
        .map(|(_, b)| b)
}

/// The first read of `name` at or after `from` in the function body.
pub fn first_use(body: &[ast::Stmt], name: &str, from: usize) -> Option<usize> {
    crate::python::names::loaded_names(|v| body.iter().for_each(|s| v.visit_stmt(s)))
        .into_iter()
        .filter(|&(n, a, _)| n == name && a >= from)
        .map(|(_, a, _)| a)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_have_one_leading_underscore_and_do_not_clash() {
        let taken: HashSet<&str> = ["_run_job"].into_iter().collect();
        assert_eq!(module_name(&["__helper"], &taken), "_helper");
        assert_eq!(module_name(&["__init__", "_cb"], &taken), "_init_cb");
        assert_eq!(module_name(&["run", "job"], &taken), "_run_job_2");
        assert_eq!(module_name(&["_", "__"], &taken), "_hoisted");
    }

    #[test]
    fn nonlocal_and_class_cells_are_refused() {
        let t = parse::parse_module("def f():\n    nonlocal n\n    n += 1\n", "t.py").unwrap();
        let ast::Stmt::FunctionDef(f) = &t.suite()[0] else {
            panic!()
        };
        assert_eq!(
            closure_refusal(|v| parse::walk_body(v, f.body)),
            Some(Refusal::Nonlocal)
        );
        let t = parse::parse_module("def f(self):\n    return super().m()\n", "t.py").unwrap();
        let ast::Stmt::FunctionDef(f) = &t.suite()[0] else {
            panic!()
        };
        assert_eq!(
            closure_refusal(|v| parse::walk_body(v, f.body)),
            Some(Refusal::ClassCell)
        );
        let t = parse::parse_module("def f(self):\n    return super(C, self).m()\n", "t.py").unwrap();
        let ast::Stmt::FunctionDef(f) = &t.suite()[0] else {
            panic!()
        };
        assert_eq!(closure_refusal(|v| parse::walk_body(v, f.body)), None);
    }
}
