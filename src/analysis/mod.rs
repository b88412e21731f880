//! The analysis of a project.

pub mod checker;
pub mod discover;
pub mod eval;
pub mod finding;
pub mod index;
pub mod pickle_calls;
pub mod project;
pub mod rule;
pub mod suppress;
