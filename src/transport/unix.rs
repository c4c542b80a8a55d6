//! Local unix sockets: the one transport that can pass file descriptors.

use std::sync::Arc;

use super::BoxStream;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::rpc::fds::{FdChannel, UnixFdStream};

/// The socket as a plain stream.
async fn connect(config: &Config) -> Result<tokio::net::UnixStream> {
    let path = config.socket_path()?;
    tracing::debug!(path = %path.display(), "connecting to the unix socket");
    tokio::net::UnixStream::connect(&path).await.map_err(|e| {
        Error::io(
            // libvirt's words, so that tools can report it as virsh does
            format!("Failed to connect socket to '{}'", path.display()),
            e,
        )
    })
}

/// The socket, able to pass descriptors once the channel is activated.
pub(super) async fn connect_with_fds(config: &Config) -> Result<(BoxStream, Arc<FdChannel>)> {
    let stream = connect(config).await?;
    let channel = Arc::new(FdChannel::default());
    let stream = UnixFdStream::new(stream, channel.clone())
        .map_err(|e| Error::io("cannot watch the unix socket", e))?;
    Ok((Box::new(stream), channel))
}
