//! Streams as `AsyncRead + AsyncWrite`: a guest's console, a screenshot, a volume's contents.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{Error, Result};
use crate::proto::Procedure;
use crate::rpc::{Chunk, RawStream, WhenFull};

/// A stream of data to and from the daemon: a console or channel (both ways), a screenshot or
/// volume download (from the daemon), a volume upload (to the daemon).
///
/// Reading gives the daemon's bytes, with the holes of a sparse download filled with zeros
/// (use [`next_chunk`](Self::next_chunk) to see them as holes); it returns 0 bytes once the
/// daemon has ended its side. Writing sends data in packets of at most
/// [`DATA_CHUNK_MAX`](crate::rpc::DATA_CHUNK_MAX) bytes, waiting while the connection's write
/// buffer is full; [`send_hole`](Self::send_hole) sends a hole. `shutdown()` (or
/// [`finish`](Self::finish)) ends this side and waits for the daemon's confirmation, which for
/// an upload means the daemon has written everything. `tokio::io::split` makes a reader and a
/// writer half.
///
/// The daemon's error, when the stream fails on its side, surfaces on the next read, write or
/// finish (as an [`io::Error`] whose inner error is a [`crate::Error`]). Dropping a stream
/// that has not ended aborts it on the daemon. When the reader falls more than
/// [`RECV_QUEUE_MAX`](crate::rpc::RECV_QUEUE_MAX) bytes behind the daemon, a console or
/// channel loses the stream (the next read fails) and a download or screenshot pauses the
/// connection's reading until it catches up ([`WhenFull`](crate::rpc::WhenFull)).
///
/// ```no_run
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use virtwire::flags::DomainConsoleFlags;
///
/// # async fn demo(client: virtwire::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let dom = client.lookup_domain_by_name("guest").await?;
/// let mut console = dom.open_console(None, DomainConsoleFlags::FORCE).await?;
/// console.write_all(b"uname -a\n").await?;
/// let mut buf = [0; 1024];
/// let n = console.read(&mut buf).await?;
/// print!("{}", String::from_utf8_lossy(&buf[..n]));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Stream {
    raw: RawStream,
    /// Data received but not read yet.
    current: Bytes,
    /// Zeros of a hole not read yet.
    zeros: u64,
}

impl Stream {
    pub(crate) fn new(raw: RawStream) -> Self {
        Stream {
            raw,
            current: Bytes::new(),
            zeros: 0,
        }
    }

    /// The next piece the daemon sent, as it came: data, or a hole in a sparse stream; `None`
    /// once the daemon ended its side. Do not mix with `AsyncRead` reads (what those have
    /// buffered comes first).
    pub async fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        if !self.current.is_empty() {
            return Ok(Some(Chunk::Data(std::mem::take(&mut self.current))));
        }
        if self.zeros > 0 {
            return Ok(Some(Chunk::Hole(std::mem::take(&mut self.zeros))));
        }
        self.raw.next_chunk().await
    }

    /// Sends all of `data`.
    pub async fn send(&mut self, data: &[u8]) -> Result<()> {
        self.raw.send(data).await
    }

    /// Sends a hole of `len` bytes: the daemon skips them (sparse uploads only: open the
    /// stream with the sparse flag).
    pub async fn send_hole(&mut self, len: u64) -> Result<()> {
        self.raw.send_hole(len).await
    }

    /// Ends this side of the stream and waits for the daemon's confirmation (for an upload:
    /// everything is written); the daemon's error if the stream failed on its side.
    pub async fn finish(&mut self) -> Result<()> {
        self.raw.finish().await
    }

    /// Aborts the stream and waits for the daemon's confirmation.
    pub async fn abort(&mut self) -> Result<()> {
        self.raw.abort().await
    }

    /// The underlying protocol stream.
    pub fn raw(&mut self) -> &mut RawStream {
        &mut self.raw
    }
}

impl crate::api::Client {
    /// Calls stream procedure `P` (whose reply is empty) and returns its stream.
    pub(crate) async fn stream_call<P: Procedure<Ret = ()>>(
        &self,
        args: &P::Args,
        when_full: WhenFull,
    ) -> Result<Stream> {
        let ((), raw) = self.raw().call_stream::<P>(args, when_full).await?;
        Ok(Stream::new(raw))
    }
}

fn io_error(e: Error) -> io::Error {
    io::Error::other(e)
}

/// The most zeros one read produces out of a hole.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if !this.current.is_empty() {
                let n = this.current.len().min(buf.remaining());
                buf.put_slice(&this.current[..n]);
                this.current.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.zeros > 0 {
                let n = (buf.remaining() as u64)
                    .min(this.zeros)
                    .min(ZEROS.len() as u64);
                buf.put_slice(&ZEROS[..n as usize]);
                this.zeros -= n;
                return Poll::Ready(Ok(()));
            }
            match ready!(this.raw.poll_chunk(cx)).map_err(io_error)? {
                Some(Chunk::Data(b)) => this.current = b,
                Some(Chunk::Hole(n)) => this.zeros = n,
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().raw.poll_send(cx, buf).map_err(io_error)
    }

    /// Data is handed to the connection as it is written: nothing to flush here.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Finishes the stream: see [`Stream::finish`].
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().raw.poll_finish(cx).map_err(io_error)
    }
}
