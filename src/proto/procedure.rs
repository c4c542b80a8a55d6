//! What the generator knows about each procedure, available at run time.

use bytes::BytesMut;

use super::xdr::{Decode, DecodeError, Encode};

/// How a procedure is used on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcedureKind {
    /// The client calls, the server replies once.
    Call,
    /// The server sends it unsolicited (an event): MESSAGE packets with a `_msg` payload.
    Message,
    /// A call whose reply opens a stream of data from the server (`@readstream`).
    ReadStream,
    /// A call whose reply opens a stream of data to the server (`@writestream`).
    WriteStream,
}

/// Which packets of a procedure carry file descriptors (unix sockets only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FdPassing {
    /// None.
    None,
    /// The call is sent as CALL_WITH_FDS.
    Call,
    /// The reply comes as REPLY_WITH_FDS.
    Reply,
    /// Both.
    Both,
}

/// Static facts about one procedure, from the protocol definition, with type-erased helpers
/// for tools that handle every procedure alike (conformance tests, capture checkers, fuzzers).
#[derive(Debug, Clone, Copy)]
pub struct ProcedureInfo {
    /// Program number (e.g. 0x20008086 for REMOTE).
    pub program: u32,
    /// Program version.
    pub version: u32,
    /// Procedure number within the program.
    pub number: i32,
    /// Name without the program's `*_PROC_` prefix, e.g. `DOMAIN_GET_INFO`.
    pub name: &'static str,
    /// Rust type of the arguments (or of the message, for [`ProcedureKind::Message`]).
    pub args: Option<&'static str>,
    /// Rust type of the reply.
    pub ret: Option<&'static str>,
    /// How the procedure is used.
    pub kind: ProcedureKind,
    /// `@priority: high`: the daemon may run it while other calls of the client wait.
    pub priority_high: bool,
    /// The `@generate` annotation, when present.
    pub generate: Option<&'static str>,
    /// The `@sparseflag` annotation: the flag that makes a stream sparse.
    pub sparse_flag: Option<&'static str>,
    /// Whether file descriptors travel with the call or the reply.
    pub fds: FdPassing,
    /// Appends the encoding of the default (zero/empty) arguments: a well-formed payload.
    pub encode_default_args: fn(&mut BytesMut),
    /// Checks that a payload decodes exactly as the arguments (or the message).
    pub check_args: fn(&[u8]) -> Result<(), DecodeError>,
    /// Checks that a payload decodes exactly as the reply.
    pub check_ret: fn(&[u8]) -> Result<(), DecodeError>,
}

impl ProcedureInfo {
    /// True for procedures the client calls and the server answers once, with no stream and no
    /// file descriptors (not events).
    pub fn is_plain_call(&self) -> bool {
        self.kind == ProcedureKind::Call && self.fds == FdPassing::None
    }
}

/// A procedure as a type: ties its number to the Rust types of its arguments and reply.
///
/// Generated for every procedure as a zero-sized marker in `proto::<program>::procs`.
pub trait Procedure {
    /// The procedure's static facts.
    const INFO: &'static ProcedureInfo;
    /// The arguments (`()` when void).
    type Args: Encode;
    /// The reply (`()` when void).
    type Ret: Decode;
}
