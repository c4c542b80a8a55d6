//! The behaviour every generated flags type shares (`@flags` enums in `protocol/c_*.x`).
//!
//! The generator writes each flags type as `pub struct Name(pub u32)` with one associated
//! constant per named bit, then invokes [`impl_flags!`](crate::proto::xdr::impl_flags) for the
//! rest: set operations, conversions, a `Debug` that names the known bits and shows the others
//! in hexadecimal, and the XDR encoding (an `unsigned int`). Unknown bits are always kept.

/// Implements a flags type's shared behaviour; see the module documentation.
///
/// `zero` is how `Debug` shows the empty set (the name of a zero-valued member, or `empty`),
/// `all` the union of the named bits, and `known` the named constants in IDL order.
macro_rules! impl_flags {
    ($name:ident, zero = $zero:literal, all = $all:expr, known = [$($flag:ident),* $(,)?]) => {
        impl $name {
            /// No flag set.
            pub const fn empty() -> Self {
                Self(0)
            }
            /// The bits as sent on the wire.
            pub const fn bits(self) -> u32 {
                self.0
            }
            /// The flags with these bits, named or not.
            pub const fn from_bits_retain(bits: u32) -> Self {
                Self(bits)
            }
            /// Whether no bit is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            /// Whether every bit of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
            /// Whether `self` and `other` have a bit in common.
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }
            /// The bits set in `self` or in `other`.
            pub const fn union(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }
            /// The bits set in both `self` and `other`.
            pub const fn intersection(self, other: Self) -> Self {
                Self(self.0 & other.0)
            }
            /// The bits set in `self` but not in `other`.
            pub const fn difference(self, other: Self) -> Self {
                Self(self.0 & !other.0)
            }
            /// Sets the bits of `other`.
            pub fn insert(&mut self, other: Self) {
                self.0 |= other.0;
            }
            /// Clears the bits of `other`.
            pub fn remove(&mut self, other: Self) {
                self.0 &= !other.0;
            }
            /// Every bit that has a name.
            pub const fn all() -> Self {
                Self($all)
            }
            /// The named flags with their names, in IDL order.
            pub const fn known() -> &'static [(&'static str, Self)] {
                &[$((stringify!($flag), Self::$flag)),*]
            }
        }

        impl ::core::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        impl ::core::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                self.0 |= rhs.0;
            }
        }

        impl ::core::ops::BitAnd for $name {
            type Output = Self;
            fn bitand(self, rhs: Self) -> Self {
                Self(self.0 & rhs.0)
            }
        }

        impl ::core::ops::BitAndAssign for $name {
            fn bitand_assign(&mut self, rhs: Self) {
                self.0 &= rhs.0;
            }
        }

        impl ::core::convert::From<$name> for u32 {
            fn from(flags: $name) -> u32 {
                flags.0
            }
        }

        impl ::core::convert::From<u32> for $name {
            fn from(bits: u32) -> Self {
                Self(bits)
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                if self.0 == 0 {
                    return f.write_str(concat!($zero, ")"));
                }
                let mut rest = self.0;
                let mut sep = "";
                for &(flag_name, flag) in Self::known() {
                    if flag.0 != 0 && self.0 & flag.0 == flag.0 && rest & flag.0 != 0 {
                        f.write_str(sep)?;
                        f.write_str(flag_name)?;
                        rest &= !flag.0;
                        sep = " | ";
                    }
                }
                if rest != 0 {
                    write!(f, "{sep}{rest:#x}")?;
                }
                f.write_str(")")
            }
        }

        impl $crate::proto::xdr::Encode for $name {
            fn encode(&self, out: &mut ::bytes::BytesMut) {
                $crate::proto::xdr::Encode::encode(&self.0, out);
            }
            fn encoded_len(&self) -> usize {
                4
            }
        }

        impl $crate::proto::xdr::Decode for $name {
            fn decode(
                src: &mut &[u8],
            ) -> ::core::result::Result<Self, $crate::proto::xdr::DecodeError> {
                <u32 as $crate::proto::xdr::Decode>::decode(src).map(Self)
            }
        }

        /// Any bits: every `u32` is a canonical flags value.
        #[cfg(feature = "arbitrary")]
        impl<'a> ::arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut ::arbitrary::Unstructured<'a>) -> ::arbitrary::Result<Self> {
                ::arbitrary::Arbitrary::arbitrary(u).map(Self)
            }
        }
    };
}

pub(crate) use impl_flags;
