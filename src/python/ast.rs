//! The syntax tree the analysis reads: the shape of rustpython-ast (the names the analysis was
//! written against), with every node in one arena per module instead of its own allocation.
//!
//! Why not ruff's or rustpython's tree: a whole-project analysis keeps every parsed module's
//! tree for the length of the run, and those trees were two thirds of the peak memory (a
//! statement took 152 bytes inline, every expression its own box, every name its own string).
//! Here an expression is a thin pointer (8 bytes) to its node in the module's arena, whose
//! first byte says what it is (`Expr::kind` gives an enum to match on); a statement is a
//! reference with its kind (16 bytes); names are interned once per module behind a thin
//! pointer; and only what the analysis reads is kept: no annotations, no `match` patterns, no
//! type parameters. Building it is a bump of a pointer, freeing it is freeing a few large
//! blocks.
//!
//! Nodes are plain data (no destructors) borrowed for the arena's lifetime `'a`; `Tree` owns
//! an arena and its module body.

use std::fmt;

pub use ruff_text_size::{TextRange, TextSize};

/// A name (identifier), interned per module: a thin pointer to the arena's copy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier<'a>(&'a &'a str);

impl<'a> Identifier<'a> {
    pub fn new(cell: &'a &'a str) -> Self {
        Identifier(cell)
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl std::ops::Deref for Identifier<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for Identifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Identifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(*self.0, f)
    }
}

impl PartialEq<str> for Identifier<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == other
    }
}

impl PartialEq<&str> for Identifier<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == *other
    }
}

/// Anything with a place in the source.
pub trait Ranged {
    fn range(&self) -> TextRange;
    fn start(&self) -> TextSize {
        self.range().start()
    }
    fn end(&self) -> TextSize {
        self.range().end()
    }
}

impl<T: Ranged + ?Sized> Ranged for &T {
    fn range(&self) -> TextRange {
        (**self).range()
    }
}

macro_rules! ranged {
    ($($t:ident),* $(,)?) => {
        $(impl Ranged for $t<'_> {
            fn range(&self) -> TextRange {
                self.range
            }
        })*
    };
}

// ---- statements -------------------------------------------------------------------------

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

// ---- expressions ------------------------------------------------------------------------

/// An expression: a thin pointer (8 bytes) to its node in the arena. A module holds about one
/// expression for every 15 bytes of source, and each is held by a slot in its parent: a thin
/// pointer there instead of an enum of references (16 bytes) is a seventh of the tree. Match on
/// `kind()`.
#[derive(Clone, Copy)]
pub struct Expr<'a> {
    /// The node; its first byte is its `Tag` (see `ExprNode`).
    node: std::ptr::NonNull<Tag>,
    life: std::marker::PhantomData<&'a ()>,
}

// SAFETY: an `Expr` is a shared reference to an immutable node.
unsafe impl Send for Expr<'_> {}
unsafe impl Sync for Expr<'_> {}

impl<'a> Expr<'a> {
    /// Point at a node. Panics if the node's tag is not one its type is read back as (a bug in
    /// the code that built it).
    pub fn new<T: ExprNode<'a>>(node: &'a T) -> Expr<'a> {
        let tag = node.tag();
        assert!(T::TAGS.contains(&tag), "an expression node tagged {tag:?}");
        Expr {
            node: std::ptr::NonNull::from(node).cast(),
            life: std::marker::PhantomData,
        }
    }

    /// What this expression is.
    pub fn kind(self) -> ExprKind<'a> {
        let p = self.node.as_ptr();
        // SAFETY: `new` only points at a node whose type lists its tag in `TAGS`, every node
        // type is `#[repr(C)]` with the tag first (so the first byte is a valid `Tag`), and each
        // arm reads the node back as the type that lists that tag. The node lives for `'a`.
        unsafe {
            match *p {
                Tag::BoolOp => ExprKind::BoolOp(&*p.cast()),
                Tag::NamedExpr => ExprKind::NamedExpr(&*p.cast()),
                Tag::BinOp => ExprKind::BinOp(&*p.cast()),
                Tag::UnaryOp => ExprKind::UnaryOp(&*p.cast()),
                Tag::Lambda => ExprKind::Lambda(&*p.cast()),
                Tag::IfExp => ExprKind::IfExp(&*p.cast()),
                Tag::Dict => ExprKind::Dict(&*p.cast()),
                Tag::Set => ExprKind::Set(&*p.cast()),
                Tag::ListComp => ExprKind::ListComp(&*p.cast()),
                Tag::SetComp => ExprKind::SetComp(&*p.cast()),
                Tag::DictComp => ExprKind::DictComp(&*p.cast()),
                Tag::GeneratorExp => ExprKind::GeneratorExp(&*p.cast()),
                Tag::Await => ExprKind::Await(&*p.cast()),
                Tag::Yield => ExprKind::Yield(&*p.cast()),
                Tag::YieldFrom => ExprKind::YieldFrom(&*p.cast()),
                Tag::Compare => ExprKind::Compare(&*p.cast()),
                Tag::Call => ExprKind::Call(&*p.cast()),
                Tag::FormattedValue => ExprKind::FormattedValue(&*p.cast()),
                Tag::JoinedStr => ExprKind::JoinedStr(&*p.cast()),
                Tag::Constant => ExprKind::Constant(&*p.cast()),
                Tag::Attribute => ExprKind::Attribute(&*p.cast()),
                Tag::Subscript => ExprKind::Subscript(&*p.cast()),
                Tag::Starred => ExprKind::Starred(&*p.cast()),
                Tag::Name => ExprKind::Name(&*p.cast()),
                Tag::List => ExprKind::List(&*p.cast()),
                Tag::Tuple => ExprKind::Tuple(&*p.cast()),
                Tag::Slice => ExprKind::Slice(&*p.cast()),
            }
        }
    }
}

impl fmt::Debug for Expr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.kind(), f)
    }
}

impl Ranged for Expr<'_> {
    fn range(&self) -> TextRange {
        self.kind().range()
    }
}

/// Which kind of expression a node is: the first field of every expression node.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    BoolOp,
    NamedExpr,
    BinOp,
    UnaryOp,
    Lambda,
    IfExp,
    Dict,
    Set,
    ListComp,
    SetComp,
    DictComp,
    GeneratorExp,
    Await,
    Yield,
    YieldFrom,
    Compare,
    Call,
    FormattedValue,
    JoinedStr,
    Constant,
    Attribute,
    Subscript,
    Starred,
    Name,
    List,
    Tuple,
    Slice,
}

/// A node an `Expr` can point at.
///
/// # Safety
/// The type must be `#[repr(C)]` with `tag: Tag` as its first field, and `TAGS` must be
/// exactly the tags `Expr::kind` reads back as this type.
pub unsafe trait ExprNode<'a> {
    const TAGS: &'static [Tag];
    fn tag(&self) -> Tag;
}

macro_rules! expr_node {
    ($($t:ident: $($tag:ident)|+;)*) => {
        $(
            // SAFETY: `#[repr(C)]`, `tag` first; the tags are those `kind` reads as this type.
            unsafe impl<'a> ExprNode<'a> for $t<'a> {
                const TAGS: &'static [Tag] = &[$(Tag::$tag),+];
                fn tag(&self) -> Tag {
                    self.tag
                }
            }
        )*
    };
}

expr_node! {
    ExprBoolOp: BoolOp;
    ExprNamedExpr: NamedExpr;
    ExprBinOp: BinOp;
    ExprUnaryOp: UnaryOp;
    ExprLambda: Lambda;
    ExprIfExp: IfExp;
    ExprDict: Dict;
    ExprSet: Set | List | Tuple;
    ExprListComp: ListComp | SetComp | GeneratorExp;
    ExprDictComp: DictComp;
    ExprAwait: Await | YieldFrom | Starred;
    ExprYield: Yield;
    ExprCompare: Compare;
    ExprCall: Call;
    ExprFormattedValue: FormattedValue;
    ExprJoinedStr: JoinedStr;
    ExprConstant: Constant;
    ExprAttribute: Attribute;
    ExprSubscript: Subscript;
    ExprName: Name;
    ExprSlice: Slice;
}

/// What an expression is, with its node: what `Expr::kind` gives to match on.
#[derive(Clone, Copy, Debug)]
pub enum ExprKind<'a> {
    BoolOp(&'a ExprBoolOp<'a>),
    NamedExpr(&'a ExprNamedExpr<'a>),
    BinOp(&'a ExprBinOp<'a>),
    UnaryOp(&'a ExprUnaryOp<'a>),
    Lambda(&'a ExprLambda<'a>),
    IfExp(&'a ExprIfExp<'a>),
    Dict(&'a ExprDict<'a>),
    Set(&'a ExprSet<'a>),
    ListComp(&'a ExprListComp<'a>),
    SetComp(&'a ExprListComp<'a>),
    DictComp(&'a ExprDictComp<'a>),
    GeneratorExp(&'a ExprListComp<'a>),
    Await(&'a ExprAwait<'a>),
    Yield(&'a ExprYield<'a>),
    YieldFrom(&'a ExprAwait<'a>),
    Compare(&'a ExprCompare<'a>),
    Call(&'a ExprCall<'a>),
    FormattedValue(&'a ExprFormattedValue<'a>),
    JoinedStr(&'a ExprJoinedStr<'a>),
    Constant(&'a ExprConstant<'a>),
    Attribute(&'a ExprAttribute<'a>),
    Subscript(&'a ExprSubscript<'a>),
    Starred(&'a ExprAwait<'a>),
    Name(&'a ExprName<'a>),
    List(&'a ExprSet<'a>),
    Tuple(&'a ExprSet<'a>),
    Slice(&'a ExprSlice<'a>),
}

impl Ranged for ExprKind<'_> {
    fn range(&self) -> TextRange {
        match self {
            ExprKind::BoolOp(e) => e.range,
            ExprKind::NamedExpr(e) => e.range,
            ExprKind::BinOp(e) => e.range,
            ExprKind::UnaryOp(e) => e.range,
            ExprKind::Lambda(e) => e.range,
            ExprKind::IfExp(e) => e.range,
            ExprKind::Dict(e) => e.range,
            ExprKind::Set(e) | ExprKind::List(e) | ExprKind::Tuple(e) => e.range,
            ExprKind::ListComp(e) | ExprKind::SetComp(e) | ExprKind::GeneratorExp(e) => e.range,
            ExprKind::DictComp(e) => e.range,
            ExprKind::Await(e) | ExprKind::YieldFrom(e) | ExprKind::Starred(e) => e.range,
            ExprKind::Yield(e) => e.range,
            ExprKind::Compare(e) => e.range,
            ExprKind::Call(e) => e.range,
            ExprKind::FormattedValue(e) => e.range,
            ExprKind::JoinedStr(e) => e.range,
            ExprKind::Constant(e) => e.range,
            ExprKind::Attribute(e) => e.range,
            ExprKind::Subscript(e) => e.range,
            ExprKind::Name(e) => e.range(),
            ExprKind::Slice(e) => e.range,
        }
    }
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprBoolOp<'a> {
    pub tag: Tag,
    pub op: BoolOp,
    pub range: TextRange,
    pub values: &'a [Expr<'a>],
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprNamedExpr<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub target: Expr<'a>,
    pub value: Expr<'a>,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprBinOp<'a> {
    pub tag: Tag,
    pub op: Operator,
    pub range: TextRange,
    pub left: Expr<'a>,
    pub right: Expr<'a>,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprUnaryOp<'a> {
    pub tag: Tag,
    pub op: UnaryOp,
    pub range: TextRange,
    pub operand: Expr<'a>,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprLambda<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub args: &'a Arguments<'a>,
    pub body: Expr<'a>,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprIfExp<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub test: Expr<'a>,
    pub body: Expr<'a>,
    pub orelse: Expr<'a>,
}

/// `{k: v, **m}`: a None key is a `**` unpacking.
#[derive(Debug)]
#[repr(C)]
pub struct ExprDict<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub keys: &'a [Option<Expr<'a>>],
    pub values: &'a [Expr<'a>],
}

/// Sets, lists and tuples.
#[derive(Debug)]
#[repr(C)]
pub struct ExprSet<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub elts: &'a [Expr<'a>],
}

/// List, set and generator comprehensions.
#[derive(Debug)]
#[repr(C)]
pub struct ExprListComp<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub elt: Expr<'a>,
    pub generators: &'a [Comprehension<'a>],
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprDictComp<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub key: Expr<'a>,
    pub value: Expr<'a>,
    pub generators: &'a [Comprehension<'a>],
}

/// `await x`, `yield from x` and `*x`: one operand.
#[derive(Debug)]
#[repr(C)]
pub struct ExprAwait<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub value: Expr<'a>,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprYield<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub value: Option<Expr<'a>>,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprCompare<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub left: Expr<'a>,
    pub ops: &'a [CmpOp],
    pub comparators: &'a [Expr<'a>],
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprCall<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub func: Expr<'a>,
    pub args: &'a [Expr<'a>],
    pub keywords: &'a [Keyword<'a>],
}

/// `{value:spec}` in an f-string.
#[derive(Debug)]
#[repr(C)]
pub struct ExprFormattedValue<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub value: Expr<'a>,
    pub format_spec: Option<Expr<'a>>,
}

/// An f-string (or t-string): literal pieces and formatted values.
#[derive(Debug)]
#[repr(C)]
pub struct ExprJoinedStr<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub values: &'a [Expr<'a>],
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprConstant<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub value: Constant<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Constant<'a> {
    None,
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A larger integer, in decimal.
    BigInt(&'a str),
    Float(f64),
    Complex {
        real: f64,
        imag: f64,
    },
    Ellipsis,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprAttribute<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub value: Expr<'a>,
    pub attr: Identifier<'a>,
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprSubscript<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub value: Expr<'a>,
    pub slice: Expr<'a>,
}

/// A name: the most common node (two in five expressions), so 16 bytes. Its range is its
/// start and length in the source (a name longer than 65,535 bytes gets a range that stops
/// there).
#[derive(Debug)]
#[repr(C)]
pub struct ExprName<'a> {
    pub tag: Tag,
    pub ctx: ExprContext,
    pub len: u16,
    pub start: u32,
    pub id: Identifier<'a>,
}

impl Ranged for ExprName<'_> {
    fn range(&self) -> TextRange {
        TextRange::at(TextSize::new(self.start), TextSize::new(u32::from(self.len)))
    }
}

#[derive(Debug)]
#[repr(C)]
pub struct ExprSlice<'a> {
    pub tag: Tag,
    pub range: TextRange,
    pub lower: Option<Expr<'a>>,
    pub upper: Option<Expr<'a>>,
    pub step: Option<Expr<'a>>,
}

ranged!(
    ExprBoolOp,
    ExprNamedExpr,
    ExprBinOp,
    ExprUnaryOp,
    ExprLambda,
    ExprIfExp,
    ExprDict,
    ExprSet,
    ExprListComp,
    ExprDictComp,
    ExprAwait,
    ExprYield,
    ExprCompare,
    ExprCall,
    ExprFormattedValue,
    ExprJoinedStr,
    ExprConstant,
    ExprAttribute,
    ExprSubscript,
    ExprSlice,
);

// ---- operators --------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprContext {
    Load,
    Store,
    Del,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Invert,
    Not,
    UAdd,
    USub,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Add,
    Sub,
    Mult,
    MatMult,
    Div,
    Mod,
    Pow,
    LShift,
    RShift,
    BitOr,
    BitXor,
    BitAnd,
    FloorDiv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    Is,
    IsNot,
    In,
    NotIn,
}

// ---- the arena --------------------------------------------------------------------------

/// A module's syntax tree and the arena that holds it.
pub struct Tree {
    /// Borrows from `_arena`. It is `'static` only inside this type: `suite()` hands it out
    /// for no longer than the tree itself lives.
    suite: &'static [Stmt<'static>],
    /// Holds the nodes; never used again once the tree is built, only dropped with it.
    _arena: bumpalo::Bump,
}

// SAFETY: the arena is only allocated from while the tree is built (before `Tree::new`
// returns); afterwards no method reaches it (only its drop does), so sharing `&Tree` between
// threads shares only immutable nodes. No node needs dropping: they hold references and plain
// values only (the arena never runs destructors).
unsafe impl Sync for Tree {}

impl Tree {
    /// Build a tree with `build`, which allocates every node in the arena it is given.
    pub fn new<E>(
        arena: bumpalo::Bump,
        build: impl for<'a> FnOnce(&'a bumpalo::Bump) -> Result<&'a [Stmt<'a>], E>,
    ) -> Result<Tree, E> {
        let suite = build(&arena)?;
        // SAFETY: the nodes live in the arena's heap blocks, which do not move when the Bump
        // value moves into the Tree, and are freed only when the Tree is dropped. `suite()`
        // shortens the lifetime back to the Tree's borrow (the node types are covariant).
        let suite: &'static [Stmt<'static>] = unsafe { std::mem::transmute::<&[Stmt<'_>], _>(suite) };
        Ok(Tree { suite, _arena: arena })
    }

    pub fn suite(&self) -> &[Stmt<'_>] {
        self.suite
    }
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree").field("statements", &self.suite.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "an expression node tagged Call")]
    fn a_node_tagged_as_another_type_is_refused() {
        // `kind` reads a node back by its tag: a list node claiming to be a call must never
        // get that far.
        let node = ExprSet {
            tag: Tag::Call,
            range: TextRange::default(),
            elts: &[],
        };
        let _ = Expr::new(&node);
    }

    #[test]
    fn an_expression_reads_back_as_what_it_was_built() {
        let tuple = ExprSet {
            tag: Tag::Tuple,
            range: TextRange::new(3.into(), 9.into()),
            elts: &[],
        };
        let e = Expr::new(&tuple);
        assert!(matches!(e.kind(), ExprKind::Tuple(t) if std::ptr::eq(t, &tuple)));
        assert_eq!(e.range(), TextRange::new(3.into(), 9.into()));
    }

    #[test]
    fn nodes_stay_small() {
        // The reason this tree exists: keep these from growing unnoticed.
        assert_eq!(std::mem::size_of::<Expr>(), 8);
        assert_eq!(std::mem::size_of::<Option<Expr>>(), 8);
        assert_eq!(std::mem::size_of::<Stmt>(), 16);
        assert_eq!(std::mem::size_of::<Identifier>(), 8);
        assert_eq!(std::mem::size_of::<ExprName>(), 16);
        assert!(std::mem::size_of::<ExprCall>() <= 56);
    }
}
