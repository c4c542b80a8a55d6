//! SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), client side, without channel binding
//! (gs2 header `n,,`) and without an authorization id. No security layer.
//!
//! Names are escaped as RFC 5802 says (`=` → `=3D`, `,` → `=2C`). Passwords are used as their
//! UTF-8 bytes without SASLprep, as Cyrus SASL (libvirtd's SASL library) does: for ASCII
//! passwords this is what SASLprep gives.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{Mechanism, Step};
use crate::config::SecretString;
use crate::error::{Error, ErrorKind, Result};

/// Iteration counts above this are refused: a hostile server could otherwise make the client
/// spin for minutes. Real deployments use 4096 (Cyrus' default) to a few hundred thousand.
const MAX_ITERATIONS: u32 = 10_000_000;

/// The hash a SCRAM variant is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScramHash {
    Sha1,
    Sha256,
}

impl ScramHash {
    fn mech_name(self) -> &'static str {
        match self {
            ScramHash::Sha1 => "SCRAM-SHA-1",
            ScramHash::Sha256 => "SCRAM-SHA-256",
        }
    }

    fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => {
                let mut m = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key");
                parts.iter().for_each(|p| m.update(p));
                m.finalize().into_bytes().to_vec()
            }
            ScramHash::Sha256 => {
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
                parts.iter().for_each(|p| m.update(p));
                m.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => Sha1::digest(data).to_vec(),
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// `Hi(password, salt, i)`: PBKDF2 with this hash's HMAC.
    fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => {
                let mut out = [0u8; 20];
                pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out);
                out.to_vec()
            }
            ScramHash::Sha256 => {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out.to_vec()
            }
        }
    }
}

enum State {
    Initial,
    /// Sent client-first; waiting for server-first.
    SentFirst,
    /// Sent client-final; waiting for server-final, which must carry this signature.
    SentFinal {
        server_signature: Vec<u8>,
    },
    Done,
}

/// A SCRAM client exchange.
pub(crate) struct Scram {
    hash: ScramHash,
    authname: String,
    password: SecretString,
    cnonce: String,
    client_first_bare: String,
    state: State,
}

fn scram_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Auth, message)
}

/// RFC 5802 `saslname`: `=` and `,` escaped.
fn escape_name(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

impl Scram {
    /// A client for `authname`, with the client nonce `cnonce` (printable, no `,`).
    pub fn new(hash: ScramHash, authname: &str, password: SecretString, cnonce: String) -> Scram {
        Scram {
            hash,
            client_first_bare: format!("n={},r={cnonce}", escape_name(authname)),
            authname: authname.to_owned(),
            password,
            cnonce,
            state: State::Initial,
        }
    }

    fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>> {
        let name = self.hash.mech_name();
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| scram_error(format!("{name}: the server's first message is not UTF-8")))?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for (i, attr) in server_first.split(',').enumerate() {
            let (key, value) = attr.split_at_checked(2).unwrap_or((attr, ""));
            match key {
                "m=" if i == 0 => {
                    return Err(scram_error(format!(
                        "{name}: the server requires an extension this client does not know"
                    )));
                }
                "r=" if nonce.is_none() => nonce = Some(value),
                "s=" if salt.is_none() => salt = Some(value),
                "i=" if iterations.is_none() => iterations = Some(value),
                _ => {}
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(scram_error(format!(
                "{name}: the server's first message lacks the nonce, salt or iteration count"
            )));
        };
        if !nonce.starts_with(&self.cnonce) || nonce.len() == self.cnonce.len() {
            return Err(scram_error(format!(
                "{name}: the server's nonce does not extend the client's"
            )));
        }
        if !nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
        {
            return Err(scram_error(format!(
                "{name}: the server's nonce has invalid characters"
            )));
        }
        let salt = B64
            .decode(salt)
            .map_err(|_| scram_error(format!("{name}: the server's salt is not base64")))?;
        let iterations: u32 = iterations
            .parse()
            .ok()
            .filter(|i| (1..=MAX_ITERATIONS).contains(i))
            .ok_or_else(|| {
                scram_error(format!(
                    "{name}: the server's iteration count {iterations:?} is not between 1 and \
                     {MAX_ITERATIONS}"
                ))
            })?;

        let h = self.hash;
        let salted = h.hi(self.password.expose().as_bytes(), &salt, iterations);
        let client_key = h.hmac(&salted, &[b"Client Key"]);
        let stored_key = h.hash(&client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = [
            self.client_first_bare.as_bytes(),
            b",",
            server_first.as_bytes(),
            b",",
            without_proof.as_bytes(),
        ];
        let client_signature = h.hmac(&stored_key, &auth_message);
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = h.hmac(&salted, &[b"Server Key"]);
        let server_signature = h.hmac(&server_key, &auth_message);
        self.state = State::SentFinal { server_signature };
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    fn verify_server(&self, server_final: &[u8], expected: &[u8]) -> Result<()> {
        let name = self.hash.mech_name();
        let text = String::from_utf8_lossy(server_final);
        if let Some(err) = text.strip_prefix("e=") {
            return Err(scram_error(format!(
                "{name}: the server refused the authentication of {}: {err}",
                self.authname
            )));
        }
        let verifier = text
            .split(',')
            .find_map(|a| a.strip_prefix("v="))
            .ok_or_else(|| {
                scram_error(format!(
                    "{name}: the server's final message has no verifier"
                ))
            })?;
        let got = B64
            .decode(verifier)
            .map_err(|_| scram_error(format!("{name}: the server's verifier is not base64")))?;
        if !constant_time_eq(&got, expected) {
            return Err(scram_error(format!(
                "{name}: the server could not prove it knows the password (wrong server \
                 signature): the daemon may not be the one you meant"
            )));
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Mechanism for Scram {
    fn name(&self) -> &'static str {
        self.hash.mech_name()
    }

    fn start(&mut self) -> Result<Option<Vec<u8>>> {
        self.state = State::SentFirst;
        Ok(Some(format!("n,,{}", self.client_first_bare).into_bytes()))
    }

    fn step(&mut self, input: Option<&[u8]>) -> Result<Step> {
        let name = self.hash.mech_name();
        match std::mem::replace(&mut self.state, State::Done) {
            State::SentFirst => {
                let input = input
                    .ok_or_else(|| scram_error(format!("{name}: the server sent no challenge")))?;
                let out = self.client_final(input)?;
                Ok(Step::more(out))
            }
            State::SentFinal { server_signature } => {
                let input = input.ok_or_else(|| {
                    scram_error(format!(
                        "{name}: the server did not prove it knows the password"
                    ))
                })?;
                self.verify_server(input, &server_signature)?;
                Ok(Step::done())
            }
            State::Initial | State::Done => Err(Error::protocol(format!(
                "{name}: the server sent data after the exchange ended"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3.
    #[test]
    fn rfc7677_sha256_example() {
        let mut s = Scram::new(
            ScramHash::Sha256,
            "user",
            SecretString::new("pencil"),
            "rOprNGfwEbeRWgbNEkqO".into(),
        );
        assert_eq!(
            s.start().unwrap().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
            s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let step = s.step(Some(server_first)).unwrap();
        assert!(!step.complete);
        assert_eq!(
            String::from_utf8(step.output.unwrap()).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        let step = s
            .step(Some(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
            .unwrap();
        assert!(step.complete && step.output.is_none());
    }

    /// RFC 5802 section 5.
    #[test]
    fn rfc5802_sha1_example() {
        let mut s = Scram::new(
            ScramHash::Sha1,
            "user",
            SecretString::new("pencil"),
            "fyko+d2lbbFgONRv9qkxdawL".into(),
        );
        assert_eq!(
            s.start().unwrap().unwrap(),
            b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
        );
        let step = s
            .step(Some(
                b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
            ))
            .unwrap();
        assert_eq!(
            String::from_utf8(step.output.unwrap()).unwrap(),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        assert!(
            s.step(Some(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="))
                .unwrap()
                .complete
        );
    }

    fn started() -> Scram {
        let mut s = Scram::new(
            ScramHash::Sha256,
            "u,=x",
            SecretString::new("p"),
            "abc".into(),
        );
        let first = s.start().unwrap().unwrap();
        assert_eq!(first, b"n,,n=u=2C=3Dx,r=abc");
        s
    }

    #[test]
    fn hostile_or_broken_servers_are_refused() {
        for bad in [
            &b"r=xyz,s=AAAA,i=1"[..],       // nonce not ours
            b"r=abc,s=AAAA,i=1",            // nonce not extended
            b"r=abcd,s=!!!,i=1",            // salt not base64
            b"r=abcd,s=AAAA,i=0",           // no iterations
            b"r=abcd,s=AAAA,i=99999999999", // too many
            b"r=abcd,s=AAAA",               // missing
            b"m=ext,r=abcd,s=AAAA,i=1",     // mandatory extension
            b"\xff\xfe",                    // not UTF-8
            b"",                            // empty
            b"r=abc\x01d,s=AAAA,i=1",       // control character
        ] {
            let mut s = started();
            let e = s.step(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Auth, "{bad:?}: {e}");
        }
        let mut s = started();
        assert!(s.step(None).is_err());
    }

    #[test]
    fn wrong_server_signature_and_server_errors() {
        let mut s = started();
        s.step(Some(b"r=abcdef,s=AAAA,i=2")).unwrap();
        let e = s.step(Some(b"v=AAAA")).unwrap_err();
        assert!(e.to_string().contains("prove"), "{e}");

        let mut s = started();
        s.step(Some(b"r=abcdef,s=AAAA,i=2")).unwrap();
        let e = s.step(Some(b"e=invalid-proof")).unwrap_err();
        assert!(e.to_string().contains("invalid-proof"), "{e}");

        let mut s = started();
        s.step(Some(b"r=abcdef,s=AAAA,i=2")).unwrap();
        assert!(s.step(None).is_err(), "the server must prove itself");
    }
}
