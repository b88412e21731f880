//! Flow sensitivity for names: which assignments of a name reach a point of its scope. The
//! scope's body is walked in order (see `walker`): a later assignment replaces an earlier one,
//! a value from one branch of an undecided `if` becomes latent, and `isinstance`/`is None`
//! tests narrow what the name holds in each branch.

use std::rc::Rc;

use super::cond::{narrowing, Narrow, Tri};
use super::walker::{children, Domain, Walker};
use super::{Eval, Frame};
use crate::analysis::index::{Binding, Scope};
use crate::python::parse::{self, ast};

pub use super::walker::END;

/// Cache key of a walk: scope, name ("" for a reachability question), point, frame.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FlowKey<'a>(Scope, &'a str, u32, u64);

/// An assignment that reaches the point: its index among the name's bindings, whether it
/// reaches only on some undecided paths, and the narrowing tests on the way.
#[derive(Clone)]
pub struct Item<'a> {
    pub binding: u32,
    pub latent: bool,
    pub narrow: Option<Rc<Narrow<'a>>>,
}

/// What reaches a point.
#[derive(Default)]
pub struct Reach<'a> {
    pub items: Vec<Item<'a>>,
    /// The point can run at all (it is not in a branch the frame rules out).
    pub reachable: bool,
    /// The point runs only on some undecided paths.
    pub path_latent: bool,
    /// At the end of the scope: the body can run off its end (not only leave by `return`).
    pub falls_through: bool,
    /// Parameters read without a call context while deciding tests (replayed on a cache hit).
    pub reads: Option<Rc<[crate::analysis::index::FuncId]>>,
}

#[derive(Clone, Default)]
pub(super) struct St<'a> {
    items: Vec<Item<'a>>,
    path_latent: bool,
}

impl<'a> St<'a> {
    fn bind(&mut self, binding: u32, adds: bool) {
        if !adds {
            self.items.clear();
        }
        if !self.items.iter().any(|i| i.binding == binding) {
            self.items.push(Item {
                binding,
                latent: false,
                narrow: None,
            });
        }
    }
}

struct Names<'w, 'a, 'c> {
    ev: &'w Eval<'a, 'c>,
    frame: &'w Frame<'a>,
    name: &'a str,
    bindings: &'w [Binding<'a>],
    /// Offsets of the name's bindings (statement starts), sorted, with their indices.
    offsets: Vec<(u32, u32)>,
    at: usize,
    /// A test was decided on the way: the result depends on the frame.
    decided: bool,
}

impl<'a> Names<'_, 'a, '_> {
    /// Bindings of the name made by the statement starting at `start`, in order.
    fn bindings_at(&self, start: usize) -> impl Iterator<Item = u32> + '_ {
        let from = self.offsets.partition_point(|&(o, _)| (o as usize) < start);
        self.offsets[from..]
            .iter()
            .take_while(move |&&(o, _)| o as usize == start)
            .map(|&(_, i)| i)
    }

    fn has_binding_in(&self, a: usize, b: usize) -> bool {
        let from = self.offsets.partition_point(|&(o, _)| (o as usize) < a);
        self.offsets.get(from).is_some_and(|&(o, _)| (o as usize) < b)
    }

    /// Does the binding add elements (`x.append(v)`)? A branch that adds some decides how many
    /// elements there are, not what they are: those stay as they were at a join.
    fn grows(&self, binding: u32) -> bool {
        matches!(self.bindings.get(binding as usize), Some(Binding::Element { .. }))
    }

    fn apply(&self, start: usize, mut st: St<'a>) -> St<'a> {
        for i in self.bindings_at(start) {
            let adds = matches!(self.bindings.get(i as usize), Some(Binding::Element { .. }));
            st.bind(i, adds);
        }
        st
    }
}

impl<'a> Domain<'a> for Names<'_, 'a, '_> {
    type St = St<'a>;

    fn join(&mut self, a: St<'a>, b: St<'a>, sticky: bool) -> St<'a> {
        let mut items = Vec::new();
        for x in &a.items {
            match b.items.iter().find(|y| y.binding == x.binding) {
                Some(y) => {
                    let same = match (&x.narrow, &y.narrow) {
                        (None, None) => true,
                        (Some(p), Some(q)) => Rc::ptr_eq(p, q),
                        _ => false,
                    };
                    items.push(Item {
                        binding: x.binding,
                        latent: x.latent || y.latent,
                        narrow: if same { x.narrow.clone() } else { None },
                    });
                }
                None => items.push(Item {
                    latent: x.latent || !(sticky && self.grows(x.binding)),
                    ..x.clone()
                }),
            }
        }
        for y in &b.items {
            if !a.items.iter().any(|x| x.binding == y.binding) {
                items.push(Item {
                    latent: y.latent || !(sticky && self.grows(y.binding)),
                    ..y.clone()
                });
            }
        }
        St {
            items,
            path_latent: a.path_latent || b.path_latent,
        }
    }

    fn join_exceptional(&mut self, mut normal: St<'a>, exceptional: St<'a>) -> St<'a> {
        for y in exceptional.items {
            if !normal.items.iter().any(|x| x.binding == y.binding) {
                normal.items.push(Item { latent: true, ..y });
            }
        }
        normal
    }

    fn handler_entry(&mut self, before: St<'a>, after: Option<St<'a>>) -> St<'a> {
        let mut s = match after {
            Some(a) => self.join(before, a, true),
            None => before,
        };
        for i in &mut s.items {
            i.latent = true;
        }
        s.path_latent = true;
        s
    }

    fn latent_path(&mut self, mut st: St<'a>) -> St<'a> {
        st.path_latent = true;
        st
    }

    fn simple(&mut self, stmt: &'a ast::Stmt<'a>, mut st: St<'a>) -> St<'a> {
        match stmt {
            ast::Stmt::Delete(d) if d.targets.iter().any(|t| is_name(t, self.name)) => {
                st.items.clear();
                st
            }
            ast::Stmt::Assert(a) => self.narrow(&a.test, true, st),
            _ => self.apply(parse::range_of(stmt).0, st),
        }
    }

    fn header(&mut self, stmt: &'a ast::Stmt<'a>, st: St<'a>) -> St<'a> {
        self.apply(parse::range_of(stmt).0, st)
    }

    fn decide(&mut self, test: &'a ast::Expr<'a>, _: &St<'a>) -> Tri {
        self.decided = true;
        self.ev.decide(self.frame, test)
    }

    fn narrow(&mut self, test: &'a ast::Expr<'a>, holds: bool, mut st: St<'a>) -> St<'a> {
        let Some((pred, positive)) = narrowing(test, self.name) else {
            return st;
        };
        for item in &mut st.items {
            item.narrow = Some(Rc::new(Narrow {
                pred,
                positive: positive == holds,
                next: item.narrow.clone(),
            }));
        }
        st
    }

    fn relevant(&self, stmt: &'a ast::Stmt<'a>) -> bool {
        let (a, b) = parse::range_of(stmt);
        if self.name.is_empty() {
            // Reachability: any statement that can end or split a path.
            return !matches!(
                stmt,
                ast::Stmt::Assign(_)
                    | ast::Stmt::AugAssign(_)
                    | ast::Stmt::AnnAssign(_)
                    | ast::Stmt::Expr(_)
                    | ast::Stmt::Import(_)
                    | ast::Stmt::ImportFrom(_)
                    | ast::Stmt::Pass(_)
                    | ast::Stmt::FunctionDef(_)
                    | ast::Stmt::AsyncFunctionDef(_)
                    | ast::Stmt::ClassDef(_)
            );
        }
        if self.has_binding_in(a, b) {
            return true;
        }
        let _ = self.at;
        match stmt {
            ast::Stmt::If(i) => narrowing(&i.test, self.name).is_some(),
            ast::Stmt::Assert(s) => narrowing(&s.test, self.name).is_some(),
            ast::Stmt::Delete(d) => d.targets.iter().any(|t| is_name(t, self.name)),
            ast::Stmt::Return(_) | ast::Stmt::Raise(_) | ast::Stmt::Break(_) | ast::Stmt::Continue(_) => true,
            _ => false,
        }
    }
}

impl<'a, 'c> Eval<'a, 'c> {
    /// The assignments of `name` in the frame's scope that reach offset `at` (or `END`); with
    /// an empty name, whether the point can run at all.
    pub(super) fn reach(&self, frame: &Frame<'a>, name: &'a str, at: usize) -> Rc<Reach<'a>> {
        let any_frame = FlowKey(frame.scope, name, at.min(END) as u32, 0);
        let key = FlowKey(frame.scope, name, at.min(END) as u32, frame.id());
        {
            let flows = self.flows.borrow();
            if let Some(r) = flows
                .get(&key)
                .or_else(|| flows.get(&any_frame).filter(|_| frame.id() != 0))
            {
                if let Some(reads) = &r.reads {
                    self.replay_reads(reads);
                }
                return r.clone();
            }
        }
        let mark = self.read_mark();
        let (mut reach, decided) = self.walk_scope(frame, name, at);
        reach.reads = self.reads_since(mark);
        let r = Rc::new(reach);
        if !self.exhausted() {
            // A walk that decided no test holds in every frame of the scope. (The object state
            // a method run carries is left out of the key: tests on the name's own branches
            // rarely read `self`.)
            let key = if decided { key } else { any_frame };
            self.flows.borrow_mut().insert(key, r.clone());
        }
        r
    }

    fn walk_scope(&self, frame: &Frame<'a>, name: &'a str, at: usize) -> (Reach<'a>, bool) {
        let info = self.index.scope_info(frame.scope);
        let bindings: &[Binding<'a>] = if name.is_empty() {
            &[]
        } else {
            info.bindings.get(name).unwrap_or(&[])
        };
        let body = self.scope_body(frame.scope);
        let mut offsets: Vec<(u32, u32)> = bindings
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.offset().map(|o| (o, i as u32)))
            .collect();
        offsets.sort_unstable();
        let mut start = St::default();
        for (i, b) in bindings.iter().enumerate() {
            if matches!(b, Binding::Param(_)) {
                start.bind(i as u32, true);
            }
        }
        let names = Names {
            ev: self,
            frame,
            name,
            bindings,
            offsets,
            at,
            decided: false,
        };
        let mut w = Walker::new(names, at);
        let flow = w.block(body, start);
        let decided = w.d.decided;
        let falls_through = flow.next.is_some();
        let state = match w.found.take() {
            Some(found) => found,
            // Every path ended (returned, raised) before the point: it cannot run.
            None if at < END => None,
            None => match (flow.next, flow.returns) {
                (Some(a), Some(b)) => Some(w.d.join(a, b, true)),
                (a, b) => a.or(b),
            },
        };
        let mut reach = match state {
            Some(s) => Reach {
                items: s.items,
                reachable: true,
                path_latent: s.path_latent,
                falls_through,
                reads: None,
            },
            None => Reach::default(),
        };
        if at >= END && !name.is_empty() {
            // Writes made elsewhere (a function's `global x; x = ...`) may have happened by the
            // time the scope's end state is read: they reach, latent.
            for (i, b) in bindings.iter().enumerate() {
                let i = i as u32;
                let foreign = b.offset().is_some_and(|o| !own_statement(body, o as usize));
                if foreign && !reach.items.iter().any(|x| x.binding == i) {
                    reach.items.push(Item {
                        binding: i,
                        latent: true,
                        narrow: None,
                    });
                }
            }
        }
        (reach, decided)
    }

    /// Can offset `at` of the frame's scope run? Some(latent) when it can, latent when only
    /// some undecided paths reach it.
    pub fn reachable(&self, frame: &Frame<'a>, at: usize) -> Option<bool> {
        let r = self.reach(frame, "", at);
        r.reachable.then_some(r.path_latent)
    }

    /// Can the frame's function run to the end of its body (and return `None`)?
    pub(super) fn falls_off_end(&self, frame: &Frame<'a>) -> bool {
        let r = self.reach(frame, "", END);
        r.reachable && r.falls_through
    }

    pub(super) fn scope_body(&self, scope: Scope) -> &'a [ast::Stmt<'a>] {
        match scope {
            Scope::Func(f) => self.index.funcs[f].def.body,
            Scope::Module(m) => self.index.project.modules[m].suite().unwrap_or(&[]),
        }
    }
}

/// Is `offset` the start of one of this body's own statements (not inside a nested def)?
fn own_statement(stmts: &[ast::Stmt], offset: usize) -> bool {
    for s in stmts {
        let (a, b) = parse::range_of(s);
        if a == offset {
            return true;
        }
        if a < offset && offset < b {
            return match s {
                ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) | ast::Stmt::ClassDef(_) => false,
                _ => children(s).iter().any(|c| own_statement(c, offset)),
            };
        }
    }
    false
}

fn is_name(e: &ast::Expr, name: &str) -> bool {
    matches!(e.kind(), ast::ExprKind::Name(n) if n.id.as_str() == name)
}
