//! Callables sent to a process that cannot be pickled by reference: a lambda becomes a
//! module-level `def` with a generated, non-clashing name; a nested function or a local class
//! moves to module level. Names they close over become leading parameters bound with
//! `functools.partial` at the original place.
//!
//! Scope is respected (`scope`): every closed-over name is bound by the partial, which is
//! placed after the last assignment of those names when they are assigned after the closure
//! (and before its first use); a closure that declares `nonlocal`, uses its class cell, closes
//! over a local function or class, or reads a name assigned after it is used is not moved.
//! Generated names have one leading underscore (two would be mangled inside a class).
//!
//! Safe when nothing is closed over (the code does the same thing; only `__qualname__`
//! changes). Unsafe otherwise: `partial` binds the closed-over values when it is created,
//! where a closure would read them when called.

use std::collections::HashSet;

use super::scope::{self, closure_refusal, module_name, Refusal};
use super::{is_local_in, local_scopes_at, FixContext};
use crate::base::diagnostic::{Applicability, Edit, Fix};
use crate::python::names::loaded_names;
use crate::python::parse::{self, ast};
use crate::python::text::{import_edit, indent_at, indent_unit, line_end, line_start, names_in, newline, reindent};

pub fn fix(ctx: &FixContext) -> Option<Fix> {
    let origin = ctx.leaf.origin?;
    let ty = ctx.catalog.ty(ctx.leaf.ty).id.as_str();
    match ty {
        "lambda" | "module-lambda" => lambda(ctx, origin.module, origin.offset),
        "nested-function" | "main-guard-function" => nested_function(ctx, origin.module, origin.offset),
        "local-class" | "main-guard-class" => local_class(ctx, origin.module, origin.offset),
        _ => None,
    }
}

fn lambda(ctx: &FixContext, module: usize, offset: usize) -> Option<Fix> {
    let l = crate::python::names::expr_at(ctx.suite(module), offset, |e| match e.kind() {
        ast::ExprKind::Lambda(l) => Some(l),
        _ => None,
    })?;
    let text = ctx.text(module);
    let scopes = local_scopes_at(ctx, module, offset);
    let a = &l.args;
    let params: HashSet<&str> = a
        .posonlyargs
        .iter()
        .chain(a.args)
        .chain(a.kwonlyargs)
        .map(|p| p.def.arg.as_str())
        .chain(a.vararg.iter().chain(&a.kwarg).map(|p| p.arg.as_str()))
        .collect();
    // Defaults are evaluated where the lambda is written; moving them is not a rewrite we trust.
    if a.posonlyargs
        .iter()
        .chain(a.args)
        .chain(a.kwonlyargs)
        .any(|p| p.default.is_some())
    {
        return None;
    }
    if let Some(r) = closure_refusal(|v| v.visit_expr(&l.body)) {
        return ctx.refuse(r.help("the lambda"));
    }
    let free = free_names(ctx, &scopes, &params, loaded_names(|v| v.visit_expr(&l.body)));
    let (body_start, body_end) = parse::range_of(&l.body);
    let (lambda_start, lambda_end) = parse::range_of(l);
    // The partial replaces the lambda where it is written: a name assigned after that would be
    // read late by the lambda and early by the partial.
    match scope::last_assignment(ctx, &scopes, &free, lambda_start) {
        Err(r) => return ctx.refuse(r.help("the lambda")),
        Ok(Some((_, n))) => return ctx.refuse(Refusal::AssignedLater(n).help("the lambda")),
        Ok(None) => {}
    }
    let header = text[lambda_start + "lambda".len()..body_start].trim();
    let args = header.strip_suffix(':')?.trim();
    let enclosing = scopes.last().map(|&f| ctx.index.funcs[f].def.name).unwrap_or("module");
    let hint = ctx
        .leaf
        .owner
        .as_ref()
        .map(|(_, a)| a.clone())
        .unwrap_or_else(|| "lambda".into());
    let name = module_name(&[enclosing, &hint], &names_in(text));
    let params_text = join_params(&free, args);
    let body = &text[body_start..body_end];
    let nl = newline(text);
    let unit = indent_unit(text);
    let def = format!("def {name}({params_text}):{nl}{unit}return {body}{nl}{nl}{nl}");
    let top = ctx.top_level_start(module, offset)?;
    let mut edits = vec![Edit {
        start: top,
        end: top,
        content: def,
    }];
    edits.push(Edit {
        start: lambda_start,
        end: lambda_end,
        content: call_text(&name, &free),
    });
    finish(
        ctx,
        module,
        edits,
        &free,
        format!("Move the lambda to a module-level function `{name}`"),
    )
}

fn nested_function(ctx: &FixContext, module: usize, offset: usize) -> Option<Fix> {
    let index = ctx.index;
    let (fid, f) = index.funcs.iter().enumerate().find(|(_, f)| {
        f.module == module
            && crate::analysis::index::keyword_offset(ctx.text(module), f.def.start(), f.def.decorators, "def")
                == offset
    })?;
    if !f.def.decorators.is_empty() || f.scope.globals.iter().any(|_| true) {
        return None;
    }
    let text = ctx.text(module);
    let scopes: Vec<usize> = local_scopes_at(ctx, module, offset)
        .into_iter()
        .filter(|&s| s != fid)
        .collect();
    let what = format!("`{}`", f.def.name);
    if let Some(r) = closure_refusal(|v| parse::walk_body(v, f.def.body)) {
        return ctx.refuse(r.help(&what));
    }
    let own: HashSet<&str> = f.scope.bindings.keys().collect();
    let names = loaded_names(|v| f.def.body.iter().for_each(|s| v.visit_stmt(s)));
    let free = free_names(ctx, &scopes, &own, names);
    let taken = names_in(text);
    let module_names = &ctx.index.modules[module].scope.bindings;
    // With closed-over names the local name is rebound to a partial, so the moved function
    // needs a name of its own (or the local would shadow it: UnboundLocalError). A private
    // name (`__helper`) read inside a class is mangled: at module level it gets another.
    let private = f.def.name.starts_with("__") && !f.def.name.ends_with("__");
    // A module-level `test...` function is collected by test runners (pytest, unittest).
    let collected = f.def.name.starts_with("test");
    let hoisted = if module_names.contains_key(f.def.name) || !free.is_empty() || private || collected {
        module_name(&[f.def.name], &taken)
    } else {
        f.def.name.to_string()
    };
    let def_end = usize::from(f.def.range.end());
    let (start, end) = (line_start(text, f.def.start()), line_end(text, def_end));
    // Names assigned after the def: the partial goes after the statement of the block that
    // makes the last of those assignments, which must come before the first use of the name.
    let after = match scope::last_assignment(ctx, &scopes, &free, def_end) {
        Err(r) => return ctx.refuse(r.help(&what)),
        Ok(None) => None,
        Ok(Some((at, name))) => {
            let enclosing = ctx.index.funcs[*scopes.last()?].def.body;
            let stmt_end = scope::siblings(enclosing, f.def.start())
                .and_then(|list| scope::statement_end_containing(list, at))
                .filter(|&end| scope::first_use(enclosing, f.def.name, def_end).is_none_or(|u| u >= end));
            match stmt_end {
                Some(end) => Some(line_end(text, end)),
                None => return ctx.refuse(Refusal::AssignedLater(name).help(&what)),
            }
        }
    };
    let block = &text[start..end];
    let from = indent_at(text, f.def.start()).to_string();
    let mut moved = reindent(block, &from, "");
    // Rename, and put the closed-over names first in the parameter list.
    let def_at = moved.find("def ")? + 4;
    let open = def_at + moved[def_at..].find('(')?;
    let inside_empty = moved[open + 1..].trim_start().starts_with(')');
    let extra = if free.is_empty() {
        String::new()
    } else if inside_empty {
        free.join(", ")
    } else {
        format!("{}, ", free.join(", "))
    };
    moved.replace_range(def_at..open + 1, &format!("{hoisted}({extra}"));
    let nl = newline(text);
    let top = ctx.top_level_start(module, offset)?;
    let mut edits = vec![Edit {
        start: top,
        end: top,
        content: format!("{moved}{nl}{nl}"),
    }];
    let bind = format!("{from}{} = {}{nl}", f.def.name, call_text(&hoisted, &free));
    let replacement = if let Some(at) = after {
        edits.push(Edit {
            start: at,
            end: at,
            content: bind,
        });
        String::new()
    } else if !free.is_empty() {
        bind
    } else if hoisted != f.def.name {
        format!("{from}{} = {hoisted}{nl}", f.def.name)
    } else {
        String::new()
    };
    let end = if replacement.is_empty() {
        swallow_blank_line(text, start, end, nl)
    } else {
        end
    };
    edits.push(Edit {
        start,
        end,
        content: replacement,
    });
    finish(
        ctx,
        module,
        edits,
        &free,
        format!("Move `{}` to module level", f.def.name),
    )
}

fn local_class(ctx: &FixContext, module: usize, offset: usize) -> Option<Fix> {
    let index = ctx.index;
    let text = ctx.text(module);
    let c = index.classes.iter().find(|c| {
        c.module == module
            && (c.local || c.main_guard)
            && crate::analysis::index::keyword_offset(text, parse::range_of(c.def).0, c.def.decorator_list, "class")
                == offset
    })?;
    // A class under the main guard is itself a module-level binding; any other one clashes.
    let module_bindings = index.modules[module].scope.bindings.get(c.name).map_or(0, |b| b.len());
    let own_binding = usize::from(!c.local);
    if !c.def.decorator_list.is_empty() || module_bindings > own_binding {
        return None;
    }
    let scopes = local_scopes_at(ctx, module, offset);
    let names = loaded_names(|v| {
        c.def.bases.iter().for_each(|b| v.visit_expr(b));
        c.def.body.iter().for_each(|s| v.visit_stmt(s));
    });
    // The class may name itself (a factory method returning `Thumbnail(...)`): that is not
    // closing over the function.
    let own: HashSet<&str> = [c.name].into_iter().collect();
    if !free_names(ctx, &scopes, &own, names).is_empty() {
        return None;
    }
    let (a, b) = parse::range_of(c.def);
    let (start, end) = (line_start(text, a), line_end(text, b));
    let from = indent_at(text, a).to_string();
    let moved = reindent(&text[start..end], &from, "");
    let nl = newline(text);
    let top = ctx.top_level_start(module, offset)?;
    let cut_end = swallow_blank_line(text, start, end, nl);
    let edits = vec![
        Edit {
            start: top,
            end: top,
            content: format!("{moved}{nl}{nl}"),
        },
        Edit {
            start,
            end: cut_end,
            content: String::new(),
        },
    ];
    finish(ctx, module, edits, &[], format!("Move `{}` to module level", c.name))
}

/// When a block is removed, also remove the blank line after it if it would otherwise start
/// a body or double a blank line.
fn swallow_blank_line(text: &str, start: usize, end: usize, nl: &str) -> usize {
    if !text[end..].starts_with(nl) {
        return end;
    }
    let before = text[..start].trim_end_matches([' ', '\t']);
    let opens_body = before.trim_end_matches(['\r', '\n']).ends_with(':');
    if opens_body || before.ends_with(&format!("{nl}{nl}")) {
        end + nl.len()
    } else {
        end
    }
}

/// Names read in moved code that are locals of the enclosing functions.
fn free_names(
    ctx: &FixContext,
    scopes: &[usize],
    own: &HashSet<&str>,
    names: Vec<(&str, usize, usize)>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (n, _, _) in names {
        if own.contains(n) || out.iter().any(|o| o == n) {
            continue;
        }
        if is_local_in(ctx, scopes, n) {
            out.push(n.to_string());
        }
    }
    out
}

fn join_params(free: &[String], args: &str) -> String {
    match (free.is_empty(), args.is_empty()) {
        (true, _) => args.to_string(),
        (false, true) => free.join(", "),
        (false, false) => format!("{}, {args}", free.join(", ")),
    }
}

fn call_text(name: &str, free: &[String]) -> String {
    if free.is_empty() {
        name.to_string()
    } else {
        format!("functools.partial({name}, {})", free.join(", "))
    }
}

fn finish(ctx: &FixContext, module: usize, mut edits: Vec<Edit>, free: &[String], message: String) -> Option<Fix> {
    if !free.is_empty() {
        edits.extend(import_edit(ctx.text(module), ctx.suite(module), "functools"));
    }
    Some(Fix {
        applicability: if free.is_empty() {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        },
        message,
        edits,
        path: Some(ctx.path(module)),
    })
}
