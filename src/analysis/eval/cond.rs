//! Deciding tests (`if multiprocess:`, `if x is None:`, `if isinstance(loc, Backend):`,
//! version checks) in a frame, and narrowing what a name holds in each branch.

use std::rc::Rc;

use super::{Const, Eval, Frame, Vals, Value};
use crate::python::parse::{self, ast};

/// A test's outcome where the frame decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    fn of(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }

    /// Combine per-value outcomes: decided only when all agree.
    fn all(mut outcomes: impl Iterator<Item = Option<bool>>) -> Tri {
        let Some(Some(first)) = outcomes.next() else {
            return Tri::Unknown;
        };
        for o in outcomes {
            if o != Some(first) {
                return Tri::Unknown;
            }
        }
        Tri::of(first)
    }
}

/// What a test says about a name when it holds.
#[derive(Debug, Clone, Copy)]
pub enum Pred<'a> {
    /// `isinstance(name, classes)`.
    IsInstance(&'a ast::Expr<'a>),
    IsNone,
    Truthy,
}

/// A chain of tests a name passed (or failed: `positive` false) on the way to a point.
#[derive(Debug)]
pub struct Narrow<'a> {
    pub pred: Pred<'a>,
    pub positive: bool,
    pub next: Option<Rc<Narrow<'a>>>,
}

/// The narrowing a test gives `name` when it is true: the predicate and its polarity.
pub fn narrowing<'a>(test: &ast::Expr<'a>, name: &str) -> Option<(Pred<'a>, bool)> {
    if name.is_empty() {
        return None;
    }
    let is_name = |e: &ast::Expr| matches!(e.kind(), ast::ExprKind::Name(n) if n.id.as_str() == name);
    match test.kind() {
        ast::ExprKind::Name(_) if is_name(test) => Some((Pred::Truthy, true)),
        ast::ExprKind::UnaryOp(u) if matches!(u.op, ast::UnaryOp::Not) => {
            narrowing(&u.operand, name).map(|(p, pos)| (p, !pos))
        }
        ast::ExprKind::Call(c) => {
            let isinstance = matches!(c.func.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "isinstance");
            match (isinstance, c.args) {
                (true, [x, classes]) if is_name(x) => Some((Pred::IsInstance(classes), true)),
                _ => None,
            }
        }
        ast::ExprKind::Compare(c) if c.ops.len() == 1 => {
            let other = if is_name(&c.left) {
                &c.comparators[0]
            } else if is_name(&c.comparators[0]) {
                &c.left
            } else {
                return None;
            };
            if !parse::is_none_literal(other) {
                return None;
            }
            match c.ops[0] {
                ast::CmpOp::Is | ast::CmpOp::Eq => Some((Pred::IsNone, true)),
                ast::CmpOp::IsNot | ast::CmpOp::NotEq => Some((Pred::IsNone, false)),
                _ => None,
            }
        }
        _ => None,
    }
}

impl<'a, 'c> Eval<'a, 'c> {
    /// Decide a test in a frame. Undecidable tests (unknown values, platform checks) are Unknown.
    pub fn decide(&self, frame: &Frame<'a>, test: &'a ast::Expr<'a>) -> Tri {
        use ast::ExprKind as E;
        if let Some(py2) = crate::analysis::pickle_calls::runs_on_python2(test) {
            return Tri::of(py2 == (self.target.major == 2));
        }
        if matches!(frame.scope, crate::analysis::index::Scope::Module(_))
            && crate::analysis::index::is_main_guard(test)
        {
            // The parent process runs its main module's guarded block.
            return Tri::True;
        }
        match test.kind() {
            E::Constant(c) => const_of(&c.value).truthy().map_or(Tri::Unknown, Tri::of),
            E::UnaryOp(u) if matches!(u.op, ast::UnaryOp::Not) => self.decide(frame, &u.operand).not(),
            E::BoolOp(b) => {
                let and = matches!(b.op, ast::BoolOp::And);
                let mut all_decided = true;
                for v in b.values {
                    match (self.decide(frame, v), and) {
                        (Tri::False, true) => return Tri::False,
                        (Tri::True, false) => return Tri::True,
                        (Tri::Unknown, _) => all_decided = false,
                        _ => {}
                    }
                }
                if all_decided {
                    Tri::of(and)
                } else {
                    Tri::Unknown
                }
            }
            E::Compare(c) if c.ops.len() == 1 => self.decide_compare(frame, &c.left, c.ops[0], &c.comparators[0]),
            E::Call(c) if matches!(c.func.kind(), E::Name(n) if n.id.as_str() == "isinstance") && c.args.len() == 2 => {
                let vals = self.eval(frame, &c.args[0]);
                let classes = self.class_set(frame, &c.args[1]);
                if vals.is_empty() {
                    return Tri::Unknown;
                }
                Tri::all(vals.iter().map(|v| self.is_instance(v, &classes)))
            }
            E::Name(_) | E::Attribute(_) | E::Call(_) | E::Subscript(_) => {
                if let Some(name) = parse::dotted_name(test) {
                    if name == "TYPE_CHECKING" || name.ends_with(".TYPE_CHECKING") {
                        return Tri::False;
                    }
                }
                let vals = self.eval(frame, test);
                truth_of(&vals)
            }
            _ => Tri::Unknown,
        }
    }

    fn decide_compare(
        &self,
        frame: &Frame<'a>,
        left: &'a ast::Expr<'a>,
        op: ast::CmpOp,
        right: &'a ast::Expr<'a>,
    ) -> Tri {
        use ast::CmpOp as Op;
        let (l, r) = (self.eval(frame, left), self.eval(frame, right));
        if l.is_empty() || r.is_empty() {
            return Tri::Unknown;
        }
        if matches!(op, Op::Is | Op::IsNot) {
            let none_side = if parse::is_none_literal(right) {
                &l
            } else if parse::is_none_literal(left) {
                &r
            } else {
                return Tri::Unknown;
            };
            let t = Tri::all(none_side.iter().map(is_none));
            return if matches!(op, Op::Is) { t } else { t.not() };
        }
        let consts = |v: &Vals| -> Option<Vec<Const>> { v.iter().map(|x| x.as_const().cloned()).collect() };
        let (Some(ls), Some(rs)) = (consts(&l), consts(&r)) else {
            if matches!(op, Op::In | Op::NotIn) {
                return self.decide_in(&l, &r, matches!(op, Op::In));
            }
            return Tri::Unknown;
        };
        let mut outcomes = Vec::new();
        for a in &ls {
            for b in &rs {
                outcomes.push(compare(a, op, b));
            }
        }
        Tri::all(outcomes.into_iter())
    }

    /// `x in ("a", "b")`: a constant against a literal tuple or list of constants.
    fn decide_in(&self, l: &Vals, r: &Vals, positive: bool) -> Tri {
        let [Value::Container { slots, .. }] = r.iter().collect::<Vec<_>>()[..] else {
            return Tri::Unknown;
        };
        let mut items = Vec::new();
        for s in slots.iter() {
            for v in s {
                match v.as_const() {
                    Some(c) if !matches!(c, Const::Other) => items.push(c.clone()),
                    _ => return Tri::Unknown,
                }
            }
        }
        let t = Tri::all(l.iter().map(|v| match v.as_const() {
            Some(Const::Other) | None => None,
            Some(c) => Some(items.contains(c)),
        }));
        if positive {
            t
        } else {
            t.not()
        }
    }

    /// The classes an `isinstance` second argument names (a class or a tuple of them).
    fn class_set(&self, frame: &Frame<'a>, e: &'a ast::Expr<'a>) -> Vals {
        let vals = self.eval(frame, e);
        let mut out = Vals::new();
        for v in vals.iter() {
            match v {
                Value::Container { .. } => out.extend(self.elements(&Vals::one(v.clone()))),
                _ => out.add(v.clone()),
            }
        }
        out
    }

    /// Is `v` an instance of one of `classes`? None when it cannot be told.
    fn is_instance(&self, v: &Value, classes: &Vals) -> Option<bool> {
        if classes.is_empty() {
            return None;
        }
        let mut any_unknown = false;
        for c in classes.iter() {
            let r = match (v, c) {
                (Value::Instance(i), Value::Class(k)) => Some(self.mro(i.class).contains(k)),
                (Value::Instance(i), Value::External(q)) => {
                    if self.external_bases(i.class).iter().any(|b| b == &**q) {
                        Some(true)
                    } else if self.external_bases(i.class).is_empty() && q.as_ref() != "object" {
                        Some(false)
                    } else {
                        None
                    }
                }
                (Value::Const(k), Value::External(q)) => const_is(k, q),
                (Value::Const(Const::Other), _) => None,
                (Value::Const(_), Value::Class(_)) => Some(false),
                (Value::Obj(_), Value::Class(_)) => Some(false),
                (Value::Container { .. } | Value::Generator(..), Value::Class(_)) => Some(false),
                (Value::Func(_) | Value::Lambda(_) | Value::Bound(..), Value::Class(_)) => Some(false),
                _ => None,
            };
            match r {
                Some(true) => return Some(true),
                None => any_unknown = true,
                Some(false) => {}
            }
        }
        if any_unknown {
            None
        } else {
            Some(false)
        }
    }

    /// The values of a binding that pass the narrowing tests on the way to the point.
    pub(super) fn narrow(&self, frame: &Frame<'a>, mut vals: Vals, narrow: &Option<Rc<Narrow<'a>>>) -> Vals {
        let mut n = narrow.as_deref();
        while let Some(step) = n {
            let positive = step.positive;
            match step.pred {
                Pred::IsNone => vals.retain(|v| is_none(v) != Some(!positive)),
                Pred::Truthy => vals.retain(|v| v.truthy() != Some(!positive)),
                Pred::IsInstance(classes) => {
                    let classes = self.class_set(frame, classes);
                    vals.retain(|v| self.is_instance(v, &classes) != Some(!positive));
                }
            }
            n = step.next.as_deref();
        }
        vals
    }
}

/// Truthiness of a value set, decided only when every value agrees.
pub fn truth_of(vals: &Vals) -> Tri {
    if vals.is_empty() {
        return Tri::Unknown;
    }
    Tri::all(vals.iter().map(Value::truthy))
}

fn is_none(v: &Value) -> Option<bool> {
    match v {
        Value::Const(Const::None) => Some(true),
        Value::Const(Const::Other) | Value::External(_) | Value::BoundExt(..) | Value::Container { .. } => match v {
            Value::Container { .. } => Some(false),
            _ => None,
        },
        _ => Some(false),
    }
}

fn const_is(k: &Const, q: &str) -> Option<bool> {
    let q = q.strip_prefix("builtins.").unwrap_or(q);
    let ty = match k {
        Const::None => "NoneType",
        Const::Bool(_) => "bool",
        Const::Int(_) => "int",
        Const::Str(_) => "str",
        Const::Other => return None,
    };
    match q {
        "object" => Some(true),
        "int" if ty == "bool" => Some(true),
        "str" | "int" | "bool" | "bytes" | "float" | "list" | "tuple" | "dict" | "set" | "NoneType" => Some(q == ty),
        _ => Some(false),
    }
}

pub fn const_of(c: &ast::Constant) -> Const {
    match c {
        ast::Constant::None => Const::None,
        ast::Constant::Bool(b) => Const::Bool(*b),
        ast::Constant::Int(i) => Const::Int(*i),
        ast::Constant::Str(s) => Const::Str((*s).into()),
        _ => Const::Other,
    }
}

fn compare(a: &Const, op: ast::CmpOp, b: &Const) -> Option<bool> {
    use ast::CmpOp as Op;
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Const::Int(x), Const::Int(y)) => Some(x.cmp(y)),
        (Const::Bool(x), Const::Bool(y)) => Some(x.cmp(y)),
        (Const::Str(x), Const::Str(y)) => Some(x.cmp(y)),
        (Const::None, Const::None) => Some(Ordering::Equal),
        (Const::Other, _) | (_, Const::Other) => None,
        // Different kinds: equal never, ordered never (Python 3 raises; treat as unknown).
        _ => {
            return match op {
                Op::Eq => Some(false),
                Op::NotEq => Some(true),
                _ => None,
            }
        }
    };
    let ord = ord?;
    Some(match op {
        Op::Eq => ord == Ordering::Equal,
        Op::NotEq => ord != Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::LtE => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::GtE => ord != Ordering::Less,
        _ => return None,
    })
}
