//! `$filter`: a recursive-descent parser into a type-checked expression tree, and its evaluation.
//!
//! Precedence, loosest first: `or`, `and`, `not`, comparison. Property paths may cross one
//! single-valued navigation property (`Group/TenantId`).

use chrono::{DateTime, Utc};

use super::lexer::{Tok, tokenize};
use super::{Dataset, NavValue, ODataError, Row, Schema, Ty, Val};

const OPTION: &str = "$filter";

/// A bound reference to a property, possibly behind one navigation property.
#[derive(Debug, Clone, PartialEq)]
pub struct PropRef {
    nav: Option<String>,
    index: usize,
    ty: Ty,
}

impl PropRef {
    /// Resolve `Prop` or `Nav/Prop` against a schema.
    pub fn resolve(schema: &dyn Schema, path: &str) -> Result<Self, ODataError> {
        let unknown = |name: &str, on: &dyn Schema| ODataError::UnknownProperty {
            name: name.to_owned(),
            type_name: on.type_name(),
        };
        let (nav, target, name) = match path.split_once('/') {
            None => (None, schema, path),
            Some((nav, rest)) => match schema.nav(nav) {
                Some((target, false)) => (Some(nav.to_owned()), target, rest),
                Some((_, true)) => {
                    return Err(ODataError::syntax(
                        OPTION,
                        format!("'{nav}' is a collection; lambda operators are not supported"),
                    ));
                }
                None => return Err(unknown(nav, schema)),
            },
        };
        let (index, ty) = target.prop(name).ok_or_else(|| unknown(name, target))?;
        Ok(PropRef { nav, index, ty })
    }

    /// The property's value on a row (`Null` when the navigation target is missing).
    pub fn value<'a>(&self, row: &'a dyn Row, ds: &'a Dataset) -> Val<'a> {
        match &self.nav {
            None => row.field(self.index),
            Some(nav) => match row.nav(ds, nav) {
                NavValue::One(Some(target)) => target.field(self.index),
                _ => Val::Null,
            },
        }
    }
}

/// A literal of a filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Dec(f64),
    Str(String),
    Date(DateTime<Utc>),
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Lit(Lit),
    Prop(PropRef),
}

impl Operand {
    fn ty(&self) -> Option<Ty> {
        match self {
            Operand::Prop(p) => Some(p.ty),
            Operand::Lit(lit) => match lit {
                Lit::Null => None,
                Lit::Bool(_) => Some(Ty::Bool),
                Lit::Int(_) => Some(Ty::Int),
                Lit::Dec(_) => Some(Ty::Dec),
                Lit::Str(_) => Some(Ty::Str),
                Lit::Date(_) => Some(Ty::Date),
            },
        }
    }

    fn value<'a>(&'a self, row: &'a dyn Row, ds: &'a Dataset) -> Val<'a> {
        match self {
            Operand::Prop(p) => p.value(row, ds),
            Operand::Lit(lit) => match lit {
                Lit::Null => Val::Null,
                Lit::Bool(b) => Val::Bool(*b),
                Lit::Int(i) => Val::Int(*i),
                Lit::Dec(d) => Val::Dec(*d),
                Lit::Str(s) => Val::Str(s),
                Lit::Date(d) => Val::Date(*d),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            _ => return None,
        })
    }

    fn holds(self, a: Val<'_>, b: Val<'_>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            CmpOp::Eq => a.equals(b),
            CmpOp::Ne => !a.equals(b),
            CmpOp::Gt => a.partial(b) == Some(Greater),
            CmpOp::Ge => matches!(a.partial(b), Some(Greater | Equal)),
            CmpOp::Lt => a.partial(b) == Some(Less),
            CmpOp::Le => matches!(a.partial(b), Some(Less | Equal)),
        }
    }
}

/// The string functions of the subset (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrFunc {
    Contains,
    StartsWith,
    EndsWith,
}

impl StrFunc {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "contains" => StrFunc::Contains,
            "startswith" => StrFunc::StartsWith,
            "endswith" => StrFunc::EndsWith,
            _ => return None,
        })
    }

    fn holds(self, subject: Val<'_>, needle: Val<'_>) -> bool {
        let (Val::Str(s), Val::Str(n)) = (subject, needle) else {
            return false;
        };
        let (s, n) = (s.to_lowercase(), n.to_lowercase());
        match self {
            StrFunc::Contains => s.contains(&n),
            StrFunc::StartsWith => s.starts_with(&n),
            StrFunc::EndsWith => s.ends_with(&n),
        }
    }
}

/// A parsed, type-checked `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Operand, CmpOp, Operand),
    Func(StrFunc, Operand, Operand),
    /// A bare boolean property or literal.
    Is(Operand),
}

impl Expr {
    /// Parse a `$filter` value against the collection's schema.
    pub fn parse(src: &str, schema: &dyn Schema) -> Result<Self, ODataError> {
        let tokens = tokenize(src).map_err(|m| ODataError::syntax(OPTION, m))?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            schema,
        };
        let expr = parser.or()?;
        match parser.peek() {
            None => Ok(expr),
            Some(tok) => Err(ODataError::syntax(OPTION, format!("unexpected {tok:?}"))),
        }
    }

    /// Whether a row matches.
    pub fn matches(&self, row: &dyn Row, ds: &Dataset) -> bool {
        match self {
            Expr::And(a, b) => a.matches(row, ds) && b.matches(row, ds),
            Expr::Or(a, b) => a.matches(row, ds) || b.matches(row, ds),
            Expr::Not(e) => !e.matches(row, ds),
            Expr::Cmp(a, op, b) => op.holds(a.value(row, ds), b.value(row, ds)),
            Expr::Func(f, a, b) => f.holds(a.value(row, ds), b.value(row, ds)),
            Expr::Is(a) => a.value(row, ds) == Val::Bool(true),
        }
    }
}

/// What a primary expression turned out to be.
enum Term {
    Bool(Expr),
    Value(Operand),
}

struct Parser<'s> {
    tokens: Vec<Tok>,
    pos: usize,
    schema: &'s dyn Schema,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Result<Tok, ODataError> {
        let tok = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        tok.ok_or_else(|| ODataError::syntax(OPTION, "unexpected end of expression"))
    }

    fn expect(&mut self, want: Tok) -> Result<(), ODataError> {
        match self.next()? {
            tok if tok == want => Ok(()),
            tok => Err(ODataError::syntax(
                OPTION,
                format!("expected {want:?}, found {tok:?}"),
            )),
        }
    }

    fn keyword(&mut self, word: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Ident(w)) if w == word);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn or(&mut self) -> Result<Expr, ODataError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ODataError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ODataError> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ODataError> {
        let left = self.primary()?;
        let op = match self.peek() {
            Some(Tok::Ident(w)) => CmpOp::parse(w),
            _ => None,
        };
        let Some(op) = op else {
            return match left {
                Term::Bool(e) => Ok(e),
                Term::Value(v) if v.ty() == Some(Ty::Bool) => Ok(Expr::Is(v)),
                Term::Value(v) => Err(ODataError::syntax(
                    OPTION,
                    format!("expected a boolean expression, found {v:?}"),
                )),
            };
        };
        self.pos += 1;
        let (left, right) = (self.value(left)?, self.primary()?);
        let right = self.value(right)?;
        if !Ty::comparable(left.ty(), right.ty()) {
            return Err(ODataError::TypeMismatch(format!(
                "{:?} and {:?}",
                left.ty(),
                right.ty()
            )));
        }
        Ok(Expr::Cmp(left, op, right))
    }

    fn value(&self, term: Term) -> Result<Operand, ODataError> {
        match term {
            Term::Value(v) => Ok(v),
            Term::Bool(e) => Err(ODataError::syntax(
                OPTION,
                format!("a boolean expression cannot be compared: {e:?}"),
            )),
        }
    }

    fn primary(&mut self) -> Result<Term, ODataError> {
        let lit = |l| Ok(Term::Value(Operand::Lit(l)));
        match self.next()? {
            Tok::LParen => {
                let inner = self.or()?;
                self.expect(Tok::RParen)?;
                Ok(Term::Bool(inner))
            }
            Tok::Str(s) => lit(Lit::Str(s)),
            Tok::Int(i) => lit(Lit::Int(i)),
            Tok::Dec(d) => lit(Lit::Dec(d)),
            Tok::Date(d) => lit(Lit::Date(d)),
            Tok::Ident(w) if w == "null" => lit(Lit::Null),
            Tok::Ident(w) if w == "true" || w == "false" => lit(Lit::Bool(w == "true")),
            Tok::Ident(w) if self.peek() == Some(&Tok::LParen) => self.call(&w),
            Tok::Ident(w) => Ok(Term::Value(Operand::Prop(PropRef::resolve(
                self.schema,
                &w,
            )?))),
            tok => Err(ODataError::syntax(OPTION, format!("unexpected {tok:?}"))),
        }
    }

    fn call(&mut self, name: &str) -> Result<Term, ODataError> {
        let func = StrFunc::parse(name)
            .ok_or_else(|| ODataError::syntax(OPTION, format!("unknown function '{name}'")))?;
        self.expect(Tok::LParen)?;
        let subject = self.primary()?;
        let subject = self.value(subject)?;
        self.expect(Tok::Comma)?;
        let needle = self.primary()?;
        let needle = self.value(needle)?;
        self.expect(Tok::RParen)?;
        for arg in [&subject, &needle] {
            if !Ty::comparable(arg.ty(), Some(Ty::Str)) {
                return Err(ODataError::TypeMismatch(format!(
                    "{name} needs strings, got {:?}",
                    arg.ty()
                )));
            }
        }
        Ok(Term::Bool(Expr::Func(func, subject, needle)))
    }
}
