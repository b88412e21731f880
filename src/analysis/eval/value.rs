//! The values an expression can have: objects of catalog types (`Obj`), instances of project
//! classes (`Inst`), functions, classes, containers, modules and external names, each with
//! where it was made (`Origin`). A value set (`Vals`) is a small union without duplicates.

use std::rc::Rc;

use crate::analysis::index::{ClassId, FuncId};
use crate::analysis::project::ModId;
use crate::config::catalog::TypeId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    pub module: ModId,
    pub offset: usize,
}

#[derive(Debug)]
pub struct Obj {
    pub ty: TypeId,
    pub origin: Origin,
    /// The start method of the context this object came from (`get_context("fork").Pool()`).
    pub start: Option<Rc<str>>,
    /// How it was made, for messages: `multiprocessing.JoinableQueue`.
    pub ctor: Rc<str>,
    /// The Python class when the catalog says it depends on the call (a file's open mode).
    pub class: Option<Rc<str>>,
}

#[derive(Debug, Default)]
pub struct Args {
    pub pos: Vec<Vals>,
    pub kw: Vec<(String, Vals)>,
}

#[derive(Debug)]
pub struct Inst {
    pub class: ClassId,
    pub origin: Origin,
    /// Constructor arguments when the instance comes from a known call.
    pub args: Option<Rc<Args>>,
    /// Attributes deleted or set to None before the sink.
    pub killed: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Value {
    Obj(Rc<Obj>),
    Instance(Rc<Inst>),
    Class(ClassId),
    Func(FuncId),
    Lambda(Origin),
    Bound(Rc<Value>, FuncId),
    BoundExt(Rc<Value>, Rc<str>),
    /// Tuples, lists, dicts (values), sets; `positional` when slots are tuple positions.
    Container {
        slots: Rc<Vec<Vals>>,
        positional: bool,
    },
    Generator(Origin, Rc<Vals>),
    Module(ModId),
    /// A module outside the project, bound by `import x` (`x.attr` is `External("x.attr")`).
    ExtModule(Rc<str>),
    External(Rc<str>),
}

pub type Vals = Vec<Value>;

const MAX_VALUES: usize = 48;

impl Value {
    pub fn key(&self) -> (u8, usize, usize) {
        match self {
            Value::Obj(o) => (0, o.ty, o.origin.offset ^ (o.origin.module << 40)),
            Value::Instance(i) => (
                1,
                i.class,
                i.origin.offset ^ (i.origin.module << 40) ^ i.args.as_ref().map_or(0, |a| Rc::as_ptr(a) as usize),
            ),
            Value::Class(c) => (2, *c, 0),
            Value::Func(f) => (3, *f, 0),
            Value::Lambda(o) => (4, o.module, o.offset),
            Value::Bound(r, f) => (5, *f, r.key().1 ^ r.key().2),
            Value::BoundExt(r, m) => (6, Rc::as_ptr(m) as *const u8 as usize, r.key().1 ^ r.key().2),
            Value::Container { slots, .. } => (7, Rc::as_ptr(slots) as usize, 0),
            Value::Generator(o, _) => (8, o.module, o.offset),
            Value::Module(m) => (9, *m, 0),
            Value::External(q) => (10, Rc::as_ptr(q) as *const u8 as usize, q.len()),
            Value::ExtModule(q) => (11, Rc::as_ptr(q) as *const u8 as usize, q.len()),
        }
    }
}

pub(super) fn add(out: &mut Vals, v: Value) {
    if out.len() >= MAX_VALUES {
        return;
    }
    match &v {
        Value::External(q) if out.iter().any(|o| matches!(o, Value::External(p) if p == q)) => return,
        Value::ExtModule(q) if out.iter().any(|o| matches!(o, Value::ExtModule(p) if p == q)) => return,
        _ => {}
    }
    let k = v.key();
    if !out.iter().any(|o| o.key() == k) {
        out.push(v);
    }
}

pub(super) fn extend(out: &mut Vals, vs: Vals) {
    for v in vs {
        add(out, v);
    }
}

pub fn container(slots: Vec<Vals>, positional: bool) -> Value {
    Value::Container {
        slots: Rc::new(slots),
        positional,
    }
}
