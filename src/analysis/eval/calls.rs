//! Calls: a call of a project function (its returns with the arguments bound), of a method, of
//! a class (an instance), of an external constructor (an object of a catalog type, with its
//! start method or open mode), and the literal strings a call's arguments spell.

use std::rc::Rc;

use super::value::{container, extend};
use super::{Eval, Frame, Inst, Key, Obj, Origin, Vals, Value};
use crate::analysis::index::{Binding, FuncId, Scope};
use crate::config::catalog::TypeId;
use crate::python::parse::{self, ast};

impl<'a, 'c> Eval<'a, 'c> {
    pub fn call(&self, frame: &Frame<'a>, call: &'a ast::ExprCall<'a>) -> Vals {
        let module = self.index.module_of(frame.scope);
        let origin = Origin {
            module,
            offset: parse::range_of(call).0,
        };
        let mut out = Vec::new();
        for callee in self.eval(frame, &call.func) {
            extend(&mut out, self.apply(frame, callee, call, origin));
        }
        out
    }

    pub(super) fn apply(&self, frame: &Frame<'a>, callee: Value, call: &'a ast::ExprCall<'a>, origin: Origin) -> Vals {
        match callee {
            Value::External(q) => self.external_call(frame, &q, call, origin),
            Value::Class(c) => {
                let args = Rc::new(self.args(frame, call));
                vec![Value::Instance(Rc::new(Inst {
                    class: c,
                    origin,
                    args: Some(args),
                    killed: Vec::new(),
                }))]
            }
            Value::Func(f) => self.call_function(frame, f, None, call, origin),
            Value::Bound(recv, f) => self.call_function(frame, f, Some(recv.as_ref().clone()), call, origin),
            Value::BoundExt(recv, method) => self.method_call(frame, &recv, &method, call, origin),
            _ => Vec::new(),
        }
    }

    pub(super) fn call_function(
        &self,
        frame: &Frame<'a>,
        f: FuncId,
        self_val: Option<Value>,
        call: &'a ast::ExprCall<'a>,
        origin: Origin,
    ) -> Vals {
        let info = &self.index.funcs[f];
        // One level of call-site sensitivity (k = 1): a call made inside a frame that already
        // has a call context is evaluated without one (parameters from every call site), and
        // cached per function. Deeper context multiplies work without changing verdicts much.
        let nested = frame.args.is_some() || frame.self_val.is_some();
        let keep_self = self_val.filter(|v| !nested || matches!(v, Value::Instance(i) if i.args.is_none()));
        let inner = Frame {
            scope: Scope::Func(f),
            args: (!nested).then(|| Rc::new(self.args(frame, call))),
            self_val: keep_self,
            comps: Vec::new(),
        };
        let (key, cacheable) = if inner.is_plain() {
            (Key::Returns(f), true)
        } else {
            (Key::Call(f, origin.offset ^ (origin.module << 40)), false)
        };
        if info.is_generator {
            // The items may be shared; the generator itself is made here, at this call.
            let items = self.guarded(key, cacheable, || {
                let mut items = Vec::new();
                for (e, from) in &info.yields {
                    let v = self.eval(&inner, e);
                    extend(&mut items, if *from { self.elements(&v) } else { v });
                }
                items
            });
            return vec![Value::Generator(origin, Rc::new(items))];
        }
        self.guarded(key, cacheable, || self.return_values(&inner, f))
    }

    pub(super) fn method_call(
        &self,
        frame: &Frame<'a>,
        recv: &Value,
        method: &str,
        call: &'a ast::ExprCall<'a>,
        origin: Origin,
    ) -> Vals {
        match recv {
            Value::Obj(o) => {
                let Some(ty) = self.catalog.method_result(o.ty, method) else {
                    return Vec::new();
                };
                let ctor: Rc<str> = format!("{}.{method}", o.ctor).into();
                vec![self.make_obj(ty, origin, o.start.clone(), ctor)]
            }
            Value::Container { .. } => match method {
                "values" | "copy" | "items" | "keys" | "get" | "pop" | "popitem" | "__iter__" => {
                    let e = self.elements(&vec![recv.clone()]);
                    if method == "get" || method == "pop" || method == "popitem" {
                        e
                    } else {
                        vec![container(vec![e], false)]
                    }
                }
                _ => Vec::new(),
            },
            _ => {
                let _ = (frame, call);
                Vec::new()
            }
        }
    }

    pub(super) fn make_obj(&self, ty: TypeId, origin: Origin, start: Option<Rc<str>>, ctor: Rc<str>) -> Value {
        let entry = self.catalog.ty(ty);
        if let Some(inner) = entry.unpacks_to.as_deref().and_then(|id| self.catalog.type_id(id)) {
            let one = || {
                Value::Obj(Rc::new(Obj {
                    ty: inner,
                    origin,
                    start: start.clone(),
                    ctor: ctor.clone(),
                    class: None,
                }))
            };
            return container(vec![vec![one()], vec![one()]], true);
        }
        Value::Obj(Rc::new(Obj {
            ty,
            origin,
            start,
            ctor,
            class: None,
        }))
    }

    /// The class an object made by this call has, when the catalog says it depends on the mode.
    pub(super) fn mode_class(
        &self,
        frame: &Frame<'a>,
        ty: TypeId,
        call: &'a ast::ExprCall<'a>,
        position: Option<usize>,
    ) -> Option<Rc<str>> {
        let entry = self.catalog.ty(ty);
        if entry.mode_classes.is_empty() {
            return None;
        }
        let by_kw = call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("mode"))
            .map(|k| &k.value);
        let expr = by_kw.or_else(|| position.and_then(|p| call.args.get(p)));
        let mode = expr.and_then(|e| self.literal_string(frame, e));
        self.catalog.class_for_mode(ty, mode.as_deref()).map(Rc::from)
    }

    pub(super) fn with_class(&self, v: Value, class: Option<Rc<str>>) -> Value {
        match (v, class) {
            (Value::Obj(o), Some(class)) => Value::Obj(Rc::new(Obj {
                ty: o.ty,
                origin: o.origin,
                start: o.start.clone(),
                ctor: o.ctor.clone(),
                class: Some(class),
            })),
            (v, _) => v,
        }
    }

    pub(super) fn external_call(
        &self,
        frame: &Frame<'a>,
        q: &str,
        call: &'a ast::ExprCall<'a>,
        origin: Origin,
    ) -> Vals {
        let q = q.strip_prefix("builtins.").unwrap_or(q);
        if self.catalog.start_method.contexts.iter().any(|c| c == q) {
            let start = call
                .args
                .first()
                .and_then(|a| self.literal_string(frame, a))
                .map(Rc::from);
            if let Some(ty) = self.catalog.constructor(q) {
                return vec![self.make_obj(ty, origin, start, q.into())];
            }
        }
        if let Some(ty) = self.catalog.constructor(q) {
            let start = self.context_keyword(frame, call);
            let class = self.mode_class(frame, ty, call, self.catalog.ty(ty).mode_position);
            return vec![self.with_class(self.make_obj(ty, origin, start, q.into()), class)];
        }
        if let Some(w) = self.catalog.wrapper(q) {
            let args = self.args(frame, call);
            let mut vals: Vals = Vec::new();
            let consumes = |positional: bool| match w.returns.as_str() {
                "elements" => true,
                "mapping" => positional,
                _ => false,
            };
            let all = (args.pos.into_iter().map(|v| (true, v))).chain(args.kw.into_iter().map(|(_, v)| (false, v)));
            for (positional, v) in all {
                if consumes(positional) {
                    extend(&mut vals, self.elements(&v));
                } else {
                    extend(&mut vals, v);
                }
            }
            return vec![container(vec![vals], false)];
        }
        Vec::new()
    }

    /// `mp_context=get_context("fork")` on a constructor.
    pub fn context_keyword(&self, frame: &Frame<'a>, call: &'a ast::ExprCall<'a>) -> Option<Rc<str>> {
        for k in call.keywords {
            let Some(name) = &k.arg else { continue };
            if self
                .catalog
                .start_method
                .context_keywords
                .iter()
                .any(|c| c == name.as_str())
            {
                for v in self.eval(frame, &k.value) {
                    if let Value::Obj(o) = v {
                        if o.start.is_some() {
                            return o.start.clone();
                        }
                    }
                }
            }
        }
        None
    }

    /// A string literal, through names and `os.environ.get("X", "literal")`.
    pub fn literal_string(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>) -> Option<String> {
        if let Some(s) = parse::str_literal(expr) {
            return Some(s.to_string());
        }
        match expr.kind() {
            ast::ExprKind::Call(c) => {
                let callee = parse::dotted_name(&c.func)?;
                let resolved = self.eval(frame, &c.func);
                let is_getter = resolved.iter().any(|v| matches!(v, Value::External(q) if self.catalog.start_method.env_getters.iter().any(|g| g == &**q)))
                    || self.catalog.start_method.env_getters.contains(&callee);
                if is_getter {
                    return c.args.get(1).and_then(parse::str_literal).map(str::to_string);
                }
                None
            }
            ast::ExprKind::Name(n) => {
                let info = self.index.scope_info(frame.scope);
                let bindings = info.bindings.get(n.id.as_str())?;
                match bindings {
                    [Binding::Value { expr, unpack, .. }] if unpack.is_empty() => self.literal_string(frame, expr),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}
