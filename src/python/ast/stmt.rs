//! Statement nodes, and the parameters, arguments and comprehensions they and expressions share.

use super::{Expr, Identifier, Operator, Ranged, TextRange};

#[derive(Clone, Copy, Debug)]
pub enum Stmt<'a> {
    FunctionDef(&'a StmtFunctionDef<'a>),
    AsyncFunctionDef(&'a StmtFunctionDef<'a>),
    ClassDef(&'a StmtClassDef<'a>),
    Return(&'a StmtReturn<'a>),
    Delete(&'a StmtDelete<'a>),
    Assign(&'a StmtAssign<'a>),
    TypeAlias(StmtTypeAlias),
    AugAssign(&'a StmtAugAssign<'a>),
    AnnAssign(&'a StmtAnnAssign<'a>),
    For(&'a StmtFor<'a>),
    AsyncFor(&'a StmtFor<'a>),
    While(&'a StmtWhile<'a>),
    If(&'a StmtIf<'a>),
    With(&'a StmtWith<'a>),
    AsyncWith(&'a StmtWith<'a>),
    Match(&'a StmtMatch<'a>),
    Raise(&'a StmtRaise<'a>),
    Try(&'a StmtTry<'a>),
    TryStar(&'a StmtTry<'a>),
    Assert(&'a StmtAssert<'a>),
    Import(&'a StmtImport<'a>),
    ImportFrom(&'a StmtImportFrom<'a>),
    Global(&'a StmtGlobal<'a>),
    Nonlocal(&'a StmtGlobal<'a>),
    Expr(&'a StmtExpr<'a>),
    Pass(StmtPass),
    Break(StmtPass),
    Continue(StmtPass),
}

impl Ranged for Stmt<'_> {
    fn range(&self) -> TextRange {
        match self {
            Stmt::FunctionDef(s) | Stmt::AsyncFunctionDef(s) => s.range,
            Stmt::ClassDef(s) => s.range,
            Stmt::Return(s) => s.range,
            Stmt::Delete(s) => s.range,
            Stmt::Assign(s) => s.range,
            Stmt::TypeAlias(s) => s.range,
            Stmt::AugAssign(s) => s.range,
            Stmt::AnnAssign(s) => s.range,
            Stmt::For(s) | Stmt::AsyncFor(s) => s.range,
            Stmt::While(s) => s.range,
            Stmt::If(s) => s.range,
            Stmt::With(s) | Stmt::AsyncWith(s) => s.range,
            Stmt::Match(s) => s.range,
            Stmt::Raise(s) => s.range,
            Stmt::Try(s) | Stmt::TryStar(s) => s.range,
            Stmt::Assert(s) => s.range,
            Stmt::Import(s) => s.range,
            Stmt::ImportFrom(s) => s.range,
            Stmt::Global(s) | Stmt::Nonlocal(s) => s.range,
            Stmt::Expr(s) => s.range,
            Stmt::Pass(s) | Stmt::Break(s) | Stmt::Continue(s) => s.range,
        }
    }
}

/// `def` and `async def` (the statement tells them apart). Annotations are not kept.
#[derive(Debug)]
pub struct StmtFunctionDef<'a> {
    pub range: TextRange,
    pub name: Identifier<'a>,
    pub args: &'a Arguments<'a>,
    pub body: &'a [Stmt<'a>],
    pub decorator_list: &'a [Expr<'a>],
}

#[derive(Debug)]
pub struct StmtClassDef<'a> {
    pub range: TextRange,
    pub name: Identifier<'a>,
    pub bases: &'a [Expr<'a>],
    pub keywords: &'a [Keyword<'a>],
    pub body: &'a [Stmt<'a>],
    pub decorator_list: &'a [Expr<'a>],
}

#[derive(Debug)]
pub struct StmtReturn<'a> {
    pub range: TextRange,
    pub value: Option<Expr<'a>>,
}

#[derive(Debug)]
pub struct StmtDelete<'a> {
    pub range: TextRange,
    pub targets: &'a [Expr<'a>],
}

#[derive(Debug)]
pub struct StmtAssign<'a> {
    pub range: TextRange,
    pub targets: &'a [Expr<'a>],
    pub value: Expr<'a>,
}

/// `type X = ...`: only where it is (the analysis does not look inside).
#[derive(Debug, Clone, Copy)]
pub struct StmtTypeAlias {
    pub range: TextRange,
}

#[derive(Debug)]
pub struct StmtAugAssign<'a> {
    pub range: TextRange,
    pub target: Expr<'a>,
    pub op: Operator,
    pub value: Expr<'a>,
}

/// `target: annotation = value` (the annotation is not kept).
#[derive(Debug)]
pub struct StmtAnnAssign<'a> {
    pub range: TextRange,
    pub target: Expr<'a>,
    pub value: Option<Expr<'a>>,
}

/// `for` and `async for`.
#[derive(Debug)]
pub struct StmtFor<'a> {
    pub range: TextRange,
    pub target: Expr<'a>,
    pub iter: Expr<'a>,
    pub body: &'a [Stmt<'a>],
    pub orelse: &'a [Stmt<'a>],
}

#[derive(Debug)]
pub struct StmtWhile<'a> {
    pub range: TextRange,
    pub test: Expr<'a>,
    pub body: &'a [Stmt<'a>],
    pub orelse: &'a [Stmt<'a>],
}

/// `elif` chains are nested `If`s in `orelse`.
#[derive(Debug)]
pub struct StmtIf<'a> {
    pub range: TextRange,
    pub test: Expr<'a>,
    pub body: &'a [Stmt<'a>],
    pub orelse: &'a [Stmt<'a>],
}

/// `with` and `async with`.
#[derive(Debug)]
pub struct StmtWith<'a> {
    pub range: TextRange,
    pub items: &'a [WithItem<'a>],
    pub body: &'a [Stmt<'a>],
}

#[derive(Debug)]
pub struct WithItem<'a> {
    pub context_expr: Expr<'a>,
    pub optional_vars: Option<Expr<'a>>,
}

/// `match`: the subject and each case's guard and body (patterns are not kept).
#[derive(Debug)]
pub struct StmtMatch<'a> {
    pub range: TextRange,
    pub subject: Expr<'a>,
    pub cases: &'a [MatchCase<'a>],
}

#[derive(Debug)]
pub struct MatchCase<'a> {
    pub guard: Option<Expr<'a>>,
    pub body: &'a [Stmt<'a>],
}

#[derive(Debug)]
pub struct StmtRaise<'a> {
    pub range: TextRange,
    pub exc: Option<Expr<'a>>,
    pub cause: Option<Expr<'a>>,
}

/// `try` and `try ... except*`.
#[derive(Debug)]
pub struct StmtTry<'a> {
    pub range: TextRange,
    pub body: &'a [Stmt<'a>],
    pub handlers: &'a [ExceptHandler<'a>],
    pub orelse: &'a [Stmt<'a>],
    pub finalbody: &'a [Stmt<'a>],
}

#[derive(Debug)]
pub enum ExceptHandler<'a> {
    ExceptHandler(ExceptHandlerExceptHandler<'a>),
}

#[derive(Debug)]
pub struct ExceptHandlerExceptHandler<'a> {
    pub range: TextRange,
    pub type_: Option<Expr<'a>>,
    pub name: Option<Identifier<'a>>,
    pub body: &'a [Stmt<'a>],
}

#[derive(Debug)]
pub struct StmtAssert<'a> {
    pub range: TextRange,
    pub test: Expr<'a>,
    pub msg: Option<Expr<'a>>,
}

#[derive(Debug)]
pub struct StmtImport<'a> {
    pub range: TextRange,
    pub names: &'a [Alias<'a>],
}

#[derive(Debug)]
pub struct StmtImportFrom<'a> {
    pub range: TextRange,
    pub module: Option<Identifier<'a>>,
    pub names: &'a [Alias<'a>],
    /// Leading dots of a relative import (0: absolute).
    pub level: u32,
}

#[derive(Debug)]
pub struct Alias<'a> {
    pub range: TextRange,
    pub name: Identifier<'a>,
    pub asname: Option<Identifier<'a>>,
}

/// `global` and `nonlocal`.
#[derive(Debug)]
pub struct StmtGlobal<'a> {
    pub range: TextRange,
    pub names: &'a [Identifier<'a>],
}

#[derive(Debug)]
pub struct StmtExpr<'a> {
    pub range: TextRange,
    pub value: Expr<'a>,
}

/// `pass`, `break` and `continue`.
#[derive(Debug, Clone, Copy)]
pub struct StmtPass {
    pub range: TextRange,
}

ranged!(
    StmtFunctionDef,
    StmtClassDef,
    StmtReturn,
    StmtDelete,
    StmtAssign,
    StmtAugAssign,
    StmtAnnAssign,
    StmtFor,
    StmtWhile,
    StmtIf,
    StmtWith,
    StmtMatch,
    StmtRaise,
    StmtTry,
    StmtAssert,
    StmtImport,
    StmtImportFrom,
    StmtGlobal,
    StmtExpr,
    ExceptHandlerExceptHandler,
    Alias,
);

impl Ranged for StmtTypeAlias {
    fn range(&self) -> TextRange {
        self.range
    }
}

impl Ranged for StmtPass {
    fn range(&self) -> TextRange {
        self.range
    }
}

// ---- parameters and arguments -----------------------------------------------------------

/// Parameters of a `def` or `lambda`, in rustpython's layout.
#[derive(Debug)]
pub struct Arguments<'a> {
    pub posonlyargs: &'a [ArgWithDefault<'a>],
    pub args: &'a [ArgWithDefault<'a>],
    pub vararg: Option<&'a Arg<'a>>,
    pub kwonlyargs: &'a [ArgWithDefault<'a>],
    pub kwarg: Option<&'a Arg<'a>>,
}

#[derive(Debug)]
pub struct ArgWithDefault<'a> {
    pub def: Arg<'a>,
    pub default: Option<Expr<'a>>,
}

/// One parameter (its annotation is not kept).
#[derive(Debug)]
pub struct Arg<'a> {
    pub range: TextRange,
    pub arg: Identifier<'a>,
}

/// `name=value` in a call or class header; `arg` is None for `**value`.
#[derive(Debug)]
pub struct Keyword<'a> {
    pub range: TextRange,
    pub arg: Option<Identifier<'a>>,
    pub value: Expr<'a>,
}

#[derive(Debug)]
pub struct Comprehension<'a> {
    pub target: Expr<'a>,
    pub iter: Expr<'a>,
    pub ifs: &'a [Expr<'a>],
    pub is_async: bool,
}

ranged!(Arg, Keyword);
