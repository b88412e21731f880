//! Classes and attributes: bases and method resolution order, methods, what a decorated `def`
//! binds, what an attribute of an instance holds (assigned in any method of the class or its
//! bases, a dataclass field, a class attribute).

use rustc_hash::FxHashSet as HashSet;
use std::rc::Rc;

use super::value::{add, container, extend};
use super::{Eval, Frame, Inst, Key, Origin, Vals, Value};
use crate::analysis::index::{AttrAssign, AttrKind, ClassId, FuncId, Scope, Unpack};
use crate::config::catalog::TypeId;
use crate::python::parse::{self, ast};

/// Project base classes and qualified names of external ones.
pub(super) type Bases = (Vec<ClassId>, Vec<String>);

impl<'a, 'c> Eval<'a, 'c> {
    /// Project base classes and the qualified names of external ones.
    pub fn bases(&self, class: ClassId) -> Bases {
        if let Some(b) = self.bases.borrow().get(&class) {
            return b.clone();
        }
        let info = &self.index.classes[class];
        let frame = Frame::plain(info.parent);
        let mut project = Vec::new();
        let mut external = Vec::new();
        if self.active.borrow_mut().insert(Key::Bases(class)) {
            for b in info.def.bases {
                for v in self.eval(&frame, b) {
                    match v {
                        Value::Class(c) if c != class => project.push(c),
                        Value::External(q) => external.push(q.to_string()),
                        _ => {}
                    }
                }
            }
            self.active.borrow_mut().remove(&Key::Bases(class));
        }
        let result = (project, external);
        // Bases cut short by a step budget (see `bounded`) must not stand for good.
        if !self.exhausted() {
            self.bases.borrow_mut().insert(class, result.clone());
        }
        result
    }

    /// The class and its bases, in lookup order; cached once the bases are known for good
    /// (not while a base is itself being resolved, nor after a step budget ran out).
    pub fn mro(&self, class: ClassId) -> Rc<[ClassId]> {
        if let Some(m) = self.mros.borrow().get(&class) {
            return m.clone();
        }
        let m: Rc<[ClassId]> = self.index.mro(class, &|c| self.bases(c).0).into();
        if !self.exhausted() && self.active.borrow().iter().all(|k| !matches!(k, Key::Bases(_))) {
            self.mros.borrow_mut().insert(class, m.clone());
        }
        m
    }

    pub fn method(&self, class: ClassId, name: &str) -> Option<FuncId> {
        self.mro(class)
            .iter()
            .find_map(|&c| self.index.classes[c].methods.get(name).copied())
    }

    pub(super) fn init_of(&self, class: ClassId) -> Option<FuncId> {
        self.method(class, "__init__")
    }

    /// External bases anywhere in the class's ancestry, as catalog types.
    pub fn external_types(&self, class: ClassId) -> Vec<TypeId> {
        self.mro(class)
            .iter()
            .flat_map(|&c| self.bases(c).1)
            .filter_map(|q| self.catalog.base_class(&q))
            .collect()
    }

    /// Methods whose attribute assignments do not happen in the parent before pickling:
    /// `__setstate__` (runs in the receiver) and methods only ever called inside functions that
    /// are sent to workers.
    pub(super) fn runs_elsewhere(&self, method: FuncId) -> bool {
        let name = self.index.funcs[method].def.name;
        if matches!(
            name,
            "__setstate__" | "__getstate__" | "__reduce__" | "__reduce_ex__" | "__del__"
        ) {
            return true;
        }
        self.worker_only.borrow().contains(&method)
    }

    /// What `def f` binds `f` to: the function, or what its decorators return. A project
    /// decorator whose wrapper is a nested function without `functools.wraps` leaves that
    /// wrapper under the name: pickled by reference as `deco.<locals>.wrapper`, it cannot be
    /// found. Other decorators (external ones, registration, `wraps`) keep the function.
    pub(super) fn def_value(&self, f: FuncId) -> Vals {
        let info = &self.index.funcs[f];
        if info.def.decorators.is_empty() {
            return vec![Value::Func(f)];
        }
        self.guarded(Key::Decorated(f), true, || {
            let frame = Frame::plain(info.parent);
            let mut current = vec![Value::Func(f)];
            for decorator in info.def.decorators.iter().rev() {
                let wrappers: Vals = self
                    .eval(&frame, decorator)
                    .into_iter()
                    .filter_map(|d| match d {
                        Value::Func(d) => Some(self.returns(d)),
                        _ => None,
                    })
                    .flatten()
                    .filter(|v| matches!(v, Value::Func(g) if self.is_unwrapped_wrapper(*g)))
                    .collect();
                if wrappers.is_empty() {
                    continue;
                }
                for w in &wrappers {
                    if let Value::Func(g) = w {
                        self.wrappers.borrow_mut().insert(*g);
                    }
                }
                current = wrappers;
            }
            current
        })
    }

    /// What a function returns when called with arguments it does not look at.
    pub(super) fn returns(&self, f: FuncId) -> Vals {
        let info = &self.index.funcs[f];
        if info.is_generator {
            return Vec::new();
        }
        self.guarded(Key::Returns(f), true, || {
            self.return_values(&Frame::plain(Scope::Func(f)), f)
        })
    }

    /// The values of a function's `return` expressions in `frame` (the function's own scope).
    pub(super) fn return_values(&self, frame: &Frame<'a>, f: FuncId) -> Vals {
        let mut out = Vec::new();
        for r in &self.index.funcs[f].returns {
            extend(&mut out, self.eval(frame, r));
        }
        out
    }

    /// A nested function that does not copy the wrapped function's name (`functools.wraps`,
    /// `functools.update_wrapper`).
    pub(super) fn is_unwrapped_wrapper(&self, g: FuncId) -> bool {
        let info = &self.index.funcs[g];
        let wraps = |e: &ast::Expr| {
            let callee = match e.kind() {
                ast::ExprKind::Call(c) => &c.func,
                _ => e,
            };
            crate::analysis::index::last_name(callee) == Some("wraps")
        };
        let updates_wrapper = match info.parent {
            Scope::Func(p) => mentions_name(self.index.funcs[p].def.body, "update_wrapper"),
            Scope::Module(_) => false,
        };
        info.nested && !info.def.decorators.iter().any(wraps) && !updates_wrapper
    }

    /// Is `g` a wrapper some decorator put in place of a function (see `def_value`)?
    pub fn is_wrapper(&self, g: FuncId) -> bool {
        self.wrappers.borrow().contains(&g)
    }

    /// Record functions that run only in worker processes (set once the sinks are known).
    pub fn set_worker_only(&self, methods: HashSet<FuncId>) {
        *self.worker_only.borrow_mut() = methods;
        self.cache.borrow_mut().clear();
    }

    pub fn generic_instance(&self, class: ClassId) -> Value {
        let info = &self.index.classes[class];
        Value::Instance(Rc::new(Inst {
            class,
            origin: Origin {
                module: info.module,
                offset: parse::range_of(info.def).0,
            },
            args: None,
            killed: Vec::new(),
        }))
    }

    /// Every attribute assigned on instances of this class or its bases, in first-seen order.
    pub fn attr_names(&self, class: ClassId) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = Vec::new();
        for &c in self.mro(class).iter().rev() {
            for (f, _) in &self.index.classes[c].fields {
                if !names.contains(f) {
                    names.push(f);
                }
            }
            for a in &self.index.classes[c].attrs {
                if !names.contains(&a.name) {
                    names.push(a.name);
                }
            }
        }
        names
    }

    /// A `@dataclass` field: the constructor argument for it, else its default (a
    /// `field(default_factory=F)` default is what calling `F` gives).
    pub(super) fn dataclass_field(&self, inst: &Rc<Inst>, name: &str) -> Vals {
        let mut out = Vec::new();
        // The generated `__init__` takes the fields of the bases first, in order.
        let mut fields: Vec<(ClassId, &'a str, Option<&'a ast::Expr<'a>>)> = Vec::new();
        for &c in self.mro(inst.class).iter().rev() {
            for &(f, d) in &self.index.classes[c].fields {
                if !fields.iter().any(|(_, g, _)| *g == f) {
                    fields.push((c, f, d));
                }
            }
        }
        if self.method(inst.class, "__init__").is_some() {
            return out;
        }
        let Some(pos) = fields.iter().position(|(_, f, _)| *f == name) else {
            return out;
        };
        let (owner, _, default) = fields[pos];
        let given = inst.args.as_ref().and_then(|a| {
            a.kw.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| a.pos.get(pos).cloned())
        });
        if let Some(v) = given {
            return v;
        }
        let Some(default) = default else { return out };
        let frame = Frame::plain(self.index.classes[owner].parent);
        if let ast::ExprKind::Call(call) = default.kind() {
            let is_field = parse::dotted_name(&call.func).is_some_and(|n| n == "field" || n.ends_with(".field"));
            if is_field {
                if let Some(k) = call
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some("default_factory"))
                {
                    let origin = Origin {
                        module: self.index.classes[owner].module,
                        offset: parse::range_of(&k.value).0,
                    };
                    for factory in self.eval(&frame, &k.value) {
                        extend(&mut out, self.call_value(factory, origin));
                    }
                }
                if let Some(k) = call.keywords.iter().find(|k| k.arg.as_deref() == Some("default")) {
                    extend(&mut out, self.eval(&frame, &k.value));
                }
                return out;
            }
        }
        self.eval(&frame, default)
    }

    /// What calling a value with no arguments gives (a `default_factory`).
    pub(super) fn call_value(&self, callee: Value, origin: Origin) -> Vals {
        match callee {
            Value::External(q) => match self.catalog.constructor(q.strip_prefix("builtins.").unwrap_or(&q)) {
                Some(ty) => vec![self.make_obj(ty, origin, None, q.clone())],
                None => Vec::new(),
            },
            Value::Class(c) => vec![Value::Instance(Rc::new(Inst {
                class: c,
                origin,
                args: None,
                killed: Vec::new(),
            }))],
            _ => Vec::new(),
        }
    }

    /// The values an instance attribute can have.
    pub fn inst_attr(&self, inst: &Rc<Inst>, name: &'a str) -> Vals {
        if inst.killed.iter().any(|k| k == name) {
            return Vec::new();
        }
        let args_key = inst.args.as_ref().map_or(0, |a| Rc::as_ptr(a) as usize);
        let key = Key::Attr(inst.class, name, args_key);
        let cacheable = inst.args.is_none() && inst.killed.is_empty();
        self.guarded(key, cacheable, || {
            let init = self.init_of(inst.class);
            let self_val = Value::Instance(inst.clone());
            let mut out = self.dataclass_field(inst, name);
            for &c in self.mro(inst.class).iter() {
                let attrs = &self.index.classes[c].attrs;
                // Straight-line code: a later unconditional `self.x = ...` in the same method
                // replaces what earlier statements stored (`self.fh.close(); self.fh = None`).
                let replaced = |a: &AttrAssign| {
                    attrs.iter().any(|b| {
                        b.name == a.name
                            && b.method == a.method
                            && b.unconditional
                            && b.kind == AttrKind::Direct
                            && b.offset > a.offset
                    })
                };
                for a in attrs
                    .iter()
                    .filter(|a| a.name == name && !self.runs_elsewhere(a.method) && !replaced(a))
                {
                    let frame = Frame {
                        scope: Scope::Func(a.method),
                        args: if Some(a.method) == init {
                            inst.args.clone()
                        } else {
                            None
                        },
                        self_val: Some(self_val.clone()),
                        comps: Vec::new(),
                    };
                    let mut v = self.eval(&frame, a.expr);
                    for step in &a.unpack {
                        v = match step {
                            Unpack::Index(i) => self.index_into(&v, Some(*i as usize)),
                            Unpack::Star => self.elements(&v),
                        };
                    }
                    match a.kind {
                        AttrKind::Direct => extend(&mut out, v),
                        AttrKind::Element => add(&mut out, container(vec![v], false)),
                        AttrKind::Elements => add(&mut out, container(vec![self.elements(&v)], false)),
                    }
                }
            }
            out
        })
    }

    pub(super) fn class_attr(&self, class: ClassId, name: &str) -> Vals {
        for &c in self.mro(class).iter() {
            let info = &self.index.classes[c];
            if let Some(exprs) = info.class_attrs.get(name) {
                let frame = Frame::plain(info.parent);
                let mut out = Vec::new();
                for e in exprs {
                    extend(&mut out, self.eval(&frame, e));
                }
                return out;
            }
        }
        Vec::new()
    }
}

/// Does any class in the hierarchy assign this attribute on instances?
pub(super) fn inst_assigns(ev: &Eval, class: ClassId, name: &str) -> bool {
    ev.mro(class)
        .iter()
        .any(|c| ev.index.classes[*c].attrs.iter().any(|a| a.name == name))
}

/// Does `name` appear as a name or attribute anywhere in `body`?
pub(super) fn mentions_name(body: &[ast::Stmt], name: &str) -> bool {
    struct Find<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> parse::Visitor<'a> for Find<'_> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            match expr.kind() {
                ast::ExprKind::Name(n) if n.id.as_str() == self.name => self.found = true,
                ast::ExprKind::Attribute(a) if a.attr.as_str() == self.name => self.found = true,
                _ => parse::walk_expr(self, expr),
            }
        }
    }
    let mut find = Find { name, found: false };
    parse::walk_body(&mut find, body);
    find.found
}

pub(super) fn is_property(decorators: &[ast::Expr]) -> bool {
    decorators.iter().any(|d| {
        matches!(
            crate::analysis::index::last_name(d),
            Some("property" | "cached_property")
        )
    })
}
