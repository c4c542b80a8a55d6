//! The tls transport: TCP (port 16514 by default), a TLS handshake with rustls (aws-lc-rs
//! provider: TLS 1.2 and 1.3, post-quantum X25519MLKEM768 key exchange preferred) using libvirt's certificate files, then the server's one-byte
//! verdict on us: after the handshake libvirtd checks our certificate and address and sends
//! `0x01` when it accepts the client, or closes the connection.
//!
//! Before connecting, unless `no_sanity=1`, our own certificate is checked against the CA
//! (chain, dates, client-auth purpose) and against the key, so a wrong file fails here with
//! a clear message rather than as a refusal from the server.

mod pki;
mod priority;
mod verify;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_rustls::TlsConnector;

use super::{BoxStream, tcp};
use crate::config::Config;
use crate::config::Transport;
use crate::config::host::{self, HostEnv};
use crate::error::{Error, ErrorKind, Result};

/// The byte libvirtd sends once it accepts the client.
const ACCEPTED: u8 = 1;

pub(super) async fn connect(config: &Config) -> Result<BoxStream> {
    let (tls_config, cacert) = client_config(config, &HostEnv::current())?;
    let host = config.uri().host_or_localhost();
    let port = config.uri().port().unwrap_or(16514);
    let server_name = ServerName::try_from(host.to_owned()).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("{host:?} is not a valid host name"),
        )
        .with_source(e)
    })?;
    let tcp = tcp::connect_socket(host, port).await?;
    let peer = tcp::display_addr(host, port);
    let mut stream = TlsConnector::from(Arc::new(tls_config))
        .connect(server_name, tcp)
        .await
        .map_err(|e| handshake_error(&peer, &cacert, e))?;
    confirm(&mut stream, &peer).await?;
    Ok(Box::new(stream))
}

/// rustls's aws-lc-rs provider, whose first key exchange is the post-quantum hybrid
/// X25519MLKEM768 (classic groups follow for servers without it, such as GnuTLS before 3.8.9).
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The rustls configuration for `config`'s certificate files and settings, and the CA
/// file it trusts.
pub(crate) fn client_config(
    config: &Config,
    host_env: &HostEnv,
) -> Result<(ClientConfig, PathBuf)> {
    debug_assert_eq!(config.transport(), Transport::Tls);
    let provider = crypto_provider();
    let files = pki::locate(config.pkipath(), host_env, &host::exists)?;
    tracing::debug!(?files, "TLS files");
    let roots = Arc::new(root_store(&files.cacert)?);
    let crls = match &files.cacrl {
        Some(path) => pki::load_crls(path)?,
        None => Vec::new(),
    };
    let identity = match &files.identity {
        Some((cert, key)) => {
            let chain = pki::load_certs(cert, "client certificate")?;
            if !config.no_sanity() {
                sanity_check(&roots, &provider, &chain, cert, &files.cacert)?;
            }
            Some((chain, pki::load_key(key)?))
        }
        None => None,
    };
    let verifier = verify::server_verifier(roots, crls, provider.clone(), config.no_verify())?;
    let versions = priority::versions(config.tls_priority())?.protocol_versions();
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| Error::config("unusable TLS versions").with_source(e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let tls_config = match identity {
        None => builder.with_no_client_auth(),
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            Error::config("cannot use the client certificate with its key").with_source(e)
        })?,
    };
    Ok((tls_config, files.cacert))
}

fn root_store(cacert: &Path) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in pki::load_certs(cacert, "CA certificate")? {
        roots.add(cert).map_err(|e| {
            Error::config(format!(
                "cannot use the CA certificate {}",
                cacert.display()
            ))
            .with_source(e)
        })?;
    }
    Ok(roots)
}

/// Our certificate must be one the CA vouches for as a TLS client (libvirt's sanity check).
fn sanity_check(
    roots: &Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
    chain: &[CertificateDer<'static>],
    cert_path: &Path,
    ca_path: &Path,
) -> Result<()> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
        .build()
        .map_err(|e| Error::config("cannot use the CA certificate").with_source(e))?;
    let (end_entity, intermediates) = chain.split_first().expect("load_certs returns one or more");
    verifier
        .verify_client_cert(end_entity, intermediates, UnixTime::now())
        .map_err(|e| {
            Error::config(format!(
                "the client certificate {} fails the checks against the CA {}: {e} \
                 (no_sanity=1 skips this check)",
                cert_path.display(),
                ca_path.display()
            ))
        })?;
    Ok(())
}

/// Reads the server's verdict on us.
async fn confirm<S: AsyncRead + Unpin>(stream: &mut S, peer: &str) -> Result<()> {
    let mut byte = [0u8; 1];
    let detail = match stream.read(&mut byte).await {
        Ok(1) if byte[0] == ACCEPTED => return Ok(()),
        Ok(1) => format!("it answered {:#04x} instead of 0x01", byte[0]),
        Ok(_) => "it closed the connection".to_owned(),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(refused(peer, "it closed the connection").with_source(e));
        }
        Err(e) => return Err(refused(peer, "reading its answer failed").with_source(e)),
    };
    Err(refused(peer, &detail))
}

fn refused(peer: &str, detail: &str) -> Error {
    Error::new(
        ErrorKind::Auth,
        format!(
            "the server {peer} refused the client certificate or address after the TLS \
             handshake ({detail})"
        ),
    )
}

/// A failed handshake: certificate problems and alerts are [`ErrorKind::Auth`].
fn handshake_error(peer: &str, cacert: &Path, e: io::Error) -> Error {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match tls {
        Some(rustls::Error::InvalidCertificate(reason)) => {
            let hint = match reason {
                CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                    format!(" (not issued by the CA in {})", cacert.display())
                }
                _ => String::new(),
            };
            Error::new(
                ErrorKind::Auth,
                format!("the certificate of {peer} failed verification: {reason}{hint}"),
            )
            .with_source(e)
        }
        Some(rustls::Error::AlertReceived(alert)) => Error::new(
            ErrorKind::Auth,
            format!("{peer} refused the TLS handshake (alert: {alert:?})"),
        )
        .with_source(e),
        _ => Error::io(format!("TLS handshake with {peer} failed"), e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn post_quantum_key_exchange_comes_first() {
        let provider = super::crypto_provider();
        let groups: Vec<_> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            groups.first(),
            Some(&rustls::NamedGroup::X25519MLKEM768),
            "{groups:?}"
        );
        assert!(groups.contains(&rustls::NamedGroup::X25519), "{groups:?}");
    }

    use super::*;

    #[tokio::test]
    async fn confirmation_byte() {
        let ok: &[u8] = &[1];
        confirm(&mut &ok[..], "h:1").await.unwrap();
        for (bytes, want) in [
            (&[0u8][..], "answered 0x00"),
            (&[][..], "closed the connection"),
        ] {
            let e = confirm(&mut &bytes[..], "h:1").await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Auth);
            assert!(e.to_string().contains(want), "{e}");
            assert!(
                e.to_string().contains("refused the client certificate"),
                "{e}"
            );
        }
    }

    #[test]
    fn missing_ca_is_a_config_error() {
        let c: Config = "test+tls://localhost/default?pkipath=/nonexistent/virtwire"
            .parse()
            .unwrap();
        let e = client_config(&c, &HostEnv::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("cacert.pem does not exist"), "{e}");
    }
}
