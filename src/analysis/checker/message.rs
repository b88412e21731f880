//! Findings of the walk as the user reads them: the rule, the message (who pickles what, which
//! attribute path holds what, the error the target Python raises), origin and sink locations,
//! and the `help` text of each fix strategy.

use super::Checker;
use crate::analysis::finding::Leaf;
use crate::base::diagnostic::{display_path, Diagnostic, Location, SinkLocation, Span};
use crate::python::parse;

impl<'a, 'c> Checker<'a, 'c> {
    pub(super) fn diagnostic(&self, i: usize, leaf: &Leaf) -> Diagnostic {
        let hit = &self.sinks[i];
        let site = &self.index.calls[hit.site];
        let module = &self.index.project.modules[site.module()];
        let (start, end) = parse::range_of(site.call);
        let (line, column) = module.source.line_col(start);
        let (end_line, end_column) = module.source.line_col(end);
        let t = self.catalog.ty(leaf.ty);
        let version = self.settings.target_version;
        let class = leaf.class.as_deref().or(t.default_class.as_deref()).unwrap_or("?");
        let error = self
            .catalog
            .error_text(leaf.ty, version)
            .replace("{qualname}", leaf.qualname.as_deref().unwrap_or("?"))
            .replace("{class}", class);
        let code = if leaf.via_bound_method && !leaf.direct {
            "PF204"
        } else if leaf.direct {
            t.direct_rule.as_deref().or(t.rule.as_deref()).unwrap_or("PF109")
        } else {
            t.rule.as_deref().unwrap_or("PF109")
        };
        let code = crate::analysis::rule::by_code(self.rules, code).map_or("PF109", |r| r.code);
        let python = if t.python.is_empty() {
            String::new()
        } else {
            format!(" (`{}`)", t.python.replace("{class}", class))
        };
        let message = match (&leaf.path, &leaf.callable) {
            (path, Some(callable)) if leaf.returned => {
                let what = match path {
                    Some(p) => format!("a value whose `{p}` holds {}{python}", t.label),
                    None => format!("{}{python}", t.label),
                };
                format!(
                    "`{callable}` runs in a worker of `{}` and returns {what}, which the worker cannot pickle to send back: {error}",
                    hit.call
                )
            }
            (Some(path), Some(callable)) => {
                let root = path.split(['.', '[']).next().unwrap_or(path);
                format!("`{callable}` is sent to another process by `{}`, which pickles `{root}`, but `{path}` holds {}{python}: {error}", hit.call, t.label)
            }
            (Some(path), None) => {
                let root = path.split(['.', '[']).next().unwrap_or(path);
                let verb = if t.fails_on_load { "unpickled" } else { "pickled" };
                format!(
                    "`{root}` is pickled by `{}` but `{path}` holds {}{python}, which cannot be {verb}: {error}",
                    hit.call, t.label
                )
            }
            (None, _) => format!("{} is pickled by `{}`: {error}", capitalize(&t.label), hit.call),
        };
        let origin = leaf.origin.map(|o| {
            let m = &self.index.project.modules[o.module];
            let (l, _) = m.source.line_col(o.offset);
            (
                Location {
                    path: display_path(&m.source.path),
                    line: l,
                },
                m.source.line_text(l).trim().to_string(),
            )
        });
        Diagnostic {
            code,
            message,
            path: module.source.path.clone(),
            span: Span {
                line,
                column,
                end_line,
                end_column,
            },
            attribute_path: leaf.path.clone(),
            origin: origin.as_ref().map(|o| o.0.clone()),
            origin_text: origin.map(|o| o.1),
            sink: Some(SinkLocation {
                path: display_path(&module.source.path),
                line,
                call: hit.call.clone(),
            }),
            error: Some(error),
            // Made from the leaf after the walk, for the findings that are shown (`lib.rs`).
            fix: None,
            help: Some(if leaf.returned {
                "return plain data from the task (make the handle in the parent, from that data)".to_string()
            } else {
                self.help(t.fix.as_str(), leaf)
            }),
            latent: leaf.latent,
        }
    }

    pub(super) fn help(&self, strategy: &str, leaf: &Leaf) -> String {
        let owner = leaf
            .owner
            .as_ref()
            .map(|(c, a)| (self.index.classes[*c].name, a.as_str()));
        match (strategy, owner) {
            ("getstate-drop-recreate", Some((class, attr))) => format!("add `__getstate__`/`__setstate__` to `{class}` that drop `{attr}` and recreate it in the receiving process"),
            ("getstate-drop", Some((class, attr))) => format!("add `__getstate__` to `{class}` that drops `{attr}` (the receiver does not need it)"),
            ("store-data-not-generator", Some((class, attr))) => format!("keep the data on `{class}` and build the generator for `{attr}` on demand"),
            ("hoist-callable", Some((class, attr))) => format!("store a module-level function in `{class}.{attr}` instead (use `functools.partial` for bound values)"),
            ("hoist-callable", None) => "move it to module level, binding closed-over values with `functools.partial`".into(),
            ("managed-queue", _) => "use a `multiprocessing.Manager().Queue()` proxy, or pass it through `Pool(initializer=..., initargs=...)`".into(),
            (_, Some((class, attr))) => format!("keep `{attr}` out of `{class}`'s pickled state (`__getstate__`), or create it in the worker"),
            _ => "create the value in the worker process instead of sending it".into(),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
