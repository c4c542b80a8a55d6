//! The bridge between a blocking libssh2 session and the async runtime.
//!
//! # Design
//!
//! libssh2 is blocking C code, and an [`ssh2::Session`] is one lock: a thread blocked in a
//! channel read holds it, so a second thread could not write meanwhile, and a request/reply
//! protocol would deadlock (the reader waits for a reply to a request the writer cannot send).
//! So each connection gets one dedicated std thread that owns the session and its channel, in
//! libssh2's non-blocking mode, and runs a `poll(2)` loop over two descriptors: the ssh
//! session's TCP socket and its end of a unix socket pair. The other end of the pair, a tokio
//! [`UnixStream`], is the connection's byte stream ([`SshStream`]): the runtime only ever
//! waits on a socket, never on libssh2. The socket pair's kernel buffers (plus one buffer per
//! direction in the thread) carry backpressure both ways: the thread reads no more from the
//! channel while the stream's reader lags, and no more from the pair while the channel cannot
//! take more.
//!
//! Each turn of the loop moves what it can (pair → channel, channel EOF, channel stderr,
//! channel → pair) and sleeps in `poll` only after a turn that moved nothing, waiting for what
//! the stuck transfers need: the pair readable or writable, the TCP socket readable (data, or
//! what libssh2's `block_directions` asks for) or writable. Reading the channel's stdout comes
//! last in a turn, so no data that libssh2 pulled off the socket while writing is left queued
//! inside it while the thread sleeps. A one-second `poll` timeout is only a safety net.
//!
//! # How it ends
//!
//! - The stream is dropped: the thread sees `POLLHUP` on its end of the pair, sends EOF and
//!   CLOSE on the channel, disconnects the session (each bounded by a short timeout) and
//!   exits.
//! - The stream shuts down writing: the thread passes EOF on to the channel; the remote
//!   command (`nc -q0`, `virt-ssh-helper`) then ends, which ends the session as below.
//! - The remote command ends (EOF on the channel): the thread hands over what is left, waits
//!   briefly for the exit status, and shuts its end of the pair down, so the stream reads
//!   end-of-file; then it closes the session. If the command failed (non-zero exit status, or
//!   it ended before sending a byte), the stream's read or write fails instead, with the
//!   command's stderr in the message, as the ssh transport does.
//! - An ssh error (connection lost, …) ends the stream with that error the same way.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use ssh2::{BlockDirections, Channel, Session};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UnixStream;

use crate::error::{Error, Result};

/// The size of each direction's buffer in the thread.
const BUF_SIZE: usize = 32 * 1024;
/// How much of the remote command's stderr is kept (the last bytes).
const STDERR_KEEP: usize = 8192;
/// How long the thread waits for the exit status once the remote command ended, and for
/// each step of closing the session.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// `poll` timeout: a safety net, nothing depends on it.
const POLL_TIMEOUT_MS: libc::c_int = 1000;

/// A running session: what the thread relays.
pub(super) struct Link {
    /// The session, authenticated (made non-blocking by [`run`]).
    pub session: Session,
    /// The channel running the remote command.
    pub channel: Channel,
    /// The session's TCP socket, owned by `session`.
    pub tcp_fd: RawFd,
    /// `user@host:port`, for messages.
    pub peer: String,
}

/// What the thread leaves for the stream: why the link failed, if it did.
#[derive(Debug, Default)]
pub(super) struct Shared {
    failure: Mutex<Option<(io::ErrorKind, String)>>,
}

impl Shared {
    fn set_failure(&self, kind: io::ErrorKind, message: String) {
        let mut slot = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert((kind, message));
    }

    fn failure(&self) -> Option<io::Error> {
        let slot = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .map(|(kind, message)| io::Error::new(*kind, message.clone()))
    }
}

/// A unix socket pair: (the stream's end, the thread's end).
pub(super) fn socket_pair() -> Result<(StdUnixStream, StdUnixStream)> {
    StdUnixStream::pair().map_err(|e| Error::io("cannot create a socket pair for ssh", e))
}

/// The connection's byte stream: the runtime's end of the socket pair. End-of-file or a
/// broken pipe carries the thread's error, when there is one.
pub(super) struct SshStream {
    io: UnixStream,
    shared: Arc<Shared>,
}

impl SshStream {
    /// Wraps the stream's end of the pair (inside a tokio runtime).
    pub(super) fn new(end: StdUnixStream, shared: Arc<Shared>) -> Result<SshStream> {
        let wrap = |e| Error::io("cannot register the ssh stream with the runtime", e);
        end.set_nonblocking(true).map_err(wrap)?;
        Ok(SshStream {
            io: UnixStream::from_std(end).map_err(wrap)?,
            shared,
        })
    }
}

impl AsyncRead for SshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = ready!(Pin::new(&mut this.io).poll_read(cx, buf));
        Poll::Ready(match result {
            Ok(()) if buf.filled().len() == before && buf.remaining() > 0 => {
                this.shared.failure().map_or(Ok(()), Err)
            }
            Ok(()) => Ok(()),
            Err(e) => Err(this.shared.failure().unwrap_or(e)),
        })
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = ready!(Pin::new(&mut this.io).poll_write(cx, buf));
        Poll::Ready(result.map_err(|e| this.shared.failure().unwrap_or(e)))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Relays between `link` and `end` (the thread's end of the pair) until the link ends, then
/// closes the session; the outcome goes to `shared` before `end` is closed.
pub(super) fn run(link: Link, end: StdUnixStream, shared: &Shared) {
    let Link {
        session,
        channel,
        tcp_fd,
        peer,
    } = link;
    if let Err(e) = end.set_nonblocking(true) {
        shared.set_failure(
            io::ErrorKind::Other,
            format!("ssh session with {peer}: cannot set up the socket pair: {e}"),
        );
        return;
    }
    session.set_blocking(false);
    let mut pump = Pump {
        session,
        channel,
        tcp_fd,
        local: end,
        to_ssh: Buffer::new(),
        to_local: Buffer::new(),
        local_eof: false,
        eof_sent: false,
        remote_eof: false,
        got_data: false,
        stderr_tail: Vec::new(),
    };
    let end = pump.relay();
    tracing::debug!(%peer, ?end, "ssh session ending");
    match end {
        End::Remote => {
            if let Some((kind, message)) = pump.remote_verdict(&peer) {
                shared.set_failure(kind, message);
            }
        }
        End::LocalGone => {}
        End::Failed(what) => {
            let mut message = format!("ssh session with {peer} failed: {what}");
            if let Some(said) = pump.stderr_text() {
                message.push_str(&format!(" (the remote command said: {said})"));
            }
            shared.set_failure(io::ErrorKind::ConnectionAborted, message);
        }
    }
    // The outcome is in `shared`: the stream may see the end now, before the (bounded, but
    // maybe slow) goodbyes to the server.
    let _ = pump.local.shutdown(std::net::Shutdown::Both);
    pump.close();
}

/// Why the relay stopped.
#[derive(Debug)]
enum End {
    /// The remote command ended its output (EOF on the channel).
    Remote,
    /// The stream was dropped.
    LocalGone,
    /// The ssh session failed.
    Failed(String),
}

/// Bytes read from one side, waiting to be written to the other.
struct Buffer {
    data: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Buffer {
    fn new() -> Buffer {
        Buffer {
            data: vec![0; BUF_SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    fn pending(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// Refills the (empty) buffer with one read.
    fn fill(&mut self, read: impl FnOnce(&mut [u8]) -> io::Result<usize>) -> io::Result<usize> {
        debug_assert!(self.is_empty());
        self.start = 0;
        self.end = 0;
        let n = read(&mut self.data)?;
        self.end = n;
        Ok(n)
    }
}

/// The relay's state.
struct Pump {
    session: Session,
    channel: Channel,
    tcp_fd: RawFd,
    /// The thread's end of the socket pair.
    local: StdUnixStream,
    to_ssh: Buffer,
    to_local: Buffer,
    /// The stream shut down writing (or was dropped).
    local_eof: bool,
    /// EOF was sent on the channel.
    eof_sent: bool,
    /// The remote command's output ended.
    remote_eof: bool,
    /// The remote command sent at least one byte.
    got_data: bool,
    stderr_tail: Vec<u8>,
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// Writes to the socket pair like `write`, but a closed peer is `EPIPE` without `SIGPIPE`
/// (which would end a process that does not ignore it).
fn send_no_signal(socket: &StdUnixStream, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes during the call.
    let n = unsafe {
        libc::send(
            socket.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// libssh2's `LIBSSH2_ERROR_EAGAIN`.
const LIBSSH2_ERROR_EAGAIN: libc::c_int = -37;

fn ssh_would_block(e: &ssh2::Error) -> bool {
    e.code() == ssh2::ErrorCode::Session(LIBSSH2_ERROR_EAGAIN)
}

impl Pump {
    /// Moves bytes both ways until one side ends.
    fn relay(&mut self) -> End {
        loop {
            let mut progress = false;
            // libssh2 answered EAGAIN: wait for what block_directions() says
            let mut ssh_blocked = false;

            // the stream → the channel
            if self.to_ssh.is_empty() && !self.local_eof {
                let local = &mut self.local;
                match self.to_ssh.fill(|b| local.read(b)) {
                    Ok(0) => {
                        self.local_eof = true;
                        progress = true;
                    }
                    Ok(_) => progress = true,
                    Err(e) if would_block(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return End::LocalGone,
                }
            }
            if !self.to_ssh.is_empty() {
                match self.channel.write(self.to_ssh.pending()) {
                    Ok(n) => {
                        self.to_ssh.consume(n);
                        progress |= n > 0;
                    }
                    Err(e) if would_block(&e) => ssh_blocked = true,
                    Err(e) => return End::Failed(format!("writing to the channel failed: {e}")),
                }
            }
            if self.local_eof && self.to_ssh.is_empty() && !self.eof_sent {
                match self.channel.send_eof() {
                    Ok(()) => {
                        self.eof_sent = true;
                        progress = true;
                    }
                    Err(e) if ssh_would_block(&e) => ssh_blocked = true,
                    Err(e) => {
                        return End::Failed(format!("sending EOF failed: {}", e.message()));
                    }
                }
            }

            progress |= self.drain_stderr();

            // the channel → the stream
            if self.to_local.is_empty() && !self.remote_eof {
                let channel = &mut self.channel;
                match self.to_local.fill(|b| channel.read(b)) {
                    Ok(0) => {
                        // EOF is channel-wide: stderr left unread keeps eof() false
                        self.drain_stderr();
                        if self.channel.eof() {
                            self.remote_eof = true;
                            progress = true;
                        }
                    }
                    Ok(_) => {
                        self.got_data = true;
                        progress = true;
                    }
                    Err(e) if would_block(&e) => ssh_blocked = true,
                    Err(e) => return End::Failed(format!("reading from the channel failed: {e}")),
                }
            }
            if !self.to_local.is_empty() {
                match send_no_signal(&self.local, self.to_local.pending()) {
                    Ok(n) => {
                        self.to_local.consume(n);
                        progress |= n > 0;
                    }
                    Err(e) if would_block(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                    // EPIPE, ECONNRESET: the stream was dropped
                    Err(_) => return End::LocalGone,
                }
            }

            if self.remote_eof && self.to_local.is_empty() {
                return End::Remote;
            }
            if progress {
                continue;
            }
            if let Some(end) = self.wait(ssh_blocked) {
                return end;
            }
        }
    }

    /// Sleeps in `poll` until something can move; `Some` when the stream is gone or `poll`
    /// failed.
    fn wait(&self, ssh_blocked: bool) -> Option<End> {
        let dirs = if ssh_blocked {
            self.session.block_directions()
        } else {
            BlockDirections::None
        };
        let mut tcp_events = 0;
        if (self.to_local.is_empty() && !self.remote_eof)
            || matches!(dirs, BlockDirections::Inbound | BlockDirections::Both)
        {
            tcp_events |= libc::POLLIN;
        }
        if matches!(dirs, BlockDirections::Outbound | BlockDirections::Both) {
            tcp_events |= libc::POLLOUT;
        }
        let mut local_events = 0;
        if self.to_ssh.is_empty() && !self.local_eof {
            local_events |= libc::POLLIN;
        }
        if !self.to_local.is_empty() {
            local_events |= libc::POLLOUT;
        }
        let mut fds = [
            libc::pollfd {
                // a negative descriptor is skipped: no POLLHUP spinning while we wait for
                // the stream alone
                fd: if tcp_events == 0 { -1 } else { self.tcp_fd },
                events: tcp_events,
                revents: 0,
            },
            // always watched: POLLHUP tells that the stream was dropped
            libc::pollfd {
                fd: self.local.as_raw_fd(),
                events: local_events,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd for the duration of the call.
        let rc =
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, POLL_TIMEOUT_MS) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Some(End::Failed(format!("poll failed: {e}")));
            }
        }
        if fds[1].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            return Some(End::LocalGone);
        }
        None
    }

    /// Reads what the remote command wrote to stderr (so that it never blocks on it); keeps
    /// the tail. True if anything came.
    fn drain_stderr(&mut self) -> bool {
        let mut stderr = self.channel.stderr();
        let mut chunk = [0u8; 1024];
        let mut got = false;
        loop {
            match stderr.read(&mut chunk) {
                Ok(0) | Err(_) => return got,
                Ok(n) => {
                    got = true;
                    self.stderr_tail.extend_from_slice(&chunk[..n]);
                    if self.stderr_tail.len() > STDERR_KEEP {
                        let cut = self.stderr_tail.len() - STDERR_KEEP;
                        self.stderr_tail.drain(..cut);
                    }
                }
            }
        }
    }

    /// What the remote command wrote to stderr (the tail), if anything.
    fn stderr_text(&self) -> Option<String> {
        let said = String::from_utf8_lossy(&self.stderr_tail);
        let said = said.trim();
        (!said.is_empty()).then(|| said.to_owned())
    }

    /// After the remote command's EOF: waits (briefly) for its exit status. Returns the
    /// failure to report, if the command failed (non-zero exit status, or it ended before
    /// sending a byte).
    fn remote_verdict(&mut self, peer: &str) -> Option<(io::ErrorKind, String)> {
        self.blocking_with_timeout();
        // the exit status comes with the remote side's CLOSE
        let status = match self.channel.wait_close() {
            Ok(()) => self.channel.exit_status().ok(),
            Err(e) => {
                tracing::debug!(error = %e, "no exit status from the remote command");
                None
            }
        };
        self.drain_stderr();
        let failed = status.is_some_and(|s| s != 0) || !self.got_data;
        if !failed {
            return None;
        }
        let mut message = format!("the remote command on {peer} ended the connection");
        if let Some(status) = status {
            message.push_str(&format!(" (exit status: {status})"));
        }
        match self.stderr_text() {
            Some(said) => {
                message.push_str(": ");
                message.push_str(&said);
            }
            None => message.push_str(" without an error message"),
        }
        Some((io::ErrorKind::UnexpectedEof, message))
    }

    /// Closes the channel and the session, each step bounded by [`CLOSE_TIMEOUT`].
    fn close(&mut self) {
        self.blocking_with_timeout();
        if !self.eof_sent && self.channel.send_eof().is_ok() {
            self.eof_sent = true;
        }
        if let Err(e) = self.channel.close() {
            tracing::debug!(error = %e, "closing the ssh channel");
        }
        if let Err(e) = self
            .session
            .disconnect(None, "virtwire: connection closed", None)
        {
            tracing::debug!(error = %e, "disconnecting the ssh session");
        }
    }

    fn blocking_with_timeout(&self) {
        self.session.set_timeout(CLOSE_TIMEOUT.as_millis() as u32);
        self.session.set_blocking(true);
    }
}
