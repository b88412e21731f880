//! Read + parse + fix on fuzzer input, as `fix --write --unsafe-fixes` would: no panic, no fix
//! that breaks a file, written bytes are the fixed text, and a second fix changes nothing.
//! The first byte chooses the input's use: the raw bytes of one file (any bytes: encodings,
//! BOMs, NULs, broken syntax), or choices for the grammar generator of `tests/common/pygen.rs`
//! (plausible multiprocessing and Python 2 projects that reach the fixers).

#![no_main]

#[path = "../../tests/common/pygen.rs"]
mod pygen;

use libfuzzer_sys::fuzz_target;
use picklefix::config::settings::Settings;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let files = if mode % 4 == 0 {
        vec![pygen::File {
            path: "pkg/m.py".into(),
            bytes: rest.to_vec(),
        }]
    } else {
        pygen::project(&mut pygen::Bytes { data: rest, at: 0 })
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    for f in &files {
        let p = dir.path().join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &f.bytes).unwrap();
    }
    let paths = [dir.path().to_path_buf()];
    let settings = Settings::default();
    let outcome = picklefix::fix_paths(&paths, &settings, true).expect("fix runs");
    assert!(outcome.errors.is_empty(), "a fix broke a file: {:?}", outcome.errors);
    for (src, new) in &outcome.changes {
        picklefix::fix::write::write_fixed(src, new, false).expect("the write succeeds");
        assert_eq!(std::fs::read(&src.path).unwrap(), src.encode(new));
    }
    if !outcome.changes.is_empty() {
        let again = picklefix::fix_paths(&paths, &settings, true).expect("fix runs");
        assert!(again.changes.is_empty(), "a second fix changed {:?}", again.changes.iter().map(|c| &c.0.path).collect::<Vec<_>>());
    }
});
