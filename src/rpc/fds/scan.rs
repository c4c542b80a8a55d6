//! Where frames begin and end in a byte stream as it passes, without buffering it: enough of
//! each frame's start to know its length, type, serial and descriptor count, then a count of
//! the bytes left. The unix socket uses it to place descriptors right after the frames that
//! carry them.

use crate::proto::frame::{FrameError, LEN_WORD, check_len_word};

/// Offsets in a frame (length word included) of the header fields the scanner reads.
const TYPE_AT: usize = 16;
const SERIAL_AT: usize = 20;
const NFDS_AT: usize = 28;
/// How much of a frame's start the scanner keeps: up to the descriptor count of a
/// `*_WITH_FDS` packet, which follows the 24-byte header.
const HEAD: usize = NFDS_AT + 4;

/// A frame of the type the scanner looks for, as it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FrameEnd {
    /// The packet's serial.
    pub serial: u32,
    /// The descriptor count after the header; `None` when the frame is too short to hold one.
    pub nfds: Option<u32>,
}

/// The position in the byte stream: inside which frame, how far.
#[derive(Debug, Clone, Default)]
pub(super) struct Scanner {
    head: [u8; HEAD],
    /// Bytes of the current frame passed so far.
    seen: usize,
    /// The current frame's length, once its length word has passed (0 before).
    len: usize,
}

impl Scanner {
    /// Passes over `bytes` up to and including the end of the first frame of packet type
    /// `wanted`. Returns how many bytes were passed (all of them, unless such a frame ended
    /// before) and that frame, if one ended.
    pub fn advance(
        &mut self,
        bytes: &[u8],
        wanted: u32,
    ) -> Result<(usize, Option<FrameEnd>), FrameError> {
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            let take = if self.seen < LEN_WORD {
                self.keep(rest, LEN_WORD)
            } else if self.seen < HEAD.min(self.len) {
                self.keep(rest, HEAD.min(self.len))
            } else {
                let n = (self.len - self.seen).min(rest.len());
                self.seen += n;
                n
            };
            at += take;
            if self.seen == LEN_WORD && self.len == 0 {
                self.len = check_len_word(self.word(0))?;
            }
            if self.len != 0 && self.seen == self.len {
                let (kind, end) = self.end();
                *self = Scanner::default();
                if kind == wanted {
                    return Ok((at, Some(end)));
                }
            }
        }
        Ok((at, None))
    }

    /// True at a frame boundary.
    #[cfg(test)]
    pub fn between_frames(&self) -> bool {
        self.seen == 0
    }

    /// Copies the start of `rest` into the head, up to `upto` bytes of the frame.
    fn keep(&mut self, rest: &[u8], upto: usize) -> usize {
        let n = (upto - self.seen).min(rest.len());
        self.head[self.seen..self.seen + n].copy_from_slice(&rest[..n]);
        self.seen += n;
        n
    }

    fn word(&self, at: usize) -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&self.head[at..at + 4]);
        u32::from_be_bytes(w)
    }

    /// The type of the frame that just ended, and what a caller needs of it.
    fn end(&self) -> (u32, FrameEnd) {
        let end = FrameEnd {
            serial: self.word(SERIAL_AT),
            nfds: (self.len >= HEAD).then(|| self.word(NFDS_AT)),
        };
        (self.word(TYPE_AT), end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::frame::encode_packet;
    use crate::proto::packet::{Header, Type};
    use crate::proto::xdr::PreEncoded;
    use bytes::BytesMut;

    const WITH_FDS: u32 = 5;

    fn frame(out: &mut BytesMut, ty: Type, serial: u32, payload: &[u32]) {
        let mut h = Header::call(0x2000_8086, 1, 343, serial);
        h.r#type = ty;
        let body: Vec<u8> = payload.iter().flat_map(|w| w.to_be_bytes()).collect();
        encode_packet(out, &h, &PreEncoded(&body)).unwrap();
    }

    /// Every split of a stream of three frames finds the one wanted, at its end.
    #[test]
    fn finds_the_wanted_frame_at_its_end_however_the_bytes_are_split() {
        let mut wire = BytesMut::new();
        frame(&mut wire, Type::Reply, 1, &[7, 8]);
        let first = wire.len();
        frame(&mut wire, Type::ReplyWithFds, 2, &[1, 9]);
        let second = wire.len();
        frame(&mut wire, Type::Message, 0, &[]);
        for chunk in 1..wire.len() {
            let mut s = Scanner::default();
            let mut found = Vec::new();
            let mut pos = 0;
            for piece in wire.chunks(chunk) {
                let mut off = 0;
                while off < piece.len() {
                    let (n, end) = s.advance(&piece[off..], WITH_FDS).unwrap();
                    off += n;
                    if let Some(e) = end {
                        found.push((pos + off, e));
                    }
                }
                pos += piece.len();
            }
            assert!(s.between_frames());
            let expect = FrameEnd {
                serial: 2,
                nfds: Some(1),
            };
            assert_eq!(found, vec![(second, expect)], "chunk {chunk}");
            assert!(first < second);
        }
    }

    #[test]
    fn a_short_frame_has_no_descriptor_count() {
        let mut wire = BytesMut::new();
        frame(&mut wire, Type::ReplyWithFds, 3, &[]);
        let (n, end) = Scanner::default().advance(&wire, WITH_FDS).unwrap();
        assert_eq!(n, 28);
        assert_eq!(
            end,
            Some(FrameEnd {
                serial: 3,
                nfds: None
            })
        );
    }

    #[test]
    fn a_bad_length_word_is_an_error() {
        assert!(Scanner::default().advance(&[0, 0, 0, 5], 5).is_err());
        assert!(
            Scanner::default()
                .advance(&u32::MAX.to_be_bytes(), 5)
                .is_err()
        );
    }
}
