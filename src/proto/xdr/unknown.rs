//! The value a generated enum keeps when the wire carries a number the IDL does not name.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

/// A wire value that names no member of the enum `E`, held by `E`'s `Unknown` variant.
///
/// Only decoding and `E::from_i32` make one (its constructor is private to this crate), and
/// they give the named member whenever there is one, so an unknown value never aliases a member:
/// two values of `E` are equal exactly when they encode the same. (prost keeps open enums as
/// plain `i32` for the same reason; here the name is kept and the number wrapped.)
///
/// ```
/// use virtwire::DomainState;
///
/// assert_eq!(DomainState::from_i32(1), DomainState::Running);
/// let odd = DomainState::from_i32(99);
/// assert!(matches!(odd, DomainState::Unknown(v) if v.get() == 99));
/// assert_eq!(odd.to_i32(), 99);
/// ```
///
/// Outside the crate an unknown value cannot be made up, so none can alias a member:
///
/// ```compile_fail
/// use virtwire::{DomainState, proto::xdr::UnknownValue};
///
/// let fake = DomainState::Unknown(UnknownValue::new(1));
/// ```
pub struct UnknownValue<E> {
    value: i32,
    _enum: PhantomData<fn() -> E>,
}

impl<E> UnknownValue<E> {
    /// Wraps `value`; the caller has checked that no member of `E` has it.
    pub(crate) const fn new(value: i32) -> Self {
        UnknownValue {
            value,
            _enum: PhantomData,
        }
    }

    /// The value on the wire.
    pub const fn get(self) -> i32 {
        self.value
    }
}

impl<E> Clone for UnknownValue<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for UnknownValue<E> {}

impl<E> PartialEq for UnknownValue<E> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<E> Eq for UnknownValue<E> {}

impl<E> Hash for UnknownValue<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

/// The number alone, so that `Unknown(7)` reads as it is sent.
impl<E> fmt::Debug for UnknownValue<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.value, f)
    }
}

impl<E> fmt::Display for UnknownValue<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl<E> From<UnknownValue<E>> for i32 {
    fn from(v: UnknownValue<E>) -> i32 {
        v.value
    }
}
