//! PF404: pickled bytes used as text.

use super::Check;
use crate::analysis::checker::Checker;
use crate::base::diagnostic::{Applicability, Edit};
use crate::python::parse::{self, ast};
use crate::rules::migrate::{self, argument, At, PickleCall};

crate::declare_rule! {
    /// ## What it does
    /// Finds `pickle.dumps(...)` results put where text is expected — inside a `json.dumps`
    /// document, concatenated or formatted with `str`, passed to `str()` or `.encode()` — and
    /// `pickle.loads(...)` given text: a value read back from `json.loads`, a `str()` or
    /// `.decode()` result.
    ///
    /// ## Why is this bad?
    /// Python 2's protocol 0 pickles were ASCII `str`, so storing them in text formats worked.
    /// Python 3 pickles are `bytes`: `json.dumps` raises
    /// `TypeError: Object of type bytes is not JSON serializable`, concatenation raises
    /// `TypeError: can only concatenate str (not "bytes") to str`, and `pickle.loads` of a `str`
    /// raises `TypeError: a bytes-like object is required, not 'str'`.
    ///
    /// ## Example
    /// ```python
    /// line = json.dumps({"payload": pickle.dumps(task)})
    /// task = pickle.loads(json.loads(line)["payload"])
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// line = json.dumps({"payload": base64.b64encode(pickle.dumps(task)).decode("ascii")})
    /// task = pickle.loads(base64.b64decode(json.loads(line)["payload"]))
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the stored format changes (base64 text instead of raw pickle text), so data written
    /// before the fix cannot be read by the fixed code, and both sides must be fixed together.
    pub static RULE = {
        code: "PF404",
        name: "pickled-bytes-as-text",
        summary: "Pickled bytes are used as text",
        check: Check::Beside(check),
    };
}

pub fn check(c: &mut Checker) {
    let mut found = Vec::new();
    for (site, kind, name) in migrate::pickle_calls(c) {
        let s = &c.index.calls[site];
        let module = s.module();
        let call = s.call;
        let (start, end) = parse::range_of(call);
        let (message, edits) = match kind {
            PickleCall::Dumps if in_text_context(c, module, start) => (
                format!("`{name}` returns bytes in Python 3, and they are used as text here"),
                vec![
                    Edit {
                        start,
                        end: start,
                        content: "base64.b64encode(".into(),
                    },
                    Edit {
                        start: end,
                        end,
                        content: ").decode(\"ascii\")".into(),
                    },
                ],
            ),
            PickleCall::Loads => {
                let Some(arg) = argument(call, 0, "data") else { continue };
                if !is_text(c, site, arg) {
                    continue;
                }
                let (a, b) = parse::range_of(arg);
                (
                    format!("`{name}` needs bytes, but it is given text here"),
                    vec![
                        Edit {
                            start: a,
                            end: a,
                            content: "base64.b64decode(".into(),
                        },
                        Edit {
                            start: b,
                            end: b,
                            content: ")".into(),
                        },
                    ],
                )
            }
            _ => continue,
        };
        let suite = c.index.project.modules[module].suite().unwrap_or(&[]);
        let text = c.index.project.modules[module].source.text();
        let mut edits = edits;
        edits.extend(crate::python::text::import_edit(text, suite, "base64"));
        let fix = migrate::fix(
            c,
            module,
            Applicability::Unsafe,
            "Carry the pickle as base64 text",
            edits,
        );
        let at = At {
            module,
            range: (start, end),
            origin: None,
            sink: Some(&name),
        };
        found.push(migrate::diagnostic(
            c,
            RULE.code,
            at,
            message,
            Some(fix),
            "encode the pickle with base64 before putting it in text, decode it before `pickle.loads`",
        ));
    }
    c.report(found);
}

/// Is the expression starting at `offset` inside something that needs text?
fn in_text_context(c: &Checker, module: usize, offset: usize) -> bool {
    struct Find<'a> {
        offset: usize,
        stack: Vec<&'a ast::Expr<'a>>,
        found: Option<Vec<&'a ast::Expr<'a>>>,
    }
    impl<'a> parse::Visitor<'a> for Find<'a> {
        fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
            let (a, b) = parse::range_of(expr);
            if a > self.offset || b <= self.offset || self.found.is_some() {
                return;
            }
            if a == self.offset && matches!(expr.kind(), ast::ExprKind::Call(_)) {
                self.found = Some(self.stack.clone());
                return;
            }
            self.stack.push(expr);
            parse::walk_expr(self, expr);
            self.stack.pop();
        }
    }
    let suite = c.index.project.modules[module].suite().unwrap_or(&[]);
    let mut f = Find {
        offset,
        stack: Vec::new(),
        found: None,
    };
    parse::walk_body(&mut f, suite);
    let Some(ancestors) = f.found else { return false };
    for e in ancestors.iter().rev() {
        match e.kind() {
            ast::ExprKind::Call(call) => {
                // `"{}".format(...)`, `" ".join(...)`: the receiver is often a literal.
                if let ast::ExprKind::Attribute(a) = call.func.kind() {
                    if matches!(a.attr.as_str(), "format" | "join" | "encode") {
                        return true;
                    }
                }
                let callee = parse::dotted_name(&call.func).unwrap_or_default();
                if matches!(callee.as_str(), "json.dumps" | "json.dump" | "str" | "simplejson.dumps")
                    || callee.ends_with(".join")
                    || callee.ends_with(".format")
                {
                    return true;
                }
                if callee.ends_with(".encode") {
                    return true;
                }
                return false;
            }
            ast::ExprKind::BinOp(b) => {
                let is_str =
                    |x: &ast::Expr| parse::str_literal(x).is_some() || matches!(x.kind(), ast::ExprKind::JoinedStr(_));
                if is_str(&b.left) || is_str(&b.right) {
                    return true;
                }
            }
            ast::ExprKind::FormattedValue(_) | ast::ExprKind::JoinedStr(_) => return true,
            ast::ExprKind::Attribute(a) if a.attr.as_str() == "encode" => return true,
            _ => {}
        }
    }
    false
}

/// Is this argument text: something read from `json.loads`, a `str()` or `.decode()` result?
fn is_text(c: &Checker, site: usize, arg: &ast::Expr) -> bool {
    let from_text_call = |e: &ast::Expr| match e.kind() {
        ast::ExprKind::Call(call) => {
            let callee = parse::dotted_name(&call.func).unwrap_or_default();
            matches!(callee.as_str(), "json.loads" | "json.load" | "str" | "simplejson.loads")
                || callee.ends_with(".decode")
        }
        _ => false,
    };
    let mut e = arg;
    while let ast::ExprKind::Subscript(s) = e.kind() {
        e = &s.value;
    }
    if from_text_call(e) {
        return true;
    }
    // A name bound to such a call in the same function (`record = json.loads(line)`), by the
    // last assignment written before the call (`s = str(e)` then `s = pickle.dumps(e)` is bytes).
    if let ast::ExprKind::Name(n) = e.kind() {
        let scope = c.index.calls[site].scope;
        let at = parse::range_of(c.index.calls[site].call).0 as u32;
        if let Some(bindings) = c.index.scope_info(scope).bindings.get(n.id.as_str()) {
            let last = bindings.iter().rfind(|b| b.offset().is_some_and(|o| o < at));
            return last.is_some_and(|b| matches!(b, crate::analysis::index::Binding::Value { expr, unpack, .. } if unpack.is_empty() && from_text_call(expr)));
        }
    }
    false
}
