//! `tls_priority`: libvirt passes a GnuTLS priority string (`NORMAL:-VERS-TLS1.3`). rustls
//! has no equivalent for most of it; what carries over is the choice of protocol versions
//! among those rustls offers (TLS 1.2 and 1.3). Cipher and group keywords are ignored.

use rustls::SupportedProtocolVersion;

use crate::error::{Error, ErrorKind, Result};

/// TLS 1.2 and 1.3 enabled by a priority string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Versions {
    pub tls12: bool,
    pub tls13: bool,
}

impl Versions {
    const ALL: Versions = Versions {
        tls12: true,
        tls13: true,
    };
    const NONE: Versions = Versions {
        tls12: false,
        tls13: false,
    };

    /// The versions for rustls, newest first.
    pub fn protocol_versions(self) -> Vec<&'static SupportedProtocolVersion> {
        let mut v = Vec::new();
        if self.tls13 {
            v.push(&rustls::version::TLS13);
        }
        if self.tls12 {
            v.push(&rustls::version::TLS12);
        }
        v
    }
}

/// The versions `priority` allows (both when `None`).
pub(crate) fn versions(priority: Option<&str>) -> Result<Versions> {
    let Some(priority) = priority else {
        return Ok(Versions::ALL);
    };
    let mut tokens = priority.split(':').map(str::trim);
    let mut v = match tokens.next().unwrap_or("") {
        kw if kw.eq_ignore_ascii_case("NONE") => Versions::NONE,
        _ => Versions::ALL,
    };
    for token in tokens {
        let (on, name) = match token.as_bytes().first() {
            Some(b'+') => (true, &token[1..]),
            Some(b'-') | Some(b'!') => (false, &token[1..]),
            _ => continue,
        };
        match name.to_ascii_uppercase().as_str() {
            "VERS-ALL" | "VERS-TLS-ALL" => {
                v.tls12 = on;
                v.tls13 = on;
            }
            "VERS-TLS1.2" => v.tls12 = on,
            "VERS-TLS1.3" => v.tls13 = on,
            _ => {}
        }
    }
    if v == Versions::NONE {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "tls_priority {priority:?} allows neither TLS 1.2 nor TLS 1.3, the versions \
                 this client supports"
            ),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_strings() {
        let both = Versions::ALL;
        let only12 = Versions {
            tls12: true,
            tls13: false,
        };
        let only13 = Versions {
            tls12: false,
            tls13: true,
        };
        for (s, want) in [
            (None, both),
            (Some("NORMAL"), both),
            (Some("NORMAL:-VERS-SSL3.0"), both),
            (Some("NORMAL:-VERS-TLS1.3"), only12),
            (Some("SECURE256:-VERS-ALL:+VERS-TLS1.3"), only13),
            (Some("NONE:+VERS-TLS1.2:+AES-128-GCM"), only12),
            (Some("@SYSTEM"), both),
        ] {
            assert_eq!(versions(s).unwrap(), want, "{s:?}");
        }
        assert!(versions(Some("NORMAL:-VERS-ALL:+VERS-TLS1.0")).is_err());
        assert_eq!(only13.protocol_versions().len(), 1);
    }
}
