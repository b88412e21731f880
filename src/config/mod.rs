//! What a run is told before it reads any Python: the user's settings (`settings`: config files
//! and command-line overrides) and the catalog (`catalog`: the facts compiled in from
//! `fixes/*.toml`, plus the files the settings add). Uses only `base`.

pub mod catalog;
pub mod settings;
