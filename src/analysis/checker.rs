//! The checker: finds pickling sinks in the parsed project, walks from what they pickle to the
//! values that cannot be pickled, and turns each (sink, leaf) pair into one finding. Rules with
//! their own checks (PF5xx) run afterwards over the same sinks.

use rustc_hash::FxHashMap as HashMap;

use crate::analysis::eval::{Eval, Frame, Origin, Value};
use crate::analysis::finding::{Finding, FixFacts, Leaf};
use crate::analysis::index::{keyword_offset, ClassId, Index};
use crate::analysis::rule::{Check, Rule};
use crate::base::diagnostic::{display_path, Diagnostic, Location, SinkLocation, Span};
use crate::config::catalog::{Catalog, SinkEntry, TypeId};
use crate::config::settings::{Settings, StartMethod};
use crate::python::parse::{self, ast};

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

pub struct Checker<'a, 'c> {
    pub ev: Eval<'a, 'c>,
    pub index: &'c Index<'a>,
    pub catalog: &'c Catalog,
    pub settings: &'c Settings,
    /// The rules to run (the table lives above the analysis: `lib.rs` hands it in).
    pub rules: &'c [&'c Rule],
    /// What the checks found so far (the walk's, then the rules').
    pub findings: Vec<Finding>,
    pub sinks: Vec<SinkHit>,
    /// Start method the code sets for itself, when it says so.
    pub code_start: Option<String>,
    /// The pickle calls of the project, resolved once (see `pickle_calls::find`).
    pub pickle_calls: std::cell::OnceCell<Vec<(usize, crate::analysis::pickle_calls::PickleCall, String)>>,
    /// Attributes removed before the sink being checked, by instance.
    killed: std::cell::RefCell<HashMap<(ClassId, Origin), Vec<String>>>,
}

impl Leaf {
    /// A leaf of type `ty` found where the walk state is.
    fn at(ty: TypeId, origin: Option<Origin>, s: &WalkState) -> Leaf {
        Leaf {
            ty,
            origin,
            path: s.path.clone(),
            direct: s.direct,
            via_bound_method: s.bound,
            owner: s.owner.clone(),
            callable: s.callable.clone(),
            qualname: None,
            class: None,
        }
    }
}

/// What one walk from a pickled value has seen. An instance reached again by a path no
/// shorter than before is not walked again: its leaves would only come with longer paths,
/// and a finding keeps the shortest path to each leaf. Without this, objects that share
/// sub-objects make the walk exponential in the depth.
#[derive(Default)]
struct WalkMemo {
    stack: Vec<ClassId>,
    shortest: HashMap<(u8, usize, usize), usize>,
}

impl WalkMemo {
    fn first_visit(&mut self, v: &Value, s: &WalkState) -> bool {
        let len = s.path.as_ref().map_or(0, String::len);
        match self.shortest.entry(v.key()) {
            std::collections::hash_map::Entry::Occupied(mut e) if *e.get() > len => {
                e.insert(len);
                true
            }
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(len);
                true
            }
        }
    }
}

#[derive(Clone)]
struct WalkState {
    path: Option<String>,
    direct: bool,
    bound: bool,
    owner: Option<(ClassId, String)>,
    callable: Option<String>,
    depth: usize,
}

impl<'a, 'c> Checker<'a, 'c> {
    pub fn new(index: &'c Index<'a>, catalog: &'c Catalog, settings: &'c Settings, rules: &'c [&'c Rule]) -> Self {
        let mut c = Checker {
            ev: Eval::new(index, catalog),
            index,
            catalog,
            settings,
            rules,
            findings: Vec::new(),
            sinks: Vec::new(),
            code_start: None,
            killed: std::cell::RefCell::new(HashMap::default()),
            pickle_calls: std::cell::OnceCell::new(),
        };
        c.code_start = c.find_code_start_method();
        c
    }

    /// Findings of a rule whose fixes (if any) are in the diagnostics already.
    pub fn report(&mut self, diags: impl IntoIterator<Item = Diagnostic>) {
        self.findings.extend(diags.into_iter().map(Finding::plain));
    }

    /// The start-method semantics for calls without a context of their own.
    pub fn default_start(&self) -> String {
        match (&self.code_start, self.settings.start_method) {
            (Some(m), _) => m.clone(),
            (None, m) => m.semantics().to_string(),
        }
    }

    /// Find the sinks, then walk them while the rules that do not need them run beside, on a
    /// checker of their own (the analysis is otherwise one thread: see `check_project`).
    /// With `parallel` false they run after the walk, on this thread, with the same results.
    pub fn run(&mut self, parallel: bool) {
        self.find_sinks();
        let workers = self.worker_only_methods();
        let (index, catalog, settings, rules) = (self.index, self.catalog, self.settings, self.rules);
        let beside_workers = workers.clone();
        let beside = move || {
            let mut other = Checker::new(index, catalog, settings, rules);
            other.ev.set_worker_only(beside_workers);
            for rule in rules {
                if let Check::Beside(check) = rule.check {
                    check(&mut other);
                }
            }
            (other.findings, python2_block_lines(index.project))
        };
        let (beside_diags, blocks) = std::thread::scope(|scope| {
            // Ok: the rules' thread; Err: the rules, to run here afterwards.
            let beside = if parallel {
                Ok(analysis_thread().spawn_scoped(scope, beside))
            } else {
                Err(beside)
            };
            self.ev.set_worker_only(workers);
            for i in 0..self.sinks.len() {
                self.check_sink(i);
            }
            for rule in self.rules {
                if let Check::Project(check) = rule.check {
                    check(self);
                }
            }
            match beside {
                Err(inline) => inline(),
                Ok(Ok(thread)) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Ok(Err(e)) => panic!("cannot start an analysis thread: {e}"),
            }
        });
        self.findings.extend(beside_diags);
        // Migration findings (PF4xx) inside a block only Python 2 runs are the Python 2 half of
        // a port that already works on both (`six`, `if sys.version_info[0] < 3:`).
        self.findings.retain(|f| {
            let d = &f.diagnostic;
            !d.code.starts_with("PF4")
                || !blocks
                    .get(d.path.as_path())
                    .is_some_and(|b| b.iter().any(|&(a, z)| a <= d.span.line && d.span.line <= z))
        });
    }

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
    fn worker_only_methods(&self) -> rustc_hash::FxHashSet<crate::analysis::index::FuncId> {
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
    fn find_code_start_method(&self) -> Option<String> {
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

    fn sink_names(&self) -> rustc_hash::FxHashSet<&'c str> {
        let mut names = rustc_hash::FxHashSet::default();
        for s in &self.catalog.sinks {
            names.extend(s.methods.iter().map(String::as_str));
            names.extend(s.functions.iter().filter_map(|f| f.rsplit('.').next()));
        }
        names
    }

    /// The call sites whose callee's last name is one of `names`, in source order.
    fn calls_named(&self, names: &[&str]) -> Vec<usize> {
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

    fn find_sinks(&mut self) {
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

    fn match_sink(&mut self, site: usize, callee: &Value) {
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
    fn call_start(&self, site: usize) -> Option<String> {
        let frame = self.ev.site_frame(site);
        self.ev
            .context_keyword(&frame, self.index.calls[site].call)
            .map(|s| s.to_string())
    }

    /// The values a sink pickles, with whether each is sent as a callable.
    fn pickled_values(&self, hit: &SinkHit) -> Vec<(Value, bool)> {
        let entry: &SinkEntry = &self.catalog.sinks[hit.sink];
        let call = self.index.calls[hit.site].call;
        let frame = self.ev.site_frame(hit.site);
        if let Some(kw) = &entry.requires_positive {
            let given = call.keywords.iter().find(|k| k.arg.as_deref() == Some(kw.as_str()));
            match given.map(|k| parse::int_literal(&k.value)) {
                None | Some(Some(0)) => return Vec::new(),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for arg in &entry.args {
            let exprs: Vec<&'a ast::Expr<'a>> = match arg.role.as_str() {
                "self" => {
                    if let Some(r) = &hit.receiver {
                        out.push((r.clone(), false));
                    }
                    continue;
                }
                "rest" | "rest-elements" => call.args.iter().skip(arg.pos.unwrap_or(0)).collect(),
                _ => {
                    let by_kw = arg.kw.as_deref().and_then(|kw| {
                        call.keywords
                            .iter()
                            .find(|k| k.arg.as_deref() == Some(kw))
                            .map(|k| &k.value)
                    });
                    let by_pos = arg.pos.and_then(|p| self.positional(hit, p));
                    by_kw.or(by_pos).into_iter().collect()
                }
            };
            for expr in exprs {
                let vals = self.ev.eval(&frame, expr);
                let vals = match arg.role.as_str() {
                    "elements" | "rest-elements" => self.ev.elements(&vals),
                    "element-args" => {
                        let rows = self.ev.elements(&vals);
                        let mut flat = self.ev.elements(&rows);
                        flat.extend(rows.into_iter().filter(|v| !matches!(v, Value::Container { .. })));
                        flat
                    }
                    "args" | "kwargs" => self.ev.elements(&vals),
                    _ => vals,
                };
                let callable = arg.role == "callable";
                out.extend(vals.into_iter().map(|v| (v, callable)));
            }
        }
        out
    }

    /// Positional argument `p` of the sink call (for a context method, positions are the same).
    fn positional(&self, hit: &SinkHit, p: usize) -> Option<&'a ast::Expr<'a>> {
        let call = self.index.calls[hit.site].call;
        call.args
            .get(p)
            .filter(|e| !matches!(e.kind(), ast::ExprKind::Starred(_)))
    }

    /// `del x.attr` or `x.attr = None` earlier in the same function: that attribute is gone.
    fn kills_before(&self, site: usize) -> Vec<(&'a ast::Expr<'a>, String)> {
        let s = &self.index.calls[site];
        let body: &'a [ast::Stmt<'a>] = match s.scope {
            crate::analysis::index::Scope::Func(f) => self.index.funcs[f].def.body,
            crate::analysis::index::Scope::Module(m) => self.index.project.modules[m].suite().unwrap_or(&[]),
        };
        let limit = parse::range_of(s.call).0;
        let mut kills: Vec<(&'a ast::Expr<'a>, String)> = Vec::new();
        struct Kills<'k, 'a> {
            limit: usize,
            kills: &'k mut Vec<(&'a ast::Expr<'a>, String)>,
        }
        impl<'k, 'a> parse::Visitor<'a> for Kills<'k, 'a> {
            fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
                if parse::range_of(stmt).0 >= self.limit {
                    return;
                }
                match stmt {
                    ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) | ast::Stmt::ClassDef(_) => {}
                    ast::Stmt::Delete(d) => d.targets.iter().for_each(|t| self.kill(t)),
                    ast::Stmt::Assign(a) if parse::is_none_literal(&a.value) => {
                        a.targets.iter().for_each(|t| self.kill(t))
                    }
                    _ => parse::walk_stmt(self, stmt),
                }
            }
            fn visit_expr(&mut self, _: &'a ast::Expr<'a>) {}
        }
        impl<'k, 'a> Kills<'k, 'a> {
            fn kill(&mut self, target: &'a ast::Expr<'a>) {
                if let ast::ExprKind::Attribute(a) = target.kind() {
                    self.kills.push((&a.value, a.attr.to_string()));
                }
            }
        }
        parse::walk_body(
            &mut Kills {
                limit,
                kills: &mut kills,
            },
            body,
        );
        kills
    }

    /// Instances (by class and where they were made) whose attributes are deleted or set to
    /// None before the sink, in the sink's function.
    fn killed_attrs(&self, site: usize) -> HashMap<(ClassId, Origin), Vec<String>> {
        let frame = self.ev.site_frame(site);
        let mut out: HashMap<(ClassId, Origin), Vec<String>> = HashMap::default();
        for (object, attr) in self.kills_before(site) {
            for v in self.ev.eval(&frame, object) {
                if let Value::Instance(inst) = v {
                    out.entry((inst.class, inst.origin)).or_default().push(attr.clone());
                }
            }
        }
        out
    }

    fn check_sink(&mut self, i: usize) {
        let hit = &self.sinks[i];
        let pickler = self.catalog.sinks[hit.sink].pickler.clone();
        let start = hit.start.clone();
        let mut leaves: Vec<Leaf> = Vec::new();
        // Leaves found before the budget runs out are kept: each is a real path.
        self.ev.bounded(SINK_CHECK_STEPS, || {
            let killed = self.killed_attrs(hit.site);
            *self.killed.borrow_mut() = killed;
            for (value, callable) in self.pickled_values(hit) {
                let state = WalkState {
                    path: None,
                    direct: true,
                    bound: false,
                    owner: None,
                    callable: None,
                    depth: 0,
                };
                let state = match (&value, callable) {
                    (Value::Bound(_, f), true) => {
                        let info = &self.index.funcs[*f];
                        WalkState {
                            bound: true,
                            callable: Some(info.qualname.clone()),
                            ..state
                        }
                    }
                    _ => state,
                };
                self.walk(&value, &pickler, &start, state, &mut WalkMemo::default(), &mut leaves);
            }
        });
        // One finding per leaf: a value with no origin (a module) is told apart by its path.
        let mut best: HashMap<(TypeId, Option<Origin>, Option<String>), Leaf> = HashMap::default();
        for leaf in leaves {
            let key = (
                leaf.ty,
                leaf.origin,
                leaf.origin.is_none().then(|| leaf.path.clone()).flatten(),
            );
            let shorter = best
                .get(&key)
                .is_none_or(|b| leaf.path.as_ref().map_or(0, String::len) < b.path.as_ref().map_or(0, String::len));
            if shorter {
                best.insert(key, leaf);
            }
        }
        let mut leaves: Vec<Leaf> = best.into_values().collect();
        leaves.sort_by_key(|l| (l.origin.map(|o| (o.module, o.offset)), l.path.clone()));
        for leaf in leaves {
            let diagnostic = self.diagnostic(i, &leaf);
            self.findings.push(Finding {
                diagnostic,
                facts: Some(FixFacts::Leaf(leaf)),
            });
        }
    }

    fn leaf(&self, ty_id: &str, origin: Option<Origin>, s: &WalkState, out: &mut Vec<Leaf>) {
        if let Some(ty) = self.catalog.type_id(ty_id) {
            out.push(Leaf::at(ty, origin, s));
        }
    }

    fn named_leaf(&self, ty_id: &str, origin: Option<Origin>, qualname: String, s: &WalkState, out: &mut Vec<Leaf>) {
        let before = out.len();
        self.leaf(ty_id, origin, s, out);
        if let Some(l) = out.get_mut(before) {
            l.qualname = Some(qualname);
        }
    }

    /// `__qualname__` of a lambda: the enclosing function's, plus `<locals>.<lambda>`.
    fn lambda_qualname(&self, origin: Origin) -> String {
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
    fn class_from_constructor(&self, o: &crate::analysis::eval::Obj) -> Option<String> {
        let t = self.catalog.ty(o.ty);
        (t.python.contains("{class}") && t.mode_classes.is_empty())
            .then(|| o.ctor.rsplit('.').next().unwrap_or(&o.ctor).to_string())
    }

    fn fails(&self, ty_id: &str, pickler: &str, start: &str) -> bool {
        self.catalog
            .type_id(ty_id)
            .is_some_and(|t| self.catalog.fails(t, pickler, self.settings.target_version, start))
    }

    fn walk(&self, v: &Value, pickler: &str, start: &str, s: WalkState, memo: &mut WalkMemo, out: &mut Vec<Leaf>) {
        if s.depth > 10 || self.ev.exhausted() {
            return;
        }
        let next = |s: &WalkState| WalkState {
            depth: s.depth + 1,
            ..s.clone()
        };
        match v {
            Value::Obj(o) => {
                if self.catalog.fails(o.ty, pickler, self.settings.target_version, start) {
                    out.push(Leaf {
                        ty: o.ty,
                        origin: Some(o.origin),
                        path: s.path.clone(),
                        direct: s.direct,
                        via_bound_method: s.bound,
                        owner: s.owner.clone(),
                        callable: s.callable.clone(),
                        qualname: None,
                        class: o
                            .class
                            .as_deref()
                            .map(str::to_string)
                            .or_else(|| self.class_from_constructor(o)),
                    });
                }
            }
            Value::Instance(inst) => {
                let class = &self.index.classes[inst.class];
                if class.local {
                    if self.fails("local-class", pickler, start) {
                        self.named_leaf(
                            "local-class",
                            Some(self.class_origin(inst.class)),
                            class.qualname.clone(),
                            &s,
                            out,
                        );
                    }
                    return;
                }
                if class.main_guard && self.fails("main-guard-class", pickler, start) {
                    let origin = Some(self.class_origin(inst.class));
                    self.named_leaf("main-guard-class", origin, class.qualname.clone(), &s, out);
                    return;
                }
                if memo.stack.contains(&inst.class) || !memo.first_visit(v, &s) {
                    return;
                }
                // `copy.deepcopy` leaves a class with its own `__deepcopy__` to it.
                if pickler == "deepcopy" && self.ev.method(inst.class, "__deepcopy__").is_some() {
                    return;
                }
                if let Some(getattr) = self.recursive_getattr(inst.class) {
                    if self.fails("getattr-recursion", pickler, start) {
                        // The fixer finds the `__getattr__` to guard by its qualified name.
                        let qualname = self.index.funcs[getattr].qualname.clone();
                        self.named_leaf("getattr-recursion", Some(inst.origin), qualname, &s, out);
                    }
                }
                let Some(policy) = self.state_policy(inst.class) else {
                    return;
                };
                memo.stack.push(inst.class);
                let root = s.path.clone().unwrap_or_else(|| class.name.to_string());
                let killed = self
                    .killed
                    .borrow()
                    .get(&(inst.class, inst.origin))
                    .cloned()
                    .unwrap_or_default();
                for name in self.ev.attr_names(inst.class) {
                    if !policy.keeps(name) || killed.iter().any(|k| k == name) {
                        continue;
                    }
                    let vals = self.ev.inst_attr(inst, name);
                    let child = WalkState {
                        path: Some(format!("{root}.{name}")),
                        direct: false,
                        owner: Some((inst.class, name.to_string())),
                        ..next(&s)
                    };
                    for val in &vals {
                        self.walk(val, pickler, start, child.clone(), memo, out);
                    }
                }
                memo.stack.pop();
            }
            Value::Container { slots, .. } => {
                let child = WalkState {
                    path: s.path.as_ref().map(|p| format!("{p}[*]")),
                    ..next(&s)
                };
                for slot in slots.iter() {
                    for val in slot {
                        self.walk(val, pickler, start, child.clone(), memo, out);
                    }
                }
            }
            Value::Bound(recv, f) => {
                let info = &self.index.funcs[*f];
                if info.nested && self.fails("nested-function", pickler, start) {
                    self.named_leaf(
                        "nested-function",
                        Some(self.func_origin(*f)),
                        info.qualname.clone(),
                        &s,
                        out,
                    );
                    return;
                }
                self.walk(recv, pickler, start, next(&s), memo, out);
            }
            Value::BoundExt(recv, _) => self.walk(recv, pickler, start, next(&s), memo, out),
            Value::Func(f) => {
                let info = &self.index.funcs[*f];
                if info.nested && self.ev.is_wrapper(*f) && self.fails("decorator-wrapper", pickler, start) {
                    self.named_leaf(
                        "decorator-wrapper",
                        Some(self.func_origin(*f)),
                        info.qualname.clone(),
                        &s,
                        out,
                    );
                } else if info.nested && self.fails("nested-function", pickler, start) {
                    self.named_leaf(
                        "nested-function",
                        Some(self.func_origin(*f)),
                        info.qualname.clone(),
                        &s,
                        out,
                    );
                } else if info.main_guard && self.fails("main-guard-function", pickler, start) {
                    self.named_leaf(
                        "main-guard-function",
                        Some(self.func_origin(*f)),
                        info.qualname.clone(),
                        &s,
                        out,
                    );
                }
            }
            Value::Class(c) => {
                let info = &self.index.classes[*c];
                let kind = if info.local {
                    "local-class"
                } else if info.main_guard {
                    "main-guard-class"
                } else {
                    return;
                };
                if self.fails(kind, pickler, start) {
                    self.named_leaf(kind, Some(self.class_origin(*c)), info.qualname.clone(), &s, out);
                }
            }
            Value::Lambda(o) => {
                let qualname = self.lambda_qualname(*o);
                if qualname != "<lambda>" {
                    if self.fails("lambda", pickler, start) {
                        self.named_leaf("lambda", Some(*o), qualname, &s, out);
                    }
                } else if self.fails("module-lambda", pickler, start) {
                    // Looked up by name in its module; a module with a main guard runs as __main__.
                    let m = &self.index.project.modules[o.module];
                    let guarded = m.suite().is_some_and(|b| {
                        b.iter()
                            .any(|st| matches!(st, ast::Stmt::If(i) if crate::analysis::index::is_main_guard(&i.test)))
                    });
                    let module = if guarded {
                        "__main__".to_string()
                    } else {
                        m.name().to_string()
                    };
                    self.named_leaf("module-lambda", Some(*o), module, &s, out);
                }
            }
            Value::Generator(o, _) => {
                if self.fails("generator", pickler, start) {
                    self.leaf("generator", Some(*o), &s, out);
                }
            }
            Value::Module(_) | Value::ExtModule(_) => {
                if self.fails("module", pickler, start) && s.path.is_some() {
                    self.leaf("module", None, &s, out);
                }
            }
            Value::External(_) => {}
        }
    }

    /// The class's `__getattr__` when loading an instance recurses forever: it reads an
    /// attribute of `self` (missing while the object is rebuilt, so `__getattr__` runs again)
    /// with no test of the name first, and no `__setstate__` or `__reduce__` takes over.
    fn recursive_getattr(&self, class: ClassId) -> Option<crate::analysis::index::FuncId> {
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

    fn class_origin(&self, c: ClassId) -> Origin {
        let info = &self.index.classes[c];
        let text = self.index.project.modules[info.module].source.text();
        let start = parse::range_of(info.def).0;
        Origin {
            module: info.module,
            offset: keyword_offset(text, start, info.def.decorator_list, "class"),
        }
    }

    fn func_origin(&self, f: crate::analysis::index::FuncId) -> Origin {
        let info = &self.index.funcs[f];
        let text = self.index.project.modules[info.module].source.text();
        Origin {
            module: info.module,
            offset: keyword_offset(text, info.def.start(), info.def.decorators, "def"),
        }
    }

    /// What a class's pickled state holds: everything, unless `__getstate__` drops attributes
    /// or `__reduce__` takes over (None: the class pickles itself; do not look inside).
    fn state_policy(&self, class: ClassId) -> Option<StatePolicy> {
        if self.ev.method(class, "__reduce__").is_some() || self.ev.method(class, "__reduce_ex__").is_some() {
            return None;
        }
        let Some(getstate) = self.ev.method(class, "__getstate__") else {
            return Some(StatePolicy::default());
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
        Some(policy)
    }

    fn diagnostic(&self, i: usize, leaf: &Leaf) -> Diagnostic {
        let hit = &self.sinks[i];
        let site = &self.index.calls[hit.site];
        let module = &self.index.project.modules[site.module()];
        let (start, end) = parse::range_of(site.call);
        let (line, column) = module.source.line_col(start);
        let (end_line, end_column) = module.source.line_col(end);
        let t = self.catalog.ty(leaf.ty);
        let version = self.settings.target_version;
        let class = leaf.class.as_deref().or(t.default_class.as_deref()).unwrap_or("?");
        let error = self
            .catalog
            .error_text(leaf.ty, version)
            .replace("{qualname}", leaf.qualname.as_deref().unwrap_or("?"))
            .replace("{class}", class);
        let code = if leaf.via_bound_method && !leaf.direct {
            "PF204"
        } else if leaf.direct {
            t.direct_rule.as_deref().or(t.rule.as_deref()).unwrap_or("PF109")
        } else {
            t.rule.as_deref().unwrap_or("PF109")
        };
        let code = crate::analysis::rule::by_code(self.rules, code).map_or("PF109", |r| r.code);
        let python = if t.python.is_empty() {
            String::new()
        } else {
            format!(" (`{}`)", t.python.replace("{class}", class))
        };
        let message = match (&leaf.path, &leaf.callable) {
            (Some(path), Some(callable)) => {
                let root = path.split(['.', '[']).next().unwrap_or(path);
                format!("`{callable}` is sent to another process by `{}`, which pickles `{root}`, but `{path}` holds {}{python}: {error}", hit.call, t.label)
            }
            (Some(path), None) => {
                let root = path.split(['.', '[']).next().unwrap_or(path);
                let verb = if t.fails_on_load { "unpickled" } else { "pickled" };
                format!(
                    "`{root}` is pickled by `{}` but `{path}` holds {}{python}, which cannot be {verb}: {error}",
                    hit.call, t.label
                )
            }
            (None, _) => format!("{} is pickled by `{}`: {error}", capitalize(&t.label), hit.call),
        };
        let origin = leaf.origin.map(|o| {
            let m = &self.index.project.modules[o.module];
            let (l, _) = m.source.line_col(o.offset);
            (
                Location {
                    path: display_path(&m.source.path),
                    line: l,
                },
                m.source.line_text(l).trim().to_string(),
            )
        });
        Diagnostic {
            code,
            message,
            path: module.source.path.clone(),
            span: Span {
                line,
                column,
                end_line,
                end_column,
            },
            attribute_path: leaf.path.clone(),
            origin: origin.as_ref().map(|o| o.0.clone()),
            origin_text: origin.map(|o| o.1),
            sink: Some(SinkLocation {
                path: display_path(&module.source.path),
                line,
                call: hit.call.clone(),
            }),
            error: Some(error),
            // Made from the leaf after the walk, for the findings that are shown (`lib.rs`).
            fix: None,
            help: Some(self.help(t.fix.as_str(), leaf)),
        }
    }

    fn help(&self, strategy: &str, leaf: &Leaf) -> String {
        let owner = leaf
            .owner
            .as_ref()
            .map(|(c, a)| (self.index.classes[*c].name, a.as_str()));
        match (strategy, owner) {
            ("getstate-drop-recreate", Some((class, attr))) => format!("add `__getstate__`/`__setstate__` to `{class}` that drop `{attr}` and recreate it in the receiving process"),
            ("getstate-drop", Some((class, attr))) => format!("add `__getstate__` to `{class}` that drops `{attr}` (the receiver does not need it)"),
            ("store-data-not-generator", Some((class, attr))) => format!("keep the data on `{class}` and build the generator for `{attr}` on demand"),
            ("hoist-callable", Some((class, attr))) => format!("store a module-level function in `{class}.{attr}` instead (use `functools.partial` for bound values)"),
            ("hoist-callable", None) => "move it to module level, binding closed-over values with `functools.partial`".into(),
            ("managed-queue", _) => "use a `multiprocessing.Manager().Queue()` proxy, or pass it through `Pool(initializer=..., initargs=...)`".into(),
            (_, Some((class, attr))) => format!("keep `{attr}` out of `{class}`'s pickled state (`__getstate__`), or create it in the worker"),
            _ => "create the value in the worker process instead of sending it".into(),
        }
    }
}

#[derive(Default)]
struct StatePolicy {
    dropped: Vec<String>,
    kept: Vec<String>,
    /// `__getstate__` builds its state from named attributes only (no `__dict__` copy).
    explicit: bool,
}

impl StatePolicy {
    fn keeps(&self, name: &str) -> bool {
        if self.dropped.iter().any(|d| d == name) {
            return false;
        }
        !self.explicit || self.kept.iter().any(|k| k == name)
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Evaluation steps one call whose name looks like a sink (`x.map`, `y.start`) may take to
/// find out what it calls. A real sink resolves in a few thousand at most (the whole standard
/// library's sinks take 160,000 together); an expression deep in a large library can take
/// millions (pydantic, sympy), and would otherwise eat the budget of the whole analysis.
const SINK_CANDIDATE_STEPS: u64 = 250_000;

/// Evaluation steps finding what one sink pickles may take. The standard library's largest
/// takes 72,000 and every scenario under 30,000; moto's DynamoDB models take millions.
const SINK_CHECK_STEPS: u64 = 300_000;

/// Lines (first, last) of the blocks only Python 2 runs, by file.
fn python2_block_lines(project: &crate::analysis::project::Project) -> HashMap<&std::path::Path, Vec<(usize, usize)>> {
    let mut blocks = HashMap::default();
    for m in &project.modules {
        let Some(suite) = m.suite() else { continue };
        let lines: Vec<(usize, usize)> = crate::analysis::pickle_calls::python2_blocks(suite)
            .into_iter()
            .map(|(a, b)| (m.source.line_col(a).0, m.source.line_col(b).0))
            .collect();
        if !lines.is_empty() {
            blocks.insert(m.source.path.as_path(), lines);
        }
    }
    blocks
}

/// A thread for the analysis: it recurses through the program's values, so it gets a large
/// stack (deep but bounded chains never overflow).
fn analysis_thread() -> std::thread::Builder {
    std::thread::Builder::new().stack_size(512 << 20)
}

/// Run the whole analysis over a loaded project.
/// The analysis recurses through the program's values; it runs on a thread with a large stack
/// so that deep (but bounded) chains never overflow. The sinks are walked on one thread on
/// purpose: values are cached as they are computed, and splitting the sinks between threads
/// changes what each cache has seen when a recursive chain is cut (measured: 60 ms faster on
/// the stdlib, but 30 deep findings changed). Rules that do not read the sinks run beside it
/// with a cache of their own (`Check::Beside`), which gives them the same results.
/// `pool` (threads with large stacks) indexes the modules in parallel. `finish` runs on the
/// analysis thread once every check is done, with the evaluator as the walk left it (its
/// caches warm) and every finding: it picks the findings to show and makes their fixes.
pub fn check_project<R: Send>(
    project: &crate::analysis::project::Project,
    catalog: &Catalog,
    settings: &Settings,
    pool: &rayon::ThreadPool,
    rules: &[&Rule],
    finish: impl FnOnce(&Eval, Vec<Finding>) -> R + Send,
) -> R {
    std::thread::scope(|scope| {
        let worker = analysis_thread().spawn_scoped(scope, || {
            let index = Index::build(project, pool);
            let mut checker = Checker::new(&index, catalog, settings, rules);
            checker.run(pool.current_num_threads() > 1);
            let findings = std::mem::take(&mut checker.findings);
            finish(&checker.ev, findings)
        });
        match worker.map(|w| w.join()) {
            Ok(Ok(out)) => out,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(e) => panic!("cannot start the analysis thread: {e}"),
        }
    })
}

/// Frame helper for rules: evaluate an expression at a call site.
pub fn frame_at<'a>(checker: &Checker<'a, '_>, site: usize) -> Frame<'a> {
    checker.ev.site_frame(site)
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
