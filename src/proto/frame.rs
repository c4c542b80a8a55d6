//! Framing: a packet is a big-endian `u32` length that counts itself, the 24-byte header, then
//! the payload. The length is checked against the protocol's limits before a single byte is
//! reserved for the packet.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::generated::virnet;
use super::packet::Header;
use super::xdr::{DecodeError, Encode, decode_exact};

/// Bytes in the length word.
pub const LEN_WORD: usize = virnet::MESSAGE_LEN_MAX as usize;
/// Bytes in the header.
pub const HEADER_LEN: usize = virnet::MESSAGE_HEADER_MAX as usize;
/// The shortest valid frame: length word and header, empty payload.
pub const MIN_FRAME_LEN: usize = LEN_WORD + HEADER_LEN;
/// The longest valid frame: the protocol's packet limit plus the length word.
pub const MAX_FRAME_LEN: usize = virnet::MESSAGE_MAX as usize + LEN_WORD;
/// The largest payload a packet may carry.
pub const MAX_PAYLOAD_LEN: usize = MAX_FRAME_LEN - MIN_FRAME_LEN;

/// A frame that breaks the protocol's framing rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The length word is below the 28 bytes of length word and header.
    #[error("frame length {0} is shorter than the minimum of {MIN_FRAME_LEN}")]
    TooShort(u32),
    /// The length word is above the protocol's packet limit.
    #[error("frame length {0} exceeds the maximum of {MAX_FRAME_LEN}")]
    TooLong(u32),
    /// An outgoing payload would exceed the packet limit.
    #[error("payload of {0} bytes exceeds the maximum of {MAX_PAYLOAD_LEN}")]
    PayloadTooLarge(usize),
    /// The header did not decode.
    #[error("bad packet header: {0}")]
    Header(DecodeError),
}

/// Validates a frame's length word; returns the frame's total length (length word included).
#[inline]
pub fn check_len_word(word: u32) -> Result<usize, FrameError> {
    let len = word as usize;
    if len < MIN_FRAME_LEN {
        Err(FrameError::TooShort(word))
    } else if len > MAX_FRAME_LEN {
        Err(FrameError::TooLong(word))
    } else {
        Ok(len)
    }
}

/// The total length of the frame at the front of `buf`, once its length word has arrived.
#[inline]
pub fn peek_frame_len(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    match buf.first_chunk::<LEN_WORD>() {
        None => Ok(None),
        Some(word) => check_len_word(u32::from_be_bytes(*word)).map(Some),
    }
}

/// Splits one complete frame off the front of `buf`, without its length word; `Ok(None)` when
/// the frame is still incomplete. When a frame is incomplete, `buf` is made to have room for
/// it (at most [`MAX_FRAME_LEN`], checked first).
pub fn next_frame(buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
    let Some(len) = peek_frame_len(buf)? else {
        return Ok(None);
    };
    if buf.len() < len {
        buf.reserve(len - buf.len());
        return Ok(None);
    }
    let mut frame = buf.split_to(len);
    frame.advance(LEN_WORD);
    Ok(Some(frame.freeze()))
}

/// A received packet: the decoded header and the undecoded payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// The header.
    pub header: Header,
    /// The payload, still XDR-encoded (or raw bytes, for stream data).
    pub payload: Bytes,
}

impl Packet {
    /// Parses a frame body (what [`next_frame`] returns).
    pub fn parse(mut body: Bytes) -> Result<Self, FrameError> {
        if body.len() < HEADER_LEN {
            return Err(FrameError::TooShort((body.len() + LEN_WORD) as u32));
        }
        let header = decode_exact::<Header>(&body[..HEADER_LEN]).map_err(FrameError::Header)?;
        body.advance(HEADER_LEN);
        Ok(Packet {
            header,
            payload: body,
        })
    }
}

/// Appends a complete frame (length word, header, payload) to `out`.
///
/// On error nothing is appended.
pub fn encode_packet<P: Encode + ?Sized>(
    out: &mut BytesMut,
    header: &Header,
    payload: &P,
) -> Result<(), FrameError> {
    let payload_len = payload.encoded_len();
    if payload_len > MAX_PAYLOAD_LEN {
        return Err(FrameError::PayloadTooLarge(payload_len));
    }
    let total = MIN_FRAME_LEN + payload_len;
    out.reserve(total);
    out.put_u32(total as u32);
    header.encode(out);
    payload.encode(out);
    Ok(())
}

/// Appends a frame whose payload is raw bytes (stream data).
pub fn encode_raw_packet(
    out: &mut BytesMut,
    header: &Header,
    payload: &[u8],
) -> Result<(), FrameError> {
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(FrameError::PayloadTooLarge(payload.len()));
    }
    let total = MIN_FRAME_LEN + payload.len();
    out.reserve(total);
    out.put_u32(total as u32);
    header.encode(out);
    out.put_slice(payload);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::packet::{Status, Type};

    fn header() -> Header {
        Header {
            prog: 0x2000_8086,
            vers: 1,
            proc: 16,
            r#type: Type::Reply,
            serial: 9,
            status: Status::Ok,
        }
    }

    #[test]
    fn length_below_28_is_rejected() {
        for len in [0u32, 4, 27] {
            let mut buf = BytesMut::from(&len.to_be_bytes()[..]);
            assert_eq!(next_frame(&mut buf), Err(FrameError::TooShort(len)));
        }
    }

    #[test]
    fn length_above_the_limit_is_rejected_before_reserving() {
        let len = MAX_FRAME_LEN as u32 + 1;
        let mut buf = BytesMut::from(&len.to_be_bytes()[..]);
        let cap = buf.capacity();
        assert_eq!(next_frame(&mut buf), Err(FrameError::TooLong(len)));
        assert_eq!(
            buf.capacity(),
            cap,
            "nothing may be reserved for a rejected frame"
        );
        let mut buf = BytesMut::from(&u32::MAX.to_be_bytes()[..]);
        assert_eq!(next_frame(&mut buf), Err(FrameError::TooLong(u32::MAX)));
    }

    #[test]
    fn limits_themselves_are_accepted() {
        assert_eq!(check_len_word(28), Ok(28));
        assert_eq!(check_len_word(MAX_FRAME_LEN as u32), Ok(MAX_FRAME_LEN));
        assert_eq!(MAX_FRAME_LEN, 33_554_436);
    }

    #[test]
    fn frames_are_split_as_bytes_arrive() {
        let mut wire = BytesMut::new();
        encode_packet(&mut wire, &header(), &7u32).unwrap();
        encode_packet(&mut wire, &header(), &()).unwrap();
        assert_eq!(wire.len(), 32 + 28);
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for b in wire.iter() {
            buf.extend_from_slice(&[*b]);
            if let Some(f) = next_frame(&mut buf).unwrap() {
                frames.push(Packet::parse(f).unwrap());
            }
        }
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].header, header());
        assert_eq!(&frames[0].payload[..], [0, 0, 0, 7]);
        assert!(frames[1].payload.is_empty());
        assert!(buf.is_empty());
    }

    #[test]
    fn unknown_packet_types_and_statuses_are_kept() {
        let mut wire = BytesMut::new();
        let mut h = header();
        h.r#type = Type::from_i32(99);
        h.status = Status::from_i32(-3);
        encode_packet(&mut wire, &h, &()).unwrap();
        let p = Packet::parse(next_frame(&mut wire).unwrap().unwrap()).unwrap();
        assert!(matches!(p.header.r#type, Type::Unknown(v) if v.get() == 99));
        assert!(matches!(p.header.status, Status::Unknown(v) if v.get() == -3));
    }

    #[test]
    fn the_header_is_24_bytes_in_wire_order() {
        let mut wire = BytesMut::new();
        encode_packet(&mut wire, &header(), &()).unwrap();
        assert_eq!(
            &wire[..],
            [
                0, 0, 0, 28, // length, counting itself
                0x20, 0x00, 0x80, 0x86, // program
                0, 0, 0, 1, // version
                0, 0, 0, 16, // procedure
                0, 0, 0, 1, // type REPLY
                0, 0, 0, 9, // serial
                0, 0, 0, 0, // status OK
            ]
        );
    }
}
