//! The tokens the Python 2 intake works on: enough of Python 2's lexer for the rewrites
//! (strings, comments and brackets understood; logical line ends are `Newline` tokens).

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Name,
    Number,
    Str,
    Op,
    Newline,
    Comment,
}

#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Tokens of Python 2 source (enough for the rewrites: strings, comments and brackets are
/// understood; logical line ends are `Newline` tokens).
pub(super) fn tokenize(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0i32;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\x0c' => i += 1,
            b'\\' if matches!(b.get(i + 1), Some(b'\n' | b'\r')) => {
                i += 1;
                if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                i += 1;
            }
            b'\n' | b'\r' => {
                let start = i;
                if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                i += 1;
                if depth <= 0 {
                    out.push(Tok {
                        kind: Kind::Newline,
                        start,
                        end: i,
                    });
                }
            }
            b'#' => {
                let start = i;
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                out.push(Tok {
                    kind: Kind::Comment,
                    start,
                    end: i,
                });
            }
            b'"' | b'\'' => {
                let start = i;
                i = skip_string(b, i);
                out.push(Tok {
                    kind: Kind::Str,
                    start,
                    end: i,
                });
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                    i += 1;
                }
                // String prefixes (u, r, b, ur, br, ...) glue to the quote.
                if i < b.len()
                    && (b[i] == b'"' || b[i] == b'\'')
                    && i - start <= 2
                    && text[start..i].chars().all(|ch| "uUbBrR".contains(ch))
                {
                    i = skip_string(b, i);
                    out.push(Tok {
                        kind: Kind::Str,
                        start,
                        end: i,
                    });
                } else {
                    out.push(Tok {
                        kind: Kind::Name,
                        start,
                        end: i,
                    });
                }
            }
            _ if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'.'
                        || b[i] == b'_'
                        || ((b[i] == b'+' || b[i] == b'-')
                            && matches!(b[i - 1], b'e' | b'E')
                            && !text[start..i].starts_with("0x")))
                {
                    // `7L.__index__()`: the dot is an attribute access, not a decimal point.
                    if b[i] == b'.'
                        && (matches!(b[i - 1], b'L' | b'l')
                            || text[start..i].starts_with("0x")
                            || text[start..i].starts_with("0X"))
                    {
                        break;
                    }
                    i += 1;
                }
                out.push(Tok {
                    kind: Kind::Number,
                    start,
                    end: i,
                });
            }
            _ => {
                let start = i;
                let three = text.get(i..i + 3).unwrap_or("");
                let two = text.get(i..i + 2).unwrap_or("");
                let len = if ["**=", "//=", ">>=", "<<=", "..."].contains(&three) {
                    3
                } else if [
                    "<>", "!=", "==", "<=", ">=", "**", "//", ">>", "<<", "+=", "-=", "*=", "/=", "%=", "&=", "|=",
                    "^=", "->",
                ]
                .contains(&two)
                {
                    2
                } else {
                    text[i..].chars().next().map_or(1, char::len_utf8)
                };
                match c {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth -= 1,
                    _ => {}
                }
                i += len;
                out.push(Tok {
                    kind: Kind::Op,
                    start,
                    end: i,
                });
            }
        }
    }
    out
}

pub(super) fn skip_string(b: &[u8], mut i: usize) -> usize {
    let q = b[i];
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    i += if triple { 3 } else { 1 };
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if triple {
            if b[i] == q && b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                return i + 3;
            }
        } else if b[i] == q {
            return i + 1;
        } else if b[i] == b'\n' {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// `from __future__ import ..., name, ...` anywhere in the file.
pub(super) fn future_import(text: &str, toks: &[Tok], name: &str) -> bool {
    let t = |i: usize| toks.get(i).map_or("", |t| &text[t.start..t.end]);
    (0..toks.len()).any(|i| {
        t(i) == "from" && t(i + 1) == "__future__" && t(i + 2) == "import" && {
            let end = (i + 3..toks.len())
                .find(|&j| toks[j].kind == Kind::Newline)
                .unwrap_or(toks.len());
            (i + 3..end).any(|j| t(j) == name)
        }
    })
}
