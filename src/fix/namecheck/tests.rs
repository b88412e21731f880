//! Tests of the name check, and a probe over a tree of real code (ignored by default).

use super::*;

fn added_in(before: &str, after: &str) -> Vec<(Kind, String)> {
    let b = parse::parse_module(before, "b.py").unwrap();
    let a = parse::parse_module(after, "a.py").unwrap();
    added(&problems(b.suite()), &problems(a.suite()))
        .into_iter()
        .map(|p| (p.kind, p.name))
        .collect()
}

fn own(text: &str) -> Vec<(Kind, String)> {
    let t = parse::parse_module(text, "t.py").unwrap();
    problems(t.suite()).into_iter().map(|p| (p.kind, p.name)).collect()
}

#[test]
fn builtins_are_sorted() {
    assert!(super::builtins::BUILTINS.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn clean_code_has_no_problems() {
    let text = "import os\nfrom a import b as c\n\nclass K(object):\n    x = 1\n    y = [x]\n    def __init__(self, v):\n        self.__v = v\n        self.__h()\n    def __h(self):\n        return __class__, c, os\n\ndef f(a, *r, k=1, **kw):\n    total = 0\n    for i in range(a):\n        total += i\n    g = lambda q: q + total\n    try:\n        pass\n    except ValueError as e:\n        print(e)\n    return [j for j in r if j], {m: n for m, n in kw.items()}, (y := 2), y, g\n\ndef outer():\n    v = 1\n    def inner():\n        nonlocal v\n        v += 1\n        return later\n    return inner\n\nlater = 2\n";
    assert_eq!(own(text), vec![]);
}

#[test]
fn partial_before_its_arguments_is_used_before_assignment() {
    let before = "def run():\n    def work(x):\n        return x + scale\n    scale = 2\n    return work\n";
    let after = "import functools\n\ndef _work(scale, x):\n    return x + scale\n\ndef run():\n    work = functools.partial(_work, scale)\n    scale = 2\n    return work\n";
    assert_eq!(
        added_in(before, after),
        vec![(Kind::UsedBeforeAssignment, "scale".into())]
    );
}

#[test]
fn hoisted_code_reading_an_unbound_closure_name_is_undefined() {
    let before = "def run():\n    n = 3\n    def work(x):\n        return x * n\n    return work\n";
    let after = "def work(x):\n    return x * n\n\ndef run():\n    n = 3\n    return work\n";
    assert_eq!(added_in(before, after), vec![(Kind::Undefined, "n".into())]);
}

#[test]
fn private_module_name_read_in_a_class_is_mangled() {
    let before = "class C:\n    def m(self):\n        def __helper():\n            return 1\n        return __helper\n";
    let after = "def __helper():\n    return 1\n\nclass C:\n    def m(self):\n        return __helper\n";
    assert_eq!(added_in(before, after), vec![(Kind::Mangled, "__helper".into())]);
}

#[test]
fn private_attribute_moved_out_of_its_class_is_no_longer_mangled() {
    let before = "class C:\n    def m(self):\n        def g():\n            return self.__x\n        return g\n";
    let after = "def g(self):\n    return self.__x\n\nclass C:\n    def m(self):\n        return g\n";
    assert_eq!(added_in(before, after), vec![(Kind::Mangled, ".__x".into())]);
}

#[test]
fn module_code_reading_a_name_bound_later_is_used_before_assignment() {
    let before = "x = 1\ny = x\n";
    let after = "y = f(x)\nx = 1\ndef f(v):\n    return v\n";
    let got = added_in(before, after);
    assert!(got.contains(&(Kind::UsedBeforeAssignment, "x".into())), "{got:?}");
    assert!(got.contains(&(Kind::UsedBeforeAssignment, "f".into())), "{got:?}");
}

#[test]
fn problems_the_code_already_had_are_not_blamed_on_the_edit() {
    let before = "def f():\n    return undefined_thing\n";
    let after = "def f():\n    x = 1\n    return undefined_thing\n";
    assert_eq!(added_in(before, after), vec![]);
}

#[test]
fn a_second_module_level_def_of_a_name_is_redefined() {
    let before = "def a():\n    pass\n";
    let after = "def _h():\n    pass\n\ndef _h():\n    pass\n\ndef a():\n    pass\n";
    assert_eq!(added_in(before, after), vec![(Kind::Redefined, "_h".into())]);
}

#[test]
fn a_second_method_of_one_name_is_redefined() {
    let before = "class C:\n    def a(self):\n        pass\n";
    let after = "class C:\n    def a(self):\n        pass\n    def __getstate__(self):\n        return 1\n    def __getstate__(self):\n        return 2\n";
    assert_eq!(added_in(before, after), vec![(Kind::Redefined, "__getstate__".into())]);
}

#[test]
fn star_imports_and_globals() {
    assert_eq!(own("from os.path import *\nprint(join)\n"), vec![]);
    assert_eq!(
        own("def f():\n    global g\n    g = 1\n\ndef h():\n    return g\n"),
        vec![]
    );
    assert_eq!(own("def f():\n    return g\n"), vec![(Kind::Undefined, "g".into())]);
}

#[test]
fn class_bodies_do_not_enclose_their_methods() {
    assert_eq!(
        own("class C:\n    size = 1\n    def m(self):\n        return size\n"),
        vec![(Kind::Undefined, "size".into())]
    );
}

mod probe {
    #[test]
    #[ignore]
    fn stdlib_probe() {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(probe)
            .unwrap()
            .join()
            .unwrap();
    }

    fn probe() {
        let root = std::env::var("PROBE_DIR").unwrap();
        let mut stack = vec![std::path::PathBuf::from(root)];
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        let mut files = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "py") {
                    let Ok(t) = std::fs::read_to_string(&p) else { continue };
                    let Ok(tree) = crate::python::parse::parse_module(&t, "x") else {
                        continue;
                    };
                    files += 1;
                    for pr in super::super::problems(tree.suite()) {
                        *counts.entry(format!("{:?}", pr.kind)).or_default() += 1;
                        if std::env::var("PROBE_SHOW").is_ok_and(|k| k == format!("{:?}", pr.kind)) {
                            eprintln!("{}: {}", p.display(), super::super::describe(&pr, &t));
                        }
                    }
                }
            }
        }
        eprintln!("{files} files: {counts:?}");
    }
}
