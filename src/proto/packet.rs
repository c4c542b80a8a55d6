//! The packet header and its vocabulary.

pub use super::generated::virnet::{
    MessageHeader as Header, MessageStatus as Status, MessageType as Type,
};

impl Header {
    /// A CALL header for `procedure` of `program`/`version` with `serial`.
    #[inline]
    pub fn call(program: u32, version: u32, procedure: i32, serial: u32) -> Self {
        Header {
            prog: program,
            vers: version,
            proc: procedure,
            r#type: Type::Call,
            serial,
            status: Status::Ok,
        }
    }
}
