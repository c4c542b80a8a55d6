//! virtwire's one error type.

use std::fmt;

use crate::proto::remote_error::RemoteError;

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
    /// The peer stopped answering (keepalive) or an operation timed out.
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
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    remote: Option<RemoteError>,
    close_reason: Option<CloseReason>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
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
        self.inner.source = Some(source.into());
        self
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

    /// The daemon's error, when the daemon reported one.
    pub fn remote(&self) -> Option<&RemoteError> {
        self.inner.remote.as_ref()
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.remote {
            Some(r) => fmt::Display::fmt(r, f),
            None => f.write_str(&self.inner.message),
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
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
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
