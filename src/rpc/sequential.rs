//! Calls made directly on a stream before the connection driver exists, one at a time.
//!
//! Authentication runs here, one call at a time, because a SASL security layer (when one is
//! negotiated) changes the framing of everything that follows: the stream is wrapped before
//! the driver ever sees it.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, Result};
use crate::proto::Procedure;
use crate::proto::frame::{self, Packet};
use crate::proto::packet::{Header, Type};
use tokio::io::{AsyncRead, AsyncWrite};

use super::reply;

/// A strictly sequential caller over a raw stream.
pub(crate) struct SequentialRpc<'a, S: ?Sized> {
    stream: &'a mut S,
    serial: u32,
    read_buf: BytesMut,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin + ?Sized> SequentialRpc<'a, S> {
    pub fn new(stream: &'a mut S) -> Self {
        SequentialRpc {
            stream,
            serial: 0,
            read_buf: BytesMut::with_capacity(4096),
        }
    }

    /// Calls `P` and waits for its reply. Packets other than the reply (there should be none
    /// before authentication) are a protocol error.
    pub async fn call<P: Procedure>(&mut self, args: &P::Args) -> Result<P::Ret> {
        let info = P::INFO;
        self.serial += 1;
        let header = Header::call(info.program, info.version, info.number, self.serial);
        let mut out = BytesMut::new();
        frame::encode_packet(&mut out, &header, args)
            .map_err(|e| Error::protocol("cannot encode an authentication call").with_source(e))?;
        self.stream
            .write_all(&out)
            .await
            .map_err(|e| Error::io("writing to the daemon failed", e))?;
        self.stream
            .flush()
            .await
            .map_err(|e| Error::io("writing to the daemon failed", e))?;
        let packet = self.read_packet().await?;
        let h = &packet.header;
        if h.r#type != Type::Reply || h.serial != self.serial {
            return Err(Error::protocol(format!(
                "expected the reply to {} (serial {}), got {:?} serial {}",
                info.name, self.serial, h.r#type, h.serial
            )));
        }
        reply::check_answers(h, info.program, info.version, info.number, info.name)?;
        let packet = reply::accept(packet, info.name)?;
        reply::decode(&packet.payload, info.name)
    }

    async fn read_packet(&mut self) -> Result<Packet> {
        loop {
            if let Some(body) = frame::next_frame(&mut self.read_buf)
                .map_err(|e| Error::protocol("the daemon sent an invalid frame").with_source(e))?
            {
                return Packet::parse(body).map_err(|e| {
                    Error::protocol("the daemon sent an invalid packet").with_source(e)
                });
            }
            let n = self
                .stream
                .read_buf(&mut self.read_buf)
                .await
                .map_err(|e| Error::io("reading from the daemon failed", e))?;
            if n == 0 {
                return Err(Error::closed(
                    crate::error::CloseReason::Eof,
                    "the daemon closed the connection during authentication",
                ));
            }
        }
    }

    /// Bytes read past the last reply. Authentication must end with none: the daemon sends
    /// nothing unasked before the client's next call.
    pub fn leftover(&self) -> usize {
        self.read_buf.len()
    }
}
