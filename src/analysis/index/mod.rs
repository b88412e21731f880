//! The project index: for every parsed module its bindings, functions, classes (with instance
//! attributes assigned in any method), call sites and run-time writes to module globals.
//! Everything borrows from the parsed trees; lookups across modules happen in `eval`.

use rustc_hash::FxHashMap as HashMap;

use crate::analysis::project::{ModId, Project};
use crate::python::parse::{self, ast, FuncDef};

pub type FuncId = usize;
pub type ClassId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Module(ModId),
    Func(FuncId),
}

/// One step of tuple unpacking on the way from a value to an assignment target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpack {
    Index(u32),
    Star,
}

/// The unpacking steps of one binding: almost always none, and then nothing is allocated.
pub type Unpacks = Box<[Unpack]>;

/// What one statement binds a name to. Kept small (32 bytes): a project has about one per
/// line of code that assigns.
#[derive(Debug, Clone)]
pub enum Binding<'a> {
    Def(FuncId),
    Class(ClassId),
    /// `import a.b as c` binds `c` to `a.b`; `import a.b` binds `a` to `a`.
    Import(&'a str),
    /// `from module import name` (a relative module already resolved).
    ImportFrom {
        module: Box<str>,
        name: ast::Identifier<'a>,
    },
    /// `x = expr` (after unpacking).
    Value {
        expr: &'a ast::Expr<'a>,
        unpack: Unpacks,
        offset: u32,
    },
    /// `for x in expr`: an element of expr.
    Iter {
        expr: &'a ast::Expr<'a>,
        unpack: Unpacks,
        offset: u32,
    },
    /// `x.append(expr)`, `x[k] = expr` (many = false); `x.extend(expr)`, `x += expr` (many = true).
    Element {
        expr: &'a ast::Expr<'a>,
        many: bool,
        offset: u32,
    },
    Param(u32),
}

/// The names bound in one scope, each with its bindings in source order. Pushed while a module
/// is indexed, then sorted once (`finish`): a scope binds a handful of names, and a sorted list
/// is a fraction of a hash map's size. The order is by length, then text: most comparisons of
/// a lookup end at the length.
#[derive(Debug, Default)]
pub struct Bindings<'a> {
    names: Vec<&'a str>,
    values: Vec<Binding<'a>>,
}

impl<'a> Bindings<'a> {
    pub fn push(&mut self, name: &'a str, binding: Binding<'a>) {
        self.names.push(name);
        self.values.push(binding);
    }

    /// Sort by name, keeping each name's bindings in source order.
    fn finish(&mut self) {
        if !self.names.is_sorted_by(|a, b| order(a, b).is_le()) {
            let names = std::mem::take(&mut self.names);
            let mut pairs: Vec<_> = names.into_iter().zip(std::mem::take(&mut self.values)).collect();
            // A stable sort: each name's bindings stay in source order.
            pairs.sort_by(|a, b| order(a.0, b.0));
            (self.names, self.values) = pairs.into_iter().unzip();
        }
        self.names.shrink_to_fit();
        self.values.shrink_to_fit();
    }

    /// Every binding of `name`, in source order.
    pub fn get(&self, name: &str) -> Option<&[Binding<'a>]> {
        let start = self.names.partition_point(|n| order(n, name).is_lt());
        let end = start + self.names[start..].partition_point(|n| *n == name);
        (end > start).then(|| &self.values[start..end])
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The bound names, each once.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        let mut last = None;
        self.names.iter().copied().filter(move |n| last.replace(*n) != Some(*n))
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut Binding<'a>> {
        self.values.iter_mut()
    }
}

fn order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[derive(Debug, Default)]
pub struct ScopeInfo<'a> {
    pub bindings: Bindings<'a>,
    /// Names declared `global` (rare: a list).
    pub globals: Vec<&'a str>,
}

pub struct FunctionInfo<'a> {
    pub module: ModId,
    pub def: FuncDef<'a>,
    pub parent: Scope,
    pub class: Option<ClassId>,
    pub nested: bool,
    pub main_guard: bool,
    pub is_generator: bool,
    pub scope: ScopeInfo<'a>,
    pub returns: Vec<&'a ast::Expr<'a>>,
    pub yields: Vec<(&'a ast::Expr<'a>, bool)>,
    pub qualname: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    Direct,
    Element,
    Elements,
}

#[derive(Debug, Clone)]
pub struct AttrAssign<'a> {
    pub name: &'a str,
    pub method: FuncId,
    pub expr: &'a ast::Expr<'a>,
    pub kind: AttrKind,
    pub unpack: Vec<Unpack>,
    pub offset: usize,
    /// Made by a statement the method always runs (not inside `if`, a loop, `try` or `match`):
    /// a later one of these in the same method replaces what earlier ones stored.
    pub unconditional: bool,
}

pub struct ClassInfo<'a> {
    pub module: ModId,
    pub def: &'a ast::StmtClassDef<'a>,
    pub parent: Scope,
    pub local: bool,
    /// Defined inside `if __name__ == "__main__":` (absent when a spawn child imports the module).
    pub main_guard: bool,
    pub name: &'a str,
    pub qualname: String,
    pub methods: HashMap<&'a str, FuncId>,
    pub class_attrs: HashMap<&'a str, Vec<&'a ast::Expr<'a>>>,
    pub attrs: Vec<AttrAssign<'a>>,
    pub slots: Option<Vec<String>>,
    /// Classes defined in this class's body (`Outer.Inner`).
    pub nested: HashMap<&'a str, ClassId>,
    /// Fields of a `@dataclass` (annotated class-level names, in order, with their default):
    /// instance attributes set by the generated `__init__`.
    pub fields: Vec<(&'a str, Option<&'a ast::Expr<'a>>)>,
}

/// A call expression and where it is (32 bytes: a project has one per call in its code).
pub struct CallSite<'a> {
    pub call: &'a ast::ExprCall<'a>,
    pub scope: Scope,
    module: u32,
    /// The comprehensions the call sits in: an entry of `Index::comps`, or NO_COMPS.
    comps: u32,
}

const NO_COMPS: u32 = u32::MAX;

impl CallSite<'_> {
    pub fn module(&self) -> ModId {
        self.module as ModId
    }
}

/// `name = ...` in a function that declared `global name`, or at module level under the main
/// guard: the parent changes a module global at run time.
#[derive(Debug, Clone)]
pub struct RuntimeWrite {
    pub func: Option<FuncId>,
    pub offset: usize,
}

/// `base.attr = ...` where `base` is a plain name (module attribute writes, for PF501).
#[derive(Debug, Clone)]
pub struct AttrWrite<'a> {
    pub base: &'a str,
    pub attr: &'a str,
    pub scope: Scope,
    pub offset: usize,
}

#[derive(Default)]
pub struct ModuleIndex<'a> {
    pub scope: ScopeInfo<'a>,
    /// Project modules this one star-imports (`from m import *`), in order: names not bound
    /// here are looked up in them (see `Eval::star_name`).
    pub star_imports: Vec<ModId>,
    pub runtime_writes: HashMap<&'a str, Vec<RuntimeWrite>>,
    pub attr_writes: Vec<AttrWrite<'a>>,
}

pub struct Index<'a> {
    pub project: &'a Project,
    pub modules: Vec<ModuleIndex<'a>>,
    pub funcs: Store<FunctionInfo<'a>>,
    pub classes: Store<ClassInfo<'a>>,
    pub calls: Store<CallSite<'a>>,
    /// Call sites by the last name of the callee (`f` in `a.b.f(...)`).
    pub calls_by_name: HashMap<&'a str, Vec<usize>>,
    /// Comprehension scopes around call sites, outermost first (see `CallSite`).
    comps: Vec<Vec<&'a [ast::Comprehension<'a>]>>,
}

/// Items of every module, numbered across the project but stored in the per-module vectors
/// they were built in (in parallel): no copy into one vector, which would hold everything
/// twice at the moment of copying.
pub struct Store<T> {
    chunks: Vec<Vec<T>>,
    /// First id of each chunk, and the chunk of each id.
    starts: Vec<usize>,
    owner: Vec<u32>,
}

impl<T> Store<T> {
    fn new(chunks: Vec<Vec<T>>) -> Self {
        let chunks: Vec<Vec<T>> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let mut starts = Vec::with_capacity(chunks.len());
        let mut owner = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
        for (i, c) in chunks.iter().enumerate() {
            starts.push(owner.len());
            owner.extend(std::iter::repeat_n(i as u32, c.len()));
        }
        Store { chunks, starts, owner }
    }

    pub fn len(&self) -> usize {
        self.owner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Store<T> {
    type Output = T;
    fn index(&self, id: usize) -> &T {
        let chunk = self.owner[id] as usize;
        &self.chunks[chunk][id - self.starts[chunk]]
    }
}

impl<'a> Index<'a> {
    /// `pool` runs the per-module work; its threads need large stacks (deeply nested code).
    pub fn build(project: &'a Project, pool: &rayon::ThreadPool) -> Index<'a> {
        use rayon::prelude::*;
        // Each module on its own (in parallel), then appended in module order with its ids
        // shifted: the result does not depend on the number of threads.
        let mut fragments: Vec<Fragment<'a>> = pool.install(|| {
            project
                .modules
                .par_iter()
                .enumerate()
                .map(|(id, m)| Fragment::build(project, id, m.suite()))
                .collect()
        });
        // Where each module's ids start (functions, classes, comprehension scopes); the ids are
        // shifted there in parallel too.
        let mut starts = Vec::with_capacity(fragments.len());
        let mut next = (0, 0, 0);
        for f in &fragments {
            starts.push(next);
            next = (next.0 + f.funcs.len(), next.1 + f.classes.len(), next.2 + f.comps.len());
        }
        pool.install(|| {
            fragments
                .par_iter_mut()
                .zip(&starts)
                .for_each(|(f, &(funcs, classes, comps))| f.shift(funcs, classes, comps))
        });
        let mut modules = Vec::with_capacity(fragments.len());
        let (mut funcs, mut classes, mut calls, mut comps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for f in fragments {
            modules.push(f.module);
            funcs.push(f.funcs);
            classes.push(f.classes);
            calls.push(f.calls);
            comps.extend(f.comps);
        }
        let mut index = Index {
            project,
            modules,
            funcs: Store::new(funcs),
            classes: Store::new(classes),
            calls: Store::new(calls),
            calls_by_name: HashMap::default(),
            comps,
        };
        for (i, c) in index.calls.iter().enumerate() {
            if let Some(name) = last_name(&c.call.func) {
                index.calls_by_name.entry(name).or_default().push(i);
            }
        }
        index
    }

    /// The comprehensions around a call site, outermost first (their variables are in scope).
    pub fn comps(&self, site: &CallSite<'a>) -> &[&'a [ast::Comprehension<'a>]] {
        match site.comps {
            NO_COMPS => &[],
            i => &self.comps[i as usize],
        }
    }

    pub fn scope_info(&self, scope: Scope) -> &ScopeInfo<'a> {
        match scope {
            Scope::Module(m) => &self.modules[m].scope,
            Scope::Func(f) => &self.funcs[f].scope,
        }
    }

    pub fn module_of(&self, scope: Scope) -> ModId {
        match scope {
            Scope::Module(m) => m,
            Scope::Func(f) => self.funcs[f].module,
        }
    }

    /// Base classes and the class itself are searched in this order (a simple MRO).
    pub fn method(&self, class: ClassId, name: &str, bases: &dyn Fn(ClassId) -> Vec<ClassId>) -> Option<FuncId> {
        self.mro(class, bases)
            .into_iter()
            .find_map(|c| self.classes[c].methods.get(name).copied())
    }

    pub fn mro(&self, class: ClassId, bases: &dyn Fn(ClassId) -> Vec<ClassId>) -> Vec<ClassId> {
        let mut out = vec![class];
        let mut i = 0;
        while i < out.len() && out.len() < 32 {
            for b in bases(out[i]) {
                if !out.contains(&b) {
                    out.push(b);
                }
            }
            i += 1;
        }
        out
    }
}

/// One module's part of the index, with function and class ids counted from 0.
#[derive(Default)]
struct Fragment<'a> {
    module: ModuleIndex<'a>,
    funcs: Vec<FunctionInfo<'a>>,
    classes: Vec<ClassInfo<'a>>,
    calls: Vec<CallSite<'a>>,
    comps: Vec<Vec<&'a [ast::Comprehension<'a>]>>,
}

impl<'a> Fragment<'a> {
    fn build(project: &'a Project, id: ModId, suite: Option<&'a [ast::Stmt<'a>]>) -> Fragment<'a> {
        let mut frag = Fragment::default();
        let mut b = Builder {
            project,
            frag: &mut frag,
            module_index: ModuleIndex::default(),
            module: id,
            scope: Scope::Module(id),
            main_guard: false,
            method: None,
            comps: Vec::new(),
            func: None,
            branch: 0,
        };
        if let Some(suite) = suite {
            b.body(suite);
        }
        frag.module = b.module_index;
        frag.module.scope.bindings.finish();
        for f in &mut frag.funcs {
            f.scope.bindings.finish();
        }
        // The vectors grew by doubling; they are kept for the whole run.
        frag.funcs.shrink_to_fit();
        frag.classes.shrink_to_fit();
        frag.calls.shrink_to_fit();
        frag
    }

    /// Turn module-local function, class and comprehension ids into the index's.
    fn shift(&mut self, funcs: FuncId, classes: ClassId, comps: usize) {
        let scope = |s: &mut Scope| {
            if let Scope::Func(f) = s {
                *f += funcs;
            }
        };
        let bindings = |info: &mut ScopeInfo<'a>| {
            for b in info.bindings.values_mut() {
                match b {
                    Binding::Def(f) => *f += funcs,
                    Binding::Class(c) => *c += classes,
                    _ => {}
                }
            }
        };
        bindings(&mut self.module.scope);
        for w in self.module.runtime_writes.values_mut().flatten() {
            if let Some(f) = &mut w.func {
                *f += funcs;
            }
        }
        for w in &mut self.module.attr_writes {
            scope(&mut w.scope);
        }
        for f in &mut self.funcs {
            scope(&mut f.parent);
            if let Some(c) = &mut f.class {
                *c += classes;
            }
            bindings(&mut f.scope);
        }
        for c in &mut self.classes {
            scope(&mut c.parent);
            c.methods.values_mut().for_each(|f| *f += funcs);
            c.nested.values_mut().for_each(|n| *n += classes);
            c.attrs.iter_mut().for_each(|a| a.method += funcs);
        }
        for call in &mut self.calls {
            scope(&mut call.scope);
            if call.comps != NO_COMPS {
                call.comps += comps as u32;
            }
        }
    }
}

pub fn last_name<'a>(expr: &ast::Expr<'a>) -> Option<&'a str> {
    match expr.kind() {
        ast::ExprKind::Name(n) => Some(n.id.as_str()),
        ast::ExprKind::Attribute(a) => Some(a.attr.as_str()),
        _ => None,
    }
}

pub fn is_main_guard(test: &ast::Expr) -> bool {
    let ast::ExprKind::Compare(c) = test.kind() else {
        return false;
    };
    if c.comparators.len() != 1 || !matches!(c.ops[0], ast::CmpOp::Eq) {
        return false;
    }
    let is_name = |e: &ast::Expr| matches!(e.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &ast::Expr| parse::str_literal(e) == Some("__main__");
    (is_name(&c.left) && is_main(&c.comparators[0])) || (is_main(&c.left) && is_name(&c.comparators[0]))
}

/// Offset where a `def`/`class` keyword is (after its decorators), for origins.
pub fn keyword_offset(text: &str, start: usize, decorators: &[ast::Expr], keyword: &str) -> usize {
    let from = decorators.last().map_or(start, |d| parse::range_of(d).1);
    let mut at = from;
    while at < text.len() {
        let rest = &text[at..];
        if rest.starts_with(keyword) || rest.starts_with("async ") {
            return at;
        }
        at += rest.chars().next().map_or(1, char::len_utf8);
    }
    start
}

struct Builder<'i, 'a> {
    project: &'a Project,
    /// This module's functions, classes and calls, with ids local to the module until
    /// `Index::build` numbers them across the project (see `Fragment::shift`).
    frag: &'i mut Fragment<'a>,
    module_index: ModuleIndex<'a>,
    module: ModId,
    scope: Scope,
    main_guard: bool,
    /// (class, name of the first parameter) while inside a method.
    method: Option<(ClassId, &'a str, FuncId)>,
    comps: Vec<&'a [ast::Comprehension<'a>]>,
    func: Option<FuncId>,
    /// How many conditional blocks (if, loops, try, match) of the current function we are in.
    branch: u32,
}

impl<'i, 'a> Builder<'i, 'a> {
    /// A block that may not run (or may run more than once).
    fn branch(&mut self, body: &'a [ast::Stmt<'a>]) {
        self.branch += 1;
        self.body(body);
        self.branch -= 1;
    }

    fn scope_info(&mut self) -> &mut ScopeInfo<'a> {
        match self.scope {
            Scope::Module(_) => &mut self.module_index.scope,
            Scope::Func(f) => &mut self.frag.funcs[f].scope,
        }
    }

    fn bind(&mut self, name: &'a str, binding: Binding<'a>) {
        let is_global = matches!(self.scope, Scope::Func(_)) && self.scope_info().globals.contains(&name);
        if is_global {
            let offset = match &binding {
                Binding::Value { offset, .. } | Binding::Iter { offset, .. } | Binding::Element { offset, .. } => {
                    *offset as usize
                }
                _ => 0,
            };
            self.module_index
                .runtime_writes
                .entry(name)
                .or_default()
                .push(RuntimeWrite {
                    func: self.func,
                    offset,
                });
            self.module_index.scope.bindings.push(name, binding);
            return;
        }
        if self.main_guard && matches!(self.scope, Scope::Module(_)) {
            let offset = match &binding {
                Binding::Value { offset, .. } => Some(*offset as usize),
                _ => None,
            };
            if let Some(offset) = offset {
                self.module_index
                    .runtime_writes
                    .entry(name)
                    .or_default()
                    .push(RuntimeWrite { func: None, offset });
            }
        }
        self.scope_info().bindings.push(name, binding);
    }

    fn body(&mut self, body: &'a [ast::Stmt<'a>]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
        use ast::Stmt as S;
        let offset = parse::range_of(stmt).0;
        match stmt {
            S::FunctionDef(_) | S::AsyncFunctionDef(_) => {
                let def = FuncDef::of(stmt).expect("function");
                def.decorators.iter().for_each(|d| self.expr(d));
                let id = self.function(def, None);
                self.bind(def.name, Binding::Def(id));
            }
            S::ClassDef(c) => self.class(c),
            S::Return(r) => {
                if let (Some(v), Some(f)) = (&r.value, self.func) {
                    self.frag.funcs[f].returns.push(v);
                }
                r.value.iter().for_each(|e| self.expr(e));
            }
            S::Assign(a) => {
                self.expr(&a.value);
                for t in a.targets {
                    self.target(t, &a.value, Vec::new(), offset, false);
                }
            }
            S::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.expr(v);
                    self.target(&a.target, v, Vec::new(), offset, false);
                }
            }
            S::AugAssign(a) => {
                self.expr(&a.value);
                match a.target.kind() {
                    ast::ExprKind::Name(n) => self.bind(
                        n.id.as_str(),
                        Binding::Element {
                            expr: &a.value,
                            many: true,
                            offset: offset as u32,
                        },
                    ),
                    ast::ExprKind::Attribute(at) => self.self_attr(at, &a.value, AttrKind::Elements, vec![], offset),
                    _ => {}
                }
            }
            S::For(f) | S::AsyncFor(f) => {
                self.expr(&f.iter);
                self.target(&f.target, &f.iter, Vec::new(), offset, true);
                self.branch(f.body);
                self.branch(f.orelse);
            }
            S::While(w) => {
                self.expr(&w.test);
                self.branch(w.body);
                self.branch(w.orelse);
            }
            S::If(i) => {
                self.expr(&i.test);
                let guard = matches!(self.scope, Scope::Module(_)) && is_main_guard(&i.test);
                let saved = self.main_guard;
                self.main_guard |= guard;
                self.branch(i.body);
                self.main_guard = saved;
                self.branch(i.orelse);
            }
            S::With(w) | S::AsyncWith(w) => {
                for item in w.items {
                    self.expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.target(v, &item.context_expr, Vec::new(), offset, false);
                    }
                }
                self.body(w.body);
            }
            S::Match(m) => {
                self.expr(&m.subject);
                for case in m.cases {
                    case.guard.iter().for_each(|g| self.expr(g));
                    self.branch(case.body);
                }
            }
            S::Try(t) | S::TryStar(t) => self.try_stmt(t.body, t.handlers, t.orelse, t.finalbody),
            S::Import(i) => {
                for alias in i.names {
                    match &alias.asname {
                        Some(as_) => self.bind(as_.as_str(), Binding::Import(alias.name.as_str())),
                        None => {
                            let top = alias.name.as_str().split('.').next().unwrap_or_default();
                            let top: &'a str = &alias.name.as_str()[..top.len()];
                            self.bind(top, Binding::Import(top));
                        }
                    }
                }
            }
            S::ImportFrom(f) => {
                let level = f.level as usize;
                let module = self.project.resolve_relative(self.module, level, f.module.as_deref());
                for alias in f.names {
                    if alias.name.as_str() == "*" {
                        self.star_import(&module);
                        continue;
                    }
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    self.bind(
                        bound,
                        Binding::ImportFrom {
                            module: module.as_str().into(),
                            name: alias.name,
                        },
                    );
                }
            }
            S::Global(g) => {
                for n in g.names {
                    let name = n.as_str();
                    if !self.scope_info().globals.contains(&name) {
                        self.scope_info().globals.push(name);
                    }
                }
            }
            S::Expr(e) => {
                self.expr(&e.value);
                self.container_call(&e.value, offset);
            }
            S::Raise(r) => {
                r.exc.iter().for_each(|e| self.expr(e));
                r.cause.iter().for_each(|e| self.expr(e));
            }
            S::Assert(a) => self.expr(&a.test),
            S::Delete(d) => d.targets.iter().for_each(|e| self.expr(e)),
            S::TypeAlias(_) | S::Nonlocal(_) | S::Pass(_) | S::Break(_) | S::Continue(_) => {}
        }
    }

    fn try_stmt(
        &mut self,
        body: &'a [ast::Stmt<'a>],
        handlers: &'a [ast::ExceptHandler<'a>],
        orelse: &'a [ast::Stmt<'a>],
        finalbody: &'a [ast::Stmt<'a>],
    ) {
        self.branch(body);
        for ast::ExceptHandler::ExceptHandler(h) in handlers {
            h.type_.iter().for_each(|e| self.expr(e));
            self.branch(h.body);
        }
        self.branch(orelse);
        self.body(finalbody);
    }

    /// `from m import *`: the evaluator looks names up in `m` when they are used (modules are
    /// indexed independently, in parallel).
    fn star_import(&mut self, module: &str) {
        if let Some(target) = self.project.module_by_name(module) {
            self.module_index.star_imports.push(target);
        }
    }

    /// Bind an assignment target; `iter` marks a `for` target (an element of the value).
    fn target(
        &mut self,
        target: &'a ast::Expr<'a>,
        value: &'a ast::Expr<'a>,
        unpack: Vec<Unpack>,
        offset: usize,
        iter: bool,
    ) {
        match target.kind() {
            ast::ExprKind::Name(n) => {
                let (unpack, offset) = (unpack.into_boxed_slice(), offset as u32);
                let b = if iter {
                    Binding::Iter {
                        expr: value,
                        unpack,
                        offset,
                    }
                } else {
                    Binding::Value {
                        expr: value,
                        unpack,
                        offset,
                    }
                };
                self.bind(n.id.as_str(), b);
            }
            ast::ExprKind::Tuple(t) => self.unpack_targets(t.elts, value, unpack, offset, iter),
            ast::ExprKind::List(t) => self.unpack_targets(t.elts, value, unpack, offset, iter),
            ast::ExprKind::Starred(s) => {
                let mut u = unpack;
                u.push(Unpack::Star);
                self.target(&s.value, value, u, offset, iter);
            }
            ast::ExprKind::Attribute(a) if !iter => {
                self.self_attr(a, value, AttrKind::Direct, unpack, offset);
                if let ast::ExprKind::Name(base) = a.value.kind() {
                    let scope = self.scope;
                    self.module_index.attr_writes.push(AttrWrite {
                        base: base.id.as_str(),
                        attr: a.attr.as_str(),
                        scope,
                        offset,
                    });
                }
            }
            ast::ExprKind::Subscript(s) if !iter => match s.value.kind() {
                ast::ExprKind::Name(n) if unpack.is_empty() => self.bind(
                    n.id.as_str(),
                    Binding::Element {
                        expr: value,
                        many: false,
                        offset: offset as u32,
                    },
                ),
                ast::ExprKind::Attribute(a) => self.self_attr(a, value, AttrKind::Element, unpack, offset),
                _ => {}
            },
            _ => {}
        }
    }

    fn unpack_targets(
        &mut self,
        elts: &'a [ast::Expr<'a>],
        value: &'a ast::Expr<'a>,
        unpack: Vec<Unpack>,
        offset: usize,
        iter: bool,
    ) {
        for (i, e) in elts.iter().enumerate() {
            let mut u = unpack.clone();
            u.push(if matches!(e.kind(), ast::ExprKind::Starred(_)) {
                Unpack::Star
            } else {
                Unpack::Index(i as u32)
            });
            let e = match e.kind() {
                ast::ExprKind::Starred(s) => &s.value,
                _ => e,
            };
            self.target(e, value, u, offset, iter);
        }
    }

    /// `self.x = v` (and `self.x[k] = v`, `self.x += v`) inside a method.
    fn self_attr(
        &mut self,
        a: &'a ast::ExprAttribute<'a>,
        value: &'a ast::Expr<'a>,
        kind: AttrKind,
        unpack: Vec<Unpack>,
        offset: usize,
    ) {
        let Some((class, self_name, method)) = self.method else {
            return;
        };
        if !matches!(a.value.kind(), ast::ExprKind::Name(n) if n.id.as_str() == self_name) {
            return;
        }
        self.frag.classes[class].attrs.push(AttrAssign {
            name: a.attr.as_str(),
            method,
            expr: value,
            kind,
            unpack,
            offset,
            unconditional: self.branch == 0,
        });
    }

    /// `x.append(v)`, `x.add(v)`, `x.extend(vs)`, `x.update(d)` as statements grow containers.
    fn container_call(&mut self, expr: &'a ast::Expr<'a>, offset: usize) {
        let ast::ExprKind::Call(call) = expr.kind() else { return };
        let ast::ExprKind::Attribute(method) = call.func.kind() else {
            return;
        };
        let Some(arg) = call.args.first() else { return };
        let kind = match method.attr.as_str() {
            "append" | "add" | "appendleft" | "insert" | "setdefault" => AttrKind::Element,
            "extend" | "update" | "extendleft" => AttrKind::Elements,
            _ => return,
        };
        let arg = if matches!(method.attr.as_str(), "insert" | "setdefault") {
            match call.args.get(1) {
                Some(a) => a,
                None => return,
            }
        } else {
            arg
        };
        match method.value.kind() {
            ast::ExprKind::Name(n) => self.bind(
                n.id.as_str(),
                Binding::Element {
                    expr: arg,
                    many: kind == AttrKind::Elements,
                    offset: offset as u32,
                },
            ),
            ast::ExprKind::Attribute(a) => self.self_attr(a, arg, kind, vec![], offset),
            _ => {}
        }
    }

    fn function(&mut self, def: FuncDef<'a>, class: Option<ClassId>) -> FuncId {
        // A method is pickled through its instance, never as a nested function.
        let nested = matches!(self.scope, Scope::Func(_)) && class.is_none();
        let parent_name = match self.scope {
            Scope::Func(f) => format!("{}.<locals>.", self.frag.funcs[f].qualname),
            Scope::Module(_) => String::new(),
        };
        let class_name = class
            .map(|c| format!("{}.", self.frag.classes[c].qualname))
            .unwrap_or_default();
        let qualname = format!("{parent_name}{class_name}{}", def.name);
        let id = self.frag.funcs.len();
        self.frag.funcs.push(FunctionInfo {
            module: self.module,
            def,
            parent: self.scope,
            class,
            nested,
            main_guard: self.main_guard,
            is_generator: false,
            scope: ScopeInfo::default(),
            returns: Vec::new(),
            yields: Vec::new(),
            qualname,
        });
        for (i, p) in def.params().iter().enumerate() {
            self.frag.funcs[id]
                .scope
                .bindings
                .push(p.arg.as_str(), Binding::Param(i as u32));
        }
        let a = def.args;
        for d in a
            .posonlyargs
            .iter()
            .chain(a.args)
            .chain(a.kwonlyargs)
            .filter_map(|p| p.default.as_ref())
        {
            self.expr(d);
        }
        let method = class.and_then(|c| def.params().first().map(|p| (c, p.arg.as_str(), id)));
        let is_static = def.decorators.iter().any(
            |d| matches!(d.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "staticmethod" || n.id.as_str() == "classmethod"),
        );
        let saved = (
            self.scope,
            self.method,
            self.func,
            std::mem::take(&mut self.comps),
            self.main_guard,
            std::mem::take(&mut self.branch),
        );
        self.scope = Scope::Func(id);
        self.method = if is_static { None } else { method };
        self.func = Some(id);
        self.body(def.body);
        (
            self.scope,
            self.method,
            self.func,
            self.comps,
            self.main_guard,
            self.branch,
        ) = saved;
        id
    }

    fn class(&mut self, c: &'a ast::StmtClassDef<'a>) {
        c.decorator_list.iter().for_each(|d| self.expr(d));
        c.bases.iter().for_each(|b| self.expr(b));
        let local = matches!(self.scope, Scope::Func(_));
        let qualname = match self.scope {
            Scope::Func(f) => format!("{}.<locals>.{}", self.frag.funcs[f].qualname, c.name),
            Scope::Module(_) => c.name.to_string(),
        };
        let id = self.frag.classes.len();
        self.frag.classes.push(ClassInfo {
            module: self.module,
            def: c,
            parent: self.scope,
            local,
            main_guard: self.main_guard,
            name: c.name.as_str(),
            qualname,
            methods: HashMap::default(),
            class_attrs: HashMap::default(),
            attrs: Vec::new(),
            slots: None,
            nested: HashMap::default(),
            fields: Vec::new(),
        });
        self.bind(c.name.as_str(), Binding::Class(id));
        for stmt in c.body {
            if let Some(def) = FuncDef::of(stmt) {
                def.decorators.iter().for_each(|d| self.expr(d));
                let f = self.function(def, Some(id));
                self.frag.classes[id].methods.insert(def.name, f);
                continue;
            }
            match stmt {
                ast::Stmt::Assign(a) => {
                    self.expr(&a.value);
                    for t in a.targets {
                        if let ast::ExprKind::Name(n) = t.kind() {
                            if n.id.as_str() == "__slots__" {
                                self.frag.classes[id].slots = Some(slot_names(&a.value));
                            }
                            self.frag.classes[id]
                                .class_attrs
                                .entry(n.id.as_str())
                                .or_default()
                                .push(&a.value);
                        }
                    }
                }
                ast::Stmt::AnnAssign(a) => {
                    if let (ast::ExprKind::Name(n), true) = (a.target.kind(), is_dataclass(c)) {
                        self.frag.classes[id].fields.push((n.id.as_str(), a.value.as_ref()));
                    }
                    if let (ast::ExprKind::Name(n), Some(v)) = (a.target.kind(), &a.value) {
                        self.expr(v);
                        self.frag.classes[id]
                            .class_attrs
                            .entry(n.id.as_str())
                            .or_default()
                            .push(v);
                    }
                }
                ast::Stmt::ClassDef(inner) => {
                    let inner_id = self.frag.classes.len();
                    self.class(inner);
                    self.frag.classes[id].nested.insert(inner.name.as_str(), inner_id);
                }
                other => {
                    // Other statements in a class body run at class creation; index their calls.
                    let saved = self.method.take();
                    self.stmt(other);
                    self.method = saved;
                }
            }
        }
    }

    /// Walk an expression for calls, comprehension scopes and yields.
    fn expr(&mut self, expr: &'a ast::Expr<'a>) {
        struct Calls<'b, 'i, 'a> {
            b: &'b mut Builder<'i, 'a>,
        }
        impl<'b, 'i, 'a> parse::Visitor<'a> for Calls<'b, 'i, 'a> {
            fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
                match expr.kind() {
                    ast::ExprKind::Call(call) => {
                        let b = &mut *self.b;
                        let comps = if b.comps.is_empty() {
                            NO_COMPS
                        } else {
                            b.frag.comps.push(b.comps.clone());
                            (b.frag.comps.len() - 1) as u32
                        };
                        b.frag.calls.push(CallSite {
                            call,
                            scope: b.scope,
                            module: b.module as u32,
                            comps,
                        });
                        parse::walk_expr(self, expr);
                    }
                    ast::ExprKind::ListComp(c) => self.comp(c.generators, &[&c.elt]),
                    ast::ExprKind::SetComp(c) => self.comp(c.generators, &[&c.elt]),
                    ast::ExprKind::GeneratorExp(c) => self.comp(c.generators, &[&c.elt]),
                    ast::ExprKind::DictComp(c) => self.comp(c.generators, &[&c.key, &c.value]),
                    ast::ExprKind::Yield(y) => {
                        if let Some(f) = self.b.func {
                            self.b.frag.funcs[f].is_generator = true;
                            if let Some(v) = &y.value {
                                self.b.frag.funcs[f].yields.push((v, false));
                            }
                        }
                        parse::walk_expr(self, expr);
                    }
                    ast::ExprKind::YieldFrom(y) => {
                        if let Some(f) = self.b.func {
                            self.b.frag.funcs[f].is_generator = true;
                            self.b.frag.funcs[f].yields.push((&y.value, true));
                        }
                        parse::walk_expr(self, expr);
                    }
                    ast::ExprKind::Lambda(l) => {
                        // A lambda body runs later, in its own scope: its yields are not ours.
                        let saved = self.b.func.take();
                        parse::walk_expr(self, &l.body);
                        self.b.func = saved;
                    }
                    _ => parse::walk_expr(self, expr),
                }
            }
        }
        impl<'b, 'i, 'a> Calls<'b, 'i, 'a> {
            fn comp(&mut self, gens: &'a [ast::Comprehension<'a>], elts: &[&'a ast::Expr<'a>]) {
                if let Some(first) = gens.first() {
                    parse::Visitor::visit_expr(self, &first.iter);
                }
                self.b.comps.push(gens);
                for (i, g) in gens.iter().enumerate() {
                    if i > 0 {
                        parse::Visitor::visit_expr(self, &g.iter);
                    }
                    g.ifs.iter().for_each(|e| parse::Visitor::visit_expr(self, e));
                }
                for e in elts {
                    parse::Visitor::visit_expr(self, e);
                }
                self.b.comps.pop();
            }
        }
        let mut v = Calls { b: self };
        parse::Visitor::visit_expr(&mut v, expr);
    }
}

/// `@dataclass`, `@dataclass(...)`, `@dataclasses.dataclass(...)` (and pydantic-free attrs
/// lookalikes are not guessed).
fn is_dataclass(c: &ast::StmtClassDef) -> bool {
    c.decorator_list.iter().any(|d| {
        let target = match d.kind() {
            ast::ExprKind::Call(call) => &call.func,
            _ => d,
        };
        parse::dotted_name(target).is_some_and(|n| n == "dataclass" || n.ends_with(".dataclass"))
    })
}

fn slot_names(value: &ast::Expr) -> Vec<String> {
    let elts: &[ast::Expr] = match value.kind() {
        ast::ExprKind::Tuple(t) => t.elts,
        ast::ExprKind::List(l) => l.elts,
        ast::ExprKind::Set(s) => s.elts,
        _ => {
            return parse::str_literal(value)
                .map(|s| vec![s.to_string()])
                .unwrap_or_default()
        }
    };
    elts.iter().filter_map(parse::str_literal).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_keep_source_order_per_name() {
        let mut b = Bindings::default();
        b.push("y", Binding::Param(0));
        b.push("x", Binding::Param(1));
        b.push("y", Binding::Param(2));
        b.push("a", Binding::Param(3));
        b.finish();
        let params = |name: &str| -> Vec<u32> {
            b.get(name)
                .unwrap_or_default()
                .iter()
                .map(|b| match b {
                    Binding::Param(i) => *i,
                    _ => unreachable!(),
                })
                .collect()
        };
        assert_eq!(params("y"), vec![0, 2]);
        assert_eq!(params("x"), vec![1]);
        assert_eq!(params("a"), vec![3]);
        assert!(b.get("z").is_none() && !b.contains_key("b"));
        assert_eq!(b.keys().collect::<Vec<_>>(), vec!["a", "x", "y"]);
    }

    #[test]
    fn store_numbers_items_across_chunks() {
        let store = Store::new(vec![vec!['a', 'b'], vec![], vec!['c'], vec!['d', 'e']]);
        assert_eq!(store.len(), 5);
        let all: String = (0..store.len()).map(|i| store[i]).collect();
        assert_eq!(all, "abcde");
        assert_eq!(store.iter().collect::<String>(), "abcde");
    }
}
