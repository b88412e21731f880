//! Settings: `picklefix.toml`, `.picklefix.toml` or `[tool.picklefix]` in `pyproject.toml`, found
//! by walking up from each path, then overridden by command-line flags.

use std::path::{Path, PathBuf};

use crate::base::error::{line_of_offset, Error, Result};
use crate::base::version::{PyVersion, DEFAULT_TARGET};

pub const CONFIG_FILES: &[&str] = &[".picklefix.toml", "picklefix.toml", "pyproject.toml"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMethod {
    Fork,
    Spawn,
    Forkserver,
    /// Portable: what the code must survive on macOS, Windows and Python 3.14 on Linux (spawn).
    Auto,
}

impl StartMethod {
    pub fn parse(s: &str) -> Option<StartMethod> {
        Some(match s {
            "fork" => StartMethod::Fork,
            "spawn" => StartMethod::Spawn,
            "forkserver" => StartMethod::Forkserver,
            "auto" => StartMethod::Auto,
            _ => return None,
        })
    }

    /// The catalog's name for the semantics this start method has.
    pub fn semantics(self) -> &'static str {
        match self {
            StartMethod::Fork => "fork",
            StartMethod::Forkserver => "forkserver",
            StartMethod::Spawn | StartMethod::Auto => "spawn",
        }
    }
}

/// Whether pickles written by Python 2 may be loaded (they need `encoding=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyPickles {
    /// Files read with `pickle.load` may hold Python 2 data; bytes from `loads` are fresh.
    Auto,
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleStrategy {
    Auto,
    Lazy,
    Getstate,
}

/// What the command line says, applied on top of every config file (nested ones included).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub target_version: Option<PyVersion>,
    pub start_method: Option<StartMethod>,
    pub include_latent: Option<bool>,
    /// `--config FILE`: that file governs every path; nested config files are not looked for.
    pub config_pinned: bool,
}

impl Overrides {
    pub fn apply(&self, s: &mut Settings) {
        if let Some(sel) = &self.select {
            // A code selected on the command line beats the config ignoring it (or a prefix of it).
            s.ignore.retain(|i| !sel.iter().any(|c| c.starts_with(i.as_str())));
            s.select = sel.clone();
        }
        if let Some(ign) = &self.ignore {
            s.ignore.extend(ign.iter().cloned());
        }
        if let Some(v) = self.target_version {
            s.target_version = v;
        }
        if let Some(m) = self.start_method {
            s.start_method = m;
        }
        if let Some(l) = self.include_latent {
            s.include_latent = l;
        }
        s.overrides = self.clone();
    }
}

/// Settings for a config file (or none) with command-line overrides applied. `is_code_prefix`
/// tells which rule codes and prefixes exist (the rule table sits above this layer).
pub fn resolve(
    config: Option<&Path>,
    overrides: &Overrides,
    is_code_prefix: &dyn Fn(&str) -> bool,
) -> Result<Settings> {
    let mut s = match config {
        Some(p) => load(p, is_code_prefix)?,
        None => Settings::default(),
    };
    overrides.apply(&mut s);
    Ok(s)
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file these settings came from, if any.
    pub config_path: Option<PathBuf>,
    /// The command line's overrides, re-applied to nested config files.
    pub overrides: Overrides,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub target_version: PyVersion,
    pub start_method: StartMethod,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub respect_gitignore: bool,
    /// Also report latent findings (ones that depend on a path the analysis cannot decide).
    pub include_latent: bool,
    pub catalog_extra: Vec<PathBuf>,
    pub handle_strategy: HandleStrategy,
    pub verify_command: Vec<String>,
    pub verify_python: String,
    pub verify_python_before: Option<String>,
    pub verify_timeout: u64,
    /// Report `pickle.load` without `encoding=`: Auto (files only), On (files and bytes), Off.
    pub legacy_pickles: LegacyPickles,
    pub py2_interop: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            config_path: None,
            overrides: Overrides::default(),
            select: vec!["PF".into()],
            ignore: vec![],
            target_version: DEFAULT_TARGET,
            start_method: StartMethod::Auto,
            include: vec![],
            exclude: vec![],
            respect_gitignore: true,
            include_latent: false,
            catalog_extra: vec![],
            handle_strategy: HandleStrategy::Auto,
            verify_command: vec![],
            verify_python: "python3".into(),
            verify_python_before: None,
            verify_timeout: 600,
            legacy_pickles: LegacyPickles::Auto,
            py2_interop: false,
        }
    }
}

/// Every key, by table, for validation and for the error that lists what is allowed.
const TOP_KEYS: &[&str] = &[
    "select",
    "ignore",
    "target-version",
    "start-method",
    "include",
    "exclude",
    "respect-gitignore",
    "include-latent",
    "catalog",
    "fix",
    "verify",
    "migration",
];
const CATALOG_KEYS: &[&str] = &["extra"];
const FIX_KEYS: &[&str] = &["handle-strategy"];
const VERIFY_KEYS: &[&str] = &["command", "python", "python-before", "timeout"];
const MIGRATION_KEYS: &[&str] = &["legacy-pickles", "py2-interop"];

/// Find the config file nearest to `start` (a file or directory), walking up.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(start).ok()?;
    let mut dir = if abs.is_dir() {
        Some(abs.as_path())
    } else {
        abs.parent()
    };
    while let Some(d) = dir {
        for name in CONFIG_FILES {
            let candidate = d.join(name);
            if candidate.is_file() && (*name != "pyproject.toml" || has_tool_section(&candidate)) {
                return Some(candidate);
            }
        }
        dir = d.parent();
    }
    None
}

fn has_tool_section(pyproject: &Path) -> bool {
    std::fs::read_to_string(pyproject)
        .map(|t| t.contains("[tool.picklefix"))
        .unwrap_or(false)
}

/// Load settings from a config file (`pyproject.toml` reads `[tool.picklefix]`).
pub fn load(path: &Path, is_code_prefix: &dyn Fn(&str) -> bool) -> Result<Settings> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read config file", e))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        line: e.span().map_or(1, |s| line_of_offset(&text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let (table, prefix) = if is_pyproject {
        let tool = doc
            .get("tool")
            .and_then(|t| t.get("picklefix"))
            .and_then(|t| t.as_table());
        (tool.cloned().unwrap_or_default(), "tool.picklefix.")
    } else {
        (doc, "")
    };
    let mut settings = Settings {
        config_path: Some(path.to_path_buf()),
        ..Settings::default()
    };
    let reader = Reader {
        path,
        text: &text,
        prefix,
        is_code_prefix,
    };
    reader.apply(&table, &mut settings)?;
    let base = path.parent().unwrap_or(Path::new("."));
    settings.catalog_extra = settings.catalog_extra.iter().map(|p| base.join(p)).collect();
    Ok(settings)
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    prefix: &'a str,
    /// `PF`, `PF1`, `PF101` (of an existing rule), or `ALL`: `select` and `ignore` take these.
    is_code_prefix: &'a dyn Fn(&str) -> bool,
}

impl Reader<'_> {
    fn error(&self, key: &str, message: String) -> Error {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        let line = find_key_line(self.text, leaf);
        Error::Config {
            path: self.path.to_path_buf(),
            line,
            message: format!("`{}{key}`: {message}", self.prefix),
        }
    }

    fn check_keys(&self, table: &toml::Table, section: &str, allowed: &[&str]) -> Result<()> {
        for key in table.keys() {
            if !allowed.contains(&key.as_str()) {
                let full = if section.is_empty() {
                    key.clone()
                } else {
                    format!("{section}.{key}")
                };
                return Err(self.error(&full, format!("unknown key; allowed: {}", allowed.join(", "))));
            }
        }
        Ok(())
    }

    fn strings(&self, value: &toml::Value, key: &str) -> Result<Vec<String>> {
        let list = value
            .as_array()
            .ok_or_else(|| self.error(key, "expected a list of strings".into()))?;
        list.iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| self.error(key, "expected a list of strings".into()))
            })
            .collect()
    }

    fn string<'v>(&self, value: &'v toml::Value, key: &str) -> Result<&'v str> {
        value
            .as_str()
            .ok_or_else(|| self.error(key, "expected a string".into()))
    }

    fn boolean(&self, value: &toml::Value, key: &str) -> Result<bool> {
        value
            .as_bool()
            .ok_or_else(|| self.error(key, "expected true or false".into()))
    }

    fn sub<'v>(&self, value: &'v toml::Value, key: &str) -> Result<&'v toml::Table> {
        value
            .as_table()
            .ok_or_else(|| self.error(key, "expected a table".into()))
    }

    fn apply(&self, table: &toml::Table, s: &mut Settings) -> Result<()> {
        self.check_keys(table, "", TOP_KEYS)?;
        for (key, value) in table {
            match key.as_str() {
                "select" => s.select = self.codes(value, key)?,
                "ignore" => s.ignore = self.codes(value, key)?,
                "target-version" => {
                    let v = self.string(value, key)?;
                    s.target_version = PyVersion::parse(v)
                        .ok_or_else(|| self.error(key, format!("`{v}` is not a version; allowed: 2.7, 3.6 … 3.14")))?;
                }
                "start-method" => {
                    let v = self.string(value, key)?;
                    s.start_method = StartMethod::parse(v).ok_or_else(|| {
                        self.error(
                            key,
                            format!("`{v}` is not allowed; allowed: fork, spawn, forkserver, auto"),
                        )
                    })?;
                }
                "include" => s.include = self.strings(value, key)?,
                "exclude" => s.exclude = self.strings(value, key)?,
                "respect-gitignore" => s.respect_gitignore = self.boolean(value, key)?,
                "include-latent" => s.include_latent = self.boolean(value, key)?,
                "catalog" => {
                    let t = self.sub(value, key)?;
                    self.check_keys(t, "catalog", CATALOG_KEYS)?;
                    if let Some(v) = t.get("extra") {
                        s.catalog_extra = self
                            .strings(v, "catalog.extra")?
                            .into_iter()
                            .map(PathBuf::from)
                            .collect();
                    }
                }
                "fix" => {
                    let t = self.sub(value, key)?;
                    self.check_keys(t, "fix", FIX_KEYS)?;
                    if let Some(v) = t.get("handle-strategy") {
                        s.handle_strategy = match self.string(v, "fix.handle-strategy")? {
                            "auto" => HandleStrategy::Auto,
                            "lazy" => HandleStrategy::Lazy,
                            "getstate" => HandleStrategy::Getstate,
                            other => {
                                return Err(self.error(
                                    "fix.handle-strategy",
                                    format!("`{other}` is not allowed; allowed: auto, lazy, getstate"),
                                ))
                            }
                        };
                    }
                }
                "verify" => self.apply_verify(self.sub(value, key)?, s)?,
                "migration" => {
                    let t = self.sub(value, key)?;
                    self.check_keys(t, "migration", MIGRATION_KEYS)?;
                    if let Some(v) = t.get("legacy-pickles") {
                        s.legacy_pickles = match v {
                            toml::Value::Boolean(true) => LegacyPickles::On,
                            toml::Value::Boolean(false) => LegacyPickles::Off,
                            toml::Value::String(a) if a == "auto" => LegacyPickles::Auto,
                            _ => {
                                return Err(
                                    self.error("migration.legacy-pickles", "expected true, false or \"auto\"".into())
                                )
                            }
                        };
                    }
                    if let Some(v) = t.get("py2-interop") {
                        s.py2_interop = self.boolean(v, "migration.py2-interop")?;
                    }
                }
                _ => unreachable!("keys were checked"),
            }
        }
        Ok(())
    }

    fn apply_verify(&self, t: &toml::Table, s: &mut Settings) -> Result<()> {
        self.check_keys(t, "verify", VERIFY_KEYS)?;
        if let Some(v) = t.get("command") {
            s.verify_command = match v {
                toml::Value::String(cmd) => cmd.split_whitespace().map(str::to_string).collect(),
                _ => self.strings(v, "verify.command")?,
            };
        }
        if let Some(v) = t.get("python") {
            s.verify_python = self.string(v, "verify.python")?.to_string();
        }
        if let Some(v) = t.get("python-before") {
            let before = self.string(v, "verify.python-before")?;
            s.verify_python_before = (!before.is_empty()).then(|| before.to_string());
        }
        if let Some(v) = t.get("timeout") {
            s.verify_timeout = v
                .as_integer()
                .filter(|n| *n > 0)
                .ok_or_else(|| self.error("verify.timeout", "expected a positive number of seconds".into()))?
                as u64;
        }
        Ok(())
    }

    fn codes(&self, value: &toml::Value, key: &str) -> Result<Vec<String>> {
        let codes = self.strings(value, key)?;
        for c in &codes {
            if !(self.is_code_prefix)(c) {
                return Err(self.error(
                    key,
                    format!("`{c}` is not a rule code or prefix (e.g. `PF1`, `PF101`; see `picklefix rules`)"),
                ));
            }
        }
        Ok(codes)
    }
}

fn find_key_line(text: &str, key: &str) -> usize {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return i + 1;
            }
        }
        if t.starts_with('[') && t.trim_end_matches(']').ends_with(key) {
            return i + 1;
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(name: &str, text: &str) -> Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        load(&path, &any_pf_code)
    }

    /// The rule table sits above settings; these tests take every `PF` prefix for a code.
    fn any_pf_code(c: &str) -> bool {
        c == "ALL" || c.starts_with("PF")
    }

    #[test]
    fn unknown_key_names_line_and_allowed() {
        let err = load_text("picklefix.toml", "select = [\"PF1\"]\nstart-methd = \"spawn\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:"), "{err}");
        assert!(err.contains("start-methd") && err.contains("allowed: select"), "{err}");
    }

    #[test]
    fn pyproject_section_is_read() {
        let s = load_text(
            "pyproject.toml",
            "[project]\nname='x'\n[tool.picklefix]\nstart-method = \"fork\"\n",
        )
        .unwrap();
        assert_eq!(s.start_method, StartMethod::Fork);
    }

    #[test]
    fn bad_value_lists_allowed() {
        let err = load_text("picklefix.toml", "\n\nstart-method = \"thread\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":3:") && err.contains("allowed: fork, spawn"), "{err}");
        let err = load_text("picklefix.toml", "[fix]\nhandle-strategy = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("fix.handle-strategy"), "{err}");
    }

    #[test]
    fn example_config_parses_with_every_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        // Every key appears uncommented in the example, so unknown or missing keys show here.
        load(&path, &any_pf_code).unwrap();
        for key in TOP_KEYS
            .iter()
            .chain(CATALOG_KEYS)
            .chain(FIX_KEYS)
            .chain(VERIFY_KEYS)
            .chain(MIGRATION_KEYS)
        {
            assert!(
                text.contains(&format!("{key} =")) || text.contains(&format!("[{key}]")),
                "config.example.toml does not document `{key}`"
            );
        }
    }
}
