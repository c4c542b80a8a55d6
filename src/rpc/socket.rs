//! A connected socket that the runtime watches for read readiness only: the tcp and tls
//! transports' TCP connection, and under [`UnixFdStream`](super::fds::UnixFdStream) the unix
//! socket.
//!
//! tokio's `UnixStream` and `TcpStream` register their socket for reading and writing at once,
//! edge-triggered. For a connection that makes calls, every call then costs one more wake-up
//! of the reactor than it needs: the daemon reading our request frees room in the socket's send
//! buffer, which epoll reports as a writable edge that nobody waits for, and the runtime's
//! thread comes back from `epoll_wait` for nothing before it sees the reply.
//!
//! This socket writes with a plain non-blocking call and registers for write readiness only
//! once a write would block (the send buffer is full: a large upload), through a second
//! descriptor of the same socket (`dup`), since epoll takes one registration per descriptor.
//! From then on the connection is watched both ways, as tokio's own streams are. tokio has no
//! way to add an interest to an existing registration, hence this small type (see
//! `AsyncFd`).
//!
//! A read that comes back short has emptied the socket (unless the reader says otherwise:
//! a unix socket also stops a read where descriptors are attached): readiness is cleared
//! then, so the next read waits for the daemon's next bytes instead of costing a `recv` that
//! fails with `EAGAIN`.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// A connected stream socket (`std`'s `UnixStream` or `TcpStream`) for tokio, registered for
/// read readiness and, from its first write that would block on, for write readiness.
#[derive(Debug)]
pub(crate) struct Socket<T: AsRawFd> {
    read: AsyncFd<T>,
    /// The same socket under another descriptor, registered for write readiness: made when a
    /// write first would block.
    write: Option<AsyncFd<OwnedFd>>,
}

impl<T: AsRawFd + AsFd> Socket<T> {
    /// Wraps a connected socket; it must be in non-blocking mode. Needs a tokio runtime with
    /// I/O enabled.
    pub(crate) fn new(socket: T) -> io::Result<Self> {
        Ok(Socket {
            read: register(socket, Interest::READABLE)?,
            write: None,
        })
    }

    /// Runs `recv` (one non-blocking receive on the socket's descriptor) once the socket is
    /// readable, again after `EINTR` or `EAGAIN`. When `drained` says the result emptied the
    /// socket, readiness is cleared: the next receive waits for the next edge.
    pub(crate) fn poll_recv<R>(
        &self,
        cx: &mut Context<'_>,
        recv: impl FnMut(RawFd) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        poll_io(&self.read, Interest::READABLE, cx, recv, drained)
    }

    /// Runs `send` (one non-blocking send on the socket's descriptor): at once while the
    /// socket has never been full, else once it is writable; again after `EINTR`.
    pub(crate) fn poll_send<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut send: impl FnMut(RawFd) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if self.write.is_none() {
            match retry_interrupted(|| send(self.read.as_raw_fd())) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                done => return Poll::Ready(done),
            }
            let fd = self.read.get_ref().as_fd().try_clone_to_owned()?;
            self.write = Some(register(fd, Interest::WRITABLE)?);
        }
        let writer = self.write.as_ref().expect("registered above");
        poll_io(writer, Interest::WRITABLE, cx, send, |_| false)
    }
}

/// Waits for `interest` on `fd` and runs `op` on its descriptor until it does not fail with
/// `EAGAIN` (tokio then clears the readiness) or `EINTR`; clears the readiness when `drained`
/// says so of the result.
fn poll_io<U: AsRawFd, R>(
    fd: &AsyncFd<U>,
    interest: Interest,
    cx: &mut Context<'_>,
    mut op: impl FnMut(RawFd) -> io::Result<R>,
    drained: impl Fn(&R) -> bool,
) -> Poll<io::Result<R>> {
    loop {
        let mut guard = if interest.is_readable() {
            ready!(fd.poll_read_ready(cx))?
        } else {
            ready!(fd.poll_write_ready(cx))?
        };
        match guard.try_io(|fd| retry_interrupted(|| op(fd.as_raw_fd()))) {
            Ok(Ok(r)) => {
                if drained(&r) {
                    guard.clear_ready();
                }
                return Poll::Ready(Ok(r));
            }
            Ok(Err(e)) => return Poll::Ready(Err(e)),
            // would block: readiness cleared, wait for the next edge
            Err(_would_block) => {}
        }
    }
}

fn retry_interrupted<R>(mut op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            done => return done,
        }
    }
}

impl<T: AsRawFd + AsFd + Unpin> AsyncRead for Socket<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `recv` only writes into the unfilled part, never de-initialises it.
        let unfilled = unsafe { buf.unfilled_mut() };
        let len = unfilled.len();
        // a short read emptied the socket
        let n = ready!(self.poll_recv(cx, |fd| recv(fd, unfilled), |&n| n > 0 && n < len))?;
        // SAFETY: `recv` wrote `n` bytes at the start of the unfilled part.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsRawFd + AsFd + Unpin> AsyncWrite for Socket<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_send(cx, |fd| send(fd, data))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // SAFETY: shutdown(2) on a descriptor this socket owns; it touches no memory.
        let rc = unsafe { libc::shutdown(self.read.as_raw_fd(), libc::SHUT_WR) };
        if rc == 0 {
            return Poll::Ready(Ok(()));
        }
        match io::Error::last_os_error() {
            // the daemon is gone already: nothing left to shut
            e if e.raw_os_error() == Some(libc::ENOTCONN) => Poll::Ready(Ok(())),
            e => Poll::Ready(Err(e)),
        }
    }
}

/// Registers `inner` (a socket that owns its descriptor) with the runtime's reactor.
fn register<T: AsRawFd + AsFd>(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
    // SAFETY: `inner` owns its descriptor (std's sockets, `OwnedFd`): it stays open, the same
    // descriptor of the same socket, until the `AsyncFd` is dropped with it.
    unsafe { AsyncFd::register_with_interest(inner, interest) }.map_err(|e| e.into_parts().1)
}

/// One non-blocking `recv` into `buf` (which it may leave uninitialised).
fn recv(fd: RawFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the duration of the call.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// One non-blocking `send` of `data`; without SIGPIPE when the peer is gone (the error says
/// so instead).
fn send(fd: RawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: `data` is valid for `data.len()` bytes for the duration of the call.
    let n = unsafe {
        libc::send(
            fd,
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
