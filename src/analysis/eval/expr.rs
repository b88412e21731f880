//! Expressions: the values of an expression in a frame, containers and their elements,
//! comprehensions, `super()`, and attributes of any value.

use std::rc::Rc;

use super::classes::{inst_assigns, is_property};
use super::value::{add, container, extend};
use super::{Eval, Frame, Inst, Key, Origin, Vals, Value};
use crate::analysis::index::{ClassId, FuncId, Scope};
use crate::python::parse::{self, ast};

impl<'a, 'c> Eval<'a, 'c> {
    /// What iterating over these values yields.
    pub fn elements(&self, vals: &Vals) -> Vals {
        let mut out = Vec::new();
        for v in vals {
            match v {
                Value::Container { slots, .. } => {
                    for s in slots.iter() {
                        extend(&mut out, s.clone());
                    }
                }
                Value::Generator(_, items) => extend(&mut out, items.as_ref().clone()),
                _ => {}
            }
        }
        out
    }

    pub(super) fn index_into(&self, vals: &Vals, at: Option<usize>) -> Vals {
        let mut out = Vec::new();
        for v in vals {
            match (v, at) {
                (
                    Value::Container {
                        slots,
                        positional: true,
                    },
                    Some(i),
                ) if i < slots.len() => extend(&mut out, slots[i].clone()),
                _ => extend(&mut out, self.elements(&vec![v.clone()])),
            }
        }
        out
    }

    pub fn eval(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>) -> Vals {
        use ast::ExprKind as E;
        // A deterministic budget: pathological code bases stop refining values instead of
        // taking minutes (verdicts found so far stand).
        self.steps.set(self.steps.get() + 1);
        if self.steps.get() > self.limit.get() {
            return Vec::new();
        }
        let module = self.index.module_of(frame.scope);
        let origin = |e: &ast::Expr| Origin {
            module,
            offset: parse::range_of(e).0,
        };
        match expr.kind() {
            E::Name(n) => self.name(frame, n.id.as_str()),
            E::Attribute(a) => {
                if let Some(bases) = self.super_call(frame, &a.value) {
                    let name = a.attr.as_str();
                    return bases
                        .into_iter()
                        .filter_map(|(b, s)| self.method(b, name).map(|f| Value::Bound(Rc::new(s), f)))
                        .collect();
                }
                let base = self.eval(frame, &a.value);
                let mut out = Vec::new();
                for v in base {
                    extend(&mut out, self.attr(v, a.attr.as_str()));
                }
                out
            }
            E::Call(c) => self.call(frame, c),
            E::Subscript(s) => {
                let base = self.eval(frame, &s.value);
                let at = parse::int_literal(&s.slice).and_then(|i| usize::try_from(i).ok());
                self.index_into(&base, at)
            }
            E::BoolOp(b) => {
                let mut out = Vec::new();
                for v in b.values {
                    extend(&mut out, self.eval(frame, v));
                }
                out
            }
            E::IfExp(i) => {
                let mut out = self.eval(frame, &i.body);
                extend(&mut out, self.eval(frame, &i.orelse));
                out
            }
            E::BinOp(b) => {
                let mut out = self.eval(frame, &b.left);
                out.retain(|v| matches!(v, Value::Container { .. }));
                let mut right = self.eval(frame, &b.right);
                right.retain(|v| matches!(v, Value::Container { .. }));
                extend(&mut out, right);
                out
            }
            E::Tuple(t) => vec![self.sequence(frame, t.elts, true)],
            E::List(l) => vec![self.sequence(frame, l.elts, false)],
            E::Set(s) => vec![self.sequence(frame, s.elts, false)],
            E::Dict(d) => {
                let mut vals = Vec::new();
                for (k, v) in d.keys.iter().zip(d.values) {
                    let ev = self.eval(frame, v);
                    if k.is_none() {
                        extend(&mut vals, self.elements(&ev));
                    } else {
                        extend(&mut vals, ev);
                    }
                }
                vec![container(vec![vals], false)]
            }
            E::ListComp(c) => vec![container(vec![self.comprehension(frame, c.generators, &c.elt)], false)],
            E::SetComp(c) => vec![container(vec![self.comprehension(frame, c.generators, &c.elt)], false)],
            E::DictComp(c) => vec![container(
                vec![self.comprehension(frame, c.generators, &c.value)],
                false,
            )],
            E::GeneratorExp(c) => vec![Value::Generator(
                origin(expr),
                Rc::new(self.comprehension(frame, c.generators, &c.elt)),
            )],
            E::Lambda(_) => vec![Value::Lambda(origin(expr))],
            E::NamedExpr(n) => self.eval(frame, &n.value),
            E::Starred(s) => self.eval(frame, &s.value),
            _ => Vec::new(),
        }
    }

    pub(super) fn sequence(&self, frame: &Frame<'a>, elts: &'a [ast::Expr<'a>], positional: bool) -> Value {
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

    pub(super) fn comprehension(
        &self,
        frame: &Frame<'a>,
        gens: &'a [ast::Comprehension<'a>],
        elt: &'a ast::Expr<'a>,
    ) -> Vals {
        let mut inner = frame.clone();
        self.bind_comprehension(&mut inner, gens);
        self.eval(&inner, elt)
    }

    /// `super()` inside a method: the methods of the base classes (as bound methods).
    pub(super) fn super_call(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>) -> Option<Vec<(ClassId, Value)>> {
        let ast::ExprKind::Call(c) = expr.kind() else {
            return None;
        };
        if !matches!(c.func.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "super") {
            return None;
        }
        let Scope::Func(f) = frame.scope else {
            return Some(Vec::new());
        };
        let Some(class) = self.index.funcs[f].class else {
            return Some(Vec::new());
        };
        let self_val = frame.self_val.clone().unwrap_or_else(|| self.generic_instance(class));
        Some(self.bases(class).0.into_iter().map(|b| (b, self_val.clone())).collect())
    }

    pub fn attr(&self, v: Value, name: &'a str) -> Vals {
        match v {
            Value::Module(m) => self.module_name(m, name),
            Value::External(q) | Value::ExtModule(q) => vec![Value::External(format!("{q}.{name}").into())],
            Value::Instance(inst) => {
                if let Some(f) = self.method(inst.class, name) {
                    if is_property(self.index.funcs[f].def.decorators) {
                        return self.property_value(inst, f);
                    }
                    return vec![Value::Bound(Rc::new(Value::Instance(inst)), f)];
                }
                let mut out = self.inst_attr(&inst, name);
                extend(&mut out, self.class_attr(inst.class, name));
                if let Some(&inner) = self
                    .mro(inst.class)
                    .iter()
                    .find_map(|c| self.index.classes[*c].nested.get(name))
                {
                    add(&mut out, Value::Class(inner));
                }
                // An unknown attribute is a method of an external base (`Process.start`) only
                // when there is such a base; otherwise it is plain data we cannot see.
                let has_external_base = self.mro(inst.class).iter().any(|c| !self.bases(*c).1.is_empty());
                if out.is_empty() && has_external_base && !inst_assigns(self, inst.class, name) {
                    out.push(Value::BoundExt(Rc::new(Value::Instance(inst)), name.into()));
                }
                out
            }
            Value::Class(c) => match self.method(c, name) {
                Some(f) => vec![Value::Func(f)],
                None => match self.mro(c).iter().find_map(|k| self.index.classes[*k].nested.get(name)) {
                    Some(&inner) => vec![Value::Class(inner)],
                    None => self.class_attr(c, name),
                },
            },
            Value::Obj(_) | Value::Container { .. } => vec![Value::BoundExt(Rc::new(v), name.into())],
            _ => Vec::new(),
        }
    }

    /// `obj.prop` for a `@property` (or `cached_property`): what its getter returns for `obj`.
    pub(super) fn property_value(&self, inst: Rc<Inst>, f: FuncId) -> Vals {
        let key = Key::Call(f, Rc::as_ptr(&inst) as usize);
        let frame = Frame {
            scope: Scope::Func(f),
            args: None,
            self_val: Some(Value::Instance(inst)),
            comps: Vec::new(),
        };
        self.guarded(key, false, || self.return_values(&frame, f))
    }
}
