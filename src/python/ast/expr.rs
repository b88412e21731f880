//! Expression nodes: `Expr`, a thin pointer whose node says what it is (`Tag`), the node types
//! it points at, `ExprKind` to match on, and the operators.

use std::fmt;

use super::{Arguments, Comprehension, Identifier, Keyword, Ranged, TextRange, TextSize};

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
