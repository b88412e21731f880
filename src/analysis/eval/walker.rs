//! A structured walk over a scope's statements, in the order Python runs them, for any kind of
//! state (`Domain`): which assignments of a name reach a point (`flow`), what attributes an
//! object holds (`objects`). Control flow is the same for both: `if` tests the domain decides
//! take one branch, undecided ones join both; loops are assumed to run at least once and a
//! point inside a loop also sees what the body leaves for the next round; `try` bodies finish
//! normally and handlers are exceptional paths; `return`, `raise`, `break` and `continue` end
//! a path. The walk stops at a point (an offset) and gives the state there, or runs to the end.

use crate::python::parse::{self, ast};

use super::cond::Tri;

/// The end of a scope: a walk that runs through everything.
pub const END: usize = u32::MAX as usize;

pub(super) trait Domain<'a> {
    type St: Clone;
    /// Two paths meet. With `sticky`, elements added to a container on one path only keep
    /// their bit: the paths differ in how many elements there are (a test on the data of a
    /// loop round), not in what they are (a flag).
    fn join(&mut self, a: Self::St, b: Self::St, sticky: bool) -> Self::St;
    /// A normal path meets an exceptional one (an `except` handler's).
    fn join_exceptional(&mut self, normal: Self::St, exceptional: Self::St) -> Self::St;
    /// What an `except` handler starts from (any point of the `try` body may have raised).
    fn handler_entry(&mut self, before: Self::St, after: Option<Self::St>) -> Self::St;
    /// The state on a path that only some undecided runs take.
    fn latent_path(&mut self, st: Self::St) -> Self::St;
    /// A statement without control flow of its own (assignment, expression, import, `del`, ...).
    fn simple(&mut self, stmt: &'a ast::Stmt<'a>, st: Self::St) -> Self::St;
    /// What a `for` or `with` header binds before its body runs.
    fn header(&mut self, stmt: &'a ast::Stmt<'a>, st: Self::St) -> Self::St;
    fn decide(&mut self, test: &'a ast::Expr<'a>, st: &Self::St) -> Tri;
    /// The state in the branch where `test` is `holds` (narrowing).
    fn narrow(&mut self, test: &'a ast::Expr<'a>, holds: bool, st: Self::St) -> Self::St;
    /// Can this statement change the state or end a path? (false: the walk skips it)
    fn relevant(&self, stmt: &'a ast::Stmt<'a>) -> bool;
}

/// How a block ends: the state falling out of its end, and the states leaving it by `break`,
/// `continue` and `return`.
pub(super) struct Flow<S> {
    pub next: Option<S>,
    pub breaks: Option<S>,
    pub continues: Option<S>,
    pub returns: Option<S>,
}

impl<S> Flow<S> {
    /// Every path through the block ends by raising.
    fn raises_only(&self) -> bool {
        self.next.is_none() && self.breaks.is_none() && self.continues.is_none() && self.returns.is_none()
    }
}

impl<S> Default for Flow<S> {
    fn default() -> Self {
        Flow {
            next: None,
            breaks: None,
            continues: None,
            returns: None,
        }
    }
}

pub(super) struct Walker<'a, D: Domain<'a>> {
    pub d: D,
    /// The point to stop at (`END`: none).
    pub at: usize,
    /// The state at the point once reached; `Some(None)`: the point cannot run.
    pub found: Option<Option<D::St>>,
    /// How many undecided branches the walk is inside (a point found there is latent).
    undecided: u32,
    /// For each loop the walk is inside: the names each round rebinds.
    loops: Vec<Vec<&'a str>>,
    _life: std::marker::PhantomData<&'a ()>,
}

impl<'a, D: Domain<'a>> Walker<'a, D> {
    pub fn new(d: D, at: usize) -> Self {
        Walker {
            d,
            at,
            found: None,
            undecided: 0,
            loops: Vec::new(),
            _life: std::marker::PhantomData,
        }
    }

    fn done(&self) -> bool {
        self.found.is_some()
    }

    fn join(&mut self, a: Option<D::St>, b: Option<D::St>, sticky: bool) -> Option<D::St> {
        match (a, b) {
            (None, None) => None,
            (Some(s), None) | (None, Some(s)) => Some(self.d.latent_path(s)),
            (Some(a), Some(b)) => Some(self.d.join(a, b, sticky)),
        }
    }

    /// Join where a missing side means "no such exit", not "an undecided branch".
    fn join_exits(&mut self, a: Option<D::St>, b: Option<D::St>) -> Option<D::St> {
        match (a, b) {
            (Some(a), Some(b)) => Some(self.d.join(a, b, true)),
            (a, b) => a.or(b),
        }
    }

    fn merge_exits(&mut self, into: &mut Flow<D::St>, from: &mut Flow<D::St>) {
        into.breaks = self.join_exits(into.breaks.take(), from.breaks.take());
        into.continues = self.join_exits(into.continues.take(), from.continues.take());
        into.returns = self.join_exits(into.returns.take(), from.returns.take());
    }

    fn contains(&self, range: (usize, usize)) -> bool {
        range.0 <= self.at && self.at < range.1
    }

    /// The point is in this statement's own expressions: the state before it.
    fn point_here(&mut self, st: &D::St) -> Flow<D::St> {
        let st = if self.undecided > 0 {
            self.d.latent_path(st.clone())
        } else {
            st.clone()
        };
        self.found = Some(Some(st));
        Flow::default()
    }

    pub fn block(&mut self, stmts: &'a [ast::Stmt<'a>], mut st: D::St) -> Flow<D::St> {
        let mut exits = Flow::default();
        for stmt in stmts {
            let (a, b) = parse::range_of(stmt);
            if a > self.at {
                break;
            }
            if !self.contains((a, b)) && !self.d.relevant(stmt) {
                continue;
            }
            let mut flow = self.stmt(stmt, st);
            if self.done() {
                return Flow::default();
            }
            self.merge_exits(&mut exits, &mut flow);
            match flow.next {
                Some(next) => st = next,
                None => return exits,
            }
        }
        exits.next = Some(st);
        exits
    }

    fn stmt(&mut self, stmt: &'a ast::Stmt<'a>, st: D::St) -> Flow<D::St> {
        use ast::Stmt as S;
        match stmt {
            S::If(i) => self.if_stmt(i, st),
            S::For(f) | S::AsyncFor(f) => {
                if self.contains(parse::range_of(&f.iter)) {
                    return self.point_here(&st);
                }
                self.loop_stmt(Some(stmt), f.body, f.orelse, st, false)
            }
            S::While(w) => {
                if self.contains(parse::range_of(&w.test)) {
                    return self.point_here(&st);
                }
                let forever = matches!(w.test.kind(), ast::ExprKind::Constant(c) if matches!(c.value, ast::Constant::Bool(true) | ast::Constant::Int(1)));
                self.loop_stmt(None, w.body, w.orelse, st, forever)
            }
            S::With(w) | S::AsyncWith(w) => {
                if w.items.iter().any(|i| self.contains(parse::range_of(&i.context_expr))) {
                    return self.point_here(&st);
                }
                let st = self.d.header(stmt, st);
                self.block(w.body, st)
            }
            S::Try(t) | S::TryStar(t) => self.try_stmt(t, st),
            S::Match(m) => {
                if self.contains(parse::range_of(&m.subject)) {
                    return self.point_here(&st);
                }
                let mut out = Some(st.clone());
                let mut exits = Flow::default();
                for case in m.cases {
                    self.undecided += 1;
                    let mut f = self.block(case.body, st.clone());
                    self.undecided -= 1;
                    if self.done() {
                        return Flow::default();
                    }
                    out = self.join(out, f.next.take(), false);
                    self.merge_exits(&mut exits, &mut f);
                }
                exits.next = out;
                exits
            }
            _ if self.contains(parse::range_of(stmt)) => self.point_here(&st),
            S::Return(_) => Flow {
                returns: Some(self.d.simple(stmt, st)),
                ..Flow::default()
            },
            S::Raise(_) => {
                let _ = self.d.simple(stmt, st);
                Flow::default()
            }
            S::Break(_) => Flow {
                breaks: Some(st),
                ..Flow::default()
            },
            S::Continue(_) => Flow {
                continues: Some(st),
                ..Flow::default()
            },
            _ => Flow {
                next: Some(self.d.simple(stmt, st)),
                ..Flow::default()
            },
        }
    }

    fn if_stmt(&mut self, i: &'a ast::StmtIf<'a>, st: D::St) -> Flow<D::St> {
        if self.contains(parse::range_of(&i.test)) {
            return self.point_here(&st);
        }
        let inside = self.contains(parse::range_of(i));
        let (in_body, in_else) = (within(i.body, self.at), within(i.orelse, self.at));
        match self.d.decide(&i.test, &st) {
            Tri::True => {
                if inside && in_else {
                    // The point is in the branch the frame rules out.
                    self.found = Some(None);
                    return Flow::default();
                }
                let st = self.d.narrow(&i.test, true, st);
                self.block(i.body, st)
            }
            Tri::False => {
                if inside && in_body {
                    self.found = Some(None);
                    return Flow::default();
                }
                let st = self.d.narrow(&i.test, false, st);
                self.block(i.orelse, st)
            }
            Tri::Unknown => {
                let yes = self.d.narrow(&i.test, true, st.clone());
                self.undecided += 1;
                let mut a = self.block(i.body, yes);
                self.undecided -= 1;
                if self.done() {
                    return Flow::default();
                }
                let no = self.d.narrow(&i.test, false, st);
                self.undecided += 1;
                let mut b = self.block(i.orelse, no);
                self.undecided -= 1;
                if self.done() {
                    return Flow::default();
                }
                // A branch that can only raise is a guard, not an alternative: the code after
                // the `if` runs on the other branch's path as surely as before it.
                let next = match (a.raises_only(), b.raises_only()) {
                    (true, false) => b.next.take(),
                    (false, true) => a.next.take(),
                    _ => {
                        let sticky = self.varies_in_loop(&i.test);
                        self.join(a.next.take(), b.next.take(), sticky)
                    }
                };
                let mut out = Flow {
                    next,
                    ..Flow::default()
                };
                self.merge_exits(&mut out, &mut a);
                self.merge_exits(&mut out, &mut b);
                out
            }
        }
    }

    /// `for` (the header binds its target) and `while`. The body is assumed to run at least
    /// once; a point inside it also sees what the body leaves for the next round.
    fn loop_stmt(
        &mut self,
        header: Option<&'a ast::Stmt<'a>>,
        body: &'a [ast::Stmt<'a>],
        orelse: &'a [ast::Stmt<'a>],
        st: D::St,
        forever: bool,
    ) -> Flow<D::St> {
        let mut varying = rebound_names(body);
        if let Some(ast::Stmt::For(f) | ast::Stmt::AsyncFor(f)) = header {
            target_names(&f.target, &mut varying);
        }
        self.loops.push(varying);
        let out = self.loop_body(header, body, orelse, st, forever);
        self.loops.pop();
        out
    }

    /// Does the test read a name the enclosing loops rebind each round (data of the round)?
    fn varies_in_loop(&self, test: &'a ast::Expr<'a>) -> bool {
        let varying: Vec<&str> = self.loops.iter().flatten().copied().collect();
        !varying.is_empty() && names_in(test).iter().any(|n| varying.contains(n))
    }

    fn loop_body(
        &mut self,
        header: Option<&'a ast::Stmt<'a>>,
        body: &'a [ast::Stmt<'a>],
        orelse: &'a [ast::Stmt<'a>],
        st: D::St,
        forever: bool,
    ) -> Flow<D::St> {
        let enter = |w: &mut Self, s: D::St| match header {
            Some(h) => w.d.header(h, s),
            None => s,
        };
        let first = enter(self, st.clone());
        // One round, not stopping at the point: what the body leaves for the next round.
        let at = std::mem::replace(&mut self.at, END);
        let found = self.found.take();
        let mut round = self.block(body, first.clone());
        self.at = at;
        self.found = found;
        let again = self.join_exits(round.next.take(), round.continues.take());
        if within(body, self.at) {
            let pre = match again {
                Some(a) => {
                    let a = enter(self, a);
                    self.d.join(first, a, true)
                }
                None => first,
            };
            return self.block(body, pre);
        }
        let mut out = Flow {
            returns: round.returns.take(),
            ..Flow::default()
        };
        let finished = if forever { None } else { again };
        let after_else = match finished {
            Some(s) => {
                let mut f = self.block(orelse, s);
                if self.done() {
                    return Flow::default();
                }
                out.returns = self.join_exits(out.returns.take(), f.returns.take());
                f.next
            }
            None => None,
        };
        out.next = self.join_exits(after_else, round.breaks.take());
        out
    }

    fn try_stmt(&mut self, t: &'a ast::StmtTry<'a>, st: D::St) -> Flow<D::St> {
        let mut body = self.block(t.body, st.clone());
        if self.done() {
            return Flow::default();
        }
        let mut exits = Flow::default();
        self.merge_exits(&mut exits, &mut body);
        let mut handled: Option<D::St> = None;
        for ast::ExceptHandler::ExceptHandler(h) in t.handlers {
            let entry = self.d.handler_entry(st.clone(), body.next.clone());
            if h.type_.as_ref().is_some_and(|e| self.contains(parse::range_of(e))) {
                return self.point_here(&entry);
            }
            let mut f = self.block(h.body, entry);
            if self.done() {
                return Flow::default();
            }
            handled = self.join_exits(handled, f.next.take());
            self.merge_exits(&mut exits, &mut f);
        }
        let normal = match body.next.take() {
            Some(s) => {
                let mut f = self.block(t.orelse, s);
                if self.done() {
                    return Flow::default();
                }
                self.merge_exits(&mut exits, &mut f);
                f.next
            }
            None => None,
        };
        let after = match (normal, handled) {
            (Some(n), Some(e)) => Some(self.d.join_exceptional(n, e)),
            (Some(n), None) => Some(n),
            (None, Some(e)) => Some(self.d.latent_path(e)),
            (None, None) => None,
        };
        if t.finalbody.is_empty() {
            exits.next = after;
            return exits;
        }
        let ends = after.is_none();
        let mut f = self.block(t.finalbody, after.unwrap_or(st));
        if self.done() {
            return Flow::default();
        }
        self.merge_exits(&mut exits, &mut f);
        exits.next = if ends { None } else { f.next };
        exits
    }
}

/// Names assigned anywhere in a block (not in nested functions or classes).
fn rebound_names<'a>(body: &'a [ast::Stmt<'a>]) -> Vec<&'a str> {
    struct Targets<'a>(Vec<&'a str>);
    impl<'a> parse::Visitor<'a> for Targets<'a> {
        fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
            match stmt {
                ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) | ast::Stmt::ClassDef(_) => {}
                ast::Stmt::Assign(a) => a.targets.iter().for_each(|t| target_names(t, &mut self.0)),
                ast::Stmt::AugAssign(a) => target_names(&a.target, &mut self.0),
                ast::Stmt::AnnAssign(a) => target_names(&a.target, &mut self.0),
                ast::Stmt::For(f) | ast::Stmt::AsyncFor(f) => {
                    target_names(&f.target, &mut self.0);
                    parse::walk_stmt(self, stmt);
                }
                ast::Stmt::With(w) | ast::Stmt::AsyncWith(w) => {
                    for i in w.items {
                        if let Some(v) = &i.optional_vars {
                            target_names(v, &mut self.0);
                        }
                    }
                    parse::walk_stmt(self, stmt);
                }
                _ => parse::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, _: &'a ast::Expr<'a>) {}
    }
    let mut t = Targets(Vec::new());
    parse::walk_body(&mut t, body);
    t.0
}

fn target_names<'a>(target: &ast::Expr<'a>, out: &mut Vec<&'a str>) {
    match target.kind() {
        ast::ExprKind::Name(n) => out.push(n.id.as_str()),
        ast::ExprKind::Tuple(t) => t.elts.iter().for_each(|e| target_names(e, out)),
        ast::ExprKind::List(t) => t.elts.iter().for_each(|e| target_names(e, out)),
        ast::ExprKind::Starred(s) => target_names(&s.value, out),
        _ => {}
    }
}

/// The plain names an expression reads.
fn names_in<'a>(e: &'a ast::Expr<'a>) -> Vec<&'a str> {
    struct Names<'a>(Vec<&'a str>);
    impl<'a> parse::Visitor<'a> for Names<'a> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            if let ast::ExprKind::Name(n) = expr.kind() {
                self.0.push(n.id.as_str());
            }
            parse::walk_expr(self, expr);
        }
    }
    let mut n = Names(Vec::new());
    parse::Visitor::visit_expr(&mut n, e);
    n.0
}

/// Is `at` inside the block (from its first statement's start to its last one's end)?
pub fn within(body: &[ast::Stmt], at: usize) -> bool {
    match (body.first(), body.last()) {
        (Some(a), Some(b)) => parse::range_of(a).0 <= at && at < parse::range_of(b).1,
        _ => false,
    }
}

/// The statement lists inside a compound statement.
pub fn children<'a>(s: &ast::Stmt<'a>) -> Vec<&'a [ast::Stmt<'a>]> {
    use ast::Stmt as S;
    match s {
        S::If(i) => vec![i.body, i.orelse],
        S::For(f) | S::AsyncFor(f) => vec![f.body, f.orelse],
        S::While(w) => vec![w.body, w.orelse],
        S::With(w) | S::AsyncWith(w) => vec![w.body],
        S::Try(t) | S::TryStar(t) => {
            let mut v = vec![t.body, t.orelse, t.finalbody];
            for ast::ExceptHandler::ExceptHandler(h) in t.handlers {
                v.push(h.body);
            }
            v
        }
        S::Match(m) => m.cases.iter().map(|c| c.body).collect(),
        _ => Vec::new(),
    }
}
