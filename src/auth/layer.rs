//! The stream the connection runs on once SASL negotiated a security layer: every write is
//! encoded into packets of `u32 big-endian length ‖ encoded bytes` (libvirt writes the output
//! of `sasl_encode`, which is exactly that), every packet read is decoded, as libvirt's
//! `virNetSocketWriteSASL` / `virNetSocketReadSASL` do. The driver runs over it unchanged.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A negotiated SASL security layer (integrity and/or confidentiality of each packet).
pub(crate) trait SecurityLayer: Send {
    /// The most plaintext one packet may carry (the peer's buffer less the overhead).
    fn max_plain(&self) -> usize;
    /// The largest packet body (after the length word) accepted from the peer.
    fn max_record(&self) -> usize;
    /// Appends the packet carrying `msg` (length word included) to `out`.
    fn encode(&mut self, msg: &[u8], out: &mut Vec<u8>);
    /// Decodes one packet `body` (without its length word; may be overwritten) onto `out`.
    fn decode(&mut self, body: &mut [u8], out: &mut Vec<u8>) -> io::Result<()>;
}

/// `inner` wrapped in a security layer.
///
/// Writes: each `poll_write` encodes at most [`SecurityLayer::max_plain`] bytes into one
/// packet and reports them written once encoded; the packet goes out before the next one is
/// accepted. Because the connection driver never calls `poll_flush`, a packet the transport
/// could not take at once is pushed on by the next `poll_write`, `poll_flush` or `poll_read`
/// (the driver polls reads continuously), whose waker the transport then holds.
///
/// Reads: whole packets are gathered (at most [`SecurityLayer::max_record`] bytes each, so the
/// buffers stay bounded) and decoded; a packet that fails to decode is an `InvalidData` error.
pub(crate) struct SaslStream<S> {
    inner: S,
    layer: Box<dyn SecurityLayer>,
    /// Encoded bytes not yet written, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    /// Written to `inner` since its last flush.
    unflushed: bool,
    /// Raw bytes read, not yet decoded.
    raw: BytesMut,
    /// Decoded bytes not yet returned, from `plain_pos`.
    plain: Vec<u8>,
    plain_pos: usize,
    eof: bool,
}

impl<S> SaslStream<S> {
    pub(crate) fn new(inner: S, layer: Box<dyn SecurityLayer>) -> Self {
        SaslStream {
            inner,
            layer,
            out: Vec::new(),
            out_pos: 0,
            unflushed: false,
            raw: BytesMut::new(),
            plain: Vec::new(),
            plain_pos: 0,
            eof: false,
        }
    }
}

impl<S: AsyncWrite + Unpin> SaslStream<S> {
    /// Writes the pending packet out. `Ready(Ok)` once nothing is pending.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
            self.unflushed = true;
        }
        self.out.clear();
        self.out_pos = 0;
        Poll::Ready(Ok(()))
    }

    /// Pushes pending output as far as the transport takes it now, without waiting.
    fn push_pending(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Poll::Ready(r) = self.poll_drain(cx) {
            r?;
            if self.unflushed {
                if let Poll::Ready(r) = Pin::new(&mut self.inner).poll_flush(cx) {
                    r?;
                    self.unflushed = false;
                }
            }
        }
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for SaslStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.push_pending(cx)?;
        loop {
            if this.plain_pos < this.plain.len() {
                let n = buf.remaining().min(this.plain.len() - this.plain_pos);
                buf.put_slice(&this.plain[this.plain_pos..this.plain_pos + n]);
                this.plain_pos += n;
                if this.plain_pos == this.plain.len() {
                    this.plain.clear();
                    this.plain_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            let needed = if this.raw.len() >= 4 {
                let len = u32::from_be_bytes([this.raw[0], this.raw[1], this.raw[2], this.raw[3]])
                    as usize;
                if len > this.layer.max_record() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "SASL security layer: the daemon sent a packet of {len} bytes, more \
                             than the {} agreed",
                            this.layer.max_record()
                        ),
                    )));
                }
                if this.raw.len() >= 4 + len {
                    this.raw.advance(4);
                    let mut body = this.raw.split_to(len);
                    this.layer.decode(&mut body, &mut this.plain)?;
                    continue;
                }
                4 + len - this.raw.len()
            } else {
                4 - this.raw.len()
            };
            if this.eof {
                return if this.raw.is_empty() {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "SASL security layer: the connection ended inside a packet",
                    )))
                };
            }
            this.raw.reserve(needed.max(4096));
            let n = ready!(tokio_util::io::poll_read_buf(
                Pin::new(&mut this.inner),
                cx,
                &mut this.raw
            ))?;
            if n == 0 {
                this.eof = true;
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SaslStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(this.layer.max_plain());
        this.layer.encode(&buf[..n], &mut this.out);
        this.push_pending(cx)?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
        this.unflushed = false;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A toy layer: each byte XOR 0x5a, packets of at most 7 plaintext bytes.
    struct Xor {
        max_record: usize,
    }

    impl SecurityLayer for Xor {
        fn max_plain(&self) -> usize {
            7
        }
        fn max_record(&self) -> usize {
            self.max_record
        }
        fn encode(&mut self, msg: &[u8], out: &mut Vec<u8>) {
            out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
            out.extend(msg.iter().map(|b| b ^ 0x5a));
        }
        fn decode(&mut self, body: &mut [u8], out: &mut Vec<u8>) -> io::Result<()> {
            if body.first() == Some(&0xff) {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "bad"));
            }
            out.extend(body.iter().map(|b| b ^ 0x5a));
            Ok(())
        }
    }

    fn xor() -> Box<dyn SecurityLayer> {
        Box::new(Xor { max_record: 64 })
    }

    #[tokio::test]
    async fn writes_are_packetised_and_reads_decoded() {
        // a tiny duplex buffer forces partial writes and reads
        let (a, mut b) = tokio::io::duplex(5);
        let mut s = SaslStream::new(a, xor());
        let msg: Vec<u8> = (0..100u8).collect();
        let expected: Vec<u8> = msg
            .chunks(7)
            .flat_map(|c| {
                let mut p = (c.len() as u32).to_be_bytes().to_vec();
                p.extend(c.iter().map(|x| x ^ 0x5a));
                p
            })
            .collect();
        let writer = async {
            s.write_all(&msg).await.unwrap();
            s.flush().await.unwrap();
            s
        };
        let reader = async {
            let mut got = vec![0u8; expected.len()];
            b.read_exact(&mut got).await.unwrap();
            got
        };
        let (mut s, got) = tokio::join!(writer, reader);
        assert_eq!(got, expected);

        // the other way: packets split anywhere decode to the byte stream
        let feeder = async {
            b.write_all(&expected).await.unwrap();
            drop(b);
        };
        let reader = async {
            let mut back = Vec::new();
            s.read_to_end(&mut back).await.unwrap();
            back
        };
        let ((), back) = tokio::join!(feeder, reader);
        assert_eq!(back, msg);
    }

    #[tokio::test]
    async fn oversized_truncated_and_bad_packets_are_errors() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut s = SaslStream::new(a, xor());
        b.write_all(&1000u32.to_be_bytes()).await.unwrap();
        let e = s.read(&mut [0u8; 16]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);

        let (a, mut b) = tokio::io::duplex(1024);
        let mut s = SaslStream::new(a, xor());
        b.write_all(&[0, 0, 0, 9, 1, 2]).await.unwrap();
        drop(b);
        let e = s.read(&mut [0u8; 16]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);

        let (a, mut b) = tokio::io::duplex(1024);
        let mut s = SaslStream::new(a, xor());
        b.write_all(&[0, 0, 0, 1, 0xff]).await.unwrap();
        let e = s.read(&mut [0u8; 16]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    /// The driver never flushes: a packet the transport could not take must still go out,
    /// pushed by the reads the driver keeps polling.
    #[tokio::test]
    async fn pending_packets_go_out_while_reading() {
        let (a, mut b) = tokio::io::duplex(3);
        let mut s = SaslStream::new(a, xor());
        // 4 + 7 bytes encoded, the pipe takes 3: the rest stays pending
        let n = futures_poll_write(&mut s, b"abcdefg").await;
        assert_eq!(n, 7);
        let reader = async {
            let mut got = vec![0u8; 11];
            b.read_exact(&mut got).await.unwrap();
            b.write_all(&[0, 0, 0, 1, b'z' ^ 0x5a]).await.unwrap();
            got
        };
        let mut reply = [0u8; 1];
        let (got, r) = tokio::join!(reader, s.read_exact(&mut reply));
        r.unwrap();
        assert_eq!(&got[..4], &[0, 0, 0, 7]);
        assert_eq!(reply, [b'z']);
    }

    async fn futures_poll_write<S: AsyncWrite + Unpin>(s: &mut S, data: &[u8]) -> usize {
        std::future::poll_fn(|cx| Pin::new(&mut *s).poll_write(cx, data))
            .await
            .unwrap()
    }
}
