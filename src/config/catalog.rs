//! The catalog: facts about hostile types, pickling sinks, wrappers and renames, loaded from
//! `fixes/*.toml` (compiled in) and from `[catalog] extra` files. Facts only; matching logic
//! lives in the analysis.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::base::error::{line_of_offset, Error, Result};
use crate::base::version::PyVersion;

pub const SCHEMA: u32 = 1;

/// The catalog files shipped in the binary: (name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("fixes/types.toml", include_str!("../../fixes/types.toml")),
    ("fixes/third_party.toml", include_str!("../../fixes/third_party.toml")),
    ("fixes/sinks.toml", include_str!("../../fixes/sinks.toml")),
    ("fixes/renames.toml", include_str!("../../fixes/renames.toml")),
];

/// Which pickler a sink uses. They disagree: see ground-truth/TRUTH.md.
pub const PICKLERS: &[&str] = &["pickle", "deepcopy", "multiprocessing", "process"];
pub const START_METHODS: &[&str] = &["fork", "spawn", "forkserver"];
pub const ROLES: &[&str] = &[
    "value",
    "callable",
    "elements",
    "element-args",
    "args",
    "kwargs",
    "rest",
    "rest-elements",
    "self",
];
/// Types the analysis creates from syntax rather than from a constructor call.
pub const SYNTAX_TYPES: &[&str] = &[
    "lambda",
    "nested-function",
    "local-class",
    "generator",
    "module",
    "main-guard-function",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorText {
    pub from: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeEntry {
    pub id: String,
    /// What the value is, for messages: "an open file".
    pub label: String,
    /// The Python type name, for messages: "_io.TextIOWrapper".
    #[serde(default)]
    pub python: String,
    /// Rule that reports this type when it is reached through attributes or containers.
    #[serde(default)]
    pub rule: Option<String>,
    /// Rule when the pickled value is itself of this type (a lambda given to `Pool.map`).
    #[serde(default)]
    pub direct_rule: Option<String>,
    #[serde(default)]
    pub constructors: Vec<String>,
    /// `"socket:makefile"`: calling `makefile` on a `socket` value returns this type.
    #[serde(default)]
    pub returned_by: Vec<String>,
    /// `"popen:stdout"`: reading attribute `stdout` of a `popen` value gives this type.
    #[serde(default)]
    pub attribute_of: Vec<String>,
    /// Attributes of a value of this type that are plain data (`name`, `returncode`), not it.
    #[serde(default)]
    pub data_attributes: Vec<String>,
    /// Calling a value of this type gives a value of that type (a class made at run time).
    #[serde(default)]
    pub call_result: Option<String>,
    /// Picklers that fail on this type (Python 3).
    #[serde(default)]
    pub fails: Vec<String>,
    /// Picklers that fail on Python 2.7 (where multiprocessing sends dead shells instead).
    #[serde(default)]
    pub py2_fails: Vec<String>,
    /// Fails only from / until these versions (inclusive), e.g. itertools from 3.14.
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    /// Fails only under these start methods (a function defined under the main guard).
    #[serde(default)]
    pub start_methods: Vec<String>,
    /// The value pickles but cannot be rebuilt: the failure comes at loading (in the child).
    #[serde(default)]
    pub fails_on_load: bool,
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub errors: Vec<ErrorText>,
    /// Fix strategy id (see DESIGN.md); empty when there is no automatic fix.
    #[serde(default)]
    pub fix: String,
    /// A class a project class can derive from to become this type (`multiprocessing.Process`).
    #[serde(default)]
    pub base_classes: Vec<String>,
    /// How to rebuild a handle from the handle itself when its creation cannot be re-run:
    /// `reopen_state` is kept in the pickled state (`{value}` is the handle), `reopen_call`
    /// rebuilds it (`{state}` is that kept value).
    #[serde(default)]
    pub reopen_state: Option<String>,
    #[serde(default)]
    pub reopen_call: Option<String>,
    /// The Python class depends on the open mode (`rb` gives `BufferedReader`): the first entry
    /// whose characters all appear in the mode wins, else `default_class`. Error texts and
    /// `python` say `{class}` where the class goes.
    #[serde(default)]
    pub mode_classes: Vec<ModeClass>,
    #[serde(default)]
    pub default_class: Option<String>,
    /// Where constructors take the mode: positional index (the keyword is always `mode`).
    #[serde(default)]
    pub mode_position: Option<usize>,
    /// The call returns a pair of values of this type (`socket.socketpair`, `multiprocessing.Pipe`).
    #[serde(default)]
    pub unpacks_to: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeClass {
    pub mode_has: String,
    pub class: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkArg {
    #[serde(default)]
    pub pos: Option<usize>,
    #[serde(default)]
    pub kw: Option<String>,
    pub role: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkEntry {
    /// Display name, as in expected findings: `multiprocessing.Pool.map`.
    pub call: String,
    /// Receiver type id for a method sink.
    #[serde(default)]
    pub receiver: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    /// Qualified names for a function (or constructor) sink.
    #[serde(default)]
    pub functions: Vec<String>,
    pub pickler: String,
    /// Pickles only under these start methods (empty: always).
    #[serde(default)]
    pub start_methods: Vec<String>,
    pub args: Vec<SinkArg>,
    /// The sink only pickles when this keyword is a positive number (`num_workers`).
    #[serde(default)]
    pub requires_positive: Option<String>,
    /// The worker sends the callable's return value back, pickled (pool and executor tasks).
    #[serde(default)]
    pub returns: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrapperEntry {
    pub functions: Vec<String>,
    /// `elements`: the result holds the elements of the arguments (list(x), sorted(x));
    /// `container`: the result holds the arguments themselves (repeat(x), partial(f, x));
    /// `mapping`: elements of positional arguments, keyword arguments themselves (dict(...)).
    pub returns: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameEntry {
    pub old: String,
    pub new: String,
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartMethodFacts {
    /// Calls whose first argument sets the start method for the program.
    #[serde(default)]
    pub setters: Vec<String>,
    /// Calls that return a context bound to the start method in their first argument.
    #[serde(default)]
    pub contexts: Vec<String>,
    /// Keywords that pass such a context (`mp_context=`).
    #[serde(default)]
    pub context_keywords: Vec<String>,
    /// Calls that read an environment variable with a literal default (`os.environ.get`).
    #[serde(default)]
    pub env_getters: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    schema: u32,
    #[serde(default, rename = "type")]
    types: Vec<TypeEntry>,
    #[serde(default, rename = "sink")]
    sinks: Vec<SinkEntry>,
    #[serde(default, rename = "wrapper")]
    wrappers: Vec<WrapperEntry>,
    #[serde(default, rename = "rename")]
    renames: Vec<RenameEntry>,
    #[serde(default)]
    start_method: Option<StartMethodFacts>,
    /// Modules whose calls never pickle (thread pools) — listed for documentation and lookups.
    #[serde(default)]
    thread_pools: Vec<String>,
    /// Substrings that make a file worth parsing: anything that can reach a sink names one.
    #[serde(default)]
    triggers: Vec<String>,
    /// Method name prefixes of calls that configure a new handle (`setFormatter`); fixes that
    /// recreate a handle repeat them.
    #[serde(default)]
    configuration_prefixes: Vec<String>,
}

/// The merged catalog with lookup tables.
#[derive(Debug, Default)]
pub struct Catalog {
    pub types: Vec<TypeEntry>,
    pub sinks: Vec<SinkEntry>,
    pub wrappers: Vec<WrapperEntry>,
    pub renames: Vec<RenameEntry>,
    pub start_method: StartMethodFacts,
    pub thread_pools: Vec<String>,
    pub triggers: Vec<String>,
    pub configuration_prefixes: Vec<String>,
    by_id: HashMap<String, usize>,
    by_constructor: HashMap<String, usize>,
    by_method: HashMap<(String, String), usize>,
    by_attribute: HashMap<(String, String), usize>,
    by_base: HashMap<String, usize>,
    wrapper_by_name: HashMap<String, usize>,
    sink_by_function: HashMap<String, Vec<usize>>,
    sink_by_method: HashMap<(String, String), Vec<usize>>,
}

pub type TypeId = usize;

impl Catalog {
    /// The built-in catalog plus extra files. `is_rule` tells which rule codes exist: the rule
    /// table sits above this layer, so whoever loads the catalog hands it in.
    pub fn load(extra: &[PathBuf], is_rule: &dyn Fn(&str) -> bool) -> Result<Catalog> {
        let mut files = Vec::new();
        for (name, text) in BUILTIN {
            files.push((PathBuf::from(name), text.to_string()));
        }
        for path in extra {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read catalog file", e))?;
            files.push((path.clone(), text));
        }
        Catalog::from_texts(&files, is_rule)
    }

    pub fn builtin(is_rule: &dyn Fn(&str) -> bool) -> Result<Catalog> {
        Catalog::load(&[], is_rule)
    }

    pub fn from_texts(files: &[(PathBuf, String)], is_rule: &dyn Fn(&str) -> bool) -> Result<Catalog> {
        let mut catalog = Catalog::default();
        let mut texts = Vec::new();
        for (path, text) in files {
            let file: CatalogFile = toml::from_str(text).map_err(|e| Error::Catalog {
                path: path.clone(),
                line: e.span().map_or(1, |s| line_of_offset(text, s.start)),
                message: e.message().trim().to_string(),
            })?;
            if file.schema != SCHEMA {
                return Err(Error::Catalog {
                    path: path.clone(),
                    line: find_line(text, "schema"),
                    message: format!(
                        "schema {} is not supported (this picklefix reads schema {SCHEMA})",
                        file.schema
                    ),
                });
            }
            let first_type = catalog.types.len();
            let first_sink = catalog.sinks.len();
            catalog.types.extend(file.types);
            catalog.sinks.extend(file.sinks);
            catalog.wrappers.extend(file.wrappers);
            catalog.renames.extend(file.renames);
            catalog.thread_pools.extend(file.thread_pools);
            catalog.triggers.extend(file.triggers);
            catalog.configuration_prefixes.extend(file.configuration_prefixes);
            if let Some(sm) = file.start_method {
                let m = &mut catalog.start_method;
                m.setters.extend(sm.setters);
                m.contexts.extend(sm.contexts);
                m.context_keywords.extend(sm.context_keywords);
                m.env_getters.extend(sm.env_getters);
            }
            texts.push((path.clone(), text.clone(), first_type, first_sink));
        }
        catalog.validate(&texts, is_rule)?;
        catalog.build_tables();
        Ok(catalog)
    }

    fn validate(&self, texts: &[(PathBuf, String, usize, usize)], is_rule: &dyn Fn(&str) -> bool) -> Result<()> {
        let locate = |index: usize, is_sink: bool| -> (PathBuf, &str) {
            let mut found = &texts[0];
            for t in texts {
                let first = if is_sink { t.3 } else { t.2 };
                if index >= first {
                    found = t;
                }
            }
            (found.0.clone(), found.1.as_str())
        };
        let mut seen = HashSet::new();
        for (i, t) in self.types.iter().enumerate() {
            let (path, text) = locate(i, false);
            let fail = |field: &str, message: String| Error::Catalog {
                path: path.clone(),
                line: find_entry_line(text, &t.id, field),
                message: format!("type `{}`, field `{field}`: {message}", t.id),
            };
            if !seen.insert(t.id.as_str()) {
                return Err(fail("id", "duplicate type id".into()));
            }
            for p in t.fails.iter().chain(&t.py2_fails) {
                if !PICKLERS.contains(&p.as_str()) {
                    return Err(fail(
                        "fails",
                        format!("unknown pickler `{p}`; allowed: {}", PICKLERS.join(", ")),
                    ));
                }
            }
            for m in &t.start_methods {
                if !START_METHODS.contains(&m.as_str()) {
                    return Err(fail(
                        "start_methods",
                        format!("unknown start method `{m}`; allowed: {}", START_METHODS.join(", ")),
                    ));
                }
            }
            for (field, code) in [("rule", &t.rule), ("direct_rule", &t.direct_rule)] {
                if let Some(code) = code {
                    if !is_rule(code) {
                        return Err(fail(field, format!("no rule `{code}` (see `picklefix rules`)")));
                    }
                }
            }
            if !t.fails.is_empty() && t.rule.is_none() {
                return Err(fail("rule", "a type that fails to pickle needs a rule".into()));
            }
            for (field, v) in [("since", &t.since), ("until", &t.until)] {
                if let Some(v) = v {
                    if PyVersion::parse(v).is_none() {
                        return Err(fail(field, format!("`{v}` is not a version like `3.14`")));
                    }
                }
            }
            for e in &t.errors {
                if PyVersion::parse(&e.from).is_none() {
                    return Err(fail("errors", format!("`{}` is not a version like `3.8`", e.from)));
                }
            }
            for r in &t.returned_by {
                if !r.contains(':') {
                    return Err(fail("returned_by", format!("`{r}` must be `TYPE:METHOD`")));
                }
            }
        }
        for t in &self.types {
            for r in &t.returned_by {
                let owner = r.split(':').next().unwrap_or_default();
                if !seen.contains(owner) {
                    let (path, text) = locate(0, false);
                    return Err(Error::Catalog {
                        path,
                        line: find_entry_line(text, &t.id, "returned_by"),
                        message: format!("type `{}`, field `returned_by`: no type `{owner}`", t.id),
                    });
                }
            }
        }
        for id in SYNTAX_TYPES {
            if !seen.contains(id) {
                return Err(Error::Catalog {
                    path: texts[0].0.clone(),
                    line: 1,
                    message: format!("the built-in type `{id}` is missing"),
                });
            }
        }
        for (i, s) in self.sinks.iter().enumerate() {
            let (path, text) = locate(i, true);
            let fail = |field: &str, message: String| Error::Catalog {
                path: path.clone(),
                line: find_entry_line(text, &s.call, field),
                message: format!("sink `{}`, field `{field}`: {message}", s.call),
            };
            if !PICKLERS.contains(&s.pickler.as_str()) {
                return Err(fail(
                    "pickler",
                    format!("unknown pickler `{}`; allowed: {}", s.pickler, PICKLERS.join(", ")),
                ));
            }
            match &s.receiver {
                Some(r) if !seen.contains(r.as_str()) => return Err(fail("receiver", format!("no type `{r}`"))),
                Some(_) if s.methods.is_empty() => return Err(fail("methods", "a receiver sink needs methods".into())),
                None if s.functions.is_empty() => {
                    return Err(fail(
                        "functions",
                        "a sink needs `functions` or `receiver` and `methods`".into(),
                    ))
                }
                _ => {}
            }
            for a in &s.args {
                if !ROLES.contains(&a.role.as_str()) {
                    return Err(fail(
                        "args",
                        format!("unknown role `{}`; allowed: {}", a.role, ROLES.join(", ")),
                    ));
                }
            }
            for m in &s.start_methods {
                if !START_METHODS.contains(&m.as_str()) {
                    return Err(fail("start_methods", format!("unknown start method `{m}`")));
                }
            }
        }
        for w in &self.wrappers {
            if !["elements", "container", "mapping"].contains(&w.returns.as_str()) {
                return Err(Error::Catalog {
                    path: texts[0].0.clone(),
                    line: 1,
                    message: format!(
                        "wrapper `{}`: `returns` must be `elements`, `container` or `mapping`",
                        w.functions.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    fn build_tables(&mut self) {
        for (i, t) in self.types.iter().enumerate() {
            self.by_id.insert(t.id.clone(), i);
            for c in &t.constructors {
                self.by_constructor.insert(c.clone(), i);
            }
            for r in &t.returned_by {
                if let Some((owner, method)) = r.split_once(':') {
                    self.by_method.insert((owner.to_string(), method.to_string()), i);
                }
            }
            for r in &t.attribute_of {
                if let Some((owner, attr)) = r.split_once(':') {
                    self.by_attribute.insert((owner.to_string(), attr.to_string()), i);
                }
            }
            for b in &t.base_classes {
                self.by_base.insert(b.clone(), i);
            }
        }
        for (i, w) in self.wrappers.iter().enumerate() {
            for f in &w.functions {
                self.wrapper_by_name.insert(f.clone(), i);
            }
        }
        for (i, s) in self.sinks.iter().enumerate() {
            for f in &s.functions {
                self.sink_by_function.entry(f.clone()).or_default().push(i);
            }
            if let Some(r) = &s.receiver {
                for m in &s.methods {
                    self.sink_by_method.entry((r.clone(), m.clone())).or_default().push(i);
                }
            }
        }
    }

    /// Words whose presence makes a file worth parsing (`triggers` in the catalog).
    pub fn trigger_words(&self) -> Vec<String> {
        self.triggers.clone()
    }

    pub fn type_id(&self, id: &str) -> Option<TypeId> {
        self.by_id.get(id).copied()
    }

    pub fn ty(&self, id: TypeId) -> &TypeEntry {
        &self.types[id]
    }

    pub fn constructor(&self, qualified: &str) -> Option<TypeId> {
        self.by_constructor.get(qualified).copied()
    }

    pub fn method_result(&self, owner: TypeId, method: &str) -> Option<TypeId> {
        self.by_method
            .get(&(self.types[owner].id.clone(), method.to_string()))
            .copied()
    }

    /// The type of attribute `attr` read on a value of type `owner` (`popen.stdout`).
    pub fn attribute_of(&self, owner: TypeId, attr: &str) -> Option<TypeId> {
        self.by_attribute
            .get(&(self.types[owner].id.clone(), attr.to_string()))
            .copied()
    }

    /// Is `attr` plain data on values of this type (`f.name`, `p.returncode`)?
    pub fn is_data_attribute(&self, owner: TypeId, attr: &str) -> bool {
        self.types[owner].data_attributes.iter().any(|a| a == attr)
    }

    /// What calling a value of this type gives.
    pub fn call_result(&self, ty: TypeId) -> Option<TypeId> {
        self.types[ty].call_result.as_deref().and_then(|id| self.type_id(id))
    }

    pub fn base_class(&self, qualified: &str) -> Option<TypeId> {
        self.by_base.get(qualified).copied()
    }

    pub fn wrapper(&self, qualified: &str) -> Option<&WrapperEntry> {
        self.wrapper_by_name.get(qualified).map(|&i| &self.wrappers[i])
    }

    pub fn function_sinks(&self, qualified: &str) -> &[usize] {
        self.sink_by_function.get(qualified).map_or(&[], |v| v.as_slice())
    }

    pub fn method_sinks(&self, receiver: TypeId, method: &str) -> &[usize] {
        self.sink_by_method
            .get(&(self.types[receiver].id.clone(), method.to_string()))
            .map_or(&[], |v| v.as_slice())
    }

    /// Does pickling a value of this type with this pickler fail, for this target?
    pub fn fails(&self, id: TypeId, pickler: &str, version: PyVersion, start_method: &str) -> bool {
        let t = &self.types[id];
        let list = if version.major == 2 { &t.py2_fails } else { &t.fails };
        if !list.iter().any(|p| p == pickler) {
            return false;
        }
        if let Some(since) = t.since.as_deref().and_then(PyVersion::parse) {
            if version < since {
                return false;
            }
        }
        if let Some(until) = t.until.as_deref().and_then(PyVersion::parse) {
            if version > until {
                return false;
            }
        }
        t.start_methods.is_empty() || t.start_methods.iter().any(|m| m == start_method)
    }

    /// The Python class a value of this type has when opened with `mode` (None: no mode given).
    pub fn class_for_mode(&self, id: TypeId, mode: Option<&str>) -> Option<&str> {
        let t = &self.types[id];
        let mode = mode.unwrap_or("r");
        t.mode_classes
            .iter()
            .find(|m| m.mode_has.chars().all(|c| mode.contains(c)))
            .map(|m| m.class.as_str())
            .or(t.default_class.as_deref())
    }

    /// The error Python prints for this type at this version.
    pub fn error_text(&self, id: TypeId, version: PyVersion) -> &str {
        let t = &self.types[id];
        let mut best = t.error.as_str();
        let mut best_from = PyVersion::new(0, 0);
        for e in &t.errors {
            if let Some(from) = PyVersion::parse(&e.from) {
                if from <= version && from >= best_from {
                    best = &e.text;
                    best_from = from;
                }
            }
        }
        best
    }
}

fn find_line(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(1, |at| line_of_offset(text, at))
}

/// The line of `field` inside the entry whose id (or call) is `key`, for error messages.
fn find_entry_line(text: &str, key: &str, field: &str) -> usize {
    let quoted = format!("\"{key}\"");
    let Some(start) = text.find(&quoted) else {
        return 1;
    };
    let entry_end = text[start..].find("\n[[").map_or(text.len(), |e| start + e);
    let entry_start = text[..start].rfind("[[").unwrap_or(0);
    let field_at = text[entry_start..entry_end]
        .find(&format!("\n{field} "))
        .map(|i| entry_start + i + 1);
    line_of_offset(text, field_at.unwrap_or(start))
}

/// Read a catalog file from disk for `picklefix` commands that validate user files.
pub fn check_file(path: &Path, is_rule: &dyn Fn(&str) -> bool) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read catalog file", e))?;
    let mut files: Vec<(PathBuf, String)> = BUILTIN.iter().map(|(n, t)| (PathBuf::from(n), t.to_string())).collect();
    files.push((path.to_path_buf(), text));
    Catalog::from_texts(&files, is_rule).map(|_| ())
}
