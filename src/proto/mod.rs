//! The protocol layer: XDR runtime, generated protocol types, packet framing and the daemon's
//! error payload. Pure data in, data out: nothing here does I/O or knows about tokio, so it can
//! be fuzzed, benchmarked and reused with any transport.

pub mod frame;
pub(crate) mod generated;
pub mod packet;
mod procedure;
pub mod remote_error;
pub mod xdr;

/// Inside the crate also at `proto::c_flags`; the public path is [`crate::flags`].
#[allow(unused_imports)]
pub(crate) use generated::c_flags;
/// The round-trip and bound checks of every generated module (feature `arbitrary`).
#[cfg(feature = "arbitrary")]
pub use generated::{BoundCheck, CHECKS, ModuleChecks, RoundTripCheck};
pub use generated::{admin, c_constants, c_events, c_params, keepalive, lxc, qemu, remote, virnet};
pub use procedure::{
    FdPassing, Payload, Procedure, ProcedureInfo, ProcedureKind, ProcedureVisitor,
};
