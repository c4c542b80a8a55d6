//! The whole authentication against an in-process fake daemon that plays the server's side of
//! each mechanism (and of DIGEST-MD5's security layer) and then answers calls, so that the
//! callback, the error mapping and the layer are tested without libvirtd. The real daemon's
//! tests are in `tests/auth.rs`.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::{Buf, BytesMut};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::layer::SecurityLayer;
use super::sasl::testing::{Cipher, DigestLayer, Qop, Side, md5, parse_pairs, response_value};
use super::*;
use crate::config::{CallbackError, Credential, CredentialType, StaticCredentials};
use crate::proto::frame::{self, Packet};
use crate::proto::packet::{Header, Status, Type};
use crate::proto::remote::procs;
use crate::proto::virnet;
use crate::proto::xdr::{Chars, Decode, Encode, XdrString, decode_exact};
use crate::proto::{Procedure, remote};

const USER: &str = "alice";
const PASS: &str = "secret123";
const REALM: &str = "fakehost.example";

/// How the fake daemon behaves.
#[derive(Clone)]
struct Script {
    auth: Vec<AuthType>,
    mechlist: &'static str,
    /// DIGEST-MD5 challenge's qop and cipher lists, maxbuf.
    qop: &'static str,
    ciphers: &'static str,
    maxbuf: u32,
    /// SCRAM: claim completion with the server-first message (a broken server).
    scram_complete_early: bool,
    /// Polkit: allow (complete=1) or refuse (error).
    polkit_allows: bool,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            auth: vec![AuthType::Sasl],
            mechlist: "SCRAM-SHA-256,DIGEST-MD5,PLAIN",
            qop: "auth,auth-int,auth-conf",
            ciphers: "rc4-40,rc4-56,rc4,des,3des",
            maxbuf: 65536,
            scram_complete_early: false,
            polkit_allows: true,
        }
    }
}

/// What the fake daemon saw.
#[derive(Default, Debug)]
struct Seen {
    mech: Option<String>,
    digest_response: Option<String>,
    layer: Option<Qop>,
    calls_after_auth: usize,
}

enum MechState {
    None,
    Scram {
        client_first_bare: String,
        server_first: String,
        nonce: String,
        salted: Vec<u8>,
    },
    Digest {
        nonce: String,
    },
}

struct Fake {
    stream: DuplexStream,
    script: Script,
    seen: Arc<Mutex<Seen>>,
    raw: BytesMut,
    plain: BytesMut,
    layer: Option<DigestLayer>,
    /// Installed once the reply that completes the exchange has gone out in the clear.
    pending_layer: Option<DigestLayer>,
    state: MechState,
}

fn remote_error(code: i32, message: &str) -> Box<virnet::MessageError> {
    Box::new(virnet::MessageError {
        code,
        domain: 7, // VIR_FROM_RPC
        message: Some(XdrString::try_from(message).unwrap()),
        level: 2,
        ..Default::default()
    })
}

type ReplyResult = std::result::Result<BytesMut, Box<virnet::MessageError>>;

fn ok<T: Encode>(v: &T) -> ReplyResult {
    let mut b = BytesMut::new();
    v.encode(&mut b);
    Ok(b)
}

fn args<T: Decode>(p: &Packet) -> T {
    decode_exact::<T>(&p.payload).expect("the client's arguments decode")
}

fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

impl Fake {
    async fn serve(mut self) {
        while let Some(packet) = self.next_packet().await {
            let h = packet.header.clone();
            let reply = self.handle(&packet);
            let (status, payload) = match reply {
                Ok(p) => (Status::Ok, p),
                Err(e) => {
                    let mut b = BytesMut::new();
                    e.encode(&mut b);
                    (Status::Error, b)
                }
            };
            let header = Header {
                r#type: Type::Reply,
                status,
                ..h
            };
            let mut out = BytesMut::new();
            frame::encode_raw_packet(&mut out, &header, &payload).unwrap();
            if self.send(&out).await.is_err() {
                return;
            }
            if let Some(layer) = self.pending_layer.take() {
                self.layer = Some(layer);
            }
        }
    }

    async fn send(&mut self, data: &[u8]) -> std::io::Result<()> {
        match &mut self.layer {
            None => self.stream.write_all(data).await,
            Some(layer) => {
                // as libvirt does: chunks of at most the client's buffer less the overhead
                let mut wire = Vec::new();
                for chunk in data.chunks(layer.max_plain()) {
                    layer.encode(chunk, &mut wire);
                }
                self.stream.write_all(&wire).await
            }
        }
    }

    async fn next_packet(&mut self) -> Option<Packet> {
        loop {
            if let Some(body) = frame::next_frame(&mut self.plain).unwrap() {
                return Some(Packet::parse(body).unwrap());
            }
            if self.stream.read_buf(&mut self.raw).await.ok()? == 0 {
                return None;
            }
            match &mut self.layer {
                None => {
                    let raw = self.raw.split();
                    self.plain.extend_from_slice(&raw);
                }
                Some(layer) => {
                    while self.raw.len() >= 4 {
                        let len = u32::from_be_bytes(self.raw[..4].try_into().unwrap()) as usize;
                        assert!(len <= layer.max_record(), "client sent an oversized packet");
                        if self.raw.len() < 4 + len {
                            break;
                        }
                        self.raw.advance(4);
                        let mut body = self.raw.split_to(len);
                        let mut plain = Vec::new();
                        layer
                            .decode(&mut body, &mut plain)
                            .expect("the client's packet decodes");
                        self.plain.extend_from_slice(&plain);
                    }
                }
            }
        }
    }

    fn handle(&mut self, p: &Packet) -> ReplyResult {
        let n = p.header.proc;
        if n == procs::AuthList::INFO.number {
            return ok(&remote::AuthListRet {
                types: self.script.auth.clone().try_into().unwrap(),
            });
        }
        if n == procs::AuthSaslInit::INFO.number {
            return ok(&remote::AuthSaslInitRet {
                mechlist: XdrString::try_from(self.script.mechlist).unwrap(),
            });
        }
        if n == procs::AuthSaslStart::INFO.number {
            let a: remote::AuthSaslStartArgs = args(p);
            let mech = a.mech.as_str().to_owned();
            self.seen.lock().unwrap().mech = Some(mech.clone());
            let data = (a.nil == 0).then(|| a.data.into_inner());
            return self.start(&mech, data);
        }
        if n == procs::AuthSaslStep::INFO.number {
            let a: remote::AuthSaslStepArgs = args(p);
            let data = (a.nil == 0).then(|| a.data.into_inner());
            return self.step(data);
        }
        if n == procs::AuthPolkit::INFO.number {
            return if self.script.polkit_allows {
                ok(&remote::AuthPolkitRet { complete: 1 })
            } else {
                Err(remote_error(
                    94,
                    "authentication unavailable: no polkit agent available to authenticate \
                     action 'org.libvirt.unix.manage'",
                ))
            };
        }
        self.seen.lock().unwrap().calls_after_auth += 1;
        if n == procs::ConnectGetLibVersion::INFO.number {
            return ok(&remote::ConnectGetLibVersionRet { lib_ver: 9_000_000 });
        }
        if n == procs::ConnectFindStoragePoolSources::INFO.number {
            // echoes srcSpec: big payloads both ways
            let a: remote::ConnectFindStoragePoolSourcesArgs = args(p);
            return ok(&remote::ConnectFindStoragePoolSourcesRet {
                xml: a.src_spec.unwrap(),
            });
        }
        Err(remote_error(1, "unexpected call"))
    }

    fn sasl_ret(complete: bool, data: Option<Vec<u8>>) -> ReplyResult {
        ok(&remote::AuthSaslStartRet {
            complete: i32::from(complete),
            nil: i32::from(data.is_none()),
            data: Chars::new(data.unwrap_or_default()).unwrap(),
        })
    }

    fn failed() -> Box<virnet::MessageError> {
        remote_error(45, "authentication failed: authentication failed")
    }

    fn start(&mut self, mech: &str, data: Option<Vec<u8>>) -> ReplyResult {
        match mech {
            "PLAIN" => {
                if data.as_deref() == Some(format!("\0{USER}\0{PASS}").as_bytes()) {
                    Self::sasl_ret(true, None)
                } else {
                    Err(Self::failed())
                }
            }
            "SCRAM-SHA-256" => {
                let first = String::from_utf8(data.unwrap()).unwrap();
                let bare = first.strip_prefix("n,,").unwrap().to_owned();
                let cnonce = bare.split(",r=").nth(1).unwrap();
                let nonce = format!("{cnonce}srvNONCE");
                let salt = b"saltsalt";
                let mut salted = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(PASS.as_bytes(), salt, 64, &mut salted);
                let server_first = format!("r={nonce},s={},i=64", B64.encode(salt));
                self.state = MechState::Scram {
                    client_first_bare: bare,
                    server_first: server_first.clone(),
                    nonce,
                    salted: salted.to_vec(),
                };
                Self::sasl_ret(
                    self.script.scram_complete_early,
                    Some(server_first.into_bytes()),
                )
            }
            "DIGEST-MD5" => {
                assert!(data.is_none(), "DIGEST-MD5 has no initial response");
                let nonce = "Zm9vYmFyYmF6".to_owned();
                let challenge = format!(
                    "realm=\"{REALM}\",nonce=\"{nonce}\",qop=\"{}\",cipher=\"{}\",maxbuf={},\
                     charset=utf-8,algorithm=md5-sess",
                    self.script.qop, self.script.ciphers, self.script.maxbuf
                );
                self.state = MechState::Digest { nonce };
                Self::sasl_ret(false, Some(challenge.into_bytes()))
            }
            _ => Err(remote_error(1, "unknown mechanism")),
        }
    }

    fn step(&mut self, data: Option<Vec<u8>>) -> ReplyResult {
        match std::mem::replace(&mut self.state, MechState::None) {
            MechState::Scram {
                client_first_bare,
                server_first,
                nonce,
                salted,
            } => {
                let fin = String::from_utf8(data.unwrap()).unwrap();
                let (without_proof, proof) = fin.rsplit_once(",p=").unwrap();
                assert_eq!(without_proof, format!("c=biws,r={nonce}"));
                let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
                let client_key = hmac256(&salted, b"Client Key");
                let stored = Sha256::digest(&client_key);
                let sig = hmac256(&stored, auth_message.as_bytes());
                let expected: Vec<u8> = client_key.iter().zip(&sig).map(|(a, b)| a ^ b).collect();
                if B64.decode(proof).unwrap() != expected {
                    return Err(Self::failed());
                }
                let server_key = hmac256(&salted, b"Server Key");
                let v = B64.encode(hmac256(&server_key, auth_message.as_bytes()));
                Self::sasl_ret(true, Some(format!("v={v}").into_bytes()))
            }
            MechState::Digest { nonce } => {
                let text = String::from_utf8(data.unwrap()).unwrap();
                self.seen.lock().unwrap().digest_response = Some(text.clone());
                let pairs = parse_pairs(&text).unwrap();
                let get = |k: &str| {
                    pairs
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                assert_eq!(get("nonce"), nonce);
                assert_eq!(get("realm"), REALM);
                let qop = match (get("qop").as_str(), get("cipher").as_str()) {
                    ("auth", _) => Qop::Auth,
                    ("auth-int", _) => Qop::AuthInt,
                    ("auth-conf", "rc4") => Qop::AuthConf(Cipher::Rc4),
                    ("auth-conf", "3des") => Qop::AuthConf(Cipher::TripleDes),
                    ("auth-conf", "rc4-56") => Qop::AuthConf(Cipher::Rc4_56),
                    other => panic!("unexpected qop/cipher {other:?}"),
                };
                let secret = md5(&[format!("{}:{REALM}:{PASS}", get("username")).as_bytes()]);
                let ha1 = md5(&[
                    &secret,
                    b":",
                    nonce.as_bytes(),
                    b":",
                    get("cnonce").as_bytes(),
                ]);
                let uri = get("digest-uri");
                let expected =
                    response_value(&ha1, &nonce, &get("cnonce"), qop, &uri, "AUTHENTICATE");
                if get("username") != USER || get("response") != expected {
                    return Err(Self::failed());
                }
                let rspauth = response_value(&ha1, &nonce, &get("cnonce"), qop, &uri, "");
                if qop != Qop::Auth {
                    let client_maxbuf: u32 = get("maxbuf").parse().unwrap();
                    self.pending_layer = Some(DigestLayer::new(
                        &ha1,
                        qop,
                        client_maxbuf,
                        self.script.maxbuf,
                        Side::Server,
                    ));
                }
                self.seen.lock().unwrap().layer = Some(qop);
                Self::sasl_ret(true, Some(format!("rspauth={rspauth}").into_bytes()))
            }
            MechState::None => Err(remote_error(1, "no SASL exchange in progress")),
        }
    }
}

// ------------------------------------------------------------------------------ the tests

fn spawn_fake(script: Script) -> (BoxStream, Arc<Mutex<Seen>>) {
    let (client, server) = tokio::io::duplex(16 * 1024);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let fake = Fake {
        stream: server,
        script,
        seen: Arc::clone(&seen),
        raw: BytesMut::new(),
        plain: BytesMut::new(),
        layer: None,
        pending_layer: None,
        state: MechState::None,
    };
    tokio::spawn(fake.serve());
    (Box::new(client), seen)
}

async fn auth(
    script: Script,
    uri: &str,
    callback: Option<Arc<dyn AuthCallback>>,
    config: Option<AuthConfig>,
) -> (Result<BoxStream>, Arc<Mutex<Seen>>) {
    let (stream, seen) = spawn_fake(script);
    let uri: Uri = uri.parse().unwrap();
    let r = run(stream, &uri, callback, move |_| Ok(config)).await;
    (r.map(|(stream, _layered)| stream), seen)
}

fn alice() -> Option<Arc<dyn AuthCallback>> {
    Some(Arc::new(StaticCredentials::new(USER, PASS)))
}

const UNIX: &str = "test+unix:///default?socket=/nonexistent";
const TCP: &str = "test+tcp://fakehost/default";

async fn lib_version(stream: &mut BoxStream) -> u64 {
    SequentialRpc::new(&mut **stream)
        .call::<procs::ConnectGetLibVersion>(&())
        .await
        .unwrap()
        .lib_ver
}

/// A large payload to the daemon and back (several security-layer packets each way).
async fn echo(stream: &mut BoxStream, len: usize) {
    let text: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let ret = SequentialRpc::new(&mut **stream)
        .call::<procs::ConnectFindStoragePoolSources>(&remote::ConnectFindStoragePoolSourcesArgs {
            r#type: XdrString::try_from("dir").unwrap(),
            src_spec: Some(XdrString::try_from(text.as_str()).unwrap()),
            flags: Default::default(),
        })
        .await
        .unwrap();
    assert!(ret.xml.as_str() == text, "the echo differs");
}

fn the_daemons_error(err: &Error) -> &crate::RemoteError {
    let source = std::error::Error::source(err).expect("the daemon's error is the source");
    source
        .downcast_ref::<Error>()
        .and_then(Error::remote)
        .expect("the source is the daemon's error")
}

#[tokio::test]
async fn scram_sha256_on_a_secure_link() {
    let (r, seen) = auth(Script::default(), UNIX, alice(), None).await;
    let mut stream = r.unwrap();
    assert_eq!(seen.lock().unwrap().mech.as_deref(), Some("SCRAM-SHA-256"));
    assert_eq!(lib_version(&mut stream).await, 9_000_000);
}

#[tokio::test]
async fn a_wrong_password_keeps_the_daemons_error() {
    let wrong: Arc<dyn AuthCallback> = Arc::new(StaticCredentials::new(USER, "nope"));
    for (mechlist, uri) in [
        ("SCRAM-SHA-256", UNIX),
        ("PLAIN", UNIX),
        ("DIGEST-MD5", TCP),
    ] {
        let script = Script {
            mechlist,
            ..Script::default()
        };
        let (r, _) = auth(script, uri, Some(Arc::clone(&wrong)), None).await;
        let err = r.err().expect("a wrong password fails");
        assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(mechlist) && msg.contains(USER), "{msg}");
        let daemon = the_daemons_error(&err);
        assert_eq!(daemon.code, crate::ErrorCode::AuthFailed, "{err:?}");
        // the daemon's words are the cause, not part of this error's message
        let theirs = daemon.message.as_deref().unwrap();
        assert!(theirs.contains("authentication failed"), "{theirs}");
        assert!(!msg.contains(theirs), "{msg}");
    }
}

#[tokio::test]
async fn plain_when_the_uri_asks_for_it() {
    let uri = format!("{UNIX}&auth=sasl.plain");
    let (r, seen) = auth(Script::default(), &uri, alice(), None).await;
    let mut stream = r.unwrap();
    assert_eq!(seen.lock().unwrap().mech.as_deref(), Some("PLAIN"));
    assert_eq!(lib_version(&mut stream).await, 9_000_000);
}

#[tokio::test]
async fn digest_md5_on_tcp_wraps_the_stream_in_rc4() {
    let (r, seen) = auth(Script::default(), TCP, alice(), None).await;
    let mut stream = r.unwrap();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.mech.as_deref(), Some("DIGEST-MD5"));
        assert_eq!(seen.layer, Some(Qop::AuthConf(Cipher::Rc4)));
        let resp = seen.digest_response.as_deref().unwrap();
        assert!(resp.contains("digest-uri=\"libvirt/fakehost\""), "{resp}");
        assert!(
            resp.contains("qop=auth-conf,cipher=rc4,maxbuf=100000"),
            "{resp}"
        );
    }
    for _ in 0..3 {
        assert_eq!(lib_version(&mut stream).await, 9_000_000);
    }
    echo(&mut stream, 300_000).await;
    assert_eq!(lib_version(&mut stream).await, 9_000_000);
    assert_eq!(seen.lock().unwrap().calls_after_auth, 5);
}

#[tokio::test]
async fn digest_md5_3des_with_a_small_server_buffer() {
    let script = Script {
        ciphers: "des,3des",
        maxbuf: 4096,
        ..Script::default()
    };
    let (r, seen) = auth(script, TCP, alice(), None).await;
    let mut stream = r.unwrap();
    assert_eq!(
        seen.lock().unwrap().layer,
        Some(Qop::AuthConf(Cipher::TripleDes))
    );
    echo(&mut stream, 50_000).await;
    assert_eq!(lib_version(&mut stream).await, 9_000_000);
}

#[tokio::test]
async fn without_a_strong_enough_layer_tcp_is_refused() {
    for (qop, ciphers) in [("auth,auth-int", "rc4"), ("auth-conf", "des,rc4-40")] {
        let script = Script {
            qop,
            ciphers,
            ..Script::default()
        };
        let (r, _) = auth(script, TCP, alice(), None).await;
        let err = r.err().expect("no layer of 56 bits");
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(err.to_string().contains("56"), "{err}");
    }
    let script = Script {
        mechlist: "SCRAM-SHA-256,PLAIN",
        ..Script::default()
    };
    let (r, _) = auth(script, TCP, alice(), None).await;
    let err = r.err().unwrap();
    assert!(err.to_string().contains("unencrypted"), "{err}");
}

#[tokio::test]
async fn digest_md5_on_a_secure_link_needs_no_layer() {
    let uri = format!("{UNIX}&auth=sasl.DIGEST-MD5");
    let (r, seen) = auth(Script::default(), &uri, alice(), None).await;
    let mut stream = r.unwrap();
    assert_eq!(seen.lock().unwrap().layer, Some(Qop::Auth));
    let resp = seen.lock().unwrap().digest_response.clone().unwrap();
    assert!(resp.contains("libvirt/localhost"), "{resp}");
    assert_eq!(lib_version(&mut stream).await, 9_000_000);
}

#[tokio::test]
async fn auth_conf_first_then_the_callback() {
    let conf = AuthConfig::parse(
        &format!("[credentials-c]\nauthname={USER}\n[auth-libvirt-fakehost]\ncredentials=c\n"),
        "auth.conf",
    )
    .unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    let callback = move |creds: &mut [Credential]| -> std::result::Result<(), CallbackError> {
        for c in creds.iter_mut() {
            log.lock()
                .unwrap()
                .push((c.kind(), c.challenge().map(str::to_owned)));
            if c.kind() == CredentialType::Passphrase {
                c.set_result(PASS);
            }
        }
        Ok(())
    };
    let (r, _) = auth(Script::default(), TCP, Some(Arc::new(callback)), Some(conf)).await;
    let mut stream = r.unwrap();
    assert_eq!(
        *asked.lock().unwrap(),
        vec![(CredentialType::Passphrase, Some("fakehost".to_owned()))],
        "the callback is asked only what auth.conf lacks"
    );
    assert_eq!(lib_version(&mut stream).await, 9_000_000);
}

#[tokio::test]
async fn the_callback_sees_the_uri_user_as_default() {
    let defaults = Arc::new(Mutex::new(None));
    let log = Arc::clone(&defaults);
    let callback = move |creds: &mut [Credential]| -> std::result::Result<(), CallbackError> {
        for c in creds.iter_mut() {
            match c.kind() {
                CredentialType::AuthName => {
                    *log.lock().unwrap() = c.default_result().map(str::to_owned);
                    c.set_result(USER);
                }
                _ => c.set_result(PASS),
            }
        }
        Ok(())
    };
    let (r, _) = auth(
        Script::default(),
        "test+tls://bob@fakehost/default",
        Some(Arc::new(callback)),
        None,
    )
    .await;
    r.unwrap();
    assert_eq!(defaults.lock().unwrap().as_deref(), Some("bob"));
}

#[tokio::test]
async fn missing_credentials_are_explained() {
    let (r, seen) = auth(Script::default(), TCP, None, None).await;
    let err = r.err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let msg = err.to_string();
    assert!(
        msg.contains("auth.conf") && msg.contains("password") && msg.contains("fakehost"),
        "{msg}"
    );
    assert!(seen.lock().unwrap().mech.is_none(), "nothing was sent");

    let refusing = |_: &mut [Credential]| -> std::result::Result<(), CallbackError> {
        Err("the user cancelled".into())
    };
    let (r, _) = auth(Script::default(), TCP, Some(Arc::new(refusing)), None).await;
    let err = r.err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("cancelled"), "{source}");
}

#[tokio::test]
async fn a_daemon_that_skips_proving_itself_is_refused() {
    let script = Script {
        scram_complete_early: true,
        ..Script::default()
    };
    let (r, _) = auth(script, UNIX, alice(), None).await;
    let err = r.err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("prove"), "{err}");
}

#[tokio::test]
async fn polkit() {
    let script = Script {
        auth: vec![AuthType::Polkit],
        ..Script::default()
    };
    let (r, _) = auth(script.clone(), UNIX, None, None).await;
    let mut stream = r.unwrap();
    assert_eq!(lib_version(&mut stream).await, 9_000_000);

    let script = Script {
        polkit_allows: false,
        ..script
    };
    let (r, _) = auth(script, UNIX, None, None).await;
    let err = r.err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("polkit"), "{err}");
    assert_eq!(
        the_daemons_error(&err).code,
        crate::ErrorCode::AuthUnavailable
    );
}

#[test]
fn method_choice_like_libvirt() {
    let uri = |s: &str| -> Uri { s.parse().unwrap() };
    let plain = uri(UNIX);
    assert_eq!(choose(&[], &plain).unwrap(), (AuthType::None, None));
    assert_eq!(
        choose(&[AuthType::Polkit, AuthType::Sasl], &plain).unwrap(),
        (AuthType::Polkit, None)
    );
    assert_eq!(
        choose(&[AuthType::Sasl, AuthType::None], &plain).unwrap(),
        (AuthType::None, None)
    );
    let u = uri(&format!("{UNIX}&auth=SASL.scram-sha-1"));
    assert_eq!(
        choose(&[AuthType::Polkit, AuthType::Sasl], &u).unwrap(),
        (AuthType::Sasl, Some("scram-sha-1"))
    );
    let u = uri(&format!("{UNIX}&auth=sasl"));
    let e = choose(&[AuthType::None], &u).unwrap_err();
    assert!(e.to_string().contains("rejected"), "{e}");
    let u = uri(&format!("{UNIX}&auth=kerberos"));
    let e = choose(&[AuthType::Sasl], &u).unwrap_err();
    assert!(e.to_string().contains("unknown authentication type"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(is_secure(crate::config::Transport::Unix));
    assert!(is_secure(crate::config::Transport::Tls));
    assert!(is_secure(crate::config::Transport::Ssh));
    assert!(!is_secure(crate::config::Transport::Tcp));
    assert!(!is_secure(crate::config::Transport::Ext));
}
