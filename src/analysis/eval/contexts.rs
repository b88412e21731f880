//! Call contexts: the frames a call site is evaluated in. What a site does often depends on
//! its function's parameters (`bench(Process, queue)` called once with threads and once with
//! processes). A site is first evaluated without a caller; when that read the function's own
//! parameters, it is evaluated again once per caller, with that caller's arguments — so that
//! the callee and the values it is given come from the same call — and so on up the chain
//! while the callers' arguments depend on their own parameters.

use std::rc::Rc;

use super::value::Args;
use super::{Eval, Frame, Inst, Origin, Value};
use crate::analysis::index::Scope;
use crate::python::parse;

/// Callers followed up from a site (a chain of this many calls).
const MAX_CHAIN: usize = 4;
/// Frames tried per site, over all chains.
const MAX_CONTEXTS: usize = 48;

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
            return alone(res);
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
                let r = query(&frame);
                out.push((
                    Context {
                        frame,
                        latent: cc.latent || c.latent,
                    },
                    r,
                ));
            }
        }
        if out.is_empty() {
            return alone(res);
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
