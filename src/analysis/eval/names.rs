//! Names and frames: what a name is bound to in a scope (its bindings, imports, star imports,
//! builtins), and parameters, from the arguments of a known call or else from every call site
//! of the function (`callers`). A `Frame` is where an expression is evaluated.

use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;

use super::value::{add, container, extend};
use super::{Args, Eval, Key, Vals, Value};
use crate::analysis::index::{Binding, FuncId, Scope, Unpack};
use crate::analysis::project::ModId;
use crate::python::parse::ast;

/// Where an expression is evaluated: the scope, and the call context when it is known.
#[derive(Clone)]
pub struct Frame<'a> {
    pub scope: Scope,
    pub args: Option<Rc<Args>>,
    pub self_val: Option<Value>,
    pub comps: Vec<Rc<HashMap<&'a str, Vals>>>,
}

impl<'a> Frame<'a> {
    pub fn plain(scope: Scope) -> Frame<'a> {
        Frame {
            scope,
            args: None,
            self_val: None,
            comps: Vec::new(),
        }
    }

    /// Tells frames of one scope apart for the recursion guard.
    pub(super) fn identity(&self) -> usize {
        let args = self.args.as_ref().map_or(0, |a| Rc::as_ptr(a) as usize);
        let this = self.self_val.as_ref().map_or(0, |v| v.key().1 ^ v.key().2);
        let comps = self
            .comps
            .iter()
            .fold(0usize, |acc, c| acc.rotate_left(7) ^ (Rc::as_ptr(c) as usize));
        args ^ this.rotate_left(17) ^ comps.rotate_left(33)
    }

    pub(super) fn is_plain(&self) -> bool {
        self.args.is_none() && self.self_val.is_none() && self.comps.is_empty()
    }
}

impl<'a, 'c> Eval<'a, 'c> {
    pub fn name(&self, frame: &Frame<'a>, name: &'a str) -> Vals {
        for comp in frame.comps.iter().rev() {
            if let Some(v) = comp.get(name) {
                return v.clone();
            }
        }
        self.scope_name(frame, name)
    }

    pub(super) fn scope_name(&self, frame: &Frame<'a>, name: &'a str) -> Vals {
        let scope = frame.scope;
        let info = self.index.scope_info(scope);
        if let Scope::Func(f) = scope {
            if info.globals.contains(&name) {
                return self.module_name(self.index.funcs[f].module, name);
            }
        }
        let Some(bindings) = info.bindings.get(name) else {
            return match scope {
                Scope::Func(f) => self.scope_name(&Frame::plain(self.index.funcs[f].parent), name),
                Scope::Module(m) => self.star_name(m, name).unwrap_or_else(|| builtin(name)),
            };
        };
        let compute = || self.bindings_value(frame, bindings);
        if frame.is_plain() {
            self.guarded(Key::Name(scope, name), true, compute)
        } else {
            self.guarded(Key::FrameName(scope, name, frame.identity()), false, compute)
        }
    }

    pub(super) fn bindings_value(&self, frame: &Frame<'a>, bindings: &[Binding<'a>]) -> Vals {
        let mut out = Vec::new();
        let mut elements = Vec::new();
        for b in bindings {
            match b {
                Binding::Element { expr, many, .. } => {
                    let v = self.eval(frame, expr);
                    extend(&mut elements, if *many { self.elements(&v) } else { v });
                }
                other => extend(&mut out, self.binding_value(frame, other)),
            }
        }
        if !elements.is_empty() {
            add(&mut out, container(vec![elements], false));
        }
        out
    }

    pub(super) fn binding_value(&self, frame: &Frame<'a>, b: &Binding<'a>) -> Vals {
        let module = self.index.module_of(frame.scope);
        match b {
            Binding::Def(f) => self.def_value(*f),
            Binding::Class(c) => vec![Value::Class(*c)],
            Binding::Import(m) => vec![self.module_value(m)],
            Binding::ImportFrom { module: from, name } => self.import_from(from, name.as_str()),
            Binding::Value { expr, unpack, .. } => self.unpacked(frame, expr, unpack, false),
            Binding::Iter { expr, unpack, .. } => self.unpacked(frame, expr, unpack, true),
            Binding::Element { .. } => Vec::new(),
            Binding::Param(i) => match frame.scope {
                Scope::Func(f) => self.param(frame, f, *i as usize),
                Scope::Module(_) => {
                    let _ = module;
                    Vec::new()
                }
            },
        }
    }

    pub(super) fn unpacked(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>, unpack: &[Unpack], iter: bool) -> Vals {
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
        for step in unpack {
            vals = match step {
                Unpack::Index(i) => self.index_into(&vals, Some(*i as usize)),
                Unpack::Star => vec![container(vec![self.elements(&vals)], false)],
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

    pub(super) fn import_from(&self, module: &str, name: &'a str) -> Vals {
        let full = format!("{module}.{name}");
        if let Some(m) = self.index.project.module_by_name(&full) {
            return vec![Value::Module(m)];
        }
        match self.index.project.module_by_name(module) {
            Some(m) => self.module_name(m, name),
            None => vec![Value::External(full.into())],
        }
    }

    /// A module-level name of a project module (or its submodule).
    pub fn module_name(&self, module: ModId, name: &'a str) -> Vals {
        if self.index.modules[module].scope.bindings.contains_key(name) {
            return self.guarded(Key::Module(module, name), true, || {
                self.scope_name(&Frame::plain(Scope::Module(module)), name)
            });
        }
        if let Some(vals) = self.star_name(module, name) {
            return vals;
        }
        let full = format!("{}.{name}", self.index.project.modules[module].name());
        match self.index.project.module_by_name(&full) {
            Some(m) => vec![Value::Module(m)],
            None => Vec::new(),
        }
    }

    /// A public name `module` does not bind itself, from the modules it star-imports (modules
    /// indexed after it, or names they get from their own star imports). None: not found there.
    pub(super) fn star_name(&self, module: ModId, name: &'a str) -> Option<Vals> {
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

    pub(super) fn param(&self, frame: &Frame<'a>, f: FuncId, i: usize) -> Vals {
        let info = &self.index.funcs[f];
        let is_method = info.class.is_some() && !is_static(info.def.decorators);
        if is_method && i == 0 && is_classmethod(info.def.decorators) {
            return info.class.map(Value::Class).into_iter().collect();
        }
        if is_method && i == 0 {
            return match &frame.self_val {
                Some(v) => vec![v.clone()],
                None => vec![self.generic_instance(info.class.unwrap_or_default())],
            };
        }
        if let Some(args) = &frame.args {
            if let Some(v) = self.bind_param(f, i, args) {
                return v;
            }
            return self.default(f, i);
        }
        self.guarded(Key::Param(f, i), true, || {
            let mut out = self.default(f, i);
            for (args, self_val) in self.callers(f) {
                let v = self.bind_param(f, i, &args).unwrap_or_default();
                let _ = self_val;
                extend(&mut out, v);
            }
            out
        })
    }

    /// The values an argument list gives parameter `i` of `f` (None: not given).
    pub(super) fn bind_param(&self, f: FuncId, i: usize, args: &Args) -> Option<Vals> {
        let info = &self.index.funcs[f];
        let params = info.def.params();
        let param = params.get(i)?;
        let name = param.arg.as_str();
        if let Some((_, v)) = args.kw.iter().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        let a = info.def.args;
        let positional = a.posonlyargs.len() + a.args.len();
        if i >= positional {
            return None;
        }
        let shift = usize::from(info.class.is_some() && !is_static(info.def.decorators));
        let at = i.checked_sub(shift)?;
        args.pos.get(at).cloned()
    }

    pub(super) fn default(&self, f: FuncId, i: usize) -> Vals {
        let info = &self.index.funcs[f];
        let a = info.def.args;
        let all: Vec<&ast::ArgWithDefault> = a.posonlyargs.iter().chain(a.args).chain(a.kwonlyargs).collect();
        let params = info.def.params();
        let Some(p) = params.get(i) else { return Vec::new() };
        let Some(d) = all.iter().find(|x| x.def.arg == p.arg).and_then(|x| x.default.as_ref()) else {
            return Vec::new();
        };
        self.eval(&Frame::plain(info.parent), d)
    }

    /// Argument lists of every call of `f` in the parsed project.
    pub(super) fn callers(&self, f: FuncId) -> Vec<(Rc<Args>, Option<Value>)> {
        let info = &self.index.funcs[f];
        let name = match info.class {
            Some(c) if info.def.name == "__init__" => self.index.classes[c].name,
            _ => info.def.name,
        };
        let mut out = Vec::new();
        let Some(sites) = self.index.calls_by_name.get(name) else {
            return out;
        };
        for &s in sites.iter().take(64) {
            let site = &self.index.calls[s];
            let frame = self.site_frame(s);
            let callees = self.eval(&frame, &site.call.func);
            let hit = callees.iter().any(|c| match c {
                Value::Func(g) | Value::Bound(_, g) => *g == f,
                Value::Class(cl) => self.init_of(*cl) == Some(f),
                _ => false,
            });
            if hit {
                out.push((Rc::new(self.args(&frame, site.call)), None));
            }
        }
        out
    }

    /// The frame a call site is evaluated in, with its comprehension variables bound.
    pub fn site_frame(&self, site: usize) -> Frame<'a> {
        let site = &self.index.calls[site];
        let mut frame = Frame::plain(site.scope);
        for gens in self.index.comps(site) {
            self.bind_comprehension(&mut frame, gens);
        }
        frame
    }

    pub(super) fn bind_comprehension(&self, frame: &mut Frame<'a>, gens: &'a [ast::Comprehension<'a>]) {
        for g in gens {
            let vals = self.elements(&self.eval(frame, &g.iter));
            let mut map = HashMap::default();
            self.bind_target(&g.target, vals, &mut map);
            frame.comps.push(Rc::new(map));
        }
    }

    pub(super) fn bind_target(&self, target: &'a ast::Expr<'a>, vals: Vals, map: &mut HashMap<&'a str, Vals>) {
        match target.kind() {
            ast::ExprKind::Name(n) => {
                extend(map.entry(n.id.as_str()).or_default(), vals);
            }
            ast::ExprKind::Tuple(t) => self.bind_targets(t.elts, &vals, map),
            ast::ExprKind::List(t) => self.bind_targets(t.elts, &vals, map),
            _ => {}
        }
    }

    pub(super) fn bind_targets(&self, elts: &'a [ast::Expr<'a>], vals: &Vals, map: &mut HashMap<&'a str, Vals>) {
        for (i, e) in elts.iter().enumerate() {
            match e.kind() {
                ast::ExprKind::Starred(s) => {
                    self.bind_target(&s.value, vec![container(vec![self.elements(vals)], false)], map)
                }
                _ => self.bind_target(e, self.index_into(vals, Some(i)), map),
            }
        }
    }

    pub fn args(&self, frame: &Frame<'a>, call: &'a ast::ExprCall<'a>) -> Args {
        let mut args = Args::default();
        for a in call.args {
            match a.kind() {
                ast::ExprKind::Starred(s) => {
                    let v = self.eval(frame, &s.value);
                    args.pos.push(self.elements(&v));
                }
                _ => args.pos.push(self.eval(frame, a)),
            }
        }
        for k in call.keywords {
            if let Some(name) = &k.arg {
                args.kw.push((name.to_string(), self.eval(frame, &k.value)));
            }
        }
        args
    }
}

pub(super) fn is_classmethod(decorators: &[ast::Expr]) -> bool {
    decorators
        .iter()
        .any(|d| matches!(d.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "classmethod"))
}

pub(super) fn is_static(decorators: &[ast::Expr]) -> bool {
    decorators
        .iter()
        .any(|d| matches!(d.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "staticmethod"))
}

/// Builtins are external names (`open`, `list`); anything else unresolved has no value.
pub(super) fn builtin(name: &str) -> Vals {
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
    ];
    if BUILTINS.contains(&name) {
        vec![Value::External(name.into())]
    } else {
        Vec::new()
    }
}
