//! Handles on pickled objects: add `__getstate__`/`__setstate__` to the class that owns the
//! attribute (not the pickled root), dropping the handle from the state and recreating it in the
//! receiving process. Recreating re-runs the statements that created it, with the method's
//! locals replaced by the attributes that hold them (storing an argument when none does); a
//! file passed in from outside is reopened from its own `name` and `mode`; otherwise the
//! attribute is set to None with a comment. An existing `__getstate__`/`__setstate__` is
//! extended instead of adding a second one; `__slots__` classes get slot-aware state.
//!
//! Always unsafe: the receiving process gets a new handle (a reopened file starts at offset 0,
//! a file opened for writing is truncated again, a fresh lock is unlocked).

use std::collections::HashMap;

use super::rebuild::{append_modes, read_by};
use super::FixContext;
use crate::analysis::index::{AttrKind, ClassId, FuncId};
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::names::{bound_names, loaded_names};
use crate::python::parse::{self, ast};
use crate::python::text::{indent_at, indent_unit, line_end, line_start, newline, reindent};

pub fn drop_and_recreate(ctx: &FixContext) -> Option<Fix> {
    if ctx.settings.handle_strategy == crate::config::settings::HandleStrategy::Lazy {
        if let Some(fix) = lazy(ctx) {
            return Some(fix);
        }
    }
    build(ctx, true)
}

/// `fix.handle-strategy = "lazy"`: the handle is made on first use through a property, and
/// `__getstate__` never sends it; `self.fh = open(...)` in `__init__` becomes `self._fh = None`.
/// Only for a handle made by one plain assignment, in a class without `__slots__` or state
/// methods of its own; anything else falls back to `__getstate__`/`__setstate__`.
fn lazy(ctx: &FixContext) -> Option<Fix> {
    let (class_id, attr) = ctx.leaf.owner.clone()?;
    let index = ctx.index;
    let class = &index.classes[class_id];
    if class.slots.is_some() || class.methods.contains_key("__getstate__") || class.methods.contains_key("__setstate__")
    {
        return None;
    }
    let hidden = format!("_{attr}");
    if class.methods.contains_key(attr.as_str()) || ctx.ev.attr_names(class_id).contains(&hidden.as_str()) {
        return None;
    }
    let text = ctx.text(class.module);
    let first = class.def.body.first()?;
    let body = indent_at(text, parse::range_of(first).0).to_string();
    let layout = Layout {
        nl: newline(text),
        inner: format!("{body}{}", indent_unit(text)),
        body,
    };
    let Recreate::Statements {
        lines,
        store,
        originals,
        ..
    } = from_statements(ctx, class_id, &attr, &layout)?
    else {
        return None;
    };
    let (&(first_start, first_end), config) = originals.split_first()?;
    let creating = &text[first_start..first_end];
    // One plain `self.attr = ...` statement: not a loop filling a container.
    if !creating.starts_with(&format!("self.{attr} ="))
        || creating.contains('\n') && !creating.trim_end().ends_with(')')
    {
        return None;
    }
    let rename = |line: &str| rename_attr(line, &attr, &hidden);
    let nl = layout.nl;
    let (b, i) = (&layout.body, &layout.inner);
    let unit = &i[b.len()..];
    let mut edits = store;
    edits.push(Edit {
        start: first_start,
        end: first_end,
        content: format!("self.{hidden} = None"),
    });
    for &(a, e) in config {
        let start = crate::python::text::line_start(text, a);
        edits.push(Edit {
            start,
            end: line_end(text, e),
            content: String::new(),
        });
    }
    let mut property = format!("{nl}{b}@property{nl}{b}def {attr}(self):{nl}{i}if self.{hidden} is None:{nl}");
    for line in &lines {
        for part in line.split('\n') {
            let part = part.trim_end_matches('\r');
            if !part.trim().is_empty() {
                property.push_str(&format!("{i}{unit}{}{nl}", rename(part)));
            }
        }
    }
    property.push_str(&format!("{i}return self.{hidden}{nl}{nl}{b}@{attr}.setter{nl}{b}def {attr}(self, value):{nl}{i}self.{hidden} = value{nl}"));
    property.push_str(&format!(
        "{nl}{b}def __getstate__(self):{nl}{i}# picklefix: `{attr}` is made on first use, in each process; never send it{nl}{i}state = self.__dict__.copy(){nl}{i}state[\"{hidden}\"] = None{nl}{i}return state{nl}"
    ));
    let init = class
        .methods
        .get("__init__")
        .map(|&f| usize::from(index.funcs[f].def.range.end()))?;
    let at = after_trailing_comments(text, line_end(text, init), &layout.body);
    let next_is_code = !text[at..].is_empty() && !text[at..].starts_with(['\n', '\r']);
    let tail = if next_is_code { nl } else { "" };
    edits.push(Edit {
        start: at,
        end: at,
        content: format!("{property}{tail}"),
    });
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("Open `{attr}` on first use (a property) and never pickle it"),
        edits,
        path: Some(ctx.path(class.module)),
    })
}

/// `self.attr` → `self._attr` in a line (whole attribute names only).
fn rename_attr(line: &str, attr: &str, hidden: &str) -> String {
    let needle = format!("self.{attr}");
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        out.push_str(&rest[..i]);
        if after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            out.push_str(&needle);
        } else {
            out.push_str(&format!("self.{hidden}"));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

pub fn drop_only(ctx: &FixContext) -> Option<Fix> {
    build(ctx, false)
}

/// How the receiving process gets the attribute back.
enum Recreate {
    /// Statements to run in `__setstate__`, plus edits that store missing arguments, and the
    /// byte ranges of the original statements (empty when they are not in a method body).
    Statements {
        lines: Vec<String>,
        store: Vec<Edit>,
        originals: Vec<(usize, usize)>,
        /// Made by a method other than `__init__` (`connect()`): an object pickled before that
        /// method ran has no handle (and no stored arguments) to rebuild from.
        later: bool,
    },
    /// A value to put in the state instead, and the statement that rebuilds the handle from it.
    FromState { state_value: String, rebuild: String },
    /// Nothing known: set it to None and say so.
    ByHand,
}

struct Layout {
    nl: &'static str,
    /// Indent of the class body and of a method body.
    body: String,
    inner: String,
}

fn build(ctx: &FixContext, recreate: bool) -> Option<Fix> {
    let (class_id, attr) = ctx.leaf.owner.clone()?;
    let index = ctx.index;
    let class = &index.classes[class_id];
    let module = class.module;
    let text = ctx.text(module);
    let first = class.def.body.first()?;
    let body = indent_at(text, parse::range_of(first).0).to_string();
    let layout = Layout {
        nl: newline(text),
        inner: format!("{body}{}", indent_unit(text)),
        body,
    };
    let slots = class.slots.is_some();
    let label = ctx.catalog.ty(ctx.leaf.ty).label.clone();
    let plan = if recreate {
        plan_recreate(ctx, class_id, &attr, &layout)
    } else {
        Recreate::ByHand
    };
    // No placeholder: a value left as None must be one that no method reads, or the receiving
    // process fails later, far from the cause.
    // Values the catalog marks as not needed by a receiver (`getstate-drop`: subprocesses,
    // thread pools) are dropped as before: the method that reads them usually runs in the
    // sender (which methods the receiver runs is not known here).
    if recreate && matches!(plan, Recreate::ByHand) {
        if let Some(method) = read_by(ctx, class_id, &attr) {
            return ctx.refuse(format!(
                "no automatic fix: `{}.{method}` reads `{attr}`, and picklefix cannot tell how to make {label} again in the receiving process; drop `{attr}` in `__getstate__` and recreate it in `__setstate__` by hand",
                class.name
            ));
        }
    }
    let getstate = class.methods.get("__getstate__").copied();
    let setstate = class.methods.get("__setstate__").copied();
    let mut edits = Vec::new();
    let (state_line, rebuild): (String, Option<Vec<String>>) = match &plan {
        Recreate::Statements {
            lines,
            store,
            later: false,
            ..
        } => {
            edits.extend(store.iter().cloned());
            (format!("del state[\"{attr}\"]"), Some(lines.clone()))
        }
        Recreate::Statements { lines, store, .. } => {
            // Rebuild only what was there: the state says whether the handle existed.
            edits.extend(store.iter().cloned());
            let unit = &layout.inner[layout.body.len()..];
            let mut guarded = vec![format!("if self.{attr}:")];
            guarded.extend(lines.iter().map(|l| {
                l.split('\n')
                    .map(|part| format!("{unit}{part}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            }));
            guarded.push("else:".into());
            guarded.push(format!("{unit}self.{attr} = None"));
            (
                format!("state[\"{attr}\"] = state.get(\"{attr}\") is not None"),
                Some(guarded),
            )
        }
        Recreate::FromState { state_value, rebuild } => (
            format!("state[\"{attr}\"] = {state_value}"),
            Some(vec![rebuild.clone()]),
        ),
        Recreate::ByHand if recreate => (
            format!("del state[\"{attr}\"]"),
            Some(vec![format!(
                "self.{attr} = None  # picklefix: no method reads `{attr}`; recreate it here if one does"
            )]),
        ),
        Recreate::ByHand => (format!("state[\"{attr}\"] = None"), None),
    };
    match getstate {
        Some(g) => edits.extend(merge(
            ctx,
            &attr,
            g,
            setstate,
            &state_line,
            rebuild.as_deref(),
            &layout,
            slots,
        )?),
        None => {
            if setstate.is_some() {
                return None;
            }
            let why = match &plan {
                Recreate::Statements { .. } | Recreate::FromState { .. } => "it is recreated in __setstate__",
                Recreate::ByHand if recreate => "set it again in __setstate__",
                Recreate::ByHand => "the receiving process does not need it",
            };
            let block = new_methods(&attr, &label, why, &state_line, rebuild.as_deref(), &layout, slots);
            let anchor = class
                .methods
                .get("__init__")
                .map(|&f| usize::from(index.funcs[f].def.range.end()))
                .unwrap_or(parse::range_of(class.def).1);
            let at = after_trailing_comments(text, line_end(text, anchor), &layout.body);
            let lead = if at == text.len() && !text.ends_with(['\n', '\r']) {
                layout.nl
            } else {
                ""
            };
            let rest = &text[at..];
            let next_is_code = !rest.is_empty() && !rest.starts_with(['\n', '\r']);
            let tail = if next_is_code { layout.nl } else { "" };
            edits.push(Edit {
                start: at,
                end: at,
                content: format!("{lead}{}{block}{tail}", layout.nl),
            });
        }
    }
    let verb = if recreate {
        "recreate it in `__setstate__`"
    } else {
        "leave it out of the pickled state"
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("Drop `{attr}` in `{}.__getstate__` and {verb}", class.name),
        edits,
        path: Some(ctx.path(module)),
    })
}

/// Past the comment lines that still belong to the method just ended (indented deeper than
/// the class body), so they stay with it.
fn after_trailing_comments(text: &str, mut at: usize, class_body: &str) -> usize {
    let mut probe = at;
    while probe < text.len() {
        let end = line_end(text, probe);
        let line = text[probe..end].trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            probe = end;
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with('#') && indent > class_body.len() {
            probe = end;
            at = end;
            continue;
        }
        break;
    }
    at
}

fn new_methods(
    attr: &str,
    label: &str,
    why: &str,
    state_line: &str,
    rebuild: Option<&[String]>,
    l: &Layout,
    slots: bool,
) -> String {
    let (b, i, nl) = (&l.body, &l.inner, l.nl);
    let copy = if slots {
        "{name: getattr(self, name) for name in self.__slots__ if hasattr(self, name)}"
    } else {
        "self.__dict__.copy()"
    };
    let mut out = format!(
        "{b}def __getstate__(self):{nl}{i}# picklefix: `{attr}` holds {label}, which cannot be pickled; {why}{nl}{i}state = {copy}{nl}{i}{state_line}{nl}{i}return state{nl}"
    );
    if rebuild.is_some() || slots {
        out.push_str(&format!("{nl}{b}def __setstate__(self, state):{nl}"));
        if slots {
            let unit = &i[b.len()..];
            out.push_str(&format!(
                "{i}for name, value in state.items():{nl}{i}{unit}setattr(self, name, value){nl}"
            ));
        } else {
            out.push_str(&format!("{i}self.__dict__.update(state){nl}"));
        }
        for line in rebuild.unwrap_or_default() {
            for part in line.split('\n') {
                let part = part.trim_end_matches('\r');
                if !part.trim().is_empty() {
                    out.push_str(&format!("{i}{part}{nl}"));
                }
            }
        }
    }
    out
}

/// Extend an existing `__getstate__` (that ends in `return NAME`) and `__setstate__`.
#[allow(clippy::too_many_arguments)]
fn merge(
    ctx: &FixContext,
    attr: &str,
    getstate: FuncId,
    setstate: Option<FuncId>,
    state_line: &str,
    rebuild: Option<&[String]>,
    l: &Layout,
    slots: bool,
) -> Option<Vec<Edit>> {
    let index = ctx.index;
    let g = &index.funcs[getstate];
    let text = ctx.text(g.module);
    let ret = g.def.body.iter().rev().find_map(|s| match s {
        ast::Stmt::Return(r) => match r.value.map(|v| v.kind()) {
            Some(ast::ExprKind::Name(n)) => Some((parse::range_of(s).0, n.id.as_str())),
            _ => None,
        },
        _ => None,
    })?;
    let indent = indent_at(text, ret.0).to_string();
    let line = state_line.replacen("state[", &format!("{}[", ret.1), 1);
    let at = line_start(text, ret.0);
    let mut edits = vec![Edit {
        start: at,
        end: at,
        content: format!("{indent}{line}{}", l.nl),
    }];
    let Some(rebuild) = rebuild else { return Some(edits) };
    match setstate {
        Some(s) => {
            let sinfo = &index.funcs[s];
            let last = sinfo.def.body.last()?;
            let sindent = indent_at(text, parse::range_of(last).0).to_string();
            // Rebuild before the first statement that uses the attribute (a writer made over
            // the file), else at the end.
            let needle = format!("self.{attr}");
            let user = sinfo.def.body.iter().skip(1).find(|st| {
                let (a, b) = parse::range_of(*st);
                let t = &text[a..b];
                t.match_indices(&needle)
                    .any(|(i, _)| !t[i + needle.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            });
            let at = match user {
                Some(st) => line_start(text, parse::range_of(st).0),
                None => line_end(text, parse::range_of(last).1),
            };
            let mut content = String::new();
            for r in rebuild {
                for part in r.split('\n') {
                    let part = part.trim_end_matches('\r');
                    if !part.trim().is_empty() {
                        content.push_str(&format!("{sindent}{part}{}", l.nl));
                    }
                }
            }
            edits.push(Edit {
                start: at,
                end: at,
                content,
            });
        }
        None => {
            if slots {
                return None;
            }
            let at = line_end(text, usize::from(g.def.range.end()));
            let (b, i, nl) = (&l.body, &l.inner, l.nl);
            let mut content = format!("{nl}{b}def __setstate__(self, state):{nl}{i}self.__dict__.update(state){nl}");
            for r in rebuild {
                for part in r.split('\n') {
                    if !part.trim().is_empty() {
                        content.push_str(&format!("{i}{}{nl}", part.trim_end_matches('\r')));
                    }
                }
            }
            edits.push(Edit {
                start: at,
                end: at,
                content,
            });
        }
    }
    Some(edits)
}

fn plan_recreate(ctx: &FixContext, class_id: ClassId, attr: &str, l: &Layout) -> Recreate {
    if let Some(plan) = from_statements(ctx, class_id, attr, l) {
        return plan;
    }
    if let Some(plan) = from_default_factory(ctx, class_id, attr) {
        return plan;
    }
    let t = ctx.catalog.ty(ctx.leaf.ty);
    match (&t.reopen_state, &t.reopen_call) {
        (Some(state), Some(call)) => Recreate::FromState {
            state_value: state.replace("{value}", &format!("self.{attr}")),
            rebuild: format!("self.{attr} = {}", call.replace("{state}", &format!("self.{attr}"))),
        },
        _ => Recreate::ByHand,
    }
}

/// A dataclass field made by `field(default_factory=F)`: make a new one with `F()`.
fn from_default_factory(ctx: &FixContext, class_id: ClassId, attr: &str) -> Option<Recreate> {
    let class = &ctx.index.classes[class_id];
    let (_, default) = class.fields.iter().find(|(f, _)| *f == attr)?;
    let ast::ExprKind::Call(call) = default.as_ref()?.kind() else {
        return None;
    };
    let factory = call
        .keywords
        .iter()
        .find(|k| k.arg.as_deref() == Some("default_factory"))?;
    let (a, b) = parse::range_of(&factory.value);
    let text = ctx.text(class.module);
    Some(Recreate::Statements {
        lines: vec![format!("self.{attr} = {}()", &text[a..b])],
        store: Vec::new(),
        originals: Vec::new(),
        later: false,
    })
}

/// Re-run the statements of the creating method that set the attribute.
fn from_statements(ctx: &FixContext, class_id: ClassId, attr: &str, l: &Layout) -> Option<Recreate> {
    let index = ctx.index;
    let class = &index.classes[class_id];
    let init = class.methods.get("__init__").copied();
    let assigns: Vec<_> = class.attrs.iter().filter(|a| a.name == attr).collect();
    // The method whose assignment makes the hostile value (`connect()` setting what `__init__`
    // set to None), else `__init__`, else the first.
    let origin = ctx.leaf.origin;
    let makes = |a: &&&crate::analysis::index::AttrAssign| {
        let (x, y) = parse::range_of(a.expr);
        origin.is_some_and(|o| o.module == index.funcs[a.method].module && x <= o.offset && o.offset < y)
    };
    let method = assigns
        .iter()
        .find(makes)
        .map(|a| a.method)
        .or_else(|| assigns.iter().map(|a| a.method).find(|m| Some(*m) == init))
        .or(assigns.first().map(|a| a.method))?;
    let m = &index.funcs[method];
    let text = ctx.text(m.module);
    let body = m.def.body;
    let contains = |s: &ast::Stmt, off: usize| {
        let (a, b) = parse::range_of(s);
        a <= off && off < b
    };
    let mut picked: Vec<usize> = (0..body.len())
        .filter(|&i| {
            assigns
                .iter()
                .any(|a| a.method == method && contains(&body[i], a.offset))
        })
        .collect();
    let last = *picked.last()?;
    // Configuration calls right after the creation (`self.audit.setFormatter(...)`) go along.
    for (j, stmt) in body.iter().enumerate().skip(last + 1) {
        if is_configuration(stmt, attr, ctx) {
            picked.push(j);
        } else {
            break;
        }
    }
    let self_name = m.def.params().first().map(|p| p.arg.as_str())?;
    // A local the statements read that the method made from a call (`session =
    // boto3.Session(...)`) is made again too, rather than stored: storing it would pickle it.
    loop {
        let reads = loaded_names(|v| picked.iter().for_each(|&i| v.visit_stmt(&body[i])));
        let first = *picked.iter().min()?;
        let maker = reads.iter().find_map(|&(name, _, _)| {
            (0..first).rev().find(|&j| {
                let ast::Stmt::Assign(a) = &body[j] else { return false };
                let target =
                    matches!(a.targets, [t] if matches!(t.kind(), ast::ExprKind::Name(n) if n.id.as_str() == name));
                target && matches!(a.value.kind(), ast::ExprKind::Call(_)) && !picked.contains(&j)
            })
        });
        match maker {
            Some(j) => {
                picked.push(j);
                picked.sort_unstable();
            }
            None => break,
        }
    }
    let stmts: Vec<&ast::Stmt> = picked.iter().map(|&i| &body[i]).collect();
    let names = loaded_names(|v| stmts.iter().for_each(|s| v.visit_stmt(s)));
    let bound = bound_names(|v| stmts.iter().for_each(|s| v.visit_stmt(s)));
    let known = ctx.ev.attr_names(class_id);
    let mut mapping: HashMap<&str, String> = HashMap::new();
    let mut store = Vec::new();
    let first_start = crate::python::text::comments_above(text, line_start(text, parse::range_of(stmts[0]).0));
    let indent = indent_at(text, parse::range_of(stmts[0]).0).to_string();
    for &(name, _, _) in &names {
        if name == self_name
            || bound.contains(name)
            || mapping.contains_key(name)
            || !m.scope.bindings.contains_key(name)
        {
            continue;
        }
        let held = class.attrs.iter().find(|a| {
            a.method == method
                && a.kind == AttrKind::Direct
                && a.name != attr
                && a.unpack.is_empty()
                && matches!(a.expr.kind(), ast::ExprKind::Name(n) if n.id.as_str() == name)
        });
        match held {
            Some(a) => {
                mapping.insert(name, format!("self.{}", a.name));
            }
            None => {
                let taken =
                    known.contains(&name) || class.methods.contains_key(name) || class.class_attrs.contains_key(name);
                if class.slots.is_some() || taken {
                    return None;
                }
                store.push(Edit {
                    start: first_start,
                    end: first_start,
                    content: format!("{indent}{self_name}.{name} = {name}{}", l.nl),
                });
                mapping.insert(name, format!("self.{name}"));
            }
        }
    }
    let mut lines = Vec::new();
    for s in &stmts {
        let (a, b) = parse::range_of(*s);
        let (start, end) = (line_start(text, a), line_end(text, b));
        let mut piece = String::new();
        let mut at = start;
        let mut subs: Vec<(usize, usize, String)> = names
            .iter()
            .filter(|(_, x, y)| *x >= start && *y <= end)
            .filter_map(|(n, x, y)| {
                if *n == self_name && self_name != "self" {
                    Some((*x, *y, "self".to_string()))
                } else {
                    mapping.get(n).map(|r| (*x, *y, r.clone()))
                }
            })
            .collect();
        subs.extend(append_modes(text, s));
        subs.sort();
        for (x, y, r) in subs {
            piece.push_str(&text[at..x]);
            piece.push_str(&r);
            at = y;
        }
        piece.push_str(&text[at..end]);
        let from = indent_at(text, a).to_string();
        lines.push(reindent(&piece, &from, "").trim_end().to_string());
    }
    let originals = stmts.iter().map(|st| parse::range_of(*st)).collect();
    Some(Recreate::Statements {
        lines,
        store,
        originals,
        later: init.is_some_and(|i| i != method) || init.is_none(),
    })
}

/// `self.attr.setSomething(...)` / `self.attr.addSomething(...)` as a statement.
fn is_configuration(stmt: &ast::Stmt, attr: &str, ctx: &FixContext) -> bool {
    let ast::Stmt::Expr(e) = stmt else { return false };
    let ast::ExprKind::Call(c) = e.value.kind() else {
        return false;
    };
    let ast::ExprKind::Attribute(method) = c.func.kind() else {
        return false;
    };
    let ast::ExprKind::Attribute(target) = method.value.kind() else {
        return false;
    };
    let prefixes = &ctx.catalog.configuration_prefixes;
    target.attr.as_str() == attr && prefixes.iter().any(|p| method.attr.as_str().starts_with(p.as_str()))
}
