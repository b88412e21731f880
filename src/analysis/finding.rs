//! What the analysis hands up: findings, each with the plain facts its fix needs (ids of
//! classes, functions and modules, offsets, names: nothing borrowed from the syntax trees), and
//! the report of a whole check. Fixes are computed from these facts after the walk, and only for
//! the findings that are shown (`lib.rs`): the fixers read them, never the checker.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::analysis::eval::Origin;
use crate::analysis::index::{ClassId, FuncId};
use crate::analysis::project::Stats;
use crate::base::diagnostic::Diagnostic;
use crate::config::catalog::TypeId;

/// Something that cannot be pickled, found under a sink.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub ty: TypeId,
    pub origin: Option<Origin>,
    /// `Job.reader.fh`; None when no object of a project class lies on the way.
    pub path: Option<String>,
    /// Only containers between the pickled value and the leaf.
    pub direct: bool,
    /// The pickled value is a bound method whose instance holds the leaf.
    pub via_bound_method: bool,
    /// The class that owns the attribute and the attribute, for help texts.
    pub owner: Option<(ClassId, String)>,
    /// Name of the pickled callable (`Probe.run`) for bound methods.
    pub callable: Option<String>,
    /// `__qualname__` of a local object, for its error text.
    pub qualname: Option<String>,
    /// The Python class, when it depends on how the value was made (a file's mode).
    pub class: Option<String>,
    /// The leaf reaches the sink only on some undecided path.
    pub latent: bool,
    /// Found in what the callable returns: the worker pickles it to send it back.
    pub returned: bool,
}

/// What a fixer needs to know about one finding.
#[derive(Debug, Clone)]
pub enum FixFacts {
    /// A value that cannot be pickled, reached from a sink: the catalog's type names the fixer.
    Leaf(Leaf),
    /// PF501: the pool made at `pool` starts workers that need `writer` (a function the parent
    /// calls to set a global) run in each of them first.
    PoolInitializer { pool: Origin, writer: FuncId },
}

/// A finding as the checker reports it: what is shown, and what its fix is made from (None
/// when the rule builds its fix itself, or has none).
#[derive(Debug, Clone)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    pub facts: Option<FixFacts>,
}

impl Finding {
    /// A finding whose fix, if any, is already in its diagnostic.
    pub fn plain(diagnostic: Diagnostic) -> Finding {
        Finding {
            diagnostic,
            facts: None,
        }
    }
}

/// The result of checking some paths with one set of settings.
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
    /// Source text of every file read, for code frames.
    pub sources: HashMap<PathBuf, String>,
    /// For a fix-loop round only (else empty): each parsed file and the project files it
    /// imports, so that the loop re-checks the importers of what it changed.
    pub imports: Vec<(PathBuf, Vec<PathBuf>)>,
}
