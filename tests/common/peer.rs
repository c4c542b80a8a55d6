//! An in-process fake daemon for what a real one will not do on demand: the client's connection
//! driver on one end of an in-memory pipe, a [`Peer`] that reads and writes whole packets on the
//! other. Also the packet builders that fakes on other transports share (a unix socket pair
//! passing descriptors, for instance).
//!
//! Include it with `#[path = "common/peer.rs"] mod peer;`: it needs no sandbox.
#![allow(dead_code)]

use std::io::Read;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;
use virtwire::proto::frame::{self, Packet};
use virtwire::proto::packet::{Header, Status, Type};
use virtwire::proto::xdr::decode_exact;
use virtwire::rpc::{self, RawClient};

/// A program no daemon knows, served by the peer.
pub const PROG: u32 = 0x2000_8086;
/// The peer's echo procedure (version 1 of [`PROG`]): its argument and its answer are a `u32`.
pub const PROC_ECHO: i32 = 1000;

/// The daemon's end of an in-process connection: reads and writes whole packets.
pub struct Peer {
    /// The pipe itself, for bytes that are not a well-formed packet.
    pub io: DuplexStream,
    /// What was read from [`Peer::io`] and is not yet a whole packet.
    pub buf: BytesMut,
}

impl Peer {
    /// The next whole packet from the client, `None` once the client has closed its end.
    pub async fn read_packet(&mut self) -> Option<Packet> {
        loop {
            if let Some(body) = frame::next_frame(&mut self.buf).unwrap() {
                return Some(Packet::parse(body).unwrap());
            }
            if self.io.read_buf(&mut self.buf).await.unwrap() == 0 {
                return None;
            }
        }
    }

    /// Sends one packet.
    pub async fn send(&mut self, header: &Header, payload: &[u8]) {
        self.io.write_all(&encoded(header, payload)).await.unwrap();
    }

    /// Replies OK to `call` with `payload`.
    pub async fn reply(&mut self, call: &Header, payload: &[u8]) {
        self.send(&reply_header(call), payload).await;
    }

    /// Answers the next call with its own arguments.
    pub async fn echo_one(&mut self) {
        let p = self.read_packet().await.unwrap();
        self.reply(&p.header, &p.payload).await;
    }
}

/// A client whose driver runs on its own task, and the peer at the other end.
pub fn setup() -> (RawClient, Peer) {
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    let (client, conn) = rpc::connect_raw(client_io);
    tokio::spawn(conn);
    let peer = Peer {
        io: server_io,
        buf: BytesMut::new(),
    };
    (client, peer)
}

/// Calls the peer's echo procedure with `value`; its answer.
pub async fn echo(client: &RawClient, value: u32) -> virtwire::Result<u32> {
    let payload: Bytes = client.call_bytes(PROG, 1, PROC_ECHO, &value).await?;
    Ok(decode_exact::<u32>(&payload).unwrap())
}

/// [`echo`] on a task of its own, so that the test can play the peer meanwhile.
pub fn spawn_echo(client: &RawClient, value: u32) -> JoinHandle<virtwire::Result<u32>> {
    let c = client.clone();
    tokio::spawn(async move { echo(&c, value).await })
}

/// A whole frame: the length word, `header`, `payload`.
pub fn encoded(header: &Header, payload: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    frame::encode_raw_packet(&mut out, header, payload).unwrap();
    out
}

/// The header of a packet of `r#type` and `status` on `call`'s serial (a reply, stream data).
pub fn answer_header(call: &Header, r#type: Type, status: Status) -> Header {
    let mut h = call.clone();
    h.r#type = r#type;
    h.status = status;
    h
}

/// The header of an OK reply to `call`.
pub fn reply_header(call: &Header) -> Header {
    answer_header(call, Type::Reply, Status::Ok)
}

/// A `remote_error` with `code`, `domain`, `message` (or none) and level 2 (error), every
/// other member empty: the payload of an error reply.
pub fn remote_error_payload(code: i32, domain: i32, message: Option<&str>) -> Vec<u8> {
    let mut err = Vec::new();
    err.extend_from_slice(&code.to_be_bytes());
    err.extend_from_slice(&domain.to_be_bytes());
    match message {
        Some(m) => {
            err.extend_from_slice(&1u32.to_be_bytes());
            err.extend_from_slice(&(m.len() as u32).to_be_bytes());
            err.extend_from_slice(m.as_bytes());
            err.resize(err.len().next_multiple_of(4), 0);
        }
        None => err.extend_from_slice(&0u32.to_be_bytes()),
    }
    err.extend_from_slice(&2i32.to_be_bytes());
    err.extend_from_slice(&[0; 4 * 4]); // dom, str1, str2, str3 absent
    err.extend_from_slice(&[0; 8]); // int1, int2
    err.extend_from_slice(&[0; 4]); // net absent
    err
}

/// Reads one frame from a blocking reader as libvirt's daemon does: the length word, then
/// exactly the rest, nothing beyond it.
pub fn read_frame(from: &mut impl Read) -> Packet {
    let mut len = [0u8; 4];
    from.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
    from.read_exact(&mut body).unwrap();
    Packet::parse(body.into()).unwrap()
}
