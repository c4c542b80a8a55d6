//! Local unix sockets.

use std::path::PathBuf;

use super::config::Config;
use super::host::HostEnv;
use super::sockets::{self, SocketRequest};
use super::{BoxStream, Uri};
use crate::error::{Error, Result};

/// Where libvirt's client looks for the daemon's socket when the URI has no `socket=`, for
/// the URI's `mode=` (default auto) and the current user: `/var/run/libvirt/libvirt-sock`
/// (`-ro` read-only) or a modular daemon's socket such as `virtqemud-sock` for system URIs,
/// `$XDG_RUNTIME_DIR/libvirt/…` for `…:///session` when not root. See
/// [`super::sockets`] for the full rules and [`Config::socket_path`], which also
/// applies `socket=` and settings from `libvirt.conf`.
pub fn default_socket_path(uri: &Uri, read_only: bool) -> PathBuf {
    let host = HostEnv::current();
    let mode = uri
        .param("mode")
        .and_then(|m| m.parse().ok())
        .unwrap_or_default();
    let mut req = SocketRequest::for_uri(uri, mode, read_only, &host);
    req.transport = super::Transport::Unix;
    sockets::socket_path(&req, &host, &super::host::exists).unwrap_or_else(|_| {
        // only direct mode without a driver can fail: fall back to libvirtd's socket
        req.mode = sockets::Mode::Legacy;
        sockets::socket_path(&req, &host, &super::host::exists).unwrap_or_default()
    })
}

pub(super) async fn connect(config: &Config) -> Result<BoxStream> {
    let path = config.socket_path()?;
    tracing::debug!(path = %path.display(), "connecting to the unix socket");
    let stream = tokio::net::UnixStream::connect(&path).await.map_err(|e| {
        Error::io(
            format!("cannot connect to the socket {}", path.display()),
            e,
        )
    })?;
    Ok(Box::new(stream))
}
