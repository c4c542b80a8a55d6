//! A connection to a hypervisor driver through libvirtd.

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::api::{Domain, NodeInfo};
use crate::error::{CloseReason, Result};
use crate::flags as c_flags;
use crate::proto::remote;
use crate::proto::xdr::{FixedOpaque, XdrString};
use crate::rpc::{self, KeepaliveConfig, RawClient};

/// A connection to libvirtd, opened on a hypervisor driver (`qemu:///system`,
/// `test:///default`, …).
///
/// `Clone + Send + Sync`: clones share one connection, and calls from many tasks proceed
/// concurrently on it. The connection closes when [`close`](Self::close) is called or the last
/// clone (and every [`Domain`] from it) is dropped.
#[derive(Clone, Debug)]
pub struct Client {
    raw: RawClient,
    /// Whether the driver takes string typed parameters, asked once.
    typed_param_string: Arc<OnceCell<bool>>,
}

/// `VIR_DRV_FEATURE_TYPED_PARAM_STRING`, libvirt's private feature number (CONNECT_SUPPORTS_FEATURE).
const FEATURE_TYPED_PARAM_STRING: i32 = 9;

/// `VIR_TYPED_PARAM_STRING_OKAY`: the caller accepts string parameters in the reply.
const TYPED_PARAM_STRING_OKAY: u32 = 1 << 2;

impl Client {
    pub(super) fn from_raw(raw: RawClient) -> Client {
        Client {
            raw,
            typed_param_string: Arc::default(),
        }
    }

    /// `VIR_TYPED_PARAM_STRING_OKAY` if the driver supports string typed parameters, else 0:
    /// the flag libvirt's client adds to get-parameter calls. Asked once per connection.
    pub(crate) async fn typed_param_string_flag(&self) -> Result<u32> {
        let supported = self
            .typed_param_string
            .get_or_try_init(|| async {
                let args = remote::ConnectSupportsFeatureArgs {
                    feature: FEATURE_TYPED_PARAM_STRING,
                };
                let ret = self.raw.connect_supports_feature(&args).await?;
                Ok::<_, crate::Error>(ret.supported > 0)
            })
            .await?;
        Ok(if *supported {
            TYPED_PARAM_STRING_OKAY
        } else {
            0
        })
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

    /// Every domain matching `flags` (`Default::default()`: all of them; `ACTIVE`: the running
    /// ones; several filters combine with `|`).
    pub async fn list_all_domains(
        &self,
        flags: c_flags::ConnectListAllDomainsFlags,
    ) -> Result<Vec<Domain>> {
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

    /// Defines (makes persistent, without starting) the domain described by `xml`
    /// (`virDomainDefineXML`, the call without flags).
    pub async fn define_domain_xml(&self, xml: &str) -> Result<Domain> {
        let ret = self
            .raw
            .domain_define_xml(&remote::DomainDefineXmlArgs {
                xml: XdrString::try_from(xml)?,
            })
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }

    /// Like [`define_domain_xml`](Self::define_domain_xml) with flags (`VALIDATE`: check the
    /// XML against the schema).
    pub async fn define_domain_xml_flags(
        &self,
        xml: &str,
        flags: c_flags::DomainDefineFlags,
    ) -> Result<Domain> {
        let ret = self
            .raw
            .domain_define_xml_flags(&remote::DomainDefineXmlFlagsArgs {
                xml: XdrString::try_from(xml)?,
                flags,
            })
            .await?;
        Ok(Domain::new(self.clone(), ret.dom))
    }

    /// Creates and starts a transient domain from `xml` (flags: start paused, autodestroy, …).
    pub async fn create_domain_xml(
        &self,
        xml: &str,
        flags: c_flags::DomainCreateFlags,
    ) -> Result<Domain> {
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
