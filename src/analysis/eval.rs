//! A small abstract interpreter over the index: what values can an expression have? Values are
//! sets (a union over every assignment), calls are followed into project functions with their
//! arguments bound, parameters without a known call fall back to every call site in the parsed
//! project. Recursion is cut by a depth limit and an in-progress set; results are cached.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::analysis::index::{AttrAssign, AttrKind, Binding, ClassId, FuncId, Index, Scope, Unpack};
use crate::analysis::project::ModId;
use crate::config::catalog::{Catalog, TypeId};
use crate::python::parse::{self, ast};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    pub module: ModId,
    pub offset: usize,
}

#[derive(Debug)]
pub struct Obj {
    pub ty: TypeId,
    pub origin: Origin,
    /// The start method of the context this object came from (`get_context("fork").Pool()`).
    pub start: Option<Rc<str>>,
    /// How it was made, for messages: `multiprocessing.JoinableQueue`.
    pub ctor: Rc<str>,
    /// The Python class when the catalog says it depends on the call (a file's open mode).
    pub class: Option<Rc<str>>,
}

#[derive(Debug, Default)]
pub struct Args {
    pub pos: Vec<Vals>,
    pub kw: Vec<(String, Vals)>,
}

#[derive(Debug)]
pub struct Inst {
    pub class: ClassId,
    pub origin: Origin,
    /// Constructor arguments when the instance comes from a known call.
    pub args: Option<Rc<Args>>,
    /// Attributes deleted or set to None before the sink.
    pub killed: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Value {
    Obj(Rc<Obj>),
    Instance(Rc<Inst>),
    Class(ClassId),
    Func(FuncId),
    Lambda(Origin),
    Bound(Rc<Value>, FuncId),
    BoundExt(Rc<Value>, Rc<str>),
    /// Tuples, lists, dicts (values), sets; `positional` when slots are tuple positions.
    Container {
        slots: Rc<Vec<Vals>>,
        positional: bool,
    },
    Generator(Origin, Rc<Vals>),
    Module(ModId),
    /// A module outside the project, bound by `import x` (`x.attr` is `External("x.attr")`).
    ExtModule(Rc<str>),
    External(Rc<str>),
}

pub type Vals = Vec<Value>;

/// Project base classes and qualified names of external ones.
type Bases = (Vec<ClassId>, Vec<String>);

const MAX_VALUES: usize = 48;
const MAX_DEPTH: u32 = 32;
const STEP_BUDGET: u64 = 20_000_000;

impl Value {
    pub fn key(&self) -> (u8, usize, usize) {
        match self {
            Value::Obj(o) => (0, o.ty, o.origin.offset ^ (o.origin.module << 40)),
            Value::Instance(i) => (
                1,
                i.class,
                i.origin.offset ^ (i.origin.module << 40) ^ i.args.as_ref().map_or(0, |a| Rc::as_ptr(a) as usize),
            ),
            Value::Class(c) => (2, *c, 0),
            Value::Func(f) => (3, *f, 0),
            Value::Lambda(o) => (4, o.module, o.offset),
            Value::Bound(r, f) => (5, *f, r.key().1 ^ r.key().2),
            Value::BoundExt(r, m) => (6, Rc::as_ptr(m) as *const u8 as usize, r.key().1 ^ r.key().2),
            Value::Container { slots, .. } => (7, Rc::as_ptr(slots) as usize, 0),
            Value::Generator(o, _) => (8, o.module, o.offset),
            Value::Module(m) => (9, *m, 0),
            Value::External(q) => (10, Rc::as_ptr(q) as *const u8 as usize, q.len()),
            Value::ExtModule(q) => (11, Rc::as_ptr(q) as *const u8 as usize, q.len()),
        }
    }
}

fn add(out: &mut Vals, v: Value) {
    if out.len() >= MAX_VALUES {
        return;
    }
    match &v {
        Value::External(q) if out.iter().any(|o| matches!(o, Value::External(p) if p == q)) => return,
        Value::ExtModule(q) if out.iter().any(|o| matches!(o, Value::ExtModule(p) if p == q)) => return,
        _ => {}
    }
    let k = v.key();
    if !out.iter().any(|o| o.key() == k) {
        out.push(v);
    }
}

fn extend(out: &mut Vals, vs: Vals) {
    for v in vs {
        add(out, v);
    }
}

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
    fn identity(&self) -> usize {
        let args = self.args.as_ref().map_or(0, |a| Rc::as_ptr(a) as usize);
        let this = self.self_val.as_ref().map_or(0, |v| v.key().1 ^ v.key().2);
        let comps = self
            .comps
            .iter()
            .fold(0usize, |acc, c| acc.rotate_left(7) ^ (Rc::as_ptr(c) as usize));
        args ^ this.rotate_left(17) ^ comps.rotate_left(33)
    }

    fn is_plain(&self) -> bool {
        self.args.is_none() && self.self_val.is_none() && self.comps.is_empty()
    }
}

/// What a cached or in-progress evaluation is of. Names are the syntax tree's own strings: a
/// key costs no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key<'a> {
    Name(Scope, &'a str),
    /// A name looked up in a frame with call context: (scope, name, frame identity).
    FrameName(Scope, &'a str, usize),
    Param(FuncId, usize),
    Attr(ClassId, &'a str, usize),
    Call(FuncId, usize),
    /// What a function returns with no call context (k-limited calls).
    Returns(FuncId),
    Module(ModId, &'a str),
    /// A name looked up in the modules a module star-imports.
    Star(ModId, &'a str),
    Bases(ClassId),
    /// What a decorated `def` binds its name to.
    Decorated(FuncId),
}

pub struct Eval<'a, 'c> {
    pub index: &'c Index<'a>,
    pub catalog: &'c Catalog,
    depth: Cell<u32>,
    active: RefCell<HashSet<Key<'a>>>,
    cache: RefCell<HashMap<Key<'a>, Vals>>,
    bases: RefCell<HashMap<ClassId, Bases>>,
    worker_only: RefCell<HashSet<FuncId>>,
    /// Nested functions a decorator returned in place of the function it decorated.
    wrappers: RefCell<HashSet<FuncId>>,
    steps: Cell<u64>,
    /// Evaluation stops refining values past this many steps (see `bounded`).
    limit: Cell<u64>,
    mros: RefCell<HashMap<ClassId, Rc<[ClassId]>>>,
    /// Cache entries made inside `bounded`, to take back when it runs out of steps.
    cached_since: RefCell<Option<Vec<Key<'a>>>>,
}

impl<'a, 'c> Eval<'a, 'c> {
    pub fn new(index: &'c Index<'a>, catalog: &'c Catalog) -> Self {
        Eval {
            index,
            catalog,
            depth: Cell::new(0),
            active: RefCell::new(HashSet::default()),
            cache: RefCell::new(HashMap::default()),
            bases: RefCell::new(HashMap::default()),
            worker_only: RefCell::new(HashSet::default()),
            wrappers: RefCell::new(HashSet::default()),
            steps: Cell::new(0),
            limit: Cell::new(STEP_BUDGET),
            mros: RefCell::new(HashMap::default()),
            cached_since: RefCell::new(None),
        }
    }

    /// Run `f` unless `key` is already being computed (a cycle); cache plain results.
    fn guarded(&self, key: Key<'a>, cacheable: bool, f: impl FnOnce() -> Vals) -> Vals {
        if cacheable {
            if let Some(v) = self.cache.borrow().get(&key) {
                return v.clone();
            }
        }
        if self.depth.get() >= MAX_DEPTH || !self.active.borrow_mut().insert(key.clone()) {
            return Vec::new();
        }
        self.depth.set(self.depth.get() + 1);
        let out = f();
        self.depth.set(self.depth.get() - 1);
        self.active.borrow_mut().remove(&key);
        if cacheable {
            if let Some(log) = self.cached_since.borrow_mut().as_mut() {
                log.push(key.clone());
            }
            self.cache.borrow_mut().insert(key, out.clone());
        }
        out
    }

    /// Run `f` with at most `steps` evaluation steps. When it runs out, what it cached is taken
    /// back (values cut short must not stand in for complete ones later) and the result is None.
    /// One pathological expression in a large library then costs a bounded amount of time and
    /// leaves the rest of the analysis as it would have been without it.
    /// Has the current budget (see `bounded`) run out?
    pub fn exhausted(&self) -> bool {
        self.steps.get() > self.limit.get()
    }

    pub fn bounded<T>(&self, steps: u64, f: impl FnOnce() -> T) -> Option<T> {
        let outer_limit = self.limit.get();
        let outer_log = self.cached_since.borrow_mut().replace(Vec::new());
        self.limit.set(outer_limit.min(self.steps.get().saturating_add(steps)));
        let out = f();
        let ran_out = self.steps.get() > self.limit.get();
        let log = std::mem::replace(&mut *self.cached_since.borrow_mut(), outer_log).unwrap_or_default();
        self.limit.set(outer_limit);
        if ran_out {
            let mut cache = self.cache.borrow_mut();
            for key in &log {
                cache.remove(key);
            }
            return None;
        }
        if let Some(outer) = self.cached_since.borrow_mut().as_mut() {
            outer.extend(log);
        }
        Some(out)
    }

    // ---- names ---------------------------------------------------------------------------

    pub fn name(&self, frame: &Frame<'a>, name: &'a str) -> Vals {
        for comp in frame.comps.iter().rev() {
            if let Some(v) = comp.get(name) {
                return v.clone();
            }
        }
        self.scope_name(frame, name)
    }

    fn scope_name(&self, frame: &Frame<'a>, name: &'a str) -> Vals {
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

    fn bindings_value(&self, frame: &Frame<'a>, bindings: &[Binding<'a>]) -> Vals {
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

    fn binding_value(&self, frame: &Frame<'a>, b: &Binding<'a>) -> Vals {
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

    fn import_from(&self, module: &str, name: &'a str) -> Vals {
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

    // ---- parameters ----------------------------------------------------------------------

    fn param(&self, frame: &Frame<'a>, f: FuncId, i: usize) -> Vals {
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
    fn bind_param(&self, f: FuncId, i: usize, args: &Args) -> Option<Vals> {
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

    fn default(&self, f: FuncId, i: usize) -> Vals {
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
    fn callers(&self, f: FuncId) -> Vec<(Rc<Args>, Option<Value>)> {
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

    fn bind_comprehension(&self, frame: &mut Frame<'a>, gens: &'a [ast::Comprehension<'a>]) {
        for g in gens {
            let vals = self.elements(&self.eval(frame, &g.iter));
            let mut map = HashMap::default();
            self.bind_target(&g.target, vals, &mut map);
            frame.comps.push(Rc::new(map));
        }
    }

    fn bind_target(&self, target: &'a ast::Expr<'a>, vals: Vals, map: &mut HashMap<&'a str, Vals>) {
        match target.kind() {
            ast::ExprKind::Name(n) => {
                extend(map.entry(n.id.as_str()).or_default(), vals);
            }
            ast::ExprKind::Tuple(t) => self.bind_targets(t.elts, &vals, map),
            ast::ExprKind::List(t) => self.bind_targets(t.elts, &vals, map),
            _ => {}
        }
    }

    fn bind_targets(&self, elts: &'a [ast::Expr<'a>], vals: &Vals, map: &mut HashMap<&'a str, Vals>) {
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

    // ---- classes -------------------------------------------------------------------------

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

    fn init_of(&self, class: ClassId) -> Option<FuncId> {
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
    fn runs_elsewhere(&self, method: FuncId) -> bool {
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
    fn def_value(&self, f: FuncId) -> Vals {
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
    fn returns(&self, f: FuncId) -> Vals {
        let info = &self.index.funcs[f];
        if info.is_generator {
            return Vec::new();
        }
        self.guarded(Key::Returns(f), true, || {
            self.return_values(&Frame::plain(Scope::Func(f)), f)
        })
    }

    /// The values of a function's `return` expressions in `frame` (the function's own scope).
    fn return_values(&self, frame: &Frame<'a>, f: FuncId) -> Vals {
        let mut out = Vec::new();
        for r in &self.index.funcs[f].returns {
            extend(&mut out, self.eval(frame, r));
        }
        out
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
    fn dataclass_field(&self, inst: &Rc<Inst>, name: &str) -> Vals {
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
    fn call_value(&self, callee: Value, origin: Origin) -> Vals {
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

    fn class_attr(&self, class: ClassId, name: &str) -> Vals {
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

    // ---- containers ----------------------------------------------------------------------

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

    fn index_into(&self, vals: &Vals, at: Option<usize>) -> Vals {
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

    // ---- expressions ---------------------------------------------------------------------

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
        let mut inner = frame.clone();
        self.bind_comprehension(&mut inner, gens);
        self.eval(&inner, elt)
    }

    /// `super()` inside a method: the methods of the base classes (as bound methods).
    fn super_call(&self, frame: &Frame<'a>, expr: &'a ast::Expr<'a>) -> Option<Vec<(ClassId, Value)>> {
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
    fn property_value(&self, inst: Rc<Inst>, f: FuncId) -> Vals {
        let key = Key::Call(f, Rc::as_ptr(&inst) as usize);
        let frame = Frame {
            scope: Scope::Func(f),
            args: None,
            self_val: Some(Value::Instance(inst)),
            comps: Vec::new(),
        };
        self.guarded(key, false, || self.return_values(&frame, f))
    }

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

    fn apply(&self, frame: &Frame<'a>, callee: Value, call: &'a ast::ExprCall<'a>, origin: Origin) -> Vals {
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

    fn call_function(
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

    fn method_call(
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

    fn make_obj(&self, ty: TypeId, origin: Origin, start: Option<Rc<str>>, ctor: Rc<str>) -> Value {
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
        let mode = expr.and_then(|e| self.literal_string(frame, e));
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

    fn external_call(&self, frame: &Frame<'a>, q: &str, call: &'a ast::ExprCall<'a>, origin: Origin) -> Vals {
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

/// Does any class in the hierarchy assign this attribute on instances?
fn inst_assigns(ev: &Eval, class: ClassId, name: &str) -> bool {
    ev.mro(class)
        .iter()
        .any(|c| ev.index.classes[*c].attrs.iter().any(|a| a.name == name))
}

pub fn container(slots: Vec<Vals>, positional: bool) -> Value {
    Value::Container {
        slots: Rc::new(slots),
        positional,
    }
}

/// Does `name` appear as a name or attribute anywhere in `body`?
fn mentions_name(body: &[ast::Stmt], name: &str) -> bool {
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

fn is_property(decorators: &[ast::Expr]) -> bool {
    decorators.iter().any(|d| {
        matches!(
            crate::analysis::index::last_name(d),
            Some("property" | "cached_property")
        )
    })
}

fn is_classmethod(decorators: &[ast::Expr]) -> bool {
    decorators
        .iter()
        .any(|d| matches!(d.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "classmethod"))
}

fn is_static(decorators: &[ast::Expr]) -> bool {
    decorators
        .iter()
        .any(|d| matches!(d.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "staticmethod"))
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
    ];
    if BUILTINS.contains(&name) {
        vec![Value::External(name.into())]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project of one module, `m.py`, read from a temporary folder.
    fn project(text: &str) -> (tempfile::TempDir, crate::analysis::project::Project) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.py");
        std::fs::write(&path, text).unwrap();
        let candidates = vec![crate::analysis::discover::Candidate {
            path,
            explicit: true,
            root: dir.path().to_path_buf(),
        }];
        // Rule codes are known above the analysis; this test does not look at them.
        let catalog = Catalog::load(&[], &|_| true).unwrap();
        let project = crate::analysis::project::load(&candidates, &catalog, &mut Vec::new(), None, &Default::default());
        (dir, project)
    }

    #[test]
    fn a_bounded_evaluation_that_runs_out_leaves_nothing_cached() {
        let (_dir, project) = project("import threading\n\ndef make():\n    return threading.Lock()\n\nx = make()\n");
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let index = Index::build(&project, &pool);
        let catalog = Catalog::load(&[], &|_| true).unwrap();
        let ev = Eval::new(&index, &catalog);
        let module = Frame::plain(Scope::Module(0));
        // Two steps are not enough to follow `x` into `make()`: the result is None...
        assert!(ev.bounded(2, || ev.name(&module, "x")).is_none());
        // ...and what was cached on the way does not stand in for the full value.
        let full = ev.name(&module, "x");
        assert!(matches!(full.as_slice(), [Value::Obj(_)]), "{full:?}");
        // With enough steps the same evaluation completes.
        let ev2 = Eval::new(&index, &catalog);
        let bounded = ev2.bounded(10_000, || ev2.name(&module, "x")).expect("enough steps");
        assert!(matches!(bounded.as_slice(), [Value::Obj(_)]), "{bounded:?}");
    }
}
