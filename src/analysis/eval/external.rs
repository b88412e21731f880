//! Calls of things outside the project, as the catalog describes them: constructors of hostile
//! types (with the open mode and start-method context that shape them), methods that return
//! another type, wrappers that hold their arguments, and a few builtins.

use std::rc::Rc;

use super::value::container;
use super::{Const, Eval, Frame, Obj, Origin, Vals, Value};
use crate::config::catalog::TypeId;
use crate::python::parse::{self, ast};

impl<'a, 'c> Eval<'a, 'c> {
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
                return Vals::one(self.make_obj(ty, origin, start, q.into()));
            }
        }
        if let Some(ty) = self.catalog.constructor(q) {
            let start = self.context_keyword(frame, call);
            let class = self.mode_class(frame, ty, call, self.catalog.ty(ty).mode_position);
            return Vals::one(self.with_class(self.make_obj(ty, origin, start, q.into()), class));
        }
        if let Some(w) = self.catalog.wrapper(q) {
            let args = self.args(frame, call);
            let mut vals = Vals::new();
            let consumes = |positional: bool| match w.returns.as_str() {
                "elements" => true,
                "mapping" => positional,
                _ => false,
            };
            let all = (args.pos.into_iter().map(|v| (true, v))).chain(args.kw.into_iter().map(|(_, v)| (false, v)));
            for (positional, v) in all {
                if consumes(positional) {
                    vals.extend(self.elements(&v));
                } else {
                    vals.extend(v);
                }
            }
            return Vals::one(container(vec![vals], false));
        }
        match q {
            "getattr" => self.getattr_call(frame, call),
            "str" | "repr" | "int" | "float" | "bool" | "bytes" | "len" | "format" | "hash" | "id" => {
                Vals::one(Value::Const(Const::Other))
            }
            _ => Vals::new(),
        }
    }

    /// `getattr(obj, "name")` is `obj.name`; with a name we cannot read, any method of `obj`.
    fn getattr_call(&self, frame: &Frame<'a>, call: &'a ast::ExprCall<'a>) -> Vals {
        let [obj, name, ..] = call.args else {
            return Vals::new();
        };
        let objs = self.eval(frame, obj);
        if let Some(n) = parse::str_literal(name) {
            return objs.flat_map(|v| self.attr(v.clone(), n));
        }
        // Whatever the name, it is (usually) a method of the object: a bound method of it.
        objs.flat_map(|v| match v {
            Value::Instance(_) => Vals::one(Value::BoundExt(Rc::new(v.clone()), "?".into())),
            _ => Vals::new(),
        })
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
                    return Vals::new();
                };
                let ctor: Rc<str> = format!("{}.{method}", o.ctor).into();
                let made = self.make_obj(ty, origin, o.start.clone(), ctor);
                // A method that opens a file takes the mode as its first argument (`Path.open`).
                let class = self.mode_class(frame, ty, call, Some(0));
                Vals::one(self.with_class(made, class))
            }
            Value::Container { .. } => match method {
                // Keys are rarely what matters (and are not kept): no values.
                "keys" => Vals::one(container(Vec::new(), false)),
                "values" | "copy" | "items" | "get" | "pop" | "popitem" | "__iter__" => {
                    let e = self.elements(&Vals::one(recv.clone()));
                    if method == "get" || method == "pop" || method == "popitem" {
                        e
                    } else {
                        Vals::one(container(vec![e], false))
                    }
                }
                _ => Vals::new(),
            },
            Value::Const(_) => Vals::one(Value::Const(Const::Other)),
            _ => Vals::new(),
        }
    }

    /// Calling a catalog object (a class made at run time, such as a local namedtuple).
    pub(super) fn obj_call(&self, o: &Rc<Obj>, origin: Origin) -> Vals {
        match self.catalog.call_result(o.ty) {
            Some(ty) => Vals::one(self.make_obj(ty, o.origin, o.start.clone(), o.ctor.clone())),
            None => {
                let _ = origin;
                Vals::new()
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
            return container(vec![Vals::one(one()), Vals::one(one())], true);
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
    fn mode_class(
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
        let mode = match expr {
            Some(e) => Some(self.literal_string(frame, e)?),
            None => None,
        };
        self.catalog.class_for_mode(ty, mode.as_deref()).map(Rc::from)
    }

    fn with_class(&self, v: Value, class: Option<Rc<str>>) -> Value {
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
                for v in self.eval(frame, &k.value).iter() {
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

    /// A string the expression certainly holds: a literal, a name or parameter bound to one
    /// (on every path), or `os.environ.get("X", "literal")`.
    pub fn literal_string(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>) -> Option<String> {
        if let Some(s) = parse::str_literal(expr) {
            return Some(s.to_string());
        }
        if let ast::ExprKind::Call(c) = expr.kind() {
            let callee = parse::dotted_name(&c.func)?;
            let resolved = self.eval(frame, &c.func);
            let getters = &self.catalog.start_method.env_getters;
            let is_getter = resolved
                .iter()
                .any(|v| matches!(v, Value::External(q) if getters.iter().any(|g| g == &**q)))
                || getters.contains(&callee);
            if is_getter {
                return c.args.get(1).and_then(parse::str_literal).map(str::to_string);
            }
            return None;
        }
        let vals = self.eval(frame, expr);
        let mut found: Option<Rc<str>> = None;
        for (v, latent) in vals.flagged() {
            match v {
                Value::Const(Const::Str(s)) if !latent => {
                    if found.as_ref().is_some_and(|f| f != s) {
                        return None;
                    }
                    found = Some(s.clone());
                }
                _ => return None,
            }
        }
        found.map(|s| s.to_string())
    }
}
