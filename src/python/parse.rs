//! Parsing: the only module that calls the parser (ruff's, with its tree converted by
//! `convert`). It turns text into a syntax tree, explains syntax errors (naming Python 2
//! constructs), and offers a borrowing walker.

pub use crate::python::ast;
use crate::python::ast::Ranged;
pub use crate::python::ast::TextRange;

/// A file that does not parse.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

pub type Suite = ast::Tree;

/// Stack for threads that parse or walk syntax trees: deeply nested expressions (`1+1+…` of
/// 40,000 terms, 100,000-long attribute chains) recurse once per level. It is only reserved,
/// and touched as deep as the input goes (see also `[profile.dev.package.picklefix]`).
pub const STACK_SIZE: usize = 256 << 20;

/// Parse a whole module.
pub fn parse_module(text: &str, _path: &str) -> Result<Suite, SyntaxError> {
    use ruff_python_parser::{Mode, ParseOptions, UnsupportedSyntaxErrorKind};
    // Python 3.13 is the newest version measured: `except A, e:` (valid since 3.14, PEP 758)
    // is then the Python 2 form it almost always is in the code we read, not a tuple of types.
    let options = ParseOptions::from(Mode::Module).with_target_version(ruff_python_ast::PythonVersion::PY313);
    let fail = |offset: u32, raw: &str| {
        let offset = (offset as usize).min(text.len());
        Err(SyntaxError {
            offset,
            message: explain(text, offset, raw),
        })
    };
    let parsed = match ruff_python_parser::parse(text, options) {
        Ok(parsed) => parsed,
        Err(err) => return fail(err.location.start().to_u32(), &err.error.to_string()),
    };
    let py2_except = parsed
        .unsupported_syntax_errors()
        .iter()
        .find(|e| e.kind == UnsupportedSyntaxErrorKind::UnparenthesizedExceptionTypes);
    if let Some(e) = py2_except {
        return fail(
            e.range.start().to_u32(),
            "multiple exception types must be parenthesized",
        );
    }
    let module = match parsed.syntax() {
        ruff_python_ast::Mod::Module(m) => m,
        ruff_python_ast::Mod::Expression(e) => return fail(0, &format!("not a module: {e:?}")),
    };
    let arena = bumpalo::Bump::with_capacity(tree_size_estimate(parsed.tokens()));
    ast::Tree::new(arena, |arena| Ok(crate::python::convert::suite(arena, &module.body)))
}

/// Bytes the arena tree of a module will take, from its tokens: about 24 per token, plus the
/// text of its string literals. One block of about the right size keeps the arena from
/// doubling into blocks it half uses (measured on the standard library: 22 bytes per token for
/// the median file, 26.5 at the 95th percentile; 20 to 30 tried, 24 gave the lowest peak).
fn tree_size_estimate(tokens: &[ruff_python_ast::token::Token]) -> usize {
    use ruff_python_ast::token::TokenKind;
    let strings: usize = tokens
        .iter()
        .filter(|t| {
            matches!(
                t.kind(),
                TokenKind::String | TokenKind::FStringMiddle | TokenKind::TStringMiddle
            )
        })
        .map(|t| usize::from(ruff_text_size::Ranged::range(t).len()))
        .sum();
    tokens.len() * 24 + strings + 1024
}

/// Byte range of any node.
pub fn range_of<T: Ranged>(node: &T) -> (usize, usize) {
    let r = node.range();
    (usize::from(r.start()), usize::from(r.end()))
}

fn line_at(text: &str, offset: usize) -> (usize, &str) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let start = text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let end = text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i);
    (start, &text[start..end])
}

/// Turn a parser message into one a user can act on: name Python 2 constructs, and say when a
/// construct is valid Python that this parser does not support yet.
fn explain(text: &str, offset: usize, raw: &str) -> String {
    let (_, line) = line_at(text, offset);
    if let Some(construct) = python2_construct(line) {
        return format!("Python 2 syntax: {construct}; this file must be ported before it can be analysed ({raw})");
    }
    if let Some(limit) = parser_limit(line) {
        return format!("syntax not supported by picklefix's parser yet: {limit} ({raw})");
    }
    format!("syntax error: {raw}")
}

/// A best guess from the text of the failing line; wrong guesses only change the message.
pub fn python2_construct(line: &str) -> Option<&'static str> {
    let code = strip_strings_and_comment(line);
    let trimmed = code.trim_start();
    let word = |w: &str| {
        trimmed.starts_with(w)
            && trimmed[w.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '>')
    };
    if word("print") && !trimmed["print".len()..].trim_start().starts_with('(') || trimmed == "print" {
        return Some("`print` statement");
    }
    if word("exec") && !trimmed["exec".len()..].trim_start().starts_with('(') {
        return Some("`exec` statement");
    }
    if trimmed.starts_with("except") && trimmed.contains(',') && !trimmed.contains('(') {
        return Some("`except E, e` clause");
    }
    if trimmed.starts_with("raise ") && trimmed.contains(',') && !trimmed.contains('(') {
        return Some("`raise E, V` statement");
    }
    if code.contains('`') {
        return Some("backtick repr");
    }
    if code.contains("<>") {
        return Some("`<>` operator");
    }
    if has_py2_number(&code) {
        return Some("Python 2 number literal (`0777` octal or `10L` long)");
    }
    let lower = line.to_ascii_lowercase();
    if lower.contains("ur'") || lower.contains("ur\"") {
        return Some("`ur''` string prefix");
    }
    None
}

fn parser_limit(line: &str) -> Option<&'static str> {
    let t = line.trim_start();
    if t.starts_with("type ") && t.contains('=') {
        return Some("`type` alias statement (Python 3.12)");
    }
    if (t.starts_with("def ") || t.starts_with("class ")) && t.contains('[') {
        return Some("type parameter lists (PEP 695, Python 3.12)");
    }
    if t.contains("f\"") || t.contains("f'") {
        return Some("f-string nesting from PEP 701 (Python 3.12)");
    }
    if t.starts_with("except*") {
        return None;
    }
    None
}

fn strip_strings_and_comment(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => {
                if c == '#' {
                    break;
                }
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

fn has_py2_number(code: &str) -> bool {
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b'.'));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let token = &code[start..i];
        let long = token.len() > 1
            && (token.ends_with('L') || token.ends_with('l'))
            && token[..token.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b'x' || b == b'X');
        let octal = token.len() > 1
            && token.starts_with('0')
            && token.bytes().all(|b| b.is_ascii_digit())
            && token.bytes().any(|b| b != b'0');
        if long || octal {
            return true;
        }
    }
    false
}

/// A function definition, sync or async, seen the same way.
#[derive(Clone, Copy)]
pub struct FuncDef<'a> {
    pub name: &'a str,
    pub args: &'a ast::Arguments<'a>,
    pub body: &'a [ast::Stmt<'a>],
    pub decorators: &'a [ast::Expr<'a>],
    pub range: TextRange,
}

impl<'a> FuncDef<'a> {
    pub fn of(stmt: &'a ast::Stmt<'a>) -> Option<FuncDef<'a>> {
        match stmt {
            ast::Stmt::FunctionDef(f) | ast::Stmt::AsyncFunctionDef(f) => Some(FuncDef {
                name: f.name.as_str(),
                args: f.args,
                body: f.body,
                decorators: f.decorator_list,
                range: f.range,
            }),
            _ => None,
        }
    }

    pub fn start(&self) -> usize {
        usize::from(self.range.start())
    }

    /// Parameters in declaration order (positional-only, positional, *args, keyword-only, **kw).
    pub fn params(&self) -> Vec<&'a ast::Arg<'a>> {
        let a = self.args;
        let mut out: Vec<&ast::Arg> = a.posonlyargs.iter().chain(a.args).map(|p| &p.def).collect();
        out.extend(a.vararg);
        out.extend(a.kwonlyargs.iter().map(|p| &p.def));
        out.extend(a.kwarg);
        out
    }
}

/// A borrowing visitor: override what you need and call `walk_*` to descend.
pub trait Visitor<'a> {
    fn visit_stmt(&mut self, stmt: &'a ast::Stmt<'a>) {
        walk_stmt(self, stmt);
    }
    fn visit_expr(&mut self, expr: &'a ast::Expr<'a>) {
        walk_expr(self, expr);
    }
}

pub fn walk_body<'a, V: Visitor<'a> + ?Sized>(v: &mut V, body: &'a [ast::Stmt<'a>]) {
    for stmt in body {
        v.visit_stmt(stmt);
    }
}

fn walk_args<'a, V: Visitor<'a> + ?Sized>(v: &mut V, args: &'a ast::Arguments<'a>) {
    for a in args.posonlyargs.iter().chain(args.args).chain(args.kwonlyargs) {
        if let Some(d) = &a.default {
            v.visit_expr(d);
        }
    }
}

pub fn walk_stmt<'a, V: Visitor<'a> + ?Sized>(v: &mut V, stmt: &'a ast::Stmt<'a>) {
    use ast::Stmt as S;
    match stmt {
        S::FunctionDef(f) | S::AsyncFunctionDef(f) => {
            f.decorator_list.iter().for_each(|d| v.visit_expr(d));
            walk_args(v, f.args);
            walk_body(v, f.body);
        }
        S::ClassDef(c) => {
            c.decorator_list.iter().for_each(|d| v.visit_expr(d));
            c.bases.iter().for_each(|b| v.visit_expr(b));
            c.keywords.iter().for_each(|k| v.visit_expr(&k.value));
            walk_body(v, c.body);
        }
        S::Return(r) => r.value.iter().for_each(|e| v.visit_expr(e)),
        S::Delete(d) => d.targets.iter().for_each(|e| v.visit_expr(e)),
        S::Assign(a) => {
            a.targets.iter().for_each(|e| v.visit_expr(e));
            v.visit_expr(&a.value);
        }
        S::TypeAlias(_) => {}
        S::AugAssign(a) => {
            v.visit_expr(&a.target);
            v.visit_expr(&a.value);
        }
        S::AnnAssign(a) => {
            v.visit_expr(&a.target);
            a.value.iter().for_each(|e| v.visit_expr(e));
        }
        S::For(f) | S::AsyncFor(f) => {
            v.visit_expr(&f.target);
            v.visit_expr(&f.iter);
            walk_body(v, f.body);
            walk_body(v, f.orelse);
        }
        S::While(w) => {
            v.visit_expr(&w.test);
            walk_body(v, w.body);
            walk_body(v, w.orelse);
        }
        S::If(i) => {
            v.visit_expr(&i.test);
            walk_body(v, i.body);
            walk_body(v, i.orelse);
        }
        S::With(w) | S::AsyncWith(w) => {
            for item in w.items {
                v.visit_expr(&item.context_expr);
                item.optional_vars.iter().for_each(|e| v.visit_expr(e));
            }
            walk_body(v, w.body);
        }
        S::Match(m) => {
            v.visit_expr(&m.subject);
            for case in m.cases {
                case.guard.iter().for_each(|e| v.visit_expr(e));
                walk_body(v, case.body);
            }
        }
        S::Raise(r) => {
            r.exc.iter().for_each(|e| v.visit_expr(e));
            r.cause.iter().for_each(|e| v.visit_expr(e));
        }
        S::Try(t) | S::TryStar(t) => walk_try(v, t.body, t.handlers, t.orelse, t.finalbody),
        S::Assert(a) => {
            v.visit_expr(&a.test);
            a.msg.iter().for_each(|e| v.visit_expr(e));
        }
        S::Expr(e) => v.visit_expr(&e.value),
        S::Import(_) | S::ImportFrom(_) | S::Global(_) | S::Nonlocal(_) => {}
        S::Pass(_) | S::Break(_) | S::Continue(_) => {}
    }
}

fn walk_try<'a, V: Visitor<'a> + ?Sized>(
    v: &mut V,
    body: &'a [ast::Stmt<'a>],
    handlers: &'a [ast::ExceptHandler<'a>],
    orelse: &'a [ast::Stmt<'a>],
    finalbody: &'a [ast::Stmt<'a>],
) {
    walk_body(v, body);
    for ast::ExceptHandler::ExceptHandler(h) in handlers {
        h.type_.iter().for_each(|e| v.visit_expr(e));
        walk_body(v, h.body);
    }
    walk_body(v, orelse);
    walk_body(v, finalbody);
}

fn walk_comprehensions<'a, V: Visitor<'a> + ?Sized>(v: &mut V, gens: &'a [ast::Comprehension<'a>]) {
    for g in gens {
        v.visit_expr(&g.target);
        v.visit_expr(&g.iter);
        g.ifs.iter().for_each(|e| v.visit_expr(e));
    }
}

pub fn walk_expr<'a, V: Visitor<'a> + ?Sized>(v: &mut V, expr: &'a ast::Expr<'a>) {
    use ast::ExprKind as E;
    match expr.kind() {
        E::BoolOp(b) => b.values.iter().for_each(|e| v.visit_expr(e)),
        E::NamedExpr(n) => {
            v.visit_expr(&n.target);
            v.visit_expr(&n.value);
        }
        E::BinOp(b) => {
            v.visit_expr(&b.left);
            v.visit_expr(&b.right);
        }
        E::UnaryOp(u) => v.visit_expr(&u.operand),
        E::Lambda(l) => {
            walk_args(v, l.args);
            v.visit_expr(&l.body);
        }
        E::IfExp(i) => {
            v.visit_expr(&i.test);
            v.visit_expr(&i.body);
            v.visit_expr(&i.orelse);
        }
        E::Dict(d) => {
            d.keys.iter().flatten().for_each(|e| v.visit_expr(e));
            d.values.iter().for_each(|e| v.visit_expr(e));
        }
        E::Set(s) => s.elts.iter().for_each(|e| v.visit_expr(e)),
        E::ListComp(c) => {
            walk_comprehensions(v, c.generators);
            v.visit_expr(&c.elt);
        }
        E::SetComp(c) => {
            walk_comprehensions(v, c.generators);
            v.visit_expr(&c.elt);
        }
        E::GeneratorExp(c) => {
            walk_comprehensions(v, c.generators);
            v.visit_expr(&c.elt);
        }
        E::DictComp(c) => {
            walk_comprehensions(v, c.generators);
            v.visit_expr(&c.key);
            v.visit_expr(&c.value);
        }
        E::Await(a) => v.visit_expr(&a.value),
        E::Yield(y) => y.value.iter().for_each(|e| v.visit_expr(e)),
        E::YieldFrom(y) => v.visit_expr(&y.value),
        E::Compare(c) => {
            v.visit_expr(&c.left);
            c.comparators.iter().for_each(|e| v.visit_expr(e));
        }
        E::Call(c) => {
            v.visit_expr(&c.func);
            c.args.iter().for_each(|e| v.visit_expr(e));
            c.keywords.iter().for_each(|k| v.visit_expr(&k.value));
        }
        E::FormattedValue(f) => {
            v.visit_expr(&f.value);
            f.format_spec.iter().for_each(|e| v.visit_expr(e));
        }
        E::JoinedStr(j) => j.values.iter().for_each(|e| v.visit_expr(e)),
        E::Constant(_) | E::Name(_) => {}
        E::Attribute(a) => v.visit_expr(&a.value),
        E::Subscript(s) => {
            v.visit_expr(&s.value);
            v.visit_expr(&s.slice);
        }
        E::Starred(s) => v.visit_expr(&s.value),
        E::List(l) => l.elts.iter().for_each(|e| v.visit_expr(e)),
        E::Tuple(t) => t.elts.iter().for_each(|e| v.visit_expr(e)),
        E::Slice(s) => {
            s.lower.iter().for_each(|e| v.visit_expr(e));
            s.upper.iter().for_each(|e| v.visit_expr(e));
            s.step.iter().for_each(|e| v.visit_expr(e));
        }
    }
}

/// The dotted name of `a.b.c` (None for anything else).
pub fn dotted_name(expr: &ast::Expr) -> Option<String> {
    match expr.kind() {
        ast::ExprKind::Name(n) => Some(n.id.to_string()),
        ast::ExprKind::Attribute(a) => dotted_name(&a.value).map(|base| format!("{base}.{}", a.attr)),
        _ => None,
    }
}

/// The value of a string literal.
pub fn str_literal<'a>(expr: &ast::Expr<'a>) -> Option<&'a str> {
    match expr.kind() {
        ast::ExprKind::Constant(ast::ExprConstant {
            value: ast::Constant::Str(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

pub fn is_none_literal(expr: &ast::Expr) -> bool {
    matches!(
        expr.kind(),
        ast::ExprKind::Constant(ast::ExprConstant {
            value: ast::Constant::None,
            ..
        })
    )
}

/// Small integer literal (for `num_workers=4`).
pub fn int_literal(expr: &ast::Expr) -> Option<i64> {
    match expr.kind() {
        ast::ExprKind::Constant(ast::ExprConstant {
            value: ast::Constant::Int(i),
            ..
        }) => Some(*i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse_module(src, "t.py").unwrap_err().message
    }

    #[test]
    fn names_python2_constructs() {
        assert!(err("print 'hello'\n").contains("`print` statement"));
        assert!(err("try:\n    pass\nexcept ValueError, e:\n    pass\n").contains("`except E, e`"));
        assert!(err("x = `y`\n").contains("backtick"));
        assert!(err("if a <> b:\n    pass\n").contains("`<>`"));
        assert!(err("x = 0777\n").contains("octal"));
        assert!(err("x = 10L\n").contains("long"));
        assert!(err("exec 'x = 1'\n").contains("`exec` statement"));
    }

    #[test]
    fn plain_errors_are_not_blamed_on_python2() {
        let m = err("def f(:\n    pass\n");
        assert!(m.starts_with("syntax error"), "{m}");
    }

    #[test]
    fn parses_python3() {
        assert!(parse_module("print('x')\nx = 0o777\n", "t.py").is_ok());
    }
}
