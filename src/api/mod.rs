//! The typed API: connections, domains, and the values they return.

mod client;
mod connect;
mod domain;
mod domain_devices;
mod domain_fds;
mod domain_streams;
pub mod events;
mod generated;
mod node;
mod objects;
mod snapshots;
mod storage_vol;
mod stream;
mod vol_files;

pub use client::Client;
pub use domain::{Domain, DomainInfo, DomainState};
pub use domain_devices::DeviceRemoval;
pub use domain_streams::Screenshot;
pub use node::NodeInfo;
pub use objects::{
    DomainCheckpoint, DomainSnapshot, Interface, Network, NetworkPort, NodeDevice, NwFilter,
    NwFilterBinding, Secret, StoragePool,
};
pub use storage_vol::{StorageVol, StorageVolInfo};
pub use stream::Stream;
