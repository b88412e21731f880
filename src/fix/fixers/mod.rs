//! Fixers: one file per rewrite strategy (the catalog names the strategy for each type). A
//! fixer turns a finding into text edits on the original source, or gives up (None) when it
//! cannot rewrite the code safely enough; the finding then keeps its `help` text.

pub mod generator;
pub mod getattr_guard;
pub mod getstate;
pub mod hoist;
pub mod managed_queue;
pub mod pool_initializer;
pub mod wraps;

use crate::analysis::checker::{Checker, Leaf, SinkHit};
use crate::analysis::eval::Origin;
use crate::analysis::index::Scope;
use crate::base::diagnostic::Fix;
use crate::python::parse::{self, ast};

/// Everything a fixer may look at.
pub struct FixContext<'x, 'a, 'c> {
    pub checker: &'x Checker<'a, 'c>,
    pub leaf: &'x Leaf,
    pub hit: &'x SinkHit,
}

pub type Fixer = fn(&FixContext) -> Option<Fix>;

/// Strategy id (the catalog's `fix`) → fixer. One line per strategy.
pub static FIXERS: &[(&str, Fixer)] = &[
    ("getstate-drop-recreate", getstate::drop_and_recreate),
    ("getstate-drop", getstate::drop_only),
    ("hoist-callable", hoist::fix),
    ("store-data-not-generator", generator::fix),
    ("managed-queue", managed_queue::fix),
    ("add-wraps", wraps::fix),
    ("getattr-guard", getattr_guard::fix),
];

pub fn fix_for(ctx: &FixContext) -> Option<Fix> {
    let strategy = ctx.checker.catalog.ty(ctx.leaf.ty).fix.as_str();
    let fixer = FIXERS.iter().find(|(s, _)| *s == strategy)?.1;
    fixer(ctx)
}

impl FixContext<'_, '_, '_> {
    pub fn text(&self, module: usize) -> &str {
        self.checker.index.project.modules[module].source.text()
    }

    pub fn suite(&self, module: usize) -> &[ast::Stmt<'_>] {
        self.checker.index.project.modules[module].suite().unwrap_or(&[])
    }

    pub fn path(&self, module: usize) -> std::path::PathBuf {
        self.checker.index.project.modules[module].source.path.clone()
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
        .checker
        .index
        .funcs
        .iter()
        .enumerate()
        .filter(|(_, f)| f.module == module && f.def.start() <= offset && offset < usize::from(f.def.range.end()))
        .map(|(i, _)| i)
        .collect();
    out.sort_by_key(|&f| ctx.checker.index.funcs[f].def.start());
    out
}

pub fn is_local_in(ctx: &FixContext, funcs: &[usize], name: &str) -> bool {
    funcs.iter().any(|&f| {
        let info = &ctx.checker.index.funcs[f];
        info.scope.bindings.contains_key(name) && !info.scope.globals.contains(&name)
    })
}

/// Origin → module id and offset.
pub fn origin_of(leaf: &Leaf) -> Option<Origin> {
    leaf.origin
}

pub fn scope_module(ctx: &FixContext, scope: Scope) -> usize {
    ctx.checker.index.module_of(scope)
}
