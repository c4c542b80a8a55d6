//! Authentication, run on the transport before the connection driver starts: AUTH_LIST, then
//! the method both sides accept.

mod wire;

use crate::error::{Error, ErrorKind, Result};
use crate::proto::remote::{self, AuthType};
use crate::transport::{BoxStream, Uri};

use wire::SequentialRpc;

/// Asks the daemon which authentication it requires and performs it. Returns the stream to
/// run the connection on (wrapped, when a method negotiated a security layer).
pub(crate) async fn authenticate(mut stream: BoxStream, uri: &Uri) -> Result<BoxStream> {
    let mut rpc = SequentialRpc::new(&mut *stream);
    let offered = rpc.call::<remote::procs::AuthList>(&()).await?.types;
    let method = choose(&offered, uri)?;
    match method {
        AuthType::None => {}
        other => return Err(unsupported(other)),
    }
    if rpc.leftover() != 0 {
        return Err(Error::protocol(
            "the daemon sent unexpected data during authentication",
        ));
    }
    Ok(stream)
}

/// Picks the method: "none" when the daemon offers it (or offers nothing); otherwise the first
/// offered method, restricted by the URI's `auth=` parameter when given.
fn choose(offered: &[AuthType], uri: &Uri) -> Result<AuthType> {
    if offered.is_empty() || offered.contains(&AuthType::None) {
        return Ok(AuthType::None);
    }
    let wanted = uri.param("auth").map(|a| a.split('.').next().unwrap_or(a));
    let pick = offered.iter().copied().find(|t| match wanted {
        None => true,
        Some(w) => method_name(*t).eq_ignore_ascii_case(w),
    });
    pick.ok_or_else(|| {
        Error::new(
            ErrorKind::Auth,
            format!(
                "the daemon offers authentication by {}, not by {}",
                names(offered),
                wanted.unwrap_or("any")
            ),
        )
    })
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
            "the daemon requires {} authentication, which this build does not offer yet",
            method_name(method)
        ),
    )
}
