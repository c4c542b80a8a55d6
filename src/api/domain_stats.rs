//! Per-domain statistics records (`virDomainStatsRecord`, from `all_domain_stats`): the domain,
//! every parameter the daemon sent, and typed views of the groups people read daily.

use crate::api::info::Lift;
use crate::api::{Client, Domain, DomainState, TypedParams};
use crate::error::Result;
use crate::proto::remote;

/// One domain's statistics (`virDomainStatsRecord`): the parameters as the daemon sent them
/// (`state.state`, `cpu.time`, `balloon.current`, `vcpu.0.time`, `net.0.rx.bytes`,
/// `block.1.wr.reqs`, …; see libvirt's `virConnectGetAllDomainStats`), with typed views of the
/// state, cpu, balloon, vcpu, net and block groups. A view is `None` when its group was not
/// asked for or the hypervisor does not report it.
#[derive(Debug, Clone)]
pub struct DomainStatsRecord {
    /// The domain.
    pub domain: Domain,
    /// Every statistic, in the daemon's order.
    pub params: TypedParams,
}

impl Lift<remote::DomainStatsRecord> for DomainStatsRecord {
    fn lift(wire: remote::DomainStatsRecord, client: &Client) -> Result<Self> {
        Ok(DomainStatsRecord {
            domain: Domain::new(client.clone(), wire.dom),
            params: TypedParams::from_wire(wire.params),
        })
    }
}

/// Traffic of one interface in a stats record (`net.<n>.*`); bytes and packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainStatsNet {
    /// The host-side name (`vnet0`).
    pub name: String,
    /// Bytes received.
    pub rx_bytes: Option<u64>,
    /// Packets received.
    pub rx_pkts: Option<u64>,
    /// Receive errors.
    pub rx_errs: Option<u64>,
    /// Received packets dropped.
    pub rx_drop: Option<u64>,
    /// Bytes sent.
    pub tx_bytes: Option<u64>,
    /// Packets sent.
    pub tx_pkts: Option<u64>,
    /// Send errors.
    pub tx_errs: Option<u64>,
    /// Sent packets dropped.
    pub tx_drop: Option<u64>,
}

/// I/O and sizes of one disk (or backing image) in a stats record (`block.<n>.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainStatsBlock {
    /// The target (`vda`).
    pub name: String,
    /// The image's path, for file and block sources.
    pub path: Option<String>,
    /// Read requests.
    pub rd_reqs: Option<u64>,
    /// Bytes read.
    pub rd_bytes: Option<u64>,
    /// Write requests.
    pub wr_reqs: Option<u64>,
    /// Bytes written.
    pub wr_bytes: Option<u64>,
    /// Flush requests.
    pub fl_reqs: Option<u64>,
    /// The size the guest sees, in bytes.
    pub capacity: Option<u64>,
    /// Host storage in use, in bytes.
    pub allocation: Option<u64>,
    /// The size of the host file or device, in bytes.
    pub physical: Option<u64>,
}

impl DomainStatsRecord {
    /// `state.state`.
    pub fn state(&self) -> Option<DomainState> {
        self.params
            .get_i32("state.state")
            .map(DomainState::from_i32)
    }

    /// `state.reason`: a `virDomain*Reason` value of the state.
    pub fn state_reason(&self) -> Option<i32> {
        self.params.get_i32("state.reason")
    }

    /// `cpu.time`: CPU time used, in nanoseconds.
    pub fn cpu_time_ns(&self) -> Option<u64> {
        self.params.get_u64("cpu.time")
    }

    /// `cpu.user`: user CPU time, in nanoseconds.
    pub fn cpu_user_ns(&self) -> Option<u64> {
        self.params.get_u64("cpu.user")
    }

    /// `cpu.system`: system CPU time, in nanoseconds.
    pub fn cpu_system_ns(&self) -> Option<u64> {
        self.params.get_u64("cpu.system")
    }

    /// `balloon.current`: the memory the domain has now, in KiB.
    pub fn balloon_current_kib(&self) -> Option<u64> {
        self.params.get_u64("balloon.current")
    }

    /// `balloon.maximum`: the most memory it may have, in KiB.
    pub fn balloon_maximum_kib(&self) -> Option<u64> {
        self.params.get_u64("balloon.maximum")
    }

    /// `vcpu.current`: virtual CPUs online.
    pub fn vcpu_current(&self) -> Option<u32> {
        self.params.get_u32("vcpu.current")
    }

    /// `vcpu.maximum`: the most virtual CPUs it may have.
    pub fn vcpu_maximum(&self) -> Option<u32> {
        self.params.get_u32("vcpu.maximum")
    }

    /// The `<group>.<i>.` entries for `i` below `<group>.count` (bounded by the entries there
    /// are, whatever the count says).
    fn indexed(&self, group: &str) -> impl Iterator<Item = String> + '_ {
        let count = self.params.get_u64(&format!("{group}.count")).unwrap_or(0);
        let count = count.min(self.params.len() as u64);
        let group = group.to_owned();
        (0..count).map(move |i| format!("{group}.{i}."))
    }

    fn u(&self, prefix: &str, name: &str) -> Option<u64> {
        self.params.get_u64(&format!("{prefix}{name}"))
    }

    /// The interfaces (`net.count`, `net.<n>.*`).
    pub fn nets(&self) -> Vec<DomainStatsNet> {
        self.indexed("net")
            .map(|p| DomainStatsNet {
                name: self
                    .params
                    .get_str(&format!("{p}name"))
                    .unwrap_or_default()
                    .to_owned(),
                rx_bytes: self.u(&p, "rx.bytes"),
                rx_pkts: self.u(&p, "rx.pkts"),
                rx_errs: self.u(&p, "rx.errs"),
                rx_drop: self.u(&p, "rx.drop"),
                tx_bytes: self.u(&p, "tx.bytes"),
                tx_pkts: self.u(&p, "tx.pkts"),
                tx_errs: self.u(&p, "tx.errs"),
                tx_drop: self.u(&p, "tx.drop"),
            })
            .collect()
    }

    /// The disks (`block.count`, `block.<n>.*`).
    pub fn blocks(&self) -> Vec<DomainStatsBlock> {
        self.indexed("block")
            .map(|p| DomainStatsBlock {
                name: self
                    .params
                    .get_str(&format!("{p}name"))
                    .unwrap_or_default()
                    .to_owned(),
                path: self.params.get_str(&format!("{p}path")).map(str::to_owned),
                rd_reqs: self.u(&p, "rd.reqs"),
                rd_bytes: self.u(&p, "rd.bytes"),
                wr_reqs: self.u(&p, "wr.reqs"),
                wr_bytes: self.u(&p, "wr.bytes"),
                fl_reqs: self.u(&p, "fl.reqs"),
                capacity: self.u(&p, "capacity"),
                allocation: self.u(&p, "allocation"),
                physical: self.u(&p, "physical"),
            })
            .collect()
    }
}
