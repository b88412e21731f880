//! Python source, read and parsed. Uses only `base`.

pub mod ast;
mod convert;
pub mod names;
pub mod parse;
pub mod py2;
pub mod source;
pub mod text;
