//! The ssh transport through the system's `ssh` binary, as libvirt runs it:
//!
//! ```text
//! ssh [-p PORT] [-l USER] [-i KEYFILE] -T -e none [-o BatchMode=yes] \
//!     [-o StrictHostKeyChecking=no] [-o UserKnownHostsFile=FILE] -- HOST "sh -c '…'"
//! ```
//!
//! `-o BatchMode=yes` comes with `no_tty=1`, `StrictHostKeyChecking=no` with `no_verify=1`.
//! `UserKnownHostsFile` with `known_hosts=` is ours: libvirt reads `known_hosts` only for its
//! in-process ssh clients (`known_hosts_verify` and `sshauth` stay theirs alone). ssh inherits
//! our whole environment (libvirt passes on a chosen few variables, `SSH_AUTH_SOCK` among
//! them). The remote command relays the session to the daemon:
//!
//! - `proxy=native`: `virt-ssh-helper [-r] URI`, libvirt's own proxy, which finds the daemon
//!   on the remote side;
//! - `proxy=netcat`: `nc -U SOCKET` (with `-q0` where nc knows it, so it exits at our EOF);
//! - `proxy=auto`: the helper when the remote host has it, else netcat.
//!
//! Without `proxy=`: netcat when `socket=` is given or `netcat=` is set, the helper for
//! session URIs, auto otherwise. The default socket is libvirtd's (see
//! [`sockets`](crate::config::default_socket_path)). The remote login shell and then `sh -c` each parse the
//! command, so paths are quoted twice, as libvirt does.

use std::ffi::OsString;

use super::BoxStream;
use super::process;
use crate::config::host::HostEnv;
use crate::config::{Config, Proxy};
use crate::error::{Error, ErrorKind, Result};

/// Characters that make libvirt quote a word for the shell.
const SHELL_META: &[char] = &[
    '\r', '\t', '\n', ' ', '!', '"', '#', '$', '&', '\'', '(', ')', '*', ';', '<', '>', '?', '[',
    '\\', ']', '^', '`', '{', '|', '}', '~',
];

/// The ssh command line for `config`: program and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SshCommand {
    pub program: String,
    pub args: Vec<OsString>,
}

pub(super) async fn connect(config: &Config) -> Result<BoxStream> {
    let cmd = command(config, &HostEnv::current())?;
    tracing::debug!(program = %cmd.program, args = ?cmd.args, "starting ssh");
    Ok(Box::new(process::spawn(&cmd.program, &cmd.args)?))
}

/// Builds the ssh invocation for `config` as seen by `host`.
pub(crate) fn command(config: &Config, host: &HostEnv) -> Result<SshCommand> {
    let uri = config.uri();
    let remote = remote_command_for(config, host)?;
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |a: &str| args.push(a.into());
    if let Some(port) = uri.port() {
        push("-p");
        push(&port.to_string());
    }
    if let Some(user) = uri.user() {
        push("-l");
        push(user);
    }
    if let Some(key) = config.keyfile() {
        args.push("-i".into());
        args.push(key.into());
    }
    args.extend(["-T", "-e", "none"].map(OsString::from));
    args.extend(ssh_options(config));
    args.extend(["--", uri.host_or_localhost()].map(OsString::from));
    args.push(remote.into());
    Ok(SshCommand {
        program: config.command().unwrap_or("ssh").to_owned(),
        args,
    })
}

/// The command to run on the remote host for `config` (`proxy=`, `netcat=`, `socket=` or the
/// default socket, read-only) as seen by `host`: one word, parsed there by the login shell.
/// The in-process ssh transports (`libssh2`, `libssh`) run the same command.
pub(crate) fn remote_command_for(config: &Config, host: &HostEnv) -> Result<String> {
    let session = config.socket_request(host).session;
    let proxy = config.proxy().unwrap_or(if config.socket().is_some() {
        Proxy::Netcat
    } else if session {
        Proxy::Native
    } else {
        Proxy::Auto
    });
    let socket = config.socket_path_on(host, &crate::config::host::exists)?;
    let socket = socket.to_str().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            format!("socket path {socket:?} is not UTF-8"),
        )
    })?;
    remote_command(
        proxy,
        config.netcat(),
        socket,
        &config.uri().helper_uri(),
        config.read_only(),
    )
}

/// The `-o` options the settings ask for.
fn ssh_options(config: &Config) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    if config.no_tty() {
        out.extend(["-o", "BatchMode=yes"].map(OsString::from));
    }
    if config.no_verify() {
        out.extend(["-o", "StrictHostKeyChecking=no"].map(OsString::from));
    }
    if let Some(file) = config.known_hosts() {
        let mut opt = OsString::from("UserKnownHostsFile=");
        opt.push(file);
        out.push("-o".into());
        out.push(opt);
    }
    out
}

/// The command ssh runs on the remote host (one word, parsed there by the login shell).
pub(crate) fn remote_command(
    proxy: Proxy,
    netcat: Option<&str>,
    socket: &str,
    helper_uri: &str,
    read_only: bool,
) -> Result<String> {
    // netcat= asks for the netcat proxy, as in libvirt
    let proxy = match (proxy, netcat) {
        (Proxy::Auto, Some(_)) => Proxy::Netcat,
        (Proxy::Native, Some(_)) => {
            return Err(Error::new(
                ErrorKind::Config,
                "netcat= cannot be used with proxy=native",
            ));
        }
        (p, _) => p,
    };
    let nc = double_escape(netcat.unwrap_or("nc"));
    let sock = double_escape(socket);
    // nc -q0 (Debian, SUSE) exits when we close the link; other nc do so by default
    let netcat_cmd = format!(
        "if '{nc}' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0; \
         else ARG=; fi; '{nc}' $ARG -U '{sock}'"
    );
    let ro = if read_only { " -r" } else { "" };
    let helper_cmd = format!("virt-ssh-helper{ro} '{}'", double_escape(helper_uri));
    Ok(match proxy {
        Proxy::Netcat => format!("sh -c '{netcat_cmd}'"),
        Proxy::Native => format!("sh -c '{helper_cmd}'"),
        Proxy::Auto => format!(
            "sh -c 'if command -v virt-ssh-helper >/dev/null 2>&1; then {helper_cmd}; \
             else {netcat_cmd}; fi'"
        ),
    })
}

/// Quotes `s` for a POSIX shell when it has special characters (libvirt's rule): `'…'` with
/// each `'` written `'\''`.
pub(crate) fn shell_escape(s: &str) -> String {
    if s.is_empty() {
        return "''".to_owned();
    }
    if !s.contains(SHELL_META) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\'");
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Quoted for two shells: the remote login shell, then `sh -c`.
fn double_escape(s: &str) -> String {
    shell_escape(&shell_escape(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> HostEnv {
        HostEnv::default()
    }

    fn args(uri: &str, ro: bool) -> Vec<String> {
        let mut c: Config = uri.parse().unwrap();
        c.set_read_only(ro);
        let cmd = command(&c, &root()).unwrap();
        let mut v = vec![cmd.program];
        v.extend(cmd.args.iter().map(|a| a.to_str().unwrap().to_owned()));
        v
    }

    const NC_SYSTEM: &str = "if 'nc' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; \
        then ARG=-q0; else ARG=; fi; 'nc' $ARG -U '/var/run/libvirt/libvirt-sock'";

    #[test]
    fn full_command_line_like_libvirt() {
        let got = args(
            "qemu+ssh://root@127.0.0.1:2922/system?command=/tmp/fakessh&no_tty=1&no_verify=1\
             &keyfile=/k&known_hosts=/kh",
            false,
        );
        let want = [
            "/tmp/fakessh",
            "-p",
            "2922",
            "-l",
            "root",
            "-i",
            "/k",
            "-T",
            "-e",
            "none",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/kh",
            "--",
            "127.0.0.1",
        ];
        assert_eq!(&got[..want.len()], &want);
        assert_eq!(
            got[want.len()],
            format!(
                "sh -c 'if command -v virt-ssh-helper >/dev/null 2>&1; then \
                 virt-ssh-helper 'qemu:///system'; else {NC_SYSTEM}; fi'"
            )
        );
        assert_eq!(got.len(), want.len() + 1);
    }

    #[test]
    fn minimal_command_line() {
        let got = args("qemu+ssh://host/system", false);
        assert_eq!(&got[..6], ["ssh", "-T", "-e", "none", "--", "host"]);
        let got = args("qemu+ssh:///system", false);
        assert_eq!(got[5], "localhost");
    }

    #[test]
    fn proxy_choice() {
        // socket= means netcat on that socket
        let got = args("test+ssh://h/default?socket=/s/libvirt-sock", false);
        assert!(
            got.last().unwrap().starts_with("sh -c 'if 'nc' -q"),
            "{got:?}"
        );
        assert!(
            got.last().unwrap().ends_with("-U '/s/libvirt-sock''"),
            "{got:?}"
        );
        // read-only: -r for the helper, -ro socket for nc
        let got = args("qemu+ssh://h/system?proxy=native&foo=bar", true);
        assert_eq!(
            got.last().unwrap(),
            "sh -c 'virt-ssh-helper -r '''\\''qemu:///system?foo=bar'\\'''''"
        );
        let got = args("qemu+ssh://h/system?proxy=netcat", true);
        assert!(
            got.last().unwrap().ends_with("libvirt-sock-ro''"),
            "{got:?}"
        );
        // session URIs of a non-root user default to the helper
        let user = HostEnv {
            euid: 1000,
            home: Some("/home/u".into()),
            ..HostEnv::default()
        };
        let c: Config = "qemu+ssh://h/session".parse().unwrap();
        let cmd = command(&c, &user).unwrap();
        let last = cmd.args.last().unwrap().to_str().unwrap();
        assert_eq!(last, "sh -c 'virt-ssh-helper 'qemu:///session''");
    }

    #[test]
    fn netcat_parameter_is_quoted_twice_like_libvirt() {
        let got =
            remote_command(Proxy::Auto, Some("/my nc"), "/s", "qemu:///system", true).unwrap();
        // what libvirt 9.0 produced for the same netcat=, checked with a fake ssh
        assert!(
            got.starts_with(
                "sh -c 'if '''\\''/my nc'\\'''' -q 2>&1 | grep \"requires an argument\""
            ),
            "{got}"
        );
        assert!(got.contains("'''\\''/my nc'\\'''' $ARG -U '/s''"), "{got}");
        let e = remote_command(Proxy::Native, Some("nc"), "/s", "u", false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
    }

    #[test]
    fn direct_mode_is_refused_over_ssh() {
        let c: Config = "qemu+ssh://h/system?mode=direct".parse().unwrap();
        assert_eq!(command(&c, &root()).unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn shell_escape_matches_libvirt() {
        assert_eq!(shell_escape(""), "''");
        assert_eq!(shell_escape("nc"), "nc");
        assert_eq!(shell_escape("/usr/bin/nc"), "/usr/bin/nc");
        assert_eq!(shell_escape("a b"), "'a b'");
        assert_eq!(shell_escape("it's"), "'it'\\''s'");
        assert_eq!(double_escape("a b"), "''\\''a b'\\'''");
    }

    /// The quoting survives two real shells.
    #[test]
    fn quoting_survives_two_shells() {
        let tricky = "/tmp/a b'c$d";
        // what the remote login shell receives is one word: run it through sh twice
        let inner = format!("printf %s '{}'", double_escape(tricky));
        let outer = format!("sh -c '{inner}'");
        let out = std::process::Command::new("sh")
            .args(["-c", &outer])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), tricky);
    }
}
