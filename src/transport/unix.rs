//! Local unix sockets.

use super::BoxStream;
use crate::config::Config;
use crate::error::{Error, Result};

pub(super) async fn connect(config: &Config) -> Result<BoxStream> {
    let path = config.socket_path()?;
    tracing::debug!(path = %path.display(), "connecting to the unix socket");
    let stream = tokio::net::UnixStream::connect(&path).await.map_err(|e| {
        Error::io(
            // libvirt's words, so that tools can report it as virsh does
            format!("Failed to connect socket to '{}'", path.display()),
            e,
        )
    })?;
    Ok(Box::new(stream))
}
