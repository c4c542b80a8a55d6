//! Calls that do the driver's work themselves when they can, so that a call costs no wake-up
//! of another task (on a multi-thread runtime: no wake-up of another thread).
//!
//! - **Writing.** A call whose frame would be the only one queued writes it to the transport
//!   itself ([`CallerIo::write_now`]); the driver is woken only if the transport does not take
//!   it all.
//! - **Reading.** A caller waiting for its reply becomes the connection's reader: the waker the
//!   transport's read readiness wakes is a [`ReadRoute`], which wakes the caller that reads now
//!   rather than the driver. The caller reads, routes every frame (its own reply among them) as
//!   the driver would, and hands the reader's role back to the driver when it leaves.
//!
//! Both need the connection's state, which the driver holds while it runs; callers only
//! try-lock it and fall back to the driver when it is busy, so nobody ever waits for the lock
//! for longer than one read or write that does not block.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};

use super::driver::Core;
use crate::error::Result;

/// The connection's I/O as callers use it (the driver's state behind its lock, without its
/// transport's type).
pub(crate) trait CallerIo: Send + Sync {
    /// When the connection's state is free and nothing waits to be written, lets `put` encode
    /// one frame into the (empty) write buffer and writes it at once. `put` returns the call's
    /// serial, or `None` when frames are queued (the call must queue behind them).
    /// `Ok(None)` when the frame was not written (the caller queues it instead).
    fn write_now(
        &self,
        put: &mut dyn FnMut(&mut BytesMut) -> Result<Option<u32>>,
    ) -> Result<Option<u32>>;

    /// Reads and routes what the transport has, if the connection's state is free; false when
    /// it was not.
    fn read_now(&self) -> bool;
}

impl<S> CallerIo for Mutex<Core<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    fn write_now(
        &self,
        put: &mut dyn FnMut(&mut BytesMut) -> Result<Option<u32>>,
    ) -> Result<Option<u32>> {
        let Ok(mut core) = self.try_lock() else {
            return Ok(None);
        };
        if core.finished || !core.write_buf.is_empty() || !core.own_out.is_empty() {
            return Ok(None);
        }
        let Some(serial) = put(&mut core.write_buf)? else {
            return Ok(None);
        };
        // Anything left (the transport is full, or failed: the driver's own write reports the
        // failure and ends the connection) is the driver's to write.
        if !matches!(write_out(&mut core), Ok(true)) {
            core.shared.wake_driver();
        }
        Ok(Some(serial))
    }

    fn read_now(&self) -> bool {
        match self.try_lock() {
            Ok(mut core) => {
                core.read_as_caller();
                true
            }
            Err(_) => false,
        }
    }
}

/// Writes and flushes the write buffer without registering for readiness (the driver does
/// that if it has to finish). `Ok(true)` when all of it is written and flushed.
fn write_out<S: AsyncWrite + Unpin>(core: &mut Core<S>) -> io::Result<bool> {
    let mut cx = Context::from_waker(Waker::noop());
    while !core.write_buf.is_empty() {
        match Pin::new(&mut core.stream).poll_write(&mut cx, &core.write_buf) {
            Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(n)) => {
                core.write_buf.advance(n);
                core.unflushed = true;
            }
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => return Ok(false),
        }
    }
    match Pin::new(&mut core.stream).poll_flush(&mut cx) {
        Poll::Ready(Ok(())) => {
            core.unflushed = false;
            Ok(true)
        }
        Poll::Ready(Err(e)) => Err(e),
        Poll::Pending => Ok(false),
    }
}

/// Whom the transport's read readiness wakes: the caller that reads now, else the driver.
///
/// The transport keeps one waker for read readiness, always this one (every read, by a caller
/// or the driver, registers it). Whoever it wakes must read, or make sure someone does:
/// - a caller that leaves the role after it was woken and before anyone read again wakes the
///   driver (`leave`);
/// - a caller that takes the role after such a wake and cannot get the connection's state
///   (someone else holds it, maybe only to write) polls itself again (`enter`'s answer).
#[derive(Default)]
pub(crate) struct ReadRoute {
    state: Mutex<RouteState>,
}

#[derive(Default)]
struct RouteState {
    /// The driver's waker, from its last poll.
    driver: Option<Waker>,
    /// The caller that reads now: its call's serial and its waker.
    caller: Option<(u32, Waker)>,
    /// Woken since the last read began.
    fired: bool,
}

impl ReadRoute {
    fn lock(&self) -> std::sync::MutexGuard<'_, RouteState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The driver polls with `waker`.
    pub(crate) fn set_driver(&self, waker: &Waker) {
        let mut st = self.lock();
        if !st.driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            st.driver = Some(waker.clone());
        }
    }

    /// A read of the transport begins (under the connection's lock): what woke the route so
    /// far will be seen by this read.
    pub(crate) fn begin_read(&self) {
        self.lock().fired = false;
    }

    /// The caller of call `serial` takes the reader's role with `waker`. True when the route
    /// was woken and nobody has read since: the caller must read, or poll itself again.
    pub(crate) fn enter(&self, serial: u32, waker: &Waker) -> bool {
        let mut st = self.lock();
        match &mut st.caller {
            Some((s, w)) if *s == serial && w.will_wake(waker) => {}
            slot => *slot = Some((serial, waker.clone())),
        }
        st.fired
    }

    /// The caller of call `serial` leaves the reader's role (if it still has it); the driver
    /// takes it back, and is woken if there may be something to read.
    pub(crate) fn leave(&self, serial: u32) {
        let driver = {
            let mut st = self.lock();
            if st.caller.as_ref().is_none_or(|(s, _)| *s != serial) {
                return;
            }
            st.caller = None;
            if !st.fired {
                return;
            }
            st.driver.clone()
        };
        if let Some(w) = driver {
            w.wake();
        }
    }
}

impl Wake for ReadRoute {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let target = {
            let mut st = self.lock();
            st.fired = true;
            match &st.caller {
                Some((_, w)) => Some(w.clone()),
                None => st.driver.clone(),
            }
        };
        if let Some(w) = target {
            w.wake();
        }
    }
}
