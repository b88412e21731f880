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
}
