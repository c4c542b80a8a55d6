//! Round-trip property tests of every generated type (issue 3, item 6; feature `arbitrary`).
//!
//! For every type of every generated module (`virtwire::proto::CHECKS`), random
//! values encode to exactly `encoded_len` bytes and decode back to themselves; every bounded
//! wire type (`string<N>`, `opaque<N>`, `char x<N>`, `T x<N>`) refuses one item past its bound.
//! The random values come from the generated `Arbitrary` impls, which stay within the IDL
//! bounds and yield only canonical values (what decoding gives back).
//!
//! The input bytes come from a small PRNG seeded with the type's name, so a failure repeats
//! run after run; the message names the module, the type, the round and the seed.
//!
//! Run with `cargo test --features arbitrary --test roundtrip -- --nocapture` to see the
//! counts.

use arbitrary::Unstructured;
use virtwire::proto::CHECKS;

/// Random inputs per type (`VIRTWIRE_ROUNDTRIP_ROUNDS` overrides it, for a longer run).
const ROUNDS: u64 = 128;

/// Largest random input, in bytes.
const MAX_INPUT: usize = 4096;

/// Longest failure message kept (a value's `Debug` can be long).
const MAX_MESSAGE: usize = 600;

/// SplitMix64: small, fast, deterministic.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// FNV-1a of `text`: the seed of a type.
fn seed_of(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The input of round `round`: empty (every value at its smallest), all ones (every length
/// at its largest the input allows), then random bytes of random length.
fn input<'b>(prng: &mut Prng, round: u64, buf: &'b mut Vec<u8>) -> &'b [u8] {
    buf.clear();
    match round {
        0 => {}
        1 => buf.resize(MAX_INPUT, 0xff),
        _ => {
            let len = (prng.next() % (MAX_INPUT as u64 + 1)) as usize;
            buf.resize(len, 0);
            prng.fill(buf);
        }
    }
    buf
}

fn shorten(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str(" …");
    }
    message
}

#[test]
fn every_generated_type_round_trips() {
    let mut failures = Vec::new();
    let (mut types, mut values) = (0usize, 0u64);
    let mut buf = Vec::with_capacity(MAX_INPUT);
    let rounds = std::env::var("VIRTWIRE_ROUNDTRIP_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(ROUNDS);
    for m in CHECKS {
        let module = m.module;
        for (name, check) in m.round_trips {
            types += 1;
            let seed = seed_of(&format!("{module}::{name}"));
            let mut prng = Prng(seed);
            for round in 0..rounds {
                let mut u = Unstructured::new(input(&mut prng, round, &mut buf));
                values += 1;
                if let Err(e) = check(&mut u) {
                    failures.push(shorten(format!(
                        "{module}::{name} (round {round}, seed {seed:#018x}): {e}"
                    )));
                    break; // one failure per type is enough
                }
            }
        }
    }
    eprintln!(
        "round trips: {types} types checked, {values} values checked, {} failed",
        failures.len()
    );
    // 894 types when this was written: far fewer means a table went missing.
    assert!(types >= 800, "only {types} types: are the tables complete?");
    assert!(
        failures.is_empty(),
        "{} types fail to round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_bound_is_rejected_one_past_its_limit() {
    let mut failures = Vec::new();
    let mut bounds = 0usize;
    for m in CHECKS {
        let module = m.module;
        for (name, check) in m.bounds {
            bounds += 1;
            if let Err(e) = check() {
                failures.push(format!("{module}::{name}: {e}"));
            }
        }
    }
    eprintln!(
        "bounds: {bounds} bounded types checked, {} failed",
        failures.len()
    );
    // 55 distinct bounded types when this was written.
    assert!(
        bounds >= 50,
        "only {bounds} bounds: are the tables complete?"
    );
    assert!(
        failures.is_empty(),
        "{} bounds are not enforced:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The checks can fail: types that break each rule, written by hand.
mod the_checks_can_fail {
    use arbitrary::{Arbitrary, Unstructured};
    use bytes::BytesMut;
    use virtwire::proto::xdr::{
        BoundError, BoundedItem, Decode, DecodeError, Encode, check_bound, check_round_trip,
    };

    /// A `u32` whose `encoded_len` is off by 4.
    #[derive(Debug, Clone, PartialEq)]
    struct WrongLength(u32);

    impl Encode for WrongLength {
        fn encode(&self, out: &mut BytesMut) {
            self.0.encode(out);
        }
        fn encoded_len(&self) -> usize {
            8
        }
    }

    impl Decode for WrongLength {
        fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
            u32::decode(src).map(Self)
        }
    }

    impl<'a> Arbitrary<'a> for WrongLength {
        fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
            u.arbitrary().map(Self)
        }
    }

    #[test]
    fn a_wrong_encoded_len_is_reported() {
        let e = check_round_trip::<WrongLength>(&mut Unstructured::new(&[1, 2, 3, 4])).unwrap_err();
        assert!(e.contains("encoded 4 bytes, encoded_len said 8"), "{e}");
    }

    /// An enum like the generated ones, with an `Arbitrary` that is not canonical: it yields
    /// `Unknown(1)`, which decodes as `One`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum NotCanonical {
        One,
        Unknown(i32),
    }

    impl Encode for NotCanonical {
        fn encode(&self, out: &mut BytesMut) {
            match self {
                Self::One => 1i32.encode(out),
                Self::Unknown(v) => v.encode(out),
            }
        }
        fn encoded_len(&self) -> usize {
            4
        }
    }

    impl Decode for NotCanonical {
        fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
            i32::decode(src).map(|v| if v == 1 { Self::One } else { Self::Unknown(v) })
        }
    }

    impl<'a> Arbitrary<'a> for NotCanonical {
        fn arbitrary(_: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
            Ok(Self::Unknown(1))
        }
    }

    #[test]
    fn a_value_that_decodes_as_another_is_reported() {
        let e = check_round_trip::<NotCanonical>(&mut Unstructured::new(&[])).unwrap_err();
        assert!(e.contains("decoded One, encoded Unknown(1)"), "{e}");
    }

    /// A bounded list (bound 3) that enforces its bound nowhere (its items are not kept).
    struct Lenient;

    impl Decode for Lenient {
        fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
            u32::decode(src).map(|_| Self)
        }
    }

    impl BoundedItem for Lenient {
        const BOUND: u32 = 3;
        fn with_len(_: usize) -> Result<Self, BoundError> {
            Ok(Self)
        }
    }

    /// The same list, with the bound enforced when building a value but not when decoding.
    struct DecodesAnyLength;

    impl Decode for DecodesAnyLength {
        fn decode(src: &mut &[u8]) -> Result<Self, DecodeError> {
            Lenient::decode(src).map(|_| Self)
        }
    }

    impl BoundedItem for DecodesAnyLength {
        const BOUND: u32 = 3;
        fn with_len(len: usize) -> Result<Self, BoundError> {
            if len > 3 {
                return Err(BoundError { len, max: 3 });
            }
            Ok(Self)
        }
    }

    #[test]
    fn a_bound_not_enforced_is_reported() {
        let e = check_bound::<Lenient>().unwrap_err();
        assert_eq!(e, "a value of 4 items was accepted (bound 3)");
        let e = check_bound::<DecodesAnyLength>().unwrap_err();
        assert_eq!(e, "a length of 4 decoded (bound 3)");
    }

    /// The generated enums draw members and unknown values, never an unknown value that is a
    /// member's.
    #[test]
    fn generated_enums_draw_canonical_values() {
        use virtwire::proto::virnet::MessageStatus;
        let (mut members, mut unknown) = (0, 0);
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut u = Unstructured::new(&bytes);
        while !u.is_empty() {
            match MessageStatus::arbitrary(&mut u).unwrap() {
                MessageStatus::Unknown(v) => {
                    assert_eq!(MessageStatus::from_i32(v.get()), MessageStatus::Unknown(v));
                    unknown += 1;
                }
                _ => members += 1,
            }
        }
        assert!(
            members > 0 && unknown > 0,
            "{members} members, {unknown} unknown"
        );
    }
}
