//! Names: comprehension variables, the assignments of the scope that reach the point (see
//! `flow`), enclosing functions and modules as they are once they have run, star imports and
//! builtins.

use super::flow::END;
use super::value::container;
use super::{Eval, Frame, Key, Vals, Value};
use crate::analysis::index::{Binding, Scope, Unpack};
use crate::analysis::project::ModId;
use crate::python::parse::ast;

impl<'a, 'c> Eval<'a, 'c> {
    /// The values `name` holds where it is read (offset `at` of the frame's scope).
    pub fn name(&self, frame: &Frame<'a>, name: &'a str, at: usize) -> Vals {
        for comp in frame.comps.iter().rev() {
            if let Some(v) = comp.get(name) {
                return v.clone();
            }
        }
        self.scope_name(frame, name, at)
    }

    fn scope_name(&self, frame: &Frame<'a>, name: &'a str, at: usize) -> Vals {
        let scope = frame.scope;
        let info = self.index.scope_info(scope);
        if let Scope::Func(f) = scope {
            if info.globals.contains(&name) {
                return self.global_name(self.index.funcs[f].module, name);
            }
        }
        let Some(bindings) = info.bindings.get(name) else {
            return match scope {
                // A free variable: the enclosing function as it is when this one runs (its end).
                Scope::Func(f) => match self.index.funcs[f].parent {
                    Scope::Module(m) => self.global_name(m, name),
                    parent => self.scope_name(&Frame::plain(parent), name, END),
                },
                Scope::Module(m) => self.star_name(m, name).unwrap_or_else(|| builtin(name)),
            };
        };
        let at = at.min(END);
        // While a method runs for an object's state, reads of `self.x` change as it runs: a
        // value is kept for one version of that state.
        let version = frame.state_version().wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let key = Key::Name(scope, name, at as u32, frame.id() ^ version);
        self.guarded(key, true, || self.reaching_value(frame, name, bindings, at))
    }

    fn reaching_value(&self, frame: &Frame<'a>, name: &'a str, bindings: &[Binding<'a>], at: usize) -> Vals {
        let reach = self.reach(frame, name, at);
        let mut out = Vals::new();
        let mut elements = Vals::new();
        let mut element_latent = true;
        for item in &reach.items {
            let Some(b) = bindings.get(item.binding as usize) else {
                continue;
            };
            match b {
                Binding::Element { expr, many, .. } => {
                    let v = self.eval(frame, expr);
                    let v = if *many { self.elements(&v) } else { v };
                    elements.extend_with(v, item.latent);
                    element_latent &= item.latent;
                }
                other => {
                    // A value nothing is known about is opaque data, so that a test on the
                    // name is not decided by its other assignments alone.
                    let v = super::calls::opaque_if_empty(self.binding_value(frame, other));
                    let v = self.narrow(frame, v, &item.narrow);
                    out.extend_with(v, item.latent);
                }
            }
        }
        if !elements.is_empty() {
            out.push(container(vec![elements], false), element_latent);
        }
        out
    }

    fn binding_value(&self, frame: &Frame<'a>, b: &Binding<'a>) -> Vals {
        match b {
            Binding::Def { id, .. } => self.def_value(*id),
            Binding::Class { id, .. } => Vals::one(Value::Class(*id)),
            Binding::Import { module, .. } => Vals::one(self.module_value(module)),
            Binding::ImportFrom { module: from, name, .. } => self.import_from(from, name.as_str()),
            Binding::Value { expr, unpack, .. } => self.unpacked(frame, expr, unpack, false),
            Binding::Iter { expr, unpack, .. } => self.unpacked(frame, expr, unpack, true),
            Binding::Enter { expr, unpack, .. } => {
                let managers = self.eval(frame, expr);
                let entered = managers.flat_map(|m| self.entered(m));
                self.unpack_steps(entered, unpack)
            }
            Binding::Element { .. } => Vals::new(),
            Binding::Param(i) => match frame.scope {
                Scope::Func(f) => self.param(frame, f, *i as usize),
                Scope::Module(_) => Vals::new(),
            },
        }
    }

    /// What `with manager as x` binds: `__enter__`'s result for a project class, the yielded
    /// value of a `@contextmanager` generator, the object itself for files, locks and pools.
    fn entered(&self, manager: &Value) -> Vals {
        match manager {
            Value::Instance(inst) => match self.method(inst.class, "__enter__") {
                Some(f) => self.call_method_plain(f, manager.clone()),
                None => Vals::one(manager.clone()),
            },
            Value::Generator(_, items) => items.as_ref().clone(),
            other => Vals::one(other.clone()),
        }
    }

    fn unpacked(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>, unpack: &[Unpack], iter: bool) -> Vals {
        // Syntactic shortcut: `a, b = x, y` binds each name to its own element.
        if !iter {
            if let (Some(Unpack::Index(i)), ast::ExprKind::Tuple(t)) = (unpack.first(), expr.kind()) {
                if t.elts.iter().all(|e| !matches!(e.kind(), ast::ExprKind::Starred(_))) {
                    if let Some(e) = t.elts.get(*i as usize) {
                        return self.unpacked(frame, e, &unpack[1..], false);
                    }
                }
            }
        }
        let mut vals = self.eval(frame, expr);
        if iter {
            vals = self.elements(&vals);
        }
        self.unpack_steps(vals, unpack)
    }

    fn unpack_steps(&self, mut vals: Vals, unpack: &[Unpack]) -> Vals {
        for step in unpack {
            vals = match step {
                Unpack::Index(i) => self.index_into(&vals, Some(*i as usize)),
                Unpack::Star => Vals::one(container(vec![self.elements(&vals)], false)),
            };
        }
        vals
    }

    pub fn module_value(&self, name: &str) -> Value {
        match self.index.project.module_by_name(name) {
            Some(m) => Value::Module(m),
            None => Value::ExtModule(name.into()),
        }
    }

    fn import_from(&self, module: &str, name: &'a str) -> Vals {
        let full = format!("{module}.{name}");
        if let Some(m) = self.index.project.module_by_name(&full) {
            return Vals::one(Value::Module(m));
        }
        match self.index.project.module_by_name(module) {
            Some(m) => self.module_name(m, name),
            None => Vals::one(Value::External(full.into())),
        }
    }

    /// A global name read from a function of module `m`: the module's, else a builtin.
    fn global_name(&self, m: ModId, name: &'a str) -> Vals {
        if self.index.modules[m].scope.bindings.contains_key(name) {
            return self.module_name(m, name);
        }
        self.star_name(m, name).unwrap_or_else(|| builtin(name))
    }

    /// A module-level name of a project module (or its submodule), as the module leaves it.
    pub fn module_name(&self, module: ModId, name: &'a str) -> Vals {
        if self.index.modules[module].scope.bindings.contains_key(name) {
            return self.guarded(Key::Module(module, name), true, || {
                self.scope_name(&Frame::plain(Scope::Module(module)), name, END)
            });
        }
        if let Some(vals) = self.star_name(module, name) {
            return vals;
        }
        let full = format!("{}.{name}", self.index.project.modules[module].name());
        match self.index.project.module_by_name(&full) {
            Some(m) => Vals::one(Value::Module(m)),
            None => Vals::new(),
        }
    }

    /// A public name `module` does not bind itself, from the modules it star-imports (modules
    /// indexed after it, or names they get from their own star imports). None: not found there.
    fn star_name(&self, module: ModId, name: &'a str) -> Option<Vals> {
        let targets = &self.index.modules[module].star_imports;
        if targets.is_empty() || name.starts_with('_') {
            return None;
        }
        let vals = self.guarded(Key::Star(module, name), true, || {
            targets
                .iter()
                .map(|&t| self.module_name(t, name))
                .find(|v| !v.is_empty())
                .unwrap_or_default()
        });
        (!vals.is_empty()).then_some(vals)
    }
}

/// Builtins are external names (`open`, `list`); anything else unresolved has no value.
fn builtin(name: &str) -> Vals {
    const BUILTINS: &[&str] = &[
        "open",
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "reversed",
        "iter",
        "next",
        "enumerate",
        "zip",
        "filter",
        "map",
        "dict",
        "super",
        "print",
        "len",
        "getattr",
        "setattr",
        "str",
        "int",
        "bool",
        "bytes",
        "float",
        "object",
        "type",
        "isinstance",
        "vars",
    ];
    if BUILTINS.contains(&name) {
        Vals::one(Value::External(name.into()))
    } else {
        Vals::new()
    }
}
