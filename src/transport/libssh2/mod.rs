//! The `libssh2` and `libssh` transports (cargo feature `libssh2`): ssh inside the process,
//! with the [`ssh2`] crate (libssh2), instead of the system's `ssh` binary.
//!
//! ```text
//! qemu+libssh2://user@host[:22]/system?keyfile=…&known_hosts=…&known_hosts_verify=normal|auto|ignore
//!     &sshauth=agent,privkey,password,keyboard-interactive
//! ```
//!
//! libvirt implements `libssh2` with libssh2 and `libssh` with libssh; both take the same
//! parameters, and here both use libssh2. The connection goes through these steps, and an
//! error names the one that failed:
//!
//! 1. **connect**: TCP to the URI's host and port (default 22).
//! 2. **handshake**: the ssh key exchange.
//! 3. **host key**: the server's key against the `known_hosts` file (`known_hosts=`, default
//!    `~/.ssh/known_hosts`), as `known_hosts_verify` says: `normal` refuses a changed key and
//!    accepts an unknown one only if the application's auth callback says yes (as libvirt
//!    asks its `virConnectAuth` callback; no callback, no key), `auto` accepts an unknown key
//!    but refuses a changed one, `ignore` checks nothing. An accepted unknown key is appended
//!    to the file. `no_verify` is not read here, as in libvirt.
//! 4. **authentication** as the URI's user (default: the local user), trying the `sshauth`
//!    methods in order (default `agent,privkey,password,keyboard-interactive`): the ssh agent
//!    (`SSH_AUTH_SOCK`); the private key (`keyfile=`, else `~/.ssh/id_ecdsa`, `id_ed25519`,
//!    `id_rsa`), with the password as its passphrase when one is given, else (an encrypted
//!    key) the passphrase the auth callback gives; the password: the URI's `user:password@`
//!    or [`ConfigBuilder::password`](super::ConfigBuilder::password), else libvirt's auth.conf
//!    (`authfile=`, `LIBVIRT_AUTH_FILE`, …; group `[auth-ssh-HOST]`, as libvirt's
//!    `virAuthGetPasswordPath` reads it), else the auth callback; keyboard-interactive:
//!    hidden prompts answered with that password when it is known without asking, the
//!    prompts left to the auth callback. A failure lists what each method did; an auth
//!    callback that fails ends the authentication. See [`ask`] for the questions the callback
//!    gets ([`Config::auth_callback`](super::Config::auth_callback); libvirt does not ask it
//!    for the user name either).
//! 5. **exec**: the same remote command as the ssh transport (`virt-ssh-helper` or `nc`, per
//!    `proxy=`, `netcat=`, `socket=`; see [`ssh`](super::ssh)).
//!
//! libssh2 blocks, so each connection gets a thread of its own for the session; the stream the
//! runtime sees is a local socket (see [`bridge`]).

mod ask;
mod auth;
mod bridge;
mod hostkey;

use std::ffi::CStr;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Arc;

use ssh2::Session;
use tokio::sync::oneshot;

use super::BoxStream;
use super::tcp::{connect_tcp, display_addr};
use crate::config::AuthCallback;
use crate::config::host::HostEnv;
use crate::config::{Config, KnownHostsVerify};
use crate::error::{Error, ErrorKind, Result};

use auth::Method;

/// The default ssh port.
const SSH_PORT: u16 = 22;
/// The name of each session thread.
const THREAD_NAME: &str = "virtwire-ssh2";

/// Everything the session thread needs, read from the [`Config`] up front.
struct Plan {
    /// `libssh2` or `libssh`, for messages.
    transport: String,
    host: String,
    port: u16,
    user: String,
    known_hosts: PathBuf,
    verify: KnownHostsVerify,
    methods: Vec<Method>,
    /// `keyfile=`, else the default keys that exist.
    keyfiles: Vec<PathBuf>,
    keyfile_given: bool,
    password: Option<String>,
    /// libvirt's auth.conf for this URI (read only when a password is needed).
    authfile: Option<PathBuf>,
    /// The application's auth callback.
    callback: Option<Arc<dyn AuthCallback>>,
    /// The remote command (one word for the remote login shell).
    command: String,
}

impl Plan {
    fn new(config: &Config, env: &HostEnv) -> Result<Plan> {
        let uri = config.uri();
        let home = env.home_dir();
        let ssh_dir = home.join(".ssh");
        let keyfiles = match config.keyfile() {
            Some(key) => vec![key.to_owned()],
            // libvirt's default keys, in its order
            None => ["id_ecdsa", "id_ed25519", "id_rsa"]
                .iter()
                .map(|name| ssh_dir.join(name))
                .filter(|path| path.exists())
                .collect(),
        };
        let user = match uri.user() {
            Some(user) => user.to_owned(),
            None => local_user_name().ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    "no user name in the URI, and the local user's name is unknown",
                )
            })?,
        };
        Ok(Plan {
            transport: config.transport().to_string(),
            host: uri.host_or_localhost().to_owned(),
            port: uri.port().unwrap_or(SSH_PORT),
            user,
            known_hosts: config
                .known_hosts()
                .map_or_else(|| ssh_dir.join("known_hosts"), ToOwned::to_owned),
            verify: config.known_hosts_verify(),
            methods: auth::parse_methods(config.sshauth())?,
            keyfile_given: config.keyfile().is_some(),
            keyfiles,
            password: config.password().map(str::to_owned),
            authfile: crate::config::default_path_for(config.authfile()),
            callback: config.auth_callback().cloned(),
            command: super::ssh::remote_command_for(config, env)?,
        })
    }

    /// `host:port`.
    fn addr(&self) -> String {
        display_addr(&self.host, self.port)
    }

    /// `user@host:port`.
    fn who(&self) -> String {
        format!("{}@{}", self.user, self.addr())
    }
}

/// Opens the `libssh2` / `libssh` transport `config` describes.
pub(super) async fn connect(config: &Config) -> Result<BoxStream> {
    let plan = Plan::new(config, &HostEnv::current())?;
    tracing::debug!(
        transport = %plan.transport,
        to = %plan.who(),
        command = %plan.command,
        "opening an in-process ssh session"
    );
    let tcp = connect_tcp(&plan.host, plan.port)
        .await?
        .into_std()
        .map_err(|e| {
            Error::io(
                format!("cannot set up the connection to {}", plan.addr()),
                e,
            )
        })?;
    // Shut down if this future is dropped while the thread is still setting up: that ends
    // whatever blocking libssh2 call it is in.
    let abort = AbortOnDrop(Some(tcp.try_clone().map_err(|e| {
        Error::io(
            format!("cannot set up the connection to {}", plan.addr()),
            e,
        )
    })?));
    let (ours, theirs) = bridge::socket_pair()?;
    let shared = Arc::new(bridge::Shared::default());
    let (ready_tx, ready_rx) = oneshot::channel();
    let thread_shared = Arc::clone(&shared);
    std::thread::Builder::new()
        .name(THREAD_NAME.to_owned())
        .spawn(move || session_thread(plan, tcp, theirs, ready_tx, thread_shared))
        .map_err(|e| Error::io("cannot start the ssh session thread", e))?;
    match ready_rx.await {
        Ok(Ok(())) => abort.disarm(),
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            return Err(Error::new(
                ErrorKind::Io,
                "the ssh session thread ended before the session was set up",
            ));
        }
    }
    Ok(Box::new(bridge::SshStream::new(ours, shared)?))
}

/// Shuts the TCP connection down when dropped, unless disarmed.
struct AbortOnDrop(Option<TcpStream>);

impl AbortOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(tcp) = self.0.take() {
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// The session thread: sets the session up (blocking), reports how that went, then relays
/// bytes until the link ends.
fn session_thread(
    plan: Plan,
    tcp: TcpStream,
    end: std::os::unix::net::UnixStream,
    ready: oneshot::Sender<Result<()>>,
    shared: Arc<bridge::Shared>,
) {
    let link = match open(&plan, tcp) {
        Ok(link) => link,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        // nobody waits for the stream any more; dropping the link ends the session
        return;
    }
    bridge::run(link, end, &shared);
}

/// Handshake, host key, authentication, exec: a session running the remote command.
fn open(plan: &Plan, tcp: TcpStream) -> Result<bridge::Link> {
    let tcp_fd = tcp.as_raw_fd();
    let mut session =
        Session::new().map_err(|e| step_error(ErrorKind::Io, "cannot create an ssh session", e))?;
    session.set_tcp_stream(tcp);
    session.set_blocking(true);
    session.handshake().map_err(|e| {
        step_error(
            ErrorKind::Io,
            format!("ssh handshake with {} failed", plan.addr()),
            e,
        )
    })?;
    hostkey::check(&session, plan)?;
    auth::authenticate(&session, plan)?;
    let mut channel = session.channel_session().map_err(|e| {
        step_error(
            ErrorKind::Io,
            format!("cannot open an ssh channel on {}", plan.addr()),
            e,
        )
    })?;
    channel.exec(&plan.command).map_err(|e| {
        step_error(
            ErrorKind::Io,
            format!("cannot run the remote command on {}", plan.addr()),
            e,
        )
    })?;
    tracing::debug!(to = %plan.who(), "ssh session ready");
    Ok(bridge::Link {
        session,
        channel,
        tcp_fd,
        peer: plan.who(),
    })
}

/// An error at one step, with libssh2's words as the source.
fn step_error(kind: ErrorKind, step: impl Into<String>, e: ssh2::Error) -> Error {
    Error::new(kind, step).with_source(e)
}

/// The effective user's login name (from the password database, else `$USER`), libvirt's
/// default ssh user.
fn local_user_name() -> Option<String> {
    // SAFETY: geteuid has no preconditions; getpwuid_r writes only into `pwd` and `buf`,
    // which outlive the call, and `pw_name` points into `buf` when `result` is non-null.
    let from_passwd = unsafe {
        let uid = libc::geteuid();
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        (rc == 0 && !result.is_null() && !pwd.pw_name.is_null())
            .then(|| CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned())
    };
    from_passwd
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(uri: &str) -> Plan {
        let env = HostEnv {
            home: Some("/home/u".into()),
            ..HostEnv::default()
        };
        Plan::new(&uri.parse().unwrap(), &env).unwrap()
    }

    #[test]
    fn defaults_like_libvirt() {
        let p = plan("qemu+libssh2://root@host/system");
        assert_eq!(p.transport, "libssh2");
        assert_eq!(p.addr(), "host:22");
        assert_eq!(p.who(), "root@host:22");
        assert_eq!(p.known_hosts, Path::new("/home/u/.ssh/known_hosts"));
        assert_eq!(p.verify, KnownHostsVerify::Normal);
        assert_eq!(
            p.methods,
            [
                Method::Agent,
                Method::Privkey,
                Method::Password,
                Method::KeyboardInteractive
            ]
        );
        assert!(!p.keyfile_given);
        assert!(p.password.is_none());
        assert!(p.callback.is_none());
        // the ssh transport's remote command
        assert!(
            p.command
                .starts_with("sh -c 'if command -v virt-ssh-helper")
        );
    }

    #[test]
    fn parameters() {
        let p = plan(
            "qemu+libssh://u:pw@[::1]:2222/system?keyfile=/k&known_hosts=/kh\
             &known_hosts_verify=auto&sshauth=privkey,password&socket=/s",
        );
        assert_eq!(p.transport, "libssh");
        assert_eq!(p.who(), "u@[::1]:2222");
        assert_eq!(p.keyfiles, [PathBuf::from("/k")]);
        assert!(p.keyfile_given);
        assert_eq!(p.known_hosts, Path::new("/kh"));
        assert_eq!(p.verify, KnownHostsVerify::Auto);
        assert_eq!(p.methods, [Method::Privkey, Method::Password]);
        assert_eq!(p.password.as_deref(), Some("pw"));
        assert!(p.command.ends_with("-U '/s''"), "{}", p.command);
    }

    #[test]
    fn authfile_and_callback() {
        let mut c: Config = "qemu+libssh2://h/system?authfile=/a/auth.conf"
            .parse()
            .unwrap();
        c.set_auth_callback(Some(Arc::new(crate::config::StaticCredentials::new(
            "u", "p",
        ))));
        let p = Plan::new(&c, &HostEnv::default()).unwrap();
        assert!(p.callback.is_some());
        // LIBVIRT_AUTH_FILE wins over authfile=, as in libvirt
        if std::env::var_os("LIBVIRT_AUTH_FILE").is_none_or(|v| v.is_empty()) {
            assert_eq!(p.authfile.as_deref(), Some(Path::new("/a/auth.conf")));
        }
    }

    #[test]
    fn bad_sshauth_is_a_config_error() {
        let c: Config = "qemu+libssh2://h/system?sshauth=privkey,hostbased"
            .parse()
            .unwrap();
        let e = Plan::new(&c, &HostEnv::default()).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("hostbased"), "{e}");
    }

    #[test]
    fn local_user_is_known() {
        assert!(local_user_name().is_some());
    }
}
