//! Arbitrary payloads decoded as the replies the typed API reads, and as the daemon's error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virtwire::proto::remote;
use virtwire::proto::remote_error::RemoteError;
use virtwire::proto::xdr::{Encode, decode_exact, encode_to_vec};

fn round_trip<T: virtwire::proto::xdr::Decode + Encode + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = decode_exact::<T>(data) {
        // What decodes must re-encode to the same bytes (XDR has one encoding per value).
        assert_eq!(encode_to_vec(&v), data);
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = RemoteError::decode(data);
    round_trip::<remote::DomainGetInfoRet>(data);
    round_trip::<remote::ConnectListAllDomainsRet>(data);
    // `char` data has two accepted readings (signed and unsigned), so no byte-exact round trip.
    let _ = decode_exact::<remote::NodeGetInfoRet>(data);
    round_trip::<remote::AuthListRet>(data);
});
