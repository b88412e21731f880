//! What rebuilding a handle in the receiving process must respect: a method that reads a value
//! picklefix cannot rebuild (no placeholder None then), and files opened for writing, which are
//! reopened for appending so the receiver does not truncate what the sender wrote.

use super::FixContext;
use crate::analysis::index::{ClassId, FuncId};
use crate::python::parse::{self, ast};

/// The first method of the class, other than the ones that make or pickle the object, that
/// mentions `self.attr` without testing it for None first: code the receiving process may run.
pub fn read_by<'a>(ctx: &FixContext<'_, 'a, '_>, class_id: ClassId, attr: &str) -> Option<&'a str> {
    let class = &ctx.index.classes[class_id];
    let mut methods: Vec<(&&str, &FuncId)> = class.methods.iter().collect();
    methods.sort();
    methods.into_iter().find_map(|(&name, &f)| {
        if matches!(
            name,
            "__init__" | "__new__" | "__getstate__" | "__setstate__" | "__reduce__" | "__reduce_ex__" | "__del__"
        ) {
            return None;
        }
        let info = &ctx.index.funcs[f];
        let def = &info.def;
        let this = def.params().first().map(|p| p.arg.as_str())?;
        let text = &ctx.text(info.module)[def.start()..usize::from(def.range.end())];
        let value = format!("{this}.{attr}");
        let tests_none = [
            format!("{value} is None"),
            format!("{value} is not None"),
            format!("if {value}:"),
            format!("if not {value}"),
        ]
        .iter()
        .any(|t| text.contains(t.as_str()));
        (!tests_none && crate::python::names::getattr_self_reads(def.body, this).contains(&attr)).then_some(name)
    })
}

/// Reopening a file opened for writing must not truncate what the sending process wrote: the
/// literal mode of an `open(...)` in a statement that is run again says `a` where it said `w`.
pub fn append_modes(text: &str, stmt: &ast::Stmt) -> Vec<(usize, usize, String)> {
    struct Modes<'t> {
        text: &'t str,
        out: Vec<(usize, usize, String)>,
    }
    impl<'a> parse::Visitor<'a> for Modes<'_> {
        fn visit_expr(&mut self, e: &'a ast::Expr<'a>) {
            if let ast::ExprKind::Call(c) = e.kind() {
                let callee = parse::dotted_name(&c.func).unwrap_or_default();
                if matches!(
                    callee.as_str(),
                    "open" | "io.open" | "codecs.open" | "gzip.open" | "bz2.open" | "lzma.open"
                ) {
                    let mode = c
                        .keywords
                        .iter()
                        .find(|k| k.arg.as_deref() == Some("mode"))
                        .map(|k| &k.value)
                        .or(c.args.get(1));
                    if let Some(m) = mode {
                        if let ast::ExprKind::Constant(k) = m.kind() {
                            if let ast::Constant::Str(v) = k.value {
                                let (x, y) = parse::range_of(m);
                                let lit = &self.text[x..y];
                                if v.contains('w') && lit.matches('w').count() == 1 {
                                    self.out.push((x, y, lit.replace('w', "a")));
                                }
                            }
                        }
                    }
                }
            }
            parse::walk_expr(self, e);
        }
    }
    let mut m = Modes { text, out: Vec::new() };
    parse::Visitor::visit_stmt(&mut m, stmt);
    m.out
}
