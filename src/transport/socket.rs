//! A connected socket that the runtime watches for read readiness only (the tcp and tls
//! transports' TCP connection; the unix transport has its own socket, which passes descriptors).
//!
//! tokio's `UnixStream` and `TcpStream` register their socket for reading and writing at once,
//! edge-triggered. For a connection that makes calls, every call then costs one more wake-up
//! of the reactor than it needs: the daemon reading our request frees room in the socket's send
//! buffer, which epoll reports as a writable edge that nobody waits for, and the runtime's
//! thread comes back from `epoll_wait` for nothing before it sees the reply (one `epoll_wait`
//! per call out of ~4.3 on a current-thread runtime).
//!
//! This socket writes with a plain non-blocking `send` and registers for write readiness only
//! once a write would block (the send buffer is full: a large upload), through a second
//! descriptor of the same socket (`dup`), since epoll takes one registration per descriptor.
//! From then on the connection is watched both ways, as tokio's own streams are. tokio has no
//! way to add an interest to an existing registration, hence this small type (see
//! `AsyncFd`).

use std::io::{self, Read};
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

impl<T> Socket<T>
where
    T: AsRawFd + AsFd,
    for<'a> &'a T: Read,
{
    /// Wraps a connected socket; it must be in non-blocking mode. Needs a tokio runtime with
    /// I/O enabled.
    pub(crate) fn new(socket: T) -> io::Result<Self> {
        Ok(Socket {
            read: register(socket, Interest::READABLE)?,
            write: None,
        })
    }

    /// The registration for write readiness, made on first use.
    fn writer(&mut self) -> io::Result<&AsyncFd<OwnedFd>> {
        if self.write.is_none() {
            let fd = self.read.get_ref().as_fd().try_clone_to_owned()?;
            self.write = Some(register(fd, Interest::WRITABLE)?);
        }
        Ok(self.write.as_ref().expect("made above"))
    }
}

impl<T> AsyncRead for Socket<T>
where
    T: AsRawFd + AsFd + Unpin,
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let mut guard = ready!(this.read.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let len = unfilled.len();
            match guard.try_io(|fd| fd.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    // A short read emptied the socket (as tokio's own streams assume): the
                    // next read waits for the next edge instead of costing a failing `recv`.
                    if n > 0 && n < len {
                        guard.clear_ready();
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                // would block: readiness cleared, wait for the next edge
                Err(_) => {}
            }
        }
    }
}

impl<T> AsyncWrite for Socket<T>
where
    T: AsRawFd + AsFd + Unpin,
    for<'a> &'a T: Read,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.write.is_none() {
            match send(this.read.get_ref(), data) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                done => return Poll::Ready(done),
            }
        }
        let writer = this.writer()?;
        loop {
            let mut guard = ready!(writer.poll_write_ready(cx))?;
            match guard.try_io(|fd| send(fd, data)) {
                Ok(done) => return Poll::Ready(done),
                Err(_would_block) => {}
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // SAFETY: shutdown(2) on a descriptor this socket owns; it touches no memory.
        let rc = unsafe { libc::shutdown(self.read.get_ref().as_raw_fd(), libc::SHUT_WR) };
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

/// One non-blocking `send` of `data` on `fd`, retried when a signal interrupts it; without
/// SIGPIPE when the peer is gone (the error says so instead).
fn send(fd: &impl AsRawFd, data: &[u8]) -> io::Result<usize> {
    let fd: RawFd = fd.as_raw_fd();
    loop {
        // SAFETY: `data` is valid for `data.len()` bytes for the duration of the call.
        let n = unsafe {
            libc::send(
                fd,
                data.as_ptr().cast(),
                data.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
