//! Transports: every way of reaching libvirtd ends as a byte stream (`AsyncRead +
//! AsyncWrite`) handed to the connection driver.
//!
//! | transport | URI | link |
//! |---|---|---|
//! | unix | `qemu:///system`, `test+unix:///default?socket=/path` | local socket ([`default_socket_path`](crate::config::default_socket_path)) |
//! | tcp | `qemu+tcp://host[:16509]/system` | plain TCP |
//! | tls | `qemu://host/system`, `qemu+tls://host[:16514]/system` | TLS with libvirt's certificate files |
//! | ssh | `qemu+ssh://user@host[:22]/system` | the system `ssh` running `virt-ssh-helper` or `nc` remotely |
//! | ext | `qemu+ext:///system?command=/path/to/program` | a program's stdin/stdout |
//! | libssh2, libssh | `qemu+libssh2://user@host[:22]/system?keyfile=…&known_hosts=…` | ssh inside the process, running the same remote command as ssh (cargo feature `libssh2`) |
//!
//! Without the cargo feature `libssh2`, the `libssh2` and `libssh` transports fail with
//! [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported). Authentication (SASL, polkit)
//! happens afterwards, over the stream, in the API layer.
//!
//! Which URI to open, when the application gives none or an alias, is decided by
//! [`resolve`](crate::config::resolve) / [`Config::resolve`] from `LIBVIRT_DEFAULT_URI` and
//! `libvirt.conf` ([`ClientConf`](crate::config::ClientConf)).

mod ext;
// --- in-process ssh (cargo feature "libssh2") ---
#[cfg(feature = "libssh2")]
mod libssh2;
// ---
mod process;
mod ssh;
mod tcp;
mod tls;
mod unix;

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::rpc::fds::FdChannel;

use crate::config::{Config, Transport};
use crate::error::Result;

/// A connected byte stream to a daemon.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// A transport's stream, type-erased.
pub type BoxStream = Box<dyn Stream>;

/// Opens the transport `config` describes.
pub async fn open(config: &Config) -> Result<BoxStream> {
    Ok(open_with_fds(config).await?.0)
}

/// Opens the transport `config` describes, with the channel through which a unix socket
/// passes file descriptors (not yet active: see [`FdChannel::activate`]).
pub(crate) async fn open_with_fds(config: &Config) -> Result<(BoxStream, Option<Arc<FdChannel>>)> {
    tracing::debug!(uri = %config.uri(), transport = %config.transport(), "opening the transport");
    let stream = match config.transport() {
        Transport::Unix => {
            let (stream, channel) = unix::connect_with_fds(config).await?;
            return Ok((stream, Some(channel)));
        }
        Transport::Tcp => tcp::connect(config).await,
        Transport::Tls => tls::connect(config).await,
        Transport::Ssh => ssh::connect(config).await,
        Transport::Ext => ext::connect(config).await,
        // --- in-process ssh (cargo feature "libssh2") ---
        #[cfg(feature = "libssh2")]
        Transport::Libssh2 | Transport::Libssh => libssh2::connect(config).await,
        #[cfg(not(feature = "libssh2"))]
        other @ (Transport::Libssh2 | Transport::Libssh) => Err(crate::Error::new(
            crate::ErrorKind::Unsupported,
            format!(
                "the {other} transport is not supported by this build (it needs the cargo \
                 feature \"libssh2\")"
            ),
        )),
        // ---
    }?;
    Ok((stream, None))
}
