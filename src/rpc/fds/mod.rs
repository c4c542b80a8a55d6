//! File descriptor passing over a unix socket, as libvirt does it (SCM_RIGHTS).
//!
//! A CALL_WITH_FDS or REPLY_WITH_FDS packet has, after its 24-byte header, the number of
//! descriptors it carries (at most [`MAX_FDS`]), then its payload. Right after the packet's
//! last byte, each descriptor follows as a message of its own on the socket: one byte (0) with
//! one descriptor in its SCM_RIGHTS ancillary data. libvirt's peers read the packet exactly,
//! then one byte and exactly one descriptor per `recvmsg`.
//!
//! [`UnixFdStream`] is the unix socket that does this in the byte stream the driver reads and
//! writes, so the driver itself knows nothing of descriptors: it watches the frames go by
//! ([`scan`]), sends the descriptors of a CALL_WITH_FDS right after that frame's last byte,
//! and holds back the last byte of a REPLY_WITH_FDS until its descriptors have come, handing
//! them to the [`FdChannel`] first. A call therefore finds its descriptors there as soon as
//! its reply arrives. Every descriptor is an [`OwnedFd`] from the moment it is received, so
//! whatever goes wrong (a malformed packet, a reply nobody waits for, a closed connection)
//! closes it.

mod scan;
mod socket;

use std::collections::{HashMap, VecDeque};
use std::os::fd::OwnedFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::BytesMut;
use tokio::sync::oneshot;

use crate::proto::generated::virnet;
use crate::proto::xdr::Encode;

pub(crate) use socket::UnixFdStream;

/// The most descriptors one packet may carry (`VIR_NET_MESSAGE_NUM_FDS_MAX`).
pub const MAX_FDS: usize = virnet::MESSAGE_NUM_FDS_MAX as usize;

/// Where the descriptors of a connection's calls wait for the socket, and those of its
/// replies for their callers. Shared by the connection's [`UnixFdStream`] and its clients.
#[derive(Default)]
pub(crate) struct FdChannel {
    /// Off until the connection is authenticated and nothing else wraps the socket: until
    /// then the socket passes bytes through untouched.
    active: AtomicBool,
    state: Mutex<ChannelState>,
}

#[derive(Default)]
struct ChannelState {
    /// The descriptors of queued CALL_WITH_FDS frames, in the order of the frames.
    outgoing: VecDeque<Vec<OwnedFd>>,
    /// Calls waiting for the descriptors of their REPLY_WITH_FDS, by serial.
    expected: HashMap<u32, oneshot::Sender<Vec<OwnedFd>>>,
}

/// Where a call's reply descriptors arrive.
pub(crate) type FdReceiver = oneshot::Receiver<Vec<OwnedFd>>;

impl FdChannel {
    fn lock(&self) -> std::sync::MutexGuard<'_, ChannelState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts passing descriptors: the socket is at a frame boundary both ways.
    pub fn activate(&self) {
        self.active.store(true, Ordering::Release);
    }

    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// The descriptors of the CALL_WITH_FDS frame just queued (called in the order the frames
    /// are queued, under the connection's lock).
    pub fn queue(&self, fds: Vec<OwnedFd>) {
        self.lock().outgoing.push_back(fds);
    }

    /// The call `serial` expects descriptors with its reply.
    pub fn expect(&self, serial: u32) -> FdReceiver {
        let (tx, rx) = oneshot::channel();
        self.lock().expected.insert(serial, tx);
        rx
    }

    /// The call `serial` is over (answered, dropped or failed).
    pub fn forget(&self, serial: u32) {
        self.lock().expected.remove(&serial);
    }

    /// The descriptors to send after the CALL_WITH_FDS frame that was just written.
    fn next_outgoing(&self) -> Option<Vec<OwnedFd>> {
        self.lock().outgoing.pop_front()
    }

    /// Hands the descriptors of REPLY_WITH_FDS `serial` to its call; closes them when nobody
    /// waits for them.
    fn deliver(&self, serial: u32, fds: Vec<OwnedFd>) {
        let tx = self.lock().expected.remove(&serial);
        match tx {
            Some(tx) => drop(tx.send(fds)),
            None => tracing::debug!(serial, "closing descriptors of a reply nobody waits for"),
        }
    }

    /// The connection is over: closes every descriptor still queued.
    pub fn close(&self) {
        let mut st = self.lock();
        st.outgoing.clear();
        st.expected.clear();
    }
}

/// A call's arguments after the count of the descriptors sent with it (a CALL_WITH_FDS
/// payload), or alone (a CALL).
pub(crate) struct WithFdCount<'a, A: ?Sized> {
    pub count: Option<u32>,
    pub args: &'a A,
}

impl<A: Encode + ?Sized> Encode for WithFdCount<'_, A> {
    fn encode(&self, out: &mut BytesMut) {
        if let Some(c) = self.count {
            c.encode(out);
        }
        self.args.encode(out);
    }

    fn encoded_len(&self) -> usize {
        self.count.map_or(0, |_| 4) + self.args.encoded_len()
    }
}

/// What a call passes to the socket: descriptors to send after its frame, and whether its
/// reply brings descriptors (then `reply` is where they will be, once the call is queued).
pub(crate) struct FdAttach {
    pub channel: std::sync::Arc<FdChannel>,
    pub send: Vec<OwnedFd>,
    pub expect_reply: bool,
    pub reply: Option<FdReply>,
}

/// Where a queued call's reply descriptors arrive; forgets the call when dropped, so a call
/// given up leaves nothing behind (descriptors that come later are closed).
pub(crate) struct FdReply {
    pub rx: FdReceiver,
    pub channel: std::sync::Arc<FdChannel>,
    pub serial: u32,
}

impl Drop for FdReply {
    fn drop(&mut self) {
        self.channel.forget(self.serial);
    }
}
