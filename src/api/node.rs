//! Facts about the host (node).

use crate::proto::remote;

/// The host's CPU and memory, as libvirt's `virNodeInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// CPU model.
    pub model: String,
    /// Memory in KiB.
    pub memory_kib: u64,
    /// Number of active CPUs.
    pub cpus: u32,
    /// Expected CPU frequency in MHz (0 when unknown).
    pub mhz: u32,
    /// NUMA cells (1 for uniform memory access).
    pub nodes: u32,
    /// CPU sockets per NUMA cell.
    pub sockets: u32,
    /// Cores per socket.
    pub cores: u32,
    /// Threads per core.
    pub threads: u32,
}

impl From<remote::NodeGetInfoRet> for NodeInfo {
    fn from(r: remote::NodeGetInfoRet) -> Self {
        let non_negative = |v: i32| u32::try_from(v).unwrap_or(0);
        NodeInfo {
            model: r.model.to_string_lossy(),
            memory_kib: r.memory,
            cpus: non_negative(r.cpus),
            mhz: non_negative(r.mhz),
            nodes: non_negative(r.nodes),
            sockets: non_negative(r.sockets),
            cores: non_negative(r.cores),
            threads: non_negative(r.threads),
        }
    }
}
