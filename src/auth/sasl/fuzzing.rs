//! Entry points for the SASL fuzz target (cargo feature `fuzzing`, never part of the public
//! API): the client mechanisms fed server messages they did not expect, and the DIGEST-MD5
//! security layer fed packets from nobody.

use super::Mechanism;
use super::digest_md5::{Cipher, DigestLayer, DigestMd5, LayerNeeds, Qop, Side};
use super::scram::{Scram, ScramHash};
use crate::auth::layer::SecurityLayer;
use crate::config::SecretString as Secret;

/// Runs a mechanism over `messages` (each a server message, `None` meaning "no data"); it must
/// answer each with a result, never panic. Returns whether it completed.
fn run(mut mech: Box<dyn Mechanism>, messages: &[Option<&[u8]>]) -> bool {
    if mech.start().is_err() {
        return false;
    }
    for m in messages {
        match mech.step(*m) {
            Ok(step) if step.complete => {
                let _ = mech.security_layer();
                return true;
            }
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// SCRAM-SHA-1 (`sha1`) or SCRAM-SHA-256 over the server's messages.
pub fn scram(sha1: bool, messages: &[Option<&[u8]>]) -> bool {
    let hash = if sha1 {
        ScramHash::Sha1
    } else {
        ScramHash::Sha256
    };
    let mech = Scram::new(
        hash,
        "user",
        Secret::new("pencil"),
        "fyko+d2lbbFgONRv9qkxdawL".into(),
    );
    run(Box::new(mech), messages)
}

/// DIGEST-MD5 over the server's messages, wanting a layer (`plain_tcp`) or not.
pub fn digest_md5(plain_tcp: bool, messages: &[Option<&[u8]>]) -> bool {
    let needs = if plain_tcp {
        LayerNeeds {
            min_ssf: 56,
            max_ssf: 100_000,
        }
    } else {
        LayerNeeds {
            min_ssf: 0,
            max_ssf: 0,
        }
    };
    let mech = DigestMd5::new(
        "chris",
        Secret::new("secret"),
        None,
        "elwood.innosoft.com",
        needs,
        "OA6MHXh6VqTrRk".into(),
    );
    run(Box::new(mech), messages)
}

/// The DIGEST-MD5 layer with quality of protection number `qop % 6` (integrity, or one of
/// the five ciphers; 0 is auth-int) decoding `packets` in turn; each must decode or fail
/// cleanly, never panic or grow beyond the record size.
pub fn digest_layer(qop: u8, packets: &[&[u8]]) {
    let qop = match qop % 6 {
        0 => Qop::AuthInt,
        1 => Qop::AuthConf(Cipher::Rc4_40),
        2 => Qop::AuthConf(Cipher::Rc4_56),
        3 => Qop::AuthConf(Cipher::Rc4),
        4 => Qop::AuthConf(Cipher::Des),
        _ => Qop::AuthConf(Cipher::TripleDes),
    };
    let mut layer = DigestLayer::new(&[7; 16], qop, 65536, 65536, Side::Client);
    let mut out = Vec::new();
    for p in packets {
        let mut body = p.to_vec();
        if body.len() > layer.max_record() {
            continue;
        }
        out.clear();
        if layer.decode(&mut body, &mut out).is_ok() {
            assert!(
                out.len() <= body.len(),
                "a layer packet decoded to more than it held"
            );
        }
    }
}
