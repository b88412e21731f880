//! Syntax helpers that more than one layer reads: the expression at an offset, the names a
//! piece of code reads or binds, the attributes a method reads from `self`. They look at the
//! tree of one module only (no index, no evaluation).

use std::collections::HashSet;

use crate::python::parse::{self, ast};

/// The innermost expression at `origin` that `pick` accepts.
pub fn expr_at<'a, T>(
    suite: &'a [ast::Stmt<'a>],
    offset: usize,
    pick: fn(&'a ast::Expr<'a>) -> Option<T>,
) -> Option<T> {
    struct Find<'a, T> {
        offset: usize,
        pick: fn(&'a ast::Expr<'a>) -> Option<T>,
        found: Option<T>,
    }
    impl<'a, T> parse::Visitor<'a> for Find<'a, T> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            let (a, b) = parse::range_of(expr);
            if a > self.offset || b <= self.offset {
                return;
            }
            if a == self.offset {
                if let Some(t) = (self.pick)(expr) {
                    self.found = Some(t);
                }
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut v = Find {
        offset,
        pick,
        found: None,
    };
    parse::walk_body(&mut v, suite);
    v.found
}

/// Names read in these nodes (loads only).
pub fn loaded_names<'a>(visit: impl FnOnce(&mut dyn parse::Visitor<'a>)) -> Vec<(&'a str, usize, usize)> {
    struct Names<'a> {
        out: Vec<(&'a str, usize, usize)>,
    }
    impl<'a> parse::Visitor<'a> for Names<'a> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            if let ast::ExprKind::Name(n) = expr.kind() {
                if matches!(n.ctx, ast::ExprContext::Load) {
                    let (a, b) = parse::range_of(expr);
                    self.out.push((n.id.as_str(), a, b));
                }
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut v = Names { out: Vec::new() };
    visit(&mut v);
    v.out
}

/// Names bound inside these nodes (assignment and loop targets, comprehension variables,
/// lambda parameters): they are not free there.
pub fn bound_names<'a>(visit: impl FnOnce(&mut dyn parse::Visitor<'a>)) -> HashSet<&'a str> {
    struct Bound<'a> {
        out: HashSet<&'a str>,
    }
    impl<'a> parse::Visitor<'a> for Bound<'a> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            match expr.kind() {
                ast::ExprKind::Name(n) if !matches!(n.ctx, ast::ExprContext::Load) => {
                    self.out.insert(n.id.as_str());
                }
                ast::ExprKind::Lambda(l) => {
                    let a = &l.args;
                    for p in a.posonlyargs.iter().chain(a.args).chain(a.kwonlyargs) {
                        self.out.insert(p.def.arg.as_str());
                    }
                    a.vararg.iter().chain(&a.kwarg).for_each(|p| {
                        self.out.insert(p.arg.as_str());
                    });
                }
                _ => {}
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut v = Bound { out: HashSet::new() };
    visit(&mut v);
    v.out
}

/// Attributes `__getattr__` reads from `self` (`self.obj`), other than ones every instance has.
pub fn getattr_self_reads<'a>(body: &'a [ast::Stmt<'a>], this: &str) -> Vec<&'a str> {
    struct Reads<'t, 'a> {
        this: &'t str,
        out: Vec<&'a str>,
    }
    impl<'a> parse::Visitor<'a> for Reads<'_, 'a> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            if let ast::ExprKind::Attribute(a) = expr.kind() {
                let on_self = matches!(a.value.kind(), ast::ExprKind::Name(n) if n.id.as_str() == self.this);
                let attr = a.attr.as_str();
                if on_self && !matches!(attr, "__dict__" | "__class__") && !self.out.contains(&attr) {
                    self.out.push(attr);
                }
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut reads = Reads { this, out: Vec::new() };
    parse::walk_body(&mut reads, body);
    reads.out
}

/// Does `body` mention `name` as a name or an attribute (`self.name`)?
pub fn mentions(body: &[ast::Stmt], name: &str) -> bool {
    find_mention(body, name, false)
}

/// Does `body` mention `name` as a name, an attribute, or a string (`getattr(self, "name")`)?
pub fn mentions_anywhere(body: &[ast::Stmt], name: &str) -> bool {
    find_mention(body, name, true)
}

fn find_mention(body: &[ast::Stmt], name: &str, strings: bool) -> bool {
    struct Find<'n> {
        name: &'n str,
        strings: bool,
        found: bool,
    }
    impl<'a> parse::Visitor<'a> for Find<'_> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            let hit = match expr.kind() {
                ast::ExprKind::Name(n) => n.id.as_str() == self.name,
                ast::ExprKind::Attribute(a) => a.attr.as_str() == self.name,
                _ => self.strings && parse::str_literal(expr) == Some(self.name),
            };
            self.found |= hit;
            if !self.found {
                parse::walk_expr(self, expr);
            }
        }
    }
    let mut f = Find {
        name,
        strings,
        found: false,
    };
    parse::walk_body(&mut f, body);
    f.found
}
