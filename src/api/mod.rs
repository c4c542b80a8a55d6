//! The typed API: connections, domains, and the values they return.

mod client;
mod domain;
mod node;

pub use client::{Client, ConnectFlags};
pub use domain::{Domain, DomainInfo, DomainState};
pub use node::NodeInfo;
