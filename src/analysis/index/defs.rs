//! Functions and classes as the index records them: a function's parameters, returns and
//! scope; a class's methods, instance attributes (from every method), class attributes,
//! `__slots__`, dataclass fields, and whether it is local or under the main guard.

use rustc_hash::FxHashMap as HashMap;

use super::build::Builder;
use super::{Binding, ClassId, ClassInfo, FuncId, FunctionInfo, Scope, ScopeInfo};
use crate::python::parse::{self, ast, FuncDef};

impl<'i, 'a> Builder<'i, 'a> {
    pub(super) fn function(&mut self, def: FuncDef<'a>, class: Option<ClassId>) -> FuncId {
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

    pub(super) fn class(&mut self, c: &'a ast::StmtClassDef<'a>, offset: usize) {
        c.decorator_list.iter().for_each(|d| self.expr(d));
        c.bases.iter().for_each(|b| self.expr(b));
        // `global Name` before a class made in a function makes it a module-level class.
        let local = matches!(self.scope, Scope::Func(_)) && !self.scope_info().globals.contains(&c.name.as_str());
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
        self.bind(
            c.name.as_str(),
            Binding::Class {
                id,
                offset: offset as u32,
            },
        );
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
                    self.class(inner, parse::range_of(stmt).0);
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
