//! An object's attribute state: each attribute with the values it can hold, joined where
//! paths meet as names are (see `walker`), with the elements added to an attribute kept apart.

use super::value::Hasher;
use super::{Vals, Value};

/// An object's attributes at some point: each name with the values it can hold.
#[derive(Clone, Default, Debug)]
pub struct ObjState<'a> {
    pub(super) attrs: Vec<(&'a str, Vals)>,
    /// Containers added by growing an attribute (`self.items.append(x)`).
    pub(super) grown: Vec<(u8, usize, usize)>,
    /// Counts the changes made to this state (values cached under one version stay true until
    /// the next change).
    version: u64,
}

impl<'a> ObjState<'a> {
    pub fn get(&self, name: &str) -> Option<&Vals> {
        self.attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.attrs.iter().map(|(n, _)| *n)
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub(super) fn slot(&mut self, name: &'a str) -> &mut Vals {
        self.version += 1;
        match self.attrs.iter().position(|(n, _)| *n == name) {
            Some(i) => &mut self.attrs[i].1,
            None => {
                self.attrs.push((name, Vals::new()));
                &mut self.attrs.last_mut().expect("pushed").1
            }
        }
    }

    pub(super) fn set(&mut self, name: &'a str, vals: Vals) {
        *self.slot(name) = vals;
    }

    /// Grow an attribute by a container of new elements.
    pub(super) fn add(&mut self, name: &'a str, vals: Vals) {
        for v in vals.iter() {
            self.mark_grown(v.key());
        }
        self.slot(name).extend(vals);
    }

    pub(super) fn mark_grown(&mut self, key: (u8, usize, usize)) {
        if let Err(at) = self.grown.binary_search(&key) {
            self.grown.insert(at, key);
        }
    }

    /// Two paths meet: a value is manifest only when both paths have it manifest (elements
    /// added on one path keep their own bit).
    pub(super) fn join(a: &ObjState<'a>, b: &ObjState<'a>, sticky: bool) -> ObjState<'a> {
        let mut out = ObjState {
            attrs: Vec::new(),
            grown: a.grown.iter().chain(&b.grown).copied().collect(),
            version: a.version.max(b.version) + 1,
        };
        out.grown.sort_unstable();
        out.grown.dedup();
        let sticky = |v: &Value| sticky && out.grown.binary_search(&v.key()).is_ok();
        let empty = Vals::new();
        let mut attrs = Vec::new();
        for (n, va) in &a.attrs {
            let vb = b.get(n).unwrap_or(&empty);
            attrs.push((*n, Vals::join_with(va, vb, &sticky)));
        }
        for (n, vb) in &b.attrs {
            if a.get(n).is_none() {
                attrs.push((*n, Vals::join_with(&empty, vb, &sticky)));
            }
        }
        out.attrs = attrs;
        out
    }

    /// What an unordered effect adds: its values join ours (nothing is taken away).
    pub(super) fn absorb(&mut self, other: ObjState<'a>, latent: bool) {
        for k in other.grown {
            self.mark_grown(k);
        }
        for (n, v) in other.attrs {
            self.slot(n).extend_with(v, latent);
        }
    }

    pub(super) fn hash(&self) -> u64 {
        let mut h = Hasher::default();
        for (n, v) in &self.attrs {
            h.str(n);
            h.vals(v);
        }
        h.0
    }
}
