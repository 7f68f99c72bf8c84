//! The OData v4 subset of docs/upstream/novabackup.md §4: parse query options against an entity schema and
//! apply them to rows (filter, order, page, select, expand).
//!
//! Options are parsed and type-checked once per request into a [`QueryOptions`]; evaluation
//! then reads typed values straight from the rows, so a 100,000-row collection stays cheap.

mod eval;
mod filter;
mod lexer;
mod options;
mod value;

pub use eval::{run, shape};
pub use options::{Allowed, QueryOptions};
pub use value::{Ty, Val};

use serde_json::{Map, Value};

use super::dataset::Dataset;

/// Static description of an entity type, used to validate and bind query options.
pub trait Schema: Sync {
    /// The type name used in error messages (`Agent`).
    fn type_name(&self) -> &'static str;
    /// Position and type of a structural property.
    fn prop(&self, name: &str) -> Option<(usize, Ty)>;
    /// Target schema of a navigation property, and whether it is a collection.
    fn nav(&self, name: &str) -> Option<(&'static dyn Schema, bool)>;
}

/// One entity the query engine can read.
pub trait Row: Sync {
    /// The value of the property at this schema position.
    fn field(&self, index: usize) -> Val<'_>;
    /// The rows behind a navigation property.
    fn nav<'a>(&'a self, ds: &'a Dataset, name: &str) -> NavValue<'a>;
    /// The whole entity as JSON (without navigation properties).
    fn to_json(&self) -> Map<String, Value>;
}

/// The value of a navigation property.
pub enum NavValue<'a> {
    One(Option<&'a dyn Row>),
    Many(Vec<&'a dyn Row>),
}

/// Why a query was refused; every variant maps to `400 Bad Request`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ODataError {
    #[error("The query parameter '{0}' is not supported.")]
    UnknownOption(String),
    #[error("The query parameter '{0}' is specified more than once.")]
    DuplicateOption(String),
    #[error("Could not find a property named '{name}' on type '{type_name}'.")]
    UnknownProperty {
        name: String,
        type_name: &'static str,
    },
    #[error("Syntax error in {option}: {message}")]
    Syntax {
        option: &'static str,
        message: String,
    },
    #[error("Invalid value '{value}' for {option}: expected a non-negative integer.")]
    NotANumber { option: String, value: String },
    #[error("A binary operator with incompatible types was detected: {0}.")]
    TypeMismatch(String),
    #[error("Query option names must start with a literal '$' on this server: '{0}'.")]
    EncodedDollar(String),
}

impl ODataError {
    fn syntax(option: &'static str, message: impl Into<String>) -> Self {
        ODataError::Syntax {
            option,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests;
