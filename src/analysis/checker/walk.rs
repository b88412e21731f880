//! The walk from what a sink pickles to the values that cannot be pickled: through containers,
//! instance attributes (the object's state at the pickling call), bound methods and
//! callables, honouring `__getstate__`, `__reduce__`, `copyreg` registrations and the pickler's
//! own abilities. One walk per sink and context; leaves are then grouped per sink.

use rustc_hash::FxHashMap as HashMap;

use super::around::Around;
use super::sinks::SINK_CHECK_STEPS;
use super::{Checker, SinkHit};
use crate::analysis::eval::{Origin, Point, Value};
use crate::analysis::finding::{Finding, FixFacts, Leaf};
use crate::analysis::index::ClassId;
use crate::config::catalog::{SinkEntry, TypeId};
use crate::python::parse::{self, ast};

/// What one walk from a pickled value has seen. An instance reached again by a path no
/// shorter than before is not walked again: its leaves would only come with longer paths,
/// and a finding keeps the shortest path to each leaf. Without this, objects that share
/// sub-objects make the walk exponential in the depth.
#[derive(Default)]
struct WalkMemo {
    stack: Vec<ClassId>,
    shortest: HashMap<(u8, usize, usize), (usize, bool)>,
}

impl WalkMemo {
    fn first_visit(&mut self, v: &Value, s: &WalkState) -> bool {
        let len = s.path.as_ref().map_or(0, String::len);
        match self.shortest.entry(v.key()) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let (best, latent) = *e.get();
                // A manifest path beats a latent one; then the shorter one wins.
                if (latent && !s.latent) || (latent == s.latent && best > len) {
                    e.insert((len, s.latent));
                    true
                } else {
                    false
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((len, s.latent));
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
    latent: bool,
    /// Walking what a task returns (pickled by the worker to send it back).
    returned: bool,
}

impl<'a, 'c> Checker<'a, 'c> {
    /// Walk every sink in every context; one finding per (sink call, leaf).
    pub(super) fn check_sinks(&mut self) {
        let mut groups: Vec<((usize, usize), Vec<usize>)> = Vec::new();
        for (i, h) in self.sinks.iter().enumerate() {
            match groups.iter_mut().find(|(k, _)| *k == (h.site, h.sink)) {
                Some((_, v)) => v.push(i),
                None => groups.push(((h.site, h.sink), vec![i])),
            }
        }
        for (_, hits) in groups {
            let around = self.around(self.sinks[hits[0]].site);
            if around == Around::Expected {
                continue;
            }
            let mut leaves = Vec::new();
            for &i in &hits {
                leaves.extend(self.sink_leaves(i));
            }
            if around == Around::Handled {
                for (_, l) in &mut leaves {
                    l.latent = true;
                }
            }
            for (i, leaf) in best_leaves(leaves, &hits) {
                let diagnostic = self.diagnostic(i, &leaf);
                self.findings.push(Finding {
                    diagnostic,
                    // A value a task returns is rewritten by hand (the task is the user's API).
                    facts: (!leaf.returned).then_some(FixFacts::Leaf(leaf)),
                });
            }
        }
    }

    /// The leaves one sink (in one context) reaches.
    fn sink_leaves(&self, i: usize) -> Vec<(usize, Leaf)> {
        let hit = &self.sinks[i];
        let pickler = self.catalog.sinks[hit.sink].pickler.clone();
        let start = hit.start.clone();
        let point = Point {
            frame: hit.frame.clone(),
            at: parse::range_of(self.index.calls[hit.site].call).0,
        };
        let mut leaves: Vec<Leaf> = Vec::new();
        if std::env::var_os("PICKLEFIX_DEBUG").is_some() {
            eprintln!(
                "sink {} at site {} frame {} latent {}",
                hit.call,
                hit.site,
                hit.frame.id(),
                hit.latent
            );
            for (v, c, l) in self.pickled_values(hit) {
                eprintln!("   value {v:?} callable {c} latent {l}");
            }
        }
        // Leaves found before the budget runs out are kept: each is a real path.
        self.ev.bounded(SINK_CHECK_STEPS, || {
            for (value, callable, latent) in self.pickled_values(hit) {
                let state = WalkState {
                    path: None,
                    direct: true,
                    bound: false,
                    owner: None,
                    callable: None,
                    depth: 0,
                    latent: latent || hit.latent,
                    returned: false,
                };
                let state = match (&value, callable) {
                    (Value::Bound(_, f), true) => WalkState {
                        bound: true,
                        callable: Some(self.index.funcs[*f].qualname.clone()),
                        ..state
                    },
                    // `getattr(self, name)`: a method of the object, whichever it is.
                    (Value::BoundExt(recv, name), true) => match recv.as_ref() {
                        Value::Instance(inst) => {
                            let class = self.index.classes[inst.class].name;
                            let callable = if &**name == "?" {
                                format!("getattr({class}(), ...)")
                            } else {
                                format!("{class}.{name}")
                            };
                            WalkState {
                                bound: true,
                                callable: Some(callable),
                                ..state
                            }
                        }
                        _ => state,
                    },
                    _ => state,
                };
                let mut memo = WalkMemo::default();
                let w = Walk {
                    c: self,
                    pickler: &pickler,
                    start: &start,
                    point: &point,
                };
                let before = leaves.len();
                w.walk(&value, state.clone(), &mut memo, &mut leaves);
                // Results come back only from a task that could be sent.
                if callable && leaves.len() == before && self.catalog.sinks[hit.sink].returns {
                    self.walk_results(&w, &value, &state, &mut leaves);
                }
            }
        });
        leaves.into_iter().map(|l| (i, l)).collect()
    }

    /// What a task sent to a pool returns is pickled in the worker to come back: walk it.
    fn walk_results(&self, w: &Walk<'_, 'a, 'c>, task: &Value, state: &WalkState, leaves: &mut Vec<Leaf>) {
        let f = match task {
            Value::Func(f) | Value::Bound(_, f) => *f,
            _ => return,
        };
        let info = &self.index.funcs[f];
        if info.nested || info.is_generator {
            // A nested task fails to be sent at all; a generator function's result is the
            // generator itself (found as such by the walk of the result below).
            if !info.is_generator {
                return;
            }
        }
        let results = if info.is_generator {
            crate::analysis::eval::Vals::one(Value::Generator(
                self.func_origin(f),
                std::rc::Rc::new(crate::analysis::eval::Vals::new()),
            ))
        } else {
            self.ev.returns(f)
        };
        let state = WalkState {
            returned: true,
            callable: Some(info.qualname.clone()),
            bound: false,
            ..state.clone()
        };
        for (v, latent) in results.flagged() {
            let s = WalkState {
                latent: state.latent || latent,
                ..state.clone()
            };
            w.walk(v, s, &mut WalkMemo::default(), leaves);
        }
    }

    /// `num_workers=N` on a data loader: None when it is 0 on every path (or left at its
    /// default, 0); Some(latent) when it can be positive — latent when only on some paths, or
    /// when it may come from a `**kwargs` we cannot read.
    fn positive_keyword(
        &self,
        frame: &crate::analysis::eval::Frame<'a>,
        call: &'a ast::ExprCall<'a>,
        kw: &str,
    ) -> Option<bool> {
        let given = call.keywords.iter().find(|k| k.arg.as_deref() == Some(kw));
        let Some(k) = given else {
            let spread = call.keywords.iter().any(|k| k.arg.is_none());
            return spread.then_some(true);
        };
        let vals = self.ev.eval(frame, &k.value);
        let zero = |v: &Value| {
            matches!(
                v.as_const(),
                Some(crate::analysis::eval::Const::Int(0) | crate::analysis::eval::Const::None)
            )
        };
        if !vals.is_empty() && vals.iter().all(zero) {
            return None;
        }
        let any_zero = vals.iter().any(zero);
        let positive_manifest = vals.flagged().any(|(v, latent)| !zero(v) && !latent);
        Some(any_zero || (!positive_manifest && !vals.is_empty()))
    }

    /// The values a sink pickles, each with whether it is sent as a callable and is latent.
    fn pickled_values(&self, hit: &SinkHit<'a>) -> Vec<(Value, bool, bool)> {
        let entry: &SinkEntry = &self.catalog.sinks[hit.sink];
        let call = self.index.calls[hit.site].call;
        let frame = &hit.frame;
        let mut all_latent = false;
        if let Some(kw) = &entry.requires_positive {
            match self.positive_keyword(frame, call, kw) {
                None => return Vec::new(),
                Some(latent) => all_latent = latent,
            }
        }
        let mut out = Vec::new();
        for arg in &entry.args {
            let exprs: Vec<&'a ast::Expr<'a>> = match arg.role.as_str() {
                "self" => {
                    if let Some(r) = &hit.receiver {
                        out.push((r.clone(), false, false));
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
                    let by_pos = arg.pos.filter(|_| !hit.keywords_only).and_then(|p| {
                        call.args
                            .get(p)
                            .filter(|e| !matches!(e.kind(), ast::ExprKind::Starred(_)))
                    });
                    by_kw.or(by_pos).into_iter().collect()
                }
            };
            for expr in exprs {
                let vals = self.ev.eval(frame, expr);
                let vals = match arg.role.as_str() {
                    "elements" | "rest-elements" => self.ev.elements(&vals),
                    "element-args" => {
                        let rows = self.ev.elements(&vals);
                        let mut flat = self.ev.elements(&rows);
                        let mut rest = rows;
                        rest.retain(|v| !matches!(v, Value::Container { .. }));
                        flat.extend(rest);
                        flat
                    }
                    "args" | "kwargs" => self.ev.elements(&vals),
                    _ => vals,
                };
                let callable = arg.role == "callable";
                out.extend(
                    vals.flagged()
                        .map(|(v, latent)| (v.clone(), callable, latent || all_latent)),
                );
            }
        }
        out
    }
}

/// One leaf per (type, origin) over all contexts of a sink: manifest before latent, then the
/// shortest path. A value with no origin (a module) is told apart by its path.
fn best_leaves(leaves: Vec<(usize, Leaf)>, hits: &[usize]) -> Vec<(usize, Leaf)> {
    let _ = hits;
    type Key = (TypeId, Option<Origin>, Option<String>);
    let mut best: HashMap<Key, (usize, Leaf)> = HashMap::default();
    for (i, leaf) in leaves {
        let key = (
            leaf.ty,
            leaf.origin,
            leaf.origin.is_none().then(|| leaf.path.clone()).flatten(),
        );
        let len = |l: &Leaf| l.path.as_ref().map_or(0, String::len);
        let better = best
            .get(&key)
            .is_none_or(|(_, b)| (b.latent && !leaf.latent) || (b.latent == leaf.latent && len(&leaf) < len(b)));
        if better {
            best.insert(key, (i, leaf));
        }
    }
    let mut out: Vec<(usize, Leaf)> = best.into_values().collect();
    out.sort_by_key(|(_, l)| (l.origin.map(|o| (o.module, o.offset)), l.path.clone()));
    out
}

struct Walk<'w, 'a, 'c> {
    c: &'w Checker<'a, 'c>,
    pickler: &'w str,
    start: &'w str,
    point: &'w Point<'a>,
}

impl<'a> Walk<'_, 'a, '_> {
    fn leaf(&self, ty_id: &str, origin: Option<Origin>, s: &WalkState, out: &mut Vec<Leaf>) {
        if let Some(ty) = self.c.catalog.type_id(ty_id) {
            out.push(Leaf {
                ty,
                origin,
                path: s.path.clone(),
                direct: s.direct,
                via_bound_method: s.bound,
                owner: s.owner.clone(),
                callable: s.callable.clone(),
                qualname: None,
                class: None,
                latent: s.latent,
                returned: s.returned,
            });
        }
    }

    fn named_leaf(&self, ty_id: &str, origin: Option<Origin>, qualname: String, s: &WalkState, out: &mut Vec<Leaf>) {
        let before = out.len();
        self.leaf(ty_id, origin, s, out);
        if let Some(l) = out.get_mut(before) {
            l.qualname = Some(qualname);
        }
    }

    fn fails(&self, ty_id: &str) -> bool {
        self.c.catalog.type_id(ty_id).is_some_and(|t| {
            self.c
                .catalog
                .fails(t, self.pickler, self.c.settings.target_version, self.start)
        })
    }

    fn walk(&self, v: &Value, s: WalkState, memo: &mut WalkMemo, out: &mut Vec<Leaf>) {
        if s.depth > 10 || self.c.ev.exhausted() {
            return;
        }
        let next = |s: &WalkState| WalkState {
            depth: s.depth + 1,
            ..s.clone()
        };
        match v {
            Value::Obj(o) => {
                let c = self.c;
                if c.catalog
                    .fails(o.ty, self.pickler, c.settings.target_version, self.start)
                {
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
                            .or_else(|| c.class_from_constructor(o)),
                        latent: s.latent,
                        returned: s.returned,
                    });
                }
            }
            Value::Instance(inst) => self.instance(v, inst, s, memo, out),
            Value::Container { slots, .. } => {
                let child = WalkState {
                    path: s.path.as_ref().map(|p| format!("{p}[*]")),
                    ..next(&s)
                };
                for slot in slots.iter() {
                    for (val, latent) in slot.flagged() {
                        let child = WalkState {
                            latent: child.latent || latent,
                            ..child.clone()
                        };
                        self.walk(val, child, memo, out);
                    }
                }
            }
            Value::Bound(recv, f) => {
                let info = &self.c.index.funcs[*f];
                if info.nested && self.fails("nested-function") {
                    let origin = Some(self.c.func_origin(*f));
                    self.named_leaf("nested-function", origin, info.qualname.clone(), &s, out);
                    return;
                }
                self.walk(recv, next(&s), memo, out);
            }
            Value::BoundExt(recv, _) => self.walk(recv, next(&s), memo, out),
            Value::Func(f) => {
                let info = &self.c.index.funcs[*f];
                let origin = Some(self.c.func_origin(*f));
                if info.nested && self.c.ev.is_wrapper(*f) && self.fails("decorator-wrapper") {
                    self.named_leaf("decorator-wrapper", origin, info.qualname.clone(), &s, out);
                } else if info.nested && self.fails("nested-function") {
                    self.named_leaf("nested-function", origin, info.qualname.clone(), &s, out);
                } else if info.main_guard && self.fails("main-guard-function") {
                    self.named_leaf("main-guard-function", origin, info.qualname.clone(), &s, out);
                }
            }
            Value::Class(c) => {
                let info = &self.c.index.classes[*c];
                let kind = if self.c.is_local_class(*c) {
                    "local-class"
                } else if info.main_guard {
                    "main-guard-class"
                } else {
                    return;
                };
                if self.fails(kind) {
                    self.named_leaf(kind, Some(self.c.class_origin(*c)), info.qualname.clone(), &s, out);
                }
            }
            Value::Lambda(o) => {
                let qualname = self.c.lambda_qualname(*o);
                if qualname != "<lambda>" {
                    if self.fails("lambda") {
                        self.named_leaf("lambda", Some(*o), qualname, &s, out);
                    }
                } else if self.fails("module-lambda") {
                    // Looked up by name in its module; a module with a main guard runs as __main__.
                    let m = &self.c.index.project.modules[o.module];
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
                if self.fails("generator") {
                    self.leaf("generator", Some(*o), &s, out);
                }
            }
            Value::Module(_) | Value::ExtModule(_) => {
                if self.fails("module") && s.path.is_some() {
                    self.leaf("module", None, &s, out);
                }
            }
            Value::External(_) | Value::Const(_) => {}
        }
    }

    fn instance(
        &self,
        v: &Value,
        inst: &std::rc::Rc<crate::analysis::eval::Inst>,
        s: WalkState,
        memo: &mut WalkMemo,
        out: &mut Vec<Leaf>,
    ) {
        let c = self.c;
        let class = &c.index.classes[inst.class];
        let reduces = c.ev.method(inst.class, "__reduce__").is_some()
            || c.ev.method(inst.class, "__reduce_ex__").is_some()
            || c.registered().contains(&inst.class);
        if c.is_local_class(inst.class) && !reduces {
            if self.fails("local-class") {
                let origin = Some(c.class_origin(inst.class));
                self.named_leaf("local-class", origin, class.qualname.clone(), &s, out);
            }
            return;
        }
        if class.main_guard && !reduces && self.fails("main-guard-class") {
            let origin = Some(c.class_origin(inst.class));
            self.named_leaf("main-guard-class", origin, class.qualname.clone(), &s, out);
            return;
        }
        if memo.stack.contains(&inst.class) || !memo.first_visit(v, &s) {
            return;
        }
        // `copy.deepcopy` leaves a class with its own `__deepcopy__` to it.
        if self.pickler == "deepcopy" && c.ev.method(inst.class, "__deepcopy__").is_some() {
            return;
        }
        if let Some(getattr) = c.recursive_getattr(inst.class) {
            if self.fails("getattr-recursion") {
                // The fixer finds the `__getattr__` to guard by its qualified name.
                let qualname = c.index.funcs[getattr].qualname.clone();
                self.named_leaf("getattr-recursion", Some(inst.origin), qualname, &s, out);
            }
        }
        if reduces {
            return;
        }
        let policy = c.state_policy(inst.class);
        memo.stack.push(inst.class);
        let root = s.path.clone().unwrap_or_else(|| class.name.to_string());
        let state = c.ev.state_at(inst, self.point);
        let mut names = c.ev.attr_names(inst.class);
        for n in state.names() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        for name in names {
            if !policy.keeps(name) {
                continue;
            }
            let Some(vals) = state.get(name) else { continue };
            let child = WalkState {
                path: Some(format!("{root}.{name}")),
                direct: false,
                owner: Some((inst.class, name.to_string())),
                depth: s.depth + 1,
                ..s.clone()
            };
            for (val, latent) in vals.flagged() {
                let child = WalkState {
                    latent: child.latent || latent,
                    ..child.clone()
                };
                self.walk(val, child, memo, out);
            }
        }
        memo.stack.pop();
    }
}
