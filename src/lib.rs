//! # virtwire
//!
//! A pure-Rust, async client for libvirtd's remote protocol: manage virtual machines on any host
//! that runs libvirtd, without linking libvirt's C library.
//!
//! ```no_run
//! # async fn demo() -> virtwire::Result<()> {
//! use virtwire::Client;
//!
//! let client = Client::connect("qemu:///system").await?;
//! for dom in client.list_all_domains(Default::default()).await? {
//!     let info = dom.info().await?;
//!     println!("{}: {:?}, {} KiB", dom.name(), info.state, info.memory_kib);
//! }
//! client.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Connecting
//!
//! [`Client::connect`] takes a URI (or a libvirt.conf alias); for anything more, build a
//! [`config::Config`] and [connect](config::Config::connect) it; over a stream the application
//! opened itself, use [`Client::connect_stream`]. All three read libvirt.conf and auth.conf as
//! libvirt does.
//!
//! ```no_run
//! # async fn demo() -> virtwire::Result<()> {
//! use std::time::Duration;
//! use virtwire::config::Config;
//!
//! let client = Config::builder()
//!     .uri("qemu+ssh://root@host.example/system")
//!     .read_only(true)
//!     .connect_timeout(Duration::from_secs(10))
//!     .call_timeout(Duration::from_secs(30))
//!     .build()?
//!     .connect()
//!     .await?;
//! match client.lookup_domain_by_name("web").await {
//!     Err(e) if e.is_not_found() => println!("no such domain"),
//!     other => println!("{:?}", other?.info().await?),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Layers
//!
//! - [`proto`]: the XDR runtime, the types generated from libvirt's protocol definitions, and
//!   packet framing. No I/O, no tokio.
//! - [`config`]: what a connection is opened with: the URI, libvirt's client settings and
//!   files (`libvirt.conf`, `auth.conf`), credentials and the auth callback.
//! - [`transport`]: turns a [`config::Config`] into a byte stream (`AsyncRead + AsyncWrite`).
//! - [`rpc`]: the connection driver and [`rpc::RawClient`], which makes any procedure call,
//!   with many calls in flight on one connection.
//! - The typed API at the crate root: [`Client`], [`Domain`], …
#![warn(missing_docs)]

mod api;
mod auth;
pub mod config;
mod error;
pub mod proto;
pub mod rpc;
pub mod transport;

pub use api::events;
pub use api::migration;
pub use api::{
    BlockJobInfo, Client, DeviceRemoval, Domain, DomainBlockInfo, DomainBlockStats,
    DomainCheckpoint, DomainControlInfo, DomainDiskError, DomainFsInfo, DomainInfo,
    DomainInterface, DomainInterfaceStats, DomainJobInfo, DomainJobStats, DomainMemoryStat,
    DomainSnapshot, DomainState, DomainStatsBlock, DomainStatsNet, DomainStatsRecord, DomainTime,
    Interface, IothreadInfo, MemoryStatTag, Network, NetworkDhcpLease, NetworkPort, NodeCpuMap,
    NodeDevice, NodeInfo, NwFilter, NwFilterBinding, Screenshot, Secret, SecurityLabel,
    SecurityModel, StoragePool, StoragePoolInfo, StorageVol, StorageVolInfo, Stream, TypedParams,
    TypedValue, VcpuInfo, VcpuPinInfo,
};
pub use error::{CloseReason, Error, ErrorKind, Result};
/// The flag sets libvirt's calls take (`virConnectListAllDomainsFlags` →
/// [`flags::ConnectListAllDomainsFlags`]): one type per set, combined with `|`;
/// `Default::default()` is no flag; bits without a name are kept as they are.
pub use proto::generated::c_flags as flags;
pub use proto::remote_error::{ErrorCode, ErrorDomain, ErrorLevel, RemoteError};
pub use rpc::KeepaliveConfig;

/// Entry points of the SASL mechanisms for the fuzz targets in `fuzz/` (cargo feature
/// `fuzzing`; not part of the API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use auth::sasl_fuzzing;
