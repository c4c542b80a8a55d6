//! SASL from a hostile daemon: the input, split at 0xff bytes, is the server's messages to
//! SCRAM-SHA-1/-256 and DIGEST-MD5 (an empty piece meaning "no data"), and the DIGEST-MD5
//! security layer's packets under each quality of protection. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virtwire::sasl_fuzzing as sasl;

fuzz_target!(|data: &[u8]| {
    let [choice, rest @ ..] = data else {
        return;
    };
    let pieces: Vec<&[u8]> = rest.split(|b| *b == 0xff).collect();
    let messages: Vec<Option<&[u8]>> = pieces
        .iter()
        .map(|p| (!p.is_empty()).then_some(*p))
        .collect();
    match choice % 5 {
        0 => _ = sasl::scram(true, &messages),
        1 => _ = sasl::scram(false, &messages),
        2 => _ = sasl::digest_md5(true, &messages),
        3 => _ = sasl::digest_md5(false, &messages),
        _ => sasl::digest_layer(choice / 5, &pieces),
    }
});
