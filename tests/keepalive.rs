//! Keepalive with the real daemon. Once the client has asked for keepalive support, libvirtd
//! PINGs a connection it has not heard from for 5 s and drops it after 5 unanswered PINGs
//! (libvirtd's `keepalive_interval` and `keepalive_count`); the client does the same the other
//! way. The connection runs through an in-test relay that counts the keepalive packets (and
//! can swallow the client's), so the tests prove that PINGs and PONGs really flow, and that
//! without them the daemon hangs up. No test relies on how long it has slept.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use virtwire::{Client, CloseReason};

/// libvirt's keepalive program ("keep") and its procedures.
const KEEPALIVE_PROGRAM: u32 = 0x6b65_6570;
const PING: u32 = 1;
const PONG: u32 = 2;

/// What the relay saw.
#[derive(Default)]
struct Counts {
    /// Keepalive packets from the client to the daemon that were forwarded.
    client_keepalive: AtomicUsize,
    /// Keepalive packets from the client that were swallowed.
    client_swallowed: AtomicUsize,
    /// PINGs and PONGs from the daemon to the client.
    daemon_pings: AtomicUsize,
    daemon_pongs: AtomicUsize,
    /// PINGs and PONGs from the client, forwarded or not.
    client_pings: AtomicUsize,
    client_pongs: AtomicUsize,
    /// Any other packet, either way.
    other: AtomicUsize,
}

impl Counts {
    fn get(c: &AtomicUsize) -> usize {
        c.load(Ordering::SeqCst)
    }
    /// The daemon's PINGs that the client answered.
    fn daemon_pings_answered(&self) -> usize {
        Self::get(&self.daemon_pings).min(Self::get(&self.client_pongs))
    }
    fn summary(&self) -> String {
        format!(
            "daemon PING {} PONG {}; client PING {} PONG {} (forwarded {}, swallowed {}); other {}",
            Self::get(&self.daemon_pings),
            Self::get(&self.daemon_pongs),
            Self::get(&self.client_pings),
            Self::get(&self.client_pongs),
            Self::get(&self.client_keepalive),
            Self::get(&self.client_swallowed),
            Self::get(&self.other),
        )
    }
}

/// A keepalive packet's procedure, if the frame is one.
fn keepalive_proc(frame: &[u8]) -> Option<u32> {
    let word = |i: usize| u32::from_be_bytes(frame[i..i + 4].try_into().unwrap());
    (frame.len() >= 28 && word(4) == KEEPALIVE_PROGRAM).then(|| word(12))
}

/// Reads one whole frame (length word included); `None` at end of file.
async fn read_frame(from: &mut (impl AsyncReadExt + Unpin)) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    from.read_exact(&mut len).await.ok()?;
    let n = u32::from_be_bytes(len) as usize;
    assert!((28..=32 << 20).contains(&n), "bad frame length {n}");
    let mut frame = vec![0u8; n];
    frame[..4].copy_from_slice(&len);
    from.read_exact(&mut frame[4..]).await.ok()?;
    Some(frame)
}

/// Copies frames one way, counting them; drops the client's keepalive packets if `swallow`.
async fn pump(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    counts: Arc<Counts>,
    from_client: bool,
    swallow: bool,
) {
    while let Some(frame) = read_frame(&mut from).await {
        let counter = match (keepalive_proc(&frame), from_client) {
            (Some(PING), true) => &counts.client_pings,
            (Some(PONG), true) => &counts.client_pongs,
            (Some(PING), false) => &counts.daemon_pings,
            (Some(PONG), false) => &counts.daemon_pongs,
            _ => &counts.other,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        if from_client && keepalive_proc(&frame).is_some() {
            if swallow {
                counts.client_swallowed.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            counts.client_keepalive.fetch_add(1, Ordering::SeqCst);
        }
        if to.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Listens on a fresh unix socket and relays its one connection to the sandbox's libvirtd;
/// returns a URI on a fresh test node through the relay, and the relay's counts.
async fn relay(name: &str, swallow: bool) -> (String, Arc<Counts>) {
    let sb = Sandbox::get();
    let dir = PathBuf::from(sb.dir()).join("keepalive");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    let daemon = sb.socket().to_owned();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let daemon = UnixStream::connect(daemon).await.unwrap();
        let (cr, cw) = client.into_split();
        let (dr, dw) = daemon.into_split();
        tokio::join!(
            pump(cr, dw, c.clone(), true, swallow),
            pump(dr, cw, c, false, false)
        );
    });
    let node = sb.new_node_file(name);
    let uri = format!("test+unix://{}?socket={}", node.display(), path.display());
    (uri, counts)
}

/// Waits, checking every 100 ms, until `done` holds; fails after `limit` (far beyond what the
/// test needs: it only stops a broken test from hanging).
async fn wait_until(limit: Duration, what: &str, counts: &Counts, done: impl Fn() -> bool) {
    tokio::time::timeout(limit, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}: still not after {limit:?}: {}", counts.summary()));
}

/// The daemon PINGs at most once per 5 s interval and, after 5 unanswered PINGs, hangs up
/// instead of sending a sixth (the control test below shows it). A sixth PING, on a connection
/// that carried nothing else, means the idle connection outlived that deadline, kept open by
/// the client's keepalive answers alone.
#[tokio::test]
async fn an_idle_connection_is_kept_open_by_pings_and_pongs() {
    let (uri, counts) = relay("keepalive-flows", false).await;
    let client = Client::connect(&uri).await.unwrap();
    let calls = Counts::get(&counts.other);
    wait_until(
        Duration::from_secs(300),
        "6 of the daemon's PINGs answered",
        &counts,
        || counts.daemon_pings_answered() >= 6,
    )
    .await;
    assert_eq!(
        Counts::get(&counts.other),
        calls,
        "the connection was not idle: {}",
        counts.summary()
    );
    assert!(
        client.hostname().await.is_ok(),
        "the daemon dropped an idle connection: {}",
        counts.summary()
    );
    eprintln!("relay: {}", counts.summary());
}

/// The control: a relay that swallows the client's keepalive packets makes the daemon hang
/// up (end of file, not a keepalive timeout of ours: the daemon's PINGs still reach us).
#[tokio::test]
async fn without_our_pongs_the_daemon_hangs_up() {
    let (uri, counts) = relay("keepalive-swallowed", true).await;
    let client = Client::connect(&uri).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(300), client.closed())
        .await
        .unwrap_or_else(|_| panic!("the daemon never hung up: {}", counts.summary()));
    assert_eq!(
        closed.close_reason(),
        Some(CloseReason::Eof),
        "{closed:?}; {}",
        counts.summary()
    );
    assert!(
        Counts::get(&counts.daemon_pings) >= 5,
        "the daemon hung up before its keepalive deadline: {}",
        counts.summary()
    );
    assert!(
        Counts::get(&counts.client_swallowed) >= 1,
        "{}",
        counts.summary()
    );
    assert_eq!(Counts::get(&counts.client_keepalive), 0);
    eprintln!("relay: {}", counts.summary());
}
