//! The unix socket that passes descriptors in step with the frames (see the module above).
//!
//! Why `libc` and not a wrapper crate: tokio's `UnixStream` has no `sendmsg`/`recvmsg` with
//! ancillary data, and nix's `recvmsg` wants an initialised buffer, which would cost a memset
//! of the driver's whole read buffer on every read. The two calls below are the whole unsafe
//! surface; [`Socket`] does the readiness.

use std::collections::VecDeque;
use std::io;
use std::mem::{MaybeUninit, size_of};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::scan::Scanner;
use super::{FdChannel, MAX_FDS};
use crate::rpc::socket::Socket;

/// `VIR_NET_CALL_WITH_FDS` and `VIR_NET_REPLY_WITH_FDS`.
const CALL_WITH_FDS: u32 = 4;
const REPLY_WITH_FDS: u32 = 5;

/// A unix socket that sends and receives descriptors where libvirt puts them, once its
/// [`FdChannel`] is active; before that, a plain socket.
pub(crate) struct UnixFdStream {
    io: Socket<UnixStream>,
    channel: Arc<FdChannel>,
    read: ReadSide,
    write: WriteSide,
}

#[derive(Default)]
struct ReadSide {
    scan: Scanner,
    /// A REPLY_WITH_FDS whose descriptors are still coming.
    incoming: Option<Incoming>,
}

struct Incoming {
    serial: u32,
    want: usize,
    got: Vec<OwnedFd>,
    /// The packet's last byte, held back until its descriptors are in.
    held: u8,
}

#[derive(Default)]
struct WriteSide {
    scan: Scanner,
    /// Descriptors of the CALL_WITH_FDS frame just written, still to send.
    sending: VecDeque<OwnedFd>,
}

/// What one `recvmsg` brought, once its descriptor bytes are taken out.
struct Filtered {
    /// Bytes read.
    len: usize,
    /// Bytes of them left for the reader.
    kept: usize,
    /// The read emptied the socket: it came back short, without descriptors, and none are
    /// due (the kernel also ends a read before and after a message with descriptors).
    drained: bool,
}

impl UnixFdStream {
    /// The socket `io` (registered with the runtime here: it must not be registered already),
    /// passing descriptors through `channel` once that is active.
    pub fn new(io: tokio::net::UnixStream, channel: Arc<FdChannel>) -> io::Result<Self> {
        Ok(UnixFdStream {
            io: Socket::new(io.into_std()?)?,
            channel,
            read: ReadSide::default(),
            write: WriteSide::default(),
        })
    }

    /// Sends the descriptors of the last CALL_WITH_FDS, one per message.
    fn poll_send_fds(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(fd) = self.write.sending.front() {
            let raw = fd.as_raw_fd();
            ready!(self.io.poll_send(cx, |sock| send_fd(sock, raw)))?;
            // our copy closes: the daemon has its own
            self.write.sending.pop_front();
        }
        Poll::Ready(Ok(()))
    }

    /// Notes what was written; after a CALL_WITH_FDS frame, takes its descriptors.
    fn wrote(&mut self, bytes: &[u8]) -> io::Result<()> {
        let (_, end) = self
            .write
            .scan
            .advance(bytes, CALL_WITH_FDS)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let Some(end) = end else {
            return Ok(());
        };
        let fds = self.channel.next_outgoing().unwrap_or_default();
        if end.nfds != Some(fds.len() as u32) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a CALL_WITH_FDS frame does not match the descriptors queued with it",
            ));
        }
        self.write.sending = fds.into();
        Ok(())
    }
}

impl AsyncWrite for UnixFdStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if !this.channel.is_active() {
            return Pin::new(&mut this.io).poll_write(cx, buf);
        }
        ready!(this.poll_send_fds(cx))?;
        // never write past the end of a frame whose descriptors must follow it
        let (limit, _) = this
            .write
            .scan
            .clone()
            .advance(buf, CALL_WITH_FDS)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let n = ready!(Pin::new(&mut this.io).poll_write(cx, &buf[..limit]))?;
        this.wrote(&buf[..n])?;
        // sent now if the socket takes them, else by the next write or flush
        if let Poll::Ready(Err(e)) = this.poll_send_fds(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send_fds(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send_fds(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl AsyncRead for UnixFdStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.channel.is_active() {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let (read, channel) = (&mut this.read, &*this.channel);
        loop {
            let start = buf.filled().len();
            let got = ready!(this.io.poll_recv(
                cx,
                |sock| {
                    // SAFETY: recvmsg only writes into the unfilled part, never
                    // de-initialises it.
                    let unfilled = unsafe { buf.unfilled_mut() };
                    let room = unfilled.len();
                    let got = recv(sock, unfilled)?;
                    let (len, fds) = (got.len, !got.fds.is_empty());
                    // SAFETY: recvmsg wrote `len` bytes at the start of the unfilled part.
                    unsafe { buf.assume_init(len) };
                    buf.advance(len);
                    let kept = read.filter(&mut buf.filled_mut()[start..], got, channel)?;
                    buf.set_filled(start + kept);
                    let drained = len > 0 && len < room && !fds && read.incoming.is_none();
                    Ok(Filtered { len, kept, drained })
                },
                |f| f.drained,
            ))?;
            if got.len == 0 || got.kept > 0 {
                return Poll::Ready(Ok(())); // data, or the end of the stream
            }
            // only descriptor bytes: read on (an empty read would mean the end)
        }
    }
}

impl ReadSide {
    /// Takes the descriptor bytes out of `region` (bytes just read, `got`'s descriptors
    /// attached to the last of them, as the kernel ends a read at a message with
    /// descriptors), holding back each REPLY_WITH_FDS's last byte until its descriptors are
    /// in. Returns how many bytes of `region` remain for the reader.
    fn filter(
        &mut self,
        region: &mut [u8],
        got: Received,
        channel: &FdChannel,
    ) -> io::Result<usize> {
        if got.truncated {
            return Err(bad(
                "the daemon passed more descriptors than a message may carry",
            ));
        }
        let mut fds = (!got.fds.is_empty()).then_some(got.fds);
        let (mut r, mut w) = (0, 0);
        while r < region.len() {
            if let Some(inc) = &mut self.incoming {
                if r + 1 != region.len() {
                    return Err(bad("a descriptor's byte came without its descriptor"));
                }
                match fds.take() {
                    Some(mut one) if one.len() == 1 => inc.got.append(&mut one),
                    _ => return Err(bad("a descriptor's byte must carry exactly one descriptor")),
                }
                r += 1;
                if inc.got.len() == inc.want {
                    let Incoming {
                        serial, got, held, ..
                    } = self.incoming.take().expect("checked above");
                    channel.deliver(serial, got);
                    region[w] = held;
                    w += 1;
                }
                continue;
            }
            let (n, end) = self
                .scan
                .advance(&region[r..], REPLY_WITH_FDS)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            region.copy_within(r..r + n, w);
            (r, w) = (r + n, w + n);
            if let Some(end) = end {
                let want = end
                    .nfds
                    .ok_or_else(|| bad("a REPLY_WITH_FDS packet without a descriptor count"))?
                    as usize;
                if want > MAX_FDS {
                    return Err(bad(
                        "a REPLY_WITH_FDS packet announces too many descriptors",
                    ));
                }
                if want > 0 {
                    w -= 1;
                    self.incoming = Some(Incoming {
                        serial: end.serial,
                        want,
                        got: Vec::with_capacity(want),
                        held: region[w],
                    });
                }
            }
        }
        if fds.is_some() {
            return Err(bad(
                "the daemon passed descriptors outside a REPLY_WITH_FDS",
            ));
        }
        Ok(w)
    }
}

fn bad(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// What one `recvmsg` returned.
struct Received {
    len: usize,
    fds: Vec<OwnedFd>,
    /// The kernel had more descriptors than fit (and closed those).
    truncated: bool,
}

/// Room for the control message of [`MAX_FDS`] descriptors: `CMSG_SPACE(4 * MAX_FDS)`,
/// in words so that it is aligned for `cmsghdr`.
const RECV_CONTROL_WORDS: usize = (size_of::<libc::cmsghdr>() + 4 * MAX_FDS).div_ceil(8);
/// Room for the control message of one descriptor.
const SEND_CONTROL_WORDS: usize = (size_of::<libc::cmsghdr>() + 8).div_ceil(8);

#[cfg(any(target_os = "macos", target_os = "ios"))]
const RECV_FLAGS: libc::c_int = 0;
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const RECV_FLAGS: libc::c_int = libc::MSG_CMSG_CLOEXEC;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const SEND_FLAGS: libc::c_int = 0;
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;

/// One `recvmsg` into `buf`, with room for [`MAX_FDS`] descriptors.
fn recv(sock: RawFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<Received> {
    let mut control = [0u64; RECV_CONTROL_WORDS];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: a zeroed msghdr is valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of_val(&control) as _;
    // SAFETY: iov points to `buf` (writable, `buf.len()` bytes), control to `control`.
    let n = unsafe { libc::recvmsg(sock, &mut msg, RECV_FLAGS) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let fds = take_fds(&msg);
    Ok(Received {
        len: n as usize,
        fds,
        truncated: msg.msg_flags & libc::MSG_CTRUNC != 0,
    })
}

/// The descriptors of the SCM_RIGHTS messages `msg` received, owned (closed when dropped).
fn take_fds(msg: &libc::msghdr) -> Vec<OwnedFd> {
    let mut fds = Vec::new();
    // SAFETY: the CMSG_* macros walk the control buffer recvmsg filled, within
    // msg_controllen; each descriptor in it is new to this process and ours to own.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c);
                let bytes = (*c).cmsg_len as usize - data.offset_from(c.cast::<u8>()) as usize;
                for k in 0..bytes / size_of::<libc::c_int>() {
                    let raw = data.cast::<libc::c_int>().add(k).read_unaligned();
                    let fd = OwnedFd::from_raw_fd(raw);
                    #[cfg(any(target_os = "macos", target_os = "ios"))]
                    libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
                    fds.push(fd);
                }
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
    fds
}

/// Sends one byte (0) with `fd` in its SCM_RIGHTS data, as libvirt's `virSocketSendFD`.
fn send_fd(sock: RawFd, fd: RawFd) -> io::Result<()> {
    let byte = [0u8; 1];
    let mut control = [0u64; SEND_CONTROL_WORDS];
    let mut iov = libc::iovec {
        iov_base: byte.as_ptr() as *mut libc::c_void,
        iov_len: 1,
    };
    // SAFETY: a zeroed msghdr is valid; the control buffer is aligned and holds
    // CMSG_SPACE(sizeof(int)) bytes; sendmsg only reads the byte and the control data.
    let n = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(size_of::<libc::c_int>() as u32) as _;
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::c_int>() as u32) as _;
        libc::CMSG_DATA(c).cast::<libc::c_int>().write_unaligned(fd);
        libc::sendmsg(sock, &msg, SEND_FLAGS)
    };
    match n {
        1 => Ok(()),
        0 => Err(io::ErrorKind::WriteZero.into()),
        _ => Err(io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_buffers_are_large_enough() {
        // SAFETY: CMSG_SPACE only computes a size.
        let (one, max) = unsafe {
            (
                libc::CMSG_SPACE(size_of::<libc::c_int>() as u32) as usize,
                libc::CMSG_SPACE((MAX_FDS * size_of::<libc::c_int>()) as u32) as usize,
            )
        };
        assert!(SEND_CONTROL_WORDS * 8 >= one);
        assert!(RECV_CONTROL_WORDS * 8 >= max);
    }
}
