//! Where an expression is evaluated: its scope, the arguments of the call that runs it (when
//! known), `self` for a method, comprehension variables, and — while a method is run to find
//! an object's attributes — that object's attribute state so far.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;

use super::state::ObjState;
use super::value::{Args, Hasher, Vals, Value};
use crate::analysis::index::Scope;

#[derive(Clone)]
pub struct Frame<'a> {
    pub scope: Scope,
    /// The call's arguments; None: the function is evaluated without a call (an *open*
    /// frame), its parameters stand for every caller.
    pub args: Option<Rc<Args>>,
    pub self_val: Option<Value>,
    pub comps: Vec<Rc<HashMap<&'a str, Vals>>>,
    /// The attributes of `self` while its method runs (reads of `self.x` see them).
    pub state: Option<Rc<RefCell<ObjState<'a>>>>,
    id: u64,
}

impl<'a> Frame<'a> {
    pub fn plain(scope: Scope) -> Frame<'a> {
        Frame {
            scope,
            args: None,
            self_val: None,
            comps: Vec::new(),
            state: None,
            id: 0,
        }
    }

    /// The frame of a call: the function's scope with its arguments and `self`.
    pub fn call(scope: Scope, args: Option<Rc<Args>>, self_val: Option<Value>) -> Frame<'a> {
        let mut f = Frame {
            scope,
            args,
            self_val,
            comps: Vec::new(),
            state: None,
            id: 0,
        };
        f.rehash();
        f
    }

    pub fn with_comp(&self, names: HashMap<&'a str, Vals>) -> Frame<'a> {
        let mut f = self.clone();
        f.comps.push(Rc::new(names));
        f.rehash();
        f
    }

    pub fn with_state(&self, state: Rc<RefCell<ObjState<'a>>>) -> Frame<'a> {
        let mut f = self.clone();
        f.state = Some(state);
        f.rehash();
        f
    }

    fn rehash(&mut self) {
        if self.args.is_none() && self.self_val.is_none() && self.comps.is_empty() {
            self.id = 0;
            return;
        }
        let mut h = Hasher::default();
        h.word(self.args.as_ref().map_or(0, |a| a.id));
        if let Some(v) = &self.self_val {
            let (a, b, c) = v.key();
            h.word(a as u64 + 1);
            h.word(b as u64);
            h.word(c as u64);
        }
        for c in &self.comps {
            h.word(Rc::as_ptr(c) as usize as u64);
        }
        self.id = h.0 | 1;
    }

    /// Tells frames of one scope apart (0 for a plain frame). The object state a method run
    /// carries is not part of it: see `state_version`.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// How far the object state this frame carries has changed (0 without one): values read
    /// under one version hold until the run changes an attribute.
    pub fn state_version(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.borrow().version())
    }

    pub fn is_plain(&self) -> bool {
        self.id == 0
    }

    /// A frame without a call context for a function scope.
    pub fn is_open(&self) -> bool {
        self.args.is_none()
    }
}
