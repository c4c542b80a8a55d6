//! Local unix sockets.

use std::path::PathBuf;

use super::{BoxStream, Uri};
use crate::error::{Error, Result};

/// Where libvirt's client looks for the daemon's socket when the URI has no `socket=`:
/// `/run/libvirt/libvirt-sock` (or `-ro`) for system URIs, and
/// `$XDG_RUNTIME_DIR/libvirt/libvirt-sock` for `…:///session`.
pub fn default_socket_path(uri: &Uri, read_only: bool) -> PathBuf {
    let name = if read_only {
        "libvirt-sock-ro"
    } else {
        "libvirt-sock"
    };
    if uri.path() == "/session" {
        let runtime = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir());
        return runtime.join("libvirt").join("libvirt-sock");
    }
    PathBuf::from("/run/libvirt").join(name)
}

pub(super) async fn connect(uri: &Uri, read_only: bool) -> Result<BoxStream> {
    let path = match uri.param("socket") {
        Some(p) => PathBuf::from(p),
        None => default_socket_path(uri, read_only),
    };
    let stream = tokio::net::UnixStream::connect(&path).await.map_err(|e| {
        Error::io(
            format!("cannot connect to the socket {}", path.display()),
            e,
        )
    })?;
    Ok(Box::new(stream))
}
