//! State shared by the handles and the driver of one connection, behind one short-held lock.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use bytes::BytesMut;
use tokio::sync::{Notify, oneshot};

use super::direct::ReadRoute;
use crate::error::{CloseReason, Error};
use crate::proto::frame::Packet;

/// Callers stop queueing frames while this many bytes wait to be written, so a peer that stops
/// reading cannot make us buffer without bound. A single larger frame is still accepted when the
/// buffer is empty; waiting callers are signalled each time the driver takes the buffer.
pub(crate) const OUT_HIGH_WATER: usize = 1 << 20;

/// Where the reply to a serial goes.
pub(crate) type ReplySender = oneshot::Sender<Result<Packet, Error>>;

/// Serials are handed out in sequence; a multiplicative hash spreads them over the table.
#[derive(Default)]
pub(crate) struct SerialHasher(u64);

impl Hasher for SerialHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// What to do with the reply to a call given up whose effect must be undone; run by whoever
/// routes the reply, without the state's lock.
pub(crate) type Orphan = Box<dyn FnOnce(&Shared, Packet) + Send>;

pub(crate) type PendingMap = HashMap<u32, ReplySender, BuildHasherDefault<SerialHasher>>;

/// Open streams, by the serial of the call that opened them.
pub(crate) type StreamMap =
    HashMap<u32, std::sync::Arc<super::streams::StreamInner>, BuildHasherDefault<SerialHasher>>;

/// Why and how the connection ended.
#[derive(Debug, Clone)]
pub(crate) struct Closed {
    pub reason: CloseReason,
    pub message: String,
    /// The error that ended the connection, shared by every call that fails because of it.
    pub cause: Option<Arc<Error>>,
}

impl Closed {
    /// Closed by the client or the peer, with no error behind it.
    pub fn plain(reason: CloseReason, message: impl Into<String>) -> Self {
        Closed {
            reason,
            message: message.into(),
            cause: None,
        }
    }

    /// Closed because of `cause`; the message says what happened to the connection, the
    /// cause's own words are in `source()`.
    pub fn by(reason: CloseReason, cause: Error) -> Self {
        Closed {
            reason,
            message: "the connection closed after a transport or protocol error".into(),
            cause: Some(Arc::new(cause)),
        }
    }

    pub fn to_error(&self) -> Error {
        Error::closed_by(self.reason, self.message.clone(), self.cause.clone())
    }
}

pub(crate) struct State {
    /// Complete frames waiting for the driver to write them.
    pub out: BytesMut,
    /// Calls waiting for their reply, by serial.
    pub pending: PendingMap,
    /// Calls given up whose reply must still be handled, by serial.
    pub orphans: HashMap<u32, Orphan, BuildHasherDefault<SerialHasher>>,
    /// The serial of the next call.
    pub next_serial: u32,
    /// The driver's waker, present while the driver is parked with nothing to write.
    pub driver_waker: Option<Waker>,
    /// Set once the connection is over; every later call fails with it.
    pub closed: Option<Closed>,
    /// Set when the last handle is gone: the driver flushes and ends.
    pub released: bool,
    /// Callers waiting for room in `out`.
    pub blocked_writers: usize,
    /// Open streams, by serial.
    pub streams: StreamMap,
    /// Stream writers waiting for room in `out`; woken when the driver takes the buffer.
    pub stream_writers: Vec<Waker>,
    /// Streams whose full queue holds the driver's reading (their readers wake it).
    pub paused_streams: usize,
    /// Keepalive settings the driver has not picked up yet (`Some(None)`: turn it off).
    pub keepalive_request: Option<Option<KeepaliveConfig>>,
    /// How long a call waits for its reply before failing with a timeout (`None`: forever).
    pub call_timeout: Option<std::time::Duration>,
}

/// When to probe a silent peer, and when to give up on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepaliveConfig {
    /// How long the connection may be silent before a PING is sent (libvirt's default: 5 s).
    pub interval: std::time::Duration,
    /// How many PINGs may go unanswered; the peer is dead after `interval * (count + 1)` of
    /// silence (libvirt's default: 5).
    pub count: u32,
}

impl Default for KeepaliveConfig {
    fn default() -> Self {
        KeepaliveConfig {
            interval: std::time::Duration::from_secs(5),
            count: 5,
        }
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    /// Signalled when the write buffer drains below [`OUT_HIGH_WATER`] or the connection closes.
    pub writable: Notify,
    /// Signalled once, when the connection closes.
    pub closed_notify: Notify,
    /// Where event messages go.
    pub events: super::events::EventRouter,
    /// Whom the transport's read readiness wakes.
    pub route: Arc<ReadRoute>,
    /// Where descriptors passed with calls and replies wait, on a unix socket.
    pub fds: Option<Arc<super::fds::FdChannel>>,
}

impl Shared {
    pub fn new(fds: Option<Arc<super::fds::FdChannel>>) -> Self {
        Shared {
            fds,
            state: Mutex::new(State {
                out: BytesMut::with_capacity(8 * 1024),
                pending: PendingMap::default(),
                orphans: HashMap::default(),
                next_serial: 1,
                driver_waker: None,
                closed: None,
                released: false,
                blocked_writers: 0,
                streams: StreamMap::default(),
                stream_writers: Vec::new(),
                paused_streams: 0,
                keepalive_request: None,
                call_timeout: None,
            }),
            writable: Notify::new(),
            closed_notify: Notify::new(),
            events: Default::default(),
            route: Arc::default(),
        }
    }

    /// Wakes the driver if it is parked with nothing to write (if it is not, it runs or is
    /// about to, and sees what there is to do).
    pub fn wake_driver(&self) {
        let waker = self.lock().driver_waker.take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Locks the state. A panic while the lock was held cannot leave it inconsistent in a way
    /// that matters more than refusing service, so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks the connection closed and fails every pending call with `closed`.
    pub fn close(&self, closed: Closed) {
        let (pending, streams, stream_writers) = {
            let mut st = self.lock();
            if st.closed.is_none() {
                st.closed = Some(closed.clone());
            }
            st.driver_waker = None;
            st.orphans.clear();
            (
                std::mem::take(&mut st.pending),
                std::mem::take(&mut st.streams),
                std::mem::take(&mut st.stream_writers),
            )
        };
        for (_, tx) in pending {
            let _ = tx.send(Err(closed.to_error()));
        }
        self.events.close(&closed);
        if let Some(fds) = &self.fds {
            fds.close();
        }
        super::streams::close_all(streams.into_values(), &closed);
        stream_writers.into_iter().for_each(Waker::wake);
        self.writable.notify_waiters();
        self.closed_notify.notify_waiters();
    }

    /// Asks the driver to start (or re-arm) keepalive with `config`, or to stop it (`None`).
    pub fn request_keepalive(&self, config: Option<KeepaliveConfig>) {
        let waker = {
            let mut st = self.lock();
            st.keepalive_request = Some(config);
            st.driver_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Marks the last handle gone and wakes the driver so it can finish.
    pub fn release(&self) {
        let waker = {
            let mut st = self.lock();
            st.released = true;
            st.driver_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}
