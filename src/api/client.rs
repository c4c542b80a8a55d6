//! A connection to a hypervisor driver through libvirtd.

use std::sync::Arc;

use crate::api::{Domain, NodeInfo};
use crate::auth;
use crate::config::{ClientConf, Config, Uri};
use crate::error::{CloseReason, Error, Result};
use crate::proto::remote;
use crate::proto::xdr::{FixedOpaque, XdrString};
use crate::rpc::{self, KeepaliveConfig, RawClient};
use crate::transport::{self, BoxStream};

/// `VIR_DRV_FEATURE_PROGRAM_KEEPALIVE`: asked before opening, as libvirt's client does.
const FEATURE_PROGRAM_KEEPALIVE: i32 = 10;

/// How to open a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectFlags {
    /// Open read-only (`VIR_CONNECT_RO`): the read-only socket, and the read-only flag in
    /// CONNECT_OPEN. Calls that change anything are refused by the daemon.
    pub read_only: bool,
}

impl ConnectFlags {
    fn open_flags(self) -> u32 {
        u32::from(self.read_only)
    }
}

/// A connection to libvirtd, opened on a hypervisor driver (`qemu:///system`,
/// `test:///default`, …).
///
/// `Clone + Send + Sync`: clones share one connection, and calls from many tasks proceed
/// concurrently on it. The connection closes when [`close`](Self::close) is called or the last
/// clone (and every [`Domain`] from it) is dropped.
#[derive(Clone, Debug)]
pub struct Client {
    raw: RawClient,
}

impl Client {
    /// Connects to `uri` and opens the driver it names, the way `virConnectOpen` resolves a
    /// name: `uri` may be a full URI (`qemu:///system`,
    /// `test+unix:///default?socket=/path`, `qemu+ssh://root@host/system`, …) or an alias from
    /// libvirt.conf; an empty string means `LIBVIRT_DEFAULT_URI`, then `uri_default`, then
    /// libvirt's default. Spawns the connection's driver on the current tokio runtime.
    pub async fn connect(uri: &str) -> Result<Client> {
        Self::connect_config(&Self::resolve(uri)?).await
    }

    /// Like [`connect`](Self::connect), read-only.
    pub async fn connect_read_only(uri: &str) -> Result<Client> {
        let mut config = Self::resolve(uri)?;
        config.set_read_only(true);
        Self::connect_config(&config).await
    }

    fn resolve(uri: &str) -> Result<Config> {
        Config::resolve((!uri.is_empty()).then_some(uri))
    }

    /// Connects to a parsed `uri` with `flags`.
    pub async fn connect_with(uri: &Uri, flags: ConnectFlags) -> Result<Client> {
        let mut config = Config::new(uri.clone())?;
        config.set_read_only(flags.read_only);
        Self::connect_config(&config).await
    }

    /// Connects as `config` says (transport settings, read-only, credentials, and the
    /// [auth callback](Config::auth_callback), which both the in-process ssh transports and
    /// SASL ask).
    pub async fn connect_config(config: &Config) -> Result<Client> {
        let open = async {
            let stream = transport::connect_with(config).await?;
            let stream =
                auth::authenticate_with(stream, config.uri(), config.auth_callback().cloned())
                    .await?;
            let flags = ConnectFlags {
                read_only: config.read_only(),
            };
            let client =
                Self::open_authenticated(stream, config.daemon_name().as_deref(), flags).await?;
            client.raw.set_call_timeout(config.call_timeout());
            Ok(client)
        };
        match config.connect_timeout() {
            None => open.await,
            Some(limit) => tokio::time::timeout(limit, open).await.map_err(|_| {
                Error::timeout(format!(
                    "connecting to {} took longer than the connect timeout of {limit:?}",
                    config.uri()
                ))
            })?,
        }
    }

    /// Like [`connect_with`](Self::connect_with) (with the defaults of the user's
    /// `libvirt.conf`), asking `auth` for what the URI and libvirt's auth.conf do not give, as
    /// libvirt's `virConnectOpenAuth` does: SASL's authentication name and password, and for
    /// the libssh2 and libssh transports the ssh password, a key's passphrase and whether to
    /// accept an unknown host key (see [`Config::auth_callback`]).
    pub async fn connect_with_auth(
        uri: &Uri,
        flags: ConnectFlags,
        auth: Arc<dyn crate::config::AuthCallback>,
    ) -> Result<Client> {
        let mut config = Config::new(uri.clone())?;
        config.apply_client_conf(&ClientConf::load()?)?;
        config.set_read_only(flags.read_only);
        config.set_auth_callback(Some(auth));
        Self::connect_config(&config).await
    }

    /// Runs libvirt's opening handshake over an already-connected `stream` (authentication
    /// "none" only: use [`connect_with`](Self::connect_with) for the other methods) and opens
    /// driver `name` (`None`: the daemon's default). Spawns the connection's driver.
    pub async fn open_stream(
        stream: BoxStream,
        name: Option<&str>,
        flags: ConnectFlags,
    ) -> Result<Client> {
        let uri: Uri = "remote:///".parse()?;
        let stream = auth::authenticate(stream, &uri).await?;
        Self::open_authenticated(stream, name, flags).await
    }

    /// Starts the driver on an authenticated stream, asks for keepalive support and opens the
    /// driver `name` (CONNECT_OPEN).
    async fn open_authenticated(
        stream: BoxStream,
        name: Option<&str>,
        flags: ConnectFlags,
    ) -> Result<Client> {
        let (raw, conn) = rpc::connect_raw(stream);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
        let client = Client { raw };
        let keepalive = client
            .raw
            .connect_supports_feature(&remote::ConnectSupportsFeatureArgs {
                feature: FEATURE_PROGRAM_KEEPALIVE,
            })
            .await?;
        if keepalive.supported != 0 {
            // As libvirt's client does by default: PING after 5 s of silence, give up after
            // 5 unanswered PINGs.
            client.raw.set_keepalive(Some(KeepaliveConfig::default()));
        }
        let name = name.map(XdrString::try_from).transpose()?;
        client
            .raw
            .connect_open(&remote::ConnectOpenArgs {
                name,
                flags: flags.open_flags(),
            })
            .await?;
        Ok(client)
    }

    /// Waits until the connection ends (daemon gone, keepalive timeout, transport error, or
    /// closed by the client) and returns the error later calls get; its
    /// [`close_reason`](crate::Error::close_reason) says why.
    pub async fn closed(&self) -> crate::Error {
        self.raw.closed().await
    }

    /// Changes keepalive (`None` turns it off); see [`RawClient::set_keepalive`].
    pub fn set_keepalive(&self, config: Option<KeepaliveConfig>) {
        self.raw.set_keepalive(config);
    }

    /// The raw protocol: one method per procedure.
    pub fn raw(&self) -> &RawClient {
        &self.raw
    }

    /// Closes the driver on the daemon (CONNECT_CLOSE). Calls through other clones then get the
    /// daemon's error, and event streams end with a close error; the transport itself closes
    /// when the last clone (and event stream) is dropped.
    pub async fn close(&self) -> Result<()> {
        let result = self.raw.connect_close().await;
        // The daemon has dropped every event callback of the connection: end the streams.
        self.raw.end_events(&rpc::Closed::plain(
            CloseReason::Client,
            "the connection was closed by the client",
        ));
        match result {
            // Proxies such as virt-ssh-helper may end the link before the reply gets through;
            // the daemon has closed the driver either way (libvirt's client ignores this too).
            Err(e) if e.close_reason() == Some(CloseReason::Eof) => Ok(()),
            other => other,
        }
    }

    /// The version of libvirt the daemon runs, as `major * 1_000_000 + minor * 1000 + micro`.
    pub async fn lib_version(&self) -> Result<u64> {
        Ok(self.raw.connect_get_lib_version().await?.lib_ver)
    }

    /// The hypervisor's version, same encoding as [`lib_version`](Self::lib_version).
    pub async fn hypervisor_version(&self) -> Result<u64> {
        Ok(self.raw.connect_get_version().await?.hv_ver)
    }

    /// The driver's name (`QEMU`, `TEST`, …).
    pub async fn driver_type(&self) -> Result<String> {
        Ok(self.raw.connect_get_type().await?.r#type.into_inner())
    }

    /// The canonical URI of the open driver.
    pub async fn uri(&self) -> Result<String> {
        Ok(self.raw.connect_get_uri().await?.uri.into_inner())
    }

    /// The host's name.
    pub async fn hostname(&self) -> Result<String> {
        Ok(self.raw.connect_get_hostname().await?.hostname.into_inner())
    }

    /// The capabilities XML of the host and hypervisor.
    pub async fn capabilities(&self) -> Result<String> {
        Ok(self
            .raw
            .connect_get_capabilities()
            .await?
            .capabilities
            .into_inner())
    }

    /// The host's CPU and memory.
    pub async fn node_info(&self) -> Result<NodeInfo> {
        Ok(self.raw.node_get_info().await?.into())
    }

    /// Every domain matching `flags` (libvirt's `VIR_CONNECT_LIST_DOMAINS_*`; 0 = all).
    pub async fn list_all_domains(&self, flags: u32) -> Result<Vec<Domain>> {
        let ret = self
            .raw
            .connect_list_all_domains(&remote::ConnectListAllDomainsArgs {
                need_results: 1,
                flags,
            })
            .await?;
        Ok(ret
            .domains
            .into_iter()
            .map(|d| Domain::new(self.clone(), d))
            .collect())
    }

    /// The domain named `name`.
    pub async fn lookup_domain_by_name(&self, name: &str) -> Result<Domain> {
        let ret = self
            .raw
            .domain_lookup_by_name(&remote::DomainLookupByNameArgs {
                name: XdrString::try_from(name)?,
            })
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }

    /// The domain with `uuid`.
    pub async fn lookup_domain_by_uuid(&self, uuid: [u8; 16]) -> Result<Domain> {
        let ret = self
            .raw
            .domain_lookup_by_uuid(&remote::DomainLookupByUuidArgs {
                uuid: FixedOpaque(uuid),
            })
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }

    /// The running domain with `id`.
    pub async fn lookup_domain_by_id(&self, id: i32) -> Result<Domain> {
        let ret = self
            .raw
            .domain_lookup_by_id(&remote::DomainLookupByIdArgs { id })
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }

    /// Defines (makes persistent, without starting) the domain described by `xml`.
    pub async fn define_domain_xml(&self, xml: &str) -> Result<Domain> {
        self.define_domain_xml_flags(xml, 0).await
    }

    /// Like [`define_domain_xml`](Self::define_domain_xml) with `VIR_DOMAIN_DEFINE_*` flags.
    pub async fn define_domain_xml_flags(&self, xml: &str, flags: u32) -> Result<Domain> {
        let ret = self
            .raw
            .domain_define_xml_flags(&remote::DomainDefineXmlFlagsArgs {
                xml: XdrString::try_from(xml)?,
                flags,
            })
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }

    /// Creates and starts a transient domain from `xml` (`VIR_DOMAIN_START_*` flags).
    pub async fn create_domain_xml(&self, xml: &str, flags: u32) -> Result<Domain> {
        let ret = self
            .raw
            .domain_create_xml(&remote::DomainCreateXmlArgs {
                xml_desc: XdrString::try_from(xml)?,
                flags,
            })
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }
}
