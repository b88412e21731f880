//! The project index: for every parsed module its bindings, functions, classes (with instance
//! attributes assigned in any method), call sites and run-time writes to module globals.
//! Everything borrows from the parsed trees; lookups across modules happen in `eval`.
//!
//! Here: what the index holds (bindings, functions, classes, call sites, stores numbered across
//! the project) and `Index::build`. `build` walks one module's statements, `defs` records its
//! functions and classes.

mod build;
mod defs;

use build::Fragment;
use rustc_hash::FxHashMap as HashMap;

use crate::analysis::project::{ModId, Project};
use crate::python::parse::{self, ast, FuncDef};

pub type FuncId = usize;
pub type ClassId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Module(ModId),
    Func(FuncId),
}

/// One step of tuple unpacking on the way from a value to an assignment target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpack {
    Index(u32),
    Star,
}

/// The unpacking steps of one binding: almost always none, and then nothing is allocated.
pub type Unpacks = Box<[Unpack]>;

/// What one statement binds a name to. Kept small (32 bytes): a project has about one per
/// line of code that assigns.
#[derive(Debug, Clone)]
pub enum Binding<'a> {
    Def {
        id: FuncId,
        offset: u32,
    },
    Class {
        id: ClassId,
        offset: u32,
    },
    /// `import a.b as c` binds `c` to `a.b`; `import a.b` binds `a` to `a`.
    Import {
        module: &'a str,
        offset: u32,
    },
    /// `from module import name` (a relative module already resolved).
    ImportFrom {
        module: Box<str>,
        name: ast::Identifier<'a>,
        offset: u32,
    },
    /// `x = expr` (after unpacking).
    Value {
        expr: &'a ast::Expr<'a>,
        unpack: Unpacks,
        offset: u32,
    },
    /// `for x in expr`: an element of expr.
    Iter {
        expr: &'a ast::Expr<'a>,
        unpack: Unpacks,
        offset: u32,
    },
    /// `with expr as x`: what entering `expr` gives.
    Enter {
        expr: &'a ast::Expr<'a>,
        unpack: Unpacks,
        offset: u32,
    },
    /// `x.append(expr)`, `x[k] = expr` (many = false); `x.extend(expr)`, `x += expr` (many = true).
    Element {
        expr: &'a ast::Expr<'a>,
        many: bool,
        offset: u32,
    },
    Param(u32),
}

impl Binding<'_> {
    /// Where the statement that makes this binding starts (None for a parameter).
    pub fn offset(&self) -> Option<u32> {
        match self {
            Binding::Def { offset, .. }
            | Binding::Class { offset, .. }
            | Binding::Import { offset, .. }
            | Binding::ImportFrom { offset, .. }
            | Binding::Value { offset, .. }
            | Binding::Iter { offset, .. }
            | Binding::Enter { offset, .. }
            | Binding::Element { offset, .. } => Some(*offset),
            Binding::Param(_) => None,
        }
    }
}

/// The names bound in one scope, each with its bindings in source order. Pushed while a module
/// is indexed, then sorted once (`finish`): a scope binds a handful of names, and a sorted list
/// is a fraction of a hash map's size. The order is by length, then text: most comparisons of
/// a lookup end at the length.
#[derive(Debug, Default)]
pub struct Bindings<'a> {
    names: Vec<&'a str>,
    values: Vec<Binding<'a>>,
}

impl<'a> Bindings<'a> {
    pub fn push(&mut self, name: &'a str, binding: Binding<'a>) {
        self.names.push(name);
        self.values.push(binding);
    }

    /// Sort by name, keeping each name's bindings in source order.
    fn finish(&mut self) {
        if !self.names.is_sorted_by(|a, b| order(a, b).is_le()) {
            let names = std::mem::take(&mut self.names);
            let mut pairs: Vec<_> = names.into_iter().zip(std::mem::take(&mut self.values)).collect();
            // A stable sort: each name's bindings stay in source order.
            pairs.sort_by(|a, b| order(a.0, b.0));
            (self.names, self.values) = pairs.into_iter().unzip();
        }
        self.names.shrink_to_fit();
        self.values.shrink_to_fit();
    }

    /// Every binding of `name`, in source order.
    pub fn get(&self, name: &str) -> Option<&[Binding<'a>]> {
        let start = self.names.partition_point(|n| order(n, name).is_lt());
        let end = start + self.names[start..].partition_point(|n| *n == name);
        (end > start).then(|| &self.values[start..end])
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Is the name bound, before `finish` sorted the list (a linear scan)?
    pub(super) fn has(&self, name: &str) -> bool {
        self.names.contains(&name)
    }

    /// The bound names, each once.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        let mut last = None;
        self.names.iter().copied().filter(move |n| last.replace(*n) != Some(*n))
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut Binding<'a>> {
        self.values.iter_mut()
    }
}

fn order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[derive(Debug, Default)]
pub struct ScopeInfo<'a> {
    pub bindings: Bindings<'a>,
    /// Names declared `global` (rare: a list).
    pub globals: Vec<&'a str>,
}

pub struct FunctionInfo<'a> {
    pub module: ModId,
    pub def: FuncDef<'a>,
    pub parent: Scope,
    pub class: Option<ClassId>,
    pub nested: bool,
    pub main_guard: bool,
    pub is_generator: bool,
    pub scope: ScopeInfo<'a>,
    pub returns: Vec<&'a ast::Expr<'a>>,
    pub yields: Vec<(&'a ast::Expr<'a>, bool)>,
    pub qualname: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    Direct,
    Element,
    Elements,
}

#[derive(Debug, Clone)]
pub struct AttrAssign<'a> {
    pub name: &'a str,
    pub method: FuncId,
    pub expr: &'a ast::Expr<'a>,
    pub kind: AttrKind,
    pub unpack: Vec<Unpack>,
    pub offset: usize,
    /// Made by a statement the method always runs (not inside `if`, a loop, `try` or `match`):
    /// a later one of these in the same method replaces what earlier ones stored.
    pub unconditional: bool,
}

pub struct ClassInfo<'a> {
    pub module: ModId,
    pub def: &'a ast::StmtClassDef<'a>,
    pub parent: Scope,
    pub local: bool,
    /// Defined inside `if __name__ == "__main__":` (absent when a spawn child imports the module).
    pub main_guard: bool,
    pub name: &'a str,
    pub qualname: String,
    pub methods: HashMap<&'a str, FuncId>,
    pub class_attrs: HashMap<&'a str, Vec<&'a ast::Expr<'a>>>,
    pub attrs: Vec<AttrAssign<'a>>,
    pub slots: Option<Vec<String>>,
    /// Classes defined in this class's body (`Outer.Inner`).
    pub nested: HashMap<&'a str, ClassId>,
    /// Fields of a `@dataclass` (annotated class-level names, in order, with their default):
    /// instance attributes set by the generated `__init__`.
    pub fields: Vec<(&'a str, Option<&'a ast::Expr<'a>>)>,
}

/// A call expression and where it is (32 bytes: a project has one per call in its code).
pub struct CallSite<'a> {
    pub call: &'a ast::ExprCall<'a>,
    pub scope: Scope,
    module: u32,
    /// The comprehensions the call sits in: an entry of `Index::comps`, or NO_COMPS.
    comps: u32,
}

const NO_COMPS: u32 = u32::MAX;

impl CallSite<'_> {
    pub fn module(&self) -> ModId {
        self.module as ModId
    }
}

/// `name = ...` in a function that declared `global name`, or at module level under the main
/// guard: the parent changes a module global at run time.
#[derive(Debug, Clone)]
pub struct RuntimeWrite {
    pub func: Option<FuncId>,
    pub offset: usize,
}

/// `base.attr = ...` where `base` is a plain name other than a method's `self` (module
/// attributes set at run time, for PF501; attributes set on objects from outside their class).
#[derive(Debug, Clone)]
pub struct AttrWrite<'a> {
    pub base: &'a str,
    pub attr: &'a str,
    pub value: &'a ast::Expr<'a>,
    pub scope: Scope,
    pub offset: usize,
}

#[derive(Default)]
pub struct ModuleIndex<'a> {
    pub scope: ScopeInfo<'a>,
    /// Project modules this one star-imports (`from m import *`), in order: names not bound
    /// here are looked up in them (see `Eval::star_name`).
    pub star_imports: Vec<ModId>,
    pub runtime_writes: HashMap<&'a str, Vec<RuntimeWrite>>,
    pub attr_writes: Vec<AttrWrite<'a>>,
}

pub struct Index<'a> {
    pub project: &'a Project,
    pub modules: Vec<ModuleIndex<'a>>,
    pub funcs: Store<FunctionInfo<'a>>,
    pub classes: Store<ClassInfo<'a>>,
    pub calls: Store<CallSite<'a>>,
    /// Call sites by the last name of the callee (`f` in `a.b.f(...)`).
    pub calls_by_name: HashMap<&'a str, Vec<usize>>,
    /// Comprehension scopes around call sites, outermost first (see `CallSite`).
    comps: Vec<Vec<&'a [ast::Comprehension<'a>]>>,
}

/// Items of every module, numbered across the project but stored in the per-module vectors
/// they were built in (in parallel): no copy into one vector, which would hold everything
/// twice at the moment of copying.
pub struct Store<T> {
    chunks: Vec<Vec<T>>,
    /// First id of each chunk, and the chunk of each id.
    starts: Vec<usize>,
    owner: Vec<u32>,
}

impl<T> Store<T> {
    fn new(chunks: Vec<Vec<T>>) -> Self {
        let chunks: Vec<Vec<T>> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let mut starts = Vec::with_capacity(chunks.len());
        let mut owner = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
        for (i, c) in chunks.iter().enumerate() {
            starts.push(owner.len());
            owner.extend(std::iter::repeat_n(i as u32, c.len()));
        }
        Store { chunks, starts, owner }
    }

    pub fn len(&self) -> usize {
        self.owner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Store<T> {
    type Output = T;
    fn index(&self, id: usize) -> &T {
        let chunk = self.owner[id] as usize;
        &self.chunks[chunk][id - self.starts[chunk]]
    }
}

impl<'a> Index<'a> {
    /// `pool` runs the per-module work; its threads need large stacks (deeply nested code).
    pub fn build(project: &'a Project, pool: &rayon::ThreadPool) -> Index<'a> {
        use rayon::prelude::*;
        // Each module on its own (in parallel), then appended in module order with its ids
        // shifted: the result does not depend on the number of threads.
        let mut fragments: Vec<Fragment<'a>> = pool.install(|| {
            project
                .modules
                .par_iter()
                .enumerate()
                .map(|(id, m)| Fragment::build(project, id, m.suite()))
                .collect()
        });
        // Where each module's ids start (functions, classes, comprehension scopes); the ids are
        // shifted there in parallel too.
        let mut starts = Vec::with_capacity(fragments.len());
        let mut next = (0, 0, 0);
        for f in &fragments {
            starts.push(next);
            next = (next.0 + f.funcs.len(), next.1 + f.classes.len(), next.2 + f.comps.len());
        }
        pool.install(|| {
            fragments
                .par_iter_mut()
                .zip(&starts)
                .for_each(|(f, &(funcs, classes, comps))| f.shift(funcs, classes, comps))
        });
        let mut modules = Vec::with_capacity(fragments.len());
        let (mut funcs, mut classes, mut calls, mut comps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for f in fragments {
            modules.push(f.module);
            funcs.push(f.funcs);
            classes.push(f.classes);
            calls.push(f.calls);
            comps.extend(f.comps);
        }
        let mut index = Index {
            project,
            modules,
            funcs: Store::new(funcs),
            classes: Store::new(classes),
            calls: Store::new(calls),
            calls_by_name: HashMap::default(),
            comps,
        };
        for (i, c) in index.calls.iter().enumerate() {
            if let Some(name) = last_name(&c.call.func) {
                index.calls_by_name.entry(name).or_default().push(i);
            }
        }
        index
    }

    /// The comprehensions around a call site, outermost first (their variables are in scope).
    pub fn comps(&self, site: &CallSite<'a>) -> &[&'a [ast::Comprehension<'a>]] {
        match site.comps {
            NO_COMPS => &[],
            i => &self.comps[i as usize],
        }
    }

    pub fn scope_info(&self, scope: Scope) -> &ScopeInfo<'a> {
        match scope {
            Scope::Module(m) => &self.modules[m].scope,
            Scope::Func(f) => &self.funcs[f].scope,
        }
    }

    pub fn module_of(&self, scope: Scope) -> ModId {
        match scope {
            Scope::Module(m) => m,
            Scope::Func(f) => self.funcs[f].module,
        }
    }

    /// Base classes and the class itself are searched in this order (a simple MRO).
    pub fn method(&self, class: ClassId, name: &str, bases: &dyn Fn(ClassId) -> Vec<ClassId>) -> Option<FuncId> {
        self.mro(class, bases)
            .into_iter()
            .find_map(|c| self.classes[c].methods.get(name).copied())
    }

    /// Every ancestor once, breadth first. Not cut at any depth: each class enters once, so it
    /// ends on cycles too, and a cut would silently hide what deep hierarchies hold.
    pub fn mro(&self, class: ClassId, bases: &dyn Fn(ClassId) -> Vec<ClassId>) -> Vec<ClassId> {
        let mut out = vec![class];
        let mut seen: rustc_hash::FxHashSet<ClassId> = std::iter::once(class).collect();
        let mut i = 0;
        while i < out.len() {
            for b in bases(out[i]) {
                if seen.insert(b) {
                    out.push(b);
                }
            }
            i += 1;
        }
        out
    }
}

pub fn last_name<'a>(expr: &ast::Expr<'a>) -> Option<&'a str> {
    match expr.kind() {
        ast::ExprKind::Name(n) => Some(n.id.as_str()),
        ast::ExprKind::Attribute(a) => Some(a.attr.as_str()),
        _ => None,
    }
}

pub fn is_main_guard(test: &ast::Expr) -> bool {
    let ast::ExprKind::Compare(c) = test.kind() else {
        return false;
    };
    if c.comparators.len() != 1 || !matches!(c.ops[0], ast::CmpOp::Eq) {
        return false;
    }
    let is_name = |e: &ast::Expr| matches!(e.kind(), ast::ExprKind::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &ast::Expr| parse::str_literal(e) == Some("__main__");
    (is_name(&c.left) && is_main(&c.comparators[0])) || (is_main(&c.left) && is_name(&c.comparators[0]))
}

/// Offset where a `def`/`class` keyword is (after its decorators), for origins.
pub fn keyword_offset(text: &str, start: usize, decorators: &[ast::Expr], keyword: &str) -> usize {
    let from = decorators.last().map_or(start, |d| parse::range_of(d).1);
    let mut at = from;
    while at < text.len() {
        let rest = &text[at..];
        if rest.starts_with(keyword) || rest.starts_with("async ") {
            return at;
        }
        at += rest.chars().next().map_or(1, char::len_utf8);
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_keep_source_order_per_name() {
        let mut b = Bindings::default();
        b.push("y", Binding::Param(0));
        b.push("x", Binding::Param(1));
        b.push("y", Binding::Param(2));
        b.push("a", Binding::Param(3));
        b.finish();
        let params = |name: &str| -> Vec<u32> {
            b.get(name)
                .unwrap_or_default()
                .iter()
                .map(|b| match b {
                    Binding::Param(i) => *i,
                    _ => unreachable!(),
                })
                .collect()
        };
        assert_eq!(params("y"), vec![0, 2]);
        assert_eq!(params("x"), vec![1]);
        assert_eq!(params("a"), vec![3]);
        assert!(b.get("z").is_none() && !b.contains_key("b"));
        assert_eq!(b.keys().collect::<Vec<_>>(), vec!["a", "x", "y"]);
    }

    #[test]
    fn store_numbers_items_across_chunks() {
        let store = Store::new(vec![vec!['a', 'b'], vec![], vec!['c'], vec!['d', 'e']]);
        assert_eq!(store.len(), 5);
        let all: String = (0..store.len()).map(|i| store[i]).collect();
        assert_eq!(all, "abcde");
        assert_eq!(store.iter().collect::<String>(), "abcde");
    }
}
