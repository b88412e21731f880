//! The project index: for every parsed module its bindings, functions, classes (with instance
//! attributes assigned in any method), call sites and run-time writes to module globals.
//! Everything borrows from the parsed trees; lookups across modules happen in `eval`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::parse::{self, ast, FuncDef};
use crate::project::{ModId, Project};

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
    Index(usize),
    Star,
}

#[derive(Debug, Clone)]
pub enum Binding<'a> {
    Def(FuncId),
    Class(ClassId),
    /// `import a.b as c` binds `c` to `a.b`; `import a.b` binds `a` to `a`.
    Import(String),
    ImportFrom {
        module: String,
        name: String,
    },
    /// `x = expr` (after unpacking).
    Value {
        expr: &'a ast::Expr<'a>,
        unpack: Vec<Unpack>,
        offset: usize,
    },
    /// `for x in expr`: an element of expr.
    Iter {
        expr: &'a ast::Expr<'a>,
        unpack: Vec<Unpack>,
        offset: usize,
    },
    /// `x.append(expr)`, `x[k] = expr` (many = false); `x.extend(expr)`, `x += expr` (many = true).
    Element {
        expr: &'a ast::Expr<'a>,
        many: bool,
        offset: usize,
    },
    Param(usize),
}

#[derive(Debug, Default)]
pub struct ScopeInfo<'a> {
    /// Most names are bound once: one binding is kept inline, without an allocation.
    pub bindings: HashMap<&'a str, smallvec::SmallVec<[Binding<'a>; 1]>>,
    pub globals: HashSet<&'a str>,
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

/// A call expression and where it is.
pub struct CallSite<'a> {
    pub module: ModId,
    pub call: &'a ast::ExprCall<'a>,
    pub scope: Scope,
    /// Comprehensions the call sits in, outermost first (their variables are in scope).
    pub comps: Vec<&'a [ast::Comprehension<'a>]>,
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
    pub funcs: Vec<FunctionInfo<'a>>,
    pub classes: Vec<ClassInfo<'a>>,
    pub calls: Vec<CallSite<'a>>,
    /// Call sites by the last name of the callee (`f` in `a.b.f(...)`).
    pub calls_by_name: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Index<'a> {
    /// `pool` runs the per-module work; its threads need large stacks (deeply nested code).
    pub fn build(project: &'a Project, pool: &rayon::ThreadPool) -> Index<'a> {
        use rayon::prelude::*;
        // Each module on its own (in parallel), then appended in module order with its ids
        // shifted: the result does not depend on the number of threads.
        let fragments: Vec<Fragment<'a>> = pool.install(|| {
            project
                .modules
                .par_iter()
                .enumerate()
                .map(|(id, m)| Fragment::build(project, id, m.suite()))
                .collect()
        });
        // Exact capacities: growing by doubling would hold two copies at the largest step.
        let total = |n: fn(&Fragment<'a>) -> usize| fragments.iter().map(n).sum::<usize>();
        let mut index = Index {
            project,
            modules: Vec::with_capacity(fragments.len()),
            funcs: Vec::with_capacity(total(|f| f.funcs.len())),
            classes: Vec::with_capacity(total(|f| f.classes.len())),
            calls: Vec::with_capacity(total(|f| f.calls.len())),
            calls_by_name: HashMap::default(),
        };
        for mut f in fragments {
            f.shift(index.funcs.len(), index.classes.len());
            index.modules.push(f.module);
            index.funcs.extend(f.funcs);
            index.classes.extend(f.classes);
            index.calls.extend(f.calls);
        }
        for (i, c) in index.calls.iter().enumerate() {
            if let Some(name) = last_name(&c.call.func) {
                index.calls_by_name.entry(name).or_default().push(i);
            }
        }
        index
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
struct Fragment<'a> {
    module: ModuleIndex<'a>,
    funcs: Vec<FunctionInfo<'a>>,
    classes: Vec<ClassInfo<'a>>,
    calls: Vec<CallSite<'a>>,
}

impl<'a> Fragment<'a> {
    fn build(project: &'a Project, id: ModId, suite: Option<&'a [ast::Stmt<'a>]>) -> Fragment<'a> {
        let mut index = Index {
            project,
            modules: Vec::new(),
            funcs: Vec::new(),
            classes: Vec::new(),
            calls: Vec::new(),
            calls_by_name: HashMap::default(),
        };
        let mut b = Builder {
            index: &mut index,
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
        let module = std::mem::take(&mut b.module_index);
        Fragment {
            module,
            funcs: index.funcs,
            classes: index.classes,
            calls: index.calls,
        }
    }

    /// Turn module-local function and class ids into the index's.
    fn shift(&mut self, funcs: FuncId, classes: ClassId) {
        let scope = |s: &mut Scope| {
            if let Scope::Func(f) = s {
                *f += funcs;
            }
        };
        let bindings = |info: &mut ScopeInfo<'a>| {
            for b in info.bindings.values_mut().flatten() {
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
        }
    }
}

pub fn last_name<'a>(expr: &ast::Expr<'a>) -> Option<&'a str> {
    match expr {
        ast::Expr::Name(n) => Some(n.id.as_str()),
        ast::Expr::Attribute(a) => Some(a.attr.as_str()),
        _ => None,
    }
}

pub fn is_main_guard(test: &ast::Expr) -> bool {
    let ast::Expr::Compare(c) = test else { return false };
    if c.comparators.len() != 1 || !matches!(c.ops[0], ast::CmpOp::Eq) {
        return false;
    }
    let is_name = |e: &ast::Expr| matches!(e, ast::Expr::Name(n) if n.id.as_str() == "__name__");
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
    /// This module's functions, classes and calls, with ids local to the module until
    /// `Index::build` appends them (see `Fragment::shift`).
    index: &'i mut Index<'a>,
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
            Scope::Func(f) => &mut self.index.funcs[f].scope,
        }
    }

    fn bind(&mut self, name: &'a str, binding: Binding<'a>) {
        let is_global = matches!(self.scope, Scope::Func(_)) && self.scope_info().globals.contains(name);
        if is_global {
            let offset = match &binding {
                Binding::Value { offset, .. } | Binding::Iter { offset, .. } | Binding::Element { offset, .. } => {
                    *offset
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
            self.module_index.scope.bindings.entry(name).or_default().push(binding);
            return;
        }
        if self.main_guard && matches!(self.scope, Scope::Module(_)) {
            let offset = match &binding {
                Binding::Value { offset, .. } => Some(*offset),
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
        self.scope_info().bindings.entry(name).or_default().push(binding);
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
                    self.index.funcs[f].returns.push(v);
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
                match &a.target {
                    ast::Expr::Name(n) => self.bind(
                        n.id.as_str(),
                        Binding::Element {
                            expr: &a.value,
                            many: true,
                            offset,
                        },
                    ),
                    ast::Expr::Attribute(at) => self.self_attr(at, &a.value, AttrKind::Elements, vec![], offset),
                    _ => {}
                }
            }
            S::For(f) => {
                self.expr(&f.iter);
                self.target(&f.target, &f.iter, Vec::new(), offset, true);
                self.branch(f.body);
                self.branch(f.orelse);
            }
            S::AsyncFor(f) => {
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
            S::With(w) => {
                for item in w.items {
                    self.expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.target(v, &item.context_expr, Vec::new(), offset, false);
                    }
                }
                self.body(w.body);
            }
            S::AsyncWith(w) => {
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
            S::Try(t) => self.try_stmt(t.body, t.handlers, t.orelse, t.finalbody),
            S::TryStar(t) => self.try_stmt(t.body, t.handlers, t.orelse, t.finalbody),
            S::Import(i) => {
                for alias in i.names {
                    match &alias.asname {
                        Some(as_) => self.bind(as_.as_str(), Binding::Import(alias.name.to_string())),
                        None => {
                            let top = alias.name.as_str().split('.').next().unwrap_or_default();
                            let top: &'a str = &alias.name.as_str()[..top.len()];
                            self.bind(top, Binding::Import(top.to_string()));
                        }
                    }
                }
            }
            S::ImportFrom(f) => {
                let level = f.level as usize;
                let module = self
                    .index
                    .project
                    .resolve_relative(self.module, level, f.module.as_deref());
                for alias in f.names {
                    if alias.name.as_str() == "*" {
                        self.star_import(&module);
                        continue;
                    }
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    self.bind(
                        bound,
                        Binding::ImportFrom {
                            module: module.clone(),
                            name: alias.name.to_string(),
                        },
                    );
                }
            }
            S::Global(g) => {
                for n in g.names {
                    let name = n.as_str();
                    self.scope_info().globals.insert(name);
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
        if let Some(target) = self.index.project.module_by_name(module) {
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
        match target {
            ast::Expr::Name(n) => {
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
            ast::Expr::Tuple(t) => self.unpack_targets(t.elts, value, unpack, offset, iter),
            ast::Expr::List(t) => self.unpack_targets(t.elts, value, unpack, offset, iter),
            ast::Expr::Starred(s) => {
                let mut u = unpack;
                u.push(Unpack::Star);
                self.target(&s.value, value, u, offset, iter);
            }
            ast::Expr::Attribute(a) if !iter => {
                self.self_attr(a, value, AttrKind::Direct, unpack, offset);
                if let ast::Expr::Name(base) = &a.value {
                    let scope = self.scope;
                    self.module_index.attr_writes.push(AttrWrite {
                        base: base.id.as_str(),
                        attr: a.attr.as_str(),
                        scope,
                        offset,
                    });
                }
            }
            ast::Expr::Subscript(s) if !iter => match &s.value {
                ast::Expr::Name(n) if unpack.is_empty() => self.bind(
                    n.id.as_str(),
                    Binding::Element {
                        expr: value,
                        many: false,
                        offset,
                    },
                ),
                ast::Expr::Attribute(a) => self.self_attr(a, value, AttrKind::Element, unpack, offset),
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
            u.push(if matches!(e, ast::Expr::Starred(_)) {
                Unpack::Star
            } else {
                Unpack::Index(i)
            });
            let e = match e {
                ast::Expr::Starred(s) => &s.value,
                other => other,
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
        if !matches!(&a.value, ast::Expr::Name(n) if n.id.as_str() == self_name) {
            return;
        }
        self.index.classes[class].attrs.push(AttrAssign {
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
        let ast::Expr::Call(call) = expr else { return };
        let ast::Expr::Attribute(method) = &call.func else {
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
        match &method.value {
            ast::Expr::Name(n) => self.bind(
                n.id.as_str(),
                Binding::Element {
                    expr: arg,
                    many: kind == AttrKind::Elements,
                    offset,
                },
            ),
            ast::Expr::Attribute(a) => self.self_attr(a, arg, kind, vec![], offset),
            _ => {}
        }
    }

    fn function(&mut self, def: FuncDef<'a>, class: Option<ClassId>) -> FuncId {
        // A method is pickled through its instance, never as a nested function.
        let nested = matches!(self.scope, Scope::Func(_)) && class.is_none();
        let parent_name = match self.scope {
            Scope::Func(f) => format!("{}.<locals>.", self.index.funcs[f].qualname),
            Scope::Module(_) => String::new(),
        };
        let class_name = class
            .map(|c| format!("{}.", self.index.classes[c].qualname))
            .unwrap_or_default();
        let qualname = format!("{parent_name}{class_name}{}", def.name);
        let id = self.index.funcs.len();
        self.index.funcs.push(FunctionInfo {
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
            self.index.funcs[id]
                .scope
                .bindings
                .entry(p.arg.as_str())
                .or_default()
                .push(Binding::Param(i));
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
            |d| matches!(d, ast::Expr::Name(n) if n.id.as_str() == "staticmethod" || n.id.as_str() == "classmethod"),
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
            Scope::Func(f) => format!("{}.<locals>.{}", self.index.funcs[f].qualname, c.name),
            Scope::Module(_) => c.name.to_string(),
        };
        let id = self.index.classes.len();
        self.index.classes.push(ClassInfo {
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
                self.index.classes[id].methods.insert(def.name, f);
                continue;
            }
            match stmt {
                ast::Stmt::Assign(a) => {
                    self.expr(&a.value);
                    for t in a.targets {
                        if let ast::Expr::Name(n) = t {
                            if n.id.as_str() == "__slots__" {
                                self.index.classes[id].slots = Some(slot_names(&a.value));
                            }
                            self.index.classes[id]
                                .class_attrs
                                .entry(n.id.as_str())
                                .or_default()
                                .push(&a.value);
                        }
                    }
                }
                ast::Stmt::AnnAssign(a) => {
                    if let (ast::Expr::Name(n), true) = (&a.target, is_dataclass(c)) {
                        self.index.classes[id].fields.push((n.id.as_str(), a.value.as_ref()));
                    }
                    if let (ast::Expr::Name(n), Some(v)) = (&a.target, &a.value) {
                        self.expr(v);
                        self.index.classes[id]
                            .class_attrs
                            .entry(n.id.as_str())
                            .or_default()
                            .push(v);
                    }
                }
                ast::Stmt::ClassDef(inner) => {
                    let inner_id = self.index.classes.len();
                    self.class(inner);
                    self.index.classes[id].nested.insert(inner.name.as_str(), inner_id);
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
                match expr {
                    ast::Expr::Call(call) => {
                        let b = &mut *self.b;
                        b.index.calls.push(CallSite {
                            module: b.module,
                            call,
                            scope: b.scope,
                            comps: b.comps.clone(),
                        });
                        parse::walk_expr(self, expr);
                    }
                    ast::Expr::ListComp(c) => self.comp(c.generators, &[&c.elt]),
                    ast::Expr::SetComp(c) => self.comp(c.generators, &[&c.elt]),
                    ast::Expr::GeneratorExp(c) => self.comp(c.generators, &[&c.elt]),
                    ast::Expr::DictComp(c) => self.comp(c.generators, &[&c.key, &c.value]),
                    ast::Expr::Yield(y) => {
                        if let Some(f) = self.b.func {
                            self.b.index.funcs[f].is_generator = true;
                            if let Some(v) = &y.value {
                                self.b.index.funcs[f].yields.push((v, false));
                            }
                        }
                        parse::walk_expr(self, expr);
                    }
                    ast::Expr::YieldFrom(y) => {
                        if let Some(f) = self.b.func {
                            self.b.index.funcs[f].is_generator = true;
                            self.b.index.funcs[f].yields.push((&y.value, true));
                        }
                        parse::walk_expr(self, expr);
                    }
                    ast::Expr::Lambda(l) => {
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
        let target = match d {
            ast::Expr::Call(call) => &call.func,
            other => other,
        };
        parse::dotted_name(target).is_some_and(|n| n == "dataclass" || n.ends_with(".dataclass"))
    })
}

fn slot_names(value: &ast::Expr) -> Vec<String> {
    let elts: &[ast::Expr] = match value {
        ast::Expr::Tuple(t) => t.elts,
        ast::Expr::List(l) => l.elts,
        ast::Expr::Set(s) => s.elts,
        other => {
            return parse::str_literal(other)
                .map(|s| vec![s.to_string()])
                .unwrap_or_default()
        }
    };
    elts.iter().filter_map(parse::str_literal).map(str::to_string).collect()
}
