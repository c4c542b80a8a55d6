//! What a connection is opened with: the URI, the client settings that come with it (URI
//! parameters, `libvirt.conf`, code), and the credentials for authentication (auth.conf, the
//! application's callback). Both the transports and authentication read this; it reads neither.
//!
//! - [`Uri`]: libvirt's URI grammar, `driver[+transport]://[user@][host][:port]/[path][?params]`,
//!   and the name the daemon is sent (`test+unix:///default?socket=/s` reaches it as
//!   `test:///default`).
//! - [`Config`] (built with [`Config::builder`], parsed from a URI, or [`Config::resolve`]d as
//!   `virConnectOpen` resolves a name): the URI, libvirt's client parameters (`socket`, `mode`,
//!   `proxy`, `pkipath`, `no_verify`, …), read-only, the auth callback, timeouts and keepalive.
//! - [`ClientConf`]: `libvirt.conf` (`uri_default`, `uri_aliases`, `remote_mode`,
//!   `remote_proxy`, `tls_priority`), and [`resolve`], which picks the URI from a name, an
//!   alias, `LIBVIRT_DEFAULT_URI` or `uri_default`.
//! - [`AuthConfig`]: libvirt's `auth.conf` ([`default_path`] says which file).
//! - [`AuthCallback`], [`Credential`], [`SecretString`]: what the application answers when asked.
//! - [`default_socket_path`]: where the daemon's unix socket is without `socket=`, as libvirt's
//!   client decides it (legacy libvirtd or a modular daemon such as virtqemud, system or
//!   per-user).

mod auth_conf;
mod credentials;
pub(crate) mod host;
mod libvirt_conf;
mod settings;
pub(crate) mod sockets;
mod uri;

#[cfg(feature = "libssh2")]
pub(crate) use auth_conf::default_path_for;
pub use auth_conf::{AuthConfig, default_path};
pub(crate) use credentials::CredentialSource;
pub use credentials::{
    AuthCallback, CallbackError, Credential, CredentialType, SecretString, StaticCredentials,
};
pub use libvirt_conf::{ClientConf, resolve};
pub use settings::{Config, ConfigBuilder, KnownHostsVerify, Proxy};
pub use sockets::{Mode, default_socket_path};
pub use uri::{CLIENT_PARAMS, Transport, Uri, is_client_param};
