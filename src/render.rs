//! Rendering findings: text (ruff's shape, with a code frame and notes), JSON, SARIF, GitHub
//! annotations, GitLab Code Quality and JUnit XML (`render/`), and per-rule statistics. Only
//! this module writes findings out.

mod gitlab;
mod junit;
mod statistics;

pub use gitlab::gitlab;
pub use junit::junit;
pub use statistics::statistics;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::base::diagnostic::{display_path, Applicability, Diagnostic, Fix, Location, SinkLocation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request)
    Github,
    /// GitLab Code Quality report (artifacts: reports: codequality)
    Gitlab,
    /// JUnit XML, one test case per finding
    Junit,
}

/// How text output looks.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
    /// Show each fix as a diff under its finding.
    pub show_fixes: bool,
}

/// Findings in one format. `sources` holds the text of the files with findings (code frames).
pub fn findings(format: Format, diags: &[Diagnostic], sources: &HashMap<PathBuf, String>, opts: TextOptions) -> String {
    match format {
        Format::Text => text(diags, sources, opts),
        Format::Json => json(diags),
        Format::Sarif => sarif(diags),
        Format::Github => github(diags),
        Format::Gitlab => gitlab(diags),
        Format::Junit => junit(diags),
    }
}

/// A fix `fix` applies on its own (`[*]`): safe. Unsafe fixes need `--unsafe-fixes`.
pub fn is_safe_fix(d: &Diagnostic) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| f.applicability == Applicability::Safe && !f.edits.is_empty())
}

/// A fix that only `--unsafe-fixes` applies.
pub fn is_unsafe_fix(d: &Diagnostic) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| f.applicability == Applicability::Unsafe && !f.edits.is_empty())
}

#[derive(Serialize)]
struct JsonFinding<'d> {
    code: &'d str,
    message: &'d str,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    attribute_path: Option<&'d str>,
    origin: Option<&'d Location>,
    sink: Option<&'d SinkLocation>,
    error: Option<&'d str>,
    fix: Option<&'d Fix>,
    help: Option<&'d str>,
    /// `manifest` (holds on the path that reaches the sink) or `latent` (depends on a branch,
    /// flag or caller the analysis could not decide; shown with `--include-latent`).
    confidence: &'static str,
}

pub fn json(diags: &[Diagnostic]) -> String {
    let findings: Vec<JsonFinding> = diags
        .iter()
        .map(|d| JsonFinding {
            code: d.code,
            message: &d.message,
            path: display_path(&d.path),
            line: d.span.line,
            column: d.span.column,
            end_line: d.span.end_line,
            end_column: d.span.end_column,
            attribute_path: d.attribute_path.as_deref(),
            origin: d.origin.as_ref(),
            sink: d.sink.as_ref(),
            error: d.error.as_deref(),
            fix: d.fix.as_ref(),
            help: d.help.as_deref(),
            confidence: if d.latent { "latent" } else { "manifest" },
        })
        .collect();
    serde_json::to_string_pretty(&findings).unwrap_or_else(|_| "[]".into()) + "\n"
}

pub fn github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let msg = d.message.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
        out.push_str(&format!(
            "::error title=picklefix ({code}),file={path},line={line},col={col},endLine={el},endColumn={ec}::{code} {msg}\n",
            code = d.code,
            path = display_path(&d.path),
            line = d.span.line,
            col = d.span.column,
            el = d.span.end_line,
            ec = d.span.end_column,
        ));
    }
    out
}

/// SARIF 2.1.0 (validated against the OASIS schema in the tests), with every rule's metadata:
/// its summary as `shortDescription` and the text of `picklefix explain` as `fullDescription`
/// and `help`. There is no stable documentation site yet, so no `helpUri`.
pub fn sarif(diags: &[Diagnostic]) -> String {
    let rules: Vec<serde_json::Value> = crate::rules::RULES
        .iter()
        .map(|r| {
            let help = crate::rules::explain_text(r);
            serde_json::json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": help},
                "help": {"text": help, "markdown": help},
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let index = crate::rules::RULES.iter().position(|r| r.code == d.code);
            let mut result = serde_json::json!({
                "ruleId": d.code,
                "level": "error",
                "message": {"text": d.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": display_path(&d.path)},
                    "region": {"startLine": d.span.line, "startColumn": d.span.column, "endLine": d.span.end_line, "endColumn": d.span.end_column}
                }}],
                "properties": {"attributePath": d.attribute_path, "origin": d.origin, "sink": d.sink},
            });
            if let Some(i) = index {
                result["ruleIndex"] = serde_json::json!(i);
            }
            if let Some(o) = &d.origin {
                result["relatedLocations"] = serde_json::json!([{
                    "id": 0,
                    "message": {"text": "the value that cannot be pickled is created here"},
                    "physicalLocation": {"artifactLocation": {"uri": o.path}, "region": {"startLine": o.line.max(1)}},
                }]);
            }
            result
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "picklefix", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Text in ruff's shape: `path:line:col: CODE message`, a code frame, notes and help.
/// `[*]` marks a safe fix, the one `fix --write` applies without `--unsafe-fixes`.
pub fn text(diags: &[Diagnostic], sources: &HashMap<PathBuf, String>, opts: TextOptions) -> String {
    let style = Style { color: opts.color };
    let mut out = String::new();
    for d in diags {
        let fixable = if is_safe_fix(d) { " [*]" } else { "" };
        let latent = if d.latent { " (latent)" } else { "" };
        out.push_str(&format!(
            "{}:{}:{}: {}{fixable}{latent} {}\n",
            style.paint("1", &display_path(&d.path)),
            d.span.line,
            d.span.column,
            style.paint("1;31", d.code),
            d.message
        ));
        if let Some(src) = sources.get(&d.path) {
            frame(&mut out, src, d, &style);
        }
        if let (Some(o), Some(t)) = (&d.origin, &d.origin_text) {
            let what = d
                .attribute_path
                .as_deref()
                .map_or(String::from("the value"), |p| format!("`{p}`"));
            out.push_str(&format!(
                "   = note: {what} is created at {}:{}: `{t}`\n",
                o.path, o.line
            ));
        }
        if let Some(fix) = &d.fix {
            let how = match fix.applicability {
                Applicability::Safe => "",
                Applicability::Unsafe => " (unsafe: needs --unsafe-fixes)",
                Applicability::DisplayOnly => " (display only)",
            };
            out.push_str(&format!("   = {}: {}{how}\n", style.paint("32", "fix"), fix.message));
            if opts.show_fixes {
                out.push_str(&fix_diff(d, fix, sources, &style));
            }
        } else if let Some(h) = &d.help {
            out.push_str(&format!("   = {}: {h}\n", style.paint("36", "help")));
        }
        out.push('\n');
    }
    out
}

fn frame(out: &mut String, src: &str, d: &Diagnostic, style: &Style) {
    let Some(line) = src.lines().nth(d.span.line.saturating_sub(1)) else {
        return;
    };
    let line = line.trim_end_matches('\r');
    let num = d.span.line.to_string();
    let pad = " ".repeat(num.len());
    let start = d.span.column.saturating_sub(1);
    let width = if d.span.end_line == d.span.line {
        d.span.end_column.saturating_sub(d.span.column).max(1)
    } else {
        line.chars().count().saturating_sub(start).max(1)
    };
    let indent: String = line
        .chars()
        .take(start)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let label = match &d.sink {
        Some(s) if s.call.contains("load") => " unpickled here",
        Some(_) => " pickled here",
        None => "",
    };
    out.push_str(&format!(
        "{pad} |\n{num} | {line}\n{pad} | {indent}{}\n",
        style.paint("31", &format!("{}{label}", "^".repeat(width)))
    ));
}

/// `--show-fixes`: the fix's edits applied alone, as a diff indented under the finding.
fn fix_diff(d: &Diagnostic, fix: &Fix, sources: &HashMap<PathBuf, String>, style: &Style) -> String {
    let path = fix.path.as_ref().unwrap_or(&d.path);
    let Some(src) = sources.get(path) else {
        return String::new();
    };
    let (new, _) = crate::fix::apply::apply_fixes(src, &[(d.code, fix.clone())]);
    let text = diff(&display_path(path), src, &new);
    text.lines()
        .map(|line| format!("     {}\n", paint_diff_line(line, style)))
        .collect()
}

/// A unified diff coloured for a terminal: additions green, deletions red.
pub fn paint_diff(diff: &str) -> String {
    let style = Style { color: true };
    diff.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(l) => paint_diff_line(l, &style) + "\n",
            None => paint_diff_line(line, &style),
        })
        .collect()
}

fn paint_diff_line(line: &str, style: &Style) -> String {
    match line.as_bytes().first() {
        Some(b'+') if !line.starts_with("+++") => style.paint("32", line),
        Some(b'-') if !line.starts_with("---") => style.paint("31", line),
        Some(b'@') => style.paint("36", line),
        _ => line.to_string(),
    }
}

/// A unified diff with `a/` and `b/` headers that `git apply` and `patch -p1` accept.
pub fn diff(path: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Write to stdout; a closed pipe is not an error (ripgrep's policy).
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match lock.write_all(text.as_bytes()).and_then(|_| lock.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
