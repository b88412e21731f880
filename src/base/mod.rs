//! The ground floor: the words every layer speaks. Errors (`error`), findings with their fixes
//! as text edits (`diagnostic`), and Python versions (`version`). Uses nothing of the crate.

pub mod diagnostic;
pub mod error;
pub mod version;
