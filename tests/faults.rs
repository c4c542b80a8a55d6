//! Faults: what the client does when the daemon dies, misbehaves or lies, and what it refuses.
//! Each test checks a clear error or a traced drop, never a panic or a hang, and that the
//! connection goes on where it should.
//!
//! Covered elsewhere, not repeated here:
//! - `tests/driver.rs` (in-process peer): a reply for an unknown serial, a reply naming another
//!   program, version or procedure than its call, an oversized length, the peer dying with a
//!   call pending, a call dropped before its reply, a silent peer caught by keepalive (paused
//!   clock), a stream failed by the daemon's error reply, stream readers falling behind.
//! - `tests/close_and_timeouts.rs`: the link breaking under a pending call (cause kept),
//!   connect and call timeouts on a silent daemon, a late reply after a timeout.
//! - `tests/keepalive.rs`: the real daemon hangs up on a client that stops answering PINGs.
//! - `tests/transport_tls.rs`: wrong CA, wrong host name, a CRL revoking the server's
//!   certificate, the server refusing our certificate.
//! - `tests/transport_libssh2.rs`: a changed or unknown host key with the in-process ssh;
//!   `tests/transport_ssh.rs`: an unknown host key with the system ssh.
//! - `tests/streams.rs` (real daemon): a stream error surfacing on finish, an aborted upload.
//! - `fuzz/fuzz_targets/driver.rs`: arbitrary packet sequences into the driver (every pending
//!   call ends); `scripts/fuzz.sh` runs it.
//!
//! Here: libvirtd killed (SIGKILL) with calls pending on unix, tcp and tls connections; frames
//! shorter than a header, garbage headers and other protocols' bytes; messages of unknown
//! programs, stream data for no stream, events for unknown callbacks (traced drops); the daemon
//! aborting a stream mid-transfer; a call cancelled halfway through its reply or its write;
//! an expired TLS certificate; a changed ssh host key with the system ssh; secrets in `Debug`
//! output and in logs.
//!
//! The daemon test stops the sandbox's main libvirtd and starts it again: no other test of this
//! file uses that daemon (cargo runs test binaries one at a time).

mod common;
#[path = "common/peer.rs"]
mod peer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{Sandbox, node};
use peer::{
    PROC_ECHO, PROG, Peer, answer_header, echo, encoded, remote_error_payload, reply_header,
    spawn_echo,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtwire::proto::packet::{Header, Status, Type};
use virtwire::proto::remote::{self, procs};
use virtwire::proto::xdr::decode_exact;
use virtwire::rpc::{self, Chunk, RawClient, WhenFull};
use virtwire::{Client, Error, ErrorKind};

/// Guards against a hang only; nothing here is expected to take more than a fraction of it.
const PATIENCE: Duration = Duration::from_secs(20);

// ------------------------------------------------------------------ captured logs

/// Everything every test of this binary logs, at every level (one global subscriber, so that
/// logs from any thread are caught). Tests look for their own unique markers in it.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(logs.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        logs
    })
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap()).into_owned()
}

/// Waits (yielding) until a log line holds every one of `parts`; fails after [`PATIENCE`].
async fn await_log_line(parts: &[&str]) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if logged()
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
        {
            return;
        }
        assert!(Instant::now() < deadline, "no log line with {parts:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ------------------------------------------------------------------ the in-process peer

/// A client and the fake daemon at its other end, with this binary's logs captured.
fn setup() -> (RawClient, Peer) {
    logs();
    peer::setup()
}

/// A call of `value` answered by the peer: proof the connection is in step.
async fn assert_in_step(client: &RawClient, peer: &mut Peer, value: u32) {
    let call = spawn_echo(client, value);
    peer.echo_one().await;
    let got = tokio::time::timeout(PATIENCE, call).await.expect("hang");
    assert_eq!(got.unwrap().unwrap(), value);
}

/// The protocol error kept behind a connection's close error.
fn protocol_cause(err: &Error) -> &Error {
    assert_eq!(err.kind(), ErrorKind::Closed, "{err:?}");
    let cause = std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("the cause is kept: {err:?}"));
    assert_eq!(cause.kind(), ErrorKind::Protocol, "{cause:?}");
    cause
}

/// Sends `bytes` to a fresh connection with a call pending: the call and the connection end
/// with a protocol error whose message holds `expect`.
async fn assert_bytes_end_the_connection(bytes: &[u8], expect: &str) {
    let (client, mut peer) = setup();
    let call = spawn_echo(&client, 1);
    peer.read_packet().await.unwrap();
    peer.io.write_all(bytes).await.unwrap();
    let err = tokio::time::timeout(PATIENCE, call)
        .await
        .unwrap_or_else(|_| panic!("hang on {bytes:02x?}"))
        .unwrap()
        .unwrap_err();
    let cause = common::error_chain(protocol_cause(&err));
    assert!(cause.contains(expect), "{bytes:02x?}: {cause}");
    // and every later call fails at once with the same cause
    let later = echo(&client, 2).await.unwrap_err();
    assert!(later.to_string() == err.to_string(), "{later} / {err}");
    assert!(client.is_closed());
}

// ------------------------------------------------------------------ malformed frames

#[tokio::test]
async fn a_length_word_below_a_header_ends_the_connection() {
    // 28 bytes are the length word and a header: anything shorter cannot be a packet
    for len in [0u32, 4, 27] {
        assert_bytes_end_the_connection(&len.to_be_bytes(), "shorter than the minimum of 28").await;
    }
}

/// Every 24 bytes decode as a header (the enums keep unknown values): a packet of an unknown
/// type on a call's serial is dropped and traced, a reply of an unknown status fails its call
/// with a protocol error, and the connection goes on.
#[tokio::test]
async fn unknown_packet_types_are_dropped_and_unknown_reply_statuses_fail_the_call() {
    let (client, mut peer) = setup();
    let call = spawn_echo(&client, 1);
    let p = peer.read_packet().await.unwrap();
    // header: program, version, procedure, type, serial, status
    let mut odd_type = encoded(&reply_header(&p.header), &p.payload).to_vec();
    odd_type[4 + 12..4 + 16].copy_from_slice(&99u32.to_be_bytes());
    peer.io.write_all(&odd_type).await.unwrap();
    await_log_line(&[
        "ignoring an unsolicited packet",
        "Unknown",
        "procedure=1000",
    ])
    .await;
    assert!(!call.is_finished());
    let mut odd_status = encoded(&reply_header(&p.header), &p.payload).to_vec();
    odd_status[4 + 20..4 + 24].copy_from_slice(&7u32.to_be_bytes());
    peer.io.write_all(&odd_status).await.unwrap();
    let err = tokio::time::timeout(PATIENCE, call)
        .await
        .expect("hang")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err:?}");
    assert!(err.to_string().contains("has status"), "{err}");
    assert_in_step(&client, &mut peer, 2).await;
}

#[tokio::test]
async fn another_protocols_bytes_end_the_connection() {
    // what a web server, an ssh server or a TLS server says first
    for garbage in [
        &b"HTTP/1.1 400 Bad Request\r\n\r\n"[..],
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
        &[
            0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03,
        ],
    ] {
        // their first four bytes read as a length beyond the maximum, or below a header
        assert_bytes_end_the_connection(garbage, "frame length").await;
    }
}

// ------------------------------------------------------------------ traced drops

#[tokio::test]
async fn a_message_of_an_unknown_program_is_dropped_and_traced() {
    let (client, mut peer) = setup();
    for (prog, proc) in [(0x1234_5678u32, 4242i32), (PROG, 999_991)] {
        let h = Header {
            prog,
            vers: 1,
            proc,
            r#type: Type::Message,
            serial: 0,
            status: Status::Ok,
        };
        peer.send(&h, b"whatever").await;
        assert_in_step(&client, &mut peer, 3).await;
        await_log_line(&[
            "ignoring an unknown message",
            &format!("program={prog}"),
            &format!("procedure={proc}"),
        ])
        .await;
    }
}

#[tokio::test]
async fn stream_data_for_no_stream_is_dropped_and_traced() {
    let (client, mut peer) = setup();
    const NOBODYS: u32 = 0x5eed_0001;
    for r#type in [Type::Stream, Type::StreamHole] {
        let h = Header {
            prog: PROG,
            vers: 1,
            proc: <procs::StorageVolDownload as virtwire::proto::Procedure>::INFO.number,
            r#type,
            serial: NOBODYS,
            status: Status::Continue,
        };
        peer.send(&h, &[7; 1000]).await;
    }
    assert_in_step(&client, &mut peer, 4).await;
    await_log_line(&[
        "discarding data of a stream that is gone",
        &format!("serial={NOBODYS}"),
    ])
    .await;
}

/// Events on callback ids nobody registered: the early-event ring keeps at most a few (they
/// may precede their registration's reply), the rest are dropped; the connection goes on.
#[tokio::test]
async fn events_for_unknown_callbacks_do_not_stop_the_connection() {
    let (client, mut peer) = setup();
    let h = Header {
        prog: remote::PROGRAM,
        vers: remote::PROTOCOL_VERSION,
        proc: 318, // DOMAIN_EVENT_CALLBACK_LIFECYCLE
        r#type: Type::Message,
        serial: 0,
        status: Status::Ok,
    };
    let mut burst = BytesMut::new();
    for id in 0..10_000i32 {
        // a callback id, then a payload that would not even decode
        let mut payload = (1000 + id).to_be_bytes().to_vec();
        payload.extend_from_slice(b"junk");
        burst.extend_from_slice(&encoded(&h, &payload));
    }
    // and one too short to hold a callback id
    burst.extend_from_slice(&encoded(&h, &[1, 2]));
    peer.io.write_all(&burst).await.unwrap();
    assert_in_step(&client, &mut peer, 5).await;
    await_log_line(&["ignoring an event without callback id", "procedure=318"]).await;
    assert!(!client.is_closed());
}

// ------------------------------------------------------------------ streams

/// Opens a download stream on the fake peer; returns it and the call's header.
async fn open_download(client: &RawClient, peer: &mut Peer) -> (rpc::RawStream, Header) {
    let args = remote::StorageVolDownloadArgs {
        vol: remote::NonnullStorageVol {
            pool: "p".try_into().unwrap(),
            name: "v".try_into().unwrap(),
            key: "k".try_into().unwrap(),
        },
        offset: 0,
        length: 0,
        flags: Default::default(),
    };
    let opening = tokio::spawn({
        let c = client.clone();
        async move {
            c.call_stream::<procs::StorageVolDownload>(&args, WhenFull::Pause)
                .await
        }
    });
    let call = peer.read_packet().await.unwrap().header;
    peer.reply(&call, &[]).await;
    let ((), stream) = opening.await.unwrap().unwrap();
    (stream, call)
}

/// What libvirtd sends when a stream fails on its side halfway (a read error of the volume):
/// STREAM packets of data, then a STREAM packet with status ERROR and the error. The reader
/// gets the daemon's error (after none, some or all of the data, in order; like libvirt's
/// client, a failure drops what is still queued), never an end of data that would pass for a
/// complete transfer; the connection goes on.
#[tokio::test]
async fn a_stream_the_daemon_aborts_mid_transfer_fails_with_its_error() {
    let (client, mut peer) = setup();
    let (mut stream, call) = open_download(&client, &mut peer).await;
    let data = answer_header(&call, Type::Stream, Status::Continue);
    for i in 0..3u8 {
        peer.send(&data, &[i; 4096]).await;
    }
    // code 38 (system error), domain 18 (storage)
    let failed = answer_header(&call, Type::Stream, Status::Error);
    let err = remote_error_payload(38, 18, Some("unable to read volume"));
    peer.send(&failed, &err).await;
    let mut next = 0u8;
    let err = loop {
        match stream.next_chunk().await {
            Ok(Some(chunk)) => {
                assert_eq!(chunk, Chunk::Data(vec![next; 4096].into()));
                next += 1;
            }
            Ok(None) => panic!("a failed stream ended as if complete"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::Remote, "{err:?}");
    let remote = err.remote().unwrap();
    assert_eq!(
        (remote.code.to_i32(), remote.domain.to_i32()),
        (38, 18),
        "{remote:?}"
    );
    assert_eq!(remote.message.as_deref(), Some("unable to read volume"));
    // the stream stays failed; the connection does not
    assert_eq!(
        stream.next_chunk().await.unwrap_err().kind(),
        ErrorKind::Remote
    );
    assert_in_step(&client, &mut peer, 6).await;
}

// ------------------------------------------------------------------ cancellation

/// A caller waiting for its reply reads the connection itself (src/rpc/direct.rs): cancelled
/// after half of its reply has arrived, it must leave the half in the connection's buffer,
/// not lose it.
#[tokio::test]
async fn a_call_cancelled_halfway_through_its_reply_leaves_the_connection_in_step() {
    let (client, mut peer) = setup();
    let first = spawn_echo(&client, 10);
    let p = peer.read_packet().await.unwrap();
    let reply = encoded(&reply_header(&p.header), &p.payload);
    let (head, tail) = reply.split_at(reply.len() / 2);
    peer.io.write_all(head).await.unwrap();
    // let the caller read the half, then cancel it
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    // the second half, then a whole exchange: both frames are read as frames
    let second = spawn_echo(&client, 11);
    let q = peer.read_packet().await.unwrap();
    peer.io.write_all(tail).await.unwrap();
    peer.reply(&q.header, &q.payload).await;
    let got = tokio::time::timeout(PATIENCE, second).await.expect("hang");
    assert_eq!(got.unwrap().unwrap(), 11);
    assert!(!client.is_closed());
}

/// A call too large for the transport to take at once, cancelled while the peer has read only
/// part of it: the rest of its frame still goes out, so the next call's frame is whole.
#[tokio::test]
async fn a_call_cancelled_halfway_through_its_write_still_sends_a_whole_frame() {
    use virtwire::proto::xdr::{Opaque, UNBOUNDED};
    let (client, mut peer) = setup();
    let big = {
        let c = client.clone();
        tokio::spawn(async move {
            let data = Opaque::<UNBOUNDED>::new(vec![5u8; 1 << 20]).unwrap();
            c.call_bytes(PROG, 1, PROC_ECHO, &data).await
        })
    };
    // the duplex holds 64 KiB: read some of the frame, then cancel the call
    let mut part = vec![0u8; 100_000];
    peer.io.read_exact(&mut part).await.unwrap();
    big.abort();
    assert!(big.await.unwrap_err().is_cancelled());
    peer.buf.extend_from_slice(&part);
    let next = spawn_echo(&client, 12);
    let cancelled = peer.read_packet().await.unwrap();
    assert_eq!(cancelled.payload.len(), 4 + (1 << 20));
    let p = peer.read_packet().await.unwrap();
    assert_eq!(decode_exact::<u32>(&p.payload).unwrap(), 12);
    peer.reply(&cancelled.header, &[0; 4]).await;
    peer.reply(&p.header, &p.payload).await;
    let got = tokio::time::timeout(PATIENCE, next).await.expect("hang");
    assert_eq!(got.unwrap().unwrap(), 12);
}

// ------------------------------------------------------------------ the real daemon killed

fn main_libvirtd_pid() -> String {
    let pidfile = format!("{}/run/libvirtd.pid", Sandbox::get().dir());
    std::fs::read_to_string(pidfile).unwrap().trim().to_owned()
}

fn signal(sig: &str, pid: &str) {
    let ok = Command::new("kill").args([sig, pid]).status().unwrap();
    assert!(ok.success(), "kill {sig} {pid}");
}

/// Starts the sandbox's main libvirtd again when dropped (after the test, passed or failed):
/// the test binaries after this one need it.
struct RestartOnDrop(String);

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        let pid = &self.0;
        let _ = Command::new("kill").args(["-KILL", pid]).status();
        let proc = PathBuf::from(format!("/proc/{pid}"));
        while proc.exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox.sh");
        let out = Command::new("bash")
            .args([script, "start", Sandbox::get().dir()])
            .output()
            .unwrap();
        if !out.status.success() && !std::thread::panicking() {
            panic!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

async fn connections() -> Vec<(&'static str, Client)> {
    let sb = Sandbox::get();
    let node = |name| sb.new_node_file(name).display().to_string();
    let uris = [
        ("unix", sb.test_uri("faults-killed")),
        (
            "tcp",
            format!(
                "test+tcp://127.0.0.1:{}{}",
                sb.tcp_port(),
                node("faults-tcp")
            ),
        ),
        (
            "tls",
            format!(
                "test+tls://localhost:{}{}?pkipath={}",
                sb.tls_port(),
                node("faults-tls"),
                sb.pki()
            ),
        ),
    ];
    let mut out = Vec::new();
    for (name, uri) in uris {
        out.push((name, Client::connect(&uri).await.unwrap()));
    }
    out
}

/// libvirtd is frozen (SIGSTOP) so that calls are certainly pending, then killed (SIGKILL):
/// every pending call on every transport ends with the connection's close error, as do calls
/// made afterwards. How long the last one took after the kill is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libvirtd_killed_with_calls_pending_fails_every_call() {
    const PER_CONNECTION: usize = 100;
    let clients = connections().await;
    for (_, c) in &clients {
        common::assert_test_node(c).await;
    }
    let pid = main_libvirtd_pid();
    let _restart = RestartOnDrop(pid.clone());
    signal("-STOP", &pid);
    let mut calls = Vec::new();
    for (name, client) in &clients {
        for i in 0..PER_CONNECTION {
            let client = client.clone();
            calls.push((
                *name,
                tokio::spawn(async move {
                    let r = match i % 3 {
                        0 => client.hostname().await.map(drop),
                        1 => client
                            .lookup_domain_by_name(node::RUNNING_DOMAIN)
                            .await
                            .map(drop),
                        _ => client.list_all_domains(Default::default()).await.map(drop),
                    };
                    (r, Instant::now())
                }),
            ));
        }
    }
    // the calls are written to the frozen daemon's sockets
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        calls.iter().all(|(_, c)| !c.is_finished()),
        "a call ended early"
    );
    signal("-KILL", &pid);
    let killed = Instant::now();
    let mut slowest = Duration::ZERO;
    for (name, call) in calls {
        let (result, at) = tokio::time::timeout(PATIENCE, call)
            .await
            .unwrap_or_else(|_| panic!("a call on {name} hangs"))
            .unwrap();
        let err = result.expect_err("a call succeeded on a killed daemon");
        assert!(err.is_closed(), "{name}: {err:?}");
        slowest = slowest.max(at.saturating_duration_since(killed));
    }
    for (name, client) in &clients {
        let err = tokio::time::timeout(PATIENCE, client.hostname())
            .await
            .unwrap_or_else(|_| panic!("a later call on {name} hangs"))
            .unwrap_err();
        assert!(err.is_closed(), "{name}: {err:?}");
    }
    eprintln!(
        "{} pending calls failed, the last {slowest:?} after the kill",
        clients.len() * PER_CONNECTION
    );
}

// ------------------------------------------------------------------ refused peers

/// A server certificate for localhost from the sandbox's CA, valid only in 2020.
fn expired_server_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let pki = Path::new(Sandbox::get().pki());
    let template = dir.join("expired.info");
    std::fs::write(
        &template,
        "cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\n\
         encryption_key\nsigning_key\nactivation_date = \"2020-01-01 00:00:00\"\n\
         expiration_date = \"2020-12-31 00:00:00\"\n",
    )
    .unwrap();
    let cert = dir.join("expiredcert.pem");
    let out = Command::new("certtool")
        .arg("--generate-certificate")
        .arg("--load-privkey")
        .arg(pki.join("serverkey.pem"))
        .arg("--load-ca-certificate")
        .arg(pki.join("cacert.pem"))
        .arg("--load-ca-privkey")
        .arg(pki.join("cakey.pem"))
        .arg("--template")
        .arg(&template)
        .arg("--outfile")
        .arg(&cert)
        .output()
        .expect("certtool (gnutls-bin) runs");
    assert!(out.status.success(), "certtool: {out:?}");
    (cert, pki.join("serverkey.pem"))
}

/// A TLS server on 127.0.0.1 presenting `cert`; reports each handshake's outcome.
async fn tls_server_with(
    cert: &Path,
    key: &Path,
) -> (
    u16,
    tokio::sync::mpsc::UnboundedReceiver<Result<(), String>>,
) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let outcome = acceptor.accept(tcp).await.map(drop);
            let _ = tx.send(outcome.map_err(|e| e.to_string()));
        }
    });
    (port, rx)
}

#[tokio::test]
async fn tls_an_expired_server_certificate_is_refused() {
    let sb = Sandbox::get();
    let dir = Path::new(sb.dir())
        .join("faults")
        .join(format!("expired-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let uri = |port| format!("test+tls://localhost:{port}/default?pkipath={}", sb.pki());

    let (cert, key) = expired_server_cert(&dir);
    let (port, mut seen) = tls_server_with(&cert, &key).await;
    let err = Client::connect(&uri(port)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = common::error_chain(&err);
    assert!(text.to_lowercase().contains("expired"), "{text}");
    assert!(
        seen.recv().await.unwrap().is_err(),
        "the handshake went through"
    );

    // the same server with the sandbox's valid certificate: the handshake completes (then the
    // connection fails, the server being no libvirtd)
    let pki = Path::new(sb.pki());
    let (port, mut seen) =
        tls_server_with(&pki.join("servercert.pem"), &pki.join("serverkey.pem")).await;
    let _ = Client::connect(&uri(port)).await;
    assert_eq!(seen.recv().await.unwrap(), Ok(()));
}

/// The system ssh, told a known_hosts file that records another key for the sandbox's sshd.
#[tokio::test]
async fn ssh_a_changed_host_key_is_refused() {
    let sb = Sandbox::get();
    let dir = Path::new(sb.dir())
        .join("faults")
        .join(format!("ssh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let known = dir.join("known_hosts");
    // the client's own public key stands in for another host key
    let other = std::fs::read_to_string(format!("{}.pub", sb.ssh_key())).unwrap();
    let other: Vec<&str> = other.split_whitespace().take(2).collect();
    std::fs::write(
        &known,
        format!("[127.0.0.1]:{} {} {}\n", sb.ssh_port(), other[0], other[1]),
    )
    .unwrap();
    let node = sb.new_node_file("ssh-changed");
    let uri = |known: &Path| {
        format!(
            "test+ssh://root@127.0.0.1:{}{}?socket={}&keyfile={}&known_hosts={}&no_tty=1",
            sb.ssh_port(),
            node.display(),
            sb.socket_ro(),
            sb.ssh_key(),
            known.display()
        )
    };
    let err = Client::connect(&uri(&known)).await.unwrap_err();
    let text = common::error_chain(&err);
    assert!(text.contains("HOST IDENTIFICATION HAS CHANGED"), "{text}");
    assert!(text.contains("Host key verification failed"), "{text}");
    // the file is left as it was
    assert_eq!(std::fs::read_to_string(&known).unwrap().lines().count(), 1);
}

// ------------------------------------------------------------------ secrets

/// Writes an auth.conf giving `user`/`password` for every host; returns its path.
fn auth_file(user: &str, password: &str, n: usize) -> PathBuf {
    let dir = Path::new(Sandbox::get().dir()).join("faults");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("auth-{}-{n}.conf", std::process::id()));
    std::fs::write(
        &file,
        format!(
            "[credentials-t]\nauthname={user}\npassword={password}\n\n\
             [auth-libvirt-default]\ncredentials=t\n"
        ),
    )
    .unwrap();
    file
}

/// The sandbox's SASL daemon with `password`, right or wrong, given two ways: an auth
/// callback (DIGEST-MD5 over plain tcp) and auth.conf (SCRAM-SHA-256 on the unix socket).
fn sasl_configs(password: &str, n: usize) -> Vec<virtwire::config::Config> {
    use virtwire::config::{Config, StaticCredentials};
    let sb = Sandbox::get();
    let user = sb.sasl_user();
    let callback = Config::builder()
        .uri(format!(
            "test+tcp://127.0.0.1:{}/default",
            sb.sasl_tcp_port()
        ))
        .auth_callback(Arc::new(StaticCredentials::new(user, password)))
        .build()
        .unwrap();
    let file = auth_file(user, password, n);
    let from_file = format!(
        "test+unix:///default?socket={}&authfile={}",
        sb.sasl_socket(),
        file.display()
    );
    vec![callback, from_file.parse().unwrap()]
}

/// With every log level captured, a right and a wrong password: neither is in any log line,
/// `Debug` output (configurations, clients, credentials, errors) or error message.
#[tokio::test]
async fn passwords_are_in_no_debug_output_log_or_error() {
    use virtwire::config::{Credential, CredentialType};
    logs();
    let sb = Sandbox::get();
    let right = sb.sasl_password();
    let wrong = "Wr0ng-pa55w0rd-faults";
    let mut shown = Vec::new();
    for config in sasl_configs(right, 0) {
        shown.push(format!("{config:?} {} {:?}", config.uri(), config.uri()));
        let client = config.connect().await.unwrap();
        assert_eq!(client.driver_type().await.unwrap(), "TEST");
        shown.push(format!("{client:?}"));
        client.close().await.unwrap();
    }
    for config in sasl_configs(wrong, 1) {
        shown.push(format!("{config:?} {}", config.uri()));
        let err = config.connect().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
        shown.push(format!("{err:?} {}", common::error_chain(&err)));
    }
    // a password in the URI (the ssh transports take it): kept, never shown
    let in_uri: virtwire::config::Config =
        format!("qemu+libssh2://root:{wrong}@127.0.0.1:22/system")
            .parse()
            .unwrap();
    assert_eq!(in_uri.password(), Some(wrong));
    shown.push(format!("{in_uri:?} {} {:?}", in_uri.uri(), in_uri.uri()));
    let mut asked = Credential::new(CredentialType::Passphrase, "password");
    asked.set_result(wrong);
    shown.push(format!("{asked:?}"));

    let logged = logged();
    assert!(
        logged.contains("SASL authentication"),
        "authentication logs something: {logged}"
    );
    for secret in [right, wrong] {
        for (what, text) in [("Debug output", shown.join("\n")), ("logs", logged.clone())] {
            assert!(
                !text.contains(secret),
                "the password is in the {what}:\n{text}"
            );
        }
    }
}
