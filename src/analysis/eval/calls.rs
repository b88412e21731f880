//! Calls and parameters: arguments are evaluated in the caller's frame and a project function's
//! result is computed in a frame made of them (cached per argument values), so what a function
//! returns depends on the call that uses it. A parameter read without a call (an *open* frame)
//! stands for every caller: its default and each caller's argument, latent when there are
//! callers to choose from.

use std::rc::Rc;

use super::value::{container, Args};
use super::{Const, Eval, Frame, Key, Origin, Vals, Value};
use crate::analysis::index::{FuncId, Scope};
use crate::python::parse::{self, ast};

/// A resolved call of a function somewhere in the project.
pub struct Caller {
    pub site: usize,
    pub args: Rc<Args>,
    /// The callee resolves to this function only on some paths.
    pub latent: bool,
}

/// Call sites looked at per function when its callers are needed.
const MAX_CALLERS: usize = 64;

impl<'a, 'c> Eval<'a, 'c> {
    pub(super) fn param(&self, frame: &Frame<'a>, f: FuncId, i: usize) -> Vals {
        let info = &self.index.funcs[f];
        let is_method = info.class.is_some() && !is_static(info.def.decorators);
        if is_method && i == 0 && is_classmethod(info.def.decorators) {
            return info.class.map(Value::Class).into_iter().collect();
        }
        if is_method && i == 0 {
            return match &frame.self_val {
                Some(v) => Vals::one(v.clone()),
                None => {
                    self.note_open_read(f);
                    Vals::one(self.generic_instance(info.class.unwrap_or_default()))
                }
            };
        }
        if let Some(args) = &frame.args {
            return self.bind_param(f, i, args).unwrap_or_else(|| self.default(f, i));
        }
        self.note_open_read(f);
        self.guarded(Key::Param(f, i as u32), true, || {
            self.without_recording(|| self.param_union(f, i))
        })
    }

    /// Every caller's argument for parameter `i`, and the default where a caller leaves it out.
    fn param_union(&self, f: FuncId, i: usize) -> Vals {
        let callers = self.callers(f);
        let mut out = Vals::new();
        let mut default_used = callers.is_empty();
        for c in callers.iter() {
            match self.bind_param(f, i, &c.args) {
                Some(v) => out.extend_with(v, true),
                None => default_used = true,
            }
        }
        if default_used {
            out.extend_with(self.default(f, i), !callers.is_empty());
        }
        out
    }

    /// The values an argument list gives parameter `i` of `f` (None: not given).
    pub(super) fn bind_param(&self, f: FuncId, i: usize, args: &Args) -> Option<Vals> {
        let info = &self.index.funcs[f];
        let params = info.def.params();
        let param = params.get(i)?;
        let name = param.arg.as_str();
        let a = info.def.args;
        let positional = a.posonlyargs.len() + a.args.len();
        let shift = usize::from(info.class.is_some() && !is_static(info.def.decorators));
        if a.vararg.is_some_and(|v| std::ptr::eq(v, *param)) {
            let from = positional.saturating_sub(shift);
            let rest: Vec<Vals> = args.pos.iter().skip(from).cloned().collect();
            return Some(Vals::one(container(rest, true)));
        }
        if a.kwarg.is_some_and(|v| std::ptr::eq(v, *param)) {
            let named: Vec<&str> = params.iter().map(|p| p.arg.as_str()).collect();
            let mut rest = Vals::new();
            for (k, v) in &args.kw {
                if !named.contains(&&**k) {
                    rest.extend(v.clone());
                }
            }
            return Some(Vals::one(container(vec![rest], false)));
        }
        if let Some((_, v)) = args.kw.iter().find(|(k, _)| &**k == name) {
            return Some(v.clone());
        }
        if i < positional {
            if let Some(v) = i.checked_sub(shift).and_then(|at| args.pos.get(at)) {
                return Some(v.clone());
            }
            if let Some(s) = &args.spread {
                return Some(s.clone().latent());
            }
        }
        if let Some(s) = &args.spread_kw {
            return Some(s.clone().latent());
        }
        None
    }

    pub(super) fn default(&self, f: FuncId, i: usize) -> Vals {
        let info = &self.index.funcs[f];
        let a = info.def.args;
        let params = info.def.params();
        let Some(p) = params.get(i) else { return Vals::new() };
        let all = a.posonlyargs.iter().chain(a.args).chain(a.kwonlyargs);
        let Some(d) = all.filter(|x| x.def.arg == p.arg).find_map(|x| x.default.as_ref()) else {
            return Vals::new();
        };
        opaque_if_empty(self.eval(&Frame::plain(info.parent), d))
    }

    /// The resolved calls of `f` in the parsed project (at most `MAX_CALLERS` sites looked at).
    pub(super) fn callers(&self, f: FuncId) -> Rc<[Caller]> {
        if let Some(c) = self.callers.borrow().get(&f) {
            return c.clone();
        }
        let out: Rc<[Caller]> = self.without_recording(|| self.find_callers(f)).into();
        if !self.exhausted() {
            self.callers.borrow_mut().insert(f, out.clone());
        }
        out
    }

    fn find_callers(&self, f: FuncId) -> Vec<Caller> {
        let info = &self.index.funcs[f];
        let name = match info.class {
            Some(c) if info.def.name == "__init__" => self.index.classes[c].name,
            _ => info.def.name,
        };
        let mut out = Vec::new();
        let Some(sites) = self.index.calls_by_name.get(name) else {
            return out;
        };
        for &s in sites.iter().take(MAX_CALLERS) {
            let site = &self.index.calls[s];
            let frame = self.site_frame(s);
            let callees = self.eval(&frame, &site.call.func);
            for (callee, latent) in callees.flagged() {
                let hit = match callee {
                    Value::Func(g) | Value::Bound(_, g) => *g == f,
                    Value::Class(cl) => self.init_of(*cl) == Some(f),
                    _ => false,
                };
                if !hit {
                    continue;
                }
                let args = Rc::new(self.args(&frame, site.call));
                out.push(Caller { site: s, args, latent });
                break;
            }
        }
        out
    }

    /// Run `f` without noting open reads (global facts such as callers are not part of the
    /// context an evaluation depends on).
    pub(super) fn without_recording<T>(&self, f: impl FnOnce() -> T) -> T {
        let mark = self.read_mark();
        let out = f();
        self.open_reads.borrow_mut().truncate(mark);
        out
    }

    /// The frame a call site is evaluated in, with its comprehension variables bound.
    pub fn site_frame(&self, site: usize) -> Frame<'a> {
        let s = &self.index.calls[site];
        self.comp_frame(Frame::plain(s.scope), site)
    }

    /// `frame` (of the site's scope) with the comprehension variables around the site bound.
    pub fn comp_frame(&self, mut frame: Frame<'a>, site: usize) -> Frame<'a> {
        let s = &self.index.calls[site];
        for gens in self.index.comps(s) {
            frame = self.bind_comprehension(&frame, gens);
        }
        frame
    }

    pub(super) fn bind_comprehension(&self, frame: &Frame<'a>, gens: &'a [ast::Comprehension<'a>]) -> Frame<'a> {
        let mut frame = frame.clone();
        for g in gens {
            let vals = self.elements(&self.eval(&frame, &g.iter));
            let mut map = rustc_hash::FxHashMap::default();
            self.bind_target(&g.target, vals, &mut map);
            frame = frame.with_comp(map);
        }
        frame
    }

    fn bind_target(&self, target: &'a ast::Expr<'a>, vals: Vals, map: &mut rustc_hash::FxHashMap<&'a str, Vals>) {
        match target.kind() {
            ast::ExprKind::Name(n) => map.entry(n.id.as_str()).or_default().extend(vals),
            ast::ExprKind::Tuple(t) => self.bind_targets(t.elts, &vals, map),
            ast::ExprKind::List(t) => self.bind_targets(t.elts, &vals, map),
            _ => {}
        }
    }

    fn bind_targets(&self, elts: &'a [ast::Expr<'a>], vals: &Vals, map: &mut rustc_hash::FxHashMap<&'a str, Vals>) {
        for (i, e) in elts.iter().enumerate() {
            match e.kind() {
                ast::ExprKind::Starred(s) => {
                    self.bind_target(&s.value, Vals::one(container(vec![self.elements(vals)], false)), map)
                }
                _ => self.bind_target(e, self.index_into(vals, Some(i)), map),
            }
        }
    }

    /// Evaluate a call's arguments. An argument with no known value is opaque data (so that
    /// a test on the parameter stays undecided).
    pub fn args(&self, frame: &Frame<'a>, call: &'a ast::ExprCall<'a>) -> Args {
        let mut args = Args::default();
        let mut spread = false;
        for a in call.args {
            match a.kind() {
                ast::ExprKind::Starred(s) => {
                    let v = self.eval(frame, &s.value);
                    let positional = v.iter().all(|x| matches!(x, Value::Container { positional: true, .. }));
                    if positional && v.len() == 1 && !spread {
                        if let Some(Value::Container { slots, .. }) = v.first() {
                            args.pos.extend(slots.iter().cloned());
                            continue;
                        }
                    }
                    spread = true;
                    let e = self.elements(&v);
                    args.spread.get_or_insert_with(Vals::new).extend(opaque_if_empty(e));
                }
                _ if spread => {
                    let v = opaque_if_empty(self.eval(frame, a));
                    args.spread.get_or_insert_with(Vals::new).extend(v);
                }
                _ => args.pos.push(opaque_if_empty(self.eval(frame, a))),
            }
        }
        for k in call.keywords {
            match &k.arg {
                Some(name) => args
                    .kw
                    .push((name.as_str().into(), opaque_if_empty(self.eval(frame, &k.value)))),
                None => {
                    let v = self.elements(&self.eval(frame, &k.value));
                    args.spread_kw.get_or_insert_with(Vals::new).extend(opaque_if_empty(v));
                }
            }
        }
        args.finish()
    }

    pub fn call(&self, frame: &Frame<'a>, call: &'a ast::ExprCall<'a>) -> Vals {
        let origin = Origin {
            module: self.index.module_of(frame.scope),
            offset: parse::range_of(call).0,
        };
        let callees = self.eval(frame, &call.func);
        callees.flat_map(|callee| self.apply(frame, callee.clone(), call, origin))
    }

    fn apply(&self, frame: &Frame<'a>, callee: Value, call: &'a ast::ExprCall<'a>, origin: Origin) -> Vals {
        match callee {
            Value::External(q) => self.external_call(frame, &q, call, origin),
            Value::Class(c) => {
                let args = Rc::new(self.args(frame, call));
                Vals::one(Value::Instance(Rc::new(super::Inst {
                    class: c,
                    origin,
                    args: Some(args),
                })))
            }
            Value::Func(f) => self.call_function(frame, f, None, call, origin),
            Value::Bound(recv, f) => self.call_function(frame, f, Some(recv.as_ref().clone()), call, origin),
            Value::BoundExt(recv, method) => self.method_call(frame, &recv, &method, call, origin),
            Value::Obj(o) => self.obj_call(&o, origin),
            _ => Vals::new(),
        }
    }

    fn call_function(
        &self,
        frame: &Frame<'a>,
        f: FuncId,
        self_val: Option<Value>,
        call: &'a ast::ExprCall<'a>,
        origin: Origin,
    ) -> Vals {
        let args = Rc::new(self.args(frame, call));
        self.call_with(f, args, self_val, origin)
    }

    /// What calling `f` with these arguments (and `self`) gives.
    pub(super) fn call_with(&self, f: FuncId, args: Rc<Args>, self_val: Option<Value>, origin: Origin) -> Vals {
        let info = &self.index.funcs[f];
        let inner = Frame::call(Scope::Func(f), Some(args), self_val);
        let key = Key::Call(f, inner.id());
        if info.is_generator {
            // The items may be shared; the generator itself is made here, at this call.
            let items = self.guarded(key, true, || {
                let mut items = Vals::new();
                for (e, from) in &info.yields {
                    let v = self.eval(&inner, e);
                    items.extend(if *from { self.elements(&v) } else { v });
                }
                items
            });
            return Vals::one(Value::Generator(origin, Rc::new(items)));
        }
        self.guarded(key, true, || self.return_values(&inner, f))
    }

    /// Call a method with no arguments but `self` (`__enter__`, a property getter).
    pub(super) fn call_method_plain(&self, f: FuncId, self_val: Value) -> Vals {
        let origin = Origin {
            module: self.index.funcs[f].module,
            offset: self.index.funcs[f].def.start(),
        };
        self.call_with(f, Rc::new(Args::default().finish()), Some(self_val), origin)
    }

    /// What a function returns in `frame`: its reachable `return` expressions (and `None` when
    /// it can end without one). With several ways out, a value only some of them give is latent.
    pub(super) fn return_values(&self, frame: &Frame<'a>, f: FuncId) -> Vals {
        let mut exits: Vec<Vals> = Vec::new();
        for r in &self.index.funcs[f].returns {
            let at = parse::range_of(r).0;
            if self.reachable(frame, at).is_some() {
                exits.push(opaque_if_empty(self.eval(frame, r)));
            }
        }
        if self.falls_off_end(frame) {
            exits.push(Vals::one(Value::none()));
        }
        let mut exits = exits.into_iter();
        let Some(first) = exits.next() else { return Vals::new() };
        exits.fold(first, |acc, v| Vals::join(&acc, &v))
    }
}

/// A value nothing is known about stands as opaque data, not as nothing.
pub(super) fn opaque_if_empty(v: Vals) -> Vals {
    if v.is_empty() {
        Vals::one(Value::Const(Const::Other))
    } else {
        v
    }
}

pub fn is_classmethod(decorators: &[ast::Expr]) -> bool {
    decorators
        .iter()
        .any(|d| matches!(d.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "classmethod"))
}

pub fn is_static(decorators: &[ast::Expr]) -> bool {
    decorators
        .iter()
        .any(|d| matches!(d.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "staticmethod"))
}

pub fn is_property(decorators: &[ast::Expr]) -> bool {
    decorators.iter().any(|d| {
        matches!(
            crate::analysis::index::last_name(d),
            Some("property" | "cached_property")
        )
    })
}
