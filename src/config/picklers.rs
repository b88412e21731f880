//! Picklers that carry functions and classes by value (`cloudpickle`, `dill`): a lambda or a
//! nested function given to them is serialised with its code, not looked up by name, so the
//! types they list in `by_value` do not fail there. Facts come from `[[pickler]]` tables.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PicklerEntry {
    pub id: String,
    /// A sink whose call is named by one of these (`cloudpickle.` matches `cloudpickle.dumps`
    /// and `cloudpickle.Pickler.dump`) pickles this way.
    pub prefixes: Vec<String>,
    /// Catalog type ids this pickler serialises by value.
    pub by_value: Vec<String>,
    #[serde(default)]
    pub note: String,
}

/// The type ids the pickler behind a sink call (its display or qualified name) carries by value.
pub fn by_value<'p>(picklers: &'p [PicklerEntry], call: &str) -> Vec<&'p str> {
    picklers
        .iter()
        .filter(|p| p.prefixes.iter().any(|pre| call.starts_with(pre.as_str())))
        .flat_map(|p| p.by_value.iter().map(String::as_str))
        .collect()
}

/// A `by_value` entry that names no catalog type, as an error message.
pub fn unknown_type(picklers: &[PicklerEntry], known: &dyn Fn(&str) -> bool) -> Option<String> {
    picklers.iter().find_map(|p| {
        let missing = p.by_value.iter().find(|id| !known(id))?;
        Some(format!("pickler `{}`: no type `{missing}`", p.id))
    })
}
