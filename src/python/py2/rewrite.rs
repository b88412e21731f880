//! The rewrites of the Python 2 intake, one method per construct (print and exec statements,
//! `except E, e`, `raise E, V`, backticks, old number and string literals, tuple parameters),
//! each an edit on the original text, over the tokens of `tokens`.

use super::tokens::{Kind, Tok};
use super::Unsupported;
use crate::base::diagnostic::Edit;

const COMPOUND: &[&str] = &[
    "if", "for", "while", "try", "with", "def", "class", "elif", "else", "except", "finally",
];

pub(super) struct Rewriter<'t> {
    pub(super) text: &'t str,
    pub(super) toks: Vec<Tok>,
    pub(super) edits: Vec<Edit>,
    pub(super) constructs: Vec<&'static str>,
    pub(super) print_function: bool,
    pub(super) unicode_literals: bool,
    pub(super) closing_backticks: Vec<usize>,
}

impl<'t> Rewriter<'t> {
    fn t(&self, i: usize) -> &'t str {
        self.toks.get(i).map_or("", |t| &self.text[t.start..t.end])
    }

    fn edit(&mut self, start: usize, end: usize, content: impl Into<String>, construct: &'static str) {
        self.edits.push(Edit {
            start,
            end,
            content: content.into(),
        });
        if !self.constructs.contains(&construct) {
            self.constructs.push(construct);
        }
    }

    /// Index of the token ending the simple statement that starts at `i` (a Newline, `;`, or
    /// the end), skipping brackets.
    fn statement_end(&self, mut i: usize) -> usize {
        let mut depth = 0i32;
        while i < self.toks.len() {
            let t = &self.toks[i];
            match (&t.kind, self.t(i)) {
                (Kind::Newline, _) if depth <= 0 => return i,
                (Kind::Comment, _) if depth <= 0 => return i,
                (Kind::Op, ";") if depth <= 0 => return i,
                (Kind::Op, "(" | "[" | "{") => depth += 1,
                (Kind::Op, ")" | "]" | "}") => depth -= 1,
                _ => {}
            }
            i += 1;
        }
        i
    }

    /// Top-level commas between tokens `from` and `to` (exclusive).
    fn commas(&self, from: usize, to: usize) -> Vec<usize> {
        let mut depth = 0i32;
        let mut out = Vec::new();
        for i in from..to {
            match self.t(i) {
                "(" | "[" | "{" if self.toks[i].kind == Kind::Op => depth += 1,
                ")" | "]" | "}" if self.toks[i].kind == Kind::Op => depth -= 1,
                "," if depth == 0 && self.toks[i].kind == Kind::Op => out.push(i),
                _ => {}
            }
        }
        out
    }

    fn end_of(&self, i: usize) -> usize {
        self.toks[i].end
    }

    fn start_of(&self, i: usize) -> usize {
        self.toks.get(i).map_or(self.text.len(), |t| t.start)
    }

    pub(super) fn run(&mut self) -> Result<(), Unsupported> {
        let mut i = 0;
        let mut line_start = true;
        let mut depth = 0i32;
        while i < self.toks.len() {
            let kind = self.toks[i].kind.clone();
            let word = self.t(i);
            if kind == Kind::Op {
                match word {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth -= 1,
                    _ => {}
                }
            }
            match kind {
                Kind::Newline => {
                    line_start = true;
                    i += 1;
                    continue;
                }
                Kind::Comment => {
                    i += 1;
                    continue;
                }
                Kind::Number => self.number(i),
                Kind::Str => self.string(i),
                Kind::Op if word == "<>" => {
                    let (s, e) = (self.toks[i].start, self.toks[i].end);
                    self.edit(s, e, "!=", "`<>` operator");
                }
                Kind::Op if word == "`" && !self.closing_backticks.contains(&i) => self.backticks(i)?,
                Kind::Op if word == ";" || word == ":" => {
                    // A simple statement may follow on the same line (`if x: print y`).
                    let next = self.toks.get(i + 1).map(|t| t.kind.clone());
                    if word == ";" || !matches!(next, Some(Kind::Newline) | Some(Kind::Comment) | None) {
                        line_start = word == ";" || self.colon_ends_header(i);
                    }
                    i += 1;
                    continue;
                }
                Kind::Name if word == "lambda" => self.lambda_params(i)?,
                Kind::Name if word == "for" && depth > 0 => self.comprehension_tuple(i),
                Kind::Name if line_start => match word {
                    "print" if !self.print_function => self.print(i),
                    "exec" => self.exec(i),
                    "raise" => self.raise(i),
                    "except" => self.except(i)?,
                    "def" => self.tuple_params(i)?,
                    _ => {}
                },
                _ => {}
            }
            line_start = false;
            i += 1;
        }
        Ok(())
    }

    /// Does the `:` at `i` end a compound statement header (so a statement follows)?
    fn colon_ends_header(&self, i: usize) -> bool {
        // Walk back to the start of the logical line; a header starts with a keyword.
        let mut j = i;
        while j > 0 && self.toks[j - 1].kind != Kind::Newline {
            j -= 1;
        }
        let depth_ok = self.commas(j, i).len() < usize::MAX;
        depth_ok
            && matches!(
                self.t(j),
                "if" | "elif" | "else" | "for" | "while" | "try" | "except" | "finally" | "with" | "def" | "class"
            )
    }

    fn number(&mut self, i: usize) {
        let (s, e) = (self.toks[i].start, self.toks[i].end);
        let lit = &self.text[s..e];
        let mut body = lit.to_string();
        let mut what = None;
        if (body.ends_with('L') || body.ends_with('l')) && body.len() > 1 && !body.contains('.') {
            body.pop();
            what = Some("long literal (`10L`)");
        }
        let is_octal = body.len() > 1
            && body.starts_with('0')
            && body.bytes().all(|c| c.is_ascii_digit())
            && body.bytes().any(|c| c != b'0');
        if is_octal {
            body = format!("0o{}", body.trim_start_matches('0'));
            what = Some("octal literal (`0777`)");
        }
        if let Some(w) = what {
            // `7L.__index__()` → `7 .__index__()`: `7.` would read as a float.
            if self.text[e..].starts_with('.') && !body.contains('.') {
                body.push(' ');
            }
            self.edit(s, e, body, w);
        }
    }

    fn string(&mut self, i: usize) {
        let (s, e) = (self.toks[i].start, self.toks[i].end);
        let prefix: String = self.text[s..e]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let lower = prefix.to_ascii_lowercase();
        if lower == "ur" {
            self.edit(s, s + prefix.len(), "r", "`ur''` string prefix");
        }
        // In a Python 2 byte string `\u`, `\U` and `\N` are not escapes: keep them literal.
        if lower.is_empty() && !self.unicode_literals {
            let body = &self.text[s..e];
            let bytes = body.as_bytes();
            let mut k = 0;
            while k + 1 < bytes.len() {
                if bytes[k] == b'\\' {
                    if matches!(bytes[k + 1], b'u' | b'U' | b'N') {
                        self.edit(s + k, s + k + 1, "\\\\", "`\\u` in a byte string");
                    }
                    k += 2;
                    continue;
                }
                k += 1;
            }
        }
    }

    fn backticks(&mut self, i: usize) -> Result<(), Unsupported> {
        let close = (i + 1..self.toks.len())
            .find(|&j| self.t(j) == "`")
            .ok_or(Unsupported {
                offset: self.toks[i].start,
                construct: "unclosed backtick",
            })?;
        self.closing_backticks.push(close);
        let (s, e) = (self.toks[i].start, self.toks[i].end);
        self.edit(s, e, "repr(", "backtick repr");
        let (s, e) = (self.toks[close].start, self.toks[close].end);
        self.edit(s, e, ")", "backtick repr");
        Ok(())
    }

    fn print(&mut self, i: usize) {
        let end = self.statement_end(i + 1);
        let after_print = self.end_of(i);
        if end == i + 1 {
            // A bare `print`.
            self.edit(after_print, after_print, "()", "`print` statement");
            return;
        }
        let next = self.t(i + 1);
        if next == "(" && self.toks[i + 1].kind == Kind::Op {
            let close = self.matching(i + 1);
            if close + 1 == end {
                // `print (a, b)` printed a tuple in Python 2; `print (x)` is already fine.
                if !self.commas(i + 2, close).is_empty() {
                    let (a, b) = (self.start_of(i + 1), self.end_of(close));
                    let inner = self.text[a..b].to_string();
                    self.edit(a, b, format!("({inner})"), "`print` statement");
                }
                return;
            }
        }
        if next == "=" || next == "." {
            return; // `print = ...` or `print.x`: a name, not the statement.
        }
        // Small edits only (brackets and separators), so rewrites inside the arguments
        // (octal literals, backticks) still apply.
        let mut first = i + 1;
        let mut file = None;
        if next == ">>" {
            let commas = self.commas(i + 2, end);
            let stop = commas.first().copied().unwrap_or(end);
            file = Some(self.text[self.start_of(i + 2)..self.end_of(stop - 1)].to_string());
            first = if stop < end { stop + 1 } else { end };
        }
        let trailing = end > first && self.t(end - 1) == "," && self.toks[end - 1].kind == Kind::Op;
        let last_arg = if trailing { end - 1 } else { end };
        let mut extra = Vec::new();
        if trailing {
            extra.push("end=\" \"".to_string());
        }
        if let Some(f) = file {
            extra.push(format!("file={f}"));
        }
        let has_args = last_arg > first;
        let open_end = if has_args {
            self.start_of(first)
        } else {
            self.end_of(end - 1)
        };
        self.edit(after_print, open_end, "(", "`print` statement");
        let tail = if has_args { self.end_of(last_arg - 1) } else { open_end };
        let sep = if has_args && !extra.is_empty() { ", " } else { "" };
        self.edit(
            tail,
            self.end_of(end - 1).max(tail),
            format!("{sep}{})", extra.join(", ")),
            "`print` statement",
        );
    }

    fn matching(&self, open: usize) -> usize {
        let mut depth = 0;
        for j in open..self.toks.len() {
            match self.t(j) {
                "(" | "[" | "{" if self.toks[j].kind == Kind::Op => depth += 1,
                ")" | "]" | "}" if self.toks[j].kind == Kind::Op => {
                    depth -= 1;
                    if depth == 0 {
                        return j;
                    }
                }
                _ => {}
            }
        }
        self.toks.len().saturating_sub(1)
    }

    fn exec(&mut self, i: usize) {
        if self.t(i + 1) == "(" || self.t(i + 1) == "=" {
            return;
        }
        let end = self.statement_end(i + 1);
        if end <= i + 1 {
            return;
        }
        let in_at = (i + 1..end).find(|&j| self.t(j) == "in" && self.toks[j].kind == Kind::Name);
        self.edit(self.end_of(i), self.start_of(i + 1), "(", "`exec` statement");
        if let Some(k) = in_at {
            self.edit(self.end_of(k - 1), self.start_of(k + 1), ", ", "`exec` statement");
        }
        let last = self.end_of(end - 1);
        self.edit(last, last, ")", "`exec` statement");
    }

    fn raise(&mut self, i: usize) {
        let end = self.statement_end(i + 1);
        let commas = self.commas(i + 1, end);
        if commas.is_empty() || (i + 1..end).any(|j| self.t(j) == "from") {
            return;
        }
        // `raise E, V` → `raise E(V)`; `raise E, V, T` → `raise E(V).with_traceback(T)`.
        self.edit(
            self.end_of(commas[0] - 1),
            self.start_of(commas[0] + 1),
            "(",
            "`raise E, V` statement",
        );
        if let Some(&c2) = commas.get(1) {
            self.edit(
                self.end_of(c2 - 1),
                self.start_of(c2 + 1),
                ").with_traceback(",
                "`raise E, V` statement",
            );
        }
        let last = self.end_of(end - 1);
        self.edit(last, last, ")", "`raise E, V` statement");
    }

    fn except(&mut self, i: usize) -> Result<(), Unsupported> {
        let Some(colon) = (i + 1..self.toks.len()).find(|&j| {
            self.t(j) == ":" && self.commas(i + 1, j).is_empty()
                || self.t(j) == ":" && self.depth_between(i + 1, j) == 0
        }) else {
            return Ok(());
        };
        let commas = self.commas(i + 1, colon);
        let Some(&c) = commas.last() else { return Ok(()) };
        if self.t(c + 1) != "(" && self.t(c + 1) != "[" {
            self.edit(self.start_of(c), self.start_of(c + 1), " as ", "`except E, e` clause");
            return Ok(());
        }
        // `except E, (errno, msg):` unpacked the exception's args: bind it, then unpack them
        // at the start of the handler's first line.
        let target = self.text[self.start_of(c + 1)..self.end_of(colon - 1)].to_string();
        let first = colon + 1 + usize::from(self.toks.get(colon + 1).is_some_and(|t| t.kind == Kind::Newline));
        let simple = self.toks.get(first).is_some_and(|t| {
            t.kind == Kind::Name && !COMPOUND.contains(&self.t(first))
                || t.kind != Kind::Name && t.kind != Kind::Newline
        });
        if !simple || first == colon + 1 {
            return Err(Unsupported {
                offset: self.start_of(c + 1),
                construct: "`except E, (a, b)` with a compound or inline handler",
            });
        }
        self.edit(
            self.start_of(c),
            self.end_of(colon - 1),
            " as _py2_exc",
            "`except E, e` clause",
        );
        let at = self.start_of(first);
        self.edit(at, at, format!("{target} = _py2_exc.args; "), "`except E, e` clause");
        Ok(())
    }

    /// Bracket depth of the tokens from `from` to `to` (0 when balanced).
    fn depth_between(&self, from: usize, to: usize) -> i32 {
        let mut depth = 0;
        for j in from..to {
            match self.t(j) {
                "(" | "[" | "{" if self.toks[j].kind == Kind::Op => depth += 1,
                ")" | "]" | "}" if self.toks[j].kind == Kind::Op => depth -= 1,
                _ => {}
            }
        }
        depth
    }

    /// `def f(a, (b, c)):` has no Python 3 form that keeps the signature; report it.
    fn tuple_params(&mut self, i: usize) -> Result<(), Unsupported> {
        if self.t(i + 2) != "(" {
            return Ok(());
        }
        let close = self.matching(i + 2);
        let mut depth = 0;
        for j in i + 3..close {
            match self.t(j) {
                "(" if depth == 0
                    && (j == i + 3 || self.t(j - 1) == "," || self.t(j - 1) == "=")
                    && self.t(j - 1) != "=" =>
                {
                    return Err(Unsupported {
                        offset: self.toks[j].start,
                        construct: "tuple parameters in `def`",
                    });
                }
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                _ => {}
            }
        }
        Ok(())
    }

    /// `[x for x in a, b]` iterated a tuple in Python 2; Python 3 needs `(a, b)`.
    fn comprehension_tuple(&mut self, i: usize) {
        let mut depth = 0;
        let mut in_at = None;
        let mut j = i + 1;
        while j < self.toks.len() {
            let w = self.t(j);
            let op = self.toks[j].kind == Kind::Op;
            match w {
                "(" | "[" | "{" if op => depth += 1,
                ")" | "]" | "}" if op => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                "in" if depth == 0 && in_at.is_none() && self.toks[j].kind == Kind::Name => in_at = Some(j),
                "if" | "for" if depth == 0 && in_at.is_some() && self.toks[j].kind == Kind::Name => break,
                _ => {}
            }
            j += 1;
        }
        let Some(k) = in_at else { return };
        if j > k + 1 && !self.commas(k + 1, j).is_empty() {
            let (a, b) = (self.start_of(k + 1), self.end_of(j - 1));
            self.edit(a, a, "(", "comprehension over a bare tuple");
            self.edit(b, b, ")", "comprehension over a bare tuple");
        }
    }

    fn lambda_params(&mut self, i: usize) -> Result<(), Unsupported> {
        if self.t(i + 1) == "(" {
            return Err(Unsupported {
                offset: self.toks[i + 1].start,
                construct: "tuple parameters in `lambda`",
            });
        }
        Ok(())
    }
}
