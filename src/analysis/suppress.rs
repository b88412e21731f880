//! Suppression comments: `# noqa`, `# noqa: PF101, PF2`, `# picklefix: ignore[PF101]` on the
//! reported line, or on the origin line for findings that have one.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::analysis::project::Project;
use crate::base::diagnostic::Diagnostic;

/// What a comment on one line suppresses: None = everything.
fn codes_on_line(line: &str) -> Option<Option<Vec<String>>> {
    let comment = comment_of(line)?;
    let lower = comment.to_ascii_lowercase();
    if let Some(at) = lower.find("picklefix: ignore") {
        let rest = &comment[at + "picklefix: ignore".len()..];
        return Some(
            rest.strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map(|(codes, _)| split_codes(codes)),
        );
    }
    let at = lower.find("noqa")?;
    let rest = comment[at + 4..].trim_start();
    match rest.strip_prefix(':') {
        Some(codes) => {
            let codes = split_codes(codes);
            Some((!codes.is_empty()).then_some(codes))
        }
        None => Some(None),
    }
}

fn split_codes(text: &str) -> Vec<String> {
    text.split([',', ' ', '\t'])
        .map(str::trim)
        .take_while(|c| c.is_empty() || c.chars().all(|ch| ch.is_ascii_alphanumeric()))
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The comment part of a line, skipping `#` inside string literals.
fn comment_of(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '#' => return Some(&line[i + 1..]),
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
    }
    None
}

fn suppressed_by(line: &str, code: &str) -> bool {
    match codes_on_line(line) {
        None => false,
        Some(None) => true,
        Some(Some(codes)) => codes.iter().any(|c| code.starts_with(c.as_str())),
    }
}

/// What the suppression comments of a project hide.
pub struct Suppressions<'p> {
    project: &'p Project,
    files: HashMap<PathBuf, usize>,
    by_display: HashMap<String, usize>,
}

impl<'p> Suppressions<'p> {
    pub fn new(project: &'p Project) -> Self {
        let files: HashMap<PathBuf, usize> = project
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.source.path.clone(), i))
            .collect();
        let by_display: HashMap<String, usize> = project
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (crate::base::diagnostic::display_path(&m.source.path), i))
            .collect();
        Suppressions {
            project,
            files,
            by_display,
        }
    }

    /// Is this finding suppressed, on its own line or on its origin's?
    pub fn hides(&self, d: &Diagnostic) -> bool {
        let project = self.project;
        let here = self
            .files
            .get(&d.path)
            .map(|&i| project.modules[i].source.line_text(d.span.line));
        if here.is_some_and(|l| suppressed_by(l, d.code)) {
            return true;
        }
        let origin = d.origin.as_ref().and_then(|o| {
            self.by_display
                .get(&o.path)
                .map(|&i| project.modules[i].source.line_text(o.line))
        });
        origin.is_some_and(|l| suppressed_by(l, d.code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert!(suppressed_by("q.put(job)  # noqa", "PF101"));
        assert!(suppressed_by("q.put(job)  # noqa: PF101", "PF101"));
        assert!(suppressed_by("q.put(job)  # NOQA:PF1", "PF101"));
        assert!(!suppressed_by("q.put(job)  # noqa: PF2", "PF101"));
        assert!(suppressed_by("q.put(job)  # picklefix: ignore[PF101]", "PF101"));
        assert!(!suppressed_by("q.put(job)  # picklefix: ignore[PF102]", "PF101"));
        assert!(suppressed_by("q.put(job)  # picklefix: ignore", "PF101"));
        assert!(!suppressed_by("q.put('# noqa')", "PF101"));
    }
}
