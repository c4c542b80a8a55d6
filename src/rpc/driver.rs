//! The driver: the one task that owns a connection's transport.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker, ready};

use tokio::time::Instant;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};

use super::direct::CallerIo;
use super::shared::{Closed, KeepaliveConfig, Shared};
use super::streams;
use crate::error::{CloseReason, Error, Result};
use crate::proto::frame::{self, Packet};
use crate::proto::keepalive;
use crate::proto::packet::{Header, Status, Type};

/// Initial size of the read buffer; it grows (bounded by the frame limit) for larger frames.
const READ_BUF_INITIAL: usize = 64 * 1024;

/// The driver of one connection: a future that reads and writes the transport, routes each
/// reply to its caller and answers keepalive pings. Spawn it (or poll it); it completes when the
/// last [`RawClient`](super::RawClient) is dropped (after flushing what was queued) or when the
/// connection fails.
///
/// It reads and writes in the same poll, never waiting for one before the other: a daemon
/// that stops reading until we read its replies cannot deadlock us (and we never stop reading
/// because a write is blocked).
///
/// Callers do part of its work themselves when they find the connection idle (see
/// `direct.rs`): a call writes its own frame when nothing is queued before it, and a caller
/// waiting for its reply reads and routes what arrives. The driver is then only woken for what
/// no caller does: frames queued behind others, keepalive, the end of the connection.
#[must_use = "the connection does nothing unless polled or spawned"]
pub struct Connection<S> {
    core: Arc<Mutex<Core<S>>>,
}

/// The connection's state: owned by the driver, lent to callers under a try-lock.
pub(super) struct Core<S> {
    pub(super) stream: S,
    pub(super) shared: Arc<Shared>,
    read_buf: BytesMut,
    /// Frames taken from the shared buffer, being written.
    pub(super) write_buf: BytesMut,
    /// Frames the driver itself produced (PONGs), written before the next batch.
    pub(super) own_out: BytesMut,
    keepalive: Option<Keepalive>,
    /// Bytes were written since the last flush.
    pub(super) unflushed: bool,
    pub(super) finished: bool,
    /// The waker every read of the transport registers: it wakes whoever reads now, a caller
    /// or the driver (`ReadRoute`).
    read_waker: Waker,
    /// How reading ended when a caller was reading; the driver ends the connection with it.
    pub(super) read_end: Option<ReadEnd>,
}

/// How reading ended: the daemon closed the transport, or reading or a frame failed.
pub(super) enum ReadEnd {
    Eof,
    Failed(Error),
}

impl From<Error> for ReadEnd {
    fn from(e: Error) -> Self {
        ReadEnd::Failed(e)
    }
}

/// libvirt's keepalive: after `interval` without hearing from the peer, send PING; any packet
/// from the peer resets the count; after `count` unanswered PINGs the peer is dead.
struct Keepalive {
    config: KeepaliveConfig,
    timer: Pin<Box<tokio::time::Sleep>>,
    last_heard: Instant,
    unanswered: u32,
}

impl Keepalive {
    fn new(config: KeepaliveConfig) -> Self {
        let now = Instant::now();
        Keepalive {
            config,
            timer: Box::pin(tokio::time::sleep_until(now + config.interval)),
            last_heard: now,
            unanswered: 0,
        }
    }

    fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.unanswered = 0;
    }

    /// Polls the timer: `Ready(true)` to send a PING now, `Ready(false)` when the peer is dead.
    fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        loop {
            ready!(self.timer.as_mut().poll(cx));
            let now = Instant::now();
            let silent_until = self.last_heard + self.config.interval;
            if now < silent_until {
                self.timer.as_mut().reset(silent_until);
                continue;
            }
            self.timer.as_mut().reset(now + self.config.interval);
            if self.unanswered >= self.config.count {
                return Poll::Ready(false);
            }
            self.unanswered += 1;
            return Poll::Ready(true);
        }
    }
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// The driver of `stream`, and the connection's I/O as callers see it.
    pub(crate) fn new(stream: S, shared: Arc<Shared>) -> (Self, Weak<dyn CallerIo>) {
        let core = Arc::new(Mutex::new(Core::new(stream, shared)));
        let weak = Arc::downgrade(&core);
        (Connection { core }, weak)
    }
}

impl<S> Future for Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        // A caller holds the lock only for a read or write that does not block.
        let mut core = self.core.lock().unwrap_or_else(|p| p.into_inner());
        core.poll_drive(cx)
    }
}

impl<S> Core<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn new(stream: S, shared: Arc<Shared>) -> Self {
        Core {
            read_waker: Waker::from(shared.route.clone()),
            read_end: None,
            stream,
            shared,
            read_buf: BytesMut::with_capacity(READ_BUF_INITIAL),
            write_buf: BytesMut::new(),
            own_out: BytesMut::new(),
            keepalive: None,
            unflushed: false,
            finished: false,
        }
    }

    /// Writes as much as the transport takes, and flushes it once everything queued is written
    /// (transports such as TLS or a SASL layer may hold bytes back until flushed).
    /// `Ready(Ok(true))` when something was written.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        let mut progress = false;
        loop {
            if self.write_buf.is_empty() && !self.refill_write_buf(cx) {
                if self.unflushed {
                    ready!(Pin::new(&mut self.stream).poll_flush(cx))?;
                    self.unflushed = false;
                }
                return Poll::Ready(Ok(progress));
            }
            match Pin::new(&mut self.stream).poll_write(cx, &self.write_buf) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.write_buf.advance(n);
                    self.unflushed = true;
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending if progress => return Poll::Ready(Ok(true)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Moves queued frames into the (empty) write buffer; false when there are none, in which
    /// case the driver's waker is registered so the next call wakes it.
    fn refill_write_buf(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.own_out.is_empty() {
            std::mem::swap(&mut self.write_buf, &mut self.own_out);
            return true;
        }
        let wake_writers = {
            let mut st = self.shared.lock();
            if st.out.is_empty() {
                if !st
                    .driver_waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    st.driver_waker = Some(cx.waker().clone());
                }
                return false;
            }
            std::mem::swap(&mut self.write_buf, &mut st.out);
            (
                st.blocked_writers > 0,
                std::mem::take(&mut st.stream_writers),
            )
        };
        if wake_writers.0 {
            self.shared.writable.notify_waiters();
        }
        wake_writers.1.into_iter().for_each(std::task::Waker::wake);
        true
    }

    /// Reads what the transport has and dispatches every complete frame.
    pub(super) fn poll_read_in(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, ReadEnd>> {
        let mut progress = false;
        loop {
            while let Some(body) = frame::next_frame(&mut self.read_buf)
                .map_err(|e| Error::protocol("the daemon sent an invalid frame").with_source(e))?
            {
                let packet = Packet::parse(body).map_err(|e| {
                    Error::protocol("the daemon sent an invalid packet").with_source(e)
                })?;
                self.dispatch(packet)?;
                progress = true;
            }
            if self.reading_paused(cx) {
                return if progress {
                    Poll::Ready(Ok(true))
                } else {
                    Poll::Pending
                };
            }
            if self.read_buf.capacity() - self.read_buf.len() < 4096 {
                self.read_buf.reserve(READ_BUF_INITIAL);
            }
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.read_buf)
            {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(ReadEnd::Eof)),
                Poll::Ready(Ok(_)) => progress = true,
                Poll::Ready(Err(e)) => {
                    let err = Error::io("reading from the daemon failed", e);
                    return Poll::Ready(Err(ReadEnd::Failed(err)));
                }
                Poll::Pending if progress => return Poll::Ready(Ok(true)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// True while a stream's full queue holds reading (see `streams`): the driver is woken
    /// when its reader catches up. The daemon's silence meanwhile is ours, not a dead peer's.
    fn reading_paused(&mut self, cx: &mut Context<'_>) -> bool {
        {
            let mut st = self.shared.lock();
            if st.paused_streams == 0 {
                return false;
            }
            if cx.waker().will_wake(&self.read_waker) {
                // a caller's read, or the driver's through the route: the driver must be the
                // one woken when reading resumes; it registers itself in `read_as_driver`
                drop(st);
                self.shared.wake_driver();
            } else if !st
                .driver_waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                st.driver_waker = Some(cx.waker().clone());
            }
        }
        if let Some(k) = &mut self.keepalive {
            k.heard();
        }
        true
    }

    /// Routes one packet: a reply to its caller, an event to its subscribers, a PING to a PONG.
    fn dispatch(&mut self, packet: Packet) -> Result<()> {
        if let Some(k) = &mut self.keepalive {
            k.heard();
        }
        let h = &packet.header;
        if h.prog == keepalive::PROGRAM {
            return self.on_keepalive(&packet);
        }
        match h.r#type {
            Type::Reply | Type::ReplyWithFds => {
                let (tx, orphan) = {
                    let mut st = self.shared.lock();
                    match st.pending.remove(&h.serial) {
                        Some(tx) => (Some(tx), None),
                        None => (None, st.orphans.remove(&h.serial)),
                    }
                };
                if let Some(orphan) = orphan {
                    orphan(&self.shared, packet);
                    return Ok(());
                }
                match tx {
                    // A dropped receiver means the caller gave up: nothing to do.
                    Some(tx) => drop(tx.send(Ok(packet))),
                    // A stream's failure comes as a REPLY on its serial.
                    None => {
                        let (serial, procedure) = (h.serial, h.proc);
                        if !streams::route(&self.shared, packet) {
                            tracing::debug!(
                                serial,
                                procedure,
                                "discarding a reply nobody waits for"
                            );
                        }
                    }
                }
                Ok(())
            }
            Type::Stream | Type::StreamHole => {
                let (serial, procedure) = (h.serial, h.proc);
                if !streams::route(&self.shared, packet) {
                    tracing::debug!(
                        serial,
                        procedure,
                        "discarding data of a stream that is gone"
                    );
                }
                Ok(())
            }
            Type::Message => {
                self.shared.events.route(packet);
                Ok(())
            }
            other => {
                tracing::debug!(?other, procedure = h.proc, "ignoring an unsolicited packet");
                Ok(())
            }
        }
    }

    fn on_keepalive(&mut self, packet: &Packet) -> Result<()> {
        let h = &packet.header;
        if h.r#type != Type::Message {
            return Err(Error::protocol(format!(
                "keepalive packet of type {:?}",
                h.r#type
            )));
        }
        if h.proc == keepalive::Procedure::Ping.to_i32() {
            self.queue_keepalive(keepalive::Procedure::Pong);
        }
        Ok(())
    }

    /// Queues a PING or PONG: a MESSAGE with serial 0 and no payload.
    fn queue_keepalive(&mut self, procedure: keepalive::Procedure) {
        let header = Header {
            prog: keepalive::PROGRAM,
            vers: keepalive::PROTOCOL_VERSION,
            proc: procedure.to_i32(),
            r#type: Type::Message,
            serial: 0,
            status: Status::Ok,
        };
        // An empty payload is always within the limits: this cannot fail.
        let _ = frame::encode_packet(&mut self.own_out, &header, &());
    }

    /// Starts keepalive when asked; sends a PING when due. `Err` when the peer is dead.
    fn poll_keepalive(&mut self, cx: &mut Context<'_>) -> Result<bool, Closed> {
        if let Some(request) = self.shared.lock().keepalive_request.take() {
            self.keepalive = request.map(Keepalive::new);
        }
        let Some(k) = &mut self.keepalive else {
            return Ok(false);
        };
        match k.poll_due(cx) {
            Poll::Pending => Ok(false),
            Poll::Ready(true) => {
                self.queue_keepalive(keepalive::Procedure::Ping);
                Ok(true)
            }
            Poll::Ready(false) => {
                let silent = k.last_heard.elapsed();
                Err(Closed::plain(
                    CloseReason::Keepalive,
                    format!(
                        "keepalive timeout: no answer from the daemon for {:.1}s",
                        silent.as_secs_f64()
                    ),
                ))
            }
        }
    }

    /// Reads as the driver: first how a caller's read ended, if one did.
    fn read_as_driver(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, ReadEnd>> {
        if let Some(end) = self.read_end.take() {
            return Poll::Ready(Err(end));
        }
        if self.reading_paused(cx) {
            return Poll::Pending;
        }
        let waker = self.read_waker.clone();
        self.shared.route.begin_read();
        self.poll_read_in(&mut Context::from_waker(&waker))
    }

    /// Reads as a caller whose reply has not come: `read_end` keeps how reading ended, for the
    /// driver (which is woken) to end the connection with.
    pub(super) fn read_as_caller(&mut self) {
        if self.finished || self.read_end.is_some() {
            return;
        }
        let waker = self.read_waker.clone();
        self.shared.route.begin_read();
        if let Poll::Ready(Err(end)) = self.poll_read_in(&mut Context::from_waker(&waker)) {
            self.read_end = Some(end);
            self.shared.wake_driver();
        } else if !self.own_out.is_empty() {
            // a PONG to send
            self.shared.wake_driver();
        }
    }

    /// True once the last handle is gone and everything queued is written.
    fn done(&self) -> bool {
        let st = self.shared.lock();
        st.released && st.out.is_empty() && st.pending.is_empty()
    }

    /// Ends the connection: every pending and later call fails with `closed`, which is also
    /// what the driver returns.
    fn finish(&mut self, closed: Closed) -> Error {
        self.finished = true;
        let err = closed.to_error();
        self.shared.close(closed);
        err
    }
}

impl<S> Core<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// The driver's poll: keepalive, writes, reads, and the end of the connection.
    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self;
        if this.finished {
            return Poll::Ready(Ok(()));
        }
        loop {
            let pinged = match this.poll_keepalive(cx) {
                Ok(p) => p,
                Err(closed) => return Poll::Ready(Err(this.finish(closed))),
            };
            let wrote = match this.poll_write_out(cx) {
                Poll::Ready(Ok(p)) => p,
                Poll::Ready(Err(e)) => {
                    let err = Error::io("writing to the daemon failed", e);
                    return Poll::Ready(Err(this.finish(Closed::by(CloseReason::Error, err))));
                }
                Poll::Pending => false,
            };
            this.shared.route.set_driver(cx.waker());
            let read = match this.read_as_driver(cx) {
                Poll::Ready(Ok(p)) => p,
                Poll::Ready(Err(ReadEnd::Eof)) => {
                    this.finish(Closed::plain(
                        CloseReason::Eof,
                        "the daemon closed the connection",
                    ));
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Err(ReadEnd::Failed(err))) => {
                    return Poll::Ready(Err(this.finish(Closed::by(CloseReason::Error, err))));
                }
                Poll::Pending => false,
            };
            if this.write_buf.is_empty() && this.own_out.is_empty() && this.done() {
                let _ = Pin::new(&mut this.stream).poll_shutdown(cx);
                this.finish(Closed::plain(
                    CloseReason::Client,
                    "the connection was closed by the client",
                ));
                return Poll::Ready(Ok(()));
            }
            if !wrote && !read && !pinged {
                return Poll::Pending;
            }
        }
    }
}

impl<S> Drop for Core<S> {
    fn drop(&mut self) {
        if !self.finished {
            self.shared.close(Closed::plain(
                CloseReason::Error,
                "the connection's driver was dropped",
            ));
        }
    }
}
