//! The XDR runtime (RFC 4506) that generated code builds on.
//!
//! Encoding writes straight into a [`BytesMut`]; decoding reads from a `&mut &[u8]` cursor that
//! advances past what was consumed. Every variable-length item is checked against its IDL bound
//! and against the bytes actually present **before** anything is allocated, so a hostile length
//! word costs nothing (see [`XdrVec`] and its siblings).
//!
//! Why hand-written: the XDR crates on crates.io either ignore IDL bounds (allocating whatever a
//! length word asks for), cannot express libvirt's dialect, or are unmaintained; this runtime is
//! small and every rule in it is tested.

#[cfg(feature = "arbitrary")]
mod arbitrary_impls;
mod bounded;
mod error;
mod flags;
mod primitives;
mod structs;
mod unknown;

use bytes::BytesMut;

#[cfg(feature = "arbitrary")]
pub use arbitrary_impls::{BoundedItem, check_bound, check_round_trip, encode_arbitrary};
pub use bounded::{
    BoundError, Chars, FixedChars, FixedOpaque, Opaque, UNBOUNDED, XdrString, XdrVec,
};
pub use error::{DecodeError, DecodeErrorKind};
pub(crate) use flags::impl_flags;
pub(crate) use structs::xdr_struct;
pub use unknown::UnknownValue;

/// A value with an XDR encoding.
pub trait Encode {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut BytesMut);

    /// The exact number of bytes [`Encode::encode`] appends.
    fn encoded_len(&self) -> usize;
}

/// A value that can be read back from its XDR encoding.
pub trait Decode: Sized {
    /// Reads one value from the front of `src` and advances `src` past it.
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError>;
}

/// Bytes that are already XDR-encoded, written as they are (e.g. a payload built by
/// [`encode_default`] or captured from the wire).
#[derive(Debug, Clone, Copy)]
pub struct PreEncoded<'a>(pub &'a [u8]);

impl Encode for PreEncoded<'_> {
    fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.0);
    }
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
}

/// Decodes one `T` from `bytes`, which must hold exactly one encoded value: trailing bytes are
/// an error (a payload longer than its type means the peers disagree on the protocol).
pub fn decode_exact<T: Decode>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut src = bytes;
    let value = T::decode(&mut src)?;
    if !src.is_empty() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes {
            remaining: src.len(),
        }));
    }
    Ok(value)
}

/// Encodes `value` into a new buffer of exactly the right size.
pub fn encode_to_vec<T: Encode + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = BytesMut::with_capacity(value.encoded_len());
    value.encode(&mut out);
    out.to_vec()
}

/// Appends the encoding of `T::default()`; a type-erasable helper for procedure tables.
pub fn encode_default<T: Encode + Default>(out: &mut BytesMut) {
    T::default().encode(out);
}

/// Checks that `bytes` decode exactly as one `T`; a type-erasable helper for procedure tables.
pub fn check_decode<T: Decode>(bytes: &[u8]) -> Result<(), DecodeError> {
    decode_exact::<T>(bytes).map(drop)
}

/// Decodes field `field` of type `ty`; on error, records the field in the error's path.
/// Generated code calls this for every struct member.
#[inline]
pub fn decode_field<T: Decode>(
    src: &mut &[u8],
    ty: &'static str,
    field: &'static str,
) -> Result<T, DecodeError> {
    // `xdr_struct!` passes raw identifiers as written (`r#type`): the path shows the IDL name.
    T::decode(src).map_err(|e| e.in_field(ty, field.strip_prefix("r#").unwrap_or(field)))
}

/// Number of zero bytes that pad `len` bytes to a multiple of four.
#[inline]
pub const fn padding(len: usize) -> usize {
    (4 - (len & 3)) & 3
}

/// Length of `len` bytes of opaque data once padded.
#[inline]
pub const fn padded_len(len: usize) -> usize {
    len + padding(len)
}

#[cfg(test)]
mod tests;
