//! virtwire's one error type.

use std::fmt;
use std::sync::Arc;

use crate::proto::remote_error::{ErrorCode, RemoteError};

/// Result with virtwire's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing the transport failed.
    Io,
    /// The peer broke the protocol: a bad frame, an undecodable payload, an unexpected packet.
    Protocol,
    /// The daemon answered with an error; see [`Error::remote`].
    Remote,
    /// The connection is closed (or closed while the call was pending).
    Closed,
    /// An argument was rejected before anything was sent (e.g. longer than the protocol allows).
    InvalidArgument,
    /// A connection URI or configuration is invalid.
    Config,
    /// Authentication failed or needs a method this build does not offer.
    Auth,
    /// The request needs something not supported (yet), such as a transport.
    Unsupported,
    /// An operation took longer than its configured time limit (connect or per-call
    /// timeout). A peer that stops answering keepalive probes closes the connection instead
    /// ([`ErrorKind::Closed`] with [`CloseReason::Keepalive`]).
    Timeout,
}

/// Why a connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed the transport.
    Eof,
    /// A transport or protocol error ended the connection.
    Error,
    /// The peer stopped answering keepalive probes.
    Keepalive,
    /// The client closed it.
    Client,
}

/// An error from virtwire: a kind, a message, and the error that caused it (`source()`).
///
/// `Display` shows this error's own message only, never its cause: walk
/// [`source()`](std::error::Error::source) for the chain, as with std and tokio-postgres
/// errors. For a daemon error the message is the daemon's ([`RemoteError`]'s `Display`).
///
/// A closed connection gives every pending and later call an [`ErrorKind::Closed`] error whose
/// `source()` is the error that ended the connection (shared, so each call keeps it).
///
/// ```
/// # fn demo(err: virtwire::Error) {
/// use virtwire::ErrorCode;
///
/// if err.is_not_found() {
///     // no such domain, network, …
/// } else if err.code() == Some(ErrorCode::OperationInvalid) {
///     // e.g. starting a running domain
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    remote: Option<RemoteError>,
    close_reason: Option<CloseReason>,
    source: Option<Source>,
}

/// What caused an error: any error, or (for a closed connection) the error that closed it,
/// shared by every call that failed because of it.
enum Source {
    Boxed(Box<dyn std::error::Error + Send + Sync + 'static>),
    Shared(Arc<Error>),
}

impl Error {
    #[cold]
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                remote: None,
                close_reason: None,
                source: None,
            }),
        }
    }

    #[cold]
    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.inner.source = Some(Source::Boxed(source.into()));
        self
    }

    /// The connection closed for `reason`; `cause`, when given, is the error that closed it
    /// and becomes `source()`.
    #[cold]
    pub(crate) fn closed_by(
        reason: CloseReason,
        message: impl Into<String>,
        cause: Option<Arc<Error>>,
    ) -> Self {
        let mut e = Self::closed(reason, message);
        e.inner.source = cause.map(Source::Shared);
        e
    }

    #[cold]
    pub(crate) fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }

    #[cold]
    pub(crate) fn io(context: impl Into<String>, err: std::io::Error) -> Self {
        Self::new(ErrorKind::Io, context).with_source(err)
    }

    #[cold]
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    #[cold]
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    #[cold]
    pub(crate) fn remote_error(err: RemoteError) -> Self {
        let mut e = Self::new(ErrorKind::Remote, "the daemon reported an error");
        e.inner.remote = Some(err);
        e
    }

    #[cold]
    pub(crate) fn closed(reason: CloseReason, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorKind::Closed, message);
        e.inner.close_reason = Some(reason);
        e
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The daemon's error, when the daemon reported one (like tokio-postgres's
    /// `as_db_error`).
    pub fn remote(&self) -> Option<&RemoteError> {
        self.inner.remote.as_ref()
    }

    /// The daemon's error code, when the daemon reported an error.
    pub fn code(&self) -> Option<ErrorCode> {
        self.remote().map(|r| r.code)
    }

    fn code_is(&self, codes: &[ErrorCode]) -> bool {
        self.code().is_some_and(|c| codes.contains(&c))
    }

    /// True when the daemon says the object asked for does not exist (no such domain,
    /// network, storage pool or volume, secret, interface, node device, nwfilter, snapshot,
    /// checkpoint, …).
    pub fn is_not_found(&self) -> bool {
        self.code_is(&[
            ErrorCode::NoDomain,
            ErrorCode::NoNetwork,
            ErrorCode::NoStoragePool,
            ErrorCode::NoStorageVol,
            ErrorCode::NoSecret,
            ErrorCode::NoInterface,
            ErrorCode::NoNodeDevice,
            ErrorCode::NoNwfilter,
            ErrorCode::NoNwfilterBinding,
            ErrorCode::NoDomainSnapshot,
            ErrorCode::NoDomainCheckpoint,
            ErrorCode::NoDomainBackup,
            ErrorCode::NoNetworkPort,
            ErrorCode::NoClient,
            ErrorCode::NoServer,
        ])
    }

    /// True when the daemon refused an operation that is not valid in the object's current
    /// state (`VIR_ERR_OPERATION_INVALID`, e.g. starting a running domain).
    pub fn is_operation_invalid(&self) -> bool {
        self.code_is(&[ErrorCode::OperationInvalid])
    }

    /// True when the daemon denied the operation: a read-only connection, or access control
    /// (`VIR_ERR_OPERATION_DENIED`, `VIR_ERR_ACCESS_DENIED`).
    pub fn is_operation_denied(&self) -> bool {
        self.code_is(&[ErrorCode::OperationDenied, ErrorCode::AccessDenied])
    }

    /// True when the operation is not supported: by the daemon's driver
    /// (`VIR_ERR_NO_SUPPORT`, `VIR_ERR_OPERATION_UNSUPPORTED`, `VIR_ERR_ARGUMENT_UNSUPPORTED`)
    /// or by this build of virtwire ([`ErrorKind::Unsupported`]).
    pub fn is_unsupported(&self) -> bool {
        self.inner.kind == ErrorKind::Unsupported
            || self.code_is(&[
                ErrorCode::NoSupport,
                ErrorCode::OperationUnsupported,
                ErrorCode::ArgumentUnsupported,
            ])
    }

    /// True when an argument was rejected: before sending ([`ErrorKind::InvalidArgument`]) or
    /// by the daemon (`VIR_ERR_INVALID_ARG`).
    pub fn is_invalid_argument(&self) -> bool {
        self.inner.kind == ErrorKind::InvalidArgument || self.code_is(&[ErrorCode::InvalidArg])
    }

    /// True when authentication failed ([`ErrorKind::Auth`]).
    pub fn is_auth(&self) -> bool {
        self.inner.kind == ErrorKind::Auth
    }

    /// True when a connect or call timeout fired ([`ErrorKind::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Why the connection closed, for [`ErrorKind::Closed`].
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.inner.close_reason
    }

    /// True when the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.inner.kind == ErrorKind::Closed
    }

    /// True when the daemon reported an error.
    pub fn is_remote(&self) -> bool {
        self.inner.kind == ErrorKind::Remote
    }
}

impl fmt::Display for Error {
    /// This error's own message, without its cause.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.remote {
            Some(r) => fmt::Display::fmt(r, f),
            None => f.write_str(&self.inner.message),
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Boxed(e) => fmt::Debug::fmt(e, f),
            Source::Shared(e) => fmt::Debug::fmt(e, f),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(r) = &self.inner.remote {
            d.field("remote", r);
        }
        if let Some(r) = &self.inner.close_reason {
            d.field("close_reason", r);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.inner.source.as_ref()? {
            Source::Boxed(e) => Some(&**e),
            Source::Shared(e) => Some(&**e),
        }
    }
}

impl From<crate::proto::xdr::BoundError> for Error {
    fn from(e: crate::proto::xdr::BoundError) -> Self {
        Error::new(
            ErrorKind::InvalidArgument,
            "argument too long for the protocol",
        )
        .with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorDomain, ErrorLevel};

    fn daemon(code: ErrorCode) -> Error {
        Error::remote_error(RemoteError {
            code,
            domain: ErrorDomain::Domain,
            message: Some("the daemon's words".into()),
            level: ErrorLevel::Error,
            dom_name: None,
            str1: None,
            str2: None,
            str3: None,
            int1: 0,
            int2: 0,
            net_name: None,
        })
    }

    #[test]
    fn display_is_the_own_message_and_the_cause_is_the_source() {
        let io = std::io::Error::other("the io words");
        let e = Error::io("reading failed", io);
        assert_eq!(e.to_string(), "reading failed");
        let source = std::error::Error::source(&e).unwrap();
        assert_eq!(source.to_string(), "the io words");
    }

    #[test]
    fn a_closed_error_shares_its_cause_with_every_copy() {
        let cause = Arc::new(Error::protocol("bad frame"));
        let a = Error::closed_by(CloseReason::Error, "closed", Some(cause.clone()));
        let b = Error::closed_by(CloseReason::Error, "closed", Some(cause));
        for e in [&a, &b] {
            assert!(e.is_closed());
            assert_eq!(e.to_string(), "closed");
            let source = std::error::Error::source(e).unwrap();
            let inner = source.downcast_ref::<Error>().unwrap();
            assert_eq!(inner.kind(), ErrorKind::Protocol);
            assert_eq!(inner.to_string(), "bad frame");
        }
        let plain = Error::closed_by(CloseReason::Eof, "eof", None);
        assert!(std::error::Error::source(&plain).is_none());
    }

    #[test]
    fn predicates_follow_the_daemons_code() {
        assert!(daemon(ErrorCode::NoDomain).is_not_found());
        assert!(daemon(ErrorCode::NoStorageVol).is_not_found());
        assert!(daemon(ErrorCode::OperationInvalid).is_operation_invalid());
        assert!(daemon(ErrorCode::AccessDenied).is_operation_denied());
        assert!(daemon(ErrorCode::NoSupport).is_unsupported());
        assert!(daemon(ErrorCode::InvalidArg).is_invalid_argument());
        let e = daemon(ErrorCode::InternalError);
        assert_eq!(e.code(), Some(ErrorCode::InternalError));
        assert!(e.is_remote());
        assert!(!(e.is_not_found() || e.is_operation_invalid() || e.is_unsupported()));
    }

    #[test]
    fn predicates_of_our_own_kinds() {
        assert!(Error::timeout("slow").is_timeout());
        assert!(Error::new(ErrorKind::Unsupported, "no").is_unsupported());
        assert!(Error::new(ErrorKind::InvalidArgument, "no").is_invalid_argument());
        assert!(Error::new(ErrorKind::Auth, "no").is_auth());
        assert_eq!(Error::timeout("slow").code(), None);
    }
}
