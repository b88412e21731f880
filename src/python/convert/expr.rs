//! Expressions copied into the arena tree: literals become `Constant`s, f-strings `JoinedStr`s,
//! and the operators are mapped one to one.

use ruff_python_ast as r;

use super::Builder;
use crate::python::ast;
use crate::python::ast::TextRange;

impl<'a> Builder<'a> {
    pub(super) fn constant(&mut self, range: TextRange, value: ast::Constant<'a>) -> ast::Expr<'a> {
        ast::Expr::new(self.arena.alloc(ast::ExprConstant {
            tag: ast::Tag::Constant,
            range,
            value,
        }))
    }

    pub(super) fn number(&mut self, n: &r::Number) -> ast::Constant<'a> {
        match n {
            r::Number::Int(i) => match i.as_i64() {
                Some(v) => ast::Constant::Int(v),
                // Larger literals keep their digits; ruff prints them in decimal.
                None => ast::Constant::BigInt(self.arena.alloc_str(&i.to_string())),
            },
            r::Number::Float(f) => ast::Constant::Float(*f),
            r::Number::Complex { real, imag } => ast::Constant::Complex {
                real: *real,
                imag: *imag,
            },
        }
    }

    pub(super) fn comp(
        &mut self,
        tag: ast::Tag,
        range: TextRange,
        elt: &r::Expr,
        gens: &[r::Comprehension],
    ) -> ast::Expr<'a> {
        let node = ast::ExprListComp {
            tag,
            range,
            elt: self.expr(elt),
            generators: self.comprehensions(gens),
        };
        ast::Expr::new(self.arena.alloc(node))
    }

    pub(super) fn one(&mut self, tag: ast::Tag, range: TextRange, value: &r::Expr) -> ast::Expr<'a> {
        let value = self.expr(value);
        ast::Expr::new(self.arena.alloc(ast::ExprAwait { tag, range, value }))
    }

    pub(super) fn elts(&mut self, tag: ast::Tag, range: TextRange, elts: &[r::Expr]) -> ast::Expr<'a> {
        let elts = self.exprs(elts);
        ast::Expr::new(self.arena.alloc(ast::ExprSet { tag, range, elts }))
    }

    pub(super) fn expr(&mut self, e: &r::Expr) -> ast::Expr<'a> {
        let a = self.arena;
        match e {
            r::Expr::BoolOp(e) => {
                let op = match e.op {
                    r::BoolOp::And => ast::BoolOp::And,
                    r::BoolOp::Or => ast::BoolOp::Or,
                };
                let values = self.exprs(&e.values);
                ast::Expr::new(a.alloc(ast::ExprBoolOp {
                    tag: ast::Tag::BoolOp,
                    range: e.range,
                    op,
                    values,
                }))
            }
            r::Expr::Named(e) => {
                let node = ast::ExprNamedExpr {
                    tag: ast::Tag::NamedExpr,
                    range: e.range,
                    target: self.expr(&e.target),
                    value: self.expr(&e.value),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::BinOp(e) => {
                let node = ast::ExprBinOp {
                    tag: ast::Tag::BinOp,
                    range: e.range,
                    left: self.expr(&e.left),
                    op: operator(e.op),
                    right: self.expr(&e.right),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::UnaryOp(e) => {
                let op = match e.op {
                    r::UnaryOp::Invert => ast::UnaryOp::Invert,
                    r::UnaryOp::Not => ast::UnaryOp::Not,
                    r::UnaryOp::UAdd => ast::UnaryOp::UAdd,
                    r::UnaryOp::USub => ast::UnaryOp::USub,
                };
                let operand = self.expr(&e.operand);
                ast::Expr::new(a.alloc(ast::ExprUnaryOp {
                    tag: ast::Tag::UnaryOp,
                    range: e.range,
                    op,
                    operand,
                }))
            }
            r::Expr::Lambda(e) => {
                let args = match &e.parameters {
                    Some(p) => self.parameters(p),
                    None => self.no_parameters(),
                };
                let body = self.expr(&e.body);
                ast::Expr::new(a.alloc(ast::ExprLambda {
                    tag: ast::Tag::Lambda,
                    range: e.range,
                    args,
                    body,
                }))
            }
            r::Expr::If(e) => {
                let node = ast::ExprIfExp {
                    tag: ast::Tag::IfExp,
                    range: e.range,
                    test: self.expr(&e.test),
                    body: self.expr(&e.body),
                    orelse: self.expr(&e.orelse),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::Dict(e) => {
                let keys = a.alloc_slice_fill_iter(e.items.iter().map(|item| self.opt(item.key.as_ref())));
                let values = a.alloc_slice_fill_iter(e.items.iter().map(|item| self.expr(&item.value)));
                ast::Expr::new(a.alloc(ast::ExprDict {
                    tag: ast::Tag::Dict,
                    range: e.range,
                    keys,
                    values,
                }))
            }
            r::Expr::Set(e) => self.elts(ast::Tag::Set, e.range, &e.elts),
            r::Expr::ListComp(e) => self.comp(ast::Tag::ListComp, e.range, &e.elt, &e.generators),
            r::Expr::SetComp(e) => self.comp(ast::Tag::SetComp, e.range, &e.elt, &e.generators),
            r::Expr::Generator(e) => self.comp(ast::Tag::GeneratorExp, e.range, &e.elt, &e.generators),
            r::Expr::DictComp(e) => {
                // ruff leaves the key out only in code it recovered from a syntax error.
                let key = match e.key.as_deref() {
                    Some(k) => self.expr(k),
                    None => self.constant(e.range, ast::Constant::None),
                };
                let node = ast::ExprDictComp {
                    tag: ast::Tag::DictComp,
                    range: e.range,
                    key,
                    value: self.expr(&e.value),
                    generators: self.comprehensions(&e.generators),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::Await(e) => self.one(ast::Tag::Await, e.range, &e.value),
            r::Expr::Yield(e) => {
                let value = self.opt(e.value.as_deref());
                ast::Expr::new(a.alloc(ast::ExprYield {
                    tag: ast::Tag::Yield,
                    range: e.range,
                    value,
                }))
            }
            r::Expr::YieldFrom(e) => self.one(ast::Tag::YieldFrom, e.range, &e.value),
            r::Expr::Compare(e) => {
                let node = ast::ExprCompare {
                    tag: ast::Tag::Compare,
                    range: e.range,
                    left: self.expr(&e.left),
                    ops: a.alloc_slice_fill_iter(e.ops.iter().map(|op| cmp_op(*op))),
                    comparators: self.exprs(&e.comparators),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::Call(e) => {
                // ruff stores a call's start; it ends with its argument list.
                let range = TextRange::new(e.range_start, e.arguments.range.end());
                let func = self.expr(&e.func);
                let (args, keywords) = self.arguments(&e.arguments);
                ast::Expr::new(a.alloc(ast::ExprCall {
                    tag: ast::Tag::Call,
                    range,
                    func,
                    args,
                    keywords,
                }))
            }
            r::Expr::FString(e) => {
                let mut values = Vec::new();
                for part in e.value.iter() {
                    match part {
                        r::FStringPart::Literal(s) => {
                            let text = a.alloc_str(&s.value);
                            values.push(self.constant(s.range, ast::Constant::Str(text)));
                        }
                        r::FStringPart::FString(f) => self.interpolated(&f.elements, &mut values),
                    }
                }
                self.joined(e.range, &values)
            }
            r::Expr::TString(e) => {
                let mut values = Vec::new();
                for t in e.value.iter() {
                    self.interpolated(&t.elements, &mut values);
                }
                self.joined(e.range, &values)
            }
            r::Expr::StringLiteral(e) => {
                let text = a.alloc_str(e.value.to_str());
                self.constant(e.range, ast::Constant::Str(text))
            }
            r::Expr::BytesLiteral(e) => {
                let bytes: Vec<u8> = e.value.iter().flat_map(|b| b.value.iter().copied()).collect();
                let bytes = a.alloc_slice_copy(&bytes);
                self.constant(e.range, ast::Constant::Bytes(bytes))
            }
            r::Expr::NumberLiteral(e) => {
                let value = self.number(&e.value);
                self.constant(e.range, value)
            }
            r::Expr::BooleanLiteral(e) => self.constant(e.range, ast::Constant::Bool(e.value)),
            r::Expr::NoneLiteral(e) => self.constant(e.range, ast::Constant::None),
            r::Expr::EllipsisLiteral(e) => self.constant(e.range, ast::Constant::Ellipsis),
            r::Expr::Attribute(e) => {
                let node = ast::ExprAttribute {
                    tag: ast::Tag::Attribute,
                    range: e.range,
                    value: self.expr(&e.value),
                    attr: self.ident(&e.attr),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::Subscript(e) => {
                let node = ast::ExprSubscript {
                    tag: ast::Tag::Subscript,
                    range: e.range,
                    value: self.expr(&e.value),
                    slice: self.expr(&e.slice),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::Starred(e) => self.one(ast::Tag::Starred, e.range, &e.value),
            r::Expr::Name(e) => {
                let node = ast::ExprName {
                    tag: ast::Tag::Name,
                    start: e.range.start().to_u32(),
                    len: u16::try_from(e.range.len().to_u32()).unwrap_or(u16::MAX),
                    ctx: context(e.ctx),
                    id: self.name(e.id.as_str()),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::List(e) => self.elts(ast::Tag::List, e.range, &e.elts),
            r::Expr::Tuple(e) => self.elts(ast::Tag::Tuple, e.range, &e.elts),
            r::Expr::Slice(e) => {
                let node = ast::ExprSlice {
                    tag: ast::Tag::Slice,
                    range: e.range,
                    lower: self.opt(e.lower.as_deref()),
                    upper: self.opt(e.upper.as_deref()),
                    step: self.opt(e.step.as_deref()),
                };
                ast::Expr::new(a.alloc(node))
            }
            r::Expr::IpyEscapeCommand(e) => self.constant(e.range, ast::Constant::None),
        }
    }

    pub(super) fn joined(&mut self, range: TextRange, values: &[ast::Expr<'a>]) -> ast::Expr<'a> {
        let values = self.arena.alloc_slice_copy(values);
        ast::Expr::new(self.arena.alloc(ast::ExprJoinedStr {
            tag: ast::Tag::JoinedStr,
            range,
            values,
        }))
    }

    /// The pieces of an f-string (or t-string): literal text and `{...}` fields.
    pub(super) fn interpolated(&mut self, elements: &r::InterpolatedStringElements, out: &mut Vec<ast::Expr<'a>>) {
        for el in elements.iter() {
            match el {
                r::InterpolatedStringElement::Literal(l) => {
                    let text = self.arena.alloc_str(&l.value);
                    out.push(self.constant(l.range, ast::Constant::Str(text)));
                }
                r::InterpolatedStringElement::Interpolation(i) => {
                    let value = self.expr(&i.expression);
                    let format_spec = i.format_spec.as_ref().map(|spec| {
                        let mut parts = Vec::new();
                        self.interpolated(&spec.elements, &mut parts);
                        self.joined(spec.range, &parts)
                    });
                    let node = ast::ExprFormattedValue {
                        tag: ast::Tag::FormattedValue,
                        range: i.range,
                        value,
                        format_spec,
                    };
                    out.push(ast::Expr::new(self.arena.alloc(node)));
                }
            }
        }
    }
}

fn context(c: r::ExprContext) -> ast::ExprContext {
    match c {
        r::ExprContext::Store => ast::ExprContext::Store,
        r::ExprContext::Del => ast::ExprContext::Del,
        r::ExprContext::Load | r::ExprContext::Invalid => ast::ExprContext::Load,
    }
}

pub(super) fn operator(op: r::Operator) -> ast::Operator {
    match op {
        r::Operator::Add => ast::Operator::Add,
        r::Operator::Sub => ast::Operator::Sub,
        r::Operator::Mult => ast::Operator::Mult,
        r::Operator::MatMult => ast::Operator::MatMult,
        r::Operator::Div => ast::Operator::Div,
        r::Operator::Mod => ast::Operator::Mod,
        r::Operator::Pow => ast::Operator::Pow,
        r::Operator::LShift => ast::Operator::LShift,
        r::Operator::RShift => ast::Operator::RShift,
        r::Operator::BitOr => ast::Operator::BitOr,
        r::Operator::BitXor => ast::Operator::BitXor,
        r::Operator::BitAnd => ast::Operator::BitAnd,
        r::Operator::FloorDiv => ast::Operator::FloorDiv,
    }
}

fn cmp_op(op: r::CmpOp) -> ast::CmpOp {
    match op {
        r::CmpOp::Eq => ast::CmpOp::Eq,
        r::CmpOp::NotEq => ast::CmpOp::NotEq,
        r::CmpOp::Lt => ast::CmpOp::Lt,
        r::CmpOp::LtE => ast::CmpOp::LtE,
        r::CmpOp::Gt => ast::CmpOp::Gt,
        r::CmpOp::GtE => ast::CmpOp::GtE,
        r::CmpOp::Is => ast::CmpOp::Is,
        r::CmpOp::IsNot => ast::CmpOp::IsNot,
        r::CmpOp::In => ast::CmpOp::In,
        r::CmpOp::NotIn => ast::CmpOp::NotIn,
    }
}
