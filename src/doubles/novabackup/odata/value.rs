//! Typed property values and the comparison rules of `$filter` and `$orderby`.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

/// The declared type of a property (GUIDs are strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    Dec,
    Bool,
    Str,
    Date,
}

impl Ty {
    fn is_numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Dec)
    }

    /// Whether values of these types (`None` = the `null` literal) can be compared.
    pub fn comparable(a: Option<Ty>, b: Option<Ty>) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => x == y || (x.is_numeric() && y.is_numeric()),
            _ => true,
        }
    }
}

/// A property or literal value during evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Dec(f64),
    Str(&'a str),
    Date(DateTime<Utc>),
}

impl Val<'_> {
    /// Order of two non-null values of comparable types; `None` when either is null.
    pub fn partial(self, other: Val<'_>) -> Option<Ordering> {
        match (self, other) {
            (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(&b)),
            (Val::Int(a), Val::Int(b)) => Some(a.cmp(&b)),
            (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
            (Val::Date(a), Val::Date(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        }
    }

    /// OData `eq`: nulls are equal only to null.
    pub fn equals(self, other: Val<'_>) -> bool {
        match (self, other) {
            (Val::Null, Val::Null) => true,
            (Val::Null, _) | (_, Val::Null) => false,
            (a, b) => a.partial(b) == Some(Ordering::Equal),
        }
    }

    /// Total order for `$orderby`: nulls first.
    pub fn sort_cmp(self, other: Val<'_>) -> Ordering {
        match (self, other) {
            (Val::Null, Val::Null) => Ordering::Equal,
            (Val::Null, _) => Ordering::Less,
            (_, Val::Null) => Ordering::Greater,
            (a, b) => a.partial(b).unwrap_or(Ordering::Equal),
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(i as f64),
            Val::Dec(d) => Some(d),
            _ => None,
        }
    }
}

impl From<bool> for Val<'_> {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}

impl From<i64> for Val<'_> {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(v: &'a str) -> Self {
        Val::Str(v)
    }
}

impl From<DateTime<Utc>> for Val<'_> {
    fn from(v: DateTime<Utc>) -> Self {
        Val::Date(v)
    }
}

impl<'a, T: Into<Val<'a>>> From<Option<T>> for Val<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_sort_first_and_equal_only_null() {
        assert_eq!(Val::Null.sort_cmp(Val::Int(1)), Ordering::Less);
        assert!(Val::Null.equals(Val::Null));
        assert!(!Val::Null.equals(Val::Int(0)));
        assert_eq!(Val::Null.partial(Val::Int(1)), None);
    }

    #[test]
    fn numbers_compare_across_int_and_decimal() {
        assert!(Val::Int(2).equals(Val::Dec(2.0)));
        assert_eq!(Val::Dec(1.5).partial(Val::Int(2)), Some(Ordering::Less));
    }
}
