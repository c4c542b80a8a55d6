//! What the generator knows about each procedure, available at run time.

use std::fmt::Debug;

use super::xdr::{Decode, Encode};

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

/// Static facts about one procedure, from the protocol definition. Tools that handle every
/// procedure alike with its types (conformance tests, capture checkers, fuzzers) walk a
/// program with its `visit_procedures` and a [`ProcedureVisitor`].
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
    /// The arguments (`()` when void), or the message of an event.
    type Args: Payload;
    /// The reply (`()` when void, and for events).
    type Ret: Payload;
}

/// What every procedure's arguments and reply are: encodable, decodable, with a default (zero
/// numbers, empty strings and arrays, null pointers: a well-formed payload), and with the
/// feature `arbitrary`, random values within the IDL bounds.
#[cfg(not(feature = "arbitrary"))]
pub trait Payload: Encode + Decode + Default + Debug {}

#[cfg(not(feature = "arbitrary"))]
impl<T: Encode + Decode + Default + Debug> Payload for T {}

/// What every procedure's arguments and reply are: encodable, decodable, with a default (zero
/// numbers, empty strings and arrays, null pointers: a well-formed payload), and with the
/// feature `arbitrary`, random values within the IDL bounds.
#[cfg(feature = "arbitrary")]
pub trait Payload: Encode + Decode + Default + Debug + for<'a> arbitrary::Arbitrary<'a> {}

#[cfg(feature = "arbitrary")]
impl<T: Encode + Decode + Default + Debug + for<'a> arbitrary::Arbitrary<'a>> Payload for T {}

/// Code run once per procedure of a program, with its types: pass it to the program's
/// `visit_procedures` (e.g. [`crate::proto::remote::visit_procedures`]), which calls
/// [`ProcedureVisitor::visit`] for every procedure in number order.
///
/// ```
/// use virtwire::proto::{Procedure, ProcedureVisitor, remote};
///
/// /// Counts the procedures whose arguments encode to nothing by default.
/// struct EmptyByDefault(usize);
///
/// impl ProcedureVisitor for EmptyByDefault {
///     fn visit<P: Procedure>(&mut self) {
///         let args = virtwire::proto::xdr::encode_to_vec(&P::Args::default());
///         self.0 += usize::from(args.is_empty());
///     }
/// }
///
/// let mut v = EmptyByDefault(0);
/// remote::visit_procedures(&mut v);
/// assert!(v.0 > 0);
/// ```
pub trait ProcedureVisitor {
    /// Called for procedure `P`; its facts are `P::INFO`.
    fn visit<P: Procedure>(&mut self);
}
