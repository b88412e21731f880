//! PF403: a pickle that Python 2 may have written is loaded without `encoding=`.

use super::Check;
use crate::analysis::checker::Checker;
use crate::base::diagnostic::{Applicability, Edit};
use crate::config::settings::LegacyPickles;
use crate::python::parse;
use crate::rules::migrate::{self, At, PickleCall};

crate::declare_rule! {
    /// ## What it does
    /// Reports `pickle.load(file)` (and `Unpickler(file)`) without an `encoding=` argument. With
    /// `[migration] legacy-pickles = true` it also reports `pickle.loads(data)`; with `false` it
    /// reports nothing. The default, `"auto"`, reports loads from files whose loaded value the code
    /// checks for a format version (`state["version"]`, `state.get("version")`, `obj.version`
    /// on the name the load is assigned to; `mylib.__version__` does not count): versioned
    /// data is meant to outlive program versions, so files written by the Python 2 version may
    /// still be on disk. `"auto"` leaves out loads in a module, class or function named like a
    /// cache (`cache.py`, `ResultCache`): caches can be cleared and rebuilt.
    ///
    /// ## Why is this bad?
    /// Python 2's `str` is bytes. Python 3 decodes it as ASCII by default, so a Python 2 pickle
    /// holding non-ASCII text, or objects that store 8-bit strings (`datetime`, `date`, `time`,
    /// numpy arrays), fails with `UnicodeDecodeError: 'ascii' codec can't decode byte ...` or
    /// `ValueError: year ... is out of range` — or loads with wrong values.
    ///
    /// ## Example
    /// ```python
    /// with open(path, "rb") as fh:
    ///     state = pickle.load(fh)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// with open(path, "rb") as fh:
    ///     state = pickle.load(fh, encoding="latin1")
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: `encoding="latin1"` maps Python 2 `str` byte for byte, which is right for
    /// `datetime` payloads and binary data, but text that Python 2 code stored as UTF-8 bytes then
    /// arrives as mojibake. `encoding="bytes"` is the alternative that keeps every Python 2 `str`
    /// as `bytes` (dictionary keys included). Pickles written by Python 3 are not affected by the
    /// argument.
    pub static RULE = {
        code: "PF403",
        name: "legacy-pickle-without-encoding",
        summary: "A pickle that Python 2 may have written is loaded without `encoding=`",
        check: Check::Beside(check),
    };
}

/// Does the loading function check a format version of what it loaded (`state["version"]`,
/// `state.get("version")`, `obj.version`, on the name the load is assigned to)? Versioned data
/// is meant to outlive program versions, so files written by the Python 2 version may still
/// be around. A `version` read on anything else (`parsl.__version__`) says nothing about it.
fn checks_a_version(c: &Checker, site: usize) -> bool {
    use crate::python::parse::ast::{Expr, ExprKind, Stmt};
    struct Find<'n> {
        loaded: Vec<&'n str>,
        found: bool,
    }
    impl<'a> crate::python::parse::Visitor<'a> for Find<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            let mentions = |t: &str| t.to_ascii_lowercase().contains("version");
            let literal = |e: &Expr| crate::python::parse::str_literal(e).is_some_and(mentions);
            let loaded = |e: &Expr| matches!(e.kind(), ExprKind::Name(n) if self.loaded.contains(&n.id.as_str()));
            match expr.kind() {
                ExprKind::Subscript(s) if loaded(&s.value) && literal(&s.slice) => self.found = true,
                ExprKind::Call(c)
                    if matches!(c.func.kind(), ExprKind::Attribute(a) if a.attr.as_str() == "get" && loaded(&a.value))
                        && c.args.first().is_some_and(literal) =>
                {
                    self.found = true
                }
                ExprKind::Attribute(a) if loaded(&a.value) && mentions(a.attr.as_str()) => self.found = true,
                _ => {}
            }
            crate::python::parse::walk_expr(self, expr);
        }
    }
    /// Names assigned from the expression holding the load (`state = pickle.load(fh)`), and
    /// from an unpickler's `load()` (`u = pickle.Unpickler(fh); state = u.load()`).
    struct Targets<'n> {
        at: (usize, usize),
        names: Vec<&'n str>,
    }
    impl<'a> crate::python::parse::Visitor<'a> for Targets<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt<'a>) {
            if let Stmt::Assign(a) = stmt {
                let (start, end) = parse::range_of(&a.value);
                let loads_from_unpickler = matches!(a.value.kind(), ExprKind::Call(c)
                    if matches!(c.func.kind(), ExprKind::Attribute(m) if m.attr.as_str() == "load"
                        && matches!(m.value.kind(), ExprKind::Name(n) if self.names.contains(&n.id.as_str()))));
                if (start <= self.at.0 && self.at.1 <= end) || loads_from_unpickler {
                    for t in a.targets {
                        if let ExprKind::Name(n) = t.kind() {
                            self.names.push(n.id.as_str());
                        }
                    }
                }
            }
            crate::python::parse::walk_stmt(self, stmt);
        }
    }
    let body: &[Stmt] = match c.index.calls[site].scope {
        crate::analysis::index::Scope::Func(f) => c.index.funcs[f].def.body,
        crate::analysis::index::Scope::Module(m) => c.index.project.modules[m].suite().unwrap_or(&[]),
    };
    let mut targets = Targets {
        at: parse::range_of(c.index.calls[site].call),
        names: Vec::new(),
    };
    crate::python::parse::walk_body(&mut targets, body);
    if targets.names.is_empty() {
        return false;
    }
    let mut f = Find {
        loaded: targets.names,
        found: false,
    };
    crate::python::parse::walk_body(&mut f, body);
    f.found
}

/// A load inside a module, class or function named like a cache: regenerable data.
fn in_a_cache(c: &Checker, site: usize) -> bool {
    let s = &c.index.calls[site];
    let is_cache = |name: &str| name.to_ascii_lowercase().contains("cache");
    if is_cache(c.index.project.modules[s.module()].name()) {
        return true;
    }
    let mut scope = s.scope;
    while let crate::analysis::index::Scope::Func(f) = scope {
        let info = &c.index.funcs[f];
        if is_cache(info.def.name) || info.class.is_some_and(|k| is_cache(c.index.classes[k].name)) {
            return true;
        }
        scope = info.parent;
    }
    false
}

pub fn check(c: &mut Checker) {
    let mode = c.settings.legacy_pickles;
    if mode == LegacyPickles::Off {
        return;
    }
    let mut found = Vec::new();
    for (site, kind, name) in migrate::pickle_calls(c) {
        let wanted = match kind {
            PickleCall::Load | PickleCall::Unpickler => true,
            PickleCall::Loads => mode == LegacyPickles::On,
            _ => false,
        };
        let call = c.index.calls[site].call;
        if !wanted
            || call
                .keywords
                .iter()
                .any(|k| k.arg.as_deref() == Some("encoding") || k.arg.is_none())
        {
            continue;
        }
        if mode == LegacyPickles::Auto && (in_a_cache(c, site) || !checks_a_version(c, site)) {
            continue;
        }
        let module = c.index.calls[site].module();
        let (start, end) = parse::range_of(call);
        let last = call
            .args
            .last()
            .map(|a| parse::range_of(a).1)
            .into_iter()
            .chain(call.keywords.iter().map(|k| parse::range_of(k).1))
            .max();
        let fix = last.map(|at| {
            let edit = Edit {
                start: at,
                end: at,
                content: ", encoding=\"latin1\"".into(),
            };
            migrate::fix(
                c,
                module,
                Applicability::Unsafe,
                "Load Python 2 strings as latin-1 (`encoding=\"latin1\"`)",
                vec![edit],
            )
        });
        let message = format!("`{name}` without `encoding=`: a pickle written by Python 2 fails to load or loads wrong values (its `str` are bytes)");
        let at = At {
            module,
            range: (start, end),
            origin: None,
            sink: Some(&name),
        };
        found.push(migrate::diagnostic(
            c,
            RULE.code,
            at,
            message,
            fix,
            "pass `encoding=\"latin1\"` (or `encoding=\"bytes\"` to keep Python 2 strings as bytes)",
        ));
    }
    c.report(found);
}
