//! The Python 2 syntax intake: for a file that does not parse as Python 3, rewrite the
//! Python-2-only constructs that stand in the way — print and exec statements, `except E, e`,
//! `raise E, V[, T]`, backticks, `<>`, `0777` and `10L` literals, `ur''` strings, tuple
//! parameters, and tabs that Python 2 counted as 8 columns — as edits on the original text (the
//! same model as every fix). A construct that cannot be rewritten safely is reported and the
//! file is left alone.
//!
//! Here: `intake` and `apply`; `tokens` reads Python 2 tokens, `rewrite` turns each construct
//! into edits.

mod rewrite;
mod tokens;

use rewrite::Rewriter;
use tokens::{future_import, tokenize};

use crate::base::diagnostic::Edit;

/// What the intake did, or why it could not.
#[derive(Debug)]
pub struct Intake {
    pub edits: Vec<Edit>,
    /// The constructs rewritten, for the message ("print statement", ...).
    pub constructs: Vec<&'static str>,
}

#[derive(Debug)]
pub struct Unsupported {
    pub offset: usize,
    pub construct: &'static str,
}

/// Leading tabs as Python 2 counted them: to the next multiple of 8 columns.
fn expand_tabs(text: &str) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let ws_len = line.len() - line.trim_start_matches([' ', '\t']).len();
        let ws = &line[..ws_len];
        if ws.contains('\t') && !line[ws_len..].trim().is_empty() {
            let mut col = 0;
            for c in ws.chars() {
                col = if c == '\t' { (col / 8 + 1) * 8 } else { col + 1 };
            }
            edits.push(Edit {
                start: at,
                end: at + ws_len,
                content: " ".repeat(col),
            });
        }
        at += line.len();
    }
    edits
}

/// Rewrite the Python 2 constructs of a file that does not parse as Python 3.
pub fn intake(text: &str) -> Result<Intake, Unsupported> {
    let toks = tokenize(text);
    let print_function = future_import(text, &toks, "print_function");
    let unicode_literals = future_import(text, &toks, "unicode_literals");
    let mut r = Rewriter {
        text,
        toks,
        edits: Vec::new(),
        constructs: Vec::new(),
        print_function,
        unicode_literals,
        closing_backticks: Vec::new(),
    };
    r.run()?;
    let mut edits = r.edits;
    let mut constructs = r.constructs;
    // Tabs mixed with spaces only matter when Python 3 rejects them; try without first.
    let rewritten = apply(text, &edits);
    if crate::python::parse::parse_module(&rewritten, "").is_err() {
        let tabs = expand_tabs(&rewritten);
        if !tabs.is_empty() && crate::python::parse::parse_module(&apply(&rewritten, &tabs), "").is_ok() {
            // Tabs are fixed on the original text: both edit sets touch disjoint ranges only
            // when no other edit lies in leading whitespace, which none does.
            edits.extend(expand_tabs(text));
            constructs.push("tabs and spaces mixed as Python 2 allowed");
        }
    }
    edits.sort_by_key(|e| (e.start, e.end));
    Ok(Intake { edits, constructs })
}

pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    for e in sorted {
        if e.start < last {
            continue;
        }
        out.push_str(&text[last..e.start]);
        out.push_str(&e.content);
        last = e.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(src: &str) -> String {
        let i = intake(src).unwrap();
        apply(src, &i.edits)
    }

    #[test]
    fn print_statements() {
        assert_eq!(fix("print 'a', x\n"), "print('a', x)\n");
        assert_eq!(fix("print\n"), "print()\n");
        assert_eq!(fix("print 'a',\n"), "print('a', end=\" \")\n");
        assert_eq!(
            fix("print >>sys.stderr, 'oops', n\n"),
            "print('oops', n, file=sys.stderr)\n"
        );
        assert_eq!(fix("print (a, b)\n"), "print ((a, b))\n");
        assert_eq!(fix("print ('x')\n"), "print ('x')\n");
        assert_eq!(fix("if x: print 'y'  # hi\n"), "if x: print('y')  # hi\n");
        assert_eq!(fix("print 'a'; print 'b'\n"), "print('a'); print('b')\n");
        assert_eq!(fix("print 'a %s' % (\n    x,)\n"), "print('a %s' % (\n    x,))\n");
    }

    #[test]
    fn other_constructs() {
        assert_eq!(
            fix("try:\n    f()\nexcept (A, B), e:\n    pass\n"),
            "try:\n    f()\nexcept (A, B) as e:\n    pass\n"
        );
        assert_eq!(fix("raise ValueError, 'bad'\n"), "raise ValueError('bad')\n");
        assert_eq!(fix("raise E, V, tb\n"), "raise E(V).with_traceback(tb)\n");
        assert_eq!(fix("x = `y`\n"), "x = repr(y)\n");
        assert_eq!(fix("if a <> b: pass\n"), "if a != b: pass\n");
        assert_eq!(
            fix("os.chmod(p, 0755)\nn = 10L\nm = 0x1fL\n"),
            "os.chmod(p, 0o755)\nn = 10\nm = 0x1f\n"
        );
        assert_eq!(fix("s = ur'\\d'\n"), "s = r'\\d'\n");
        assert_eq!(fix("exec code in ns\n"), "exec(code, ns)\n");
        assert_eq!(fix("print 'n: %d' % 0777, `x`\n"), "print('n: %d' % 0o777, repr(x))\n");
        assert_eq!(fix("x = 'print y'  # print z\n"), "x = 'print y'  # print z\n");
        assert_eq!(
            fix("try:\n    f()\nexcept E,err:\n    pass\n"),
            "try:\n    f()\nexcept E as err:\n    pass\n"
        );
        assert_eq!(
            fix("try:\n    f()\nexcept os.error, (errno, msg):\n    log(msg)\n"),
            "try:\n    f()\nexcept os.error as _py2_exc:\n    (errno, msg) = _py2_exc.args; log(msg)\n"
        );
        assert_eq!(fix("print '\\u00e9', u'\\u00e9'\n"), "print('\\\\u00e9', u'\\u00e9')\n");
        assert_eq!(
            fix("x = [p for p in a, b]\nprint x\n"),
            "x = [p for p in (a, b)]\nprint(x)\n"
        );
        assert_eq!(fix("print -7L.__index__(), 1.5\n"), "print(-7 .__index__(), 1.5)\n");
        assert!(!fix("from __future__ import print_function\nprint('x')\nexec 'y'\n").contains("print(("));
    }

    #[test]
    fn tuple_parameters_are_reported() {
        let err = intake("def f(a, (b, c)):\n    pass\n").unwrap_err();
        assert_eq!(err.construct, "tuple parameters in `def`");
        assert!(intake("lambda (k, v): k\n").is_err());
        assert!(intake("def f(a, b=(1, 2)):\n    pass\n").is_ok());
    }

    #[test]
    fn tabs_count_as_eight_columns() {
        let src = "if x:\n        a = 1\n\tb = 2\n";
        let out = fix(src);
        assert_eq!(out, "if x:\n        a = 1\n        b = 2\n");
    }
}
