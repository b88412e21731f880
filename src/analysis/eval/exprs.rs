//! Expressions: names, attributes, calls, containers, comprehensions, conditional expressions
//! (decided when the frame decides the test) and literals.

use std::rc::Rc;

use super::calls::{is_classmethod, is_property, is_static};
use super::cond::{const_of, truth_of, Tri};
use super::value::container;
use super::{Const, Eval, Frame, Inst, Key, Origin, Vals, Value};
use crate::analysis::index::{FuncId, Scope};
use crate::python::parse::{self, ast};

impl<'a, 'c> Eval<'a, 'c> {
    pub fn eval(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>) -> Vals {
        use ast::ExprKind as E;
        // A deterministic budget: pathological code bases stop refining values instead of
        // taking minutes (verdicts found so far stand).
        if !self.step() {
            return Vals::new();
        }
        let origin = |e: &ast::Expr| Origin {
            module: self.index.module_of(frame.scope),
            offset: parse::range_of(e).0,
        };
        match expr.kind() {
            E::Name(n) => self.name(frame, n.id.as_str(), parse::range_of(expr).0),
            E::Attribute(a) => {
                if let Some(bases) = self.super_call(frame, &a.value) {
                    let name = a.attr.as_str();
                    return bases
                        .into_iter()
                        .filter_map(|(b, s)| self.method(b, name).map(|f| Value::Bound(Rc::new(s), f)))
                        .collect();
                }
                let base = self.eval(frame, &a.value);
                base.flat_map(|v| self.attr_in(frame, v.clone(), a.attr.as_str()))
            }
            E::Call(c) => self.call(frame, c),
            E::Subscript(s) => {
                let base = self.eval(frame, &s.value);
                let at = parse::int_literal(&s.slice).and_then(|i| usize::try_from(i).ok());
                self.index_into(&base, at)
            }
            E::BoolOp(b) => self.bool_op(frame, b),
            E::IfExp(i) => match self.decide(frame, &i.test) {
                Tri::True => self.eval(frame, &i.body),
                Tri::False => self.eval(frame, &i.orelse),
                Tri::Unknown => {
                    let mut out = self.eval(frame, &i.body).latent();
                    out.extend_with(self.eval(frame, &i.orelse), true);
                    out
                }
            },
            E::BinOp(b) => {
                let mut out = self.eval(frame, &b.left);
                out.retain(|v| matches!(v, Value::Container { .. }));
                let mut right = self.eval(frame, &b.right);
                right.retain(|v| matches!(v, Value::Container { .. }));
                out.extend(right);
                if out.is_empty() {
                    out.add(Value::Const(Const::Other));
                }
                out
            }
            E::Tuple(t) => Vals::one(self.sequence(frame, t.elts, true)),
            E::List(l) => Vals::one(self.sequence(frame, l.elts, false)),
            E::Set(s) => Vals::one(self.sequence(frame, s.elts, false)),
            E::Dict(d) => {
                let mut vals = Vals::new();
                for (k, v) in d.keys.iter().zip(d.values) {
                    let ev = self.eval(frame, v);
                    if k.is_none() {
                        vals.extend(self.elements(&ev));
                    } else {
                        vals.extend(ev);
                    }
                }
                Vals::one(container(vec![vals], false))
            }
            E::ListComp(c) => Vals::one(container(vec![self.comprehension(frame, c.generators, &c.elt)], false)),
            E::SetComp(c) => Vals::one(container(vec![self.comprehension(frame, c.generators, &c.elt)], false)),
            E::DictComp(c) => Vals::one(container(
                vec![self.comprehension(frame, c.generators, &c.value)],
                false,
            )),
            E::GeneratorExp(c) => Vals::one(Value::Generator(
                origin(expr),
                Rc::new(self.comprehension(frame, c.generators, &c.elt)),
            )),
            E::Lambda(_) => Vals::one(Value::Lambda(origin(expr))),
            E::NamedExpr(n) => self.eval(frame, &n.value),
            E::Starred(s) => self.eval(frame, &s.value),
            E::Constant(c) => Vals::one(Value::Const(const_of(&c.value))),
            E::Compare(_) | E::UnaryOp(_) => Vals::one(Value::Const(match self.decide(frame, expr) {
                Tri::True => Const::Bool(true),
                Tri::False => Const::Bool(false),
                Tri::Unknown => Const::Other,
            })),
            E::JoinedStr(_) | E::FormattedValue(_) | E::Slice(_) => Vals::one(Value::Const(Const::Other)),
            _ => Vals::new(),
        }
    }

    /// `a or b` gives the first truthy operand, `a and b` the first falsy one (or the last):
    /// operands the frame decides are taken or skipped; undecided ones make the rest latent.
    fn bool_op(&self, frame: &Frame<'a>, b: &'a ast::ExprBoolOp<'a>) -> Vals {
        let or = matches!(b.op, ast::BoolOp::Or);
        let mut out = Vals::new();
        let mut undecided = false;
        let last = b.values.len().saturating_sub(1);
        for (i, v) in b.values.iter().enumerate() {
            let vals = self.eval(frame, v);
            if i == last {
                out.extend_with(vals, undecided);
                break;
            }
            match (truth_of(&vals), or) {
                (Tri::True, true) | (Tri::False, false) => {
                    out.extend_with(vals, undecided);
                    break;
                }
                (Tri::False, true) | (Tri::True, false) => {}
                (Tri::Unknown, _) => {
                    // The values this operand can give as the result (truthy ones for `or`).
                    let mut taken = vals;
                    taken.retain(|x| x.truthy() != Some(!or));
                    out.extend_with(taken, true);
                    undecided = true;
                }
            }
        }
        out
    }

    fn sequence(&self, frame: &Frame<'a>, elts: &'a [ast::Expr<'a>], positional: bool) -> Value {
        let mut slots = Vec::new();
        let mut starred = false;
        for e in elts {
            match e.kind() {
                ast::ExprKind::Starred(s) => {
                    starred = true;
                    let v = self.eval(frame, &s.value);
                    slots.push(self.elements(&v));
                }
                _ => slots.push(self.eval(frame, e)),
            }
        }
        container(slots, positional && !starred)
    }

    fn comprehension(&self, frame: &Frame<'a>, gens: &'a [ast::Comprehension<'a>], elt: &'a ast::Expr<'a>) -> Vals {
        let inner = self.bind_comprehension(frame, gens);
        self.eval(&inner, elt)
    }

    /// An attribute of a value, read in `frame` (where `self`'s attributes may be changing).
    fn attr_in(&self, frame: &Frame<'a>, v: Value, name: &'a str) -> Vals {
        if let (Some(state), Some(me), Value::Instance(inst)) = (&frame.state, &frame.self_val, &v) {
            if me.key() == v.key() && self.method(inst.class, name).is_none() {
                if let Some(vals) = state.borrow().get(name) {
                    let mut out = vals.clone();
                    out.extend(self.class_attr(inst.class, name));
                    return out;
                }
            }
        }
        self.attr(v, name)
    }

    pub fn attr(&self, v: Value, name: &'a str) -> Vals {
        match v {
            Value::Module(m) => self.module_name(m, name),
            Value::External(q) | Value::ExtModule(q) => Vals::one(self.external_attr(&q, name)),
            Value::Instance(inst) => self.instance_attr(inst, name),
            Value::Class(c) => match self.method(c, name) {
                Some(f) if is_classmethod(self.index.funcs[f].def.decorators) => {
                    Vals::one(Value::Bound(Rc::new(Value::Class(c)), f))
                }
                Some(f) => Vals::one(Value::Func(f)),
                None => match self.nested_class(c, name) {
                    Some(inner) => Vals::one(Value::Class(inner)),
                    None => self.class_attr(c, name),
                },
            },
            Value::Obj(o) => match self.catalog.attribute_of(o.ty, name) {
                Some(ty) => {
                    let ctor: Rc<str> = format!("{}.{name}", o.ctor).into();
                    Vals::one(self.make_obj(ty, o.origin, o.start.clone(), ctor))
                }
                None if self.catalog.is_data_attribute(o.ty, name) => Vals::one(Value::Const(Const::Other)),
                None => Vals::one(Value::BoundExt(Rc::new(Value::Obj(o)), name.into())),
            },
            Value::Container { .. } | Value::Const(_) | Value::Generator(..) => {
                Vals::one(Value::BoundExt(Rc::new(v), name.into()))
            }
            Value::Func(_) | Value::Lambda(_) | Value::Bound(..) => Vals::one(Value::Const(Const::Other)),
            Value::BoundExt(..) => Vals::new(),
        }
    }

    fn instance_attr(&self, inst: Rc<Inst>, name: &'a str) -> Vals {
        if let Some(f) = self.method(inst.class, name) {
            let decorators = self.index.funcs[f].def.decorators;
            if is_property(decorators) {
                return self.property_value(inst, f);
            }
            if is_classmethod(decorators) {
                let class = self.index.funcs[f].class.unwrap_or(inst.class);
                return Vals::one(Value::Bound(Rc::new(Value::Class(class)), f));
            }
            if is_static(decorators) {
                return Vals::one(Value::Func(f));
            }
            return Vals::one(Value::Bound(Rc::new(Value::Instance(inst)), f));
        }
        let state = self.overall_state(&inst);
        let mut out = state.get(name).cloned().unwrap_or_default();
        out.extend(self.class_attr(inst.class, name));
        if let Some(inner) = self.nested_class(inst.class, name) {
            out.add(Value::Class(inner));
        }
        // An unknown attribute is a method of an external base (`Process.start`) only when
        // there is such a base; otherwise it is plain data we cannot see.
        if out.is_empty() && !self.external_bases(inst.class).is_empty() && !self.assigns_attr(inst.class, name) {
            out.add(Value::BoundExt(Rc::new(Value::Instance(inst)), name.into()));
        }
        out
    }

    /// Does any class in the hierarchy assign this attribute (on instances or in its body)?
    fn assigns_attr(&self, class: crate::analysis::index::ClassId, name: &str) -> bool {
        self.mro(class).iter().any(|c| {
            let info = &self.index.classes[*c];
            info.attrs.iter().any(|a| a.name == name) || info.class_attrs.contains_key(name)
        })
    }

    /// `obj.prop` for a `@property` (or `cached_property`): what its getter returns for `obj`.
    fn property_value(&self, inst: Rc<Inst>, f: FuncId) -> Vals {
        let frame = Frame::call(Scope::Func(f), None, Some(Value::Instance(inst)));
        self.guarded(Key::Call(f, frame.id()), true, || self.return_values(&frame, f))
    }

    /// A name inside an external module: `six.PY2` and `six.PY3` are known for the target.
    fn external_attr(&self, q: &str, name: &str) -> Value {
        if q == "six" || q.ends_with(".six") {
            match name {
                "PY2" => return Value::Const(Const::Bool(self.target.major == 2)),
                "PY3" => return Value::Const(Const::Bool(self.target.major == 3)),
                _ => {}
            }
        }
        Value::External(format!("{q}.{name}").into())
    }

    // ---- containers ----------------------------------------------------------------------

    /// What iterating over these values yields.
    pub fn elements(&self, vals: &Vals) -> Vals {
        let mut out = Vals::new();
        for (v, latent) in vals.flagged() {
            match v {
                Value::Container { slots, .. } => {
                    for s in slots.iter() {
                        out.extend_with(s.clone(), latent);
                    }
                }
                Value::Generator(_, items) => out.extend_with(items.as_ref().clone(), latent),
                _ => {}
            }
        }
        out
    }

    pub(super) fn index_into(&self, vals: &Vals, at: Option<usize>) -> Vals {
        let mut out = Vals::new();
        for (v, latent) in vals.flagged() {
            match (v, at) {
                (
                    Value::Container {
                        slots,
                        positional: true,
                    },
                    Some(i),
                ) if i < slots.len() => out.extend_with(slots[i].clone(), latent),
                _ => out.extend_with(self.elements(&Vals::one(v.clone())), latent),
            }
        }
        out
    }
}
