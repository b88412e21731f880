//! Sink discovery: the calls that pickle (`SinkHit`), found among the call sites whose name looks
//! like a sink and resolved through the evaluator in every call context the site runs in (see
//! `eval::contexts`), with the start method in force at each; and the functions sent to workers
//! as callables.

use rustc_hash::FxHashSet as HashSet;

use super::Checker;
use crate::analysis::eval::{Frame, Value};
use crate::analysis::index::{ClassId, FuncId, Scope};
use crate::config::settings::StartMethod;
use crate::python::parse::{self, ast};

/// A call that pickles, in one context it runs in, with what it was resolved to.
pub struct SinkHit<'a> {
    pub site: usize,
    pub sink: usize,
    pub receiver: Option<Value>,
    /// The start-method semantics in force at this call: fork, spawn or forkserver.
    pub start: String,
    /// Display name: `multiprocessing.JoinableQueue.put`.
    pub call: String,
    /// The frame the call runs in (its function's arguments from one call chain).
    pub frame: Frame<'a>,
    /// The call is a sink only on some undecided paths (a flag chose the pool, a caller's
    /// callee resolves here only sometimes).
    pub latent: bool,
    /// The sink is a project subclass's constructor with an `__init__` of its own: only
    /// keyword arguments map onto the sink's (`target=`, `args=`).
    pub keywords_only: bool,
}

impl<'a, 'c> Checker<'a, 'c> {
    /// The argument expressions a sink sends to another process as callables.
    pub fn callable_args(&self, hit: &SinkHit<'a>) -> Vec<&'a ast::Expr<'a>> {
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
                by_kw.or_else(|| arg.pos.filter(|_| !hit.keywords_only).and_then(|p| call.args.get(p)))
            })
            .collect()
    }

    /// Functions sent to workers as callables, and every function called only from inside them:
    /// what they do happens in the worker, after pickling.
    pub(super) fn worker_only_functions(&self) -> HashSet<FuncId> {
        let mut workers = HashSet::default();
        for hit in &self.sinks {
            for expr in self.callable_args(hit) {
                for v in self.ev.eval(&hit.frame, expr).iter() {
                    if let Value::Func(f) | Value::Bound(_, f) = v {
                        workers.insert(*f);
                    }
                }
            }
        }
        let inside_worker = |scope: Scope| {
            let mut s = scope;
            loop {
                match s {
                    Scope::Func(f) if workers.contains(&f) => return true,
                    Scope::Func(f) => s = self.index.funcs[f].parent,
                    Scope::Module(_) => return false,
                }
            }
        };
        let mut out = workers.clone();
        for (id, f) in self.index.funcs.iter().enumerate() {
            if f.def.name == "__init__" || out.contains(&id) {
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

    /// The start methods the code sets (`set_start_method("spawn")`), and which modules each
    /// setting governs: the module that sets it and the project modules it imports, directly
    /// or not (a script's `__main__` block sets it for the code it runs).
    pub(super) fn find_code_start_method(&self) -> CodeStart {
        let mut settings: Vec<(crate::analysis::project::ModId, String)> = Vec::new();
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
                if StartMethod::parse(&m).is_some() && !settings.contains(&(site.module(), m.clone())) {
                    settings.push((site.module(), m));
                }
            }
        }
        CodeStart::new(&settings, &self.index.project.modules)
    }

    pub(super) fn sink_names(&self) -> HashSet<&'c str> {
        let mut names = HashSet::default();
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

    /// Every call whose name looks like a sink, resolved in each context it runs in.
    /// Project classes that derive from a sink class (`class Worker(multiprocessing.Process)`),
    /// found by their bases' names first (cheap), then resolved.
    fn sink_classes(&self, names: &HashSet<&'c str>) -> Vec<&'a str> {
        let mut wanted: HashSet<&'a str> = HashSet::default();
        let mut grew = true;
        while grew {
            grew = false;
            for c in self.index.classes.iter() {
                if wanted.contains(c.name) {
                    continue;
                }
                let hits = c.def.bases.iter().any(|b| {
                    crate::analysis::index::last_name(b).is_some_and(|n| names.contains(n) || wanted.contains(n))
                });
                if hits {
                    wanted.insert(c.name);
                    grew = true;
                }
            }
        }
        wanted.into_iter().collect()
    }

    /// Calls through a name that may hold a sink under another name: a parameter or variable
    /// (`Worker(target=...)`, `P = multiprocessing.Process`), or an import of a sink under an
    /// alias (`from multiprocessing import Process as P`).
    fn calls_through_names(&self, names: &HashSet<&'c str>) -> Vec<usize> {
        use crate::analysis::index::Binding;
        // A parameter is only worth resolving when the call passes what a sink takes as a
        // callable by keyword (`target=`, `initializer=`): cheap to see, rare otherwise.
        let keywords: HashSet<&str> = self
            .catalog
            .sinks
            .iter()
            .flat_map(|s| s.args.iter())
            .filter(|a| a.role == "callable")
            .filter_map(|a| a.kw.as_deref())
            .collect();
        let alias_of_sink = |e: &ast::Expr| crate::analysis::index::last_name(e).is_some_and(|n| names.contains(n));
        let mut out = Vec::new();
        for (i, site) in self.index.calls.iter().enumerate() {
            let ast::ExprKind::Name(n) = site.call.func.kind() else {
                continue;
            };
            let name = n.id.as_str();
            if names.contains(name) {
                continue;
            }
            let mut scope = site.scope;
            let bindings = loop {
                if let Some(b) = self.index.scope_info(scope).bindings.get(name) {
                    break Some(b);
                }
                match scope {
                    Scope::Func(f) => scope = self.index.funcs[f].parent,
                    Scope::Module(_) => break None,
                }
            };
            let sink_keyword = site
                .call
                .keywords
                .iter()
                .any(|k| k.arg.as_ref().is_some_and(|a| keywords.contains(a.as_str())));
            let aliased = bindings.is_some_and(|bs| {
                bs.iter().any(|b| match b {
                    Binding::Value { expr, .. } => alias_of_sink(expr) || sink_keyword,
                    Binding::Param(_) | Binding::Iter { .. } | Binding::Enter { .. } => sink_keyword,
                    Binding::ImportFrom { name: original, .. } => names.contains(original.as_str()),
                    _ => false,
                })
            });
            if aliased {
                out.push(i);
            }
        }
        out
    }

    pub(super) fn find_sinks(&mut self) {
        let sink_names = self.sink_names();
        let mut names: Vec<&str> = sink_names.iter().copied().collect();
        names.extend(self.sink_classes(&sink_names));
        let mut candidates = self.calls_named(&names);
        candidates.extend(self.calls_through_names(&sink_names));
        candidates.sort_unstable();
        candidates.dedup();
        let project = self.index.project;
        for i in candidates {
            let site = &self.index.calls[i];
            // A fix-loop round reports the explicit files only: sinks elsewhere are not wanted.
            if project.focused && !project.modules[site.module()].explicit {
                continue;
            }
            let offset = parse::range_of(site.call).0;
            // Without a caller the callee stands for every caller's: if none of that can be a
            // sink, no context will make it one.
            let open = self.ev.bounded(SINK_CANDIDATE_STEPS, || {
                self.ev.eval(&self.ev.site_frame(i), &site.call.func)
            });
            // (When that ran out of steps, the contexts are tried all the same.)
            if open.is_some_and(|callees| !callees.iter().any(|c| self.may_be_sink(c))) {
                continue;
            }
            let contexts = self.ev.bounded(SINK_CANDIDATE_STEPS, || {
                self.ev.contexts(i, &|frame| {
                    let reach = self.ev.reachable(frame, offset);
                    match reach {
                        Some(latent) => {
                            // What it pickles counts too: its arguments may come from the caller.
                            for a in site.call.args {
                                self.ev.eval(frame, a);
                            }
                            for k in site.call.keywords {
                                self.ev.eval(frame, &k.value);
                            }
                            (self.ev.eval(frame, &site.call.func), latent)
                        }
                        None => (crate::analysis::eval::Vals::new(), false),
                    }
                })
            });
            for (ctx, (callees, path_latent)) in contexts.unwrap_or_default() {
                let _ = path_latent;
                for (callee, latent) in callees.flagged() {
                    self.match_sink(i, callee, &ctx.frame, latent || ctx.latent);
                }
            }
        }
    }

    /// Could this callee be a sink (before start methods and contexts are looked at)?
    fn may_be_sink(&self, callee: &Value) -> bool {
        match callee {
            Value::External(q) => !self.catalog.function_sinks(q).is_empty(),
            Value::Class(c) => self
                .ev
                .external_bases(*c)
                .iter()
                .any(|q| !self.catalog.function_sinks(q).is_empty()),
            Value::BoundExt(recv, method) => match recv.as_ref() {
                Value::Obj(o) => !self.catalog.method_sinks(o.ty, method).is_empty(),
                Value::Instance(inst) => self
                    .ev
                    .external_types(inst.class)
                    .into_iter()
                    .any(|ty| !self.catalog.method_sinks(ty, method).is_empty()),
                _ => false,
            },
            _ => false,
        }
    }

    fn match_sink(&mut self, site: usize, callee: &Value, frame: &Frame<'a>, latent: bool) {
        let default_start = self.default_start(self.index.calls[site].module());
        let mut hits: Vec<(usize, Option<Value>, String, String)> = Vec::new();
        let mut keywords_only = false;
        match callee {
            Value::External(q) => {
                for &s in self.catalog.function_sinks(q) {
                    let start = self.call_start(site, frame).unwrap_or_else(|| default_start.clone());
                    hits.push((s, None, start, q.to_string()));
                }
            }
            Value::Class(c) => {
                // A project subclass of a sink class: its constructor is that sink. With an
                // `__init__` of its own, its positions need not be the base's.
                keywords_only = self.ev.init_of(*c).is_some();
                for q in self.ev.external_bases(*c) {
                    for &s in self.catalog.function_sinks(&q) {
                        let start = self.call_start(site, frame).unwrap_or_else(|| default_start.clone());
                        hits.push((s, None, start, self.index.classes[*c].name.to_string()));
                    }
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
            let same = |h: &SinkHit| {
                h.site == site
                    && h.sink == sink
                    && h.frame.id() == frame.id()
                    && h.receiver.as_ref().map(Value::key) == receiver.as_ref().map(Value::key)
            };
            if let Some(h) = self.sinks.iter_mut().find(|h| same(h)) {
                h.latent &= latent;
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
                frame: frame.clone(),
                latent,
                keywords_only,
            });
        }
    }

    /// `mp_context=get_context("fork")` on a function sink such as `ProcessPoolExecutor(...)`.
    fn call_start(&self, site: usize, frame: &Frame<'a>) -> Option<String> {
        self.ev
            .context_keyword(frame, self.index.calls[site].call)
            .map(|s| s.to_string())
    }

    /// Classes registered with `copyreg.pickle(Class, reducer)`: their reducer pickles them.
    pub(super) fn registered(&self) -> &HashSet<ClassId> {
        self.registered.get_or_init(|| {
            let mut out = HashSet::default();
            for i in self.calls_named(&["pickle"]) {
                let site = &self.index.calls[i];
                let frame = self.ev.site_frame(i);
                let is_copyreg =
                    self.ev.eval(&frame, &site.call.func).iter().any(
                        |v| matches!(v, Value::External(q) if matches!(&**q, "copyreg.pickle" | "copy_reg.pickle")),
                    );
                if !is_copyreg {
                    continue;
                }
                if let Some(first) = site.call.args.first() {
                    for v in self.ev.eval(&frame, first).iter() {
                        if let Value::Class(c) = v {
                            out.insert(*c);
                        }
                    }
                }
            }
            out
        })
    }
}

/// Evaluation steps one call whose name looks like a sink (`x.map`, `y.start`) may take to
/// find out what it calls, over all its contexts. A real sink resolves in a few thousand at
/// most; an expression deep in a large library can take millions (pydantic, sympy), and would
/// otherwise eat the budget of the whole analysis.
const SINK_CANDIDATE_STEPS: u64 = 500_000;

/// Evaluation steps finding what one sink (in one context) pickles may take.
pub(super) const SINK_CHECK_STEPS: u64 = 300_000;

/// The start methods the code sets for itself (see `find_code_start_method`).
#[derive(Default)]
pub struct CodeStart {
    /// The one method the whole project sets, if it sets only one.
    global: Option<String>,
    /// Per module, the methods set by the modules that import it (or by itself).
    reaching: Vec<Vec<String>>,
}

impl CodeStart {
    fn new(settings: &[(usize, String)], modules: &[crate::analysis::project::ModuleFile]) -> Self {
        let mut reaching: Vec<Vec<String>> = vec![Vec::new(); modules.len()];
        for (from, method) in settings {
            let mut seen = vec![false; modules.len()];
            let mut stack = vec![*from];
            while let Some(m) = stack.pop() {
                if std::mem::replace(&mut seen[m], true) {
                    continue;
                }
                if !reaching[m].contains(method) {
                    reaching[m].push(method.clone());
                }
                stack.extend(modules[m].imports.iter().copied());
            }
        }
        let mut methods: Vec<&String> = settings.iter().map(|(_, m)| m).collect();
        methods.sort();
        methods.dedup();
        CodeStart {
            global: (methods.len() == 1).then(|| methods[0].clone()),
            reaching,
        }
    }

    /// The method in force in `module`: the one set by the code that imports it, else the
    /// project's only one. None: the code says nothing, or says different things.
    pub fn for_module(&self, module: usize) -> Option<&str> {
        match self.reaching.get(module).map(Vec::as_slice) {
            Some([one]) => Some(one),
            Some([]) | None => self.global.as_deref(),
            Some(_) => None,
        }
    }
}
