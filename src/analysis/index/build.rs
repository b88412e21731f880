//! Building the index of one module: a walk over its statements that records bindings (with
//! how a value is unpacked into each name), call sites, attributes assigned on `self`, run-time
//! writes to module globals, and hands functions and classes to `defs`. The result is a
//! `Fragment` with ids local to the module, numbered across the project by `Index::build`.

use super::{
    is_main_guard, AttrAssign, AttrKind, AttrWrite, Binding, CallSite, ClassId, ClassInfo, FuncId, FunctionInfo,
    ModuleIndex, RuntimeWrite, Scope, ScopeInfo, Unpack, NO_COMPS,
};
use crate::analysis::project::{ModId, Project};
use crate::python::parse::{self, ast, FuncDef};

/// One module's part of the index, with function and class ids counted from 0.
#[derive(Default)]
pub(super) struct Fragment<'a> {
    pub(super) module: ModuleIndex<'a>,
    pub(super) funcs: Vec<FunctionInfo<'a>>,
    pub(super) classes: Vec<ClassInfo<'a>>,
    pub(super) calls: Vec<CallSite<'a>>,
    pub(super) comps: Vec<Vec<&'a [ast::Comprehension<'a>]>>,
}

impl<'a> Fragment<'a> {
    pub(super) fn build(project: &'a Project, id: ModId, suite: Option<&'a [ast::Stmt<'a>]>) -> Fragment<'a> {
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
    pub(super) fn shift(&mut self, funcs: FuncId, classes: ClassId, comps: usize) {
        let scope = |s: &mut Scope| {
            if let Scope::Func(f) = s {
                *f += funcs;
            }
        };
        let bindings = |info: &mut ScopeInfo<'a>| {
            for b in info.bindings.values_mut() {
                match b {
                    Binding::Def { id, .. } => *id += funcs,
                    Binding::Class { id, .. } => *id += classes,
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

pub(super) struct Builder<'i, 'a> {
    pub(super) project: &'a Project,
    /// This module's functions, classes and calls, with ids local to the module until
    /// `Index::build` numbers them across the project (see `Fragment::shift`).
    pub(super) frag: &'i mut Fragment<'a>,
    pub(super) module_index: ModuleIndex<'a>,
    pub(super) module: ModId,
    pub(super) scope: Scope,
    pub(super) main_guard: bool,
    /// (class, name of the first parameter) while inside a method.
    pub(super) method: Option<(ClassId, &'a str, FuncId)>,
    pub(super) comps: Vec<&'a [ast::Comprehension<'a>]>,
    pub(super) func: Option<FuncId>,
    /// How many conditional blocks (if, loops, try, match) of the current function we are in.
    pub(super) branch: u32,
}

impl<'i, 'a> Builder<'i, 'a> {
    /// A block that may not run (or may run more than once).
    pub(super) fn branch(&mut self, body: &'a [ast::Stmt<'a>]) {
        self.branch += 1;
        self.body(body);
        self.branch -= 1;
    }

    pub(super) fn scope_info(&mut self) -> &mut ScopeInfo<'a> {
        match self.scope {
            Scope::Module(_) => &mut self.module_index.scope,
            Scope::Func(f) => &mut self.frag.funcs[f].scope,
        }
    }

    pub(super) fn bind(&mut self, name: &'a str, binding: Binding<'a>) {
        let is_global = matches!(self.scope, Scope::Func(_)) && self.scope_info().globals.contains(&name);
        if is_global {
            let offset = binding.offset().unwrap_or(0) as usize;
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

    pub(super) fn body(&mut self, body: &'a [ast::Stmt<'a>]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    pub(super) fn stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
        use ast::Stmt as S;
        let offset = parse::range_of(stmt).0;
        match stmt {
            S::FunctionDef(_) | S::AsyncFunctionDef(_) => {
                let def = FuncDef::of(stmt).expect("function");
                def.decorators.iter().for_each(|d| self.expr(d));
                let id = self.function(def, None);
                self.bind(
                    def.name,
                    Binding::Def {
                        id,
                        offset: offset as u32,
                    },
                );
            }
            S::ClassDef(c) => self.class(c, offset),
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
                        self.enter_target(v, &item.context_expr, Vec::new(), offset);
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
                let offset = offset as u32;
                for alias in i.names {
                    match &alias.asname {
                        Some(as_) => self.bind(
                            as_.as_str(),
                            Binding::Import {
                                module: alias.name.as_str(),
                                offset,
                            },
                        ),
                        None => {
                            let top = alias.name.as_str().split('.').next().unwrap_or_default();
                            let top: &'a str = &alias.name.as_str()[..top.len()];
                            self.bind(top, Binding::Import { module: top, offset });
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
                            offset: offset as u32,
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

    pub(super) fn try_stmt(
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
    pub(super) fn star_import(&mut self, module: &str) {
        if let Some(target) = self.project.module_by_name(module) {
            self.module_index.star_imports.push(target);
        }
    }

    /// Bind an assignment target; `iter` marks a `for` target (an element of the value).
    pub(super) fn target(
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
                let on_self = matches!((a.value.kind(), self.method), (ast::ExprKind::Name(b), Some((_, this, _))) if b.id.as_str() == this);
                if let (ast::ExprKind::Name(base), false) = (a.value.kind(), on_self) {
                    let scope = self.scope;
                    self.module_index.attr_writes.push(AttrWrite {
                        base: base.id.as_str(),
                        attr: a.attr.as_str(),
                        value,
                        scope,
                        offset,
                    });
                }
            }
            ast::ExprKind::Subscript(s) if !iter => match s.value.kind() {
                ast::ExprKind::Name(n) if unpack.is_empty() => self.bind_element(
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

    /// Bind a `with ... as target`: names get what entering the manager gives.
    fn enter_target(
        &mut self,
        target: &'a ast::Expr<'a>,
        value: &'a ast::Expr<'a>,
        unpack: Vec<Unpack>,
        offset: usize,
    ) {
        match target.kind() {
            ast::ExprKind::Name(n) => self.bind(
                n.id.as_str(),
                Binding::Enter {
                    expr: value,
                    unpack: unpack.into_boxed_slice(),
                    offset: offset as u32,
                },
            ),
            ast::ExprKind::Tuple(t) => {
                for (i, e) in t.elts.iter().enumerate() {
                    let mut u = unpack.clone();
                    u.push(Unpack::Index(i as u32));
                    self.enter_target(e, value, u, offset);
                }
            }
            _ => self.target(target, value, unpack, offset, false),
        }
    }

    pub(super) fn unpack_targets(
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
    pub(super) fn self_attr(
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
    pub(super) fn container_call(&mut self, expr: &'a ast::Expr<'a>, offset: usize) {
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
            ast::ExprKind::Name(n) => self.bind_element(
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

    /// `x.append(v)` or `x[k] = v`: grows `x` where it lives. A function that never assigns
    /// `x` itself grows the module's `x` (an element added at some time, for other scopes).
    fn bind_element(&mut self, name: &'a str, binding: Binding<'a>) {
        let local = match self.scope {
            Scope::Module(_) => true,
            Scope::Func(_) => self.scope_info().bindings.has(name),
        };
        if local {
            self.bind(name, binding);
        } else {
            self.module_index.scope.bindings.push(name, binding);
        }
    }

    /// Walk an expression for calls, comprehension scopes and yields.
    pub(super) fn expr(&mut self, expr: &'a ast::Expr<'a>) {
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
