//! Structured errors of the library: every one carries the file (and line when known).

use std::path::PathBuf;

/// An error that stops a command: configuration, catalog or I/O outside a single source file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: cannot {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: catalog: {message}")]
    Catalog {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
    /// SIGINT, SIGTERM or SIGHUP arrived; what was started has been stopped.
    #[error("interrupted by signal {0}")]
    Interrupted(i32),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// 1-based line of a byte offset in a TOML document, for error messages.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}
