//! Every command, by group. To add commands: write a module with a `pub static CMDS:
//! &[CmdDef]` (one entry per command, options in virsh's order) and list that slice in its
//! group in [`GROUPS`]; parsing, help and completion pick it up from there.

mod device_xml;
mod domain_attach;
mod domain_devices;
mod domain_edit;
mod domain_guest;
mod domain_info;
mod domain_lifecycle;
mod domain_list;
mod domain_resources;
mod domain_save;
mod domain_stats;
mod host;
mod interface;
mod keycodes;
mod network;
mod nodedev;
mod nwfilter;
mod pool;
mod secret;
mod shell;
mod snapshot;
mod snapshot_list;
mod undefine_storage;
#[allow(dead_code)]
pub mod util;
mod volume;
mod volume_copy;
mod volume_stream;

use crate::cli::{CmdDef, Group};

/// The groups in the order `help` lists them, each made of the slices of its modules.
pub static GROUPS: &[GroupDef] = &[
    GroupDef {
        name: "Domain Management",
        keyword: "domain",
        parts: &[
            domain_lifecycle::CMDS,
            device_xml::CMDS,
            domain_info::MANAGEMENT,
            domain_resources::CMDS,
            domain_save::CMDS,
            domain_edit::CMDS,
            domain_resources::INFO,
            domain_attach::CMDS,
            domain_guest::MANAGEMENT,
        ],
    },
    GroupDef {
        name: "Domain Monitoring",
        keyword: "monitor",
        parts: &[
            domain_list::CMDS,
            domain_info::MONITOR,
            domain_devices::CMDS,
            domain_stats::CMDS,
            domain_guest::MONITOR,
        ],
    },
    GroupDef {
        name: "Host and Hypervisor",
        keyword: "host",
        parts: &[host::CMDS],
    },
    GroupDef {
        name: "Interface",
        keyword: "interface",
        parts: &[interface::CMDS],
    },
    GroupDef {
        name: "Network Filter",
        keyword: "filter",
        parts: &[nwfilter::CMDS],
    },
    GroupDef {
        name: "Networking",
        keyword: "network",
        parts: &[network::CMDS],
    },
    GroupDef {
        name: "Node Device",
        keyword: "nodedev",
        parts: &[nodedev::CMDS],
    },
    GroupDef {
        name: "Secret",
        keyword: "secret",
        parts: &[secret::CMDS],
    },
    GroupDef {
        name: "Snapshot",
        keyword: "snapshot",
        parts: &[snapshot::CMDS],
    },
    GroupDef {
        name: "Storage Pool",
        keyword: "pool",
        parts: &[pool::CMDS],
    },
    GroupDef {
        name: "Storage Volume",
        keyword: "volume",
        parts: &[volume::CMDS],
    },
    GroupDef {
        name: "Virsh itself",
        keyword: "virsh",
        parts: &[shell::CMDS],
    },
];

/// A group whose commands come from several modules.
#[derive(Debug)]
pub struct GroupDef {
    /// The group's title.
    pub name: &'static str,
    /// The word `help KEYWORD` takes.
    pub keyword: &'static str,
    /// The modules' command tables.
    pub parts: &'static [&'static [CmdDef]],
}

impl GroupDef {
    /// The group as `help` shows it: one module's commands in its order; several modules'
    /// merged by name (virsh lists most groups alphabetically).
    pub fn group(&self) -> Group {
        let mut cmds: Vec<&'static CmdDef> = self.parts.iter().flat_map(|p| p.iter()).collect();
        if self.parts.len() > 1 {
            cmds.sort_by_key(|c| c.name);
        }
        Group {
            name: self.name,
            keyword: self.keyword,
            cmds,
        }
    }
}

/// Every command, in `help`'s order.
pub fn all() -> impl Iterator<Item = &'static CmdDef> {
    GROUPS
        .iter()
        .flat_map(|g| g.parts.iter().flat_map(|p| p.iter()))
}

/// The command named `name`.
pub fn find(name: &str) -> Option<&'static CmdDef> {
    all().find(|c| c.name == name)
}
