//! Checking the server's certificate, or (`no_verify=1`) only logging what is wrong with it.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};

use crate::error::{Error, ErrorKind, Result};

/// The verifier for the server's certificate: the CA's chain, the host name or address
/// against the certificate's names (DNS and IP SANs), validity dates and, when a CRL is
/// given, revocation (a certificate the CRL does not cover passes, as with GnuTLS).
pub(crate) fn server_verifier(
    roots: Arc<RootCertStore>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    provider: Arc<CryptoProvider>,
    no_verify: bool,
) -> Result<Arc<dyn ServerCertVerifier>> {
    let mut builder = WebPkiServerVerifier::builder_with_provider(roots, provider);
    if !crls.is_empty() {
        builder = builder.with_crls(crls).allow_unknown_revocation_status();
    }
    let webpki = builder.build().map_err(|e| {
        Error::new(ErrorKind::Config, "cannot use the CA certificate or CRL").with_source(e)
    })?;
    if no_verify {
        Ok(Arc::new(IgnoreFailures { inner: webpki }))
    } else {
        Ok(webpki)
    }
}

/// `no_verify=1`, libvirt's meaning: the server's certificate is checked, a failure is
/// logged and then ignored. The handshake's signatures are still verified (they prove the
/// server holds the key of the certificate it sent, whatever that certificate is worth).
#[derive(Debug)]
struct IgnoreFailures {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for IgnoreFailures {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Err(e) = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            tracing::warn!(
                error = %e,
                server = ?server_name,
                "the server's certificate failed verification; going on because no_verify is set"
            );
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
