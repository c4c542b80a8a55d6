//! The daemon's error, decoded from the payload of an ERROR reply into a structured value.

use std::fmt;

use super::generated::{c_constants, virnet};
use super::xdr::{DecodeError, decode_exact};

/// What went wrong (libvirt's `virErrorNumber`); values unknown to this build are kept.
pub type ErrorCode = c_constants::ErrorNumber;
/// The part of libvirt an error comes from (`virErrorDomain`); unknown values are kept.
pub type ErrorDomain = c_constants::ErrorDomain;
/// How serious an error is (`virErrorLevel`).
pub type ErrorLevel = c_constants::ErrorLevel;

/// An error reported by the daemon, field for field as libvirt's `virError`.
///
/// Match on [`code`](Self::code) and [`domain`](Self::domain), never on the message: messages
/// are translated and change between libvirt versions.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteError {
    /// What went wrong.
    pub code: ErrorCode,
    /// Where it went wrong.
    pub domain: ErrorDomain,
    /// The human-readable message, when the daemon sent one.
    pub message: Option<String>,
    /// How serious it is.
    pub level: ErrorLevel,
    /// The name of the domain (virtual machine) concerned, if any.
    pub dom_name: Option<String>,
    /// Extra information, meaning depends on `code`.
    pub str1: Option<String>,
    /// Extra information, meaning depends on `code`.
    pub str2: Option<String>,
    /// Extra information, meaning depends on `code`.
    pub str3: Option<String>,
    /// Extra information, meaning depends on `code`.
    pub int1: i32,
    /// Extra information, meaning depends on `code`.
    pub int2: i32,
    /// The name of the network concerned, if any.
    pub net_name: Option<String>,
}

impl RemoteError {
    /// Decodes the payload of an ERROR reply or stream packet.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        decode_exact::<virnet::MessageError>(payload).map(Self::from)
    }
}

fn opt_string(s: virnet::MessageString) -> Option<String> {
    s.map(|s| s.into_inner())
}

impl From<virnet::MessageError> for RemoteError {
    fn from(e: virnet::MessageError) -> Self {
        RemoteError {
            code: ErrorCode::from_i32(e.code),
            domain: ErrorDomain::from_i32(e.domain),
            message: opt_string(e.message),
            level: ErrorLevel::from_i32(e.level),
            dom_name: e.dom.map(|d| d.name.into_inner()),
            str1: opt_string(e.str1),
            str2: opt_string(e.str2),
            str3: opt_string(e.str3),
            int1: e.int1,
            int2: e.int2,
            net_name: e.net.map(|n| n.name.into_inner()),
        }
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => f.write_str(m)?,
            None => write!(f, "error {:?}", self.code)?,
        }
        write!(f, " (code {} from {:?})", self.code.to_i32(), self.domain)
    }
}

impl std::error::Error for RemoteError {}
