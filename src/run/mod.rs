//! Running the user's code: `trace` runs a command with a pickling tracer and turns its events
//! into findings; `verify` compares the project with a baseline (compile, check, the command
//! under the tracer before and after); `supervise` bounds what a command starts (process
//! group, subreaper, /proc), keeps its output's tail and turns SIGINT/SIGTERM into a flag.
//!
//! Uses `base`, `config`, `analysis` (the report type) and `rules` (codes). The check `verify`
//! repeats is handed in by `lib.rs`, which sits above.

pub mod supervise;
pub mod trace;
pub mod verify;
