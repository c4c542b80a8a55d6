//! Random values of the runtime's types, within their IDL bounds (feature `arbitrary`), and the
//! generic checks the generated per-type tables point at: every generated type round-trips,
//! and every bounded type refuses one item past its bound.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::{
    BoundError, Chars, Decode, DecodeErrorKind, Encode, FixedChars, FixedOpaque, Opaque, XdrString,
    XdrVec, decode_exact, encode_to_vec,
};

/// Picks a length for a bounded item: what the input offers, at most `max`.
fn bounded_len(u: &mut Unstructured<'_>, max: u32, item_size: usize) -> Result<usize> {
    let offered = u.arbitrary_len::<u8>()? / item_size.max(1);
    Ok(offered.min(max as usize))
}

impl<'a, const MAX: u32> Arbitrary<'a> for XdrString<MAX> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut s = String::arbitrary(u)?;
        let mut end = s.len().min(MAX as usize);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        Ok(Self::new(s).unwrap_or_default())
    }
}

impl<'a, const MAX: u32> Arbitrary<'a> for Opaque<MAX> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = bounded_len(u, MAX, 1)?;
        Ok(Self::new(u.bytes(len)?.to_vec()).unwrap_or_default())
    }
}

impl<'a, const MAX: u32> Arbitrary<'a> for Chars<MAX> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = bounded_len(u, MAX, 1)?;
        Ok(Self::new(u.bytes(len)?.to_vec()).unwrap_or_default())
    }
}

impl<'a, T: Arbitrary<'a>, const MAX: u32> Arbitrary<'a> for XdrVec<T, MAX> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = bounded_len(u, MAX, std::mem::size_of::<T>())?;
        let items = (0..len)
            .map(|_| T::arbitrary(u))
            .collect::<Result<Vec<T>>>()?;
        Ok(Self::new(items).unwrap_or_default())
    }
}

impl<'a, const N: usize> Arbitrary<'a> for FixedOpaque<N> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self(<[u8; N]>::arbitrary(u)?))
    }
}

impl<'a, const N: usize> Arbitrary<'a> for FixedChars<N> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self(<[u8; N]>::arbitrary(u)?))
    }
}

/// Draws a `T`, encodes it, and checks that the length is as computed and that decoding gives
/// the value back: equal, or (for NaN doubles, which are never equal) printed the same. So a
/// value that decodes as another one (`Unknown(1)` where 1 is a member) fails the check.
///
/// `T` owns its data (`for<'a> Arbitrary<'a>`), so that `check_round_trip::<T>` is a
/// `fn(&mut Unstructured<'_>) -> …` for any input's lifetime, as the generated
/// `ROUND_TRIP_CHECKS` tables hold it.
pub fn check_round_trip<T>(u: &mut Unstructured<'_>) -> std::result::Result<(), String>
where
    T: for<'a> Arbitrary<'a> + Encode + Decode + PartialEq + std::fmt::Debug,
{
    let Ok(value) = T::arbitrary(u) else {
        return Ok(()); // not enough input for one more value
    };
    let bytes = encode_to_vec(&value);
    if bytes.len() != value.encoded_len() {
        return Err(format!(
            "encoded {} bytes, encoded_len said {}: {value:?}",
            bytes.len(),
            value.encoded_len()
        ));
    }
    let back = decode_exact::<T>(&bytes).map_err(|e| format!("{e}: {value:?}"))?;
    if back != value && format!("{back:?}") != format!("{value:?}") {
        return Err(format!("decoded {back:?}, encoded {value:?}"));
    }
    Ok(())
}

/// Draws a `T` and encodes it: e.g. random arguments of every procedure, through a
/// [`crate::proto::ProcedureVisitor`], for conformance tests against a daemon.
pub fn encode_arbitrary<T>(u: &mut Unstructured<'_>) -> Result<Vec<u8>>
where
    T: for<'a> Arbitrary<'a> + Encode,
{
    T::arbitrary(u).map(|value| encode_to_vec(&value))
}

/// A bounded wire type whose bound can be exceeded by one.
pub trait BoundedItem: Decode + Sized {
    /// The IDL bound.
    const BOUND: u32;
    /// Builds a value of `len` items (bytes, for strings and opaque data).
    fn with_len(len: usize) -> std::result::Result<Self, BoundError>;
}

macro_rules! bounded_item {
    ($name:ident, $fill:expr) => {
        impl<const MAX: u32> BoundedItem for $name<MAX> {
            const BOUND: u32 = MAX;
            fn with_len(len: usize) -> std::result::Result<Self, BoundError> {
                Self::new($fill(len))
            }
        }
    };
}

bounded_item!(XdrString, |len| "x".repeat(len));
bounded_item!(Opaque, |len| vec![0u8; len]);
bounded_item!(Chars, |len| vec![0u8; len]);

impl<T: Decode + Default + Clone, const MAX: u32> BoundedItem for XdrVec<T, MAX> {
    const BOUND: u32 = MAX;
    fn with_len(len: usize) -> std::result::Result<Self, BoundError> {
        Self::new(vec![T::default(); len])
    }
}

/// Largest bound for which the value one past it is actually built (bigger bounds are checked
/// on the decode side only, to keep the test's memory small).
const BUILD_LIMIT: u32 = 1 << 24;

/// Checks that `T` refuses one item past its bound, when building a value and when decoding a
/// length word; unbounded (`<>`) items have nothing to check.
pub fn check_bound<T: BoundedItem>() -> std::result::Result<(), String> {
    let max = T::BOUND;
    if max == super::UNBOUNDED {
        return Ok(());
    }
    if max <= BUILD_LIMIT && T::with_len(max as usize + 1).is_ok() {
        return Err(format!(
            "a value of {} items was accepted (bound {max})",
            max + 1
        ));
    }
    let wire = (max + 1).to_be_bytes();
    match decode_exact::<T>(&wire) {
        Err(e) if *e.kind() == (DecodeErrorKind::LengthOverBound { len: max + 1, max }) => Ok(()),
        Err(e) => Err(format!("wrong error for a length of {}: {e}", max + 1)),
        Ok(_) => Err(format!("a length of {} decoded (bound {max})", max + 1)),
    }
}
