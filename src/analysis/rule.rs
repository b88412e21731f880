//! What a rule is to the checker that runs it: its code, name and docs, and how it finds its
//! findings. The table of every rule (`rules::RULES`) sits above the analysis: `lib.rs` hands it
//! to the checker, which runs each rule's check and names findings by these codes.

use crate::analysis::checker::Checker;

/// How a rule finds its findings.
pub enum Check {
    /// Reported by the reachability engine for catalog types whose `rule` is this code.
    Reach,
    /// Reported while reading and parsing files (PF0xx).
    Intake,
    /// A check over the parsed project that reads the sinks found (`Checker::sinks`).
    Project(fn(&mut Checker)),
    /// A check over the parsed project that does not read the sinks: it runs on a checker of
    /// its own, on another thread, while the sinks are walked.
    Beside(fn(&mut Checker)),
}

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub doc: &'static str,
    pub check: Check,
}

/// The rule with this code (in any case) in a table of rules.
pub fn by_code<'r>(rules: &[&'r Rule], code: &str) -> Option<&'r Rule> {
    rules.iter().copied().find(|r| r.code.eq_ignore_ascii_case(code))
}
