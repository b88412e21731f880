//! Settings: `picklefix.toml`, `.picklefix.toml` or `[tool.picklefix]` in `pyproject.toml`, found
//! by walking up from each path, then overridden by command-line flags.

use std::path::{Path, PathBuf};

use crate::base::error::{line_of_offset, Error, Result};
use crate::base::version::{PyVersion, DEFAULT_TARGET};
use crate::config::patterns::{normalize, Patterns};

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
    /// `--force-exclude`: `exclude` applies to files named on the command line too.
    pub force_exclude: bool,
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
    pub include: Patterns,
    /// `exclude` plus every `extend-exclude` of this file and the files it extends.
    pub exclude: Patterns,
    /// Glob (relative to the config file that defines it) → codes not reported for its files.
    pub per_file_ignores: Vec<(Patterns, Vec<String>)>,
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
    /// Report `try: import cPickle` / `except ImportError: import pickle` fallbacks (PF401): they
    /// work on Python 3, so only as a clean-up.
    pub import_fallbacks: bool,
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
            include: Patterns::default(),
            exclude: Patterns::default(),
            per_file_ignores: vec![],
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
            import_fallbacks: false,
        }
    }
}

/// Every key, by table, for validation and for the error that lists what is allowed.
const TOP_KEYS: &[&str] = &[
    "extend",
    "select",
    "ignore",
    "per-file-ignores",
    "target-version",
    "start-method",
    "include",
    "exclude",
    "extend-exclude",
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
const MIGRATION_KEYS: &[&str] = &["legacy-pickles", "py2-interop", "import-fallbacks"];

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

/// Does this pyproject.toml configure picklefix? One that does not parse counts when it
/// mentions picklefix, so that its mistake is reported rather than the file passed over.
fn has_tool_section(pyproject: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(pyproject) else {
        return false;
    };
    if !text.contains("picklefix") {
        return false;
    }
    match toml::from_str::<toml::Table>(&text) {
        Ok(doc) => doc.get("tool").and_then(|t| t.get("picklefix")).is_some(),
        Err(_) => true,
    }
}

/// Load settings from a config file (`pyproject.toml` reads `[tool.picklefix]`). With
/// `extend = "other.toml"` the other file is loaded first and this one's keys replace its
/// values (`extend-exclude` adds to the inherited `exclude`); paths and globs stay relative to
/// the file that wrote them.
pub fn load(path: &Path, is_code_prefix: &dyn Fn(&str) -> bool) -> Result<Settings> {
    load_chain(path, &mut Vec::new(), is_code_prefix)
}

fn load_chain(path: &Path, chain: &mut Vec<PathBuf>, is_code_prefix: &dyn Fn(&str) -> bool) -> Result<Settings> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read config file", e))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        line: e.span().map_or(1, |s| line_of_offset(&text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let prefix = if is_pyproject { "tool.picklefix." } else { "" };
    let reader = Reader {
        path,
        text: &text,
        prefix,
        is_code_prefix,
        base: {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            normalize(dir)
        },
    };
    let table = if is_pyproject {
        match doc.get("tool").and_then(|t| t.get("picklefix")) {
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => {
                return Err(reader.error_at("tool", "picklefix", "tool.picklefix", "expected a table".into()));
            }
            None => toml::Table::new(),
        }
    } else {
        doc
    };
    let mut settings = match table.get("extend") {
        Some(v) => reader.extended(v, chain)?,
        None => Settings::default(),
    };
    settings.config_path = Some(path.to_path_buf());
    reader.apply(&table, &mut settings)?;
    Ok(settings)
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    prefix: &'a str,
    /// `PF`, `PF1`, `PF101` (of an existing rule), or `ALL`: `select` and `ignore` take these.
    is_code_prefix: &'a dyn Fn(&str) -> bool,
    /// The config file's folder (absolute): globs and paths in it are relative to it.
    base: PathBuf,
}

impl Reader<'_> {
    /// An error about `key` (dotted below this file's picklefix table: `verify.timeout`).
    fn error(&self, key: &str, message: String) -> Error {
        let (table, leaf) = match key.rsplit_once('.') {
            Some((t, l)) => (format!("{}{t}", self.prefix), l),
            None => (self.prefix.trim_end_matches('.').to_string(), key),
        };
        self.error_at(&table, leaf, &format!("{}{key}", self.prefix), message)
    }

    /// An error about key `leaf` of table `table` (full dotted name), shown as `shown`.
    fn error_at(&self, table: &str, leaf: &str, shown: &str, message: String) -> Error {
        Error::Config {
            path: self.path.to_path_buf(),
            line: find_key_line(self.text, table, leaf),
            message: format!("`{shown}`: {message}"),
        }
    }

    /// The settings of the file `extend` names (relative to this one), loaded first.
    fn extended(&self, value: &toml::Value, chain: &mut Vec<PathBuf>) -> Result<Settings> {
        let rel = self.string(value, "extend")?;
        let target = self.base.join(rel);
        chain.push(normalize(self.path));
        let target_abs = normalize(&target);
        if chain.contains(&target_abs) {
            let cycle: Vec<String> = chain.iter().map(|p| p.display().to_string()).collect();
            return Err(self.error(
                "extend",
                format!("`{rel}` extends this file again ({} -> {rel})", cycle.join(" -> ")),
            ));
        }
        if !target.is_file() {
            return Err(self.error(
                "extend",
                format!("`{rel}` is not a file (looked for {})", target.display()),
            ));
        }
        let base = load_chain(&target, chain, self.is_code_prefix)?;
        chain.pop();
        Ok(base)
    }

    /// Glob patterns, each checked now so a bad one is reported with its key and line.
    fn patterns(&self, value: &toml::Value, key: &str) -> Result<Patterns> {
        let mut out = Patterns::default();
        for glob in self.strings(value, key)? {
            out.push(&glob, &self.base)
                .map_err(|e| self.error(key, format!("`{glob}` is not a valid glob: {e}")))?;
        }
        Ok(out)
    }

    fn per_file_ignores(&self, value: &toml::Value) -> Result<Vec<(Patterns, Vec<String>)>> {
        let table = self.sub(value, "per-file-ignores")?;
        let mut out = Vec::new();
        for (glob, codes) in table {
            let shown = format!("{}per-file-ignores.\"{glob}\"", self.prefix);
            let table_name = format!("{}per-file-ignores", self.prefix);
            let mut pattern = Patterns::default();
            pattern
                .push(glob, &self.base)
                .map_err(|e| self.error_at(&table_name, glob, &shown, format!("`{glob}` is not a valid glob: {e}")))?;
            let list = codes
                .as_array()
                .and_then(|l| {
                    l.iter()
                        .map(|c| c.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| self.error_at(&table_name, glob, &shown, "expected a list of rule codes".into()))?;
            if let Some(bad) = list.iter().find(|c| !(self.is_code_prefix)(c)) {
                return Err(self.error_at(
                    &table_name,
                    glob,
                    &shown,
                    format!("`{bad}` is not a rule code or prefix (e.g. `PF1`, `PF101`; see `picklefix rules`)"),
                ));
            }
            out.push((pattern, list));
        }
        Ok(out)
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
                    s.target_version = crate::base::version::parse_target(v).map_err(|e| self.error(key, e))?;
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
                "extend" => {}
                "include" => s.include = self.patterns(value, key)?,
                // This file's `exclude` replaces the inherited one; `extend-exclude` adds.
                "exclude" => {
                    let own = self.patterns(value, key)?;
                    s.exclude.retain_extended();
                    s.exclude.extend(own);
                }
                "extend-exclude" => {
                    let more = self.patterns(value, key)?;
                    s.exclude.extend(more.into_extended());
                }
                "per-file-ignores" => s.per_file_ignores = self.per_file_ignores(value)?,
                "respect-gitignore" => s.respect_gitignore = self.boolean(value, key)?,
                "include-latent" => s.include_latent = self.boolean(value, key)?,
                "catalog" => {
                    let t = self.sub(value, key)?;
                    self.check_keys(t, "catalog", CATALOG_KEYS)?;
                    if let Some(v) = t.get("extra") {
                        s.catalog_extra = self
                            .strings(v, "catalog.extra")?
                            .into_iter()
                            .map(|p| self.base.join(p))
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
                    if let Some(v) = t.get("import-fallbacks") {
                        s.import_fallbacks = self.boolean(v, "migration.import-fallbacks")?;
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

/// The line of `leaf` in table `table` (full dotted name, "" for the top level): under the
/// table's `[header]` when there is one, else anywhere; the header's line for a table itself.
fn find_key_line(text: &str, table: &str, leaf: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let header = |t: &str| format!("[{t}]");
    let mut current = String::new();
    let mut fallback = None;
    let full = if table.is_empty() {
        leaf.to_string()
    } else {
        format!("{table}.{leaf}")
    };
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            current = t.trim_start_matches('[').trim_end_matches(']').trim().to_string();
            if t == header(&full) || t == format!("[{full}]") {
                return i + 1;
            }
            continue;
        }
        let Some((key, _)) = t.split_once('=') else { continue };
        let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
        if current == table && key == leaf {
            return i + 1;
        }
        // A dotted key (`verify.timeout = 5`) or the key under another table.
        if fallback.is_none() && (key == leaf || key.ends_with(&format!(".{leaf}"))) {
            fallback = Some(i + 1);
        }
    }
    fallback.unwrap_or(1)
}

impl Settings {
    /// Codes not reported for this file by `per-file-ignores`.
    pub fn ignored_for(&self, path: &Path) -> Vec<String> {
        self.per_file_ignores
            .iter()
            .filter(|(p, _)| p.matches(path))
            .flat_map(|(_, codes)| codes.iter().cloned())
            .collect()
    }
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
        assert!(
            err.contains("start-methd") && err.contains("allowed: extend, select"),
            "{err}"
        );
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
