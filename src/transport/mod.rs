//! Transports: every way of reaching libvirtd ends as a byte stream (`AsyncRead + AsyncWrite`)
//! handed to the connection driver.

mod unix;
pub mod uri;

use tokio::io::{AsyncRead, AsyncWrite};

pub use unix::default_socket_path;
pub use uri::{Transport, Uri};

use crate::error::{Error, ErrorKind, Result};

/// A connected byte stream to a daemon.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// A transport's stream, type-erased.
pub type BoxStream = Box<dyn Stream>;

/// Opens the transport `uri` asks for. `read_only` selects the read-only socket where the
/// transport has one.
pub async fn connect(uri: &Uri, read_only: bool) -> Result<BoxStream> {
    match uri.transport() {
        Transport::Unix => unix::connect(uri, read_only).await,
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!("the {} transport is not supported yet", other.as_str()),
        )),
    }
}
