//! PF406: `__getinitargs__`, which Python 3 never calls.

use super::Check;
use crate::analysis::checker::Checker;
use crate::base::diagnostic::{Applicability, Edit};

use crate::python::parse::{self, ast};
use crate::rules::migrate::{self, At};

crate::declare_rule! {
    /// ## What it does
    /// Finds classes that define `__getinitargs__`.
    ///
    /// ## Why is this bad?
    /// Only Python 2's old-style classes used it: unpickling called `__init__(*args)` with what it
    /// returned. Python 3 (and Python 2 new-style classes) ignore it and rebuild the object
    /// without calling `__init__`, so whatever `__init__` re-created on unpickling (a reopened
    /// file, a loaded word list, a fresh lock) is silently missing. `__getnewargs__` is no
    /// replacement: its arguments go to `__new__`.
    ///
    /// ## Example
    /// ```python
    /// class Tokenizer:
    ///     def __getinitargs__(self):
    ///         return (self.stopwords_path, self.min_length)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Tokenizer:
    ///     def __reduce__(self):
    ///         return (self.__class__, (self.stopwords_path, self.min_length), self.__dict__)
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the method becomes `__reduce__` returning the class, those arguments and the
    /// state (`self.__getstate__()` when the class has one, else `self.__dict__`), so unpickling
    /// calls `__init__(*args)` and then restores the state, as Python 2 old-style classes did.
    /// For a class that was new-style in Python 2 (`class X(object)`), `__init__` did not run
    /// there, so the behaviour changes. No finding when a `__reduce__` or `__reduce_ex__` of the
    /// class or a project base calls `__getinitargs__` (a port's bridge); no fix when one of
    /// them exists and does not, or when the class or a base has `__slots__` (instances have no
    /// `__dict__` to hand back).
    pub static RULE = {
        code: "PF406",
        name: "getinitargs-ignored",
        summary: "`__getinitargs__` is ignored by Python 3",
        check: Check::Beside(check),
    };
}

pub fn check(c: &mut Checker) {
    let mut found = Vec::new();
    for (cid, class) in c.index.classes.iter().enumerate() {
        let Some(&f) = class.methods.get("__getinitargs__") else {
            continue;
        };
        let info = &c.index.funcs[f];
        let module = info.module;
        let text = c.index.project.modules[module].source.text();
        let def_at = crate::analysis::index::keyword_offset(text, info.def.start(), info.def.decorators, "def");
        let mro = c.ev.mro(cid);
        let reducers: Vec<crate::analysis::index::FuncId> = mro
            .iter()
            .flat_map(|&k| {
                let m = &c.index.classes[k].methods;
                [m.get("__reduce__"), m.get("__reduce_ex__")]
            })
            .flatten()
            .copied()
            .collect();
        // A `__reduce__` that calls `__getinitargs__` (a port's backward-compatible bridge, or a
        // base class doing it for its subclasses): Python 3 uses the arguments after all.
        if reducers
            .iter()
            .any(|&r| crate::python::names::mentions_anywhere(c.index.funcs[r].def.body, "__getinitargs__"))
        {
            continue;
        }
        let has_reduce = !reducers.is_empty();
        let slotted = mro.iter().any(|&k| c.index.classes[k].slots.is_some());
        let state = if class.methods.contains_key("__getstate__") {
            "self.__getstate__()"
        } else {
            "self.__dict__"
        };
        let fix = (!has_reduce && !slotted)
            .then(|| rewrite(text, def_at, info.def.body, state))
            .flatten()
            .map(|edits| {
                migrate::fix(
                    c,
                    module,
                    Applicability::Unsafe,
                    format!("Rewrite `{}.__getinitargs__` as `__reduce__`", class.name),
                    edits,
                )
            });
        let line_end = text[def_at..].find(['\n', '\r']).map_or(text.len(), |i| def_at + i);
        let message = format!(
            "`{}.__getinitargs__` is never called by Python 3: unpickled objects skip `__init__`",
            class.name
        );
        let at = At {
            module,
            range: (def_at, line_end),
            origin: None,
            sink: None,
        };
        found.push(migrate::diagnostic(
            c,
            RULE.code,
            at,
            message,
            fix,
            "return `(self.__class__, args)` from `__reduce__`",
        ));
    }
    c.report(found);
}

/// Rename the method and make every `return X` in it return `(self.__class__, X, state)`:
/// Python 2 called `__init__(*X)` and then restored the pickled state, and so does this.
fn rewrite(text: &str, def_at: usize, body: &[ast::Stmt], state: &str) -> Option<Vec<Edit>> {
    struct Returns<'a> {
        found: Vec<Option<&'a ast::Expr<'a>>>,
    }
    impl<'a> parse::Visitor<'a> for Returns<'a> {
        fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
            match stmt {
                ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) | ast::Stmt::ClassDef(_) => {}
                ast::Stmt::Return(r) => self.found.push(r.value.as_ref()),
                _ => parse::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, _: &'a ast::Expr<'a>) {}
    }
    let name_at = def_at + text[def_at..].find("__getinitargs__")?;
    let mut edits = vec![Edit {
        start: name_at,
        end: name_at + "__getinitargs__".len(),
        content: "__reduce__".into(),
    }];
    let mut v = Returns { found: Vec::new() };
    parse::walk_body(&mut v, body);
    if v.found.is_empty() {
        return None;
    }
    for value in v.found {
        let value = value?;
        let (a, b) = parse::range_of(value);
        let wrapped = if matches!(value.kind(), ast::ExprKind::Tuple(_)) && !text[a..].starts_with('(') {
            format!("({})", &text[a..b])
        } else {
            text[a..b].to_string()
        };
        edits.push(Edit {
            start: a,
            end: b,
            content: format!("(self.__class__, {wrapped}, {state})"),
        });
    }
    Some(edits)
}
