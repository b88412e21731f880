//! The walk: from what a sink pickles to the values that cannot be pickled (`Leaf`), through
//! instance attributes (as `__getstate__` keeps them, minus what is deleted before the call),
//! containers, bound methods and local functions and classes; one leaf per value, by the
//! shortest path.

use rustc_hash::FxHashMap as HashMap;

use super::{Checker, SinkHit};
use crate::analysis::eval::{Origin, Value};
use crate::analysis::finding::{Finding, FixFacts, Leaf};
use crate::analysis::index::{keyword_offset, ClassId};
use crate::config::catalog::{SinkEntry, TypeId};
use crate::python::parse::{self, ast};

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
pub(super) struct WalkMemo {
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
pub(super) struct WalkState {
    path: Option<String>,
    direct: bool,
    bound: bool,
    owner: Option<(ClassId, String)>,
    callable: Option<String>,
    depth: usize,
}

impl<'a, 'c> Checker<'a, 'c> {
    /// The values a sink pickles, with whether each is sent as a callable.
    pub(super) fn pickled_values(&self, hit: &SinkHit) -> Vec<(Value, bool)> {
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
    pub(super) fn positional(&self, hit: &SinkHit, p: usize) -> Option<&'a ast::Expr<'a>> {
        let call = self.index.calls[hit.site].call;
        call.args
            .get(p)
            .filter(|e| !matches!(e.kind(), ast::ExprKind::Starred(_)))
    }

    /// `del x.attr` or `x.attr = None` earlier in the same function: that attribute is gone.
    pub(super) fn kills_before(&self, site: usize) -> Vec<(&'a ast::Expr<'a>, String)> {
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
    pub(super) fn killed_attrs(&self, site: usize) -> HashMap<(ClassId, Origin), Vec<String>> {
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

    pub(super) fn check_sink(&mut self, i: usize) {
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

    pub(super) fn leaf(&self, ty_id: &str, origin: Option<Origin>, s: &WalkState, out: &mut Vec<Leaf>) {
        if let Some(ty) = self.catalog.type_id(ty_id) {
            out.push(Leaf::at(ty, origin, s));
        }
    }

    pub(super) fn named_leaf(
        &self,
        ty_id: &str,
        origin: Option<Origin>,
        qualname: String,
        s: &WalkState,
        out: &mut Vec<Leaf>,
    ) {
        let before = out.len();
        self.leaf(ty_id, origin, s, out);
        if let Some(l) = out.get_mut(before) {
            l.qualname = Some(qualname);
        }
    }

    /// `__qualname__` of a lambda: the enclosing function's, plus `<locals>.<lambda>`.
    pub(super) fn lambda_qualname(&self, origin: Origin) -> String {
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
    pub(super) fn class_from_constructor(&self, o: &crate::analysis::eval::Obj) -> Option<String> {
        let t = self.catalog.ty(o.ty);
        (t.python.contains("{class}") && t.mode_classes.is_empty())
            .then(|| o.ctor.rsplit('.').next().unwrap_or(&o.ctor).to_string())
    }

    pub(super) fn fails(&self, ty_id: &str, pickler: &str, start: &str) -> bool {
        self.catalog
            .type_id(ty_id)
            .is_some_and(|t| self.catalog.fails(t, pickler, self.settings.target_version, start))
    }

    pub(super) fn walk(
        &self,
        v: &Value,
        pickler: &str,
        start: &str,
        s: WalkState,
        memo: &mut WalkMemo,
        out: &mut Vec<Leaf>,
    ) {
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
    pub(super) fn recursive_getattr(&self, class: ClassId) -> Option<crate::analysis::index::FuncId> {
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

    /// What a class's pickled state holds: everything, unless `__getstate__` drops attributes
    /// or `__reduce__` takes over (None: the class pickles itself; do not look inside).
    pub(super) fn state_policy(&self, class: ClassId) -> Option<StatePolicy> {
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
}

#[derive(Default)]
pub(super) struct StatePolicy {
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

/// Evaluation steps finding what one sink pickles may take. The standard library's largest
/// takes 72,000 and every scenario under 30,000; moto's DynamoDB models take millions.
const SINK_CHECK_STEPS: u64 = 300_000;

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
