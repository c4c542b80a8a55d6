//! [`Config`]: a connection URI and the client settings that come with it, from the URI's
//! parameters, from `libvirt.conf`, or set in code.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::credentials::{AuthCallback, SecretString};
use super::host::HostEnv;
use super::libvirt_conf::{self as conf, ClientConf};
use super::sockets::{self, Mode, SocketRequest};
use super::uri::{Transport, Uri};
use crate::error::{Error, Result};
use crate::rpc::KeepaliveConfig;

/// Which program relays the ssh session to the daemon's socket on the remote host: URI
/// parameter `proxy`, or `remote_proxy` in `libvirt.conf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proxy {
    /// `virt-ssh-helper` when the remote host has it, else netcat.
    Auto,
    /// Always netcat (`nc -U socket`, or `netcat=`).
    Netcat,
    /// Always `virt-ssh-helper`, libvirt's own proxy, which picks the daemon on the remote
    /// side.
    Native,
}

impl Proxy {
    /// The name used in URIs and `libvirt.conf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Proxy::Auto => "auto",
            Proxy::Netcat => "netcat",
            Proxy::Native => "native",
        }
    }
}

impl FromStr for Proxy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Proxy> {
        match s {
            "auto" => Ok(Proxy::Auto),
            "netcat" => Ok(Proxy::Netcat),
            "native" => Ok(Proxy::Native),
            _ => Err(Error::config(format!(
                "unknown proxy type {s:?} (should be auto|netcat|native)"
            ))),
        }
    }
}

/// How an in-process ssh client treats the server's host key: URI parameter
/// `known_hosts_verify` (libssh2/libssh transports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KnownHostsVerify {
    /// A known key must match. An unknown key is accepted only when the application's
    /// [auth callback](Config::auth_callback) says so: it is asked, as libvirt asks its
    /// `virConnectAuth` callback, one [`EchoPrompt`](super::CredentialType::EchoPrompt)
    /// question (`Accept SSH host key with hash '…' for host '…' (y/n)?`), and `y` or `yes`
    /// (any case) accepts the key, which is then recorded in the known_hosts file. Without a
    /// callback, or with one that does not answer `EchoPrompt` questions, an unknown key is
    /// refused.
    #[default]
    Normal,
    /// Unknown keys are added; known keys are still checked.
    Auto,
    /// No host key checking at all.
    Ignore,
}

impl FromStr for KnownHostsVerify {
    type Err = Error;

    fn from_str(s: &str) -> Result<KnownHostsVerify> {
        match s.to_ascii_lowercase().as_str() {
            "normal" => Ok(KnownHostsVerify::Normal),
            "auto" => Ok(KnownHostsVerify::Auto),
            "ignore" => Ok(KnownHostsVerify::Ignore),
            _ => Err(Error::config(format!(
                "invalid host key verification method {s:?} (should be normal|auto|ignore)"
            ))),
        }
    }
}

/// The client parameters (libvirt's names), each unset until a URI, `libvirt.conf` or the
/// builder sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Settings {
    command: Option<String>,
    socket: Option<PathBuf>,
    auth: Option<String>,
    sshauth: Option<String>,
    netcat: Option<String>,
    keyfile: Option<PathBuf>,
    pkipath: Option<PathBuf>,
    known_hosts: Option<PathBuf>,
    known_hosts_verify: Option<KnownHostsVerify>,
    tls_priority: Option<String>,
    mode: Option<Mode>,
    proxy: Option<Proxy>,
    no_sanity: Option<bool>,
    no_verify: Option<bool>,
    no_tty: Option<bool>,
    authfile: Option<PathBuf>,
}

/// `self.x = other.x.or(self.x)` for every field.
macro_rules! overlay {
    ($base:expr, $top:expr, $($field:ident),+ $(,)?) => {
        $( if $top.$field.is_some() { $base.$field = $top.$field; } )+
    };
}

impl Settings {
    /// The client parameters of `uri`; for a repeated one the last wins, as in libvirt.
    fn from_uri(uri: &Uri) -> Result<Settings> {
        let mut s = Settings::default();
        for (key, value) in uri.params() {
            s.set(key, value)?;
        }
        Ok(s)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let v = || Some(value.to_owned());
        let p = || Some(PathBuf::from(value));
        match key.to_ascii_lowercase().as_str() {
            "command" => self.command = v(),
            "socket" => self.socket = p(),
            "auth" => self.auth = v(),
            "sshauth" => self.sshauth = v(),
            "netcat" => self.netcat = v(),
            "keyfile" => self.keyfile = p(),
            "pkipath" => self.pkipath = p(),
            "known_hosts" => self.known_hosts = p(),
            "known_hosts_verify" => self.known_hosts_verify = Some(value.parse()?),
            "tls_priority" => self.tls_priority = v(),
            "mode" => self.mode = Some(value.parse()?),
            "proxy" => self.proxy = Some(value.parse()?),
            "no_sanity" => self.no_sanity = Some(parse_flag(key, value)?),
            "no_verify" => self.no_verify = Some(parse_flag(key, value)?),
            "no_tty" => self.no_tty = Some(parse_flag(key, value)?),
            "authfile" => self.authfile = p(),
            // `name` is read by Uri::daemon_name; everything else goes to the daemon
            _ => {}
        }
        Ok(())
    }

    fn overlay(&mut self, top: Settings) {
        overlay!(
            self,
            top,
            command,
            socket,
            auth,
            sshauth,
            netcat,
            keyfile,
            pkipath,
            known_hosts,
            known_hosts_verify,
            tls_priority,
            mode,
            proxy,
            no_sanity,
            no_verify,
            no_tty,
            authfile,
        );
    }
}

/// Time limits of a connection; none by default, as in libvirt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Limits {
    connect_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
}

/// libvirt's boolean URI parameters are integers: non-zero is true.
fn parse_flag(key: &str, value: &str) -> Result<bool> {
    value.trim().parse::<i64>().map(|n| n != 0).map_err(|_| {
        Error::config(format!(
            "failed to parse the value of URI component {key}: {value:?}"
        ))
    })
}

/// Everything needed to open a connection: the URI and the client settings.
///
/// Settings come from the URI's parameters (libvirt's names and meanings: `socket`, `mode`,
/// `proxy`, `pkipath`, `no_verify`, …), then, for those the URI leaves unset, from
/// `libvirt.conf` (`remote_mode`, `remote_proxy`, `tls_priority`) when
/// [`resolve`](Self::resolve) or [`apply_client_conf`](Self::apply_client_conf) is used.
/// `Debug` shows no password.
///
/// ```
/// use virtwire::config::{Config, Mode, Transport};
///
/// let c: Config = "qemu+ssh://root@host/system?mode=legacy&no_tty=1".parse()?;
/// assert_eq!(c.transport(), Transport::Ssh);
/// assert_eq!(c.mode(), Mode::Legacy);
/// assert!(c.no_tty());
/// assert_eq!(c.daemon_name().as_deref(), Some("qemu:///system"));
///
/// let c = Config::builder()
///     .uri("qemu+tls://host.example/system")
///     .pkipath("/etc/virtwire/pki")
///     .password("s3cret")
///     .build()?;
/// assert!(!format!("{c:?}").contains("s3cret"));
/// # Ok::<(), virtwire::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    uri: Uri,
    settings: Settings,
    password: Option<SecretString>,
    read_only: bool,
    auth_callback: Option<Arc<dyn AuthCallback>>,
    limits: Limits,
    keepalive: Option<KeepaliveConfig>,
    /// libvirt.conf's defaults were applied (or a ClientConf given): connecting reads no file.
    client_conf_applied: bool,
}

impl Config {
    /// The settings of `uri`'s parameters.
    pub fn new(uri: Uri) -> Result<Config> {
        conf::check_missing_slash(&uri.to_string(), &uri)?;
        Ok(Config {
            settings: Settings::from_uri(&uri)?,
            uri,
            password: None,
            read_only: false,
            auth_callback: None,
            limits: Limits::default(),
            keepalive: Some(KeepaliveConfig::default()),
            client_conf_applied: false,
        })
    }

    /// A builder, for settings given in code.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The connection `virConnectOpen(name)` would make: `name`, else `LIBVIRT_DEFAULT_URI`,
    /// else `uri_default` from `libvirt.conf`, with aliases resolved (see
    /// [`resolve`](super::resolve)), and `libvirt.conf`'s defaults applied.
    pub fn resolve(name: Option<&str>) -> Result<Config> {
        let host = HostEnv::current();
        let client_conf = ClientConf::load_from(&ClientConf::path_for(&host))?;
        let env = std::env::var("LIBVIRT_DEFAULT_URI").ok();
        let text = conf::choose_with(name, &client_conf, env.as_deref(), &host)?;
        // Parsed as a Config, not a bare Uri, so that a `user:password@` password is kept.
        let mut config = Config::parse_str(&text)?;
        config.apply_client_conf(&client_conf)?;
        Ok(config)
    }

    /// Fills the settings still unset from `libvirt.conf`: `remote_mode`, `remote_proxy`,
    /// `tls_priority`.
    pub fn apply_client_conf(&mut self, conf: &ClientConf) -> Result<()> {
        let s = &mut self.settings;
        if s.mode.is_none() {
            s.mode = conf.remote_mode().map(str::parse).transpose()?;
        }
        if s.proxy.is_none() {
            s.proxy = conf.remote_proxy().map(str::parse).transpose()?;
        }
        if s.tls_priority.is_none() {
            s.tls_priority = conf.tls_priority().map(str::to_owned);
        }
        self.client_conf_applied = true;
        Ok(())
    }

    /// The URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The transport to open.
    pub fn transport(&self) -> Transport {
        self.uri.transport()
    }

    /// The name to send to the daemon in CONNECT_OPEN (see [`Uri::daemon_name`]).
    pub fn daemon_name(&self) -> Option<String> {
        self.uri.daemon_name()
    }

    /// True for a read-only connection (the read-only socket, `virt-ssh-helper -r`).
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Sets [`read_only`](Self::read_only).
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    /// How long opening the connection may take, transport, authentication and handshake
    /// together, before it fails with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout)
    /// (`None`, the default: no limit).
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.limits.connect_timeout
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) {
        self.limits.connect_timeout = timeout;
    }

    /// How long each call waits for its reply before failing with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) (`None`, the default: no limit); see
    /// [`RawClient::set_call_timeout`](crate::rpc::RawClient::set_call_timeout).
    pub fn call_timeout(&self) -> Option<Duration> {
        self.limits.call_timeout
    }

    /// Sets [`call_timeout`](Self::call_timeout).
    pub fn set_call_timeout(&mut self, timeout: Option<Duration>) {
        self.limits.call_timeout = timeout;
    }

    /// Keepalive, started when the daemon supports it (`None`: off). The default is
    /// libvirt's: a PING after 5 s of silence, the connection closed after 5 unanswered ones.
    /// Change it later with [`Client::set_keepalive`](crate::Client::set_keepalive).
    pub fn keepalive(&self) -> Option<KeepaliveConfig> {
        self.keepalive
    }

    /// Sets [`keepalive`](Self::keepalive).
    pub fn set_keepalive(&mut self, keepalive: Option<KeepaliveConfig>) {
        self.keepalive = keepalive;
    }

    /// True once `libvirt.conf`'s defaults were applied ([`resolve`](Self::resolve),
    /// [`apply_client_conf`](Self::apply_client_conf), or a [`ClientConf`] given to the
    /// builder); otherwise [connecting](Self::connect) applies the user's `libvirt.conf`.
    pub fn client_conf_applied(&self) -> bool {
        self.client_conf_applied
    }

    /// The password for authentication (from `user:password@` in the URI or the builder).
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(SecretString::expose)
    }

    /// The application's authentication callback (libvirt's `virConnectAuth`), if any: asked
    /// for what the URI, the configuration and libvirt's auth.conf do not give. The libssh2 and
    /// libssh transports ask it for the ssh password, a private key's passphrase, the answers
    /// to keyboard-interactive prompts and whether to accept an unknown host key
    /// ([`KnownHostsVerify::Normal`]); [`Config::connect`](Self::connect)
    /// also passes it to SASL.
    pub fn auth_callback(&self) -> Option<&Arc<dyn AuthCallback>> {
        self.auth_callback.as_ref()
    }

    /// Sets (or, with `None`, removes) the [`auth_callback`](Self::auth_callback).
    pub fn set_auth_callback(&mut self, callback: Option<Arc<dyn AuthCallback>>) {
        self.auth_callback = callback;
    }

    /// `command`: the ssh binary (ssh transport) or the program to run (ext transport).
    pub fn command(&self) -> Option<&str> {
        self.settings.command.as_deref()
    }

    /// `socket`: the daemon's unix socket (local, or on the remote host for ssh).
    pub fn socket(&self) -> Option<&Path> {
        self.settings.socket.as_deref()
    }

    /// `auth`: the authentication method to use (`sasl`, `sasl.MECH`, `polkit`).
    pub fn auth(&self) -> Option<&str> {
        self.settings.auth.as_deref()
    }

    /// `sshauth`: in-process ssh authentication methods, in order.
    pub fn sshauth(&self) -> Option<&str> {
        self.settings.sshauth.as_deref()
    }

    /// `netcat`: the netcat command on the remote host (default `nc`).
    pub fn netcat(&self) -> Option<&str> {
        self.settings.netcat.as_deref()
    }

    /// `keyfile`: the ssh private key.
    pub fn keyfile(&self) -> Option<&Path> {
        self.settings.keyfile.as_deref()
    }

    /// `pkipath`: the folder with `cacert.pem`, `clientcert.pem`, `clientkey.pem` (and
    /// `cacrl.pem`), instead of libvirt's default places.
    pub fn pkipath(&self) -> Option<&Path> {
        self.settings.pkipath.as_deref()
    }

    /// `known_hosts`: the ssh known-hosts file.
    pub fn known_hosts(&self) -> Option<&Path> {
        self.settings.known_hosts.as_deref()
    }

    /// `known_hosts_verify` (in-process ssh).
    pub fn known_hosts_verify(&self) -> KnownHostsVerify {
        self.settings.known_hosts_verify.unwrap_or_default()
    }

    /// `tls_priority`: a GnuTLS priority string; only its protocol versions apply here.
    pub fn tls_priority(&self) -> Option<&str> {
        self.settings.tls_priority.as_deref()
    }

    /// `mode`: which daemon's socket (default auto).
    pub fn mode(&self) -> Mode {
        self.settings.mode.unwrap_or_default()
    }

    /// `proxy`, when set; the ssh transport otherwise chooses as libvirt does.
    pub fn proxy(&self) -> Option<Proxy> {
        self.settings.proxy
    }

    /// `no_sanity`: skip the checks of our own TLS certificate before connecting.
    pub fn no_sanity(&self) -> bool {
        self.settings.no_sanity.unwrap_or(false)
    }

    /// `no_verify`: TLS: don't check the server's certificate; ssh: accept unknown host
    /// keys (`StrictHostKeyChecking=no`).
    pub fn no_verify(&self) -> bool {
        self.settings.no_verify.unwrap_or(false)
    }

    /// `no_tty`: ssh must not ask for a password (`BatchMode=yes`).
    pub fn no_tty(&self) -> bool {
        self.settings.no_tty.unwrap_or(false)
    }

    /// `authfile`: the libvirt auth file with credentials.
    pub fn authfile(&self) -> Option<&Path> {
        self.settings.authfile.as_deref()
    }

    /// The daemon's unix socket for the unix and ssh transports: `socket=`, else the
    /// default for the URI, mode and user (see [`default_socket_path`](super::default_socket_path)).
    pub fn socket_path(&self) -> Result<PathBuf> {
        self.socket_path_on(&HostEnv::current(), &super::host::exists)
    }

    pub(crate) fn socket_path_on(
        &self,
        host: &HostEnv,
        exists: &dyn Fn(&Path) -> bool,
    ) -> Result<PathBuf> {
        if let Some(path) = self.socket() {
            return Ok(path.to_owned());
        }
        let req = self.socket_request(host);
        sockets::socket_path(&req, host, exists)
    }

    pub(crate) fn socket_request(&self, host: &HostEnv) -> SocketRequest<'_> {
        SocketRequest::for_uri(&self.uri, self.mode(), self.read_only, host)
    }

    fn parse_str(s: &str) -> Result<Config> {
        let (uri, password) = Uri::parse_with_password(s)?;
        let mut config = Config::new(uri)?;
        config.password = password.map(SecretString::new);
        Ok(config)
    }
}

impl FromStr for Config {
    type Err = Error;

    /// Parses a URI with its parameters; no alias, environment variable or file is read
    /// (see [`Config::resolve`] for that).
    fn from_str(s: &str) -> Result<Config> {
        Config::parse_str(s)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("uri", &self.uri)
            .field("settings", &self.settings)
            .field("password", &self.password)
            .field("read_only", &self.read_only)
            .field("auth_callback", &callback_shown(&self.auth_callback))
            .field("limits", &self.limits)
            .field("keepalive", &self.keepalive)
            .finish()
    }
}

/// How `Debug` shows an auth callback: only whether there is one.
fn callback_shown(callback: &Option<Arc<dyn AuthCallback>>) -> Option<&'static str> {
    callback.as_ref().map(|_| "<callback>")
}

impl fmt::Display for Config {
    /// The URI (never a password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uri, f)
    }
}

/// Builds a [`Config`]: a URI plus settings that win over the URI's parameters.
#[derive(Default)]
pub struct ConfigBuilder {
    uri: Option<String>,
    settings: Settings,
    password: Option<SecretString>,
    read_only: bool,
    client_conf: Option<ClientConf>,
    auth_callback: Option<Arc<dyn AuthCallback>>,
    limits: Limits,
    keepalive: Option<Option<KeepaliveConfig>>,
}

macro_rules! setters {
    ($( $(#[$doc:meta])* $name:ident: $ty:ty; )+) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                self.settings.$name = Some(value.into());
                self
            }
        )+
    };
}

impl ConfigBuilder {
    /// The connection URI (parsed in [`build`](Self::build)).
    pub fn uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// A read-only connection.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The password for authentication.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(SecretString::new(password.into()));
        self
    }

    /// The [auth callback](Config::auth_callback).
    pub fn auth_callback(mut self, callback: Arc<dyn AuthCallback>) -> Self {
        self.auth_callback = Some(callback);
        self
    }

    /// The [connect timeout](Config::connect_timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.limits.connect_timeout = Some(timeout);
        self
    }

    /// The [call timeout](Config::call_timeout).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.limits.call_timeout = Some(timeout);
        self
    }

    /// [Keepalive](Config::keepalive) (`None`: off).
    pub fn keepalive(mut self, keepalive: Option<KeepaliveConfig>) -> Self {
        self.keepalive = Some(keepalive);
        self
    }

    /// Defaults from this `libvirt.conf` for what is still unset (without it,
    /// [connecting](Config::connect) reads the user's `libvirt.conf`).
    pub fn client_conf(mut self, conf: ClientConf) -> Self {
        self.client_conf = Some(conf);
        self
    }

    setters! {
        /// `command=`.
        command: String;
        /// `socket=`.
        socket: PathBuf;
        /// `auth=`.
        auth: String;
        /// `sshauth=`.
        sshauth: String;
        /// `netcat=`.
        netcat: String;
        /// `keyfile=`.
        keyfile: PathBuf;
        /// `pkipath=`.
        pkipath: PathBuf;
        /// `known_hosts=`.
        known_hosts: PathBuf;
        /// `known_hosts_verify=`.
        known_hosts_verify: KnownHostsVerify;
        /// `tls_priority=`.
        tls_priority: String;
        /// `mode=`.
        mode: Mode;
        /// `proxy=`.
        proxy: Proxy;
        /// `no_sanity=1`.
        no_sanity: bool;
        /// `no_verify=1`.
        no_verify: bool;
        /// `no_tty=1`.
        no_tty: bool;
        /// `authfile=`.
        authfile: PathBuf;
    }

    /// The [`Config`]; fails on an invalid URI or parameter, or without a URI.
    pub fn build(self) -> Result<Config> {
        let uri = self
            .uri
            .ok_or_else(|| Error::config("the configuration has no URI"))?;
        let mut config = Config::parse_str(&uri)?;
        config.settings.overlay(self.settings);
        if self.password.is_some() {
            config.password = self.password;
        }
        config.read_only = self.read_only;
        config.auth_callback = self.auth_callback;
        config.limits = self.limits;
        if let Some(keepalive) = self.keepalive {
            config.keepalive = keepalive;
        }
        if let Some(conf) = &self.client_conf {
            config.apply_client_conf(conf)?;
        }
        Ok(config)
    }
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("uri", &self.uri)
            .field("settings", &self.settings)
            .field("password", &self.password)
            .field("read_only", &self.read_only)
            .field("auth_callback", &callback_shown(&self.auth_callback))
            .field("limits", &self.limits)
            .field("keepalive", &self.keepalive)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_keeps_the_password_of_a_full_uri() {
        let c = Config::resolve(Some("qemu+tcp://bob:s3cret@h/system")).unwrap();
        assert_eq!(c.password(), Some("s3cret"));
        assert_eq!(c.uri().user(), Some("bob"));
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    fn config(s: &str) -> Config {
        s.parse().unwrap()
    }

    /// Every parameter of libvirt's documentation, with the meaning it has there.
    #[test]
    fn documented_parameters() {
        let c = config(
            "qemu+ssh://user@host/system?command=/opt/openssh/bin/ssh&socket=/opt/s\
             &netcat=/opt/netcat/bin/nc&keyfile=/root/.ssh/example_key&no_verify=1&no_tty=1\
             &known_hosts=/root/.ssh/known_hosts&known_hosts_verify=ignore\
             &sshauth=privkey,agent&mode=direct&proxy=netcat&auth=sasl.scram-sha-256\
             &authfile=/a&pkipath=/tmp/pki/client&tls_priority=NORMAL:-VERS-SSL3.0\
             &no_sanity=1&name=qemu:///system&other=x",
        );
        assert_eq!(c.command(), Some("/opt/openssh/bin/ssh"));
        assert_eq!(c.socket(), Some(Path::new("/opt/s")));
        assert_eq!(c.netcat(), Some("/opt/netcat/bin/nc"));
        assert_eq!(c.keyfile(), Some(Path::new("/root/.ssh/example_key")));
        assert!(c.no_verify() && c.no_tty() && c.no_sanity());
        assert_eq!(c.known_hosts(), Some(Path::new("/root/.ssh/known_hosts")));
        assert_eq!(c.known_hosts_verify(), KnownHostsVerify::Ignore);
        assert_eq!(c.sshauth(), Some("privkey,agent"));
        assert_eq!(c.mode(), Mode::Direct);
        assert_eq!(c.proxy(), Some(Proxy::Netcat));
        assert_eq!(c.auth(), Some("sasl.scram-sha-256"));
        assert_eq!(c.authfile(), Some(Path::new("/a")));
        assert_eq!(c.pkipath(), Some(Path::new("/tmp/pki/client")));
        assert_eq!(c.tls_priority(), Some("NORMAL:-VERS-SSL3.0"));
        assert_eq!(c.daemon_name().as_deref(), Some("qemu:///system"));
    }

    #[test]
    fn defaults() {
        let c = config("qemu:///system");
        assert_eq!(c.mode(), Mode::Auto);
        assert_eq!(c.proxy(), None);
        assert!(!c.no_verify() && !c.no_tty() && !c.no_sanity() && !c.read_only());
        assert_eq!(c.known_hosts_verify(), KnownHostsVerify::Normal);
    }

    #[test]
    fn flags_are_integers_and_zero_is_false() {
        assert!(!config("qemu+tls://h/system?no_verify=0").no_verify());
        assert!(config("qemu+tls://h/system?no_verify=2").no_verify());
        for bad in ["yes", "", "1x"] {
            let e = format!("qemu+tls://h/system?no_verify={bad}")
                .parse::<Config>()
                .unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config, "{bad}");
        }
    }

    #[test]
    fn invalid_enumerations_are_config_errors() {
        for s in [
            "qemu:///system?mode=modular",
            "qemu+ssh://h/system?proxy=socat",
            "qemu+libssh2://h/system?known_hosts_verify=maybe",
            "qemu://system",
        ] {
            assert_eq!(
                s.parse::<Config>().unwrap_err().kind(),
                crate::ErrorKind::Config,
                "{s}"
            );
        }
    }

    #[test]
    fn libvirt_conf_fills_only_what_the_uri_leaves_unset() {
        let lc = ClientConf::parse(
            "remote_mode = \"legacy\"\nremote_proxy = \"native\"\ntls_priority = \"NORMAL\"",
        )
        .unwrap();
        let mut c = config("qemu+ssh://h/system?mode=auto");
        c.apply_client_conf(&lc).unwrap();
        assert_eq!(c.mode(), Mode::Auto);
        assert_eq!(c.proxy(), Some(Proxy::Native));
        assert_eq!(c.tls_priority(), Some("NORMAL"));
        let bad = ClientConf::parse("remote_mode = \"sideways\"").unwrap();
        assert!(config("qemu:///system").apply_client_conf(&bad).is_err());
    }

    #[test]
    fn builder_settings_win_over_the_uri() {
        let c = Config::builder()
            .uri("qemu+ssh://h/system?no_tty=0&socket=/a")
            .no_tty(true)
            .socket("/b")
            .read_only(true)
            .build()
            .unwrap();
        assert!(c.no_tty());
        assert_eq!(c.socket(), Some(Path::new("/b")));
        assert!(c.read_only());
        assert!(Config::builder().build().is_err());
    }

    #[test]
    fn debug_redacts_passwords() {
        let c = config("qemu+tcp://alice:hunter2@h/system");
        assert_eq!(c.password(), Some("hunter2"));
        assert_eq!(c.uri().user(), Some("alice"));
        let shown = format!("{c:?} {c} {:?}", c.uri());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");

        let b = Config::builder().uri("qemu:///system").password("hunter2");
        assert!(!format!("{b:?}").contains("hunter2"));
        let c = b.build().unwrap();
        assert_eq!(c.password(), Some("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn auth_callback_is_kept_and_not_shown() {
        use crate::config::StaticCredentials;
        let cb: Arc<dyn AuthCallback> = Arc::new(StaticCredentials::new("alice", "hunter2"));
        let b = Config::builder()
            .uri("qemu+libssh2://h/system")
            .auth_callback(Arc::clone(&cb));
        assert!(format!("{b:?}").contains("<callback>"));
        let mut c = b.build().unwrap();
        assert!(c.auth_callback().is_some_and(|got| Arc::ptr_eq(got, &cb)));
        let shown = format!("{c:?}");
        assert!(
            shown.contains("auth_callback: Some(\"<callback>\")"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        c.set_auth_callback(None);
        assert!(c.auth_callback().is_none());
        assert!(config("qemu:///system").auth_callback().is_none());
    }

    #[test]
    fn socket_path_prefers_the_parameter() {
        let host = HostEnv::default();
        let none = |_: &Path| false;
        let c = config("qemu+unix:///system?socket=/x/sock");
        assert_eq!(
            c.socket_path_on(&host, &none).unwrap(),
            Path::new("/x/sock")
        );
        let mut c = config("qemu:///system");
        c.set_read_only(true);
        assert_eq!(
            c.socket_path_on(&host, &none).unwrap(),
            Path::new("/var/run/libvirt/libvirt-sock-ro")
        );
    }
}
