//! The handle through which calls are made.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use super::reply;
use super::shared::{KeepaliveConfig, OUT_HIGH_WATER, Shared};
use super::streams::{self, RawStream, StreamInner, WhenFull};
use crate::error::{CloseReason, Error, ErrorKind, Result};
use crate::proto::Procedure;
use crate::proto::frame::{self, Packet};
use crate::proto::packet::Header;
use crate::proto::xdr::{Decode, Encode};

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
struct PendingGuard<'a> {
    shared: &'a Shared,
    serial: u32,
    armed: bool,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.lock().pending.remove(&self.serial);
        }
    }
}

impl RawClient {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        RawClient {
            handle: Arc::new(Handle { shared }),
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

    /// Calls procedure `P` with `args` and decodes its reply.
    pub async fn call<P: Procedure>(&self, args: &P::Args) -> Result<P::Ret> {
        let info = P::INFO;
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
            .enqueue(program, version, procedure, args, tx, None)
            .await?;
        self.await_reply(queued, [program, version], procedure, rx)
            .await
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
            )
            .await?;
        let Some(inner) = queued.stream.take() else {
            return Err(Error::protocol("no stream was registered"));
        };
        // Dropped (aborting the stream) if this future is dropped before the reply.
        let stream = RawStream::new(self.clone(), inner);
        let packet = match self
            .await_reply(queued, [info.program, info.version], info.number, rx)
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
    ) -> Result<Packet> {
        let Queued {
            serial, timeout, ..
        } = queued;
        let mut guard = PendingGuard {
            shared: self.shared(),
            serial,
            armed: true,
        };
        let reply = match timeout {
            None => rx.await,
            Some(limit) => match tokio::time::timeout(limit, rx).await {
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

    pub(crate) fn closed_error(&self) -> Error {
        match &self.shared().lock().closed {
            Some(c) => c.to_error(),
            None => Error::closed(CloseReason::Error, "the connection's driver stopped"),
        }
    }

    /// Queues the CALL frame and registers `tx` for its reply (and, with `open_stream`, a
    /// stream on its serial).
    async fn enqueue<A: Encode + ?Sized>(
        &self,
        program: u32,
        version: u32,
        procedure: i32,
        args: &A,
        tx: super::shared::ReplySender,
        open_stream: Option<WhenFull>,
    ) -> Result<Queued> {
        let len = args.encoded_len();
        if len > frame::MAX_PAYLOAD_LEN {
            return Err(invalid_argument(frame::FrameError::PayloadTooLarge(len)));
        }
        let prebuilt = if len > ENCODE_UNDER_LOCK_MAX {
            let mut buf = BytesMut::new();
            let header = Header::call(program, version, procedure, 0);
            frame::encode_packet(&mut buf, &header, args).map_err(invalid_argument)?;
            Some(buf)
        } else {
            None
        };
        let frame_len = len + frame::MIN_FRAME_LEN;
        loop {
            let notified = self.shared().writable.notified();
            {
                let mut st = self.shared().lock();
                if let Some(c) = &st.closed {
                    return Err(c.to_error());
                }
                if st.out.is_empty() || st.out.len() + frame_len <= OUT_HIGH_WATER {
                    let serial = st.next_serial;
                    st.next_serial = serial.wrapping_add(1).max(1);
                    match &prebuilt {
                        Some(buf) => {
                            let at = st.out.len();
                            st.out.extend_from_slice(buf);
                            st.out[at + SERIAL_OFFSET..at + SERIAL_OFFSET + 4]
                                .copy_from_slice(&serial.to_be_bytes());
                        }
                        None => {
                            let header = Header::call(program, version, procedure, serial);
                            frame::encode_packet(&mut st.out, &header, args)
                                .map_err(invalid_argument)?;
                        }
                    }
                    st.pending.insert(serial, tx);
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
                    });
                }
                st.blocked_writers += 1;
            }
            let _blocked = BlockedWriter(self.shared());
            notified.await;
        }
    }
}

/// A call in the write buffer: its serial, how long to wait for its reply, its stream.
struct Queued {
    serial: u32,
    timeout: Option<std::time::Duration>,
    stream: Option<Arc<StreamInner>>,
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
