//! Classes: their bases (project classes and qualified names of external ones), lookup order,
//! methods, class-level attributes, and what a decorated `def` binds its name to.

use std::rc::Rc;

use super::{Args, Eval, Frame, Inst, Key, Origin, Vals, Value};
use crate::analysis::index::{ClassId, FuncId, Scope};
use crate::config::catalog::TypeId;
use crate::python::parse::{self, ast};

/// Project base classes and qualified names of external ones.
pub type Bases = (Vec<ClassId>, Vec<String>);

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
                for v in self.eval(&frame, b).iter() {
                    match v {
                        Value::Class(c) if *c != class => project.push(*c),
                        Value::External(q) => external.push(q.to_string()),
                        // `class Worker(ctx.Process)`: a context's class is the class it makes.
                        Value::BoundExt(recv, name) => {
                            if let Value::Obj(o) = recv.as_ref() {
                                external.extend(self.catalog.method_sinks(o.ty, name).iter().filter_map(|&s| {
                                    let call = &self.catalog.sinks[s].call;
                                    call.find('(').map(|i| call[..i].to_string())
                                }));
                            }
                        }
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

    pub fn init_of(&self, class: ClassId) -> Option<FuncId> {
        self.method(class, "__init__")
    }

    /// Qualified names of the external bases anywhere in the class's ancestry.
    pub fn external_bases(&self, class: ClassId) -> Vec<String> {
        self.mro(class).iter().flat_map(|&c| self.bases(c).1).collect()
    }

    /// External bases anywhere in the class's ancestry, as catalog types.
    pub fn external_types(&self, class: ClassId) -> Vec<TypeId> {
        self.external_bases(class)
            .iter()
            .filter_map(|q| self.catalog.base_class(q))
            .collect()
    }

    /// Attributes an instance inherits from an external base the catalog describes
    /// (`cmd.Cmd` keeps `stdout`), as values made where the instance is.
    pub fn inherited_attrs(&self, inst: &Inst) -> Vec<(&'c str, Value)> {
        let mut out = Vec::new();
        for ty in self.external_types(inst.class) {
            for (name, attr_ty) in self.catalog.attributes_of(ty) {
                let ctor: Rc<str> = format!("{}.{name}", self.catalog.ty(ty).python).into();
                out.push((name.as_str(), self.make_obj(*attr_ty, inst.origin, None, ctor)));
            }
        }
        out
    }

    /// The class and every project class that derives from it.
    pub fn subclasses(&self, class: ClassId) -> Vec<ClassId> {
        (0..self.index.classes.len())
            .filter(|&c| c == class || self.mro(c).contains(&class))
            .collect()
    }

    /// "Any instance" of a class: the `self` of a method evaluated without a caller.
    pub fn generic_instance(&self, class: ClassId) -> Value {
        let info = &self.index.classes[class];
        Value::Instance(Rc::new(Inst {
            class,
            origin: Origin {
                module: info.module,
                offset: parse::range_of(info.def).0,
            },
            args: None,
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

    /// A class-level attribute (`x = ...` in the class body), from the first class that has it.
    pub(super) fn class_attr(&self, class: ClassId, name: &str) -> Vals {
        for &c in self.mro(class).iter() {
            let info = &self.index.classes[c];
            if let Some(exprs) = info.class_attrs.get(name) {
                let frame = Frame::plain(info.parent);
                let mut out = Vals::new();
                for e in exprs {
                    out.extend(self.eval(&frame, e));
                }
                return out;
            }
        }
        Vals::new()
    }

    /// A nested class (`Outer.Inner`) found through the lookup order.
    pub(super) fn nested_class(&self, class: ClassId, name: &str) -> Option<ClassId> {
        self.mro(class)
            .iter()
            .find_map(|c| self.index.classes[*c].nested.get(name).copied())
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

    /// What `def f` binds `f` to: the function, or what its decorators return. A project
    /// decorator whose wrapper is a nested function without `functools.wraps` leaves that
    /// wrapper under the name: pickled by reference as `deco.<locals>.wrapper`, it cannot be
    /// found. Other decorators (external ones, registration, `wraps`) keep the function.
    pub(super) fn def_value(&self, f: FuncId) -> Vals {
        let info = &self.index.funcs[f];
        if info.def.decorators.is_empty() {
            return Vals::one(Value::Func(f));
        }
        self.guarded(Key::Decorated(f), true, || {
            let frame = Frame::plain(info.parent);
            let mut current = Vals::one(Value::Func(f));
            for decorator in info.def.decorators.iter().rev() {
                let mut wrappers = Vals::new();
                // `@d` is `f = d(f)`: the decorator runs with the function as its argument, so a
                // test on that parameter (`if fn is not None:`) is decided.
                let origin = Origin {
                    module: info.module,
                    offset: parse::range_of(decorator).0,
                };
                let args = Rc::new(
                    Args {
                        pos: vec![current.clone()],
                        ..Args::default()
                    }
                    .finish(),
                );
                for d in self.eval(&frame, decorator).iter() {
                    if let Value::Func(d) = d {
                        for w in self.call_with(*d, args.clone(), None, origin).iter() {
                            if matches!(w, Value::Func(g) if self.is_unwrapped_wrapper(*g)) {
                                wrappers.add(w.clone());
                            }
                        }
                    }
                }
                if wrappers.is_empty() {
                    continue;
                }
                for w in wrappers.iter() {
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
    pub fn returns(&self, f: FuncId) -> Vals {
        let info = &self.index.funcs[f];
        if info.is_generator {
            return Vals::new();
        }
        self.guarded(Key::Call(f, 0), true, || {
            self.return_values(&Frame::plain(Scope::Func(f)), f)
        })
    }

    /// A nested function that does not copy the wrapped function's name (`functools.wraps`,
    /// `functools.update_wrapper`).
    fn is_unwrapped_wrapper(&self, g: FuncId) -> bool {
        let info = &self.index.funcs[g];
        let wraps = |e: &ast::Expr| {
            let callee = match e.kind() {
                ast::ExprKind::Call(c) => &c.func,
                _ => e,
            };
            crate::analysis::index::last_name(callee) == Some("wraps")
        };
        let updates_wrapper = match info.parent {
            Scope::Func(p) => crate::python::names::mentions(self.index.funcs[p].def.body, "update_wrapper"),
            Scope::Module(_) => false,
        };
        info.nested && !info.def.decorators.iter().any(wraps) && !updates_wrapper
    }

    /// Is `g` a wrapper some decorator put in place of a function (see `def_value`)?
    pub fn is_wrapper(&self, g: FuncId) -> bool {
        self.wrappers.borrow().contains(&g)
    }
}
