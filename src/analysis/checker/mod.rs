//! The checker: finds pickling sinks in the parsed project — each in every call context it runs
//! in (see `eval::contexts`) — walks from what they pickle to the values that cannot be pickled,
//! and turns each (sink, leaf) pair into one finding. Rules with their own checks (PF5xx) run
//! afterwards over the same sinks.
//!
//! Here: the `Checker` state, the order in which the checks run (`run`), and the analysis thread
//! (`check_project`). `sinks` finds the calls that pickle, `walk` goes from each to the leaves,
//! `message` turns a leaf into the finding a user reads.

mod around;
mod class_facts;
mod message;
mod sinks;
mod walk;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub use sinks::SinkHit;

use crate::analysis::eval::{Eval, Frame};
use crate::analysis::finding::Finding;
use crate::analysis::index::{ClassId, Index};
use crate::analysis::rule::{Check, Rule};
use crate::base::diagnostic::Diagnostic;
use crate::config::catalog::Catalog;
use crate::config::settings::Settings;

pub struct Checker<'a, 'c> {
    pub ev: Eval<'a, 'c>,
    pub index: &'c Index<'a>,
    pub catalog: &'c Catalog,
    pub settings: &'c Settings,
    /// The rules to run (the table lives above the analysis: `lib.rs` hands it in).
    pub rules: &'c [&'c Rule],
    /// What the checks found so far (the walk's, then the rules').
    pub findings: Vec<Finding>,
    pub sinks: Vec<SinkHit<'a>>,
    /// Start methods the code sets for itself, and where.
    pub code_start: sinks::CodeStart,
    /// The pickle calls of the project, resolved once (see `pickle_calls::find`).
    pub pickle_calls: std::cell::OnceCell<Vec<(usize, crate::analysis::pickle_calls::PickleCall, String)>>,
    /// Classes with a `copyreg.pickle(...)` registration: pickled by their reducer.
    registered: std::cell::OnceCell<HashSet<ClassId>>,
}

impl<'a, 'c> Checker<'a, 'c> {
    pub fn new(index: &'c Index<'a>, catalog: &'c Catalog, settings: &'c Settings, rules: &'c [&'c Rule]) -> Self {
        let mut c = Checker {
            ev: Eval::new(index, catalog, settings.target_version),
            index,
            catalog,
            settings,
            rules,
            findings: Vec::new(),
            sinks: Vec::new(),
            code_start: sinks::CodeStart::default(),
            registered: std::cell::OnceCell::new(),
            pickle_calls: std::cell::OnceCell::new(),
        };
        c.code_start = c.find_code_start_method();
        c
    }

    /// Findings of a rule whose fixes (if any) are in the diagnostics already.
    pub fn report(&mut self, diags: impl IntoIterator<Item = Diagnostic>) {
        self.findings.extend(diags.into_iter().map(Finding::plain));
    }

    /// The start-method semantics for calls in `module` without a context of their own.
    pub fn default_start(&self, module: usize) -> String {
        match self.code_start.for_module(module) {
            Some(m) => m.to_string(),
            None => self.settings.start_method.semantics().to_string(),
        }
    }

    /// Find the sinks, then walk them while the rules that do not need them run beside, on a
    /// checker of their own (the analysis is otherwise one thread: see `check_project`).
    /// With `parallel` false they run after the walk, on this thread, with the same results.
    pub fn run(&mut self, parallel: bool) {
        let timings = std::env::var_os("PICKLEFIX_TIMINGS").is_some();
        let started = std::time::Instant::now();
        self.find_sinks();
        if timings {
            eprintln!(
                "timings: find sinks {:.3}s ({} sinks)",
                started.elapsed().as_secs_f64(),
                self.sinks.len()
            );
        }
        let workers = self.worker_only_functions();
        let (index, catalog, settings, rules) = (self.index, self.catalog, self.settings, self.rules);
        let beside_workers = workers.clone();
        let beside = move || {
            let mut other = Checker::new(index, catalog, settings, rules);
            other.ev.set_worker_only(beside_workers);
            for rule in rules {
                if let Check::Beside(check) = rule.check {
                    check(&mut other);
                }
            }
            (other.findings, python2_block_lines(index.project))
        };
        let (beside_diags, blocks) = std::thread::scope(|scope| {
            // Ok: the rules' thread; Err: the rules, to run here afterwards.
            let beside = if parallel {
                Ok(analysis_thread().spawn_scoped(scope, beside))
            } else {
                Err(beside)
            };
            self.ev.set_worker_only(workers);
            let walk = std::time::Instant::now();
            self.check_sinks();
            if timings {
                eprintln!("timings: walk sinks {:.3}s", walk.elapsed().as_secs_f64());
            }
            for rule in self.rules {
                if let Check::Project(check) = rule.check {
                    check(self);
                }
            }
            match beside {
                Err(inline) => inline(),
                Ok(Ok(thread)) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Ok(Err(e)) => panic!("cannot start an analysis thread: {e}"),
            }
        });
        self.findings.extend(beside_diags);
        // Migration findings (PF4xx) inside a block only Python 2 runs are the Python 2 half of
        // a port that already works on both (`six`, `if sys.version_info[0] < 3:`).
        self.findings.retain(|f| {
            let d = &f.diagnostic;
            !d.code.starts_with("PF4")
                || !blocks
                    .get(d.path.as_path())
                    .is_some_and(|b| b.iter().any(|&(a, z)| a <= d.span.line && d.span.line <= z))
        });
    }
}

/// Lines (first, last) of the blocks only Python 2 runs, by file.
fn python2_block_lines(project: &crate::analysis::project::Project) -> HashMap<&std::path::Path, Vec<(usize, usize)>> {
    let mut blocks = HashMap::default();
    for m in &project.modules {
        let Some(suite) = m.suite() else { continue };
        let lines: Vec<(usize, usize)> = crate::analysis::pickle_calls::python2_blocks(suite)
            .into_iter()
            .map(|(a, b)| (m.source.line_col(a).0, m.source.line_col(b).0))
            .collect();
        if !lines.is_empty() {
            blocks.insert(m.source.path.as_path(), lines);
        }
    }
    blocks
}

/// A thread for the analysis: it recurses through the program's values, so it gets a large
/// stack (deep but bounded chains never overflow).
fn analysis_thread() -> std::thread::Builder {
    std::thread::Builder::new().stack_size(512 << 20)
}

/// Run the whole analysis over a loaded project.
/// The analysis recurses through the program's values; it runs on a thread with a large stack
/// so that deep (but bounded) chains never overflow. The sinks are walked on one thread on
/// purpose: values are cached as they are computed, and splitting the sinks between threads
/// changes what each cache has seen when a recursive chain is cut (measured: 60 ms faster on
/// the stdlib, but 30 deep findings changed). Rules that do not read the sinks run beside it
/// with a cache of their own (`Check::Beside`), which gives them the same results.
/// `pool` (threads with large stacks) indexes the modules in parallel. `finish` runs on the
/// analysis thread once every check is done, with the evaluator as the walk left it (its
/// caches warm) and every finding: it picks the findings to show and makes their fixes.
pub fn check_project<R: Send>(
    project: &crate::analysis::project::Project,
    catalog: &Catalog,
    settings: &Settings,
    pool: &rayon::ThreadPool,
    rules: &[&Rule],
    finish: impl FnOnce(&Eval, Vec<Finding>) -> R + Send,
) -> R {
    std::thread::scope(|scope| {
        let worker = analysis_thread().spawn_scoped(scope, || {
            let index = Index::build(project, pool);
            let mut checker = Checker::new(&index, catalog, settings, rules);
            checker.run(pool.current_num_threads() > 1);
            let findings = std::mem::take(&mut checker.findings);
            finish(&checker.ev, findings)
        });
        match worker.map(|w| w.join()) {
            Ok(Ok(out)) => out,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(e) => panic!("cannot start the analysis thread: {e}"),
        }
    })
}

/// Frame helper for rules: evaluate an expression at a call site.
pub fn frame_at<'a>(checker: &Checker<'a, '_>, site: usize) -> Frame<'a> {
    checker.ev.site_frame(site)
}
