//! Findings as every renderer sees them.

use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SinkLocation {
    pub path: String,
    pub line: usize,
    pub call: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    DisplayOnly,
    Unsafe,
    Safe,
}

/// One text edit on the original source: replace bytes `start..end` with `content`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub content: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fix {
    pub applicability: Applicability,
    /// The fix title, imperative: "Drop `fh` in `__getstate__` and reopen it in `__setstate__`".
    pub message: String,
    pub edits: Vec<Edit>,
    /// The file the edits apply to (the owner class may live in another file than the finding).
    #[serde(serialize_with = "serialize_path")]
    pub path: Option<PathBuf>,
}

fn serialize_path<S: serde::Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => s.serialize_some(&display_path(p)),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
    pub path: PathBuf,
    pub span: Span,
    pub attribute_path: Option<String>,
    pub origin: Option<Location>,
    /// The source line at the origin, shown in the note.
    pub origin_text: Option<String>,
    pub sink: Option<SinkLocation>,
    /// The error Python raises when it pickles this (for the target version).
    pub error: Option<String>,
    pub fix: Option<Fix>,
    /// What to do by hand when there is no automatic fix (or in addition to it).
    pub help: Option<String>,
    /// The finding depends on a branch, flag or caller the analysis could not decide (shown
    /// only on request); otherwise it is manifest: it holds on the path that reaches the sink.
    pub latent: bool,
}

impl Diagnostic {
    /// A finding about a whole file (PF001, PF002): no sink, no origin.
    pub fn file_error(code: &'static str, path: PathBuf, line: usize, message: String) -> Diagnostic {
        Diagnostic {
            code,
            message,
            path,
            span: Span {
                line,
                column: 1,
                end_line: line,
                end_column: 1,
            },
            attribute_path: None,
            origin: None,
            origin_text: None,
            sink: None,
            error: None,
            fix: None,
            help: None,
            latent: false,
        }
    }

    pub fn sort_key(&self) -> (PathBuf, usize, usize, &'static str, Option<String>) {
        (
            self.path.clone(),
            self.span.line,
            self.span.column,
            self.code,
            self.attribute_path.clone(),
        )
    }
}

/// Render a path for output: relative paths as they are, with `/` separators.
pub fn display_path(path: &std::path::Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
