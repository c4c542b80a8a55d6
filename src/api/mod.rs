//! The typed API: connections, domains, and the values they return.

mod client;
mod connect;
mod domain;
mod domain_devices;
mod domain_fds;
mod domain_params;
mod domain_stats;
mod domain_streams;
pub mod events;
mod generated;
mod info;
pub mod migration;
mod node;
mod objects;
mod snapshots;
mod storage_vol;
mod stream;
mod typed_params;
mod vol_files;

pub use client::Client;
pub use domain::{Domain, DomainInfo, DomainState};
pub use domain_devices::DeviceRemoval;
pub use domain_params::VcpuInfo;
pub use domain_stats::{DomainStatsBlock, DomainStatsNet, DomainStatsRecord};
pub use domain_streams::Screenshot;
pub(crate) use info::Lift;
pub use info::{
    BlockJobInfo, DomainBlockInfo, DomainBlockStats, DomainControlInfo, DomainDiskError,
    DomainFsInfo, DomainInterface, DomainInterfaceStats, DomainJobInfo, DomainJobStats,
    DomainMemoryStat, DomainTime, IothreadInfo, MemoryStatTag, NetworkDhcpLease, NodeCpuMap,
    SecurityLabel, SecurityModel, StoragePoolInfo, VcpuPinInfo,
};
pub use node::NodeInfo;
pub use objects::{
    DomainCheckpoint, DomainSnapshot, Interface, Network, NetworkPort, NodeDevice, NwFilter,
    NwFilterBinding, Secret, StoragePool,
};
pub use storage_vol::{StorageVol, StorageVolInfo};
pub use stream::Stream;
pub use typed_params::{TypedParams, TypedValue};
