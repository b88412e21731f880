//! Command-line options: `args = parser.parse_args()` reads what the user typed, so
//! `args.workers` is the option's default (`add_argument("--workers", default=0)`) unless the
//! command line says otherwise: the default is manifest, any other value latent. A data loader
//! whose `num_workers` option defaults to 0 starts workers only when asked to.

use super::{Const, Eval, Vals, Value};
use crate::python::parse::{self, ast};

/// The value `parse_args()` returns (an `argparse.Namespace`).
pub(super) const NAMESPACE: &str = "argparse.Namespace";
const PARSER: &str = "argparse.ArgumentParser()";

/// What calling `q` gives when it makes a parser or parses the command line.
pub(super) fn parser_call(q: &str) -> Option<Value> {
    if q == "argparse.ArgumentParser" {
        return Some(Value::External(PARSER.into()));
    }
    let method = q.strip_prefix(PARSER)?.strip_prefix('.')?;
    match method {
        "parse_args" | "parse_intermixed_args" => Some(Value::External(NAMESPACE.into())),
        "parse_known_args" | "parse_known_intermixed_args" => Some(super::container(
            vec![
                Vals::one(Value::External(NAMESPACE.into())),
                Vals::one(Value::Const(Const::Other)),
            ],
            true,
        )),
        _ => None,
    }
}

impl<'a, 'c> Eval<'a, 'c> {
    /// `args.name`: the defaults of the options stored under `name` (manifest), and whatever
    /// the command line gives (latent). Unknown data when no option of the project has it.
    pub(super) fn option_values(&self, name: &str) -> Vals {
        let mut out = Vals::new();
        if let Some(sites) = self.index.calls_by_name.get("add_argument") {
            for &s in sites {
                let call = self.index.calls[s].call;
                if option_dest(call).as_deref() != Some(name) {
                    continue;
                }
                let default = call.keywords.iter().find(|k| k.arg.as_deref() == Some("default"));
                match default {
                    Some(k) => out.extend(super::calls::opaque_if_empty(self.eval(&self.site_frame(s), &k.value))),
                    None => out.add(Value::Const(match keyword_str(call, "action") {
                        Some("store_true") => Const::Bool(false),
                        Some("store_false") => Const::Bool(true),
                        _ => Const::None,
                    })),
                }
            }
        }
        if out.is_empty() {
            return Vals::one(Value::Const(Const::Other));
        }
        out.push(Value::Const(Const::Other), true);
        out
    }
}

fn keyword_str<'a>(call: &'a ast::ExprCall<'a>, name: &str) -> Option<&'a str> {
    call.keywords
        .iter()
        .find(|k| k.arg.as_deref() == Some(name))
        .and_then(|k| parse::str_literal(&k.value))
}

/// Where `add_argument` stores its option: `dest=`, else the first long flag (`--num-workers`
/// is `num_workers`), else the first short one, else the positional name.
fn option_dest(call: &ast::ExprCall) -> Option<String> {
    if let Some(d) = keyword_str(call, "dest") {
        return Some(d.to_string());
    }
    let flags: Vec<&str> = call.args.iter().filter_map(parse::str_literal).collect();
    let pick = flags.iter().find(|f| f.starts_with("--")).or_else(|| flags.first())?;
    Some(pick.trim_start_matches('-').replace('-', "_"))
}
