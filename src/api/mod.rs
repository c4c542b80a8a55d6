//! The typed API: connections, domains, and the values they return.

mod client;
mod domain;
pub mod events;
mod node;
mod objects;

pub use client::{Client, ConnectFlags};
pub use domain::{Domain, DomainInfo, DomainState};
pub use node::NodeInfo;
pub use objects::{Network, NodeDevice, Secret, StoragePool};
