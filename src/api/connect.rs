//! Opening a connection, one way for every case: [`Client::connect`] with a URI,
//! [`Config::connect`] for everything else, [`Client::connect_stream`] for a stream the
//! application brings. All three open the daemon the same way: the transport, authentication
//! (auth.conf, then the config's auth callback), CONNECT_SUPPORTS_FEATURE(keepalive),
//! CONNECT_OPEN with the read-only flag, under the config's connect timeout.

use std::future::Future;
use std::sync::Arc;

use crate::api::Client;
use crate::auth;
use crate::config::{ClientConf, Config};
use crate::error::{Error, Result};
use crate::flags as c_flags;
use crate::proto::remote;
use crate::proto::xdr::XdrString;
use crate::rpc;
use crate::rpc::fds::{FdChannel, UnixFdStream};
use crate::transport::{self, BoxStream, Stream};

/// `VIR_DRV_FEATURE_PROGRAM_KEEPALIVE`: asked before opening, as libvirt's client does.
const FEATURE_PROGRAM_KEEPALIVE: i32 = 10;

impl Client {
    /// Connects to `uri` and opens the driver it names, the way `virConnectOpen` resolves a
    /// name: `uri` may be a full URI (`qemu:///system`,
    /// `test+unix:///default?socket=/path`, `qemu+ssh://root@host/system`, …) or an alias from
    /// libvirt.conf; an empty string means `LIBVIRT_DEFAULT_URI`, then `uri_default`, then
    /// libvirt's default. Settings the URI leaves unset come from libvirt.conf, credentials
    /// from auth.conf. Spawns the connection's driver on the current tokio runtime.
    ///
    /// For anything more (read-only, an auth callback, timeouts, keepalive), build a
    /// [`Config`] and call [`Config::connect`].
    pub async fn connect(uri: &str) -> Result<Client> {
        Config::resolve((!uri.is_empty()).then_some(uri))?
            .connect()
            .await
    }

    /// Opens the daemon over `stream`, a link the application made itself (a socket, a
    /// tunnel, …), as `config` says: authentication with `config`'s URI parameters
    /// (`auth=`, `authfile=`) and auth callback, then the driver named by `config`'s URI,
    /// read-only or not, with its timeouts and keepalive. The transport settings of `config`
    /// are not used.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use virtwire::Client;
    /// use virtwire::config::Config;
    ///
    /// let stream = tokio::net::UnixStream::connect("/run/libvirt/libvirt-sock").await?;
    /// let config: Config = "test:///default".parse()?;
    /// let client = Client::connect_stream(stream, &config).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A [`tokio::net::UnixStream`] can pass file descriptors
    /// ([`Domain::open_graphics_fd`](crate::Domain::open_graphics_fd), …), as the unix
    /// transport does; other streams cannot.
    pub async fn connect_stream<S: Stream>(stream: S, config: &Config) -> Result<Client> {
        let any: Box<dyn std::any::Any> = Box::new(stream);
        let (stream, fds): (BoxStream, _) = match any.downcast::<tokio::net::UnixStream>() {
            Ok(unix) => {
                let channel = std::sync::Arc::new(FdChannel::default());
                let stream = UnixFdStream::new(*unix, channel.clone())
                    .map_err(|e| Error::io("cannot watch the unix socket", e))?;
                (Box::new(stream), Some(channel))
            }
            Err(other) => match other.downcast::<S>() {
                Ok(s) => (s, None),
                Err(_) => unreachable!("the stream is an S"),
            },
        };
        within_connect_timeout(config, open(stream, fds, config)).await
    }
}

impl Config {
    /// Connects as this configuration says: the transport and its settings, read-only, the
    /// [auth callback](Config::auth_callback) (asked by SASL and the in-process ssh
    /// transports), [timeouts](Config::connect_timeout) and [keepalive](Config::keepalive).
    /// Settings left unset are taken from the user's libvirt.conf, as [`Client::connect`]
    /// does, unless a [`ClientConf`] was given to the builder.
    ///
    /// ```no_run
    /// # async fn demo() -> virtwire::Result<()> {
    /// use std::time::Duration;
    /// use virtwire::config::Config;
    ///
    /// let client = Config::builder()
    ///     .uri("qemu+ssh://root@host.example/system")
    ///     .read_only(true)
    ///     .connect_timeout(Duration::from_secs(10))
    ///     .call_timeout(Duration::from_secs(30))
    ///     .build()?
    ///     .connect()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(&self) -> Result<Client> {
        let mut config = self.clone();
        if !config.client_conf_applied() {
            config.apply_client_conf(&ClientConf::load()?)?;
        }
        within_connect_timeout(&config, async {
            let (stream, fds) = transport::open_with_fds(&config).await?;
            open(stream, fds, &config).await
        })
        .await
    }
}

/// Runs `open` under `config`'s connect timeout.
async fn within_connect_timeout(
    config: &Config,
    open: impl Future<Output = Result<Client>>,
) -> Result<Client> {
    let Some(limit) = config.connect_timeout() else {
        return open.await;
    };
    tokio::time::timeout(limit, open).await.map_err(|_| {
        Error::timeout(format!(
            "connecting to {} took longer than the connect timeout of {limit:?}",
            config.uri()
        ))
    })?
}

/// Authenticates on `stream`, starts the driver, asks for keepalive support and opens the
/// driver `config` names (CONNECT_OPEN). `fds`: the stream's descriptor channel, used unless
/// authentication wraps the stream in a security layer.
async fn open(stream: BoxStream, fds: Option<Arc<FdChannel>>, config: &Config) -> Result<Client> {
    let (stream, layered) =
        auth::authenticate(stream, config.uri(), config.auth_callback().cloned()).await?;
    let (raw, conn) = rpc::connect_with_fds(stream, fds.filter(|_| !layered));
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
    raw.set_call_timeout(config.call_timeout());
    let supported = raw
        .connect_supports_feature(&remote::ConnectSupportsFeatureArgs {
            feature: FEATURE_PROGRAM_KEEPALIVE,
        })
        .await?
        .supported;
    if supported != 0 {
        raw.set_keepalive(config.keepalive());
    }
    let name = config
        .daemon_name()
        .as_deref()
        .map(XdrString::try_from)
        .transpose()?;
    let flags = if config.read_only() {
        c_flags::ConnectFlags::RO
    } else {
        c_flags::ConnectFlags::empty()
    };
    raw.connect_open(&remote::ConnectOpenArgs { name, flags })
        .await?;
    Ok(Client::from_raw(raw))
}
