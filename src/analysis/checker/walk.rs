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
use crate::analysis::index::{keyword_offset, ClassId};
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
                    facts: Some(FixFacts::Leaf(leaf)),
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
                w.walk(&value, state, &mut memo, &mut leaves);
            }
        });
        leaves.into_iter().map(|l| (i, l)).collect()
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

    /// What a class's pickled state holds: everything, unless `__getstate__` drops attributes.
    fn state_policy(&self, class: ClassId) -> StatePolicy {
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
