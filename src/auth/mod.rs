//! Authentication, run on the transport before the connection driver starts: AUTH_LIST, then
//! the method both sides accept, as libvirt's client does.
//!
//! - **none**: nothing to do.
//! - **sasl**: SCRAM-SHA-256, SCRAM-SHA-1, DIGEST-MD5 or PLAIN, picked from the daemon's list
//!   (restricted by `auth=sasl.MECH`). On an unencrypted link (tcp, ext) libvirtd demands a
//!   security layer of at least 56 bits: DIGEST-MD5 with confidentiality (rc4 / 3des), after
//!   which every byte of the connection travels encoded in that layer.
//! - **polkit**: AUTH_POLKIT; the daemon asks polkit whether the peer's uid may connect.
//!
//! Credentials come from libvirt's auth.conf ([`AuthConfig`]: `LIBVIRT_AUTH_FILE`,
//! `authfile=`, `~/.config/libvirt/auth.conf`, `/etc/libvirt/auth.conf`) first, then from the
//! application's [`AuthCallback`] (like libvirt's `virConnectAuth`); both live in
//! [`config`](crate::config).

mod layer;
mod sasl;

#[cfg(feature = "fuzzing")]
pub use sasl::fuzzing as sasl_fuzzing;

use std::sync::Arc;

use crate::config::{AuthCallback, AuthConfig, CredentialSource, Transport, Uri, default_path};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::remote::{self, AuthType};
use crate::rpc::SequentialRpc;
use crate::transport::BoxStream;

use layer::SaslStream;

/// Asks the daemon which authentication it requires and performs it, with credentials from
/// auth.conf, then from `callback`. Returns the stream to run the connection on (wrapped, when
/// a method negotiated a security layer), and whether it is so wrapped.
pub(crate) async fn authenticate(
    stream: BoxStream,
    uri: &Uri,
    callback: Option<Arc<dyn AuthCallback>>,
) -> Result<(BoxStream, bool)> {
    run(stream, uri, callback, |uri| {
        default_path(uri.param("authfile"))
            .map(AuthConfig::load)
            .transpose()
    })
    .await
}

/// The authentication, with the auth.conf to use given by `load_config` (read only when the
/// method needs credentials, as libvirt does).
async fn run(
    mut stream: BoxStream,
    uri: &Uri,
    callback: Option<Arc<dyn AuthCallback>>,
    load_config: impl FnOnce(&Uri) -> Result<Option<AuthConfig>>,
) -> Result<(BoxStream, bool)> {
    let mut rpc = SequentialRpc::new(&mut *stream);
    let offered = rpc.call::<remote::procs::AuthList>(&()).await?.types;
    let (method, mech) = choose(&offered, uri)?;
    let mut layer = None;
    match method {
        AuthType::None => {}
        AuthType::Sasl => {
            let host = uri.host_or_localhost();
            let config = load_config(uri)?;
            let credentials = CredentialSource {
                host: host.to_owned(),
                config,
                callback,
            };
            let params = sasl::SaslParams {
                wanted: mech,
                secure: is_secure(uri.transport()),
                host,
                uri_user: uri.user(),
                credentials: &credentials,
            };
            layer = sasl::authenticate(&mut rpc, &params).await?;
        }
        AuthType::Polkit => polkit(&mut rpc).await?,
        other @ AuthType::Unknown(_) => return Err(unsupported(other)),
    }
    if rpc.leftover() != 0 {
        return Err(Error::protocol(
            "the daemon sent unexpected data during authentication",
        ));
    }
    Ok(match layer {
        Some(layer) => (Box::new(SaslStream::new(stream, layer)), true),
        None => (stream, false),
    })
}

/// libvirt's `is_secure`: links that are private without SASL's help. Plain tcp is not, nor
/// is ext (libvirt cannot vouch for an external program).
fn is_secure(transport: Transport) -> bool {
    !matches!(transport, Transport::Tcp | Transport::Ext)
}

/// AUTH_POLKIT: the daemon checks the peer's credentials with polkit.
async fn polkit<S: crate::transport::Stream + ?Sized>(
    rpc: &mut SequentialRpc<'_, S>,
) -> Result<()> {
    let ret = rpc
        .call::<remote::procs::AuthPolkit>(&())
        .await
        .map_err(|e| {
            if e.is_remote() {
                Error::new(ErrorKind::Auth, "polkit authentication failed").with_source(e)
            } else {
                e
            }
        })?;
    if ret.complete == 0 {
        return Err(Error::new(
            ErrorKind::Auth,
            "polkit authentication did not complete (the daemon answered complete=0)",
        ));
    }
    Ok(())
}

/// Picks the method as libvirt's client does: none when the daemon offers nothing; with
/// `auth=` (`sasl`, `sasl.MECH`, `polkit`) that method, which the daemon must offer;
/// otherwise "none" when offered, else the daemon's first. Returns the SASL mechanism asked
/// for, if any.
fn choose<'u>(offered: &[AuthType], uri: &'u Uri) -> Result<(AuthType, Option<&'u str>)> {
    if offered.is_empty() {
        return Ok((AuthType::None, None));
    }
    let Some(param) = uri.param("auth") else {
        if offered.contains(&AuthType::None) {
            return Ok((AuthType::None, None));
        }
        return Ok((offered[0], None));
    };
    let (wanted, mech) = if param.eq_ignore_ascii_case("sasl") {
        (AuthType::Sasl, None)
    } else if param.len() > 5 && param[..5].eq_ignore_ascii_case("sasl.") {
        (AuthType::Sasl, Some(&param[5..]))
    } else if param.eq_ignore_ascii_case("polkit") {
        (AuthType::Polkit, None)
    } else {
        return Err(Error::new(
            ErrorKind::Auth,
            format!("unknown authentication type {param} (auth= takes sasl, sasl.MECH or polkit)"),
        ));
    };
    if !offered.contains(&wanted) {
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "requested authentication type {param} rejected: the daemon offers \
                 authentication by {}, not by {}",
                names(offered),
                method_name(wanted)
            ),
        ));
    }
    Ok((wanted, mech))
}

fn method_name(t: AuthType) -> String {
    match t {
        AuthType::None => "none".into(),
        AuthType::Sasl => "sasl".into(),
        AuthType::Polkit => "polkit".into(),
        AuthType::Unknown(n) => format!("method {n}"),
    }
}

fn names(offered: &[AuthType]) -> String {
    offered
        .iter()
        .map(|t| method_name(*t))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unsupported(method: AuthType) -> Error {
    Error::new(
        ErrorKind::Auth,
        format!(
            "the daemon requires {} authentication, which virtwire does not know",
            method_name(method)
        ),
    )
}

#[cfg(test)]
mod tests;
