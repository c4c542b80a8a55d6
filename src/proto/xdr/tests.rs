//! Bounds, padding and truncation rules of the runtime, on hand-written wire bytes.

use bytes::BytesMut;

use super::*;

fn enc<T: Encode>(v: &T) -> Vec<u8> {
    let out = encode_to_vec(v);
    assert_eq!(out.len(), v.encoded_len(), "encoded_len must match");
    out
}

fn kind_of<T: Decode + std::fmt::Debug>(bytes: &[u8]) -> DecodeErrorKind {
    decode_exact::<T>(bytes).unwrap_err().kind().clone()
}

#[test]
fn scalars_round_trip_big_endian() {
    assert_eq!(enc(&-2i32), [0xff, 0xff, 0xff, 0xfe]);
    assert_eq!(enc(&0x0102_0304u32), [1, 2, 3, 4]);
    assert_eq!(enc(&1u64), [0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(decode_exact::<i64>(&enc(&i64::MIN)).unwrap(), i64::MIN);
    assert_eq!(decode_exact::<f64>(&enc(&1.5f64)).unwrap(), 1.5);
    assert_eq!(enc(&true), [0, 0, 0, 1]);
}

#[test]
fn char_and_short_are_four_bytes_and_refuse_what_does_not_fit() {
    assert_eq!(enc(&-2i8), [0xff, 0xff, 0xff, 0xfe]);
    assert_eq!(enc(&0xfeu8), [0, 0, 0, 0xfe]);
    assert_eq!(enc(&-300i16), [0xff, 0xff, 0xfe, 0xd4]);
    assert_eq!(enc(&0xfffeu16), [0, 0, 0xff, 0xfe]);
    assert_eq!(
        decode_exact::<i8>(&[0xff, 0xff, 0xff, 0x80]).unwrap(),
        i8::MIN
    );
    assert_eq!(decode_exact::<u16>(&[0, 0, 0xff, 0xff]).unwrap(), u16::MAX);
    assert_eq!(
        kind_of::<u8>(&[0, 0, 1, 0]),
        DecodeErrorKind::OutOfRange {
            ty: "u8",
            value: 256
        }
    );
    assert_eq!(
        kind_of::<i8>(&[0, 0, 0, 0x80]),
        DecodeErrorKind::OutOfRange {
            ty: "i8",
            value: 128
        }
    );
    assert_eq!(
        kind_of::<i16>(&[0xff, 0xff, 0x7f, 0xff]),
        DecodeErrorKind::OutOfRange {
            ty: "i16",
            value: -32769
        }
    );
    assert_eq!(
        kind_of::<u16>(&[0xff, 0xff, 0xff, 0xff]),
        DecodeErrorKind::OutOfRange {
            ty: "u16",
            value: 4294967295
        }
    );
}

#[test]
fn bool_other_than_zero_or_one_is_rejected() {
    assert_eq!(
        kind_of::<bool>(&[0, 0, 0, 2]),
        DecodeErrorKind::InvalidBool(2)
    );
}

#[test]
fn truncated_input_is_an_error_not_a_panic() {
    assert!(matches!(
        kind_of::<u64>(&[0, 0, 0]),
        DecodeErrorKind::UnexpectedEof {
            needed: 8,
            remaining: 3
        }
    ));
}

#[test]
fn trailing_bytes_are_rejected_by_decode_exact() {
    assert_eq!(
        kind_of::<u32>(&[0, 0, 0, 1, 0]),
        DecodeErrorKind::TrailingBytes { remaining: 1 }
    );
}

#[test]
fn string_is_padded_with_zeros() {
    let s = XdrString::<8>::try_from("abcde").unwrap();
    assert_eq!(enc(&s), [0, 0, 0, 5, b'a', b'b', b'c', b'd', b'e', 0, 0, 0]);
    assert_eq!(decode_exact::<XdrString<8>>(&enc(&s)).unwrap(), s);
}

#[test]
fn non_zero_padding_is_rejected() {
    let wire = [0, 0, 0, 1, b'a', 0, 1, 0];
    assert_eq!(
        kind_of::<XdrString<8>>(&wire),
        DecodeErrorKind::NonZeroPadding
    );
    assert_eq!(kind_of::<Opaque<8>>(&wire), DecodeErrorKind::NonZeroPadding);
    assert_eq!(
        kind_of::<FixedOpaque<1>>(&[7, 0, 0, 1]),
        DecodeErrorKind::NonZeroPadding
    );
}

#[test]
fn string_over_its_bound_is_rejected_on_both_sides() {
    assert_eq!(
        XdrString::<4>::try_from("abcde").unwrap_err(),
        BoundError { len: 5, max: 4 }
    );
    let wire = [0, 0, 0, 5, b'a', b'b', b'c', b'd', b'e', 0, 0, 0];
    assert_eq!(
        kind_of::<XdrString<4>>(&wire),
        DecodeErrorKind::LengthOverBound { len: 5, max: 4 }
    );
}

#[test]
fn string_at_its_bound_is_accepted() {
    let wire = [0, 0, 0, 4, b'a', b'b', b'c', b'd'];
    assert_eq!(decode_exact::<XdrString<4>>(&wire).unwrap(), "abcd");
}

#[test]
fn invalid_utf8_is_rejected() {
    assert_eq!(
        kind_of::<XdrString<8>>(&[0, 0, 0, 1, 0xff, 0, 0, 0]),
        DecodeErrorKind::InvalidUtf8
    );
}

#[test]
fn array_over_its_bound_is_rejected_before_allocating() {
    // A count of 5 against a bound of 4: refused from the length word alone.
    assert_eq!(
        kind_of::<XdrVec<u32, 4>>(&[0, 0, 0, 5]),
        DecodeErrorKind::LengthOverBound { len: 5, max: 4 }
    );
    assert!(XdrVec::<u32, 4>::new(vec![0; 5]).is_err());
}

#[test]
fn huge_count_with_little_data_fails_without_allocating() {
    // An unbounded array claiming 4 billion items in a 4-byte input: the count is checked
    // against the bytes present before any Vec is reserved.
    let wire = [0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        kind_of::<XdrVec<u64, UNBOUNDED>>(&wire),
        DecodeErrorKind::UnexpectedEof { .. }
    ));
    assert!(matches!(
        kind_of::<Opaque<UNBOUNDED>>(&wire),
        DecodeErrorKind::UnexpectedEof { .. }
    ));
    assert!(matches!(
        kind_of::<Chars<UNBOUNDED>>(&wire),
        DecodeErrorKind::UnexpectedEof { .. }
    ));
}

#[test]
fn chars_take_four_wire_bytes_each_and_keep_high_bytes() {
    let c = Chars::<8>::try_from(&[b'A', 0xC3][..]).unwrap();
    assert_eq!(enc(&c), [0, 0, 0, 2, 0, 0, 0, 0x41, 0xff, 0xff, 0xff, 0xc3]);
    assert_eq!(decode_exact::<Chars<8>>(&enc(&c)).unwrap(), c);
    assert!(matches!(
        kind_of::<Chars<8>>(&[0, 0, 0, 1, 0, 0, 1, 0]),
        DecodeErrorKind::InvalidChar(256)
    ));
    let fixed = FixedChars::<3>(*b"ab\0");
    assert_eq!(enc(&fixed).len(), 12);
    assert_eq!(fixed.to_string_lossy(), "ab");
}

#[test]
fn optional_presence_word_must_be_zero_or_one() {
    assert_eq!(enc(&Some(7u32)), [0, 0, 0, 1, 0, 0, 0, 7]);
    assert_eq!(enc(&None::<u32>), [0, 0, 0, 0]);
    assert_eq!(
        kind_of::<Option<u32>>(&[0, 0, 0, 2, 0, 0, 0, 7]),
        DecodeErrorKind::InvalidOptional(2)
    );
}

#[test]
fn errors_name_the_field_path() {
    let err = decode_field::<u32>(&mut &[0u8, 0][..], "Inner", "x")
        .unwrap_err()
        .in_field("Outer", "inner");
    assert_eq!(
        err.to_string(),
        "in Outer.inner.x: input ended early: 4 bytes needed, 2 left"
    );
}

#[test]
fn fixed_arrays_encode_without_a_count() {
    let a = [1u32, 2];
    assert_eq!(enc(&a), [0, 0, 0, 1, 0, 0, 0, 2]);
    assert_eq!(decode_exact::<[u32; 2]>(&enc(&a)).unwrap(), a);
    let mut out = BytesMut::new();
    FixedOpaque([1u8, 2, 3, 4, 5]).encode(&mut out);
    assert_eq!(&out[..], [1, 2, 3, 4, 5, 0, 0, 0]);
}

#[test]
fn a_raw_identifier_member_is_named_as_in_the_idl() {
    let err = decode_field::<u32>(&mut &[0u8][..], "Header", "r#type").unwrap_err();
    assert_eq!(err.path().collect::<Vec<_>>(), [("Header", "type")]);
}
