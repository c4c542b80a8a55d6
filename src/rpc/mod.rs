//! The connection layer: one driver task per connection that owns the transport, and cheap
//! handles ([`RawClient`]) that any number of tasks use to make calls at once.
//!
//! ```text
//!  task A ─┐  encode CALL (serial n) into the shared write buffer, park on a oneshot
//!  task B ─┤                      │
//!  task C ─┘                      ▼
//!            ┌──────────── Connection (driver) ────────────┐
//!            │ writes every queued frame in one write call │──▶ socket ──▶ libvirtd
//!            │ reads frames, routes REPLY n to its caller  │◀── socket ◀──
//!            │ and events to their subscribers             │
//!            │ answers keepalive PING with PONG            │
//!            └─────────────────────────────────────────────┘
//! ```
//!
//! A call made while no other is in flight writes its frame itself, at once, and then reads
//! the transport itself while it waits (unless the driver or another caller is using it): a
//! sequential caller costs no wake-up of the driver task, nor of another thread on a
//! multi-thread runtime. Calls made while others are in flight are queued and sent as soon as
//! the driver next runs; calls from many tasks made in the meantime go out together in one
//! write. Replies may come back in any order: each carries its call's serial.
//!
//! **Cancellation.** A call's frame is complete in the write buffer before the call first
//! yields, so dropping a call future never leaves half a frame behind; its reply, when it
//! comes, is discarded. The connection stays in step.

mod client;
mod direct;
mod driver;
pub(crate) mod events;
pub(crate) mod fds;
#[allow(missing_docs)]
mod generated;
mod reply;
mod sequential;
mod shared;
pub(crate) mod socket;
mod streams;

pub use client::RawClient;
pub use driver::Connection;
pub use fds::MAX_FDS;
pub(crate) use sequential::SequentialRpc;
pub(crate) use shared::Closed;
pub use shared::KeepaliveConfig;
pub use streams::{Chunk, DATA_CHUNK_MAX, RECV_QUEUE_MAX, RawStream, WhenFull};

/// Creates a client over an already-connected transport. The returned [`Connection`] must be
/// polled (spawned) for the client to make progress; it completes when the last [`RawClient`]
/// clone is dropped or the transport fails.
/// Such a client cannot pass file descriptors (see [`connect_raw_unix`]).
pub fn connect_raw<S>(stream: S) -> (RawClient, Connection<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    connect_with_fds(stream, None)
}

/// Like [`connect_raw`] over a unix socket, with file descriptor passing
/// ([`RawClient::call_with_fds`]). The socket must be where a packet starts in both
/// directions (a fresh connection, or one just authenticated without a SASL layer). Fails
/// when the runtime cannot watch the socket (outside a tokio runtime with I/O enabled).
pub fn connect_raw_unix(
    stream: tokio::net::UnixStream,
) -> crate::error::Result<(
    RawClient,
    Connection<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static>,
)> {
    let channel = std::sync::Arc::new(fds::FdChannel::default());
    let stream = fds::UnixFdStream::new(stream, channel.clone())
        .map_err(|e| crate::error::Error::io("cannot watch the unix socket", e))?;
    Ok(connect_with_fds(stream, Some(channel)))
}

/// [`connect_raw`] with the descriptor channel of the stream, if it has one (activated here).
pub(crate) fn connect_with_fds<S>(
    stream: S,
    fds: Option<std::sync::Arc<fds::FdChannel>>,
) -> (RawClient, Connection<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    if let Some(f) = &fds {
        f.activate();
    }
    let shared = std::sync::Arc::new(shared::Shared::new(fds));
    let (conn, io) = Connection::new(stream, shared.clone());
    (RawClient::new(shared, io), conn)
}
