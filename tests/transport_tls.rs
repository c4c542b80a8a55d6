//! The tls transport against the sandbox's libvirtd: its server certificate names
//! localhost, 127.0.0.1 and ::1, and it demands a client certificate from its CA.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Sandbox;
use virtwire::{Client, ErrorKind};

/// `test+tls://HOST:PORT/<fresh node file>?pkipath=PKI&EXTRA`.
fn tls_uri(host: &str, port: u16, pki: impl AsRef<Path>, extra: &str) -> String {
    let node = Sandbox::get().new_node_file("tls");
    let mut uri = format!(
        "test+tls://{host}:{port}{}?pkipath={}",
        node.display(),
        pki.as_ref().display()
    );
    if !extra.is_empty() {
        uri.push('&');
        uri.push_str(extra);
    }
    uri
}

/// A fresh pkipath folder under the sandbox with `files` copied from the sandbox's PKI.
fn pki_copy(name: &str, files: &[&str]) -> PathBuf {
    let sb = Sandbox::get();
    let dir = Path::new(sb.dir())
        .join("transport-tls")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in files {
        std::fs::copy(Path::new(sb.pki()).join(f), dir.join(f)).unwrap();
    }
    dir
}

/// Writes `dir/cacrl.pem`, signed by the sandbox CA, revoking the server's certificate or
/// nothing.
fn write_crl(dir: &Path, revoke_server: bool) {
    let pki = Path::new(Sandbox::get().pki());
    let template = dir.join("crl.info");
    std::fs::write(&template, "crl_next_update = 365\ncrl_number = 1\n").unwrap();
    let mut cmd = Command::new("certtool");
    cmd.arg("--generate-crl")
        .arg("--load-ca-privkey")
        .arg(pki.join("cakey.pem"))
        .arg("--load-ca-certificate")
        .arg(pki.join("cacert.pem"))
        .arg("--template")
        .arg(&template)
        .arg("--outfile")
        .arg(dir.join("cacrl.pem"));
    if revoke_server {
        cmd.arg("--load-certificate")
            .arg(pki.join("servercert.pem"));
    }
    let out = cmd.output().expect("certtool (gnutls-bin) runs");
    assert!(out.status.success(), "certtool: {out:?}");
}

/// Forwards connections from 127.0.0.2 (a name the server's certificate lacks) to the
/// sandbox's TLS port; returns the port on 127.0.0.2.
async fn forwarder_on_127_0_0_2(target: u16) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) =
                    tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn tls_good_certificate_by_dns_name() {
    let sb = Sandbox::get();
    let client = Client::connect(&tls_uri("localhost", sb.tls_port(), sb.pki(), ""))
        .await
        .unwrap();
    assert!(!client.hostname().await.unwrap().is_empty());
    common::assert_test_node(&client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn tls_good_certificate_by_ip_address_san() {
    let sb = Sandbox::get();
    let client = Client::connect(&tls_uri("127.0.0.1", sb.tls_port(), sb.pki(), ""))
        .await
        .unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn tls_wrong_ca_is_refused() {
    let sb = Sandbox::get();
    let err = Client::connect(&tls_uri("localhost", sb.tls_port(), sb.pki_wrongca(), ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(err.to_string().contains("failed verification"), "{err}");
}

#[tokio::test]
async fn tls_wrong_host_name_is_refused() {
    let sb = Sandbox::get();
    let port = forwarder_on_127_0_0_2(sb.tls_port()).await;
    let err = Client::connect(&tls_uri("127.0.0.2", port, sb.pki(), ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(err.to_string().contains("127.0.0.2"), "{err}");
}

#[tokio::test]
async fn tls_no_verify_accepts_a_wrong_host_name() {
    let sb = Sandbox::get();
    let port = forwarder_on_127_0_0_2(sb.tls_port()).await;
    let client = Client::connect(&tls_uri("127.0.0.2", port, sb.pki(), "no_verify=1"))
        .await
        .unwrap();
    common::assert_test_node(&client).await;
}

/// With no_verify we accept the server, but the server does not accept a client
/// certificate from a CA it does not know: the one-byte confirmation never comes.
#[tokio::test]
async fn tls_server_refusing_our_certificate_is_an_auth_error() {
    let sb = Sandbox::get();
    let err = Client::connect(&tls_uri(
        "localhost",
        sb.tls_port(),
        sb.pki_wrongca(),
        "no_verify=1",
    ))
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(
        err.to_string().contains("refused the client certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn tls_without_client_certificate_is_refused_by_the_server() {
    let sb = Sandbox::get();
    let pki = pki_copy("no-client-cert", &["cacert.pem"]);
    let err = Client::connect(&tls_uri("localhost", sb.tls_port(), &pki, ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
}

#[tokio::test]
async fn tls_crl_revoking_the_server_certificate_is_refused() {
    let sb = Sandbox::get();
    let files = ["cacert.pem", "clientcert.pem", "clientkey.pem"];
    let revoked = pki_copy("crl-revoked", &files);
    write_crl(&revoked, true);
    let err = Client::connect(&tls_uri("localhost", sb.tls_port(), &revoked, ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(err.to_string().contains("Revoked"), "{err}");

    let clean = pki_copy("crl-clean", &files);
    write_crl(&clean, false);
    let client = Client::connect(&tls_uri("localhost", sb.tls_port(), &clean, ""))
        .await
        .unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn tls_missing_ca_file_is_a_config_error() {
    let sb = Sandbox::get();
    let pki = pki_copy("no-ca", &["clientcert.pem", "clientkey.pem"]);
    let err = Client::connect(&tls_uri("localhost", sb.tls_port(), &pki, ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(
        err.to_string().contains("cacert.pem does not exist"),
        "{err}"
    );
}

/// A TLS server on 127.0.0.1 with the sandbox's server certificate that speaks only the
/// given TLS versions and asks for no client certificate. For each connection it sends
/// `Ok(version)` once the handshake is done (then libvirt's confirmation byte and nothing
/// more), or `Err(message)` when the handshake fails. Returns its port.
async fn tls_server(
    versions: &'static [&'static rustls::SupportedProtocolVersion],
) -> (
    u16,
    tokio::sync::mpsc::UnboundedReceiver<Result<rustls::ProtocolVersion, String>>,
) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::AsyncWriteExt;
    let pki = Path::new(Sandbox::get().pki());
    let certs = CertificateDer::pem_file_iter(pki.join("servercert.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(pki.join("serverkey.pem")).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            match acceptor.accept(tcp).await {
                Ok(mut tls) => {
                    let version = tls.get_ref().1.protocol_version().unwrap();
                    let _ = tx.send(Ok(version));
                    let _ = tls.write_all(&[1]).await;
                    let _ = tls.flush().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        }
    });
    (port, rx)
}

const NO_TLS13: &str = "tls_priority=NORMAL:-VERS-TLS1.3";

/// The version a server offering TLS 1.2 and 1.3 agrees on with the client holding `extra`.
async fn negotiated_version(extra: &str) -> rustls::ProtocolVersion {
    let (port, mut seen) = tls_server(rustls::ALL_VERSIONS).await;
    let sb = Sandbox::get();
    // the server is no libvirtd: the connection fails after the handshake, as it must
    let _ = Client::connect(&tls_uri("localhost", port, sb.pki(), extra)).await;
    seen.recv().await.unwrap().expect("the handshake succeeds")
}

#[tokio::test]
async fn tls_priority_can_hold_the_client_to_tls12() {
    assert_eq!(
        negotiated_version(NO_TLS13).await,
        rustls::ProtocolVersion::TLSv1_2
    );
    // and without it, the client takes TLS 1.3
    assert_eq!(
        negotiated_version("").await,
        rustls::ProtocolVersion::TLSv1_3
    );
}

/// A client held to TLS 1.2 cannot reach a server that speaks only TLS 1.3.
#[tokio::test]
async fn tls_priority_without_tls13_cannot_reach_a_tls13_only_server() {
    static TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
    let (port, mut seen) = tls_server(TLS13_ONLY).await;
    let sb = Sandbox::get();
    let err = Client::connect(&tls_uri("localhost", port, sb.pki(), NO_TLS13))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let server = seen.recv().await.unwrap();
    assert!(server.is_err(), "the handshake succeeded: {server:?}");
}

/// The real daemon accepts a client held to TLS 1.2.
#[tokio::test]
async fn tls_priority_without_tls13_reaches_the_daemon() {
    let sb = Sandbox::get();
    let uri = tls_uri("localhost", sb.tls_port(), sb.pki(), NO_TLS13);
    let client = Client::connect(&uri).await.unwrap();
    common::assert_test_node(&client).await;
}
