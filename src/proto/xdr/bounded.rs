//! Variable-length XDR items with their IDL bound in the type, plus fixed opaque and char data.
//!
//! Every constructor checks the bound, so encoding never fails; every decoder checks the wire
//! length against the bound **and** against the bytes left in the input before allocating, so a
//! forged length word can neither exceed the IDL limit nor make us reserve memory for data that
//! is not there.

use std::fmt;
use std::ops::Deref;

use bytes::{BufMut, BytesMut};

use super::primitives::{read_u32, skip_padding, take};
use super::{Decode, DecodeError, DecodeErrorKind, Encode, padded_len, padding};

/// The bound of a `<>` item: no bound but the 32-bit length word (and the packet size).
pub const UNBOUNDED: u32 = u32::MAX;

/// A value was longer than its IDL bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("length {len} exceeds the protocol's bound of {max}")]
pub struct BoundError {
    /// The offered length.
    pub len: usize,
    /// The bound.
    pub max: u32,
}

#[inline]
fn check_bound(len: usize, max: u32) -> Result<(), BoundError> {
    if len > max as usize {
        Err(BoundError { len, max })
    } else {
        Ok(())
    }
}

/// Reads a length word and checks it against `max`, and that at least `len * min_item` bytes
/// remain.
#[inline]
fn read_len(src: &mut &[u8], max: u32, min_item: usize) -> Result<usize, DecodeError> {
    let len = read_u32(src)?;
    if len > max {
        return Err(DecodeError::new(DecodeErrorKind::LengthOverBound {
            len,
            max,
        }));
    }
    let len = len as usize;
    let needed = len.saturating_mul(min_item);
    if src.len() < needed {
        return Err(DecodeError::eof(needed, src.len()));
    }
    Ok(len)
}

macro_rules! bounded_common {
    ($name:ident, $inner:ty, $doc_unit:literal) => {
        impl<const MAX: u32> $name<MAX> {
            /// The IDL bound, in
            #[doc = $doc_unit]
            pub const MAX: u32 = MAX;

            /// Wraps `value` after checking it against the bound.
            pub fn new(value: impl Into<$inner>) -> Result<Self, BoundError> {
                let value = value.into();
                check_bound(value.len(), MAX)?;
                Ok(Self(value))
            }

            /// The wrapped value.
            pub fn into_inner(self) -> $inner {
                self.0
            }
        }

        impl<const MAX: u32> Deref for $name<MAX> {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.0
            }
        }

        impl<const MAX: u32> From<$name<MAX>> for $inner {
            fn from(v: $name<MAX>) -> $inner {
                v.0
            }
        }

        impl<const MAX: u32> TryFrom<$inner> for $name<MAX> {
            type Error = BoundError;
            fn try_from(v: $inner) -> Result<Self, BoundError> {
                Self::new(v)
            }
        }
    };
}

/// `string x<MAX>`: UTF-8 text of at most `MAX` bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct XdrString<const MAX: u32>(String);

bounded_common!(XdrString, String, "bytes.");

impl<const MAX: u32> XdrString<MAX> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: u32> TryFrom<&str> for XdrString<MAX> {
    type Error = BoundError;
    fn try_from(v: &str) -> Result<Self, BoundError> {
        check_bound(v.len(), MAX)?;
        Ok(Self(v.to_owned()))
    }
}

impl<const MAX: u32> fmt::Debug for XdrString<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<const MAX: u32> fmt::Display for XdrString<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: u32> PartialEq<str> for XdrString<MAX> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl<const MAX: u32> PartialEq<&str> for XdrString<MAX> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<const MAX: u32> Encode for XdrString<MAX> {
    #[inline]
    fn encode(&self, out: &mut BytesMut) {
        encode_opaque(self.0.as_bytes(), out);
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        4 + padded_len(self.0.len())
    }
}

impl<const MAX: u32> Decode for XdrString<MAX> {
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        let bytes = decode_opaque_slice(src, MAX)?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))?;
        Ok(Self(text.to_owned()))
    }
}

/// `opaque x<MAX>`: at most `MAX` bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Opaque<const MAX: u32>(Vec<u8>);

bounded_common!(Opaque, Vec<u8>, "bytes.");

impl<const MAX: u32> Opaque<MAX> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl<const MAX: u32> TryFrom<&[u8]> for Opaque<MAX> {
    type Error = BoundError;
    fn try_from(v: &[u8]) -> Result<Self, BoundError> {
        check_bound(v.len(), MAX)?;
        Ok(Self(v.to_vec()))
    }
}

impl<const MAX: u32> fmt::Debug for Opaque<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Opaque({} bytes)", self.0.len())
    }
}

impl<const MAX: u32> Encode for Opaque<MAX> {
    #[inline]
    fn encode(&self, out: &mut BytesMut) {
        encode_opaque(&self.0, out);
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        4 + padded_len(self.0.len())
    }
}

impl<const MAX: u32> Decode for Opaque<MAX> {
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        decode_opaque_slice(src, MAX).map(|b| Self(b.to_vec()))
    }
}

/// Writes a length word, the bytes and their zero padding.
#[inline]
fn encode_opaque(bytes: &[u8], out: &mut BytesMut) {
    out.reserve(4 + padded_len(bytes.len()));
    out.put_u32(bytes.len() as u32);
    out.put_slice(bytes);
    out.put_bytes(0, padding(bytes.len()));
}

/// Reads a bounded, padded opaque item and returns its bytes without copying them.
#[inline]
fn decode_opaque_slice<'a>(src: &mut &'a [u8], max: u32) -> Result<&'a [u8], DecodeError> {
    let len = read_len(src, max, 1)?;
    let bytes = take(src, len)?;
    skip_padding(src, padding(len))?;
    Ok(bytes)
}

/// `T x<MAX>`: at most `MAX` items.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct XdrVec<T, const MAX: u32>(Vec<T>);

impl<T, const MAX: u32> Default for XdrVec<T, MAX> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T, const MAX: u32> XdrVec<T, MAX> {
    /// The IDL bound, in items.
    pub const MAX: u32 = MAX;

    /// Wraps `items` after checking their count against the bound.
    pub fn new(items: Vec<T>) -> Result<Self, BoundError> {
        check_bound(items.len(), MAX)?;
        Ok(Self(items))
    }

    /// The items.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The wrapped items.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T, const MAX: u32> Deref for XdrVec<T, MAX> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T, const MAX: u32> TryFrom<Vec<T>> for XdrVec<T, MAX> {
    type Error = BoundError;
    fn try_from(v: Vec<T>) -> Result<Self, BoundError> {
        Self::new(v)
    }
}

impl<T, const MAX: u32> From<XdrVec<T, MAX>> for Vec<T> {
    fn from(v: XdrVec<T, MAX>) -> Vec<T> {
        v.0
    }
}

impl<T, const MAX: u32> IntoIterator for XdrVec<T, MAX> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T, const MAX: u32> IntoIterator for &'a XdrVec<T, MAX> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: fmt::Debug, const MAX: u32> fmt::Debug for XdrVec<T, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<T: Encode, const MAX: u32> Encode for XdrVec<T, MAX> {
    fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.0.len() as u32);
        for item in &self.0 {
            item.encode(out);
        }
    }
    fn encoded_len(&self) -> usize {
        4 + self.0.iter().map(Encode::encoded_len).sum::<usize>()
    }
}

impl<T: Decode, const MAX: u32> Decode for XdrVec<T, MAX> {
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        // Every XDR item but `void` takes at least four bytes, so a count larger than a quarter
        // of the input cannot be genuine. Arrays of void do not occur in libvirt's protocol.
        let len = read_len(src, MAX, 4)?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(T::decode(src)?);
        }
        Ok(Self(items))
    }
}

/// `opaque x[N]`: exactly `N` bytes, padded.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FixedOpaque<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for FixedOpaque<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> fmt::Debug for FixedOpaque<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl<const N: usize> Encode for FixedOpaque<N> {
    #[inline]
    fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.0);
        out.put_bytes(0, padding(N));
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        padded_len(N)
    }
}

impl<const N: usize> Decode for FixedOpaque<N> {
    #[inline]
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(take(src, N)?);
        skip_padding(src, padding(N))?;
        Ok(Self(out))
    }
}

/// Encodes one `char`: an XDR int holding the byte's signed value, as C's `xdr_char` does.
#[inline]
fn put_char(b: u8, out: &mut BytesMut) {
    out.put_i32(i32::from(b as i8));
}

/// Decodes one `char`, accepting the signed (-128..=127) and unsigned (0..=255) readings.
#[inline]
fn get_char(src: &mut &[u8]) -> Result<u8, DecodeError> {
    let v = read_u32(src)? as i32;
    if (-128..=255).contains(&v) {
        Ok(v as u8)
    } else {
        Err(DecodeError::new(DecodeErrorKind::InvalidChar(v)))
    }
}

/// `char x[N]`: exactly `N` bytes, **four wire bytes each**.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FixedChars<const N: usize>(pub [u8; N]);

impl<const N: usize> FixedChars<N> {
    /// The bytes up to the first NUL, as text (lossy), the way C reads such a buffer.
    pub fn to_string_lossy(&self) -> String {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        String::from_utf8_lossy(&self.0[..end]).into_owned()
    }
}

impl<const N: usize> Default for FixedChars<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> fmt::Debug for FixedChars<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

impl<const N: usize> Encode for FixedChars<N> {
    fn encode(&self, out: &mut BytesMut) {
        out.reserve(4 * N);
        for &b in &self.0 {
            put_char(b, out);
        }
    }
    fn encoded_len(&self) -> usize {
        4 * N
    }
}

impl<const N: usize> Decode for FixedChars<N> {
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = get_char(src)?;
        }
        Ok(Self(out))
    }
}

/// `char x<MAX>`: at most `MAX` bytes, **four wire bytes each** (libvirt's SASL data).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Chars<const MAX: u32>(Vec<u8>);

bounded_common!(Chars, Vec<u8>, "bytes.");

impl<const MAX: u32> Chars<MAX> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl<const MAX: u32> TryFrom<&[u8]> for Chars<MAX> {
    type Error = BoundError;
    fn try_from(v: &[u8]) -> Result<Self, BoundError> {
        check_bound(v.len(), MAX)?;
        Ok(Self(v.to_vec()))
    }
}

impl<const MAX: u32> fmt::Debug for Chars<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Chars({} bytes)", self.0.len())
    }
}

impl<const MAX: u32> Encode for Chars<MAX> {
    fn encode(&self, out: &mut BytesMut) {
        out.reserve(4 + 4 * self.0.len());
        out.put_u32(self.0.len() as u32);
        for &b in &self.0 {
            put_char(b, out);
        }
    }
    fn encoded_len(&self) -> usize {
        4 + 4 * self.0.len()
    }
}

impl<const MAX: u32> Decode for Chars<MAX> {
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        let len = read_len(src, MAX, 4)?;
        let mut out = Vec::with_capacity(len);
        for _ in 0..len {
            out.push(get_char(src)?);
        }
        Ok(Self(out))
    }
}
