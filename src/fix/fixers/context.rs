//! What a fixer reads: `FixContext`, with helpers over it (the module's text and tree, the
//! function scopes around an offset). In a file of its own, below the fixers that use it and the
//! registry (`mod.rs`) that lists them.

use crate::analysis::eval::Eval;
use crate::analysis::finding::Leaf;
use crate::analysis::index::Index;
use crate::config::catalog::Catalog;
use crate::config::settings::Settings;
use crate::python::parse::{self, ast};

/// Everything a fixer may look at: the analysis as the walk left it (read-only), and the facts
/// of the finding to fix.
pub struct FixContext<'x, 'a, 'c> {
    pub index: &'c Index<'a>,
    pub ev: &'x Eval<'a, 'c>,
    pub catalog: &'c Catalog,
    pub settings: &'x Settings,
    pub leaf: &'x Leaf,
    /// Why the fixer made no fix, when it refused one it would otherwise make: it replaces the
    /// finding's generic `help`, saying what to do by hand.
    pub refused: std::cell::RefCell<Option<String>>,
}

impl FixContext<'_, '_, '_> {
    /// Make no fix, and say why and what to do instead.
    pub fn refuse<T>(&self, why: impl Into<String>) -> Option<T> {
        *self.refused.borrow_mut() = Some(why.into());
        None
    }

    pub fn text(&self, module: usize) -> &str {
        self.index.project.modules[module].source.text()
    }

    pub fn suite(&self, module: usize) -> &[ast::Stmt<'_>] {
        self.index.project.modules[module].suite().unwrap_or(&[])
    }

    pub fn path(&self, module: usize) -> std::path::PathBuf {
        self.index.project.modules[module].source.path.clone()
    }

    /// The top-level statement of the module that contains `offset` (decorators included).
    pub fn top_level_start(&self, module: usize, offset: usize) -> Option<usize> {
        let stmt = self.suite(module).iter().find(|s| {
            let (a, b) = parse::range_of(*s);
            a <= offset && offset < b
        })?;
        let decorators: &[ast::Expr] = match stmt {
            ast::Stmt::FunctionDef(f) | ast::Stmt::AsyncFunctionDef(f) => f.decorator_list,
            ast::Stmt::ClassDef(c) => c.decorator_list,
            _ => &[],
        };
        let start = decorators
            .first()
            .map_or(parse::range_of(stmt).0, |d| parse::range_of(d).0);
        Some(crate::python::text::line_start(self.text(module), start))
    }
}

/// Is `name` a local (parameter or assigned) of the function scope at `offset`, or of one of
/// its enclosing functions? Such names are free in code moved out of the function.
pub fn local_scopes_at(ctx: &FixContext, module: usize, offset: usize) -> Vec<usize> {
    let mut out: Vec<usize> = ctx
        .index
        .funcs
        .iter()
        .enumerate()
        .filter(|(_, f)| f.module == module && f.def.start() <= offset && offset < usize::from(f.def.range.end()))
        .map(|(i, _)| i)
        .collect();
    out.sort_by_key(|&f| ctx.index.funcs[f].def.start());
    out
}

pub fn is_local_in(ctx: &FixContext, funcs: &[usize], name: &str) -> bool {
    funcs.iter().any(|&f| {
        let info = &ctx.index.funcs[f];
        info.scope.bindings.contains_key(name) && !info.scope.globals.contains(&name)
    })
}
