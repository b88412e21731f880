//! Catalog lookups for values that come without a constructor call: names read as values,
//! attributes an external base keeps, class attributes, subscripts of a handle, classes made
//! by calls, external base classes.

use super::{Catalog, TypeId};

impl Catalog {
    /// The type of a class made by this call inside a function, and the arguments it needs.
    pub fn class_factory(&self, qualified: &str) -> Option<(TypeId, usize)> {
        self.by_class_factory.get(qualified).copied()
    }

    pub fn base_class(&self, qualified: &str) -> Option<TypeId> {
        self.by_base.get(qualified).copied()
    }

    /// Every attribute values of type `owner` have, with its type (inherited by project
    /// subclasses of the type's `base_classes`: `cmd.Cmd` keeps `stdout`).
    pub fn attributes_of(&self, owner: TypeId) -> &[(String, TypeId)] {
        self.attributes_by_owner
            .get(&self.types[owner].id)
            .map_or(&[], |v| v.as_slice())
    }

    /// The type of the value a qualified name holds when it is read (`sys.stdout`).
    pub fn read_value(&self, qualified: &str) -> Option<TypeId> {
        self.by_read.get(qualified).copied()
    }

    /// The type of attribute `attr` read on a class (`__dict__`).
    pub fn class_attribute(&self, attr: &str) -> Option<TypeId> {
        self.by_class_attribute.get(attr).copied()
    }

    /// The type `builtin(cls)` gives for a class (`vars`).
    pub fn class_call(&self, builtin: &str) -> Option<TypeId> {
        self.by_class_call.get(builtin).copied()
    }

    /// What subscripting a value of this type gives (`h5py_file["items"]`).
    pub fn subscript_result(&self, ty: TypeId) -> Option<TypeId> {
        self.types[ty]
            .subscript_result
            .as_deref()
            .and_then(|id| self.type_id(id))
    }
}
