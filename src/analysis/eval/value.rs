//! The evaluator's values: what an expression can hold, each with a *latent* bit. A value is
//! manifest when it reaches its use on every path the analysis could decide; latent when it
//! depends on a branch, a flag or a caller the analysis could not decide.

use std::rc::Rc;

use crate::analysis::index::{ClassId, FuncId};
use crate::analysis::project::ModId;
use crate::config::catalog::TypeId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub module: ModId,
    pub offset: usize,
}

impl Origin {
    pub fn key(self) -> usize {
        self.offset ^ (self.module << 40)
    }
}

/// A value made by a catalog constructor (a file, a lock, a pool).
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

/// The arguments of one call, evaluated in the caller's frame.
#[derive(Debug, Default)]
pub struct Args {
    pub pos: Vec<Vals>,
    pub kw: Vec<(Rc<str>, Vals)>,
    /// Elements of a `*args` whose positions are unknown: they may fill any later parameter.
    pub spread: Option<Vals>,
    /// Values of a `**kwargs`: they may fill any keyword parameter not given otherwise.
    pub spread_kw: Option<Vals>,
    /// Identity of the argument values (equal values give equal ids).
    pub id: u64,
}

impl Args {
    pub fn finish(mut self) -> Args {
        let mut h = Hasher::default();
        for v in &self.pos {
            h.vals(v);
        }
        for (k, v) in &self.kw {
            h.str(k);
            h.vals(v);
        }
        if let Some(s) = &self.spread {
            h.word(1);
            h.vals(s);
        }
        if let Some(s) = &self.spread_kw {
            h.word(2);
            h.vals(s);
        }
        self.id = h.0 | 1;
        self
    }
}

/// An instance of a project class. Two instances are the same abstract object when they have
/// the same class, allocation site and constructor arguments.
#[derive(Debug)]
pub struct Inst {
    pub class: ClassId,
    pub origin: Origin,
    /// Constructor arguments when the instance comes from a known call; None for "any
    /// instance" (the `self` of a method nobody in the project calls).
    pub args: Option<Rc<Args>>,
}

impl Inst {
    pub fn id(&self) -> u64 {
        let mut h = Hasher::default();
        h.word(self.class as u64);
        h.word(self.origin.key() as u64);
        h.word(self.args.as_ref().map_or(0, |a| a.id));
        h.0
    }
}

/// Literal values, so that tests such as `if multiprocess:` can be decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    None,
    Bool(bool),
    Int(i64),
    Str(Rc<str>),
    /// Some other literal or plain data (a float, bytes, a string we did not keep).
    Other,
}

impl Const {
    /// Python truthiness, when it is known.
    pub fn truthy(&self) -> Option<bool> {
        match self {
            Const::None => Some(false),
            Const::Bool(b) => Some(*b),
            Const::Int(i) => Some(*i != 0),
            Const::Str(s) => Some(!s.is_empty()),
            Const::Other => None,
        }
    }
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
    Const(Const),
}

impl Value {
    pub fn key(&self) -> (u8, usize, usize) {
        match self {
            Value::Obj(o) => (0, o.ty, o.origin.key()),
            Value::Instance(i) => (1, i.class, i.id() as usize),
            Value::Class(c) => (2, *c, 0),
            Value::Func(f) => (3, *f, 0),
            Value::Lambda(o) => (4, o.module, o.offset),
            Value::Bound(r, f) => (5, *f, r.key().1 ^ r.key().2),
            Value::BoundExt(r, m) => (6, str_hash(m), r.key().1 ^ r.key().2),
            Value::Container { slots, .. } => (7, Rc::as_ptr(slots) as usize, 0),
            Value::Generator(o, _) => (8, o.module, o.offset),
            Value::Module(m) => (9, *m, 0),
            Value::External(q) => (10, str_hash(q), q.len()),
            Value::ExtModule(q) => (11, str_hash(q), q.len()),
            Value::Const(c) => match c {
                Const::None => (12, 0, 0),
                Const::Bool(b) => (12, 1, usize::from(*b)),
                Const::Int(i) => (12, 2, *i as usize),
                Const::Str(s) => (12, 3, str_hash(s)),
                Const::Other => (12, 4, 0),
            },
        }
    }

    pub fn none() -> Value {
        Value::Const(Const::None)
    }

    pub fn as_const(&self) -> Option<&Const> {
        match self {
            Value::Const(c) => Some(c),
            _ => None,
        }
    }

    /// Python truthiness where it is known: objects are true, constants by value.
    pub fn truthy(&self) -> Option<bool> {
        match self {
            Value::Const(c) => c.truthy(),
            Value::Obj(_)
            | Value::Class(_)
            | Value::Func(_)
            | Value::Lambda(_)
            | Value::Bound(..)
            | Value::Module(_)
            | Value::ExtModule(_)
            | Value::Generator(..) => Some(true),
            _ => None,
        }
    }
}

fn str_hash(s: &str) -> usize {
    let mut h = Hasher::default();
    h.str(s);
    h.0 as usize
}

/// FxHash-style mixing for value identities.
#[derive(Default)]
pub struct Hasher(pub u64);

impl Hasher {
    pub fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    pub fn str(&mut self, s: &str) {
        for chunk in s.as_bytes().chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w));
        }
        self.word(s.len() as u64);
    }

    pub fn vals(&mut self, v: &Vals) {
        for (x, latent) in v.flagged() {
            let (a, b, c) = x.key();
            self.word(a as u64 | (u64::from(latent) << 8));
            self.word(b as u64);
            self.word(c as u64);
        }
        self.word(0xff);
    }
}

pub const MAX_VALUES: usize = 48;

/// A set of values, each manifest or latent (bit `i` of `latent` for `items[i]`).
#[derive(Debug, Clone, Default)]
pub struct Vals {
    items: Vec<Value>,
    latent: u64,
}

impl Vals {
    pub fn new() -> Vals {
        Vals::default()
    }

    pub fn one(v: Value) -> Vals {
        Vals {
            items: vec![v],
            latent: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Value> {
        self.items.iter()
    }

    /// Each value with its latent bit.
    pub fn flagged(&self) -> impl Iterator<Item = (&Value, bool)> + '_ {
        self.items
            .iter()
            .enumerate()
            .map(|(i, v)| (v, self.latent & (1 << i) != 0))
    }

    pub fn is_latent(&self, i: usize) -> bool {
        self.latent & (1 << i) != 0
    }

    /// Are all values latent (or is the set empty)?
    pub fn all_latent(&self) -> bool {
        (0..self.items.len()).all(|i| self.is_latent(i))
    }

    /// Add a value; a value already there becomes manifest if either is.
    pub fn push(&mut self, v: Value, latent: bool) {
        let k = v.key();
        if let Some(i) = self.items.iter().position(|o| o.key() == k) {
            if !latent {
                self.latent &= !(1 << i);
            }
            return;
        }
        if self.items.len() >= MAX_VALUES {
            return;
        }
        if latent {
            self.latent |= 1 << self.items.len();
        }
        self.items.push(v);
    }

    pub fn add(&mut self, v: Value) {
        self.push(v, false);
    }

    pub fn extend(&mut self, other: Vals) {
        self.extend_with(other, false);
    }

    /// Add every value of `other`, all latent when `latent`.
    pub fn extend_with(&mut self, other: Vals, latent: bool) {
        let mask = other.latent;
        for (i, v) in other.items.into_iter().enumerate() {
            self.push(v, latent || mask & (1 << i) != 0);
        }
    }

    /// The same values, all latent.
    pub fn latent(mut self) -> Vals {
        self.latent = if self.items.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << self.items.len()) - 1
        };
        self
    }

    /// Keep the values `keep` accepts (bits follow their values).
    pub fn retain(&mut self, mut keep: impl FnMut(&Value) -> bool) {
        let items = std::mem::take(&mut self.items);
        let mask = std::mem::take(&mut self.latent);
        for (i, v) in items.into_iter().enumerate() {
            if keep(&v) {
                self.push(v, mask & (1 << i) != 0);
            }
        }
    }

    /// Map each value to a set; results inherit the latent bit of the value they came from.
    pub fn flat_map(&self, mut f: impl FnMut(&Value) -> Vals) -> Vals {
        let mut out = Vals::new();
        for (v, latent) in self.flagged() {
            out.extend_with(f(v), latent);
        }
        out
    }

    pub fn first(&self) -> Option<&Value> {
        self.items.first()
    }

    /// Join of two paths: a value is manifest only when it is manifest on both.
    pub fn join(a: &Vals, b: &Vals) -> Vals {
        Vals::join_with(a, b, &|_| false)
    }

    /// Join where `sticky` values (elements added to a container) keep their own bit when only
    /// one path adds them: a branch decides how many elements there are, not what they are.
    pub fn join_with(a: &Vals, b: &Vals, sticky: &dyn Fn(&Value) -> bool) -> Vals {
        let mut out = Vals::new();
        for (v, la) in a.flagged() {
            let k = v.key();
            match b.flagged().find(|(w, _)| w.key() == k) {
                Some((_, lb)) => out.push(v.clone(), la || lb),
                None => out.push(v.clone(), la || !sticky(v)),
            }
        }
        for (v, lb) in b.flagged() {
            let k = v.key();
            if !a.iter().any(|w| w.key() == k) {
                out.push(v.clone(), lb || !sticky(v));
            }
        }
        out
    }

    /// Join with an exceptional path: the normal path keeps its bits; values only on the
    /// exceptional one are latent.
    pub fn join_exceptional(normal: &Vals, exceptional: &Vals) -> Vals {
        let mut out = normal.clone();
        out.extend_with(exceptional.clone(), true);
        out
    }

    pub fn into_vec(self) -> Vec<Value> {
        self.items
    }
}

impl IntoIterator for Vals {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'x> IntoIterator for &'x Vals {
    type Item = &'x Value;
    type IntoIter = std::slice::Iter<'x, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl FromIterator<Value> for Vals {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Vals {
        let mut out = Vals::new();
        for v in iter {
            out.add(v);
        }
        out
    }
}

pub fn container(slots: Vec<Vals>, positional: bool) -> Value {
    Value::Container {
        slots: Rc::new(slots),
        positional,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_manifest_after_a_join_only_when_both_paths_have_it() {
        let a: Vals = [Value::Func(1), Value::Func(2)].into_iter().collect();
        let mut b = Vals::new();
        b.add(Value::Func(1));
        b.push(Value::Func(2), true);
        b.add(Value::Func(3));
        let j = Vals::join(&a, &b);
        let bits: Vec<(usize, bool)> = j.flagged().map(|(v, l)| (v.key().1, l)).collect();
        assert_eq!(bits, vec![(1, false), (2, true), (3, true)]);
    }

    #[test]
    fn pushing_a_manifest_copy_clears_the_latent_bit() {
        let mut v = Vals::new();
        v.push(Value::Func(7), true);
        assert!(v.is_latent(0));
        v.push(Value::Func(7), false);
        assert!(!v.is_latent(0) && v.len() == 1);
    }

    #[test]
    fn flat_map_passes_the_bit_on() {
        let mut v = Vals::new();
        v.push(Value::Func(1), true);
        v.add(Value::Func(2));
        let out = v.flat_map(|x| Vals::one(Value::Class(x.key().1)));
        let bits: Vec<bool> = out.flagged().map(|(_, l)| l).collect();
        assert_eq!(bits, vec![true, false]);
    }
}
