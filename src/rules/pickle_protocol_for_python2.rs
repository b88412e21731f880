//! PF405: data that Python 2 must still read is pickled with a protocol it does not know.

use super::Check;
use crate::analysis::checker::Checker;
use crate::base::diagnostic::{Applicability, Edit};
use crate::python::parse;
use crate::rules::migrate::{self, argument, At, PickleCall};

crate::declare_rule! {
    /// ## What it does
    /// With `[migration] py2-interop = true` (Python 2 processes still read what this code
    /// pickles), reports `pickle.dump`/`dumps` calls without a protocol, or with
    /// `pickle.HIGHEST_PROTOCOL` or a literal above 2.
    ///
    /// ## Why is this bad?
    /// Python 3's default protocol is 3 (3.0–3.7), 4 (3.8–3.13) or 5 (3.14); Python 2.7 reads
    /// protocols 0 to 2 only and fails with `ValueError: unsupported pickle protocol: 4`.
    ///
    /// ## Example
    /// ```python
    /// pickle.dump(state, fh)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// pickle.dump(state, fh, protocol=2)
    /// ```
    ///
    /// ## Fix safety
    /// Safe: protocol 2 can pickle everything the newer protocols can except out-of-band buffers
    /// (protocol 5) and very large objects (over 4 GiB, protocol 4), which Python 2 could not
    /// read anyway. Pickles get somewhat larger and slower for some data.
    pub static RULE = {
        code: "PF405",
        name: "pickle-protocol-for-python2",
        summary: "Data Python 2 must read is pickled with a protocol newer than 2",
        check: Check::Beside(check),
    };
}

pub fn check(c: &mut Checker) {
    if !c.settings.py2_interop {
        return;
    }
    let mut found = Vec::new();
    for (site, kind, name) in migrate::pickle_calls(c) {
        // Where the protocol goes: dump(obj, file, protocol), dumps(obj, protocol), Pickler(file, protocol).
        let pos = match kind {
            PickleCall::Dump => 2,
            PickleCall::Dumps | PickleCall::Pickler => 1,
            _ => continue,
        };
        let call = c.index.calls[site].call;
        let module = c.index.calls[site].module();
        let protocol = argument(call, pos, "protocol");
        let too_new = match protocol {
            None => true,
            // A negative protocol means the highest one.
            Some(e) if matches!(e.kind(), crate::python::parse::ast::ExprKind::UnaryOp(_)) => true,
            Some(e) => parse::int_literal(e).map_or_else(
                || {
                    parse::dotted_name(e)
                        .is_some_and(|d| d.ends_with("HIGHEST_PROTOCOL") || d.ends_with("DEFAULT_PROTOCOL"))
                },
                |p| p > 2,
            ),
        };
        if !too_new {
            continue;
        }
        let edits = match protocol {
            Some(e) => {
                let (a, b) = parse::range_of(e);
                vec![Edit {
                    start: a,
                    end: b,
                    content: "2".into(),
                }]
            }
            None => {
                let Some(last) = call.args.last() else { continue };
                let at = parse::range_of(last).1;
                vec![Edit {
                    start: at,
                    end: at,
                    content: ", protocol=2".into(),
                }]
            }
        };
        let fix = migrate::fix(c, module, Applicability::Safe, "Pickle with protocol 2", edits);
        let message = format!("`{name}` uses a protocol Python 2 cannot read, and `[migration] py2-interop` says Python 2 reads this data");
        let at = At {
            module,
            range: parse::range_of(call),
            origin: None,
            sink: Some(&name),
        };
        found.push(migrate::diagnostic(
            c,
            RULE.code,
            at,
            message,
            Some(fix),
            "pass `protocol=2`",
        ));
    }
    c.report(found);
}
