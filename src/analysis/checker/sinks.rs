//! Sink discovery: the calls that pickle (`SinkHit`), found among the call sites whose name looks
//! like a sink and resolved through the evaluator, with the start method in force at each; and
//! the functions sent to workers as callables.

use super::Checker;
use crate::analysis::eval::Value;
use crate::config::settings::StartMethod;
use crate::python::parse::ast;

/// A call that pickles, with what it was resolved to.
pub struct SinkHit {
    pub site: usize,
    pub sink: usize,
    pub receiver: Option<Value>,
    /// The start-method semantics in force at this call: fork, spawn or forkserver.
    pub start: String,
    /// Display name: `multiprocessing.JoinableQueue.put`.
    pub call: String,
}

impl<'a, 'c> Checker<'a, 'c> {
    /// The argument expressions a sink sends to another process as callables.
    pub fn callable_args(&self, hit: &SinkHit) -> Vec<&'a ast::Expr<'a>> {
        let entry = &self.catalog.sinks[hit.sink];
        let call = self.index.calls[hit.site].call;
        entry
            .args
            .iter()
            .filter(|a| a.role == "callable")
            .filter_map(|arg| {
                let by_kw = arg.kw.as_deref().and_then(|kw| {
                    call.keywords
                        .iter()
                        .find(|k| k.arg.as_deref() == Some(kw))
                        .map(|k| &k.value)
                });
                by_kw.or_else(|| arg.pos.and_then(|p| call.args.get(p)))
            })
            .collect()
    }

    /// Functions sent to workers as callables, and every method called only from inside them:
    /// what those methods assign happens in the worker, after pickling.
    pub(super) fn worker_only_methods(&self) -> rustc_hash::FxHashSet<crate::analysis::index::FuncId> {
        let mut workers = rustc_hash::FxHashSet::default();
        for hit in &self.sinks {
            let frame = self.ev.site_frame(hit.site);
            for expr in self.callable_args(hit) {
                {
                    for v in self.ev.eval(&frame, expr) {
                        if let Value::Func(f) | Value::Bound(_, f) = v {
                            workers.insert(f);
                        }
                    }
                }
            }
        }
        let inside_worker = |scope: crate::analysis::index::Scope| {
            let mut s = scope;
            loop {
                match s {
                    crate::analysis::index::Scope::Func(f) if workers.contains(&f) => return true,
                    crate::analysis::index::Scope::Func(f) => s = self.index.funcs[f].parent,
                    crate::analysis::index::Scope::Module(_) => return false,
                }
            }
        };
        let mut out = rustc_hash::FxHashSet::default();
        for (id, f) in self.index.funcs.iter().enumerate() {
            if f.class.is_none() || f.def.name == "__init__" {
                continue;
            }
            let Some(sites) = self.index.calls_by_name.get(f.def.name) else {
                continue;
            };
            if !sites.is_empty() && sites.iter().all(|&s| inside_worker(self.index.calls[s].scope)) {
                out.insert(id);
            }
        }
        out
    }

    /// `set_start_method("spawn")` (or `os.environ.get(..., "spawn")`) anywhere in the code.
    pub(super) fn find_code_start_method(&self) -> Option<String> {
        let mut found: Vec<String> = Vec::new();
        let setters = &self.catalog.start_method.setters;
        let last_names: Vec<&str> = setters.iter().filter_map(|s| s.rsplit('.').next()).collect();
        for i in self.calls_named(&last_names) {
            let site = &self.index.calls[i];
            let frame = self.ev.site_frame(i);
            let callee = self.ev.eval(&frame, &site.call.func);
            if !callee
                .iter()
                .any(|v| matches!(v, Value::External(q) if setters.iter().any(|s| s == &**q)))
            {
                continue;
            }
            let arg = site.call.args.first().or_else(|| {
                site.call
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some("method"))
                    .map(|k| &k.value)
            });
            if let Some(m) = arg.and_then(|a| self.ev.literal_string(&frame, a)) {
                if StartMethod::parse(&m).is_some() && !found.contains(&m) {
                    found.push(m);
                }
            }
        }
        // Conflicting settings in one project: fall back to the configured semantics.
        (found.len() == 1).then(|| found.remove(0))
    }

    pub(super) fn sink_names(&self) -> rustc_hash::FxHashSet<&'c str> {
        let mut names = rustc_hash::FxHashSet::default();
        for s in &self.catalog.sinks {
            names.extend(s.methods.iter().map(String::as_str));
            names.extend(s.functions.iter().filter_map(|f| f.rsplit('.').next()));
        }
        names
    }

    /// The call sites whose callee's last name is one of `names`, in source order.
    pub(super) fn calls_named(&self, names: &[&str]) -> Vec<usize> {
        let mut sites: Vec<usize> = names
            .iter()
            .filter_map(|n| self.index.calls_by_name.get(n))
            .flatten()
            .copied()
            .collect();
        sites.sort_unstable();
        sites.dedup();
        sites
    }

    pub(super) fn find_sinks(&mut self) {
        let names: Vec<&str> = self.sink_names().into_iter().collect();
        for i in self.calls_named(&names) {
            let site = &self.index.calls[i];
            let frame = self.ev.site_frame(i);
            let callees = self
                .ev
                .bounded(SINK_CANDIDATE_STEPS, || self.ev.eval(&frame, &site.call.func));
            for callee in callees.unwrap_or_default() {
                self.match_sink(i, &callee);
            }
        }
    }

    pub(super) fn match_sink(&mut self, site: usize, callee: &Value) {
        let default_start = self.default_start();
        let mut hits: Vec<(usize, Option<Value>, String, String)> = Vec::new();
        match callee {
            Value::External(q) => {
                for &s in self.catalog.function_sinks(q) {
                    let start = self.call_start(site).unwrap_or_else(|| default_start.clone());
                    hits.push((s, None, start, q.to_string()));
                }
            }
            Value::BoundExt(recv, method) => match recv.as_ref() {
                Value::Obj(o) => {
                    for &s in self.catalog.method_sinks(o.ty, method) {
                        let start = o
                            .start
                            .as_deref()
                            .map(str::to_string)
                            .unwrap_or_else(|| default_start.clone());
                        hits.push((s, Some(recv.as_ref().clone()), start, format!("{}.{method}", o.ctor)));
                    }
                }
                Value::Instance(inst) => {
                    for ty in self.ev.external_types(inst.class) {
                        for &s in self.catalog.method_sinks(ty, method) {
                            let name = format!("{}.{method}", self.index.classes[inst.class].name);
                            hits.push((s, Some(recv.as_ref().clone()), default_start.clone(), name));
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
        for (sink, receiver, start, call) in hits {
            let entry = &self.catalog.sinks[sink];
            if !entry.start_methods.is_empty() && !entry.start_methods.contains(&start) {
                continue;
            }
            if self.sinks.iter().any(|h| h.site == site && h.sink == sink) {
                continue;
            }
            // Constructor sinks read best as their catalog name (`Process(target=...)`).
            let call = if entry.call.contains('(') {
                entry.call.clone()
            } else {
                call
            };
            self.sinks.push(SinkHit {
                site,
                sink,
                receiver,
                start,
                call,
            });
        }
    }

    /// `mp_context=get_context("fork")` on a function sink such as `ProcessPoolExecutor(...)`.
    pub(super) fn call_start(&self, site: usize) -> Option<String> {
        let frame = self.ev.site_frame(site);
        self.ev
            .context_keyword(&frame, self.index.calls[site].call)
            .map(|s| s.to_string())
    }
}

/// Evaluation steps one call whose name looks like a sink (`x.map`, `y.start`) may take to
/// find out what it calls. A real sink resolves in a few thousand at most (the whole standard
/// library's sinks take 160,000 together); an expression deep in a large library can take
/// millions (pydantic, sympy), and would otherwise eat the budget of the whole analysis.
const SINK_CANDIDATE_STEPS: u64 = 250_000;
