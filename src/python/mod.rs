//! Python source, from bytes to a syntax tree: the first layer that knows Python.
//!
//! `source` decodes a file (BOM, PEP 263 cookie, newlines) and indexes its lines; `parse` is the
//! only caller of the parser (ruff's, copied by `convert` into our arena tree, `ast`) and offers
//! a walker; `py2` rewrites Python 2 syntax that does not parse as Python 3; `names` and `text`
//! are helpers over one module's tree and text that the layers above share (names read or bound,
//! the expression at an offset; lines, indentation, imports for edits).
//!
//! Uses only `base`. Nothing here knows about other modules of the project, values or rules.

pub mod ast;
mod convert;
pub mod names;
pub mod parse;
pub mod py2;
pub mod source;
pub mod text;
