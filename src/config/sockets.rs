//! Where the daemon's unix socket is when the URI has no `socket=`, as libvirt's client
//! decides it (`remoteGetUNIXSocket`).
//!
//! | who | daemon | socket |
//! |---|---|---|
//! | root, or any `…:///system` | libvirtd (legacy) | `/var/run/libvirt/libvirt-sock` (`-sock-ro` read-only) |
//! | root | modular, e.g. virtqemud (direct) | `/var/run/libvirt/virtqemud-sock` (`-sock-ro`) |
//! | not root, `…:///session` or `test+…` | libvirtd | `$XDG_RUNTIME_DIR/libvirt/libvirt-sock` |
//! | not root, same | modular | `$XDG_RUNTIME_DIR/libvirt/virtqemud-sock` |
//!
//! The modular daemon of a driver is `virt<driver>d` (`network:///system` →
//! virtnetworkd). `mode=auto` (the default) takes the modular socket when it exists, else
//! libvirtd's; for ssh it always names libvirtd's, the remote side choosing for itself when
//! `virt-ssh-helper` runs there.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::host::HostEnv;
use super::uri::{Transport, Uri};
use crate::error::{Error, ErrorKind, Result};

/// Which daemon to reach: URI parameter `mode`, or `remote_mode` in `libvirt.conf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The modular daemon when its socket exists, else libvirtd (remote transports:
    /// libvirtd's socket).
    #[default]
    Auto,
    /// Always the monolithic libvirtd.
    Legacy,
    /// Always the driver's modular daemon (`virtqemud`, …); local unix sockets only.
    Direct,
}

impl Mode {
    /// The name used in URIs and `libvirt.conf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Legacy => "legacy",
            Mode::Direct => "direct",
        }
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Mode> {
        match s {
            "auto" => Ok(Mode::Auto),
            "legacy" => Ok(Mode::Legacy),
            "direct" => Ok(Mode::Direct),
            _ => Err(Error::new(
                ErrorKind::Config,
                format!("unknown remote mode {s:?} (should be auto|legacy|direct)"),
            )),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where system daemons' sockets are; libvirt names `/var/run` so the path also holds on
/// remote hosts without `/run`.
const SYSTEM_DIR: &str = "/var/run/libvirt";
/// Drivers probed, in libvirt's order, when the URI names no driver (system daemons).
const SYSTEM_PROBE: &[&str] = &["xen", "qemu", "lxc", "vbox", "bhyve", "vz"];
/// Same, for session daemons.
const SESSION_PROBE: &[&str] = &["qemu", "vbox"];

/// What the socket choice depends on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SocketRequest<'a> {
    pub transport: Transport,
    pub mode: Mode,
    /// The URI's driver; `None` for the `remote` driver (probe for a modular daemon).
    pub driver: Option<&'a str>,
    /// A per-user (session) daemon rather than the system one.
    pub session: bool,
    pub read_only: bool,
}

impl<'a> SocketRequest<'a> {
    /// The request for `uri`: session when the path is `/session` or the scheme is `test+…`
    /// and the user is not root (libvirt's rule).
    pub fn for_uri(uri: &'a Uri, mode: Mode, read_only: bool, host: &HostEnv) -> Self {
        let session_uri = uri.path() == "/session" || uri.scheme().starts_with("test+");
        SocketRequest {
            transport: uri.transport(),
            mode,
            driver: Some(uri.driver()).filter(|d| *d != "remote"),
            session: session_uri && !host.is_root(),
            read_only,
        }
    }
}

/// The socket for `req`; `exists` tells which sockets are there (for `mode=auto`).
pub(crate) fn socket_path(
    req: &SocketRequest<'_>,
    host: &HostEnv,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<PathBuf> {
    let probed;
    let driver = match req.driver {
        Some(d) => Some(d),
        None if req.mode != Mode::Legacy => {
            probed = probe_driver(req, host, exists);
            probed
        }
        None => None,
    };
    let direct = driver.map(|d| socket_file(&format!("virt{d}d"), req, host));
    let legacy = socket_file("libvirt", req, host);
    match effective_mode(req, direct.as_deref(), &legacy, exists) {
        Mode::Direct => match direct {
            _ if req.transport != Transport::Unix => Err(Error::config(format!(
                "cannot use direct socket mode for the {} transport",
                req.transport
            ))),
            Some(path) => Ok(path),
            None => Err(Error::config(
                "cannot use direct socket mode when the URI names no driver",
            )),
        },
        _ => Ok(legacy),
    }
}

/// `mode=auto` resolved: on a local socket the modular daemon when its socket exists,
/// otherwise libvirtd (whose socket virtproxyd also serves on modular hosts).
fn effective_mode(
    req: &SocketRequest<'_>,
    direct: Option<&Path>,
    legacy: &Path,
    exists: &dyn Fn(&Path) -> bool,
) -> Mode {
    match req.mode {
        Mode::Auto if req.transport == Transport::Unix => match direct {
            Some(d) if exists(d) => Mode::Direct,
            _ if exists(legacy) => Mode::Legacy,
            // Neither exists: libvirt would start a daemon here; we do not, and libvirtd's
            // socket gives the clearest "no such file" error.
            _ => Mode::Legacy,
        },
        Mode::Auto => Mode::Legacy,
        other => other,
    }
}

/// `PREFIX-sock` in the user's runtime folder, or `PREFIX-sock[-ro]` in the system one.
fn socket_file(prefix: &str, req: &SocketRequest<'_>, host: &HostEnv) -> PathBuf {
    if req.session {
        return host.user_runtime_dir().join(format!("{prefix}-sock"));
    }
    let suffix = if req.read_only { "sock-ro" } else { "sock" };
    Path::new(SYSTEM_DIR).join(format!("{prefix}-{suffix}"))
}

/// The first driver whose modular daemon's socket exists (root: system daemons; others:
/// session daemons).
fn probe_driver(
    req: &SocketRequest<'_>,
    host: &HostEnv,
    exists: &dyn Fn(&Path) -> bool,
) -> Option<&'static str> {
    let (drivers, dir) = if host.is_root() {
        (SYSTEM_PROBE, PathBuf::from(SYSTEM_DIR))
    } else {
        (SESSION_PROBE, host.user_runtime_dir())
    };
    let suffix = if req.read_only { "sock-ro" } else { "sock" };
    drivers
        .iter()
        .copied()
        .find(|d| exists(&dir.join(format!("virt{d}d-{suffix}"))))
}

/// Where libvirt's client looks for the daemon's socket when the URI has no `socket=`, for
/// the URI's `mode=` (default auto) and the current user: `/var/run/libvirt/libvirt-sock`
/// (`-ro` read-only) or a modular daemon's socket such as `virtqemud-sock` for system URIs,
/// `$XDG_RUNTIME_DIR/libvirt/…` for `…:///session` when not root. See
/// the rules above and [`Config::socket_path`](super::Config::socket_path), which also
/// applies `socket=` and settings from `libvirt.conf`.
pub fn default_socket_path(uri: &Uri, read_only: bool) -> PathBuf {
    let host = HostEnv::current();
    let mode = uri
        .param("mode")
        .and_then(|m| m.parse().ok())
        .unwrap_or_default();
    let mut req = SocketRequest::for_uri(uri, mode, read_only, &host);
    req.transport = Transport::Unix;
    socket_path(&req, &host, &super::host::exists).unwrap_or_else(|_| {
        // only direct mode without a driver can fail: fall back to libvirtd's socket
        req.mode = Mode::Legacy;
        socket_path(&req, &host, &super::host::exists).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> HostEnv {
        HostEnv::default()
    }

    fn user() -> HostEnv {
        HostEnv {
            xdg_runtime_dir: Some("/run/user/1000".into()),
            ..HostEnv::test_user()
        }
    }

    fn path_for(uri: &str, mode: Mode, ro: bool, host: &HostEnv, present: &[&str]) -> String {
        let uri: Uri = uri.parse().unwrap();
        let req = SocketRequest::for_uri(&uri, mode, ro, host);
        let exists = |p: &Path| present.iter().any(|q| Path::new(q) == p);
        match socket_path(&req, host, &exists) {
            Ok(p) => p.display().to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn socket_table() {
        use Mode::*;
        let vq = "/var/run/libvirt/virtqemud-sock";
        let vq_ro = "/var/run/libvirt/virtqemud-sock-ro";
        let lv = "/var/run/libvirt/libvirt-sock";
        let uq = "/run/user/1000/libvirt/virtqemud-sock";
        type Case<'a> = (&'a str, Mode, bool, &'a HostEnv, &'a [&'a str], &'a str);
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // monolithic host
            ("qemu:///system", Auto, false, &root(), &[lv], lv),
            ("qemu:///system", Auto, true, &root(), &[lv], "/var/run/libvirt/libvirt-sock-ro"),
            // modular host: auto picks the driver's daemon when its socket exists
            ("qemu:///system", Auto, false, &root(), &[lv, vq], vq),
            ("qemu:///system", Auto, true, &root(), &[vq_ro], vq_ro),
            ("network:///system", Auto, false, &root(), &["/var/run/libvirt/virtnetworkd-sock"],
             "/var/run/libvirt/virtnetworkd-sock"),
            ("qemu:///system", Legacy, false, &root(), &[vq], lv),
            ("qemu:///system", Direct, false, &root(), &[], vq),
            // nothing there: libvirtd's
            ("qemu:///system", Auto, false, &root(), &[], lv),
            // session daemons for users, not for root
            ("qemu:///session", Auto, false, &user(), &[], "/run/user/1000/libvirt/libvirt-sock"),
            ("qemu:///session", Auto, true, &user(), &[], "/run/user/1000/libvirt/libvirt-sock"),
            ("qemu:///session", Auto, false, &user(), &[uq], uq),
            ("test+unix:///default", Auto, false, &user(), &[], "/run/user/1000/libvirt/libvirt-sock"),
            ("qemu:///session", Auto, false, &root(), &[], lv),
            ("qemu:///system", Auto, false, &user(), &[], lv),
            // the remote driver probes for a modular daemon
            ("remote:///", Auto, false, &root(), &["/var/run/libvirt/virtlxcd-sock"],
             "/var/run/libvirt/virtlxcd-sock"),
            ("remote:///", Auto, false, &root(), &[], lv),
            ("remote:///session", Auto, false, &user(), &[uq], uq),
            ("remote:///", Direct, false, &root(), &[], "error: cannot use direct socket mode when the URI names no driver"),
            // remote transports name libvirtd's socket; direct is refused
            ("qemu+ssh://h/system", Auto, false, &root(), &[vq], lv),
            ("qemu+ssh://h/system", Auto, true, &root(), &[], "/var/run/libvirt/libvirt-sock-ro"),
            ("qemu+ssh://h/system", Direct, false, &root(), &[], "error: cannot use direct socket mode for the ssh transport"),
        ];
        for (uri, mode, ro, host, present, want) in cases {
            assert_eq!(
                path_for(uri, *mode, *ro, host, present),
                *want,
                "{uri} {mode} ro={ro}"
            );
        }
    }

    #[test]
    fn mode_parses_libvirts_names_only() {
        assert_eq!("direct".parse::<Mode>().unwrap(), Mode::Direct);
        assert!("Direct".parse::<Mode>().is_err());
        assert!("modular".parse::<Mode>().is_err());
    }
}
