//! Every fix is checked before it is offered: the fixed file must parse, and a small name
//! resolution over the new tree must find no name that the edit made undefined, used before it
//! is assigned, or mangled (a `__name` read inside a class becomes `_Class__name`).
//!
//! The resolution follows Python's scoping rules closely enough for that question: module,
//! class, function and comprehension scopes; `global` and `nonlocal`; class bodies that do not
//! enclose their methods; private names mangled inside classes. It runs on the text before and
//! after the edits, and only problems the edits added count (compared per kind and name), so a
//! module that already reads a name bound by `exec` or a star import is not blamed on the fix.
//!
//! Order is checked where code runs at once: a local read before every assignment of it in the
//! same function, and a module or class body reading a module-level name bound only later
//! (what a `functools.partial(...)` built before its arguments exist would do).

use std::collections::{HashMap, HashSet};

use crate::python::parse::{self, ast};

/// What a fix can break about a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Undefined,
    UsedBeforeAssignment,
    Mangled,
    /// A `def` or `class` at module or class level whose name another one there already binds
    /// (two fixes that generated the same function, or the same method, in one round).
    Redefined,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    pub name: String,
    pub offset: usize,
}

/// The problems of a module's names (see the module docs).
pub fn problems(suite: &[ast::Stmt]) -> Vec<Problem> {
    let mut w = Walker {
        scopes: vec![Scope::new(ScopeKind::Module, None, None)],
        current: 0,
        loads: Vec::new(),
        private_attrs_outside_class: Vec::new(),
        walrus: false,
        module_defs: HashSet::new(),
        redefined: Vec::new(),
    };
    w.body(suite);
    let mut out = Vec::new();
    for load in &w.loads {
        if let Some(kind) = w.resolve(load) {
            // A private name read inside a class is looked up as `_Class__name`.
            let kind = if kind == Kind::Undefined && load.name != load.shown {
                Kind::Mangled
            } else {
                kind
            };
            out.push(Problem {
                kind,
                name: load.shown.to_string(),
                offset: load.offset,
            });
        }
    }
    for &(name, offset) in &w.redefined {
        out.push(Problem {
            kind: Kind::Redefined,
            name: name.to_string(),
            offset,
        });
    }
    for &(name, offset) in &w.private_attrs_outside_class {
        out.push(Problem {
            kind: Kind::Mangled,
            name: format!(".{name}"),
            offset,
        });
    }
    out
}

/// Problems in `after` that `before` did not have (per kind and name), first one per name.
pub fn added(before: &[Problem], after: &[Problem]) -> Vec<Problem> {
    let mut count: HashMap<(Kind, &str), i64> = HashMap::new();
    for p in before {
        *count.entry((p.kind, p.name.as_str())).or_default() -= 1;
    }
    let mut out: Vec<Problem> = Vec::new();
    for p in after {
        let c = count.entry((p.kind, p.name.as_str())).or_default();
        *c += 1;
        if *c > 0 && !out.iter().any(|o| o.kind == p.kind && o.name == p.name) {
            out.push(p.clone());
        }
    }
    out
}

/// One line saying what is wrong, for the note that drops a fix.
pub fn describe(p: &Problem, text: &str) -> String {
    let line = text[..p.offset.min(text.len())].matches('\n').count() + 1;
    match p.kind {
        Kind::Undefined => format!("`{}` would be undefined (line {line})", p.name),
        Kind::UsedBeforeAssignment => format!("`{}` would be read before it is assigned (line {line})", p.name),
        Kind::Mangled if p.name.starts_with('.') => {
            format!(
                "`{}` would no longer be mangled by its class (line {line})",
                &p.name[1..]
            )
        }
        Kind::Mangled => format!("`{}` would be mangled by its class (line {line})", p.name),
        Kind::Redefined => format!("`{}` would be defined twice (line {line})", p.name),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Class,
    Function,
    /// Runs at once, in the middle of its parent (a comprehension).
    Comprehension,
}

struct Scope<'a> {
    kind: ScopeKind,
    parent: Option<usize>,
    /// The class whose name private names are mangled with (the nearest enclosing class).
    mangle: Option<&'a str>,
    /// First offset at which each name is bound.
    bound: HashMap<String, usize>,
    globals: HashSet<&'a str>,
    nonlocals: HashSet<&'a str>,
    star_import: bool,
}

impl<'a> Scope<'a> {
    fn new(kind: ScopeKind, parent: Option<usize>, mangle: Option<&'a str>) -> Self {
        Scope {
            kind,
            parent,
            mangle,
            bound: HashMap::new(),
            globals: HashSet::new(),
            nonlocals: HashSet::new(),
            star_import: false,
        }
    }
}

struct Load<'a> {
    scope: usize,
    /// The name as the scope sees it (mangled inside a class).
    name: String,
    shown: &'a str,
    offset: usize,
}

struct Walker<'a> {
    scopes: Vec<Scope<'a>>,
    current: usize,
    loads: Vec<Load<'a>>,
    private_attrs_outside_class: Vec<(&'a str, usize)>,
    /// Binding the target of `:=`.
    walrus: bool,
    /// (scope, name) of the defs and classes seen at module and class level.
    module_defs: HashSet<(usize, &'a str)>,
    redefined: Vec<(&'a str, usize)>,
}

fn is_private(name: &str) -> bool {
    name.starts_with("__") && !name.ends_with("__")
}

impl<'a> Walker<'a> {
    fn mangled(&self, name: &str) -> String {
        match self.scopes[self.current].mangle {
            Some(class) if is_private(name) => {
                let stripped = class.trim_start_matches('_');
                if stripped.is_empty() {
                    name.to_string()
                } else {
                    format!("_{stripped}{name}")
                }
            }
            _ => name.to_string(),
        }
    }

    fn bind(&mut self, name: &'a str, offset: usize) {
        let declared_global = self.scopes[self.current].globals.contains(name);
        let name = self.mangled(name);
        let mut scope = if declared_global { 0 } else { self.current };
        // A walrus in a comprehension binds in the scope around it.
        while self.walrus && self.scopes[scope].kind == ScopeKind::Comprehension {
            match self.scopes[scope].parent {
                Some(p) => scope = p,
                None => break,
            }
        }
        let entry = self.scopes[scope].bound.entry(name).or_insert(offset);
        *entry = (*entry).min(offset);
    }

    fn module_def(&mut self, name: &'a str, offset: usize) {
        let kind = self.scopes[self.current].kind;
        let open = matches!(kind, ScopeKind::Module | ScopeKind::Class);
        if open && !self.module_defs.insert((self.current, name)) {
            self.redefined.push((name, offset));
        }
    }

    fn load(&mut self, name: &'a str, offset: usize) {
        self.loads.push(Load {
            scope: self.current,
            name: self.mangled(name),
            shown: name,
            offset,
        });
    }

    fn push(&mut self, kind: ScopeKind, mangle: Option<&'a str>) -> usize {
        let mangle = mangle.or(self.scopes[self.current].mangle);
        self.scopes.push(Scope::new(kind, Some(self.current), mangle));
        let saved = self.current;
        self.current = self.scopes.len() - 1;
        saved
    }

    fn body(&mut self, body: &'a [ast::Stmt<'a>]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn args(&mut self, args: &'a ast::Arguments<'a>) {
        for a in args.posonlyargs.iter().chain(args.args).chain(args.kwonlyargs) {
            if let Some(d) = &a.default {
                self.expr(d);
            }
        }
    }

    fn bind_params(&mut self, args: &'a ast::Arguments<'a>, at: usize) {
        let a = args;
        for p in a.posonlyargs.iter().chain(a.args).chain(a.kwonlyargs) {
            self.bind(p.def.arg.as_str(), at);
        }
        for p in a.vararg.iter().chain(&a.kwarg) {
            self.bind(p.arg.as_str(), at);
        }
    }

    fn stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
        use ast::Stmt as S;
        let (start, end) = parse::range_of(stmt);
        match stmt {
            S::FunctionDef(f) | S::AsyncFunctionDef(f) => {
                // `@x.setter def x` rebinds on purpose: only plain defs count.
                if f.decorator_list.is_empty() {
                    self.module_def(f.name.as_str(), start);
                }
                f.decorator_list.iter().for_each(|d| self.expr(d));
                self.args(f.args);
                self.bind(f.name.as_str(), start);
                let saved = self.push(ScopeKind::Function, None);
                self.bind_params(f.args, start);
                self.body(f.body);
                self.current = saved;
            }
            S::ClassDef(c) => {
                if c.decorator_list.is_empty() {
                    self.module_def(c.name.as_str(), start);
                }
                c.decorator_list.iter().for_each(|d| self.expr(d));
                c.bases.iter().for_each(|b| self.expr(b));
                c.keywords.iter().for_each(|k| self.expr(&k.value));
                let saved = self.push(ScopeKind::Class, Some(c.name.as_str()));
                self.body(c.body);
                self.current = saved;
                self.bind(c.name.as_str(), end);
            }
            S::Assign(a) => {
                self.expr(&a.value);
                a.targets.iter().for_each(|t| self.target(t, end));
            }
            S::AnnAssign(a) => {
                a.value.iter().for_each(|v| self.expr(v));
                // `x: int` alone binds nothing at run time.
                if a.value.is_some() {
                    self.target(&a.target, end);
                } else if !matches!(a.target.kind(), ast::ExprKind::Name(_)) {
                    self.expr(&a.target);
                }
            }
            S::AugAssign(a) => {
                self.expr(&a.value);
                if let ast::ExprKind::Name(n) = a.target.kind() {
                    self.load(n.id.as_str(), parse::range_of(&a.target).0);
                }
                self.target(&a.target, end);
            }
            S::For(f) | S::AsyncFor(f) => {
                self.expr(&f.iter);
                self.target(&f.target, parse::range_of(&f.target).0);
                self.body(f.body);
                self.body(f.orelse);
            }
            S::With(w) | S::AsyncWith(w) => {
                for item in w.items {
                    self.expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.target(v, parse::range_of(v).0);
                    }
                }
                self.body(w.body);
            }
            S::Try(t) | S::TryStar(t) => {
                self.body(t.body);
                for ast::ExceptHandler::ExceptHandler(h) in t.handlers {
                    h.type_.iter().for_each(|e| self.expr(e));
                    if let Some(name) = &h.name {
                        self.bind(name.as_str(), h.range.start().into());
                    }
                    self.body(h.body);
                }
                self.body(t.orelse);
                self.body(t.finalbody);
            }
            S::Import(i) => {
                for a in i.names {
                    let name = a
                        .asname
                        .as_ref()
                        .map_or_else(|| a.name.as_str().split('.').next().unwrap_or_default(), |n| n.as_str());
                    self.bind(name, start);
                }
            }
            S::ImportFrom(i) => {
                for a in i.names {
                    if a.name.as_str() == "*" {
                        self.scopes[self.current].star_import = true;
                    } else {
                        self.bind(a.asname.as_ref().unwrap_or(&a.name).as_str(), start);
                    }
                }
            }
            S::Global(g) => {
                for n in g.names {
                    self.scopes[self.current].globals.insert(n.as_str());
                }
            }
            S::Nonlocal(g) => {
                for n in g.names {
                    self.scopes[self.current].nonlocals.insert(n.as_str());
                }
            }
            S::Match(m) => {
                // Patterns are not kept: names they bind are unknown, so the scope is open.
                self.scopes[self.current].star_import = true;
                self.expr(&m.subject);
                for case in m.cases {
                    case.guard.iter().for_each(|e| self.expr(e));
                    self.body(case.body);
                }
            }
            S::If(i) => {
                self.expr(&i.test);
                self.body(i.body);
                self.body(i.orelse);
            }
            S::While(w) => {
                self.expr(&w.test);
                self.body(w.body);
                self.body(w.orelse);
            }
            S::Delete(d) => d.targets.iter().for_each(|t| self.target(t, start)),
            S::Return(_) | S::Raise(_) | S::Assert(_) | S::Expr(_) => parse::walk_stmt(self, stmt),
            S::TypeAlias(_) | S::Pass(_) | S::Break(_) | S::Continue(_) => {}
        }
    }

    /// An assignment target: names are bound at `at`, everything else is read.
    fn target(&mut self, t: &'a ast::Expr<'a>, at: usize) {
        match t.kind() {
            ast::ExprKind::Name(n) => self.bind(n.id.as_str(), at),
            ast::ExprKind::Tuple(e) | ast::ExprKind::List(e) => e.elts.iter().for_each(|x| self.target(x, at)),
            ast::ExprKind::Starred(s) => self.target(&s.value, at),
            _ => self.expr(t),
        }
    }

    fn expr(&mut self, e: &'a ast::Expr<'a>) {
        parse::Visitor::visit_expr(self, e);
    }

    /// The targets are bound from `start` on: the element is written before them.
    fn comprehension(&mut self, start: usize, gens: &'a [ast::Comprehension<'a>], elts: &[&'a ast::Expr<'a>]) {
        let Some(first) = gens.first() else { return };
        // The first iterable is evaluated outside the comprehension's scope.
        self.expr(&first.iter);
        let saved = self.push(ScopeKind::Comprehension, None);
        for (i, g) in gens.iter().enumerate() {
            if i > 0 {
                self.expr(&g.iter);
            }
            self.target(&g.target, start);
            g.ifs.iter().for_each(|x| self.expr(x));
        }
        elts.iter().for_each(|x| self.expr(x));
        self.current = saved;
    }

    /// Is the load a problem? None when it resolves.
    fn resolve(&self, load: &Load) -> Option<Kind> {
        let name = load.name.as_str();
        let mut cur = load.scope;
        // Still in code that runs where the load is written (not deferred into a function).
        let mut at_once = true;
        loop {
            let sc = &self.scopes[cur];
            if sc.globals.contains(name) {
                return self.resolve_module(name, load.offset, at_once && sc.kind != ScopeKind::Function);
            }
            if sc.nonlocals.contains(name) {
                return None;
            }
            match sc.kind {
                ScopeKind::Module => return self.resolve_module(name, load.offset, at_once),
                ScopeKind::Class if cur == load.scope => {
                    if sc.bound.get(name).is_some_and(|&b| b < load.offset) || sc.star_import {
                        return None;
                    }
                }
                ScopeKind::Class => {}
                ScopeKind::Function | ScopeKind::Comprehension => {
                    if let Some(&b) = sc.bound.get(name) {
                        let ordered = at_once || cur == load.scope;
                        return (ordered && b > load.offset && !sc.star_import).then_some(Kind::UsedBeforeAssignment);
                    }
                    if sc.star_import {
                        return None;
                    }
                    if sc.kind == ScopeKind::Function {
                        at_once = false;
                    }
                }
            }
            cur = sc.parent?;
        }
    }

    fn resolve_module(&self, name: &str, offset: usize, at_once: bool) -> Option<Kind> {
        let m = &self.scopes[0];
        match m.bound.get(name) {
            Some(&b) if at_once && b > offset && !is_builtin(name) && !m.star_import => {
                Some(Kind::UsedBeforeAssignment)
            }
            Some(_) => None,
            None if is_builtin(name) || m.star_import => None,
            None => Some(Kind::Undefined),
        }
    }
}

impl<'a> parse::Visitor<'a> for Walker<'a> {
    fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
        self.stmt(stmt);
    }

    fn visit_expr(&mut self, e: &'a ast::Expr<'a>) {
        use ast::ExprKind as E;
        match e.kind() {
            E::Name(n) => match n.ctx {
                ast::ExprContext::Load => self.load(n.id.as_str(), parse::range_of(e).0),
                _ => self.bind(n.id.as_str(), parse::range_of(e).0),
            },
            E::Lambda(l) => {
                self.args(l.args);
                let saved = self.push(ScopeKind::Function, None);
                self.bind_params(l.args, parse::range_of(e).0);
                self.expr(&l.body);
                self.current = saved;
            }
            E::ListComp(c) | E::SetComp(c) | E::GeneratorExp(c) => {
                self.comprehension(parse::range_of(e).0, c.generators, &[&c.elt])
            }
            E::DictComp(c) => self.comprehension(parse::range_of(e).0, c.generators, &[&c.key, &c.value]),
            E::NamedExpr(n) => {
                self.expr(&n.value);
                if let E::Name(t) = n.target.kind() {
                    self.walrus = true;
                    self.bind(t.id.as_str(), parse::range_of(e).1);
                    self.walrus = false;
                }
            }
            E::Attribute(a) => {
                if is_private(a.attr.as_str()) && self.scopes[self.current].mangle.is_none() {
                    self.private_attrs_outside_class
                        .push((a.attr.as_str(), parse::range_of(e).0));
                }
                self.expr(&a.value);
            }
            _ => parse::walk_expr(self, e),
        }
    }
}

mod builtins;
use builtins::is_builtin;

#[cfg(test)]
mod tests;
