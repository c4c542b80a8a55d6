//! Arbitrary bytes as they would arrive from a daemon: split into frames and parse each packet.
//! Must never panic, and never reserve more than one frame's limit.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use virtwire::proto::frame::{MAX_FRAME_LEN, Packet, next_frame};

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    while let Ok(Some(body)) = next_frame(&mut buf) {
        let _ = Packet::parse(body);
    }
    assert!(buf.capacity() <= data.len().max(MAX_FRAME_LEN));
});
