//! `picklefix trace`: run the user's command with the Python tracer (`python/sitecustomize.py`,
//! shipped inside the binary and put on PYTHONPATH from a temporary folder that is removed
//! afterwards), then turn the pickling failures it recorded into findings like `check`'s.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::base::diagnostic::{Diagnostic, SinkLocation, Span};
use crate::base::error::{Error, Result};
use crate::config::catalog::Catalog;
use crate::run::supervise::{self, Tail};

pub const HELPER: &str = include_str!("../../python/sitecustomize.py");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Site {
    pub path: String,
    pub line: usize,
    #[serde(default)]
    pub function: String,
    #[serde(default)]
    pub call: Option<String>,
}

/// One line of the tracer's JSON-lines output.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub event: String,
    pub pickler: String,
    pub call: Option<String>,
    pub sink: Option<Site>,
    pub attribute_path: Option<String>,
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    pub exception: String,
    #[serde(default)]
    pub in_child: bool,
}

/// How a traced run ended.
pub struct Run {
    pub events: Vec<Event>,
    pub status: Option<i32>,
    pub timed_out: bool,
    /// The signal that stopped picklefix during the run (the command was stopped too).
    pub interrupted: Option<i32>,
    /// The end of the output, when captured (see `supervise::OUTPUT_TAIL`).
    pub stdout: Tail,
    pub stderr: Tail,
}

pub struct Options<'o> {
    pub command: &'o [String],
    pub cwd: &'o Path,
    pub start_method: Option<&'o str>,
    pub timeout: Duration,
    /// Capture the command's output instead of passing it through.
    pub capture: bool,
    /// Send the command's stdout to our stderr (keeps JSON output clean).
    pub stdout_to_stderr: bool,
    pub extra_env: Vec<(String, String)>,
}

/// Run a command under the tracer. The helper lives in a temporary folder for the run only.
pub fn run(opts: &Options) -> Result<Run> {
    let Some((program, args)) = opts.command.split_first() else {
        return Err(Error::Usage("no command to run; give it after `--`".into()));
    };
    let dir = tempfile::Builder::new()
        .prefix("picklefix-trace")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), "create a temporary folder in", e))?;
    let helper = dir.path().join("sitecustomize.py");
    std::fs::write(&helper, HELPER).map_err(|e| Error::io(&helper, "write", e))?;
    let events_path = dir.path().join("events.jsonl");
    let mut entries = vec![dir.path().to_path_buf()];
    if let Some(old) = std::env::var_os("PYTHONPATH").filter(|p| !p.is_empty()) {
        entries.extend(std::env::split_paths(&old));
    }
    // `:` on Unix, `;` on Windows.
    let pythonpath = std::env::join_paths(entries)
        .map_err(|e| Error::Usage(format!("PYTHONPATH cannot hold the tracer's folder: {e}")))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(opts.cwd)
        .env("PYTHONPATH", pythonpath)
        .env("PICKLEFIX_TRACE_OUT", &events_path)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if let Some(m) = opts.start_method {
        cmd.env("PICKLEFIX_TRACE_START", m);
    }
    for (k, v) in &opts.extra_env {
        cmd.env(k, v);
    }
    if opts.capture {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else if opts.stdout_to_stderr {
        cmd.stdout(std::io::stderr());
    }
    cmd.stdin(Stdio::null());
    supervise::catch_interrupts();
    supervise::contain(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| Error::io(PathBuf::from(program), "run", e))?;
    let readers = opts.capture.then(|| {
        (
            supervise::read_tail(child.stdout.take(), supervise::OUTPUT_TAIL),
            supervise::read_tail(child.stderr.take(), supervise::OUTPUT_TAIL),
        )
    });
    let started = Instant::now();
    let mut timed_out = false;
    let mut interrupted = None;
    let status = loop {
        match child
            .try_wait()
            .map_err(|e| Error::io(PathBuf::from(program), "wait for", e))?
        {
            Some(status) => break status.code(),
            None if started.elapsed() >= opts.timeout || supervise::interrupted().is_some() => {
                timed_out = started.elapsed() >= opts.timeout;
                interrupted = supervise::interrupted();
                supervise::kill_tree(&mut child);
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    // What the command started may still run (and hold the pipes open): stop all of it.
    supervise::kill_tree(&mut child);
    let (stdout, stderr) = match readers {
        Some((o, e)) => (o.join().unwrap_or_default(), e.join().unwrap_or_default()),
        None => Default::default(),
    };
    let events = read_events(&events_path);
    Ok(Run {
        events,
        status,
        timed_out,
        interrupted,
        stdout,
        stderr,
    })
}

fn read_events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<Event> = Vec::new();
    for line in text.lines() {
        if let Ok(e) = serde_json::from_str::<Event>(line) {
            let dup = out
                .iter()
                .any(|o| o.sink == e.sink && o.attribute_path == e.attribute_path && o.exception == e.exception);
            if !dup {
                out.push(e);
            }
        }
    }
    out
}

/// Findings for the events of a run, in the same shape as `check`'s (paths relative to `cwd`).
pub fn diagnostics(events: &[Event], catalog: &Catalog, cwd: &Path) -> Vec<Diagnostic> {
    events.iter().map(|e| diagnostic(e, catalog, cwd)).collect()
}

fn code_for(e: &Event, catalog: &Catalog) -> &'static str {
    let by_type = e.type_name.as_deref().and_then(|t| {
        catalog
            .types
            .iter()
            .find(|ty| !ty.python.is_empty() && ty.python == t && ty.rule.is_some())
            .and_then(|ty| ty.rule.clone())
    });
    let code = if e.exception.contains("Can't get attribute") {
        "PF502".to_string()
    } else if e.exception.contains("through inheritance") {
        "PF301".to_string()
    } else if e.exception.contains("local object") {
        if e.attribute_path.is_some() {
            "PF108"
        } else if e.exception.contains("<lambda>") {
            "PF201"
        } else {
            "PF202"
        }
        .to_string()
    } else {
        by_type.unwrap_or_else(|| "PF109".to_string())
    };
    crate::rules::by_code(&code).map_or("PF109", |r| r.code)
}

fn diagnostic(e: &Event, catalog: &Catalog, cwd: &Path) -> Diagnostic {
    let code = code_for(e, catalog);
    let call = e
        .sink
        .as_ref()
        .and_then(|s| s.call.clone())
        .or_else(|| e.call.clone())
        .unwrap_or_else(|| e.pickler.clone());
    let what = match (&e.attribute_path, &e.type_name) {
        (Some(p), Some(t)) => {
            let root = p.split(['.', '[']).next().unwrap_or(p);
            format!("`{root}` could not be pickled by `{call}`: `{p}` is a `{t}`")
        }
        (None, Some(t)) => format!("a `{t}` could not be pickled by `{call}`"),
        _ if e.in_child => format!("a child process could not unpickle what `{call}` sent"),
        _ => format!("pickling failed in `{call}`"),
    };
    let (path, line) = match &e.sink {
        Some(s) => (cwd.join(&s.path), s.line),
        None => (cwd.to_path_buf(), 0),
    };
    let rel = crate::base::diagnostic::display_path(path.strip_prefix(cwd).unwrap_or(&path));
    Diagnostic {
        code,
        message: format!("{what} ({})", e.exception),
        path: PathBuf::from(&rel),
        span: Span {
            line: line.max(1),
            column: 1,
            end_line: line.max(1),
            end_column: 1,
        },
        attribute_path: e.attribute_path.clone(),
        origin: None,
        origin_text: None,
        sink: e.sink.as_ref().map(|s| SinkLocation {
            path: rel.clone(),
            line: s.line,
            call: call.clone(),
        }),
        error: Some(e.exception.clone()),
        fix: None,
        help: None,
        latent: false,
    }
}
