//! The syntax tree the analysis reads: the shape of rustpython-ast (the names the analysis was
//! written against), with every node in one arena per module instead of its own allocation.
//!
//! Why not ruff's or rustpython's tree: a whole-project analysis keeps every parsed module's
//! tree for the length of the run, and those trees were two thirds of the peak memory (a
//! statement took 152 bytes inline, every expression its own box, every name its own string).
//! Here an expression is a thin pointer (8 bytes) to its node in the module's arena, whose
//! first byte says what it is (`Expr::kind` gives an enum to match on); a statement is a
//! reference with its kind (16 bytes); names are interned once per module behind a thin
//! pointer; and only what the analysis reads is kept: no annotations, no `match` patterns, no
//! type parameters. Building it is a bump of a pointer, freeing it is freeing a few large
//! blocks.
//!
//! Nodes are plain data (no destructors) borrowed for the arena's lifetime `'a`; `Tree` owns
//! an arena and its module body.
//!
//! Here: names (`Identifier`), source ranges (`Ranged`) and the arena (`Tree`); the nodes are in
//! `stmt` (statements, parameters, arguments) and `expr` (expressions, operators), one namespace.

use std::fmt;

pub use ruff_text_size::{TextRange, TextSize};

pub use expr::*;
pub use stmt::*;

/// A name (identifier), interned per module: a thin pointer to the arena's copy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier<'a>(&'a &'a str);

impl<'a> Identifier<'a> {
    pub fn new(cell: &'a &'a str) -> Self {
        Identifier(cell)
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl std::ops::Deref for Identifier<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for Identifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Identifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(*self.0, f)
    }
}

impl PartialEq<str> for Identifier<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == other
    }
}

impl PartialEq<&str> for Identifier<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == *other
    }
}

/// Anything with a place in the source.
pub trait Ranged {
    fn range(&self) -> TextRange;
    fn start(&self) -> TextSize {
        self.range().start()
    }
    fn end(&self) -> TextSize {
        self.range().end()
    }
}

impl<T: Ranged + ?Sized> Ranged for &T {
    fn range(&self) -> TextRange {
        (**self).range()
    }
}

macro_rules! ranged {
    ($($t:ident),* $(,)?) => {
        $(impl Ranged for $t<'_> {
            fn range(&self) -> TextRange {
                self.range
            }
        })*
    };
}

// The node families, after the `ranged!` macro they use.
mod expr;
mod stmt;

// ---- the arena --------------------------------------------------------------------------

/// A module's syntax tree and the arena that holds it.
pub struct Tree {
    /// Borrows from `_arena`. It is `'static` only inside this type: `suite()` hands it out
    /// for no longer than the tree itself lives.
    suite: &'static [Stmt<'static>],
    /// Holds the nodes; never used again once the tree is built, only dropped with it.
    _arena: bumpalo::Bump,
}

// SAFETY: the arena is only allocated from while the tree is built (before `Tree::new`
// returns); afterwards no method reaches it (only its drop does), so sharing `&Tree` between
// threads shares only immutable nodes. No node needs dropping: they hold references and plain
// values only (the arena never runs destructors).
unsafe impl Sync for Tree {}

impl Tree {
    /// Build a tree with `build`, which allocates every node in the arena it is given.
    pub fn new<E>(
        arena: bumpalo::Bump,
        build: impl for<'a> FnOnce(&'a bumpalo::Bump) -> Result<&'a [Stmt<'a>], E>,
    ) -> Result<Tree, E> {
        let suite = build(&arena)?;
        // SAFETY: the nodes live in the arena's heap blocks, which do not move when the Bump
        // value moves into the Tree, and are freed only when the Tree is dropped. `suite()`
        // shortens the lifetime back to the Tree's borrow (the node types are covariant).
        let suite: &'static [Stmt<'static>] = unsafe { std::mem::transmute::<&[Stmt<'_>], _>(suite) };
        Ok(Tree { suite, _arena: arena })
    }

    pub fn suite(&self) -> &[Stmt<'_>] {
        self.suite
    }
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree").field("statements", &self.suite.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "an expression node tagged Call")]
    fn a_node_tagged_as_another_type_is_refused() {
        // `kind` reads a node back by its tag: a list node claiming to be a call must never
        // get that far.
        let node = ExprSet {
            tag: Tag::Call,
            range: TextRange::default(),
            elts: &[],
        };
        let _ = Expr::new(&node);
    }

    #[test]
    fn an_expression_reads_back_as_what_it_was_built() {
        let tuple = ExprSet {
            tag: Tag::Tuple,
            range: TextRange::new(3.into(), 9.into()),
            elts: &[],
        };
        let e = Expr::new(&tuple);
        assert!(matches!(e.kind(), ExprKind::Tuple(t) if std::ptr::eq(t, &tuple)));
        assert_eq!(e.range(), TextRange::new(3.into(), 9.into()));
    }

    #[test]
    fn nodes_stay_small() {
        // The reason this tree exists: keep these from growing unnoticed.
        assert_eq!(std::mem::size_of::<Expr>(), 8);
        assert_eq!(std::mem::size_of::<Option<Expr>>(), 8);
        assert_eq!(std::mem::size_of::<Stmt>(), 16);
        assert_eq!(std::mem::size_of::<Identifier>(), 8);
        assert_eq!(std::mem::size_of::<ExprName>(), 16);
        assert!(std::mem::size_of::<ExprCall>() <= 56);
    }
}
