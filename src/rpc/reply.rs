//! What every reply goes through, from the connection driver or from the sequential caller
//! used during authentication: its status (OK: the payload; ERROR: the daemon's structured
//! error), then decoding.

use std::fmt;

use crate::error::{Error, Result};
use crate::proto::frame::Packet;
use crate::proto::packet::{Header, Status};
use crate::proto::remote_error::RemoteError;
use crate::proto::xdr::{Decode, decode_exact};

/// The reply's packet when its status is OK; the daemon's error for ERROR; a protocol error
/// for anything else. `procedure` names the call in messages.
pub(crate) fn accept(packet: Packet, procedure: impl fmt::Display) -> Result<Packet> {
    match packet.header.status {
        Status::Ok => Ok(packet),
        Status::Error => Err(remote_failure(&packet.payload)),
        other => Err(Error::protocol(format!(
            "the reply to {procedure} has status {other:?}"
        ))),
    }
}

/// Checks that a reply, routed to its call by serial, also names the call's program, version
/// and procedure: a daemon that answers something else must not have its payload decoded as
/// the call's return type.
pub(crate) fn check_answers(
    reply: &Header,
    program: u32,
    version: u32,
    procedure: i32,
    name: impl fmt::Display,
) -> Result<()> {
    if (reply.prog, reply.vers, reply.proc) == (program, version, procedure) {
        return Ok(());
    }
    Err(Error::protocol(format!(
        "the reply to {name} (program {program:#x} version {version} procedure {procedure}) \
         names program {:#x} version {} procedure {}",
        reply.prog, reply.vers, reply.proc
    )))
}

/// Decodes the whole payload of a reply to `procedure` as `T`.
pub(crate) fn decode<T: Decode>(payload: &[u8], procedure: impl fmt::Display) -> Result<T> {
    decode_exact::<T>(payload).map_err(|e| {
        Error::protocol(format!("cannot decode the reply to {procedure}")).with_source(e)
    })
}

/// Turns the payload of an ERROR reply into an error.
pub(crate) fn remote_failure(payload: &[u8]) -> Error {
    match RemoteError::decode(payload) {
        Ok(e) => Error::remote_error(e),
        Err(e) => Error::protocol("cannot decode the daemon's error").with_source(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::proto::packet::{Header, Type};

    fn packet(status: Status, payload: &'static [u8]) -> Packet {
        let mut header = Header::call(1, 1, 7, 1);
        header.r#type = Type::Reply;
        header.status = status;
        Packet {
            header,
            payload: bytes::Bytes::from_static(payload),
        }
    }

    #[test]
    fn statuses() {
        assert!(accept(packet(Status::Ok, b""), "P").is_ok());
        let e = accept(packet(Status::Continue, b""), "P").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(e.to_string().contains("P"), "{e}");
        // an ERROR reply whose payload is not a remote_error
        let e = accept(packet(Status::Error, b"\0"), "P").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn a_reply_must_name_its_call() {
        let h = packet(Status::Ok, b"").header;
        assert!(check_answers(&h, 1, 1, 7, "P").is_ok());
        for (prog, vers, proc) in [(2, 1, 7), (1, 2, 7), (1, 1, 8)] {
            let e = check_answers(&h, prog, vers, proc, "P").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Protocol);
            assert!(e.to_string().contains("the reply to P"), "{e}");
        }
    }

    #[test]
    fn decoding_needs_the_whole_payload() {
        assert_eq!(decode::<u32>(&[0, 0, 0, 5], "P").unwrap(), 5);
        let e = decode::<u32>(&[0, 0, 0, 5, 0], "P").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }
}
