//! PF501: a worker reads a module global that the parent process sets at run time.

use super::Check;
use crate::analysis::checker::Checker;
use crate::analysis::eval::{Frame, Value};
use crate::analysis::finding::{Finding, FixFacts};
use crate::analysis::index::{FuncId, Scope};
use crate::analysis::project::ModId;
use crate::base::diagnostic::{display_path, Diagnostic, Location, SinkLocation, Span};
use crate::python::parse::{self, ast};

crate::declare_rule! {
    /// ## What it does
    /// Finds functions sent to worker processes (a `Pool.map` function, a `Process` target, an
    /// executor task) that read a module-level global which the parent changes at run time: in a
    /// function that declares it `global`, by assigning `module.NAME = ...`, or under
    /// `if __name__ == "__main__":`.
    ///
    /// ## Why is this bad?
    /// Under `fork` the worker inherits the parent's memory, so it sees the new value. Under
    /// `spawn` and `forkserver` (macOS, Windows, and Linux from Python 3.14 on) the worker imports
    /// the module afresh and sees the value the module sets at import time (often `None`), or a
    /// `NameError`. Nothing is pickled wrongly, so no pickling error points at the cause.
    ///
    /// ## Example
    /// ```python
    /// # settings.py
    /// SETTINGS = None
    ///
    /// def configure(path):
    ///     global SETTINGS
    ///     SETTINGS = load(path)
    ///
    /// # main.py
    /// settings.configure(args.settings)
    /// with multiprocessing.Pool(2) as pool:
    ///     pool.map(render_tile, jobs)  # render_tile reads settings.SETTINGS
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// with multiprocessing.Pool(2, initializer=settings.configure, initargs=(args.settings,)) as pool:
    ///     pool.map(render_tile, jobs)
    /// ```
    ///
    /// ## Fix safety
    /// When the parent sets the global by calling a function (`settings.configure(path)`)
    /// before making the pool, the fix adds `initializer=settings.configure,
    /// initargs=(path,)` to that pool, so every worker runs it too. Unsafe: the function then
    /// runs once per worker (its side effects repeat) and its arguments are pickled. Globals set
    /// under the main guard, or by plain assignment from another module, get no automatic fix.
    pub static RULE = {
        code: "PF501",
        name: "runtime-global-read-by-worker",
        summary: "A worker reads a module global that the parent sets at run time",
        check: Check::Project(check),
    };
}

/// A global read by a worker function: the module, the name, and where it is written.
struct Write {
    module: ModId,
    offset: usize,
    func: Option<FuncId>,
}

pub fn check(c: &mut Checker) {
    let mut found = Vec::new();
    for (i, hit) in c.sinks.iter().enumerate() {
        if hit.start == "fork" {
            continue;
        }
        let initializers = initializer_functions(c, hit);
        let frame = &hit.frame;
        for expr in c.callable_args(hit) {
            for v in c.ev.eval(frame, expr) {
                let Value::Func(f) = v else { continue };
                if c.index.funcs[f].nested {
                    continue;
                }
                for (module, name) in globals_read(c, f) {
                    // Writes made in the worker itself (by the task, or a pool initializer) are
                    // not the parent's.
                    let writes: Vec<Write> = runtime_writes(c, module, &name)
                        .into_iter()
                        .filter(|w| {
                            w.func.is_none_or(|wf| {
                                wf != f && !initializers.contains(&wf) && !c.ev.in_worker(Scope::Func(wf))
                            })
                        })
                        .collect();
                    let Some(first) = writes.first() else { continue };
                    let latent = writes.iter().all(|w| rewrites_same_value(c, module, &name, w));
                    found.push((
                        i,
                        f,
                        module,
                        name.clone(),
                        first.module,
                        first.offset,
                        first.func,
                        latent,
                    ));
                }
            }
        }
    }
    found.sort_by_key(|x| (x.0, x.4, x.5));
    found.dedup_by_key(|x| (x.0, x.2, x.3.clone()));
    for (i, f, module, name, wmod, woff, writer, latent) in found {
        let mut diagnostic = diagnostic(c, i, f, module, &name, wmod, woff);
        diagnostic.latent = latent || c.sinks[i].latent;
        // The fix (run the writer in every worker) is made later, for shown findings only.
        let pool = match &c.sinks[i].receiver {
            Some(Value::Obj(pool)) => Some(pool.origin),
            _ => None,
        };
        let facts = writer
            .zip(pool)
            .map(|(writer, pool)| FixFacts::PoolInitializer { pool, writer });
        c.findings.push(Finding { diagnostic, facts });
    }
}

fn diagnostic(c: &Checker, i: usize, f: FuncId, module: ModId, name: &str, wmod: ModId, woff: usize) -> Diagnostic {
    let hit = &c.sinks[i];
    let site = &c.index.calls[hit.site];
    let file = &c.index.project.modules[site.module()].source;
    let (start, end) = parse::range_of(site.call);
    let (line, column) = file.line_col(start);
    let (end_line, end_column) = file.line_col(end);
    let wfile = &c.index.project.modules[wmod].source;
    let (wline, _) = wfile.line_col(woff);
    let module_name = c.index.project.modules[module].name();
    Diagnostic {
        code: RULE.code,
        message: format!(
            "`{}` runs in a worker started by `{}` and reads `{module_name}.{name}`, which the parent sets at run time; under {} the worker imports `{module_name}` afresh and sees the import-time value",
            c.index.funcs[f].qualname, hit.call, hit.start
        ),
        path: file.path.clone(),
        span: Span { line, column, end_line, end_column },
        attribute_path: None,
        origin: Some(Location { path: display_path(&wfile.path), line: wline }),
        origin_text: Some(wfile.line_text(wline).trim().to_string()),
        sink: Some(SinkLocation { path: display_path(&file.path), line, call: hit.call.clone() }),
        error: None,
        fix: None,
        help: Some("set the value in each worker: `Pool(initializer=..., initargs=...)`, or pass it as an argument".into()),
        latent: false,
    }
}

/// Module globals a function reads: bare names of its own module, and `module.NAME`.
fn globals_read(c: &Checker, f: FuncId) -> Vec<(ModId, String)> {
    struct Reads<'x, 'a, 'c> {
        c: &'x Checker<'a, 'c>,
        f: FuncId,
        out: Vec<(ModId, String)>,
    }
    impl<'x, 'a, 'c> parse::Visitor<'a> for Reads<'x, 'a, 'c> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            let info = &self.c.index.funcs[self.f];
            match expr.kind() {
                ast::ExprKind::Name(n) if matches!(n.ctx, ast::ExprContext::Load) => {
                    let name = n.id.as_str();
                    let module_scope = &self.c.index.modules[info.module].scope;
                    if !info.scope.bindings.contains_key(name) && module_scope.bindings.contains_key(name) {
                        self.out.push((info.module, name.to_string()));
                    }
                }
                ast::ExprKind::Attribute(a) => {
                    if let ast::ExprKind::Name(_) = a.value.kind() {
                        for v in self.c.ev.eval(&Frame::plain(Scope::Func(self.f)), &a.value) {
                            if let Value::Module(m) = v {
                                self.out.push((m, a.attr.to_string()));
                            }
                        }
                    }
                }
                _ => {}
            }
            parse::walk_expr(self, expr);
        }
        fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
            if !matches!(
                stmt,
                ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) | ast::Stmt::ClassDef(_)
            ) {
                parse::walk_stmt(self, stmt);
            }
        }
    }
    let mut v = Reads { c, f, out: Vec::new() };
    parse::walk_body(&mut v, c.index.funcs[f].def.body);
    v.out.sort();
    v.out.dedup();
    v.out
}

/// Where the parent changes `module.name` at run time.
fn runtime_writes(c: &Checker, module: ModId, name: &str) -> Vec<Write> {
    let mut out: Vec<Write> = c.index.modules[module]
        .runtime_writes
        .get(name)
        .map(|ws| {
            ws.iter()
                .map(|w| Write {
                    module,
                    offset: w.offset,
                    func: w.func,
                })
                .collect()
        })
        .unwrap_or_default();
    for (m, mi) in c.index.modules.iter().enumerate() {
        for w in mi.attr_writes.iter().filter(|w| w.attr == name) {
            let base = c.ev.name(&Frame::plain(w.scope), w.base, w.offset);
            if base.iter().any(|v| matches!(v, Value::Module(x) if *x == module)) {
                let func = match w.scope {
                    Scope::Func(f) => Some(f),
                    Scope::Module(_) => None,
                };
                out.push(Write {
                    module: m,
                    offset: w.offset,
                    func,
                });
            }
        }
    }
    out
}

/// Does this write give the global, on every path we can decide, what it held at import
/// (`global backend; backend = namespace` with `namespace` the same module)? Then a worker that
/// imports the module afresh sees the same value, except on paths we cannot decide.
fn rewrites_same_value(c: &Checker, module: ModId, name: &str, w: &Write) -> bool {
    let Some(bindings) = c.index.modules[module].scope.bindings.get(name) else {
        return false;
    };
    let frame = Frame::plain(Scope::Module(module));
    let mut before = crate::analysis::eval::Vals::new();
    let mut written = None;
    for b in bindings {
        let Some(offset) = b.offset() else { continue };
        if offset as usize == w.offset {
            if let (crate::analysis::index::Binding::Value { expr, .. }, Some(wf)) = (b, w.func) {
                written = Some(c.ev.eval(&Frame::plain(Scope::Func(wf)), expr));
            }
        } else if offset as usize <= w.offset || w.func.is_some() {
            if let crate::analysis::index::Binding::Import { module: m, .. } = b {
                before.add(c.ev.module_value(m));
            }
        }
    }
    let _ = frame;
    let Some(written) = written else { return false };
    let same = |v: &Value| before.iter().any(|b| b.key() == v.key());
    !before.is_empty() && written.flagged().all(|(v, latent)| latent || same(v))
}

/// Functions the sink's own pool runs in every worker (`Pool(initializer=...)`).
fn initializer_functions(c: &Checker, hit: &crate::analysis::checker::SinkHit) -> Vec<FuncId> {
    let Some(Value::Obj(pool)) = &hit.receiver else {
        return Vec::new();
    };
    let Some(suite) = c.index.project.modules[pool.origin.module].suite() else {
        return Vec::new();
    };
    let Some(ctor) = crate::python::names::expr_at(suite, pool.origin.offset, |e| match e.kind() {
        ast::ExprKind::Call(call) => Some(call),
        _ => None,
    }) else {
        return Vec::new();
    };
    let Some(site) = c.index.calls.iter().position(|s| std::ptr::eq(s.call, ctor)) else {
        return Vec::new();
    };
    let frame = c.ev.site_frame(site);
    let mut out = Vec::new();
    for k in ctor.keywords.iter().filter(|k| k.arg.as_deref() == Some("initializer")) {
        let vals = c.ev.eval(&frame, &k.value);
        // `initializer=functools.partial(init, ...)` runs `init`.
        let inner = c.ev.elements(&vals);
        for v in vals.iter().chain(inner.iter()) {
            if let Value::Func(f) = v {
                out.push(*f);
            }
        }
    }
    out
}
