//! Encodings of XDR's scalar types, `void`, optional data and fixed arrays.

use bytes::{BufMut, BytesMut};

use super::{Decode, DecodeError, DecodeErrorKind, Encode};

/// Splits `n` bytes off the front of `src`.
#[inline]
pub(crate) fn take<'a>(src: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if src.len() < n {
        return Err(DecodeError::eof(n, src.len()));
    }
    let (head, tail) = src.split_at(n);
    *src = tail;
    Ok(head)
}

#[inline]
fn take_array<const N: usize>(src: &mut &[u8]) -> Result<[u8; N], DecodeError> {
    let bytes = take(src, N)?;
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

/// Reads a big-endian `u32`.
#[inline]
pub(crate) fn read_u32(src: &mut &[u8]) -> Result<u32, DecodeError> {
    take_array::<4>(src).map(u32::from_be_bytes)
}

/// Skips `n` padding bytes, which must all be zero.
#[inline]
pub(crate) fn skip_padding(src: &mut &[u8], n: usize) -> Result<(), DecodeError> {
    if take(src, n)?.iter().any(|&b| b != 0) {
        return Err(DecodeError::new(DecodeErrorKind::NonZeroPadding));
    }
    Ok(())
}

macro_rules! scalar {
    ($ty:ty, $n:literal, $put:ident) => {
        impl Encode for $ty {
            #[inline]
            fn encode(&self, out: &mut BytesMut) {
                out.$put(*self);
            }
            #[inline]
            fn encoded_len(&self) -> usize {
                $n
            }
        }
        impl Decode for $ty {
            #[inline]
            fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
                take_array::<$n>(src).map(<$ty>::from_be_bytes)
            }
        }
    };
}

scalar!(i32, 4, put_i32);
scalar!(u32, 4, put_u32);
scalar!(i64, 8, put_i64);
scalar!(u64, 8, put_u64);
scalar!(f32, 4, put_f32);
scalar!(f64, 8, put_f64);

/// `char` and `short` (signed or unsigned): a four-byte `int` (or `unsigned int`) on the wire, as
/// RFC 4506 has no narrower integer. Decoding refuses a value the Rust type cannot hold rather than
/// truncating it.
macro_rules! narrow {
    ($ty:ty, $wire:ty, $put:ident) => {
        impl Encode for $ty {
            #[inline]
            fn encode(&self, out: &mut BytesMut) {
                out.$put(<$wire>::from(*self));
            }
            #[inline]
            fn encoded_len(&self) -> usize {
                4
            }
        }
        impl Decode for $ty {
            #[inline]
            fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
                let wide = <$wire>::decode(src)?;
                <$ty>::try_from(wide).map_err(|_| {
                    DecodeError::new(DecodeErrorKind::OutOfRange {
                        ty: stringify!($ty),
                        value: i64::from(wide),
                    })
                })
            }
        }
    };
}

narrow!(i8, i32, put_i32);
narrow!(u8, u32, put_u32);
narrow!(i16, i32, put_i32);
narrow!(u16, u32, put_u32);

impl Encode for bool {
    #[inline]
    fn encode(&self, out: &mut BytesMut) {
        out.put_u32(u32::from(*self));
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        4
    }
}

impl Decode for bool {
    #[inline]
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        match read_u32(src)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(DecodeError::new(DecodeErrorKind::InvalidBool(v))),
        }
    }
}

/// `void`: nothing on the wire.
impl Encode for () {
    #[inline]
    fn encode(&self, _out: &mut BytesMut) {}
    #[inline]
    fn encoded_len(&self) -> usize {
        0
    }
}

impl Decode for () {
    #[inline]
    fn decode(_src: &mut &[u8]) -> Result<Self, DecodeError> {
        Ok(())
    }
}

/// Optional data (`T *x`): a presence word 0 or 1, then the value when present.
impl<T: Encode> Encode for Option<T> {
    #[inline]
    fn encode(&self, out: &mut BytesMut) {
        match self {
            None => out.put_u32(0),
            Some(v) => {
                out.put_u32(1);
                v.encode(out);
            }
        }
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        4 + self.as_ref().map_or(0, Encode::encoded_len)
    }
}

impl<T: Decode> Decode for Option<T> {
    #[inline]
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        match read_u32(src)? {
            0 => Ok(None),
            1 => T::decode(src).map(Some),
            v => Err(DecodeError::new(DecodeErrorKind::InvalidOptional(v))),
        }
    }
}

impl<T: Encode> Encode for Box<T> {
    #[inline]
    fn encode(&self, out: &mut BytesMut) {
        (**self).encode(out);
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
}

impl<T: Decode> Decode for Box<T> {
    #[inline]
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        T::decode(src).map(Box::new)
    }
}

/// A fixed-length array `T x[N]`: the elements, no count.
impl<T: Encode, const N: usize> Encode for [T; N] {
    fn encode(&self, out: &mut BytesMut) {
        for item in self {
            item.encode(out);
        }
    }
    fn encoded_len(&self) -> usize {
        self.iter().map(Encode::encoded_len).sum()
    }
}

impl<T: Decode, const N: usize> Decode for [T; N] {
    fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
        // N is an IDL constant, not a wire value: allocating N items is bounded by the IDL.
        let mut items = Vec::with_capacity(N);
        for _ in 0..N {
            items.push(T::decode(src)?);
        }
        Ok(items
            .try_into()
            .unwrap_or_else(|_| unreachable!("exactly N items were decoded")))
    }
}
