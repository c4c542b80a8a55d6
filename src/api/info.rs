//! What the info and statistics calls return, as libvirt's C structs name it (`virDomainBlockInfo`,
//! `virDomainJobInfo`, `virNetworkDHCPLease`, …), with the units in the documentation and, where
//! they are not bytes, in the field names.

use std::net::IpAddr;

use crate::api::{Client, TypedParams};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::c_constants::{
    DomainControlState, DomainDiskErrorCode, DomainJobType, DomainMemoryStatTags, StoragePoolState,
};
use crate::proto::c_events::DomainBlockJobType;
use crate::proto::remote;

/// Turns a reply (or an element of a reply's list) into a typed-API value; `client` makes the
/// handles a value holds. The generated methods call it (`codegen/src/api/table.rs` says which).
pub(crate) trait Lift<W>: Sized {
    /// The value from the wire.
    fn lift(wire: W, client: &Client) -> Result<Self>;
}

/// Lifts every value that converts without the connection.
macro_rules! lift_from {
    ($($wire:ty => $ty:ty),* $(,)?) => {$(
        impl Lift<$wire> for $ty {
            fn lift(wire: $wire, _: &Client) -> Result<Self> {
                Ok(Self::from(wire))
            }
        }
    )*};
}

/// Lifts the values whose conversion can fail (an address that does not parse).
macro_rules! lift_try_from {
    ($($wire:ty => $ty:ty),* $(,)?) => {$(
        impl Lift<$wire> for $ty {
            fn lift(wire: $wire, _: &Client) -> Result<Self> {
                Self::try_from(wire)
            }
        }
    )*};
}

lift_try_from!(
    remote::NetworkDhcpLease => NetworkDhcpLease,
    remote::DomainInterface => DomainInterface,
);

lift_from!(
    remote::StoragePoolGetInfoRet => StoragePoolInfo,
    remote::StorageVolGetInfoFlagsRet => crate::api::StorageVolInfo,
    remote::DomainBlockStatsRet => DomainBlockStats,
    remote::DomainInterfaceStatsRet => DomainInterfaceStats,
    remote::DomainGetSecurityLabelRet => SecurityLabel,
    remote::NodeGetSecurityModelRet => SecurityModel,
    remote::DomainGetJobInfoRet => DomainJobInfo,
    remote::DomainGetJobStatsRet => DomainJobStats,
    remote::DomainGetBlockInfoRet => DomainBlockInfo,
    remote::DomainGetControlInfoRet => DomainControlInfo,
    remote::DomainGetBlockJobInfoRet => Option<BlockJobInfo>,
    remote::DomainGetTimeRet => DomainTime,
    remote::NodeGetCpuMapRet => NodeCpuMap,
    remote::DomainMemoryStat => DomainMemoryStat,
    remote::DomainDiskError => DomainDiskError,
    remote::DomainFsinfo => DomainFsInfo,
);

/// Text from a C `char` buffer: up to the first NUL (libvirt sends the terminator).
fn c_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The bits of a CPU map (`VIR_CPU_USED`): bit `i` of byte `i / 8` is CPU `i`.
pub(crate) fn cpu_map(bytes: &[u8], cpus: usize) -> Vec<bool> {
    (0..cpus.min(bytes.len() * 8))
        .map(|i| bytes[i / 8] & (1 << (i % 8)) != 0)
        .collect()
}

/// A libvirt `long long` counter where -1 means "not supported".
fn counter(v: i64) -> Option<u64> {
    u64::try_from(v).ok()
}

fn ip(addr: &str) -> Result<IpAddr> {
    addr.parse().map_err(|_| {
        Error::new(
            ErrorKind::Protocol,
            format!("the daemon sent an IP address that does not parse: {addr:?}"),
        )
    })
}

/// A storage pool's state and sizes (`virStoragePoolInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoragePoolInfo {
    /// Inactive, building, running, …
    pub state: StoragePoolState,
    /// Logical size, in bytes.
    pub capacity: u64,
    /// Bytes allocated to volumes.
    pub allocation: u64,
    /// Bytes free for new volumes.
    pub available: u64,
}

impl From<remote::StoragePoolGetInfoRet> for StoragePoolInfo {
    fn from(r: remote::StoragePoolGetInfoRet) -> Self {
        StoragePoolInfo {
            state: StoragePoolState::from_i32(i32::from(r.state)),
            capacity: r.capacity,
            allocation: r.allocation,
            available: r.available,
        }
    }
}

/// I/O counters of one disk (`virDomainBlockStatsStruct`); `None` where the hypervisor does not
/// count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainBlockStats {
    /// Read requests.
    pub rd_req: Option<u64>,
    /// Bytes read.
    pub rd_bytes: Option<u64>,
    /// Write requests.
    pub wr_req: Option<u64>,
    /// Bytes written.
    pub wr_bytes: Option<u64>,
    /// Errors (Xen only).
    pub errs: Option<u64>,
}

impl From<remote::DomainBlockStatsRet> for DomainBlockStats {
    fn from(r: remote::DomainBlockStatsRet) -> Self {
        DomainBlockStats {
            rd_req: counter(r.rd_req),
            rd_bytes: counter(r.rd_bytes),
            wr_req: counter(r.wr_req),
            wr_bytes: counter(r.wr_bytes),
            errs: counter(r.errs),
        }
    }
}

/// Traffic counters of one network interface (`virDomainInterfaceStatsStruct`); `None` where
/// the hypervisor does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainInterfaceStats {
    /// Bytes received.
    pub rx_bytes: Option<u64>,
    /// Packets received.
    pub rx_packets: Option<u64>,
    /// Receive errors.
    pub rx_errs: Option<u64>,
    /// Received packets dropped.
    pub rx_drop: Option<u64>,
    /// Bytes sent.
    pub tx_bytes: Option<u64>,
    /// Packets sent.
    pub tx_packets: Option<u64>,
    /// Send errors.
    pub tx_errs: Option<u64>,
    /// Sent packets dropped.
    pub tx_drop: Option<u64>,
}

impl From<remote::DomainInterfaceStatsRet> for DomainInterfaceStats {
    fn from(r: remote::DomainInterfaceStatsRet) -> Self {
        DomainInterfaceStats {
            rx_bytes: counter(r.rx_bytes),
            rx_packets: counter(r.rx_packets),
            rx_errs: counter(r.rx_errs),
            rx_drop: counter(r.rx_drop),
            tx_bytes: counter(r.tx_bytes),
            tx_packets: counter(r.tx_packets),
            tx_errs: counter(r.tx_errs),
            tx_drop: counter(r.tx_drop),
        }
    }
}

/// A domain's security label (`virSecurityLabel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityLabel {
    /// The label (`system_u:system_r:svirt_t:s0:c1,c2`, `libvirt-<uuid>`, …); empty when the
    /// domain has none.
    pub label: String,
    /// Whether the security policy is enforced.
    pub enforcing: bool,
}

impl From<remote::DomainGetSecurityLabelRet> for SecurityLabel {
    fn from(r: remote::DomainGetSecurityLabelRet) -> Self {
        SecurityLabel {
            label: c_text(&r.label),
            enforcing: r.enforcing != 0,
        }
    }
}

/// The host's security model (`virSecurityModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityModel {
    /// The model (`selinux`, `apparmor`, `dac`, or empty for none).
    pub model: String,
    /// Its domain of interpretation.
    pub doi: String,
}

impl From<remote::NodeGetSecurityModelRet> for SecurityModel {
    fn from(r: remote::NodeGetSecurityModelRet) -> Self {
        SecurityModel {
            model: c_text(&r.model),
            doi: c_text(&r.doi),
        }
    }
}

/// Progress of a domain's background job (`virDomainJobInfo`); the sizes are in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainJobInfo {
    /// None, bounded, unbounded, …
    pub job_type: DomainJobType,
    /// Time since the job started, in milliseconds.
    pub time_elapsed_ms: u64,
    /// Time left (bounded jobs), in milliseconds.
    pub time_remaining_ms: u64,
    /// All the data to process.
    pub data_total: u64,
    /// Data processed so far.
    pub data_processed: u64,
    /// Data left.
    pub data_remaining: u64,
    /// Memory to process.
    pub mem_total: u64,
    /// Memory processed.
    pub mem_processed: u64,
    /// Memory left.
    pub mem_remaining: u64,
    /// File data to process.
    pub file_total: u64,
    /// File data processed.
    pub file_processed: u64,
    /// File data left.
    pub file_remaining: u64,
}

impl From<remote::DomainGetJobInfoRet> for DomainJobInfo {
    fn from(r: remote::DomainGetJobInfoRet) -> Self {
        DomainJobInfo {
            job_type: DomainJobType::from_i32(r.r#type),
            time_elapsed_ms: r.time_elapsed,
            time_remaining_ms: r.time_remaining,
            data_total: r.data_total,
            data_processed: r.data_processed,
            data_remaining: r.data_remaining,
            mem_total: r.mem_total,
            mem_processed: r.mem_processed,
            mem_remaining: r.mem_remaining,
            file_total: r.file_total,
            file_processed: r.file_processed,
            file_remaining: r.file_remaining,
        }
    }
}

/// A domain's job statistics (`virDomainGetJobStats`): the job's kind and the parameters
/// (`VIR_DOMAIN_JOB_*` names in [`crate::proto::c_params`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DomainJobStats {
    /// None, bounded, unbounded, completed, …
    pub job_type: DomainJobType,
    /// Every statistic the daemon sent.
    pub params: TypedParams,
}

impl DomainJobStats {
    /// Time since the job started, in milliseconds (`time_elapsed`).
    pub fn time_elapsed_ms(&self) -> Option<u64> {
        self.params.get_u64("time_elapsed")
    }

    /// Bytes to transfer in all (`data_total`).
    pub fn data_total(&self) -> Option<u64> {
        self.params.get_u64("data_total")
    }

    /// Bytes transferred (`data_processed`).
    pub fn data_processed(&self) -> Option<u64> {
        self.params.get_u64("data_processed")
    }

    /// Bytes left (`data_remaining`).
    pub fn data_remaining(&self) -> Option<u64> {
        self.params.get_u64("data_remaining")
    }
}

impl From<remote::DomainGetJobStatsRet> for DomainJobStats {
    fn from(r: remote::DomainGetJobStatsRet) -> Self {
        DomainJobStats {
            job_type: DomainJobType::from_i32(r.r#type),
            params: TypedParams::from_wire(r.params),
        }
    }
}

/// Sizes of a domain's disk (`virDomainBlockInfo`), in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainBlockInfo {
    /// The size the guest sees.
    pub capacity: u64,
    /// The host storage in use (for a qcow2 file: its highest written offset).
    pub allocation: u64,
    /// The size of the host file or device.
    pub physical: u64,
}

impl From<remote::DomainGetBlockInfoRet> for DomainBlockInfo {
    fn from(r: remote::DomainGetBlockInfoRet) -> Self {
        DomainBlockInfo {
            capacity: r.capacity,
            allocation: r.allocation,
            physical: r.physical,
        }
    }
}

/// The state of the hypervisor's control of a domain (`virDomainControlInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainControlInfo {
    /// Ok, in a job, occupied, error.
    pub state: DomainControlState,
    /// More about the state (the error's reason for `Error`).
    pub details: u32,
    /// Time in the current state, in milliseconds.
    pub state_time_ms: u64,
}

impl From<remote::DomainGetControlInfoRet> for DomainControlInfo {
    fn from(r: remote::DomainGetControlInfoRet) -> Self {
        DomainControlInfo {
            state: DomainControlState::from_i32(i32::try_from(r.state).unwrap_or(i32::MAX)),
            details: r.details,
            state_time_ms: r.state_time,
        }
    }
}

/// A running block job (`virDomainBlockJobInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockJobInfo {
    /// Pull, copy, commit, …
    pub job_type: DomainBlockJobType,
    /// The bandwidth limit, in MiB/s (bytes/s when asked with `BANDWIDTH_BYTES`); 0: none.
    pub bandwidth: u64,
    /// Progress so far, in units of [`end`](Self::end).
    pub cur: u64,
    /// The value of [`cur`](Self::cur) at completion.
    pub end: u64,
}

impl From<remote::DomainGetBlockJobInfoRet> for Option<BlockJobInfo> {
    fn from(r: remote::DomainGetBlockJobInfoRet) -> Self {
        (r.found != 0).then_some(BlockJobInfo {
            job_type: DomainBlockJobType::from_i32(r.r#type),
            bandwidth: r.bandwidth,
            cur: r.cur,
            end: r.end,
        })
    }
}

/// A guest's clock (`virDomainGetTime`), since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainTime {
    /// Whole seconds.
    pub seconds: i64,
    /// Nanoseconds past them.
    pub nseconds: u32,
}

impl From<remote::DomainGetTimeRet> for DomainTime {
    fn from(r: remote::DomainGetTimeRet) -> Self {
        DomainTime {
            seconds: r.seconds,
            nseconds: r.nseconds,
        }
    }
}

/// The host's CPUs and which are online (`virNodeGetCPUMap`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCpuMap {
    /// How many CPUs the host has.
    pub cpus: u32,
    /// One entry per CPU the host has (empty when the map was not asked for): whether it is
    /// online.
    pub online_map: Vec<bool>,
    /// How many are online.
    pub online: u32,
}

impl From<remote::NodeGetCpuMapRet> for NodeCpuMap {
    fn from(r: remote::NodeGetCpuMapRet) -> Self {
        let cpus = usize::try_from(r.ret).unwrap_or(0);
        NodeCpuMap {
            cpus: u32::try_from(r.ret).unwrap_or(0),
            online_map: cpu_map(&r.cpumap, cpus),
            online: r.online,
        }
    }
}

/// What a memory statistic measures (`virDomainMemoryStatTags`).
pub type MemoryStatTag = DomainMemoryStatTags;

/// One memory statistic of a domain (`virDomainMemoryStatStruct`): most are in KiB, the fault
/// counts are counts, `LastUpdate` is seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainMemoryStat {
    /// What it measures.
    pub tag: MemoryStatTag,
    /// The value.
    pub value: u64,
}

impl From<remote::DomainMemoryStat> for DomainMemoryStat {
    fn from(r: remote::DomainMemoryStat) -> Self {
        DomainMemoryStat {
            tag: MemoryStatTag::from_i32(r.tag),
            value: r.val,
        }
    }
}

/// A disk that met an error (`virDomainDiskError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainDiskError {
    /// The disk's target (`vda`) or path.
    pub disk: String,
    /// What happened.
    pub error: DomainDiskErrorCode,
}

impl From<remote::DomainDiskError> for DomainDiskError {
    fn from(r: remote::DomainDiskError) -> Self {
        DomainDiskError {
            disk: r.disk.into_inner(),
            error: DomainDiskErrorCode::from_i32(r.error),
        }
    }
}

/// A DHCP lease of a virtual network (`virNetworkDHCPLease`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkDhcpLease {
    /// The network's bridge.
    pub iface: String,
    /// When the lease expires, in seconds since the epoch.
    pub expiry_time: i64,
    /// The leased address (IPv4 or IPv6).
    pub ip_addr: IpAddr,
    /// Its prefix length.
    pub prefix: u32,
    /// The client's MAC address (IPv4 leases).
    pub mac: Option<String>,
    /// The IAID (IPv6 leases).
    pub iaid: Option<String>,
    /// The client's host name.
    pub hostname: Option<String>,
    /// The client ID or DUID.
    pub client_id: Option<String>,
}

impl TryFrom<remote::NetworkDhcpLease> for NetworkDhcpLease {
    type Error = Error;
    fn try_from(r: remote::NetworkDhcpLease) -> Result<Self> {
        Ok(NetworkDhcpLease {
            ip_addr: ip(&r.ipaddr)?,
            iface: r.iface.into_inner(),
            expiry_time: r.expirytime,
            prefix: r.prefix,
            mac: r.mac.map(|s| s.into_inner()),
            iaid: r.iaid.map(|s| s.into_inner()),
            hostname: r.hostname.map(|s| s.into_inner()),
            client_id: r.clientid.map(|s| s.into_inner()),
        })
    }
}

/// A guest network interface and its addresses (`virDomainInterface`, from
/// `interface_addresses`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainInterface {
    /// The interface's name (in the guest for the agent source, on the host otherwise).
    pub name: String,
    /// Its MAC address.
    pub hwaddr: Option<String>,
    /// Its addresses with their prefix lengths.
    pub addrs: Vec<(IpAddr, u32)>,
}

impl TryFrom<remote::DomainInterface> for DomainInterface {
    type Error = Error;
    fn try_from(r: remote::DomainInterface) -> Result<Self> {
        Ok(DomainInterface {
            name: r.name.into_inner(),
            hwaddr: r.hwaddr.map(|s| s.into_inner()),
            addrs: r
                .addrs
                .iter()
                .map(|a| Ok((ip(&a.addr)?, a.prefix)))
                .collect::<Result<_>>()?,
        })
    }
}

/// The pinning of one vCPU (`virDomainGetVcpuPinInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcpuPinInfo {
    /// The vCPU's number.
    pub vcpu: u32,
    /// One entry per host CPU: whether the vCPU may run there.
    pub affinity: Vec<bool>,
}

/// An I/O thread of a domain (`virDomainIOThreadInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IothreadInfo {
    /// The thread's id in the domain's definition.
    pub iothread_id: u32,
    /// One entry per host CPU: whether the thread may run there.
    pub affinity: Vec<bool>,
}

/// A file system mounted in the guest (`virDomainFSInfo`, from the guest agent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainFsInfo {
    /// Where it is mounted in the guest.
    pub mountpoint: String,
    /// The device's name in the guest (`sda1`).
    pub name: String,
    /// Its type (`ext4`).
    pub fstype: String,
    /// The targets of the domain's disks it lives on (`vda`).
    pub dev_aliases: Vec<String>,
}

impl From<remote::DomainFsinfo> for DomainFsInfo {
    fn from(r: remote::DomainFsinfo) -> Self {
        DomainFsInfo {
            mountpoint: r.mountpoint.into_inner(),
            name: r.name.into_inner(),
            fstype: r.fstype.into_inner(),
            dev_aliases: r.dev_aliases.into_iter().map(|s| s.into_inner()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_maps_read_bit_i_of_byte_i_over_8() {
        assert_eq!(
            cpu_map(&[0b0000_0101, 0b1], 10),
            [
                true, false, true, false, false, false, false, false, true, false
            ]
        );
        assert_eq!(cpu_map(&[0xff], 20).len(), 8, "never past the bytes sent");
    }

    #[test]
    fn minus_one_counters_are_none() {
        let s = DomainBlockStats::from(remote::DomainBlockStatsRet {
            rd_req: 3,
            rd_bytes: -1,
            ..Default::default()
        });
        assert_eq!((s.rd_req, s.rd_bytes), (Some(3), None));
    }

    #[test]
    fn c_text_stops_at_the_terminator() {
        assert_eq!(c_text(b"selinux\0\0"), "selinux");
        assert_eq!(c_text(b"dac"), "dac");
    }

    #[test]
    fn a_lease_with_a_bad_address_is_a_protocol_error() {
        let lease = remote::NetworkDhcpLease {
            ipaddr: "not-an-ip".try_into().unwrap(),
            ..Default::default()
        };
        let err = NetworkDhcpLease::try_from(lease).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
    }
}
