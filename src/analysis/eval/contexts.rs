//! Call contexts: the frames a call site is evaluated in. What a site does often depends on
//! its function's parameters (`bench(Process, queue)` called once with threads and once with
//! processes). A site is first evaluated without a caller; when that read the function's own
//! parameters, it is evaluated again once per caller, with that caller's arguments — so that
//! the callee and the values it is given come from the same call — and so on up the chain
//! while the callers' arguments depend on their own parameters. A method whose `self` is still
//! "any instance" at the top of the chain (nobody in the project calls it on a known object, or
//! only other methods do, on `self`) is evaluated once per object of its class or a subclass
//! that the project makes: an inherited method runs with the subclass's state.

use std::rc::Rc;

use super::value::Args;
use super::{Eval, Frame, Inst, Origin, Value};
use crate::analysis::index::Scope;
use crate::python::parse;

/// Callers followed up from a site (a chain of this many calls).
const MAX_CHAIN: usize = 4;
/// Frames tried per site, over all chains.
const MAX_CONTEXTS: usize = 48;
/// Objects of a class (and its subclasses) tried as `self` of a method nobody calls on one.
const MAX_OBJECTS: usize = 16;

/// A frame a site runs in, and whether the chain that gives it is itself uncertain (a caller
/// whose callee resolves to the function only on some paths).
#[derive(Clone)]
pub struct Context<'a> {
    pub frame: Frame<'a>,
    pub latent: bool,
}

impl<'a, 'c> Eval<'a, 'c> {
    /// Evaluate `query` at a call site in each context it can run in (see the module docs).
    pub fn contexts<T>(&self, site: usize, query: &dyn Fn(&Frame<'a>) -> T) -> Vec<(Context<'a>, T)> {
        let scope = self.index.calls[site].scope;
        let mut budget = MAX_CONTEXTS;
        self.contexts_in(scope, Some(site), 0, &mut budget, query)
    }

    fn contexts_in<T>(
        &self,
        scope: Scope,
        site: Option<usize>,
        depth: usize,
        budget: &mut usize,
        query: &dyn Fn(&Frame<'a>) -> T,
    ) -> Vec<(Context<'a>, T)> {
        let open = match site {
            Some(s) => self.site_frame(s),
            None => Frame::plain(scope),
        };
        let (res, reads) = self.recording(|| query(&open));
        let alone = |res| {
            vec![(
                Context {
                    frame: open.clone(),
                    latent: false,
                },
                res,
            )]
        };
        let Scope::Func(f) = scope else { return alone(res) };
        if !reads.contains(&f) || depth >= MAX_CHAIN || *budget == 0 {
            return alone(res);
        }
        let callers = self.callers(f);
        if callers.is_empty() {
            let objects = self.object_contexts(&open, site, budget, query);
            return if objects.is_empty() { alone(res) } else { objects };
        }
        let mut out = Vec::new();
        for c in callers.iter() {
            if *budget == 0 {
                break;
            }
            let caller_scope = self.index.calls[c.site].scope;
            let bind = |cf: &Frame<'a>| self.caller_binding(cf, c.site, f);
            for (cc, binding) in self.contexts_in(caller_scope, Some(c.site), depth + 1, budget, &bind) {
                let Some((args, self_val)) = binding else { continue };
                if *budget == 0 {
                    break;
                }
                *budget -= 1;
                let mut frame = Frame::call(scope, Some(args), self_val);
                if let Some(s) = site {
                    frame = self.comp_frame(frame, s);
                }
                let latent = cc.latent || c.latent;
                if self.generic_self(&frame) {
                    let objects = self.object_contexts(&frame, site, budget, query);
                    if !objects.is_empty() {
                        out.extend(objects.into_iter().map(|(c, r)| {
                            (
                                Context {
                                    latent: c.latent || latent,
                                    ..c
                                },
                                r,
                            )
                        }));
                        continue;
                    }
                }
                let r = query(&frame);
                out.push((Context { frame, latent }, r));
            }
        }
        if out.is_empty() {
            return alone(res);
        }
        out
    }

    /// Is the frame a method's with "any instance" as `self`?
    fn generic_self(&self, frame: &Frame<'a>) -> bool {
        let Scope::Func(f) = frame.scope else { return false };
        let info = &self.index.funcs[f];
        if info.class.is_none()
            || super::calls::is_static(info.def.decorators)
            || super::calls::is_classmethod(info.def.decorators)
        {
            return false;
        }
        match &frame.self_val {
            None => true,
            Some(Value::Instance(i)) => i.args.is_none(),
            Some(_) => false,
        }
    }

    /// `frame` once per object the project makes of the method's class or a subclass (as
    /// `self`); empty when it makes none or the frame's `self` is already known.
    fn object_contexts<T>(
        &self,
        frame: &Frame<'a>,
        site: Option<usize>,
        budget: &mut usize,
        query: &dyn Fn(&Frame<'a>) -> T,
    ) -> Vec<(Context<'a>, T)> {
        if !self.generic_self(frame) {
            return Vec::new();
        }
        let Scope::Func(f) = frame.scope else { return Vec::new() };
        let Some(class) = self.index.funcs[f].class else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for inst in self.objects_of(class).into_iter().take(MAX_OBJECTS) {
            if *budget == 0 {
                break;
            }
            *budget -= 1;
            let mut f2 = Frame::call(frame.scope, frame.args.clone(), Some(inst));
            if let Some(s) = site {
                f2 = self.comp_frame(f2, s);
            }
            let r = query(&f2);
            out.push((
                Context {
                    frame: f2,
                    latent: false,
                },
                r,
            ));
        }
        out
    }

    /// The objects the project makes of a class or its subclasses: one per constructor call.
    fn objects_of(&self, class: crate::analysis::index::ClassId) -> Vec<Value> {
        let mut out = Vec::new();
        for c in self.subclasses(class) {
            let Some(sites) = self.index.calls_by_name.get(self.index.classes[c].name) else {
                continue;
            };
            for &s in sites.iter().take(MAX_OBJECTS) {
                let site = &self.index.calls[s];
                let frame = self.site_frame(s);
                let made = self.without_recording(|| self.eval(&frame, &site.call.func));
                if !made.iter().any(|v| matches!(v, Value::Class(k) if *k == c)) {
                    continue;
                }
                let args = Rc::new(self.without_recording(|| self.args(&frame, site.call)));
                out.push(Value::Instance(Rc::new(Inst {
                    class: c,
                    origin: Origin {
                        module: site.module(),
                        offset: parse::range_of(site.call).0,
                    },
                    args: Some(args),
                })));
            }
        }
        out
    }

    /// The arguments and `self` a call site gives function `f` when it runs in `frame`.
    fn caller_binding(
        &self,
        frame: &Frame<'a>,
        site: usize,
        f: crate::analysis::index::FuncId,
    ) -> Option<(Rc<Args>, Option<Value>)> {
        let s = &self.index.calls[site];
        let callees = self.eval(frame, &s.call.func);
        for callee in callees.iter() {
            let self_val = match callee {
                Value::Func(g) if *g == f => None,
                Value::Bound(recv, g) if *g == f => Some(recv.as_ref().clone()),
                Value::Class(cl) if self.init_of(*cl) == Some(f) => {
                    let args = Rc::new(self.args(frame, s.call));
                    let inst = Value::Instance(Rc::new(Inst {
                        class: *cl,
                        origin: Origin {
                            module: s.module(),
                            offset: parse::range_of(s.call).0,
                        },
                        args: Some(args.clone()),
                    }));
                    return Some((args, Some(inst)));
                }
                _ => continue,
            };
            return Some((Rc::new(self.args(frame, s.call)), self_val));
        }
        None
    }
}
