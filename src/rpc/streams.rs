//! Streams: the data that flows, after a stream procedure's reply, in packets that carry the
//! opening call's serial (STREAM with status CONTINUE for data, STREAM_HOLE for a hole in a
//! sparse stream, an empty STREAM packet for the end of the data and to confirm the other
//! side's finish or abort, STREAM or REPLY ERROR for a failure).
//!
//! **Receiving.** Each stream has a receive queue bounded to [`RECV_QUEUE_MAX`] bytes. The
//! protocol has no per-stream flow control: the daemon sends as fast as the connection takes,
//! and the only brake is to stop reading the connection, which also holds up the replies to
//! every other call on it. So what happens when a reader falls that far behind is chosen per
//! stream ([`WhenFull`]): a console or channel, whose reader may stop for good, loses its
//! stream (the driver aborts it on the daemon, drops what was queued, and the next read fails
//! saying so), and the connection goes on; a download or screenshot, read to its end by the
//! caller who asked for it, pauses the connection's reading until its reader has taken half of
//! its queue, so nothing is lost (a slow disk slows the download, and the other calls on the
//! connection wait meanwhile; keepalive does not count the pause as the daemon's silence).
//! Either way nothing is buffered without bound.
//!
//! **Sending.** Data goes out in frames of at most [`DATA_CHUNK_MAX`] bytes through the
//! connection's write buffer, under the same limit as calls: a writer waits (its task is woken
//! when the driver takes the buffer) while the buffer is full, and calls made meanwhile slot in
//! between its frames.
//!
//! **Ending.** `finish` sends STREAM OK and waits for the daemon's confirmation; `abort` sends
//! STREAM ERROR (empty) and waits likewise. Dropping a stream that has not ended queues an
//! abort without waiting; the daemon's answer to it is ignored.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use super::client::RawClient;
use super::shared::{Closed, Shared, State};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::frame::{self, Packet};
use crate::proto::generated::virnet;
use crate::proto::packet::{Header, Status, Type};
use crate::proto::remote_error::RemoteError;
use crate::proto::xdr::decode_exact;

/// The most data one STREAM packet carries: libvirt's legacy payload limit, which every daemon
/// accepts and libvirt's own client uses.
pub const DATA_CHUNK_MAX: usize = virnet::MESSAGE_LEGACY_PAYLOAD_MAX as usize;

/// The most received bytes a stream holds for its reader (16 MiB). A hole counts as
/// 64 bytes, so the number of queued holes is bounded too.
pub const RECV_QUEUE_MAX: usize = 16 << 20;

/// A stream writer waits while this many bytes wait to be written (two data packets), less
/// than the limit for calls: a call queued during a large upload has at most this much stream
/// data ahead of it, so the upload delays it by about the time to write that much.
const STREAM_OUT_HIGH_WATER: usize = 2 * DATA_CHUNK_MAX;

/// What a queued hole counts against [`RECV_QUEUE_MAX`].
const HOLE_COST: usize = 64;

/// One piece of a stream as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// Bytes.
    Data(Bytes),
    /// A run of this many zero bytes that the sender did not spell out (sparse streams only).
    Hole(u64),
}

/// Why a stream failed; kept in this form because [`Error`] is not `Clone`.
#[derive(Debug, Clone)]
enum Failure {
    Remote(RemoteError),
    Closed(Closed),
    Local(ErrorKind, String),
}

impl Failure {
    fn to_error(&self) -> Error {
        match self {
            Failure::Remote(e) => Error::remote_error(e.clone()),
            Failure::Closed(c) => c.to_error(),
            Failure::Local(kind, msg) => Error::new(*kind, msg.clone()),
        }
    }
}

/// What the driver and the stream's handle share about one stream.
pub(crate) struct StreamInner {
    header: Header,
    when_full: WhenFull,
    state: Mutex<StreamState>,
}

#[derive(Default)]
struct StreamState {
    queue: VecDeque<Chunk>,
    queued: usize,
    /// The daemon ended its side (STREAM OK).
    eof: bool,
    failure: Option<Failure>,
    reader: Option<Waker>,
    /// Over the limit with [`WhenFull::Pause`]: counted in the connection's paused streams.
    pausing: bool,
    /// Waiting for the daemon to confirm our finish or abort.
    confirm: Option<oneshot::Sender<Result<()>>>,
}

impl StreamInner {
    fn lock(&self) -> MutexGuard<'_, StreamState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends the stream with `failure`: the reader and a waiting finish get it. Returns whether
    /// the stream was holding the connection's reading (the caller resumes it).
    fn fail(&self, failure: Failure) -> bool {
        let (reader, confirm, pausing) = {
            let mut st = self.lock();
            if st.failure.is_none() {
                st.failure = Some(failure.clone());
            }
            st.queue.clear();
            st.queued = 0;
            let pausing = std::mem::take(&mut st.pausing);
            (st.reader.take(), st.confirm.take(), pausing)
        };
        if let Some(tx) = confirm {
            let _ = tx.send(Err(failure.to_error()));
        }
        if let Some(w) = reader {
            w.wake();
        }
        pausing
    }
}

/// What the driver does when a stream's reader is [`RECV_QUEUE_MAX`] bytes behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Abort the stream (on the daemon too); the reader's next read fails. For streams whose
    /// reader may stop for good while the connection serves other calls: consoles, channels.
    Abort,
    /// Stop reading the connection until the reader has taken half of its queue: nothing is
    /// lost, and replies to other calls on the connection wait meanwhile. For data the caller
    /// asked for and reads to its end: downloads, screenshots.
    Pause,
}

/// Resumes the connection's reading held by a stream that stopped pausing it.
fn resume(shared: &Shared) {
    let waker = {
        let mut st = shared.lock();
        st.paused_streams = st.paused_streams.saturating_sub(1);
        st.driver_waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

/// Fails the stream and resumes the connection's reading if it held it.
fn fail_stream(shared: &Shared, inner: &StreamInner, failure: Failure) {
    if inner.fail(failure) {
        resume(shared);
    }
}

/// The header of a packet on stream `h` with `r#type` and `status`.
fn stream_header(h: &Header, r#type: Type, status: Status) -> Header {
    Header {
        r#type,
        status,
        ..h.clone()
    }
}

/// Called by the driver for a STREAM or STREAM_HOLE packet, and for a REPLY nobody waits for
/// (a daemon-side stream failure comes as a REPLY ERROR on the stream's serial). False when
/// the serial is no open stream's.
pub(crate) fn route(shared: &Shared, packet: Packet) -> bool {
    let h = &packet.header;
    let inner = match shared.lock().streams.get(&h.serial) {
        Some(s) => s.clone(),
        None => return false,
    };
    match (h.r#type, h.status) {
        // The daemon ends its data, and confirms our finish or abort, with an empty packet.
        (Type::Stream, Status::Continue) if packet.payload.is_empty() => end(shared, &inner),
        (Type::Stream, Status::Continue) => push(shared, &inner, Chunk::Data(packet.payload)),
        (Type::StreamHole, _) => match decode_exact::<virnet::StreamHole>(&packet.payload) {
            Ok(hole) if hole.length >= 0 => push(shared, &inner, Chunk::Hole(hole.length as u64)),
            _ => {
                let msg = "the daemon sent an invalid stream hole";
                abort_on_daemon(
                    shared,
                    &inner,
                    Failure::Local(ErrorKind::Protocol, msg.into()),
                );
            }
        },
        (Type::Stream, Status::Ok) => end(shared, &inner),
        (_, Status::Error) => {
            let failure = match RemoteError::decode(&packet.payload) {
                Ok(e) => Failure::Remote(e),
                Err(_) => Failure::Local(
                    ErrorKind::Protocol,
                    "the daemon ended the stream with an undecodable error".into(),
                ),
            };
            forget(shared, &inner);
            fail_stream(shared, &inner, failure);
        }
        _ => tracing::debug!(
            serial = h.serial,
            "ignoring an unexpected packet on a stream"
        ),
    }
    true
}

/// Queues received data, or aborts the stream when its reader is too far behind.
fn push(shared: &Shared, inner: &Arc<StreamInner>, chunk: Chunk) {
    let cost = match &chunk {
        Chunk::Data(b) => b.len(),
        Chunk::Hole(_) => HOLE_COST,
    };
    let (reader, pause) = {
        let mut st = inner.lock();
        if st.failure.is_some() {
            return;
        }
        let over = st.queued + cost > RECV_QUEUE_MAX;
        if over && inner.when_full == WhenFull::Abort {
            drop(st);
            let msg = format!(
                "the stream's reader fell more than {} MiB behind: the stream was aborted",
                RECV_QUEUE_MAX >> 20
            );
            abort_on_daemon(shared, inner, Failure::Local(ErrorKind::Io, msg));
            return;
        }
        // Pause: the data the driver has already read is queued all the same (at most a read
        // buffer's worth past the limit), and it reads no more until the reader catches up.
        let pause = over && !st.pausing;
        st.pausing |= pause;
        st.queued += cost;
        st.queue.push_back(chunk);
        (st.reader.take(), pause)
    };
    if pause {
        shared.lock().paused_streams += 1;
    }
    if let Some(w) = reader {
        w.wake();
    }
}

/// An empty STREAM packet (or STREAM OK) from the daemon: the confirmation of our finish or
/// abort, or the end of its data.
fn end(shared: &Shared, inner: &Arc<StreamInner>) {
    let (reader, confirm) = {
        let mut st = inner.lock();
        st.eof = true;
        (st.reader.take(), st.confirm.take())
    };
    if let Some(tx) = confirm {
        forget(shared, inner);
        let _ = tx.send(Ok(()));
    }
    if let Some(w) = reader {
        w.wake();
    }
}

/// Removes the stream from the connection's table: later packets on its serial are ignored.
fn forget(shared: &Shared, inner: &StreamInner) {
    shared.lock().streams.remove(&inner.header.serial);
}

/// Fails the stream locally and tells the daemon to drop it (STREAM ERROR, empty).
fn abort_on_daemon(shared: &Shared, inner: &Arc<StreamInner>, failure: Failure) {
    {
        let mut st = shared.lock();
        st.streams.remove(&inner.header.serial);
        queue_end(&mut st, &inner.header, Status::Error);
    }
    fail_stream(shared, inner, failure);
}

/// Appends a STREAM packet with no payload (finish: OK, abort: ERROR) regardless of the write
/// buffer's limit (it is 28 bytes) and wakes the driver.
fn queue_end(st: &mut State, header: &Header, status: Status) {
    let h = stream_header(header, Type::Stream, status);
    // An empty payload is always within the limits: this cannot fail.
    let _ = frame::encode_raw_packet(&mut st.out, &h, &[]);
    if let Some(w) = st.driver_waker.take() {
        w.wake();
    }
}

/// Called when the connection closes: every open stream fails with `closed`.
pub(crate) fn close_all(streams: impl IntoIterator<Item = Arc<StreamInner>>, closed: &Closed) {
    for s in streams {
        // the connection is over: nothing to resume
        let _ = s.fail(Failure::Closed(closed.clone()));
    }
}

/// The client's side of one stream: read what the daemon sends ([`poll_chunk`]), send data
/// and holes, then [`finish`](Self::finish) or [`abort`](Self::abort). Dropping it before the
/// stream ended aborts the stream.
///
/// [`poll_chunk`]: Self::poll_chunk
pub struct RawStream {
    client: RawClient,
    inner: Arc<StreamInner>,
    /// Finish or abort was sent: nothing more may be sent.
    ended: bool,
    /// The daemon's confirmation of our finish or abort, once sent.
    confirm: Option<oneshot::Receiver<Result<()>>>,
}

impl std::fmt::Debug for RawStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawStream")
            .field("procedure", &self.inner.header.proc)
            .field("serial", &self.inner.header.serial)
            .field("ended", &self.ended)
            .finish()
    }
}

impl RawStream {
    pub(crate) fn new(client: RawClient, inner: Arc<StreamInner>) -> Self {
        RawStream {
            client,
            inner,
            ended: false,
            confirm: None,
        }
    }

    /// For a stream whose opening call failed: the daemon has no stream to abort.
    pub(crate) fn never_opened(mut self) {
        self.ended = true;
    }

    /// The next piece the daemon sent: `Ready(Ok(None))` once it ended its side, an error if
    /// the stream failed (the daemon's error, an abort for a reader that fell behind, the
    /// connection's end).
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Chunk>>> {
        let mut st = self.inner.lock();
        if let Some(chunk) = st.queue.pop_front() {
            st.queued -= match &chunk {
                Chunk::Data(b) => b.len(),
                Chunk::Hole(_) => HOLE_COST,
            };
            let caught_up = st.pausing && st.queued <= RECV_QUEUE_MAX / 2;
            if caught_up {
                st.pausing = false;
                drop(st);
                resume(self.client.shared());
            }
            return Poll::Ready(Ok(Some(chunk)));
        }
        if let Some(f) = &st.failure {
            return Poll::Ready(Err(f.to_error()));
        }
        if st.eof {
            return Poll::Ready(Ok(None));
        }
        if !st.reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            st.reader = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// The next piece the daemon sent, `None` once it ended its side.
    pub async fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Fails when nothing may be sent any more.
    fn check_open(&self) -> Result<()> {
        if let Some(f) = &self.inner.lock().failure {
            return Err(f.to_error());
        }
        if self.ended {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the stream was finished or aborted",
            ));
        }
        Ok(())
    }

    /// Queues one frame built by `encode` (of `len` payload bytes) when the write buffer has
    /// room; otherwise parks the task until the driver takes the buffer.
    fn poll_queue(
        &mut self,
        cx: &mut Context<'_>,
        len: usize,
        encode: impl FnOnce(&mut BytesMut),
    ) -> Poll<Result<()>> {
        self.check_open()?;
        let shared = self.client.shared();
        let mut st = shared.lock();
        if let Some(c) = &st.closed {
            return Poll::Ready(Err(c.to_error()));
        }
        let frame_len = len + frame::MIN_FRAME_LEN;
        if !st.out.is_empty() && st.out.len() + frame_len > STREAM_OUT_HIGH_WATER {
            st.stream_writers.push(cx.waker().clone());
            return Poll::Pending;
        }
        encode(&mut st.out);
        if let Some(w) = st.driver_waker.take() {
            drop(st);
            w.wake();
        }
        Poll::Ready(Ok(()))
    }

    /// Sends up to [`DATA_CHUNK_MAX`] bytes of `buf` as one data packet; `Ready(Ok(n))` with
    /// the number sent.
    pub fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        let n = buf.len().min(DATA_CHUNK_MAX);
        if n == 0 {
            return Poll::Ready(Ok(0));
        }
        let h = stream_header(&self.inner.header, Type::Stream, Status::Continue);
        std::task::ready!(self.poll_queue(cx, n, |out| {
            // n is below the frame limit: this cannot fail.
            let _ = frame::encode_raw_packet(out, &h, &buf[..n]);
        }))?;
        Poll::Ready(Ok(n))
    }

    /// Sends all of `data`, in packets of at most [`DATA_CHUNK_MAX`] bytes.
    pub async fn send(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let n = poll_fn(|cx| self.poll_send(cx, data)).await?;
            data = &data[n..];
        }
        Ok(())
    }

    /// Sends a hole of `len` bytes (sparse streams only: the call must have had its sparse
    /// flag, or the daemon fails the stream).
    pub async fn send_hole(&mut self, len: u64) -> Result<()> {
        let length = i64::try_from(len).map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                "a hole longer than 2^63-1 bytes",
            )
        })?;
        let hole = virnet::StreamHole { length, flags: 0 };
        let h = stream_header(&self.inner.header, Type::StreamHole, Status::Continue);
        poll_fn(|cx| {
            self.poll_queue(cx, 12, |out| {
                // 12 bytes of payload: this cannot fail.
                let _ = frame::encode_packet(out, &h, &hole);
            })
        })
        .await
    }

    /// Ends the stream with `status` (OK: finish, ERROR: abort), once, and waits for the
    /// daemon's confirmation.
    fn poll_end(&mut self, cx: &mut Context<'_>, status: Status) -> Poll<Result<()>> {
        if self.confirm.is_none() {
            self.check_open()?;
            let (tx, rx) = oneshot::channel();
            self.inner.lock().confirm = Some(tx);
            let mut st = self.client.shared().lock();
            if let Some(c) = &st.closed {
                return Poll::Ready(Err(c.to_error()));
            }
            queue_end(&mut st, &self.inner.header, status);
            self.ended = true;
            self.confirm = Some(rx);
        }
        let rx = self.confirm.as_mut().expect("set above");
        Poll::Ready(match std::task::ready!(std::pin::Pin::new(rx).poll(cx)) {
            Ok(r) => r,
            // The sender is dropped only with the stream's state: the connection is gone.
            Err(_) => Err(self.client.closed_error()),
        })
    }

    /// Tells the daemon this side is done and waits for its confirmation (the end of an
    /// upload: the daemon has written everything; the daemon's error, if the stream failed on
    /// its side, comes back here). Later calls return the same outcome's error or `Ok`.
    pub fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.poll_end(cx, Status::Ok)
    }

    /// See [`poll_finish`](Self::poll_finish).
    pub async fn finish(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_finish(cx)).await
    }

    /// Aborts the stream and waits for the daemon's confirmation.
    pub async fn abort(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_end(cx, Status::Error)).await
    }
}

impl Drop for RawStream {
    /// Not ended yet: after the daemon's end of data, finish (as libvirt's client does after a
    /// download); otherwise abort. Either way without waiting for the answer.
    fn drop(&mut self) {
        let (failed, drained, pausing) = {
            let mut st = self.inner.lock();
            let pausing = std::mem::take(&mut st.pausing);
            (st.failure.is_some(), st.eof && st.queue.is_empty(), pausing)
        };
        let shared = self.client.shared();
        if pausing {
            resume(shared);
        }
        let mut st = shared.lock();
        st.streams.remove(&self.inner.header.serial);
        if !self.ended && !failed && st.closed.is_none() {
            let status = if drained { Status::Ok } else { Status::Error };
            queue_end(&mut st, &self.inner.header, status);
        }
    }
}

/// Creates and registers the stream of the call `header` (called with the connection's lock
/// held, while that call is queued, so no packet of the stream can arrive before).
pub(crate) fn register(st: &mut State, header: Header, when_full: WhenFull) -> Arc<StreamInner> {
    let inner = Arc::new(StreamInner {
        header,
        when_full,
        state: Mutex::new(StreamState::default()),
    });
    st.streams.insert(inner.header.serial, inner.clone());
    inner
}
