//! The built-in catalog (`fixes/*.toml`) against what the interpreters really do
//! (`../shared/ground-truth/results.json`, described in TRUTH.md next to it), and the catalog's
//! error reporting for user catalog files.
//!
//! For every catalog type in `MAPPING`, every measured kind it stands for and every version the
//! kind exists on, the catalog's verdict for `pickle`, `deepcopy` and `multiprocessing` must be
//! the measured one, and its error text the measured message. Where a type deliberately differs
//! from one of its kinds, `KNOWN` says so, with the reason; an entry there that no longer hides
//! a difference (or hides none at all) fails the test too, so the list cannot go stale.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use picklefix::base::error::Error;
use picklefix::base::version::PyVersion;
use picklefix::config::catalog::{Catalog, BUILTIN};
use serde_json::Value;

/// Catalog type id → the measured kinds (`results.json` `kinds`) it stands for.
const MAPPING: &[(&str, &[&str])] = &[
    // files and streams
    (
        "file",
        &[
            "open_text_r",
            "open_text_w",
            "io_open_text",
            "open_bin_rb",
            "open_bin_wb",
            "open_bin_rw",
            "open_bin_unbuffered",
            "textiowrapper_over_bytesio",
            "instance_holds_file",
            "exception_file_in_args",
            "exception_file_attribute",
            "bound_method_holds_file",
        ],
    ),
    ("path", &["pathlib_path"]),
    ("std-stream", &["sys_stdout", "sys_stderr"]),
    ("tempfile", &["tempfile_named", "tempfile_temporaryfile"]),
    ("dir-entry", &["os_scandir_entry"]),
    ("os-environ", &["os_environ"]),
    ("compressed-file", &["gzip_file"]),
    ("archive", &["zipfile_w"]),
    ("tar-archive", &["tarfile_w"]),
    ("mmap", &["mmap_anon"]),
    ("csv-writer", &["csv_writer", "csv_dictwriter"]),
    ("csv-reader", &["csv_reader"]),
    // threading
    (
        "lock",
        &[
            "threading_lock",
            "threading_event",
            "threading_semaphore",
            "dataclass_with_lock",
            "bound_method_holds_lock",
        ],
    ),
    ("rlock", &["threading_rlock", "threading_condition"]),
    ("thread", &["threading_thread"]),
    ("thread-local", &["threading_local"]),
    ("thread-queue", &["queue_queue"]),
    ("simple-queue", &["queue_simplequeue"]),
    ("thread-pool", &["futures_threadpool"]),
    ("future", &["futures_future"]),
    // sockets, selectors, ssl, subprocess
    ("socket", &["socket_socket", "socket_pair"]),
    ("selector", &["select_epoll", "selectors_default"]),
    ("ssl-context", &["ssl_context"]),
    ("popen", &["subprocess_popen"]),
    // logging
    ("log-handler", &["logging_filehandler", "logging_streamhandler"]),
    ("logger-named", &["logging_named_with_handler"]),
    ("logger-direct", &["logging_logger_direct"]),
    ("module-lambda", &["lambda_module_name"]),
    // databases
    ("sqlite-connection", &["sqlite3_connection"]),
    ("sqlite-cursor", &["sqlite3_cursor"]),
    // callables
    (
        "lambda",
        &["lambda_inline", "partial_lambda", "defaultdict_lambda", "map_lambda"],
    ),
    ("nested-function", &["nested_function"]),
    ("decorator-wrapper", &["decorated_no_wraps"]),
    ("local-class", &["local_class_instance", "local_class"]),
    ("generator", &["generator", "generator_expression"]),
    // runtime objects
    ("module", &["module_object"]),
    ("weakref", &["weakref_ref"]),
    ("weak-value-dict", &["weakref_valuedict"]),
    ("weak-key-dict", &["weakref_keydict"]),
    ("re-match", &["re_match"]),
    ("re-pattern", &["re_pattern"]),
    ("hash", &["hashlib_md5"]),
    ("event-loop", &["asyncio_event_loop"]),
    ("contextvar", &["contextvars_contextvar"]),
    ("context", &["contextvars_context"]),
    ("memoryview", &["memoryview"]),
    ("frame", &["frame_object"]),
    ("traceback", &["traceback_object"]),
    ("code-object", &["code_object"]),
    ("ctypes-pointer", &["ctypes_pointer"]),
    (
        "itertools",
        &[
            "itertools_count",
            "itertools_cycle",
            "itertools_islice",
            "itertools_groupby",
            "itertools_tee",
        ],
    ),
    // multiprocessing objects
    ("mp-queue", &["mp_queue", "mp_joinablequeue", "mp_simplequeue"]),
    ("mp-sync", &["mp_lock", "mp_rlock", "mp_event"]),
    ("mp-shared", &["mp_value", "mp_array"]),
    ("mp-raw-shared", &["mp_value_nolock"]),
    ("mp-connection", &["mp_pipe_connection"]),
    ("mp-pool", &["mp_pool"]),
    ("process-pool", &["futures_processpool"]),
    ("mp-manager", &["mp_manager_object"]),
    ("mp-process", &["mp_process"]),
    // classes made by calls inside a function
    ("call-made-instance", &["namedtuple_local"]),
];

/// Kinds that fail on some 3.x version with some pickler but have no catalog type, and why.
const NOT_CATALOGUED: &[(&str, &str)] = &[
    ("coroutine", "made by calling an `async def` function; the analysis would need to create it from syntax, like generators"),
    ("dict_keys_call", "the result of `.keys()` on any dict: the analysis does not type dict values, so no constructor can name it"),
    ("staticmethod_raw", "a descriptor taken from a class `__dict__`; code does not keep these on instances"),
    ("property_object", "a descriptor; code does not keep these on instances"),
    ("namedtuple_name_mismatch", "a class-definition mistake (name and variable differ), not state held by an object"),
    ("type_functiontype", "`types.FunctionType` itself; no real code pickles it"),
    ("exception_custom_init", "dumps succeeds, loads fails; the catalog records dumps verdicts only"),
    ("mp_manager_queue_proxy", "the proxy pickles (it is the fix for PF301); only copy.deepcopy fails, with a RemoteError raised by the manager process"),
    ("mp_manager_lock_proxy", "as the queue proxy: pickles; copy.deepcopy fails with a RemoteError from the manager"),
    ("ctypes_c_int_after_mp_value", "a plain ctypes value that fails only through process-wide state (after multiprocessing.Value)"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
enum Check {
    Pickle,
    Deepcopy,
    Multiprocessing,
    Text,
    /// Every comparison of the kind at that version.
    All,
}

const V27: &[&str] = &["2.7"];
const V3X: &[&str] = &["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];
const VALL: &[&str] = &["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];

/// A documented difference between a catalog type and one of its measured kinds.
struct Known {
    ty: &'static str,
    kind: &'static str,
    versions: &'static [&'static str],
    check: Check,
    why: &'static str,
}

const BINARY_FILE: &str =
    "unbuffered binary files (`buffering=0`) are `FileIO`; the catalog's mode table does not look at `buffering`";
const CLASS_NAMED: &str = "the message names the multiprocessing class; one catalog type covers the family (a receiver type in sinks.toml cannot be split)";
const ITERTOOLS_27: &str =
    "2.7 cannot pickle this iterator at protocol 0; the type's `since = \"3.14\"` gates every version, 2.7 included";

const KNOWN: &[Known] = &[
    Known { ty: "file", kind: "io_open_text", versions: V27, check: Check::Text, why: "2.7's io.open returns io.TextIOWrapper, which names itself instead of `file`" },
    Known { ty: "file", kind: "textiowrapper_over_bytesio", versions: V27, check: Check::Text, why: "2.7's io.TextIOWrapper names itself instead of `file`" },
    Known { ty: "file", kind: "open_bin_unbuffered", versions: V3X, check: Check::Text, why: BINARY_FILE },
    Known {
        ty: "file",
        kind: "bound_method_holds_file",
        versions: V27,
        check: Check::All,
        why: "2.7 fails on the bound method itself (`instancemethod`) before the file matters",
    },
    Known {
        ty: "lock",
        kind: "bound_method_holds_lock",
        versions: V27,
        check: Check::Text,
        why: "2.7 fails on the bound method itself (`instancemethod`) before it reaches the lock",
    },
    Known {
        ty: "socket",
        kind: "socket_pair",
        versions: V27,
        check: Check::Multiprocessing,
        why: "2.7's protocol 2 sends socketpair() sockets as dead shells but fails on socket.socket(); the pair unpacks to the one `socket` type",
    },
    Known { ty: "socket", kind: "socket_pair", versions: V27, check: Check::Text, why: "see the multiprocessing verdict: the text is socket.socket()'s" },
    Known { ty: "lambda", kind: "map_lambda", versions: V27, check: Check::All, why: "2.7's map() returns a list: the lambda is not kept" },
    Known {
        ty: "re-match",
        kind: "re_match",
        versions: &["3.6"],
        check: Check::Deepcopy,
        why: "deepcopy of a match fails up to 3.6 while pickling fails everywhere; `until` would apply to every pickler",
    },
    Known { ty: "itertools", kind: "itertools_cycle", versions: V27, check: Check::All, why: ITERTOOLS_27 },
    Known { ty: "itertools", kind: "itertools_islice", versions: V27, check: Check::All, why: ITERTOOLS_27 },
    Known { ty: "itertools", kind: "itertools_groupby", versions: V27, check: Check::All, why: ITERTOOLS_27 },
    Known { ty: "itertools", kind: "itertools_tee", versions: V27, check: Check::All, why: ITERTOOLS_27 },
    Known { ty: "mp-queue", kind: "mp_joinablequeue", versions: VALL, check: Check::Text, why: CLASS_NAMED },
    Known { ty: "mp-queue", kind: "mp_simplequeue", versions: VALL, check: Check::Text, why: CLASS_NAMED },
    Known { ty: "mp-sync", kind: "mp_rlock", versions: VALL, check: Check::Text, why: CLASS_NAMED },
    Known { ty: "mp-sync", kind: "mp_event", versions: VALL, check: Check::Text, why: CLASS_NAMED },
    Known { ty: "mp-shared", kind: "mp_array", versions: VALL, check: Check::Text, why: CLASS_NAMED },
];

/// Types that multiprocessing refuses but Process start-up takes (inheritance).
const INHERITED_BY_PROCESSES: &[&str] = &["mp-queue", "mp-sync", "mp-shared", "mp-raw-shared", "mp-process"];

fn truth_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ground-truth/results.json")
}

fn load_truth() -> Option<Value> {
    let path = truth_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            common::skip(format_args!(
                "the ground truth {} cannot be read ({e}); run probe.py (see TRUTH.md) to create it",
                path.display()
            ));
            return None;
        }
    };
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display())))
}

/// What one probe measured for one kind on one version.
struct Measured {
    pickle: Outcome,
    deepcopy: Outcome,
    multiprocessing: Outcome,
}

struct Outcome {
    fails: bool,
    /// `ErrorType: message` when it failed.
    text: Option<String>,
}

impl Outcome {
    fn from(v: &Value, what: &str) -> Outcome {
        let ok = v
            .get("ok")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| panic!("{what}: no boolean `ok` in {v}"));
        let text = (!ok).then(|| {
            let ty = v
                .get("error_type")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{what}: no error_type in {v}"));
            let msg = v
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{what}: no message in {v}"));
            format!("{ty}: {msg}")
        });
        Outcome { fails: !ok, text }
    }
}

impl Measured {
    fn from(r: &Value, what: &str) -> Measured {
        let sub = |key: &str| {
            r.get(key)
                .unwrap_or_else(|| panic!("{what}: no `{key}` in the measurement"))
        };
        Measured {
            pickle: Outcome::from(r, what),
            deepcopy: Outcome::from(sub("deepcopy"), what),
            multiprocessing: Outcome::from(sub("mp_pickler"), what),
        }
    }

    fn verdict(&self, check: Check) -> bool {
        match check {
            Check::Pickle => self.pickle.fails,
            Check::Deepcopy => self.deepcopy.fails,
            Check::Multiprocessing => self.multiprocessing.fails,
            Check::Text | Check::All => unreachable!(),
        }
    }

    /// The text the catalog must give: `pickle.dumps`'s message; on 2.7, where multiprocessing
    /// pickles with cPickle protocol 2 and that fails too, that message (what a Queue, Pipe or
    /// Pool reports there). Failing that, the failing pickler's (deepcopy of a compiled regex).
    fn expected_text(&self, version: PyVersion) -> Option<&str> {
        let order = if version.major == 2 {
            [&self.multiprocessing, &self.pickle, &self.deepcopy]
        } else {
            [&self.pickle, &self.multiprocessing, &self.deepcopy]
        };
        order.into_iter().find(|o| o.fails).and_then(|o| o.text.as_deref())
    }
}

/// The open mode a measured kind used (see ground-truth/probe.py), for types whose class
/// depends on it.
fn mode_of_kind(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "open_text_r" | "io_open_text" => "r",
        "open_text_w" => "w",
        "open_bin_rb" | "open_bin_unbuffered" => "rb",
        "open_bin_wb" => "wb",
        "open_bin_rw" => "r+b",
        _ => return None,
    })
}

/// Does the catalog text equal the measured one, with `{qualname}` standing for one name (the
/// same wherever it appears)?
fn matches_template(template: &str, measured: &str) -> bool {
    const HOLE: &str = "{qualname}";
    let parts: Vec<&str> = template.split(HOLE).collect();
    if parts.len() == 1 {
        return template == measured;
    }
    let fixed: usize = parts.iter().map(|p| p.len()).sum();
    let holes = parts.len() - 1;
    if measured.len() <= fixed || !(measured.len() - fixed).is_multiple_of(holes) {
        return false;
    }
    let n = (measured.len() - fixed) / holes;
    let start = parts[0].len();
    let Some(name) = measured.get(start..start + n) else {
        return false;
    };
    !name.is_empty() && !name.contains('\'') && template.replace(HOLE, name) == measured
}

/// A text about a class made at run time names it `module.Name` (`{class}`) and its parts
/// (`{module}`, `{name}`): take the class from the measured `<class '...'>` and fill them in.
fn fill_class_parts(template: &str, measured: &str) -> String {
    if !template.contains("{class}") {
        return template.to_string();
    }
    let Some(class) = measured
        .split_once("<class '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(c, _)| c)
    else {
        return template.to_string();
    };
    let (module, name) = class.rsplit_once('.').unwrap_or(("?", class));
    template
        .replace("{class}", class)
        .replace("{module}", module)
        .replace("{name}", name)
}

fn version_key(v: &str) -> (u8, u8) {
    let p = PyVersion::parse(v).unwrap_or_else(|| panic!("`{v}` in results.json is not a version"));
    (p.major, p.minor)
}

fn pickler_name(check: Check) -> &'static str {
    match check {
        Check::Pickle => "pickle",
        Check::Deepcopy => "deepcopy",
        Check::Multiprocessing => "multiprocessing",
        Check::Text | Check::All => unreachable!(),
    }
}

fn yes_no(fails: bool) -> &'static str {
    if fails {
        "fails"
    } else {
        "works"
    }
}

#[test]
fn catalog_agrees_with_ground_truth() {
    let Some(truth) = load_truth() else { return };
    let catalog = Catalog::builtin(&picklefix::rules::is_code).expect("the built-in catalog loads");
    let kinds = truth["kinds"].as_object().expect("results.json has `kinds`");

    let mut problems: Vec<String> = Vec::new();
    let mut known_used: HashSet<usize> = HashSet::new();
    let (mut pairs, mut verdicts, mut texts) = (0usize, 0usize, 0usize);
    let mut versions_seen: HashSet<String> = HashSet::new();
    let mut kinds_seen = 0usize;

    let known = |ty: &str, kind: &str, version: &str, check: Check| -> Option<usize> {
        KNOWN
            .iter()
            .position(|k| k.ty == ty && k.kind == kind && k.check == check && k.versions.contains(&version))
    };

    for (ty, ty_kinds) in MAPPING {
        let Some(id) = catalog.type_id(ty) else {
            problems.push(format!("MAPPING names type `{ty}`, which the catalog does not have"));
            continue;
        };
        for kind in *ty_kinds {
            let Some(per_version) = kinds.get(*kind).and_then(Value::as_object) else {
                problems.push(format!(
                    "MAPPING names kind `{kind}` (for `{ty}`), which results.json does not have"
                ));
                continue;
            };
            kinds_seen += 1;
            let mut versions: Vec<(&String, &Value)> = per_version.iter().collect();
            versions.sort_by_key(|(v, _)| version_key(v));
            for (ver, r) in versions {
                if r.get("ok").is_none_or(Value::is_null) {
                    continue; // the kind does not exist on this version
                }
                let v = PyVersion::parse(ver).unwrap();
                let m = Measured::from(r, &format!("{kind} on {ver}"));
                pairs += 1;
                versions_seen.insert(ver.clone());

                // (check, agrees, what differs)
                let mut results: Vec<(Check, bool, String)> = Vec::new();
                for check in [Check::Pickle, Check::Deepcopy, Check::Multiprocessing] {
                    let want = m.verdict(check);
                    let got = catalog.fails(id, pickler_name(check), v, "spawn");
                    verdicts += 1;
                    results.push((
                        check,
                        want == got,
                        format!(
                            "{}: catalog says it {}, measured: it {}",
                            pickler_name(check),
                            yes_no(got),
                            yes_no(want)
                        ),
                    ));
                }
                let catalog_fails = ["pickle", "deepcopy", "multiprocessing", "process"]
                    .iter()
                    .any(|p| catalog.fails(id, p, v, "spawn"));
                if let (Some(expected), true) = (m.expected_text(v), catalog_fails) {
                    // `{class}` is the class the kind's open mode gives, as the catalog itself says.
                    let class = catalog.class_for_mode(id, mode_of_kind(kind)).unwrap_or("{class}");
                    let got = catalog.error_text(id, v).replace("{class}", class);
                    let got = fill_class_parts(&got, expected);
                    texts += 1;
                    results.push((
                        Check::Text,
                        matches_template(&got, expected),
                        format!("error text: catalog `{got}`, measured `{expected}`"),
                    ));
                }

                let all = known(ty, kind, ver, Check::All);
                if let Some(i) = all {
                    known_used.insert(i);
                    if results.iter().all(|r| r.1) {
                        problems.push(format!("{ty} / {kind} on {ver}: KNOWN lists every check as different, but all agree now; drop the entry"));
                    }
                    continue;
                }
                for (check, agrees, detail) in results {
                    match known(ty, kind, ver, check) {
                        Some(i) => {
                            known_used.insert(i);
                            if agrees {
                                problems.push(format!("{ty} / {kind} on {ver}: KNOWN lists `{check:?}` as different, but it agrees now; drop the entry"));
                            }
                        }
                        None if !agrees => problems.push(format!("{ty} / {kind} on {ver}: {detail}")),
                        None => {}
                    }
                }
            }
        }
    }
    for (i, k) in KNOWN.iter().enumerate() {
        if !known_used.contains(&i) {
            problems.push(format!(
                "KNOWN entry {} / {} {:?} ({}) matched no comparison",
                k.ty, k.kind, k.check, k.why
            ));
        }
    }

    // Every kind that fails on 3.x is either mapped or explained.
    let mapped: HashSet<&str> = MAPPING.iter().flat_map(|(_, ks)| ks.iter().copied()).collect();
    let explained: HashSet<&str> = NOT_CATALOGUED.iter().map(|(k, _)| *k).collect();
    for (kind, per_version) in kinds {
        let fails_on_3 = per_version.as_object().into_iter().flatten().any(|(ver, r)| {
            version_key(ver).0 == 3
                && !r.get("ok").is_none_or(Value::is_null)
                && [r.get("ok"), r.pointer("/deepcopy/ok"), r.pointer("/mp_pickler/ok")]
                    .contains(&Some(&Value::Bool(false)))
        });
        if fails_on_3 && !mapped.contains(kind.as_str()) && !explained.contains(kind.as_str()) {
            problems.push(format!(
                "kind `{kind}` fails on 3.x but is neither in MAPPING nor in NOT_CATALOGUED"
            ));
        }
    }
    for k in &explained {
        if mapped.contains(k) {
            problems.push(format!("kind `{k}` is both mapped and listed as not catalogued"));
        }
        if !kinds.contains_key(*k) {
            problems.push(format!("NOT_CATALOGUED names `{k}`, which results.json does not have"));
        }
    }

    eprintln!(
        "ground truth: {pairs} kind x version pairs ({kinds_seen} kinds of {} catalog types, {} versions): {verdicts} verdicts and {texts} error texts compared; {} documented differences",
        MAPPING.len(),
        versions_seen.len(),
        KNOWN.len()
    );
    assert!(
        problems.is_empty(),
        "the catalog disagrees with {}:\n  {}",
        truth_path().display(),
        problems.join("\n  ")
    );
}

#[test]
fn template_matching() {
    assert!(matches_template("A '{qualname}'", "A 'f.<locals>.<lambda>'"));
    assert!(matches_template(
        "<class '{qualname}'>: lookup {qualname} failed",
        "<class 'm.C'>: lookup m.C failed"
    ));
    assert!(!matches_template(
        "<class '{qualname}'>: lookup {qualname} failed",
        "<class 'm.C'>: lookup m.D failed"
    ));
    assert!(!matches_template("A '{qualname}'", "A ''"));
    assert!(!matches_template("A '{qualname}'", "B 'x'"));
    assert!(matches_template("plain", "plain"));
}

/// A pickler that fails under spawn but not inside multiprocessing's own pickler is inheritance.
#[test]
fn process_start_up_follows_multiprocessing() {
    let catalog = Catalog::builtin(&picklefix::rules::is_code).expect("the built-in catalog loads");
    let mut problems = Vec::new();
    for t in &catalog.types {
        for (which, list) in [("fails", &t.fails), ("py2_fails", &t.py2_fails)] {
            let mp = list.iter().any(|p| p == "multiprocessing");
            let process = list.iter().any(|p| p == "process");
            if mp && !process && !INHERITED_BY_PROCESSES.contains(&t.id.as_str()) {
                problems.push(format!(
                    "`{}`: {which} has multiprocessing but not process (only inherited primitives may)",
                    t.id
                ));
            }
            if process && !mp {
                problems.push(format!(
                    "`{}`: {which} has process but not multiprocessing (both use ForkingPickler)",
                    t.id
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Each constructor and each `TYPE:METHOD` belongs to one type (the lookup tables keep the last).
#[test]
fn constructors_are_unique() {
    let catalog = Catalog::builtin(&picklefix::rules::is_code).expect("the built-in catalog loads");
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &catalog.types {
        for c in t.constructors.iter().chain(&t.returned_by) {
            owners.entry(c.as_str()).or_default().push(t.id.as_str());
        }
    }
    let dups: Vec<String> = owners
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(c, v)| format!("`{c}`: {}", v.join(", ")))
        .collect();
    assert!(dups.is_empty(), "claimed by more than one type:\n{}", dups.join("\n"));
}

#[test]
fn hostile_types_are_complete() {
    let catalog = Catalog::builtin(&picklefix::rules::is_code).expect("the built-in catalog loads");
    let strategies: HashSet<&str> = picklefix::fix::fixers::FIXERS.iter().map(|(s, _)| *s).collect();
    let mut problems = Vec::new();
    for (i, t) in catalog.types.iter().enumerate() {
        if t.fails.is_empty() && t.py2_fails.is_empty() {
            continue;
        }
        if t.rule.is_none() {
            problems.push(format!("`{}` fails to pickle but names no rule", t.id));
        }
        for v in [PyVersion::new(2, 7), PyVersion::new(3, 6), PyVersion::new(3, 13)] {
            if catalog.error_text(i, v).trim().is_empty() {
                problems.push(format!("`{}` has no error text for {v}", t.id));
            }
        }
        if !t.fix.is_empty() && !strategies.contains(t.fix.as_str()) {
            problems.push(format!(
                "`{}`: fix strategy `{}` has no fixer (known: {:?})",
                t.id, t.fix, strategies
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Third-party entries: each fails somewhere, can be created, and carries its evidence.
#[test]
fn third_party_entries_have_evidence() {
    let (_, text) = BUILTIN
        .iter()
        .find(|(n, _)| n.ends_with("third_party.toml"))
        .expect("third_party.toml is built in");
    let catalog = Catalog::builtin(&picklefix::rules::is_code).expect("the built-in catalog loads");
    let file: toml::Value = toml::from_str(text).expect("third_party.toml parses");
    let ids: Vec<&str> = file
        .get("type")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("id")?.as_str())
        .collect();
    assert!(!ids.is_empty(), "third_party.toml lists no types");
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    for id in &ids {
        let t = catalog.ty(catalog.type_id(id).unwrap());
        if t.constructors.is_empty() && t.returned_by.is_empty() {
            problems.push(format!(
                "`{id}`: no constructors and no returned_by: nothing creates it"
            ));
        }
        let hostile = !t.fails.is_empty() || !t.py2_fails.is_empty();
        let owner = catalog
            .types
            .iter()
            .any(|o| o.returned_by.iter().any(|r| r.split(':').next() == Some(id)));
        if !hostile && !owner {
            problems.push(format!(
                "`{id}`: fails nowhere and creates nothing hostile; list only what does not pickle"
            ));
        }
        // The comment block right above the entry names the evidence.
        let at = lines.iter().position(|l| l.trim() == format!("id = \"{id}\"")).unwrap();
        let mut j = at;
        while j > 0 && !lines[j].starts_with("[[type]]") {
            j -= 1;
        }
        let mut evidence = String::new();
        while j > 0 && lines[j - 1].starts_with('#') {
            j -= 1;
            evidence.push_str(lines[j]);
        }
        if hostile && !cites_a_thread(&evidence) && !states_a_measurement(&evidence) {
            problems.push(format!(
                "`{id}`: no evidence comment (`owner/repo#N`, a link, or `measured with LIBRARY VERSION`, and the quoted error) above the entry"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Does a comment cite an issue thread (`owner/repo#123`) or a page (`https://...`)?
fn cites_a_thread(comment: &str) -> bool {
    comment
        .split(|c: char| c.is_whitespace() || "(),;\"'".contains(c))
        .any(|word| {
            let word = word.trim_end_matches([':', '.']);
            if word.starts_with("https://") || word.starts_with("http://") {
                return true;
            }
            match word.split_once('#') {
                Some((repo, number)) => {
                    let number = number.trim_end_matches('.');
                    let mut parts = repo.split('/');
                    let (owner, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    !owner.is_empty()
                        && !name.is_empty()
                        && !number.is_empty()
                        && number.chars().all(|c| c.is_ascii_digit())
                }
                None => false,
            }
        })
}

/// Does a comment say the error was measured with the library installed, naming its version
/// (`measured with grpcio 1.85.3 on Python 3.11`)?
fn states_a_measurement(comment: &str) -> bool {
    let words: Vec<&str> = comment
        .split(|c: char| c.is_whitespace() || c == '#' || c == '(')
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(4).any(|w| {
        w[0] == "measured"
            && w[1] == "with"
            && w[3]
                .trim_end_matches([',', ';', ':', ')'])
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            && w[3].contains('.')
    })
}

#[test]
fn measurement_statements() {
    assert!(states_a_measurement("# measured with grpcio 1.85.3 on Python 3.11"));
    assert!(states_a_measurement(
        "# (measured with SQLAlchemy 2.1.9,\n# Python 3.11)"
    ));
    assert!(!states_a_measurement("# measured with care"));
    assert!(!states_a_measurement("# measured on Python 3.11"));
}

#[test]
fn thread_citations() {
    assert!(cites_a_thread(
        "# pytorch/vision#689 and rosinality/vq-vae-2-pytorch#12 (DataLoader)"
    ));
    assert!(cites_a_thread("# see https://example.org/page"));
    assert!(!cites_a_thread("# users say it fails, see issue 12"));
    assert!(!cites_a_thread("# httpx keeps an SSLContext"));
}

// ---- user catalog files -------------------------------------------------------------------

const USER_PATH: &str = "project/picklefix-catalog.toml";

fn with_user_file(text: &str) -> picklefix::base::error::Result<Catalog> {
    let mut files: Vec<(PathBuf, String)> = BUILTIN.iter().map(|(n, t)| (PathBuf::from(n), t.to_string())).collect();
    files.push((PathBuf::from(USER_PATH), text.to_string()));
    Catalog::from_texts(&files, &picklefix::rules::is_code)
}

/// The error names the user file, the line and the field.
fn assert_catalog_error(text: &str, line: usize, field: &str, says: &str) {
    match with_user_file(text) {
        Err(e @ Error::Catalog { .. }) => {
            let shown = e.to_string();
            let Error::Catalog {
                path,
                line: at,
                message,
            } = e
            else {
                unreachable!()
            };
            assert_eq!(path, PathBuf::from(USER_PATH), "wrong file in: {shown}");
            assert_eq!(at, line, "wrong line in: {shown}");
            assert!(
                message.contains(&format!("`{field}`")),
                "the field `{field}` is not named in: {shown}"
            );
            assert!(message.contains(says), "`{says}` is not said in: {shown}");
            assert!(
                shown.starts_with(&format!("{USER_PATH}:{line}: ")),
                "the display does not start with file:line: {shown}"
            );
        }
        Err(other) => panic!("expected a catalog error, got: {other}"),
        Ok(_) => panic!("the user catalog was accepted:\n{text}"),
    }
}

#[test]
fn user_catalog_extends_the_builtins() {
    let catalog = with_user_file(
        r#"schema = 1

[[type]]
id = "mylib-handle"
label = "a mylib handle"
rule = "PF109"
constructors = ["mylib.open_handle"]
fails = ["pickle", "multiprocessing", "process"]
error = "TypeError: cannot pickle 'mylib.Handle' object"
"#,
    )
    .expect("a valid user catalog loads");
    let id = catalog
        .constructor("mylib.open_handle")
        .expect("the user constructor is known");
    assert_eq!(catalog.ty(id).id, "mylib-handle");
    assert!(catalog.fails(id, "pickle", PyVersion::new(3, 11), "spawn"));
    assert!(!catalog.fails(id, "deepcopy", PyVersion::new(3, 11), "spawn"));
    assert!(catalog.type_id("file").is_some(), "the built-in types are still there");
}

#[test]
fn user_catalog_unknown_pickler() {
    let text = r#"schema = 1

[[type]]
id = "mylib-handle"
label = "a mylib handle"
rule = "PF109"
constructors = ["mylib.open_handle"]
fails = ["pickle", "teleport"]
"#;
    assert_catalog_error(text, 8, "fails", "unknown pickler `teleport`");
}

#[test]
fn user_catalog_unknown_pickler_in_py2_fails() {
    let text = r#"schema = 1

[[type]]
id = "mylib-handle"
label = "a mylib handle"
rule = "PF109"
fails = ["pickle"]
py2_fails = ["cpickle"]
"#;
    // Reported against `fails`, the field family the pickler names belong to.
    assert_catalog_error(text, 7, "fails", "unknown pickler `cpickle`");
}

#[test]
fn user_catalog_missing_rule() {
    let text = r#"schema = 1

[[type]]
id = "mylib-handle"
label = "a mylib handle"
constructors = ["mylib.open_handle"]
fails = ["pickle"]
"#;
    // No `rule` line to point at: the entry's id line.
    assert_catalog_error(text, 4, "rule", "needs a rule");
}

#[test]
fn user_catalog_unknown_rule() {
    let text = r#"schema = 1

[[type]]
id = "mylib-handle"
label = "a mylib handle"
rule = "PF999"
fails = ["pickle"]
"#;
    assert_catalog_error(text, 6, "rule", "no rule `PF999`");
}

#[test]
fn user_catalog_duplicate_type_id() {
    let text = r#"schema = 1

# Redefines a built-in type.
[[type]]
id = "file"
label = "an open file"
rule = "PF101"
fails = ["pickle"]
"#;
    assert_catalog_error(text, 5, "id", "duplicate type id");
}

#[test]
fn user_catalog_duplicate_within_one_file() {
    let text = r#"schema = 1

[[type]]
id = "mylib-a"
label = "a"

[[type]]
id = "mylib-b"
label = "b"

[[type]]
id = "mylib-a"
label = "a again"
"#;
    match with_user_file(text) {
        Err(Error::Catalog { path, message, .. }) => {
            assert_eq!(path, PathBuf::from(USER_PATH));
            assert!(
                message.contains("duplicate type id") && message.contains("mylib-a"),
                "{message}"
            );
        }
        other => panic!("expected a duplicate-id error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn user_catalog_unknown_field() {
    let text = r#"schema = 1

[[type]]
id = "mylib-handle"
label = "a mylib handle"
rule = "PF109"
fail = ["pickle"]
"#;
    match with_user_file(text) {
        Err(e @ Error::Catalog { .. }) => {
            let shown = e.to_string();
            let Error::Catalog { path, line, message } = e else {
                unreachable!()
            };
            assert_eq!(path, PathBuf::from(USER_PATH), "{shown}");
            assert!(message.contains("`fail`"), "the unknown field is not named: {shown}");
            assert_eq!(line, 7, "the misspelt key's line: {shown}");
        }
        Err(other) => panic!("expected a catalog error, got: {other}"),
        Ok(_) => panic!("a misspelt field was accepted"),
    }
}

/// Every type named by the mapping tables exists, so a renamed id cannot silently drop checks.
#[test]
fn mapping_names_real_types() {
    let catalog = Catalog::builtin(&picklefix::rules::is_code).expect("the built-in catalog loads");
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (ty, kinds) in MAPPING {
        assert!(
            catalog.type_id(ty).is_some(),
            "MAPPING names `{ty}`, which is not in the catalog"
        );
        for k in *kinds {
            if let Some(other) = seen.insert(k, ty) {
                panic!("kind `{k}` is mapped to both `{other}` and `{ty}`");
            }
        }
    }
    for k in KNOWN {
        assert!(
            MAPPING.iter().any(|(t, ks)| *t == k.ty && ks.contains(&k.kind)),
            "KNOWN {} / {} is not in MAPPING",
            k.ty,
            k.kind
        );
    }
}
