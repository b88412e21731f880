//! Running code forward over an object's attributes: a method of the object (its `self`), or
//! the statements of a function that has the object, in order. Assignments set attributes,
//! `append`-like calls grow them, `del` removes them, and calls of the object's own methods
//! run those methods on the same state.

use std::cell::RefCell;
use std::rc::Rc;

use super::cond::Tri;
use super::state::ObjState;
use super::value::container;
use super::walker::{Domain, Walker, END};
use super::{Eval, Frame, Inst, Vals, Value};
use crate::analysis::index::{ClassId, FuncId, Scope};
use crate::python::parse::{self, ast};

/// Methods that run on an object only through protocols elsewhere (unpickling, deletion):
/// what they assign is not part of the state the parent pickles.
const NOT_IN_PARENT: &[&str] = &[
    "__setstate__",
    "__getstate__",
    "__reduce__",
    "__reduce_ex__",
    "__del__",
    "__getnewargs__",
    "__getnewargs_ex__",
];

/// Which expressions denote the object whose state is being followed.
#[derive(Clone, Copy)]
pub(super) enum Target<'a> {
    /// Inside one of its methods: its `self` parameter.
    SelfName(&'a str),
    /// Anywhere else: an expression whose values include the object.
    Object,
}

pub(super) struct Attrs<'w, 'a, 'c> {
    pub(super) ev: &'w Eval<'a, 'c>,
    pub(super) inst: &'w Rc<Inst>,
    pub(super) frame: Frame<'a>,
    pub(super) cell: Rc<RefCell<ObjState<'a>>>,
    pub(super) target: Target<'a>,
    /// The class whose method is running (for `super()`).
    pub(super) method_class: Option<ClassId>,
    /// Method names of the object's class that change attributes (calls worth following).
    pub(super) effectful: Rc<[(&'a str, FuncId)]>,
}

impl<'a> Attrs<'_, 'a, '_> {
    /// Is `e` the object? Some(latent) when it is on some path.
    fn target_of(&self, e: &'a ast::Expr<'a>) -> Option<bool> {
        match self.target {
            Target::SelfName(n) => matches!(e.kind(), ast::ExprKind::Name(x) if x.id.as_str() == n).then_some(false),
            Target::Object => {
                let vals = self.ev.eval(&self.frame, e);
                let me = self.inst.id();
                let ambiguous = vals.len() > 1;
                let found = vals
                    .flagged()
                    .find(|(v, _)| matches!(v, Value::Instance(i) if i.id() == me))
                    .map(|(_, latent)| latent || ambiguous);
                found
            }
        }
    }

    fn state(&self) -> ObjState<'a> {
        self.cell.borrow().clone()
    }

    /// Put a new state in place; on a latent path it joins the old one.
    fn update(&self, new: ObjState<'a>, latent: bool) {
        let new = if latent {
            ObjState::join(&self.cell.borrow(), &new, false)
        } else {
            new
        };
        *self.cell.borrow_mut() = new;
    }

    fn run(&self, method: FuncId, args: super::Args, latent: bool) {
        let frame = Frame::call(
            Scope::Func(method),
            Some(Rc::new(args)),
            Some(Value::Instance(self.inst.clone())),
        );
        let new = self.ev.run_method(self.inst, method, &frame, self.state());
        self.update(new, latent);
    }

    fn is_effectful(&self, name: &str) -> Option<FuncId> {
        self.effectful.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// Method calls on the object inside an expression, in source order.
    fn calls_in(&self, e: &'a ast::Expr<'a>) {
        struct Calls<'x, 'w, 'a, 'c> {
            d: &'x Attrs<'w, 'a, 'c>,
        }
        impl<'a> parse::Visitor<'a> for Calls<'_, '_, 'a, '_> {
            fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
                match expr.kind() {
                    ast::ExprKind::Lambda(_) => {}
                    ast::ExprKind::Call(c) => {
                        parse::walk_expr(self, expr);
                        self.d.call(c);
                    }
                    _ => parse::walk_expr(self, expr),
                }
            }
        }
        parse::Visitor::visit_expr(&mut Calls { d: self }, e);
    }

    fn call(&self, c: &'a ast::ExprCall<'a>) {
        let ast::ExprKind::Attribute(a) = c.func.kind() else {
            if let ast::ExprKind::Name(n) = c.func.kind() {
                if n.id.as_str() == "setattr" {
                    self.setattr(c);
                }
            }
            return;
        };
        let m = a.attr.as_str();
        // `self.items.append(x)`: the attribute grows.
        if let ast::ExprKind::Attribute(inner) = a.value.kind() {
            if let Some(kind) = growth(m) {
                if let Some(latent) = self.target_of(&inner.value) {
                    let arg = if matches!(m, "insert" | "setdefault") {
                        c.args.get(1)
                    } else {
                        c.args.first()
                    };
                    if let Some(arg) = arg {
                        let v = self.ev.eval(&self.frame, arg);
                        let v = if kind { self.ev.elements(&v) } else { v };
                        let mut s = self.state();
                        s.add(inner.attr.as_str(), Vals::one(container(vec![v], false)));
                        self.update(s, latent);
                    }
                    return;
                }
            }
        }
        // `super().m(...)` inside a method.
        if let (Target::SelfName(_), Some(class)) = (self.target, self.method_class) {
            if let ast::ExprKind::Call(sc) = a.value.kind() {
                if matches!(sc.func.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "super") {
                    let base = self.ev.bases(class).0.iter().find_map(|&b| self.ev.method(b, m));
                    if let Some(f) = base {
                        self.run(f, self.ev.args(&self.frame, c), false);
                    }
                    return;
                }
            }
            // `Base.m(self, ...)`.
            if let Some(first) = c.args.first() {
                if self.target_of(first).is_some() {
                    for v in self.ev.eval(&self.frame, &a.value).iter() {
                        if let Value::Class(b) = v {
                            if let Some(f) = self.ev.method(*b, m) {
                                let mut args = self.ev.args(&self.frame, c);
                                if !args.pos.is_empty() {
                                    args.pos.remove(0);
                                }
                                self.run(f, args.finish(), false);
                                return;
                            }
                        }
                    }
                }
            }
        }
        let Some(f) = self.is_effectful(m) else { return };
        if let Some(latent) = self.target_of(&a.value) {
            self.run(f, self.ev.args(&self.frame, c), latent);
        }
    }

    /// `setattr(obj, "name", value)`. With a name we cannot read, any attribute may now hold
    /// the value: each one keeps what it held only on some path (latent).
    fn setattr(&self, c: &'a ast::ExprCall<'a>) {
        let [obj, name, value] = c.args else { return };
        let Some(latent) = self.target_of(obj) else { return };
        let v = self.ev.eval(&self.frame, value);
        let mut s = self.state();
        match parse::str_literal(name) {
            Some(attr) => {
                s.set(attr, v);
                self.update(s, latent);
            }
            None => {
                let names: Vec<&'a str> = s.names().collect();
                for n in names {
                    s.set(n, super::calls::opaque_if_empty(v.clone()));
                }
                self.update(s, true);
            }
        }
    }

    /// An assignment target: `obj.x = v`, `obj.x[k] = v`, tuples of them.
    fn assign(&self, target: &'a ast::Expr<'a>, vals: Vals, aug: bool) {
        match target.kind() {
            ast::ExprKind::Attribute(a) => {
                if let Some(latent) = self.target_of(&a.value) {
                    let mut s = self.state();
                    if aug {
                        s.add(
                            a.attr.as_str(),
                            Vals::one(container(vec![self.ev.elements(&vals)], false)),
                        );
                    } else {
                        s.set(a.attr.as_str(), super::calls::opaque_if_empty(vals));
                    }
                    self.update(s, latent);
                }
            }
            ast::ExprKind::Subscript(sub) => {
                if let ast::ExprKind::Attribute(a) = sub.value.kind() {
                    if let Some(latent) = self.target_of(&a.value) {
                        let mut s = self.state();
                        s.add(a.attr.as_str(), Vals::one(container(vec![vals], false)));
                        self.update(s, latent);
                    }
                }
            }
            ast::ExprKind::Tuple(t) => self.assign_each(t.elts, &vals),
            ast::ExprKind::List(t) => self.assign_each(t.elts, &vals),
            _ => {}
        }
    }

    fn assign_each(&self, elts: &'a [ast::Expr<'a>], vals: &Vals) {
        for (i, e) in elts.iter().enumerate() {
            match e.kind() {
                ast::ExprKind::Starred(s) => self.assign(
                    &s.value,
                    Vals::one(container(vec![self.ev.elements(vals)], false)),
                    false,
                ),
                _ => self.assign(e, self.ev.index_into(vals, Some(i)), false),
            }
        }
    }

    /// Does the statement touch an attribute or call a method on something (cheap filter)?
    fn touches(&self, stmt: &'a ast::Stmt<'a>) -> bool {
        match self.target {
            Target::SelfName(n) => stmt_mentions(stmt, n) || stmt_mentions(stmt, "super"),
            Target::Object => true,
        }
    }
}

/// `append`-like methods: Some(false) adds one element, Some(true) adds the elements of it.
fn growth(method: &str) -> Option<bool> {
    match method {
        "append" | "add" | "appendleft" | "insert" | "setdefault" => Some(false),
        "extend" | "update" | "extendleft" => Some(true),
        _ => None,
    }
}

impl<'a> Domain<'a> for Attrs<'_, 'a, '_> {
    type St = ObjState<'a>;

    fn join(&mut self, a: ObjState<'a>, b: ObjState<'a>, sticky: bool) -> ObjState<'a> {
        ObjState::join(&a, &b, sticky)
    }

    fn join_exceptional(&mut self, mut normal: ObjState<'a>, exceptional: ObjState<'a>) -> ObjState<'a> {
        for (n, v) in exceptional.attrs {
            let joined = match normal.get(n) {
                Some(nv) => Vals::join_exceptional(nv, &v),
                None => v.latent(),
            };
            normal.set(n, joined);
        }
        normal
    }

    fn handler_entry(&mut self, before: ObjState<'a>, after: Option<ObjState<'a>>) -> ObjState<'a> {
        match after {
            Some(a) => ObjState::join(&before, &a, true),
            None => before,
        }
    }

    fn latent_path(&mut self, st: ObjState<'a>) -> ObjState<'a> {
        st
    }

    fn simple(&mut self, stmt: &'a ast::Stmt<'a>, st: ObjState<'a>) -> ObjState<'a> {
        *self.cell.borrow_mut() = st;
        use ast::Stmt as S;
        match stmt {
            S::Assign(a) => {
                self.calls_in(&a.value);
                let v = self.ev.eval(&self.frame, &a.value);
                for t in a.targets {
                    self.assign(t, v.clone(), false);
                }
            }
            S::AnnAssign(a) => {
                if let Some(value) = &a.value {
                    self.calls_in(value);
                    let v = self.ev.eval(&self.frame, value);
                    self.assign(&a.target, v, false);
                }
            }
            S::AugAssign(a) => {
                self.calls_in(&a.value);
                let v = self.ev.eval(&self.frame, &a.value);
                self.assign(&a.target, v, true);
            }
            S::Expr(e) => self.calls_in(&e.value),
            S::Return(r) => {
                if let Some(v) = &r.value {
                    self.calls_in(v);
                }
            }
            S::Delete(d) => {
                for t in d.targets {
                    if let ast::ExprKind::Attribute(a) = t.kind() {
                        if let Some(latent) = self.target_of(&a.value) {
                            let mut s = self.state();
                            s.set(a.attr.as_str(), Vals::new());
                            self.update(s, latent);
                        }
                    }
                }
            }
            _ => {}
        }
        self.state()
    }

    fn header(&mut self, stmt: &'a ast::Stmt<'a>, st: ObjState<'a>) -> ObjState<'a> {
        *self.cell.borrow_mut() = st;
        match stmt {
            ast::Stmt::With(w) | ast::Stmt::AsyncWith(w) => {
                for item in w.items {
                    self.calls_in(&item.context_expr);
                }
            }
            ast::Stmt::For(f) | ast::Stmt::AsyncFor(f) => self.calls_in(&f.iter),
            _ => {}
        }
        self.state()
    }

    fn decide(&mut self, test: &'a ast::Expr<'a>, st: &ObjState<'a>) -> Tri {
        *self.cell.borrow_mut() = st.clone();
        self.ev.decide(&self.frame, test)
    }

    fn narrow(&mut self, _: &'a ast::Expr<'a>, _: bool, st: ObjState<'a>) -> ObjState<'a> {
        st
    }

    fn relevant(&self, stmt: &'a ast::Stmt<'a>) -> bool {
        match stmt {
            ast::Stmt::Pass(_)
            | ast::Stmt::Import(_)
            | ast::Stmt::ImportFrom(_)
            | ast::Stmt::Global(_)
            | ast::Stmt::Nonlocal(_)
            | ast::Stmt::FunctionDef(_)
            | ast::Stmt::AsyncFunctionDef(_)
            | ast::Stmt::ClassDef(_) => false,
            ast::Stmt::Return(_) | ast::Stmt::Raise(_) | ast::Stmt::Break(_) | ast::Stmt::Continue(_) => true,
            ast::Stmt::If(_) | ast::Stmt::Try(_) | ast::Stmt::TryStar(_) => true,
            _ => self.touches(stmt),
        }
    }
}

/// Does the body call `this.method(...)` (or `super().method(...)`) anywhere?
fn calls_on(body: &[ast::Stmt], this: &str, method: &str) -> bool {
    struct Find<'n> {
        this: &'n str,
        method: &'n str,
        found: bool,
    }
    impl<'a> parse::Visitor<'a> for Find<'_> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            if self.found {
                return;
            }
            if let ast::ExprKind::Call(c) = expr.kind() {
                if let ast::ExprKind::Attribute(a) = c.func.kind() {
                    let on_this = match a.value.kind() {
                        ast::ExprKind::Name(n) => n.id.as_str() == self.this,
                        ast::ExprKind::Call(s) => {
                            matches!(s.func.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "super")
                        }
                        _ => false,
                    };
                    if on_this && a.attr.as_str() == self.method {
                        self.found = true;
                        return;
                    }
                }
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut f = Find {
        this,
        method,
        found: false,
    };
    parse::walk_body(&mut f, body);
    f.found
}

/// Does the name appear anywhere in the statement?
fn stmt_mentions(stmt: &ast::Stmt, name: &str) -> bool {
    struct Find<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> parse::Visitor<'a> for Find<'_> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            if self.found {
                return;
            }
            match expr.kind() {
                ast::ExprKind::Name(n) if n.id.as_str() == self.name => self.found = true,
                _ => parse::walk_expr(self, expr),
            }
        }
    }
    let mut f = Find { name, found: false };
    parse::Visitor::visit_stmt(&mut f, stmt);
    f.found
}

impl<'a, 'c> Eval<'a, 'c> {
    /// Run a method on an object from a state: the state when it returns.
    pub(super) fn run_method(
        &self,
        inst: &Rc<Inst>,
        method: FuncId,
        frame: &Frame<'a>,
        from: ObjState<'a>,
    ) -> ObjState<'a> {
        let key = (method, frame.id(), from.hash());
        if let Some(s) = self.objects.runs.borrow().get(&key) {
            return (**s).clone();
        }
        let me = (1u8, inst.id() ^ (method as u64).rotate_left(20));
        if self.depth.get() >= super::MAX_DEPTH || !self.objects.active.borrow_mut().insert(me) {
            return from;
        }
        self.depth.set(self.depth.get() + 1);
        let info = &self.index.funcs[method];
        let out = match info.def.params().first() {
            Some(p) if !super::calls::is_static(info.def.decorators) => {
                let cell = Rc::new(RefCell::new(from.clone()));
                let d = Attrs {
                    ev: self,
                    inst,
                    frame: frame.with_state(cell.clone()),
                    cell,
                    target: Target::SelfName(p.arg.as_str()),
                    method_class: info.class,
                    effectful: self.effectful(inst.class),
                };
                let mut w = Walker::new(d, END);
                let flow = w.block(info.def.body, from.clone());
                match (flow.next, flow.returns) {
                    (Some(a), Some(b)) => ObjState::join(&a, &b, true),
                    (a, b) => a.or(b).unwrap_or(from),
                }
            }
            _ => from,
        };
        self.depth.set(self.depth.get() - 1);
        self.objects.active.borrow_mut().remove(&me);
        if !self.exhausted() {
            self.objects.runs.borrow_mut().insert(key, Rc::new(out.clone()));
        }
        out
    }

    /// The methods of a class (and its bases) whose calls can change attributes: those that
    /// assign `self.x` and those that call such a method on `self`.
    pub(super) fn effectful(&self, class: ClassId) -> Rc<[(&'a str, FuncId)]> {
        if let Some(e) = self.objects.effectful.borrow().get(&class) {
            return e.clone();
        }
        let mro = self.mro(class);
        let mut methods: Vec<(&'a str, FuncId)> = Vec::new();
        for &c in mro.iter() {
            for (&name, &f) in &self.index.classes[c].methods {
                if !methods.iter().any(|(n, _)| *n == name) && !NOT_IN_PARENT.contains(&name) {
                    methods.push((name, f));
                }
            }
        }
        let assigns = |f: FuncId| {
            mro.iter()
                .any(|&k| self.index.classes[k].attrs.iter().any(|a| a.method == f))
        };
        // `setattr(self, name, v)` with a computed name changes attributes too.
        let sets_any = |f: FuncId| {
            let def = &self.index.funcs[f].def;
            def.params()
                .first()
                .is_some_and(|p| setattr_computed(def.body, p.arg.as_str()))
        };
        let mut out: Vec<(&'a str, FuncId)> = methods
            .iter()
            .copied()
            .filter(|&(_, f)| assigns(f) || sets_any(f))
            .collect();
        for _ in 0..4 {
            let before = out.len();
            for &(name, f) in &methods {
                if out.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                let def = &self.index.funcs[f].def;
                let Some(this) = def.params().first().map(|p| p.arg.as_str()) else {
                    continue;
                };
                if out.iter().any(|(n, _)| calls_on(def.body, this, n)) {
                    out.push((name, f));
                }
            }
            if out.len() == before {
                break;
            }
        }
        out.sort_unstable();
        let out: Rc<[(&'a str, FuncId)]> = out.into();
        self.objects.effectful.borrow_mut().insert(class, out.clone());
        out
    }
}

/// Does `body` call `setattr(this, NAME, ...)` with a name that is not a literal?
fn setattr_computed(body: &[ast::Stmt], this: &str) -> bool {
    struct Find<'n> {
        this: &'n str,
        found: bool,
    }
    impl<'a> parse::Visitor<'a> for Find<'_> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            if let ast::ExprKind::Call(c) = expr.kind() {
                if let (ast::ExprKind::Name(f), [obj, name, _]) = (c.func.kind(), c.args) {
                    if f.id.as_str() == "setattr"
                        && matches!(obj.kind(), ast::ExprKind::Name(n) if n.id.as_str() == self.this)
                        && parse::str_literal(name).is_none()
                    {
                        self.found = true;
                    }
                }
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut f = Find { this, found: false };
    parse::walk_body(&mut f, body);
    f.found
}
