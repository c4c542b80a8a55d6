//! The tcp transport: plain TCP to libvirtd (port 16509 by default), no encryption. Every
//! address the host name resolves to is tried in turn, as libvirt does.

use tokio::net::TcpStream;

use super::BoxStream;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::rpc::socket::Socket;

pub(super) async fn connect(config: &Config) -> Result<BoxStream> {
    let uri = config.uri();
    let port = uri.port().unwrap_or(16509);
    Ok(Box::new(
        connect_socket(uri.host_or_localhost(), port).await?,
    ))
}

/// [`connect_tcp`], as a [`Socket`] watched for read readiness only until a write blocks.
pub(crate) async fn connect_socket(host: &str, port: u16) -> Result<Socket<std::net::TcpStream>> {
    let stream = connect_tcp(host, port).await?;
    let wrap = |s: TcpStream| Socket::new(s.into_std()?);
    wrap(stream).map_err(|e| Error::io(format!("cannot watch {}", display_addr(host, port)), e))
}

/// A TCP connection to `host:port`, with Nagle off (small calls and replies).
pub(crate) async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream> {
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| Error::io(format!("cannot connect to {}", display_addr(host, port)), e))?;
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
    Ok(stream)
}

/// `host:port`, with brackets around IPv6 addresses.
pub(crate) fn display_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn addresses_display_like_urls() {
        assert_eq!(display_addr("::1", 16509), "[::1]:16509");
        assert_eq!(display_addr("localhost", 1), "localhost:1");
    }

    #[tokio::test]
    async fn refused_connection_names_the_address() {
        // bind then drop: a port on which nothing listens
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = connect_tcp("127.0.0.1", port).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    }
}
