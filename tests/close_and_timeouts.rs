//! What a call gets when the connection breaks (the cause kept as `source()`, for pending and
//! later calls) and when it takes too long (connect and per-call timeouts). The link to the real
//! daemon is broken on demand by a wrapper around its socket; timeouts need a peer that stays
//! silent, which only an in-process server does on demand.

mod common;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use common::{Sandbox, node};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use virtwire::config::Config;
use virtwire::proto::frame::{self, Packet};
use virtwire::proto::packet::{Status, Type};
use virtwire::{Client, CloseReason, Error, ErrorKind};

/// The daemon's socket, whose reads fail with "connection reset" once `broken` is set.
struct Breakable {
    inner: UnixStream,
    broken: Arc<AtomicBool>,
}

impl AsyncRead for Breakable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.broken.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Breakable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The error behind a closed connection: the transport's io error, kept as the source chain
/// `Closed → Io → io::Error(ConnectionReset)`.
fn assert_reset_cause(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::Closed, "{err:?}");
    assert_eq!(err.close_reason(), Some(CloseReason::Error));
    let cause = std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("the closing error is the source: {err:?}"));
    assert_eq!(cause.kind(), ErrorKind::Io, "{cause:?}");
    let io = std::error::Error::source(cause)
        .and_then(|s| s.downcast_ref::<io::Error>())
        .unwrap_or_else(|| panic!("the io error is kept: {cause:?}"));
    assert_eq!(io.kind(), io::ErrorKind::ConnectionReset);
}

#[tokio::test]
async fn a_pending_call_keeps_the_cause_when_the_link_breaks() {
    let sb = Sandbox::get();
    let config: Config = sb.test_uri("broken-link").parse().unwrap();
    let broken = Arc::new(AtomicBool::new(false));
    let stream = Breakable {
        inner: UnixStream::connect(sb.socket()).await.unwrap(),
        broken: broken.clone(),
    };
    let client = Client::connect_stream(stream, &config).await.unwrap();
    let dom = client
        .lookup_domain_by_name(node::RUNNING_DOMAIN)
        .await
        .unwrap();

    broken.store(true, Ordering::SeqCst);
    // The call is queued before the driver runs again; its next read fails.
    let pending = dom.info().await.unwrap_err();
    assert_reset_cause(&pending);
    // Every later call and the connection's end report the same cause.
    assert_reset_cause(&client.hostname().await.unwrap_err());
    assert_reset_cause(&client.closed().await);
    // Display is the closed error's own message, the cause only in the chain.
    let chain = common::error_chain(&pending);
    assert!(!pending.to_string().contains("reading from the daemon"));
    assert!(chain.contains("reading from the daemon"), "{chain}");
}

#[tokio::test]
async fn a_peer_that_hangs_up_gives_eof_without_a_cause() {
    let (ours, theirs) = tokio::io::duplex(1024);
    let (raw, conn) = virtwire::rpc::connect_raw(ours);
    tokio::spawn(conn);
    drop(theirs);
    let err = raw.closed().await;
    assert_eq!(err.close_reason(), Some(CloseReason::Eof), "{err:?}");
    assert!(std::error::Error::source(&err).is_none());
}

/// A unix socket in the sandbox served by `serve` for each connection.
async fn fake_daemon<F, Fut>(name: &str, serve: F) -> String
where
    F: Fn(UnixStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let path = format!(
        "{}/fake-{name}-{}.sock",
        Sandbox::get().dir(),
        std::process::id()
    );
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    format!("test+unix:///default?socket={path}")
}

/// Answers libvirt's opening handshake (AUTH_LIST: none; SUPPORTS_FEATURE: no;
/// CONNECT_OPEN: ok), then reads every call and never answers.
async fn handshake_then_silence(mut stream: UnixStream) {
    let mut buf = BytesMut::new();
    loop {
        let packet = loop {
            if let Some(body) = frame::next_frame(&mut buf).unwrap() {
                break Packet::parse(body).unwrap();
            }
            if stream.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                return;
            }
        };
        let payload: &[u8] = match packet.header.proc {
            66 | 60 => &[0, 0, 0, 0], // empty list of methods; feature not supported
            1 => &[],
            _ => continue,
        };
        let mut h = packet.header.clone();
        h.r#type = Type::Reply;
        h.status = Status::Ok;
        let mut out = BytesMut::new();
        frame::encode_raw_packet(&mut out, &h, payload).unwrap();
        stream.write_all(&out).await.unwrap();
    }
}

#[tokio::test]
async fn the_connect_timeout_fires_on_a_silent_daemon() {
    let uri = fake_daemon("silent", |stream| async move {
        // hold the connection open, say nothing
        let mut stream = stream;
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink).await;
    })
    .await;
    let config = Config::builder()
        .uri(uri)
        .connect_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = config.connect().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout());
}

#[tokio::test]
async fn the_call_timeout_from_the_config_fires_and_the_connection_survives() {
    let uri = fake_daemon("mute", handshake_then_silence).await;
    let config = Config::builder()
        .uri(uri)
        .call_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let client = config.connect().await.unwrap();
    assert_eq!(client.raw().call_timeout(), Some(Duration::from_millis(50)));
    let err = client.hostname().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout());
    // The timed-out call is forgotten; the connection is still open for the next one.
    assert!(!client.raw().is_closed());
    let err = client.hostname().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn a_late_reply_after_a_call_timeout_is_discarded() {
    let (ours, mut theirs) = tokio::io::duplex(1 << 16);
    let (raw, conn) = virtwire::rpc::connect_raw(ours);
    tokio::spawn(conn);
    raw.set_call_timeout(Some(Duration::from_millis(20)));
    let err = raw
        .call_bytes(0x2000_8086, 1, 1000, &7u32)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    // Answer the timed-out call late, and the next one in time.
    raw.set_call_timeout(None);
    let next = tokio::spawn({
        let raw = raw.clone();
        async move { raw.call_bytes(0x2000_8086, 1, 1000, &8u32).await }
    });
    let mut buf = BytesMut::new();
    let mut calls = Vec::new();
    while calls.len() < 2 {
        if let Some(body) = frame::next_frame(&mut buf).unwrap() {
            calls.push(Packet::parse(body).unwrap());
            continue;
        }
        assert!(theirs.read_buf(&mut buf).await.unwrap() > 0);
    }
    for call in &calls {
        let mut h = call.header.clone();
        h.r#type = Type::Reply;
        let mut out = BytesMut::new();
        frame::encode_raw_packet(&mut out, &h, &call.payload).unwrap();
        theirs.write_all(&out).await.unwrap();
    }
    let payload = next.await.unwrap().unwrap();
    assert_eq!(&payload[..], &8u32.to_be_bytes());
}
