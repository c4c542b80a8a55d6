//! SASL authentication (REMOTE_AUTH_SASL) as libvirt's client runs it: AUTH_SASL_INIT for the
//! daemon's mechanisms, AUTH_SASL_START with the chosen one, AUTH_SASL_STEP until both sides
//! are done. The mechanisms are written here, in Rust, because no maintained pure-Rust SASL
//! crate has DIGEST-MD5 and its security layer (`rsasl` 2 offers SCRAM and PLAIN only, and
//! no security layers), which libvirtd demands on plain tcp.
//!
//! | mechanism | where it is chosen | layer |
//! |---|---|---|
//! | SCRAM-SHA-256, SCRAM-SHA-1 | secure links (unix, tls, ssh) | none |
//! | DIGEST-MD5 | plain tcp and ext (always with `auth-conf`), or a secure link | `auth-conf`/`auth-int` on tcp |
//! | PLAIN | secure links, last choice | none |
//!
//! `auth=sasl.MECH` in the URI restricts the choice to MECH (which the daemon must offer).

mod digest_md5;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod scram;

use base64::Engine;

use super::layer::SecurityLayer;
use crate::config::{Credential, CredentialSource, CredentialType, SecretString};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::remote::{self, procs};
use crate::proto::xdr::{Chars, XdrString};
use crate::rpc::SequentialRpc;
use crate::transport::Stream;

use digest_md5::{DigestMd5, LayerNeeds};
use scram::{Scram, ScramHash};

/// What the fake daemon of the unit tests needs to play the server's side.
#[cfg(test)]
pub(crate) mod testing {
    pub(crate) use super::digest_md5::{
        Cipher, DigestLayer, Qop, Side, md5, parse_pairs, response_value,
    };
}

/// libvirt's client refuses an SSF below this on a link that is not secure already.
const MIN_SSF: u32 = 56;
/// A hostile server cannot keep the exchange going for ever.
const MAX_ROUNDS: usize = 10;

/// What a mechanism answers to one server message.
#[derive(Debug)]
pub(crate) struct Step {
    /// The data to send (`None`: send "no data", which SASL distinguishes from empty data).
    pub output: Option<Vec<u8>>,
    /// True once the mechanism has finished on the client side.
    pub complete: bool,
}

impl Step {
    fn more(output: Vec<u8>) -> Step {
        Step {
            output: Some(output),
            complete: false,
        }
    }

    fn done() -> Step {
        Step {
            output: None,
            complete: true,
        }
    }
}

/// A client-side SASL mechanism: a state machine fed the server's messages.
pub(crate) trait Mechanism: Send {
    /// The IANA name.
    fn name(&self) -> &'static str;
    /// The initial response sent with AUTH_SASL_START (`None`: no initial response).
    fn start(&mut self) -> Result<Option<Vec<u8>>>;
    /// Answers a server message (`None`: the server sent no data).
    fn step(&mut self, input: Option<&[u8]>) -> Result<Step>;
    /// The security layer negotiated, once complete.
    fn security_layer(&mut self) -> Option<Box<dyn SecurityLayer>> {
        None
    }
    /// The security strength factor of that layer (0 without one).
    fn ssf(&self) -> u32 {
        0
    }
}

/// PLAIN (RFC 4616): `authzid NUL authcid NUL password`, empty authzid. Only on secure links.
struct Plain {
    message: Option<Vec<u8>>,
}

impl Plain {
    fn new(authname: &str, password: &SecretString) -> Plain {
        let mut m = Vec::with_capacity(authname.len() + password.expose().len() + 2);
        m.push(0);
        m.extend_from_slice(authname.as_bytes());
        m.push(0);
        m.extend_from_slice(password.expose().as_bytes());
        Plain { message: Some(m) }
    }
}

impl Drop for Plain {
    fn drop(&mut self) {
        if let Some(m) = &mut self.message {
            zeroize::Zeroize::zeroize(m);
        }
    }
}

impl Mechanism for Plain {
    fn name(&self) -> &'static str {
        "PLAIN"
    }

    fn start(&mut self) -> Result<Option<Vec<u8>>> {
        Ok(self.message.clone())
    }

    fn step(&mut self, input: Option<&[u8]>) -> Result<Step> {
        match input {
            None | Some([]) => Ok(Step::done()),
            Some(_) => Err(Error::protocol(
                "PLAIN: the server sent a challenge, which PLAIN has none of",
            )),
        }
    }
}

/// The mechanisms this client implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MechKind {
    ScramSha256,
    ScramSha1,
    DigestMd5,
    Plain,
}

impl MechKind {
    /// In order of preference on a secure link.
    const ALL: [MechKind; 4] = [
        MechKind::ScramSha256,
        MechKind::ScramSha1,
        MechKind::DigestMd5,
        MechKind::Plain,
    ];

    fn name(self) -> &'static str {
        match self {
            MechKind::ScramSha256 => "SCRAM-SHA-256",
            MechKind::ScramSha1 => "SCRAM-SHA-1",
            MechKind::DigestMd5 => "DIGEST-MD5",
            MechKind::Plain => "PLAIN",
        }
    }

    /// True for the mechanisms that can give the security layer an unencrypted link needs.
    fn has_layer(self) -> bool {
        self == MechKind::DigestMd5
    }
}

fn auth_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Auth, message)
}

fn names(list: &[MechKind]) -> String {
    list.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
}

/// Picks the mechanism from the daemon's `mechlist` (comma or space separated), restricted to
/// `wanted` (from `auth=sasl.MECH`). `secure`: the link is private already (unix, tls, ssh);
/// otherwise only a mechanism with a security layer will do, as in libvirt's client.
pub(crate) fn choose(mechlist: &str, wanted: Option<&str>, secure: bool) -> Result<MechKind> {
    let offered: Vec<&str> = mechlist
        .split([',', ' '])
        .filter(|m| !m.is_empty())
        .collect();
    let is_offered = |name: &str| offered.iter().any(|o| o.eq_ignore_ascii_case(name));
    if let Some(w) = wanted {
        if !is_offered(w) {
            return Err(auth_error(format!(
                "SASL mechanism {w} not supported by server (it offers {})",
                offered.join(", ")
            )));
        }
        let kind = MechKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(w))
            .ok_or_else(|| {
                auth_error(format!(
                    "SASL mechanism {w} is not implemented by virtwire (it has {})",
                    names(&MechKind::ALL)
                ))
            })?;
        if !secure && !kind.has_layer() {
            return Err(auth_error(format!(
                "SASL mechanism {w} gives no security layer, and on an unencrypted link \
                 libvirtd demands one of at least {MIN_SSF} bits: use DIGEST-MD5 or the tls \
                 transport"
            )));
        }
        return Ok(kind);
    }
    MechKind::ALL
        .into_iter()
        .filter(|k| secure || k.has_layer())
        .find(|k| is_offered(k.name()))
        .ok_or_else(|| {
            let usable: Vec<MechKind> = MechKind::ALL
                .into_iter()
                .filter(|k| secure || k.has_layer())
                .collect();
            auth_error(format!(
                "no usable SASL mechanism: the daemon offers {}, virtwire can use {} on this {} \
                 link",
                offered.join(", "),
                names(&usable),
                if secure { "secure" } else { "unencrypted" }
            ))
        })
}

/// A random nonce: 32 bytes from the OS, base64 (no `,` and no `"`, as SCRAM and DIGEST-MD5
/// need).
pub(crate) fn random_nonce() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        auth_error(format!(
            "cannot get random bytes from the operating system: {e}"
        ))
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// How this SASL exchange is to run.
pub(crate) struct SaslParams<'a> {
    /// `MECH` of `auth=sasl.MECH`.
    pub wanted: Option<&'a str>,
    /// The link is private already (unix, tls, ssh): no security layer needed.
    pub secure: bool,
    /// The URI's host, or `localhost`: the auth.conf entry and DIGEST-MD5's `digest-uri`.
    pub host: &'a str,
    /// The URI's user, offered as the default authentication name.
    pub uri_user: Option<&'a str>,
    /// auth.conf and the application's callback.
    pub credentials: &'a CredentialSource,
}

/// Turns the daemon's refusal into an authentication error that keeps it as `source()`.
fn refused(e: Error, what: &str) -> Error {
    if e.is_remote() {
        auth_error(what).with_source(e)
    } else {
        e
    }
}

fn sasl_data(
    data: Option<Vec<u8>>,
    mech: &str,
) -> Result<(i32, Chars<{ remote::AUTH_SASL_DATA_MAX }>)> {
    match data {
        None => Ok((1, Chars::default())),
        Some(d) => Chars::new(d).map(|c| (0, c)).map_err(|e| {
            auth_error(format!("{mech}: the authentication message is too long")).with_source(e)
        }),
    }
}

fn server_data(nil: i32, data: Chars<{ remote::AUTH_SASL_DATA_MAX }>) -> Option<Vec<u8>> {
    (nil == 0).then(|| data.into_inner())
}

/// Runs `mech.step` on the blocking pool: SCRAM's key derivation may take a while.
async fn step_off_thread(
    mut mech: Box<dyn Mechanism>,
    input: Option<Vec<u8>>,
) -> Result<(Box<dyn Mechanism>, Step)> {
    let (mech, step) = tokio::task::spawn_blocking(move || {
        let step = mech.step(input.as_deref());
        (mech, step)
    })
    .await
    .map_err(|e| auth_error("the SASL mechanism panicked").with_source(e))?;
    Ok((mech, step?))
}

/// Gets the authentication name and password (and an auth.conf realm).
async fn credentials(
    p: &SaslParams<'_>,
    mech: &str,
) -> Result<(String, SecretString, Option<String>)> {
    let mut name = Credential::new(
        CredentialType::AuthName,
        "Please enter your authentication name",
    )
    .with_challenge(p.host);
    if let Some(u) = p.uri_user {
        name = name.with_default(u);
    }
    let pass = Credential::new(CredentialType::Passphrase, "Please enter your password")
        .with_challenge(p.host);
    let mut got = p.credentials.gather(vec![name, pass]).await?.into_iter();
    let (name, pass) = (got.next().flatten(), got.next().flatten());
    let missing: Vec<&str> = [
        name.is_none().then_some("an authentication name"),
        pass.is_none().then_some("a password"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (Some(name), Some(pass)) = (name, pass) else {
        return Err(auth_error(format!(
            "SASL {mech} authentication to {} needs {}: put it in libvirt's auth.conf \
             ([credentials-NAME] authname=, password=; [auth-libvirt-{}] credentials=NAME), \
             named by authfile= or LIBVIRT_AUTH_FILE, or give an authentication callback",
            p.host,
            missing.join(" and "),
            p.host
        )));
    };
    let realm = match &p.credentials.config {
        Some(conf) => conf.lookup("libvirt", p.host, "realm")?.map(str::to_owned),
        None => None,
    };
    Ok((name.expose().to_owned(), pass, realm))
}

/// Runs the SASL exchange on `rpc`. Returns the security layer to wrap the stream in, if one
/// was negotiated.
pub(crate) async fn authenticate<S: Stream + ?Sized>(
    rpc: &mut SequentialRpc<'_, S>,
    p: &SaslParams<'_>,
) -> Result<Option<Box<dyn SecurityLayer>>> {
    let mechlist = rpc
        .call::<procs::AuthSaslInit>(&())
        .await
        .map_err(|e| refused(e, "the daemon refused to start SASL authentication"))?
        .mechlist;
    let kind = choose(mechlist.as_str(), p.wanted, p.secure)?;
    let mech_name = kind.name();
    let (authname, password, realm) = credentials(p, mech_name).await?;
    let nonce = random_nonce()?;
    let mut mech: Box<dyn Mechanism> = match kind {
        MechKind::ScramSha256 => {
            Box::new(Scram::new(ScramHash::Sha256, &authname, password, nonce))
        }
        MechKind::ScramSha1 => Box::new(Scram::new(ScramHash::Sha1, &authname, password, nonce)),
        MechKind::Plain => Box::new(Plain::new(&authname, &password)),
        MechKind::DigestMd5 => {
            let needs = if p.secure {
                LayerNeeds {
                    min_ssf: 0,
                    max_ssf: 0,
                }
            } else {
                LayerNeeds {
                    min_ssf: MIN_SSF,
                    max_ssf: 100_000,
                }
            };
            Box::new(DigestMd5::new(
                &authname, password, realm, p.host, needs, nonce,
            ))
        }
    };
    tracing::debug!(mechanism = mech.name(), user = %authname, "SASL authentication");
    let failed = format!("SASL {mech_name} authentication as {authname} failed");

    let (nil, data) = sasl_data(mech.start()?, mech_name)?;
    let ret = rpc
        .call::<procs::AuthSaslStart>(&remote::AuthSaslStartArgs {
            mech: XdrString::try_from(mech_name)?,
            nil,
            data,
        })
        .await
        .map_err(|e| refused(e, &failed))?;
    let mut complete = ret.complete != 0;
    let mut input = server_data(ret.nil, ret.data);
    let mut rounds = 0;
    loop {
        rounds += 1;
        if rounds > MAX_ROUNDS {
            return Err(Error::protocol(format!(
                "{mech_name}: the daemon kept the SASL exchange going for more than \
                 {MAX_ROUNDS} rounds"
            )));
        }
        let (m, step) = step_off_thread(mech, input.take()).await?;
        mech = m;
        if complete {
            if step.complete {
                break;
            }
            return Err(auth_error(format!(
                "{failed}: the daemon declared it complete before the mechanism finished \
                 (the daemon did not prove who it is)"
            )));
        }
        let client_done = step.complete;
        let (nil, data) = sasl_data(step.output, mech_name)?;
        let ret = rpc
            .call::<procs::AuthSaslStep>(&remote::AuthSaslStepArgs { nil, data })
            .await
            .map_err(|e| refused(e, &failed))?;
        complete = ret.complete != 0;
        input = server_data(ret.nil, ret.data);
        if complete && client_done {
            if input.as_deref().is_some_and(|d| !d.is_empty()) {
                return Err(Error::protocol(format!(
                    "{mech_name}: the daemon sent data after the exchange ended"
                )));
            }
            break;
        }
    }

    if !p.secure {
        let ssf = mech.ssf();
        if ssf < MIN_SSF {
            return Err(auth_error(format!(
                "{failed}: negotiation SSF {ssf} was not strong enough"
            )));
        }
    }
    tracing::debug!(
        mechanism = mech_name,
        ssf = mech.ssf(),
        "SASL authentication complete"
    );
    Ok(mech.security_layer())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_like_libvirt() {
        let list = "SCRAM-SHA-256,DIGEST-MD5,PLAIN";
        assert_eq!(choose(list, None, true).unwrap(), MechKind::ScramSha256);
        assert_eq!(choose(list, None, false).unwrap(), MechKind::DigestMd5);
        assert_eq!(choose(list, Some("plain"), true).unwrap(), MechKind::Plain);
        assert_eq!(
            choose("DIGEST-MD5 PLAIN", None, true).unwrap(),
            MechKind::DigestMd5
        );
        let e = choose(list, Some("PLAIN"), false).unwrap_err();
        assert!(e.to_string().contains("security layer"), "{e}");
        let e = choose(list, Some("GSSAPI"), true).unwrap_err();
        assert!(e.to_string().contains("not supported by server"), "{e}");
        let e = choose("GSSAPI,ANONYMOUS", Some("GSSAPI"), true).unwrap_err();
        assert!(e.to_string().contains("not implemented"), "{e}");
        let e = choose("SCRAM-SHA-256,PLAIN", None, false).unwrap_err();
        assert!(e.to_string().contains("unencrypted"), "{e}");
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(choose("", None, true).is_err());
    }

    #[test]
    fn plain_message() {
        let mut p = Plain::new("alice", &SecretString::new("pw"));
        assert_eq!(p.start().unwrap().unwrap(), b"\0alice\0pw");
        assert!(p.step(None).unwrap().complete);
        assert!(p.step(Some(b"x")).is_err());
    }

    #[test]
    fn nonces_are_fresh_and_safe() {
        let a = random_nonce().unwrap();
        let b = random_nonce().unwrap();
        assert_ne!(a, b);
        assert!(!a.contains(',') && !a.contains('"') && a.len() >= 40);
    }
}
