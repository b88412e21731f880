//! Fixers: one file per rewrite strategy (the catalog names the strategy for each type). A
//! fixer turns a finding into text edits on the original source, or gives up (None) when it
//! cannot rewrite the code safely enough; the finding then keeps its `help` text.
//!
//! Fixers run after the walk, only for the findings that are shown, on the facts the checker
//! recorded for them (`analysis::finding::FixFacts`); they read the analysis through
//! `FixContext`, never the checker.

pub mod context;
pub mod generator;
pub mod getattr_guard;
pub mod getstate;
pub mod hoist;
pub mod managed_queue;
pub mod pool_initializer;
pub mod rebuild;
pub mod scope;
pub mod wraps;

pub use context::{is_local_in, local_scopes_at, FixContext};

use crate::analysis::eval::Eval;
use crate::analysis::finding::FixFacts;
use crate::base::diagnostic::Fix;
use crate::config::settings::Settings;

pub type Fixer = fn(&FixContext) -> Option<Fix>;

/// Strategy id (the catalog's `fix`) → fixer. One line per strategy.
pub static FIXERS: &[(&str, Fixer)] = &[
    ("getstate-drop-recreate", getstate::drop_and_recreate),
    ("getstate-drop", getstate::drop_only),
    ("hoist-callable", hoist::fix),
    ("store-data-not-generator", generator::fix),
    ("managed-queue", managed_queue::fix),
    ("add-wraps", wraps::fix),
    ("getattr-guard", getattr_guard::fix),
];

/// The fix for a finding, made from its facts with the evaluator the walk used; or, when the
/// fixer refused, why and what to do by hand (Err(None): no fixer, or nothing to say).
pub fn fix_for(ev: &Eval, settings: &Settings, facts: &FixFacts) -> Result<Fix, Option<String>> {
    match facts {
        FixFacts::Leaf(leaf) => {
            let ctx = FixContext {
                index: ev.index,
                ev,
                catalog: ev.catalog,
                settings,
                leaf,
                refused: Default::default(),
            };
            let strategy = ctx.catalog.ty(leaf.ty).fix.as_str();
            let fixer = FIXERS.iter().find(|(s, _)| *s == strategy).ok_or(None)?.1;
            fixer(&ctx).ok_or_else(|| ctx.refused.take())
        }
        FixFacts::PoolInitializer { pool, writer } => pool_initializer::fix(ev, *pool, *writer).ok_or(None),
    }
}
