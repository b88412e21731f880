//! The ground floor: the words every layer speaks. Errors that carry a path and line
//! (`error`), findings as every renderer sees them, with their fixes as text edits
//! (`diagnostic`), and Python versions (`version`).
//!
//! Uses nothing of the crate; everything else may use it.

pub mod diagnostic;
pub mod error;
pub mod version;
