//! The handle through which calls are made.

use std::future::Future;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use super::direct::{CallerIo, ReadRoute};
use super::fds::{FdAttach, FdReply, MAX_FDS, WithFdCount};
use super::reply;
use super::shared::{KeepaliveConfig, OUT_HIGH_WATER, Orphan, ReplySender, Shared, State};
use super::streams::{self, RawStream, StreamInner, WhenFull};
use crate::error::{CloseReason, Error, ErrorKind, Result};
use crate::proto::frame::{self, Packet};
use crate::proto::packet::{Header, Type};
use crate::proto::xdr::{Decode, Encode};
use crate::proto::{FdPassing, Procedure, ProcedureInfo};

type ReplyReceiver = oneshot::Receiver<Result<Packet>>;
type ReplyResult = std::result::Result<Result<Packet>, oneshot::error::RecvError>;

/// Encodings larger than this are built outside the lock and copied in, so one big call
/// does not hold up the others.
const ENCODE_UNDER_LOCK_MAX: usize = 16 * 1024;

/// Offset of the serial in an encoded frame: length word, prog, vers, proc, type.
const SERIAL_OFFSET: usize = 20;

/// A handle to a connection that makes raw protocol calls: `Clone + Send + Sync`, cheap to
/// clone, usable from any number of tasks at once. The connection ends when the last clone is
/// dropped.
///
/// Besides [`call`](Self::call) there is one generated method per procedure of every program,
/// e.g. [`domain_get_info`](Self::domain_get_info).
#[derive(Clone)]
pub struct RawClient {
    handle: Arc<Handle>,
}

/// Owned by the clones of one [`RawClient`]; its drop tells the driver the last one is gone.
struct Handle {
    shared: Arc<Shared>,
    /// The connection's I/O, for calls that write or read themselves; gone with the driver.
    io: Weak<dyn CallerIo>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.release();
    }
}

impl std::fmt::Debug for RawClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawClient")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Removes a call's entry from the pending table if the call is dropped before its reply.
/// A call with an `orphan` handler (one whose effect on the daemon must be undone, such as an
/// event registration) leaves the handler in its place instead: the driver gives it the reply
/// when it comes; if the reply came already, the handler gets it at once.
struct PendingGuard<'a> {
    shared: &'a Shared,
    serial: u32,
    armed: bool,
    rx: ReplyReceiver,
    orphan: Option<Orphan>,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        {
            let mut st = self.shared.lock();
            let waiting = st.pending.remove(&self.serial).is_some();
            match self.orphan.take() {
                Some(orphan) if waiting && st.closed.is_none() => {
                    st.orphans.insert(self.serial, orphan);
                    return;
                }
                Some(orphan) if !waiting => self.orphan = Some(orphan),
                _ => return,
            }
        }
        if let (Some(orphan), Ok(Ok(packet))) = (self.orphan.take(), self.rx.try_recv()) {
            orphan(self.shared, packet);
        }
    }
}

impl RawClient {
    pub(crate) fn new(shared: Arc<Shared>, io: Weak<dyn CallerIo>) -> Self {
        RawClient {
            handle: Arc::new(Handle { shared, io }),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.handle.shared
    }

    /// True once the connection has ended; every call then fails.
    pub fn is_closed(&self) -> bool {
        self.shared().lock().closed.is_some()
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared().lock().closed.as_ref().map(|c| c.reason)
    }

    /// Waits until the connection ends and returns why (the error every later call gets).
    pub async fn closed(&self) -> Error {
        loop {
            let notified = self.shared().closed_notify.notified();
            if let Some(c) = &self.shared().lock().closed {
                return c.to_error();
            }
            notified.await;
        }
    }

    /// Starts keepalive with `config` (or stops it with `None`), like libvirt's
    /// `virConnectSetKeepAlive`: after `interval` without a packet from the daemon a PING is
    /// sent; after `count` unanswered PINGs the connection closes with
    /// [`CloseReason::Keepalive`]. Only use it with daemons that support keepalive
    /// (CONNECT_SUPPORTS_FEATURE 10); [`Client`](crate::Client) does this for you.
    pub fn set_keepalive(&self, config: Option<KeepaliveConfig>) {
        self.shared().request_keepalive(config);
    }

    /// Makes every later call on this connection (through any clone) fail with
    /// [`ErrorKind::Timeout`] when its reply has not come within `timeout` (`None`, the
    /// default: wait as long as the connection lives). A timed-out call is forgotten like a
    /// dropped one: the connection stays usable and its late reply is discarded.
    pub fn set_call_timeout(&self, timeout: Option<std::time::Duration>) {
        self.shared().lock().call_timeout = timeout;
    }

    /// The timeout set by [`set_call_timeout`](Self::set_call_timeout).
    pub fn call_timeout(&self) -> Option<std::time::Duration> {
        self.shared().lock().call_timeout
    }

    /// Calls procedure `P` with `args` and decodes its reply. Procedures that pass file
    /// descriptors go through [`call_with_fds`](Self::call_with_fds) instead.
    pub async fn call<P: Procedure>(&self, args: &P::Args) -> Result<P::Ret> {
        let info = P::INFO;
        if info.fds != FdPassing::None {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{} passes file descriptors: call it with call_with_fds",
                    info.name
                ),
            ));
        }
        let packet = self
            .call_packet(info.program, info.version, info.number, args)
            .await?;
        reply::decode(&packet.payload, info.name)
    }

    /// Calls procedure `procedure` of `program`/`version` with already-typed `args` and returns
    /// the reply's raw payload.
    pub async fn call_bytes<A: Encode + ?Sized>(
        &self,
        program: u32,
        version: u32,
        procedure: i32,
        args: &A,
    ) -> Result<Bytes> {
        self.call_packet(program, version, procedure, args)
            .await
            .map(|p| p.payload)
    }

    /// Sends one CALL and waits for its REPLY; an ERROR reply becomes [`ErrorKind::Remote`].
    pub(crate) async fn call_packet<A: Encode + ?Sized>(
        &self,
        program: u32,
        version: u32,
        procedure: i32,
        args: &A,
    ) -> Result<Packet> {
        let (tx, rx) = oneshot::channel();
        let queued = self
            .enqueue(program, version, procedure, args, tx, None, None)
            .await?;
        self.await_reply(queued, [program, version], procedure, rx, None)
            .await
    }

    /// Like [`call_bytes`](Self::call_bytes), for a call whose effect on the daemon must be
    /// undone if it is given up (its future dropped, or timed out) before the reply: `undo`
    /// then gets the reply when it comes (from the driver, which must not wait in it).
    pub(super) async fn call_bytes_or_undo<A: Encode + ?Sized>(
        &self,
        [program, version]: [u32; 2],
        procedure: i32,
        args: &A,
        undo: Orphan,
    ) -> Result<Bytes> {
        let (tx, rx) = oneshot::channel();
        let queued = self
            .enqueue(program, version, procedure, args, tx, None, None)
            .await?;
        let packet = self
            .await_reply(queued, [program, version], procedure, rx, Some(undo))
            .await?;
        Ok(packet.payload)
    }

    /// Calls procedure `P`, which passes file descriptors (`@fds` in the protocol: DOMAIN_OPEN_GRAPHICS_FD,
    /// DOMAIN_CREATE_WITH_FILES, …), sending `fds` with the call (at most [`MAX_FDS`], only to
    /// a procedure whose call carries descriptors) and returning the reply with the
    /// descriptors that came with it. Each is owned: dropping it closes it; so are those
    /// sent, once they are on the socket (the daemon has its own copies).
    ///
    /// Only a unix socket connection can pass descriptors: on any other transport, or over a
    /// SASL security layer, this fails with [`ErrorKind::Unsupported`] without sending
    /// anything.
    ///
    /// [`MAX_FDS`]: crate::rpc::MAX_FDS
    pub async fn call_with_fds<P: Procedure>(
        &self,
        args: &P::Args,
        fds: Vec<OwnedFd>,
    ) -> Result<(P::Ret, Vec<OwnedFd>)> {
        let info = P::INFO;
        let attach = self.fd_attach(info, fds)?;
        let count = (!attach.send.is_empty()).then_some(attach.send.len() as u32);
        let payload = WithFdCount { count, args };
        let (tx, rx) = oneshot::channel();
        let mut queued = self
            .enqueue(
                info.program,
                info.version,
                info.number,
                &payload,
                tx,
                None,
                Some(attach),
            )
            .await?;
        let fd_reply = queued.fds.take();
        let packet = self
            .await_reply(queued, [info.program, info.version], info.number, rx, None)
            .await?;
        let mut payload = &packet.payload[..];
        let mut received = Vec::new();
        if packet.header.r#type == Type::ReplyWithFds {
            let count = u32::decode(&mut payload).map_err(|e| {
                Error::protocol(format!("cannot decode the reply to {}", info.name)).with_source(e)
            })?;
            // the socket hands them over before the reply's last byte
            if let Some(mut r) = fd_reply {
                received = r.rx.try_recv().unwrap_or_default();
            }
            if received.len() != count as usize {
                return Err(Error::protocol(format!(
                    "the reply to {} announces {count} descriptors and came with {}",
                    info.name,
                    received.len()
                )));
            }
        }
        Ok((reply::decode(payload, info.name)?, received))
    }

    /// Checks that `fds` can go with a call of `info` on this connection.
    fn fd_attach(&self, info: &ProcedureInfo, fds: Vec<OwnedFd>) -> Result<FdAttach> {
        let Some(channel) = self.shared().fds.clone() else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{} passes file descriptors, which only a unix socket connection without a \
                     SASL security layer can do",
                    info.name
                ),
            ));
        };
        let takes = matches!(info.fds, FdPassing::Call | FdPassing::Both);
        if fds.len() > MAX_FDS || (!fds.is_empty() && !takes) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{} takes {} file descriptors, not {}",
                    info.name,
                    if takes { "at most 32" } else { "no" },
                    fds.len()
                ),
            ));
        }
        Ok(FdAttach {
            channel,
            send: fds,
            expect_reply: matches!(info.fds, FdPassing::Reply | FdPassing::Both),
            reply: None,
        })
    }

    /// Calls stream procedure `P` with `args`: the stream is registered as the call is queued,
    /// so none of its data can be missed. On an error reply the stream is forgotten.
    /// `when_full` says what happens when its reader falls behind.
    pub async fn call_stream<P: Procedure>(
        &self,
        args: &P::Args,
        when_full: WhenFull,
    ) -> Result<(P::Ret, RawStream)> {
        let info = P::INFO;
        let (tx, rx) = oneshot::channel();
        let mut queued = self
            .enqueue(
                info.program,
                info.version,
                info.number,
                args,
                tx,
                Some(when_full),
                None,
            )
            .await?;
        let Some(inner) = queued.stream.take() else {
            return Err(Error::protocol("no stream was registered"));
        };
        // Dropped (aborting the stream) if this future is dropped before the reply.
        let stream = RawStream::new(self.clone(), inner);
        let packet = match self
            .await_reply(queued, [info.program, info.version], info.number, rx, None)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                stream.never_opened();
                return Err(e);
            }
        };
        Ok((reply::decode(&packet.payload, info.name)?, stream))
    }

    /// Waits for the reply to a queued call of `[program, version]`'s `procedure`; a reply
    /// naming another call is a protocol error, an ERROR reply becomes [`ErrorKind::Remote`].
    async fn await_reply(
        &self,
        queued: Queued,
        [program, version]: [u32; 2],
        procedure: i32,
        rx: oneshot::Receiver<Result<Packet>>,
        orphan: Option<Orphan>,
    ) -> Result<Packet> {
        let Queued {
            serial, timeout, ..
        } = queued;
        let mut guard = PendingGuard {
            shared: self.shared(),
            serial,
            armed: true,
            rx,
            orphan,
        };
        let rx = &mut guard.rx;
        let reply = match timeout {
            None => self.wait_reply(serial, rx).await,
            Some(limit) => match tokio::time::timeout(limit, self.wait_reply(serial, rx)).await {
                Ok(reply) => reply,
                // the guard removes the pending entry: the late reply will be discarded
                Err(_) => return Err(call_timed_out(procedure, limit)),
            },
        };
        guard.armed = false;
        let packet = match reply {
            Ok(r) => r?,
            Err(_) => return Err(self.closed_error()),
        };
        let h = &packet.header;
        reply::check_answers(
            h,
            program,
            version,
            procedure,
            format_args!("procedure {procedure}"),
        )?;
        reply::accept(packet, format_args!("procedure {procedure}"))
    }

    /// Waits for the reply to call `serial`, reading the transport itself while nobody else
    /// does (see `direct.rs`).
    async fn wait_reply(&self, serial: u32, rx: &mut ReplyReceiver) -> ReplyResult {
        let route = &self.shared().route;
        let _reader = Reader { route, serial };
        std::future::poll_fn(|cx| {
            // Without the driver the connection is over: `rx` is closed.
            let Some(io) = self.handle.io.upgrade() else {
                return Pin::new(&mut *rx).poll(cx);
            };
            // A first look with a waker that does nothing: the reply this caller routes itself
            // below must not wake it (a task that wakes itself while it runs costs the
            // current-thread runtime one more turn of its reactor, an `epoll_wait`, per
            // call). No wake-up is lost: `rx` is polled with the real waker before `Pending`.
            if let Poll::Ready(r) = Pin::new(&mut *rx).poll(&mut Context::from_waker(Waker::noop()))
            {
                return Poll::Ready(r);
            }
            let missed_wake = route.enter(serial, cx.waker());
            let read = io.read_now();
            drop(io);
            if let Poll::Ready(r) = Pin::new(&mut *rx).poll(cx) {
                return Poll::Ready(r);
            }
            if !read && missed_wake {
                // someone else holds the state, maybe only to write: try again soon
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        })
        .await
    }

    pub(crate) fn closed_error(&self) -> Error {
        match &self.shared().lock().closed {
            Some(c) => c.to_error(),
            None => Error::closed(CloseReason::Error, "the connection's driver stopped"),
        }
    }

    /// Queues the CALL frame and registers `tx` for its reply (and, with `open_stream`, a
    /// stream on its serial; with `fds`, the descriptors to send after it, as a
    /// CALL_WITH_FDS, and those expected with its reply).
    #[allow(clippy::too_many_arguments)]
    async fn enqueue<A: Encode + ?Sized>(
        &self,
        program: u32,
        version: u32,
        procedure: i32,
        args: &A,
        tx: ReplySender,
        open_stream: Option<WhenFull>,
        fds: Option<FdAttach>,
    ) -> Result<Queued> {
        let kind = match &fds {
            Some(f) if !f.send.is_empty() => Type::CallWithFds,
            _ => Type::Call,
        };
        let mut fds = fds;
        let len = args.encoded_len();
        if len > frame::MAX_PAYLOAD_LEN {
            return Err(invalid_argument(frame::FrameError::PayloadTooLarge(len)));
        }
        let prebuilt = if len > ENCODE_UNDER_LOCK_MAX {
            let mut buf = BytesMut::new();
            let header = call_header(program, version, procedure, 0, kind);
            frame::encode_packet(&mut buf, &header, args).map_err(invalid_argument)?;
            Some(buf)
        } else {
            None
        };
        let frame_len = len + frame::MIN_FRAME_LEN;
        let mut tx = Some(tx);
        if open_stream.is_none() {
            let call = Frame {
                program,
                version,
                procedure,
                kind,
                args,
                prebuilt: &prebuilt,
            };
            if let Some(queued) = self.write_now(&call, &mut tx, &mut fds)? {
                return Ok(queued);
            }
        }
        loop {
            let notified = self.shared().writable.notified();
            {
                let mut st = self.shared().lock();
                if let Some(c) = &st.closed {
                    return Err(c.to_error());
                }
                if st.out.is_empty() || st.out.len() + frame_len <= OUT_HIGH_WATER {
                    let call = Frame {
                        program,
                        version,
                        procedure,
                        kind,
                        args,
                        prebuilt: &prebuilt,
                    };
                    let serial = put_frame(&mut st, None, &mut tx, &mut fds, &call)?;
                    let timeout = st.call_timeout;
                    let stream = open_stream.map(|when_full| {
                        let header = Header::call(program, version, procedure, serial);
                        streams::register(&mut st, header, when_full)
                    });
                    let waker = st.driver_waker.take();
                    drop(st);
                    if let Some(w) = waker {
                        w.wake();
                    }
                    return Ok(Queued {
                        serial,
                        timeout,
                        stream,
                        fds: fds.and_then(|f| f.reply),
                    });
                }
                st.blocked_writers += 1;
            }
            let _blocked = BlockedWriter(self.shared());
            notified.await;
        }
    }
}

impl RawClient {
    /// Writes the CALL at once if the connection is idle (no call in flight, nothing queued,
    /// the transport's state free); `None` when it must be queued instead.
    fn write_now<A: Encode + ?Sized>(
        &self,
        call: &Frame<'_, A>,
        tx: &mut Option<ReplySender>,
        fds: &mut Option<FdAttach>,
    ) -> Result<Option<Queued>> {
        let Some(io) = self.handle.io.upgrade() else {
            return Ok(None);
        };
        let mut timeout = None;
        let written = io.write_now(&mut |buf| {
            let mut st = self.shared().lock();
            if let Some(c) = &st.closed {
                return Err(c.to_error());
            }
            // With other calls in flight, queue: the driver writes what many callers queued
            // in one go (one write per call would cost more than one wake-up).
            if !st.out.is_empty() || !st.pending.is_empty() {
                return Ok(None);
            }
            timeout = st.call_timeout;
            put_frame(&mut st, Some(buf), tx, fds, call).map(Some)
        })?;
        Ok(written.map(|serial| Queued {
            serial,
            timeout,
            stream: None,
            fds: fds.take().and_then(|f| f.reply),
        }))
    }
}

/// A CALL to encode: its procedure, its type (CALL or CALL_WITH_FDS) and arguments, or the
/// frame already encoded with serial 0 (`prebuilt`).
struct Frame<'a, A: ?Sized> {
    program: u32,
    version: u32,
    procedure: i32,
    kind: Type,
    args: &'a A,
    prebuilt: &'a Option<BytesMut>,
}

fn call_header(program: u32, version: u32, procedure: i32, serial: u32, kind: Type) -> Header {
    let mut header = Header::call(program, version, procedure, serial);
    header.r#type = kind;
    header
}

/// Allocates the next serial, encodes the CALL into `buf` (`None`: the shared write buffer)
/// and registers `tx` (taken) for its reply; queues `fds` (taken) for the socket to send
/// after this frame, and registers for the reply's descriptors.
fn put_frame<A: Encode + ?Sized>(
    st: &mut State,
    buf: Option<&mut BytesMut>,
    tx: &mut Option<ReplySender>,
    fds: &mut Option<FdAttach>,
    call: &Frame<'_, A>,
) -> Result<u32> {
    let serial = st.next_serial;
    let out = match buf {
        Some(b) => b,
        None => &mut st.out,
    };
    match call.prebuilt {
        Some(frame) => {
            let at = out.len();
            out.extend_from_slice(frame);
            out[at + SERIAL_OFFSET..at + SERIAL_OFFSET + 4].copy_from_slice(&serial.to_be_bytes());
        }
        None => {
            let header = call_header(
                call.program,
                call.version,
                call.procedure,
                serial,
                call.kind,
            );
            frame::encode_packet(out, &header, call.args).map_err(invalid_argument)?;
        }
    }
    st.next_serial = serial.wrapping_add(1).max(1);
    if let Some(tx) = tx.take() {
        st.pending.insert(serial, tx);
    }
    if let Some(f) = fds {
        // in the order of the frames: the socket takes them when this frame has gone out
        if !f.send.is_empty() {
            f.channel.queue(std::mem::take(&mut f.send));
        }
        if f.expect_reply {
            f.reply = Some(FdReply {
                rx: f.channel.expect(serial),
                channel: f.channel.clone(),
                serial,
            });
        }
    }
    Ok(serial)
}

/// A caller in the reader's role (`direct.rs`); leaves it when the call ends or is dropped.
struct Reader<'a> {
    route: &'a ReadRoute,
    serial: u32,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        self.route.leave(self.serial);
    }
}

/// A call in the write buffer: its serial, how long to wait for its reply, its stream, where
/// its reply's descriptors will be.
struct Queued {
    serial: u32,
    timeout: Option<std::time::Duration>,
    stream: Option<Arc<StreamInner>>,
    fds: Option<FdReply>,
}

/// A caller waiting for room in the write buffer; the driver signals such callers when it
/// takes the buffer.
struct BlockedWriter<'a>(&'a Shared);

impl Drop for BlockedWriter<'_> {
    fn drop(&mut self) {
        self.0.lock().blocked_writers -= 1;
    }
}

fn call_timed_out(procedure: i32, limit: std::time::Duration) -> Error {
    Error::timeout(format!(
        "no reply to procedure {procedure} within the call timeout of {limit:?}"
    ))
}

fn invalid_argument(e: frame::FrameError) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        "the call's arguments are too large",
    )
    .with_source(e)
}

impl RawClient {
    /// Decodes `T` from a reply payload (for callers of [`call_bytes`](Self::call_bytes)).
    pub fn decode_reply<T: Decode>(payload: &[u8]) -> Result<T> {
        reply::decode(payload, "a call")
    }
}
