//! What a run is told before it reads any Python: the user's settings (`settings`: config files
//! and command-line overrides; `patterns`: their globs, each relative to the file that wrote it;
//! `resolver`: which config file governs a file, the nearest one) and the catalog (`catalog`:
//! the facts compiled in from `fixes/*.toml`, plus the files the settings add; `picklers`:
//! which picklers carry functions and classes by value). Both are validated as they load, with
//! errors that name file and line.
//!
//! Uses only `base`. Rule codes are checked against the rule table, which sits above: the caller
//! hands in the check (`rules::is_code`, `rules::is_code_prefix`).

pub mod catalog;
pub mod patterns;
pub mod picklers;
pub mod resolver;
pub mod settings;
