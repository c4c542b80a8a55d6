//! Decode errors that say what was wrong and where.

use std::fmt;

/// Why a decode failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the value did.
    UnexpectedEof {
        /// Bytes the next item needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length word exceeded the item's IDL bound.
    LengthOverBound {
        /// The length on the wire.
        len: u32,
        /// The IDL bound.
        max: u32,
    },
    /// Padding after opaque data or a string was not zero.
    NonZeroPadding,
    /// A `bool` was neither 0 nor 1.
    InvalidBool(u32),
    /// An optional's presence word was neither 0 nor 1.
    InvalidOptional(u32),
    /// A `char` held a value outside -128..=255.
    InvalidChar(i32),
    /// A `char` or `short` member (signed or unsigned) held a value its Rust type (`i8`, `u8`,
    /// `i16`, `u16`) cannot: XDR sends them as four-byte ints.
    OutOfRange {
        /// The Rust type the value was meant for.
        ty: &'static str,
        /// The value on the wire.
        value: i64,
    },
    /// A string was not UTF-8.
    InvalidUtf8,
    /// A union discriminant matched no arm and the union has no default arm.
    UnknownUnionArm {
        /// The union's type.
        ty: &'static str,
        /// The discriminant on the wire.
        discriminant: i64,
    },
    /// Bytes were left after the value.
    TrailingBytes {
        /// How many.
        remaining: usize,
    },
}

/// An XDR decode failure, with the path of fields that led to it.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: DecodeErrorKind,
    /// Innermost field first.
    path: Vec<(&'static str, &'static str)>,
}

impl DecodeError {
    /// A new error of `kind` with an empty field path.
    #[cold]
    pub fn new(kind: DecodeErrorKind) -> Self {
        DecodeError {
            inner: Box::new(Inner {
                kind,
                path: Vec::new(),
            }),
        }
    }

    /// The input ended: `needed` bytes were wanted, `remaining` were left.
    #[cold]
    pub fn eof(needed: usize, remaining: usize) -> Self {
        Self::new(DecodeErrorKind::UnexpectedEof { needed, remaining })
    }

    /// A union of type `ty` had no arm for `discriminant`.
    #[cold]
    pub fn unknown_union_arm(ty: &'static str, discriminant: i64) -> Self {
        Self::new(DecodeErrorKind::UnknownUnionArm { ty, discriminant })
    }

    /// Records that the error happened inside field `field` of type `ty`.
    #[cold]
    pub fn in_field(mut self, ty: &'static str, field: &'static str) -> Self {
        self.inner.path.push((ty, field));
        self
    }

    /// Why the decode failed.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.inner.kind
    }

    /// The field path from the outermost type inwards, as `Type.field` items.
    pub fn path(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.inner.path.iter().rev().copied()
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEof { needed, remaining } => write!(
                f,
                "input ended early: {needed} bytes needed, {remaining} left"
            ),
            Self::LengthOverBound { len, max } => {
                write!(f, "length {len} exceeds the bound {max}")
            }
            Self::NonZeroPadding => f.write_str("non-zero padding bytes"),
            Self::InvalidBool(v) => write!(f, "invalid bool value {v}"),
            Self::InvalidOptional(v) => write!(f, "invalid optional presence word {v}"),
            Self::InvalidChar(v) => write!(f, "char value {v} out of range"),
            Self::OutOfRange { ty, value } => write!(f, "value {value} does not fit in {ty}"),
            Self::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            Self::UnknownUnionArm { ty, discriminant } => {
                write!(f, "union {ty} has no arm for discriminant {discriminant}")
            }
            Self::TrailingBytes { remaining } => {
                write!(f, "{remaining} bytes left after the value")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.inner.path.is_empty() {
            f.write_str("in ")?;
            for (i, (ty, field)) in self.path().enumerate() {
                if i == 0 {
                    write!(f, "{ty}.{field}")?;
                } else {
                    write!(f, ".{field}")?;
                }
            }
            f.write_str(": ")?;
        }
        fmt::Display::fmt(&self.inner.kind, f)
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecodeError({self})")
    }
}

impl std::error::Error for DecodeError {}
