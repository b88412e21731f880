//! What the walk asks of a class or function: is it local, where it is defined, its
//! qualified name, and what its `__getstate__` keeps.

use super::Checker;
use crate::analysis::eval::Origin;
use crate::analysis::index::{keyword_offset, ClassId};
use crate::python::parse::{self, ast};

impl<'a> Checker<'a, '_> {
    /// A class made inside a function, unless the code installs it under its own name
    /// (`global Name` before it, or a `__qualname__` of its own).
    pub(super) fn is_local_class(&self, c: ClassId) -> bool {
        let info = &self.index.classes[c];
        info.local && !info.class_attrs.contains_key("__qualname__")
    }

    /// The class's `__getattr__` when loading an instance recurses forever: it reads an
    /// attribute of `self` (missing while the object is rebuilt, so `__getattr__` runs again)
    /// with no test of the name first, and no `__setstate__` or `__reduce__` takes over.
    pub(super) fn recursive_getattr(&self, class: ClassId) -> Option<crate::analysis::index::FuncId> {
        let getattr = self.ev.method(class, "__getattr__")?;
        let custom = ["__setstate__", "__reduce__", "__reduce_ex__"];
        if custom.iter().any(|m| self.ev.method(class, m).is_some()) {
            return None;
        }
        let def = &self.index.funcs[getattr].def;
        let params = def.params();
        let (this, name) = (params.first()?.arg.as_str(), params.get(1)?.arg.as_str());
        let reads = crate::python::names::getattr_self_reads(def.body, this);
        (!reads.is_empty() && !tests_name(def.body, name)).then_some(getattr)
    }

    pub(super) fn class_origin(&self, c: ClassId) -> Origin {
        let info = &self.index.classes[c];
        let text = self.index.project.modules[info.module].source.text();
        let start = parse::range_of(info.def).0;
        Origin {
            module: info.module,
            offset: keyword_offset(text, start, info.def.decorator_list, "class"),
        }
    }

    pub(super) fn func_origin(&self, f: crate::analysis::index::FuncId) -> Origin {
        let info = &self.index.funcs[f];
        let text = self.index.project.modules[info.module].source.text();
        Origin {
            module: info.module,
            offset: keyword_offset(text, info.def.start(), info.def.decorators, "def"),
        }
    }

    /// `__qualname__` of a lambda: the enclosing function's, plus `<locals>.<lambda>`.
    pub(super) fn lambda_qualname(&self, origin: Origin) -> String {
        let enclosing = self
            .index
            .funcs
            .iter()
            .filter(|f| f.module == origin.module)
            .filter(|f| {
                let (a, b) = (f.def.start(), usize::from(f.def.range.end()));
                a <= origin.offset && origin.offset < b
            })
            .max_by_key(|f| f.def.start());
        match enclosing {
            Some(f) => format!("{}.<locals>.<lambda>", f.qualname),
            None => "<lambda>".into(),
        }
    }

    /// For a type named after the function that made it (`python = "itertools.{class}"`, with
    /// no open-mode table), the class is that function's name.
    pub(super) fn class_from_constructor(&self, o: &crate::analysis::eval::Obj) -> Option<String> {
        let t = self.catalog.ty(o.ty);
        (t.python.contains("{class}") && t.mode_classes.is_empty())
            .then(|| o.ctor.rsplit('.').next().unwrap_or(&o.ctor).to_string())
    }

    /// What a class's pickled state holds: everything, unless `__getstate__` drops attributes.
    pub(super) fn state_policy(&self, class: ClassId) -> StatePolicy {
        let Some(getstate) = self.ev.method(class, "__getstate__") else {
            return StatePolicy::default();
        };
        let body = self.index.funcs[getstate].def.body;
        let mut policy = StatePolicy::default();
        struct Scan<'p> {
            p: &'p mut StatePolicy,
            copies_all: bool,
        }
        impl<'a> parse::Visitor<'a> for Scan<'_> {
            fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
                match expr.kind() {
                    ast::ExprKind::Attribute(a) => {
                        let name = a.attr.as_str();
                        let on_self =
                            |e: &ast::Expr| matches!(e.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "self");
                        if name == "__dict__" || name == "__getstate__" {
                            self.copies_all = true;
                        } else if on_self(&a.value) {
                            self.p.kept.push(name.to_string());
                        } else if let ast::ExprKind::Attribute(inner) = a.value.kind() {
                            if on_self(&inner.value) {
                                if matches!(inner.attr.as_str(), "__dict__" | "__getstate__") {
                                    self.copies_all = true;
                                }
                                // `self.fh.name` keeps a property of `fh`, not the handle itself.
                                return;
                            }
                        }
                    }
                    ast::ExprKind::Name(n) if n.id.as_str() == "vars" => self.copies_all = true,
                    ast::ExprKind::Constant(_) => {
                        if let Some(s) = parse::str_literal(expr) {
                            self.p.dropped.push(s.to_string());
                        }
                    }
                    _ => {}
                }
                parse::walk_expr(self, expr);
            }
        }
        let mut scan = Scan {
            p: &mut policy,
            copies_all: false,
        };
        parse::walk_body(&mut scan, body);
        policy.explicit = !scan.copies_all;
        policy
    }
}

#[derive(Default)]
pub(super) struct StatePolicy {
    dropped: Vec<String>,
    kept: Vec<String>,
    /// `__getstate__` builds its state from named attributes only (no `__dict__` copy).
    explicit: bool,
}

impl StatePolicy {
    pub(super) fn keeps(&self, name: &str) -> bool {
        if self.dropped.iter().any(|d| d == name) {
            return false;
        }
        !self.explicit || self.kept.iter().any(|k| k == name)
    }
}

/// Does the body look at the requested name before delegating (`name.startswith("_")`,
/// `name in (...)`, `name == "..."`)? Then it can refuse the lookups unpickling makes.
fn tests_name(body: &[ast::Stmt], name: &str) -> bool {
    struct Tests<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> parse::Visitor<'a> for Tests<'_> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            let is_name = |e: &ast::Expr| matches!(e.kind(), ast::ExprKind::Name(n) if n.id.as_str() == self.name);
            match expr.kind() {
                ast::ExprKind::Compare(c) if is_name(&c.left) || c.comparators.iter().any(is_name) => self.found = true,
                ast::ExprKind::Call(c) => {
                    if let ast::ExprKind::Attribute(a) = c.func.kind() {
                        if is_name(&a.value) && matches!(a.attr.as_str(), "startswith" | "endswith") {
                            self.found = true;
                        }
                    }
                }
                _ => {}
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut tests = Tests { name, found: false };
    parse::walk_body(&mut tests, body);
    tests.found
}
