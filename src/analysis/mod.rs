//! The analysis of a project: from the paths given to findings with their facts.
//!
//! In pipeline order: `discover` lists the Python files (and, for a file named on the command
//! line, the rest of its project as context); `project` reads them and parses the
//! relevant ones (and what they import); `index` records each module's bindings, functions,
//! classes and call sites; `eval` says what values an expression can have; `checker` finds the
//! calls that pickle and walks to what cannot be pickled, and runs the rules it is handed (`rule`
//! says what a rule is to it; `pickle_calls` is what the migration rules read); `suppress` reads
//! `# noqa` comments. `finding` is what this layer hands up: findings carrying the plain facts
//! their fixes need, and the report of a check.
//!
//! Uses `base`, `config` and `python`. The rule table (`rules`) and the fixers (`fix`) sit above:
//! the checker gets the rules handed in, and fixes are made above, from the facts.

pub mod checker;
pub mod discover;
pub mod eval;
pub mod finding;
pub mod index;
pub mod pickle_calls;
pub mod project;
pub mod rule;
pub mod suppress;
