//! The attributes an object holds. An instance's state is found by running its `__init__`
//! forward over the attributes (see `attrs`), then adding what methods called on that same
//! object elsewhere in the parent assign, and — at a pickling call — running the calling
//! function's statements before the call in order, so that `ds.close()` or `job.fh = None`
//! there count. Objects are told apart by class, allocation site and constructor arguments: a
//! method called on another instance does not change this one.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::RefCell;
use std::rc::Rc;

use super::attrs::{Attrs, Target};
use super::state::ObjState;
use super::walker::Walker;
use super::{Eval, Frame, Inst, Origin, Vals, Value};
use crate::analysis::index::{ClassId, FuncId, Scope};
use crate::python::parse::{self, ast};

/// A point of the program: a scope, an offset in it, and the frame it runs in.
#[derive(Clone)]
pub struct Point<'a> {
    pub frame: Frame<'a>,
    pub at: usize,
}

/// An object, a scope, a frame and an offset: where a state is asked for.
type AtKey = (u64, Scope, u64, usize);
/// An outside write: module, index of the write in it, latent.
type WriteRef = (usize, usize, bool);
/// Methods by name.
pub(super) type Methods<'a> = Rc<[(&'a str, FuncId)]>;

/// Caches of object states.
#[derive(Default)]
pub struct Store<'a> {
    pub(super) init: RefCell<HashMap<u64, Rc<ObjState<'a>>>>,
    pub(super) overall: RefCell<HashMap<(u64, Scope), Rc<ObjState<'a>>>>,
    pub(super) at: RefCell<HashMap<AtKey, Rc<ObjState<'a>>>>,
    pub(super) runs: RefCell<HashMap<(FuncId, u64, u64), Rc<ObjState<'a>>>>,
    pub(super) active: RefCell<HashSet<(u8, u64)>>,
    /// Receiver values of method-call sites, evaluated where they are (open frames).
    pub(super) receivers: RefCell<HashMap<usize, Vals>>,
    /// Outside attribute writes by the instance they can write to (built on first use).
    pub(super) writes: RefCell<Option<HashMap<u64, Vec<WriteRef>>>>,
    /// Methods of a class (through its bases) that can change attributes.
    pub(super) effectful: RefCell<HashMap<ClassId, Methods<'a>>>,
}

impl Store<'_> {
    pub fn clear(&self) {
        self.init.borrow_mut().clear();
        self.overall.borrow_mut().clear();
        self.at.borrow_mut().clear();
        self.runs.borrow_mut().clear();
        self.receivers.borrow_mut().clear();
        *self.writes.borrow_mut() = None;
    }
}

impl<'a, 'c> Eval<'a, 'c> {
    /// The object's attributes once its constructor has run.
    pub fn init_state(&self, inst: &Rc<Inst>) -> Rc<ObjState<'a>> {
        let id = inst.id();
        if let Some(s) = self.objects.init.borrow().get(&id) {
            return s.clone();
        }
        if !self.objects.active.borrow_mut().insert((2, id)) {
            return Rc::new(ObjState::default());
        }
        let mut state = self.dataclass_fields(inst);
        if let Some(init) = self.init_of(inst.class) {
            let frame = Frame::call(
                Scope::Func(init),
                inst.args.clone(),
                Some(Value::Instance(inst.clone())),
            );
            state = self.run_method(inst, init, &frame, state);
        }
        if let Some(post) = self.method(inst.class, "__post_init__") {
            let frame = Frame::call(Scope::Func(post), None, Some(Value::Instance(inst.clone())));
            state = self.run_method(inst, post, &frame, state);
        }
        self.objects.active.borrow_mut().remove(&(2, id));
        let state = Rc::new(state);
        if !self.exhausted() {
            self.objects.init.borrow_mut().insert(id, state.clone());
        }
        state
    }

    /// The object's attributes as the parent leaves them: its constructor, then what methods
    /// called on it elsewhere (not inside workers, not in `except_scope`) add.
    pub fn overall_state(&self, inst: &Rc<Inst>) -> Rc<ObjState<'a>> {
        self.state_outside(inst, None)
    }

    fn state_outside(&self, inst: &Rc<Inst>, except_scope: Option<Scope>) -> Rc<ObjState<'a>> {
        let id = inst.id();
        let key = (id, except_scope.unwrap_or(Scope::Module(usize::MAX)));
        if let Some(s) = self.objects.overall.borrow().get(&key) {
            return s.clone();
        }
        if !self.objects.active.borrow_mut().insert((3, id)) {
            return self.init_state(inst);
        }
        let mut state = (*self.init_state(inst)).clone();
        for (name, method) in self.effectful(inst.class).iter() {
            if *name == "__init__" {
                continue;
            }
            for (site, latent) in self.invocations(inst, name, except_scope) {
                let s = &self.index.calls[site];
                let frame = self.site_frame(site);
                let args = Rc::new(self.args(&frame, s.call));
                let mframe = Frame::call(Scope::Func(*method), Some(args), Some(Value::Instance(inst.clone())));
                let after = self.run_method(inst, *method, &mframe, state.clone());
                state.absorb(after, latent);
            }
        }
        self.outside_writes(inst, except_scope, &mut state);
        self.objects.active.borrow_mut().remove(&(3, id));
        let state = Rc::new(state);
        if !self.exhausted() {
            self.objects.overall.borrow_mut().insert(key, state.clone());
        }
        state
    }

    /// Call sites `r.name(...)` in the parent whose receiver `r` is this object.
    fn invocations(&self, inst: &Rc<Inst>, name: &str, except_scope: Option<Scope>) -> Vec<(usize, bool)> {
        let Some(sites) = self.index.calls_by_name.get(name) else {
            return Vec::new();
        };
        let me = inst.id();
        let mut out = Vec::new();
        for &site in sites.iter().take(64) {
            let s = &self.index.calls[site];
            if Some(s.scope) == except_scope || self.in_worker(s.scope) {
                continue;
            }
            let ast::ExprKind::Attribute(a) = s.call.func.kind() else {
                continue;
            };
            let receivers = self.receivers(site, &a.value);
            let ambiguous = receivers.len() > 1;
            let found = receivers
                .flagged()
                .find(|(v, _)| matches!(v, Value::Instance(i) if i.id() == me))
                .map(|(_, latent)| latent);
            if let Some(latent) = found {
                out.push((site, latent || ambiguous));
            }
        }
        out
    }

    fn receivers(&self, site: usize, recv: &'a ast::Expr<'a>) -> Vals {
        if let Some(v) = self.objects.receivers.borrow().get(&site) {
            return v.clone();
        }
        let frame = self.site_frame(site);
        let v = self.without_recording(|| self.eval(&frame, recv));
        if !self.exhausted() {
            self.objects.receivers.borrow_mut().insert(site, v.clone());
        }
        v
    }

    /// `obj.attr = value` outside the class, where `obj` is this object.
    fn outside_writes(&self, inst: &Rc<Inst>, except_scope: Option<Scope>, state: &mut ObjState<'a>) {
        let writes = self.writes_to(inst.id());
        for (m, i, latent) in writes.iter().copied() {
            let w = &self.index.modules[m].attr_writes[i];
            if Some(w.scope) == except_scope || self.in_worker(w.scope) {
                continue;
            }
            let frame = Frame::plain(w.scope);
            let v = self.without_recording(|| self.eval(&frame, w.value));
            state.slot(w.attr).extend_with(v, latent);
        }
    }

    /// The outside writes (module, index, latent) whose object can be this instance: every
    /// write's object is evaluated once, the first time any instance asks.
    fn writes_to(&self, inst: u64) -> Vec<(usize, usize, bool)> {
        if self.objects.writes.borrow().is_none() {
            let mut by_inst: HashMap<u64, Vec<(usize, usize, bool)>> = HashMap::default();
            for (m, module) in self.index.modules.iter().enumerate() {
                for (i, w) in module.attr_writes.iter().enumerate() {
                    let frame = Frame::plain(w.scope);
                    let bases = self.without_recording(|| self.name(&frame, w.base, w.offset));
                    for (v, latent) in bases.flagged() {
                        if let Value::Instance(x) = v {
                            by_inst
                                .entry(x.id())
                                .or_default()
                                .push((m, i, latent || bases.len() > 1));
                        }
                    }
                }
            }
            *self.objects.writes.borrow_mut() = Some(by_inst);
        }
        self.objects
            .writes
            .borrow()
            .as_ref()
            .and_then(|w| w.get(&inst).cloned())
            .unwrap_or_default()
    }

    /// The object's attributes at a point: as the parent leaves them elsewhere, then the
    /// statements of the point's function before the point, in order.
    pub fn state_at(&self, inst: &Rc<Inst>, point: &Point<'a>) -> Rc<ObjState<'a>> {
        let key = (inst.id(), point.frame.scope, point.frame.id(), point.at);
        if let Some(s) = self.objects.at.borrow().get(&key) {
            return s.clone();
        }
        let start = (*self.state_outside(inst, Some(point.frame.scope))).clone();
        let cell = Rc::new(RefCell::new(start.clone()));
        let d = Attrs {
            ev: self,
            inst,
            frame: point.frame.clone(),
            cell,
            target: Target::Object,
            method_class: None,
            effectful: self.effectful(inst.class),
        };
        let mut w = Walker::new(d, point.at);
        let flow = w.block(self.scope_body(point.frame.scope), start.clone());
        let state = match w.found.take() {
            Some(Some(s)) => s,
            Some(None) => start,
            None => flow.next.unwrap_or(start),
        };
        let state = Rc::new(state);
        if !self.exhausted() {
            self.objects.at.borrow_mut().insert(key, state.clone());
        }
        state
    }

    /// A `@dataclass`'s fields: the constructor argument for each, else its default (a
    /// `field(default_factory=F)` default is what calling `F` gives).
    fn dataclass_fields(&self, inst: &Rc<Inst>) -> ObjState<'a> {
        let mut state = ObjState::default();
        // The generated `__init__` takes the fields of the bases first, in order.
        let mut fields: Vec<(ClassId, &'a str, Option<&'a ast::Expr<'a>>)> = Vec::new();
        for &c in self.mro(inst.class).iter().rev() {
            for &(f, d) in &self.index.classes[c].fields {
                if !fields.iter().any(|(_, g, _)| *g == f) {
                    fields.push((c, f, d));
                }
            }
        }
        if fields.is_empty() || self.init_of(inst.class).is_some() {
            return state;
        }
        for (pos, &(owner, name, default)) in fields.iter().enumerate() {
            let given = inst.args.as_ref().and_then(|a| {
                a.kw.iter()
                    .find(|(k, _)| &**k == name)
                    .map(|(_, v)| v.clone())
                    .or_else(|| a.pos.get(pos).cloned())
            });
            let v = match (given, default) {
                (Some(v), _) => v,
                (None, Some(d)) => self.field_default(owner, d),
                (None, None) => continue,
            };
            state.set(name, v);
        }
        state
    }

    fn field_default(&self, owner: ClassId, default: &'a ast::Expr<'a>) -> Vals {
        let frame = Frame::plain(self.index.classes[owner].parent);
        if let ast::ExprKind::Call(call) = default.kind() {
            let is_field = parse::dotted_name(&call.func).is_some_and(|n| n == "field" || n.ends_with(".field"));
            if is_field {
                let mut out = Vals::new();
                if let Some(k) = call
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some("default_factory"))
                {
                    let origin = Origin {
                        module: self.index.classes[owner].module,
                        offset: parse::range_of(&k.value).0,
                    };
                    for factory in self.eval(&frame, &k.value).iter() {
                        out.extend(self.call_value(factory.clone(), origin));
                    }
                }
                if let Some(k) = call.keywords.iter().find(|k| k.arg.as_deref() == Some("default")) {
                    out.extend(self.eval(&frame, &k.value));
                }
                return out;
            }
        }
        self.eval(&frame, default)
    }

    /// What calling a value with no arguments gives (a `default_factory`).
    fn call_value(&self, callee: Value, origin: Origin) -> Vals {
        match callee {
            Value::External(q) => match self.catalog.constructor(q.strip_prefix("builtins.").unwrap_or(&q)) {
                Some(ty) => Vals::one(self.make_obj(ty, origin, None, q.clone())),
                None => Vals::new(),
            },
            Value::Class(c) => Vals::one(Value::Instance(Rc::new(Inst {
                class: c,
                origin,
                args: None,
            }))),
            _ => Vals::new(),
        }
    }
}
