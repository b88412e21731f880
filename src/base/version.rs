//! Python versions, for `target-version` and the catalog's version ranges.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PyVersion {
    pub major: u8,
    pub minor: u8,
}

impl PyVersion {
    pub const fn new(major: u8, minor: u8) -> Self {
        PyVersion { major, minor }
    }

    /// `3.11`, `py311`, `2.7`.
    pub fn parse(text: &str) -> Option<PyVersion> {
        let t = text.trim();
        let t = t.strip_prefix("py").unwrap_or(t);
        let (major, minor) = match t.split_once('.') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None if t.len() >= 2 => (t[..1].parse().ok()?, t[1..].parse().ok()?),
            None => return None,
        };
        matches!(major, 2 | 3).then_some(PyVersion { major, minor })
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The versions whose behaviour is measured in ground-truth/TRUTH.md (2.7, 3.6 to 3.13) or
/// recorded in the catalog from the release notes (3.14): the only ones `target-version` takes.
pub const SUPPORTED: &[PyVersion] = &[
    PyVersion::new(2, 7),
    PyVersion::new(3, 6),
    PyVersion::new(3, 7),
    PyVersion::new(3, 8),
    PyVersion::new(3, 9),
    PyVersion::new(3, 10),
    PyVersion::new(3, 11),
    PyVersion::new(3, 12),
    PyVersion::new(3, 13),
    PyVersion::new(3, 14),
];

/// A `target-version` value: parsed and one of `SUPPORTED`, else the message that lists them.
pub fn parse_target(text: &str) -> Result<PyVersion, String> {
    match PyVersion::parse(text) {
        Some(v) if SUPPORTED.contains(&v) => Ok(v),
        Some(v) => Err(format!(
            "`{text}` ({v}) is not a version picklefix knows the pickling behaviour of; allowed: {}",
            allowed_targets()
        )),
        None => Err(format!("`{text}` is not a version; allowed: {}", allowed_targets())),
    }
}

pub fn allowed_targets() -> String {
    SUPPORTED.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The newest Python measured in ground-truth/TRUTH.md; 3.14 verdicts need `--target-version 3.14`.
pub const DEFAULT_TARGET: PyVersion = PyVersion::new(3, 13);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(PyVersion::parse("3.11"), Some(PyVersion::new(3, 11)));
        assert_eq!(PyVersion::parse("py312"), Some(PyVersion::new(3, 12)));
        assert_eq!(PyVersion::parse("2.7"), Some(PyVersion::new(2, 7)));
        assert_eq!(PyVersion::parse("4.0"), None);
        assert_eq!(PyVersion::parse("x"), None);
    }

    #[test]
    fn only_measured_targets_are_accepted() {
        for ok in ["2.7", "3.6", "3.13", "3.14", "py311"] {
            assert!(parse_target(ok).is_ok(), "{ok}");
        }
        for bad in ["2.6", "3.5", "3.0", "3.15", "3.99", "banana"] {
            let err = parse_target(bad).unwrap_err();
            assert!(err.contains("allowed: 2.7, 3.6, 3.7"), "{err}");
            assert!(err.contains("3.14"), "{err}");
        }
    }
}
