//! Virtual networks: net-list, net-info, net-define, net-create, net-start, net-destroy,
//! net-undefine, net-dumpxml, net-autostart, net-dhcp-leases, net-update, net-name,
//! net-uuid.

use virtwire::Network;
use virtwire::flags::{
    ConnectListAllNetworksFlags as L, NetworkCreateFlags, NetworkDefineFlags, NetworkUpdateFlags,
    NetworkXmlFlags,
};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

const NETWORK: OptDef = OptDef::data("network", "network name or uuid");
const FILE: OptDef = OptDef::data("file", "file containing an XML network description");
const VALIDATE: OptDef = OptDef::flag("validate", "validate the XML against the schema");

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "net-autostart",
        opts: &[NETWORK, OptDef::flag("disable", "disable autostarting")],
        help: "autostart a network",
        desc: "Configure a network to be automatically started at boot.",
        handler: autostart,
        flags: 0,
    },
    CmdDef {
        name: "net-create",
        opts: &[FILE, VALIDATE],
        help: "create a network from an XML file",
        desc: "Create a network.",
        handler: create,
        flags: 0,
    },
    CmdDef {
        name: "net-define",
        opts: &[FILE, VALIDATE],
        help: "define an inactive persistent virtual network or modify an existing persistent one from an XML file",
        desc: "Define or modify a persistent virtual network.",
        handler: define,
        flags: 0,
    },
    CmdDef {
        name: "net-destroy",
        opts: &[NETWORK],
        help: "destroy (stop) a network",
        desc: "Forcefully stop a given network.",
        handler: destroy,
        flags: 0,
    },
    CmdDef {
        name: "net-dhcp-leases",
        opts: &[NETWORK, OptDef::string("mac", "MAC address")],
        help: "print lease info for a given network",
        desc: "Print lease info for a given network",
        handler: dhcp_leases,
        flags: 0,
    },
    CmdDef {
        name: "net-dumpxml",
        opts: &[
            NETWORK,
            OptDef::flag("inactive", "show inactive defined XML"),
            util::XPATH,
            util::WRAP,
        ],
        help: "network information in XML",
        desc: "Output the network information as an XML dump to stdout.",
        handler: dumpxml,
        flags: 0,
    },
    CmdDef {
        name: "net-info",
        opts: &[NETWORK],
        help: "network information",
        desc: "Returns basic information about the network",
        handler: info,
        flags: 0,
    },
    CmdDef {
        name: "net-list",
        opts: &[
            OptDef::flag("inactive", "list inactive networks"),
            OptDef::flag("all", "list inactive & active networks"),
            OptDef::flag("persistent", "list persistent networks"),
            OptDef::flag("transient", "list transient networks"),
            OptDef::flag("autostart", "list networks with autostart enabled"),
            OptDef::flag("no-autostart", "list networks with autostart disabled"),
            OptDef::flag("uuid", "list uuid's only"),
            OptDef::flag("name", "list network names only"),
            OptDef::flag("table", "list table (default)"),
        ],
        help: "list networks",
        desc: "Returns list of networks.",
        handler: list,
        flags: 0,
    },
    CmdDef {
        name: "net-name",
        opts: &[OptDef::data("network", "network uuid")],
        help: "convert a network UUID to network name",
        desc: "",
        handler: name,
        flags: 0,
    },
    CmdDef {
        name: "net-start",
        opts: &[NETWORK],
        help: "start a (previously defined) inactive network",
        desc: "Start a network.",
        handler: start,
        flags: 0,
    },
    CmdDef {
        name: "net-undefine",
        opts: &[NETWORK],
        help: "undefine a persistent network",
        desc: "Undefine the configuration for a persistent network.",
        handler: undefine,
        flags: 0,
    },
    CmdDef {
        name: "net-update",
        opts: &[
            NETWORK,
            OptDef::data(
                "command",
                "type of update (add-first, add-last (add), delete, or modify)",
            ),
            OptDef::data(
                "section",
                "which section of network configuration to update",
            ),
            OptDef::data(
                "xml",
                "name of file containing xml (or, if it starts with '<', the complete xml element itself) to add/modify, or to be matched for search",
            ),
            OptDef::int("parent-index", "which parent object to search through"),
            OptDef::flag("config", "affect next network startup"),
            OptDef::flag("live", "affect running network"),
            OptDef::flag("current", "affect current state of network"),
        ],
        help: "update parts of an existing network's configuration",
        desc: "",
        handler: update,
        flags: 0,
    },
    CmdDef {
        name: "net-uuid",
        opts: &[OptDef::data("network", "network name")],
        help: "convert a network name to network UUID",
        desc: "",
        handler: uuid,
        flags: 0,
    },
];

/// The network named by option `network`: by UUID (when it has a UUID's length) and then by
/// name, as `by_uuid`/`by_name` allow; virsh's message, then libvirt's, when there is none.
fn network_by(ctl: &mut Ctl, cmd: &Cmd, by_uuid: bool, by_name: bool) -> Result<Network, Fail> {
    let name = util::required(ctl, cmd, "network")?;
    let client = ctl.conn()?;
    let mut last = None;
    if by_uuid && name.len() == 36 {
        if let Some(u) = util::parse_uuid(&name) {
            match ctl.block_on(client.lookup_network_by_uuid(u)) {
                Ok(n) => return Ok(n),
                Err(e) => last = Some(e),
            }
        }
    }
    if by_name {
        match ctl.block_on(client.lookup_network_by_name(&name)) {
            Ok(n) => return Ok(n),
            Err(e) => last = Some(e),
        }
    }
    ctl.error(&format!("failed to get network '{name}'"));
    Err(last.map_or(Fail::Reported, Fail::Lib))
}

fn network(ctl: &mut Ctl, cmd: &Cmd) -> Result<Network, Fail> {
    network_by(ctl, cmd, true, true)
}

fn given(cmd: &Cmd) -> &str {
    cmd.get("network").unwrap_or("")
}

/// Runs `call` on the network; prints `Network NAME DONE` (not with `-q`) or reports
/// `Failed to FAILED network NAME`.
fn simple<F>(ctl: &mut Ctl, cmd: &Cmd, done: &str, failed: &str, call: F) -> CmdResult
where
    F: AsyncFnOnce(&Network) -> virtwire::Result<()>,
{
    let net = network(ctl, cmd)?;
    let name = given(cmd);
    match ctl.block_on(call(&net)) {
        Ok(()) => {
            ctl.print_extra(&format!("Network {name} {done}\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to {failed} network {name}"), e)),
    }
}

fn autostart(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let net = network(ctl, cmd)?;
    let name = given(cmd);
    let on = !cmd.has("disable");
    let un = if on { "" } else { "un" };
    match ctl.block_on(net.set_autostart(on)) {
        Ok(()) => {
            ctl.print_extra(&format!("Network {name} {un}marked as autostarted\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(
            &format!("failed to {un}mark network {name} as autostarted"),
            e,
        )),
    }
}

fn create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = util::required(ctl, cmd, "file")?;
    let xml = util::read_file(ctl, cmd, "file")?;
    let client = ctl.conn()?;
    // without --validate, libvirt's call without flags, as virsh makes it
    let made = if cmd.has("validate") {
        ctl.block_on(client.create_network_xml_flags(&xml, NetworkCreateFlags::VALIDATE))
    } else {
        ctl.block_on(client.create_network_xml(&xml))
    };
    match made {
        Ok(n) => {
            ctl.print_extra(&format!("Network {} created from {from}\n", n.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to create network from {from}"), e)),
    }
}

fn define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = util::required(ctl, cmd, "file")?;
    let xml = util::read_file(ctl, cmd, "file")?;
    let client = ctl.conn()?;
    let made = if cmd.has("validate") {
        ctl.block_on(client.define_network_xml_flags(&xml, NetworkDefineFlags::VALIDATE))
    } else {
        ctl.block_on(client.define_network_xml(&xml))
    };
    match made {
        Ok(n) => {
            ctl.print_extra(&format!("Network {} defined from {from}\n", n.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to define network from {from}"), e)),
    }
}

fn destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "destroyed", "destroy", async |n| {
        n.destroy().await
    })
}

fn start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "started", "start", async |n| n.create().await)
}

fn undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "has been undefined", "undefine", async |n| {
        n.undefine().await
    })
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let net = network(ctl, cmd)?;
    util::no_xpath(ctl, cmd)?;
    let flags = if cmd.has("inactive") {
        NetworkXmlFlags::INACTIVE
    } else {
        NetworkXmlFlags::default()
    };
    let xml = ctl.block_on(net.xml_desc(flags))?;
    ctl.print(&xml);
    Ok(())
}

fn yes_no(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

fn info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let net = network(ctl, cmd)?;
    let mut out = format!("{:<15} {}\n", "Name:", net.name());
    out.push_str(&format!("{:<15} {}\n", "UUID:", net.uuid_string()));
    if let Ok(a) = ctl.block_on(net.is_active()) {
        out.push_str(&format!("{:<15} {}\n", "Active:", yes_no(a)));
    }
    let persistent = match ctl.block_on(net.is_persistent()) {
        Ok(p) => yes_no(p),
        Err(_) => "unknown",
    };
    out.push_str(&format!("{:<15} {}\n", "Persistent:", persistent));
    let autostart = match ctl.block_on(net.autostart()) {
        Ok(a) => yes_no(a),
        Err(_) => "no autostart",
    };
    out.push_str(&format!("{:<15} {}\n", "Autostart:", autostart));
    if let Ok(bridge) = ctl.block_on(net.bridge_name()) {
        out.push_str(&format!("{:<15} {}\n", "Bridge:", bridge));
    }
    ctl.print(&out);
    Ok(())
}

fn name(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let net = network_by(ctl, cmd, true, false)?;
    ctl.print(&format!("{}\n", net.name()));
    Ok(())
}

fn uuid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let net = network_by(ctl, cmd, false, true)?;
    ctl.print(&format!("{}\n", net.uuid_string()));
    Ok(())
}

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut f = L::ACTIVE.0;
    if cmd.has("inactive") {
        f = L::INACTIVE.0;
    }
    if cmd.has("all") {
        f = L::ACTIVE.0 | L::INACTIVE.0;
    }
    for (opt, flag) in [
        ("persistent", L::PERSISTENT),
        ("transient", L::TRANSIENT),
        ("autostart", L::AUTOSTART),
        ("no-autostart", L::NO_AUTOSTART),
    ] {
        if cmd.has(opt) {
            f |= flag.0;
        }
    }
    let (opt_table, opt_name, opt_uuid) = (cmd.has("table"), cmd.has("name"), cmd.has("uuid"));
    if usize::from(opt_table) + usize::from(opt_name) + usize::from(opt_uuid) > 1 {
        ctl.error("Only one argument from --table, --name and --uuid may be specified.");
        return Err(Fail::Reported);
    }
    let client = ctl.conn()?;
    let mut nets = match ctl.block_on(client.list_all_networks(L(f))) {
        Ok(n) => n,
        Err(e) => return Err(ctl.fail("Failed to list networks", e)),
    };
    nets.sort_by(|a, b| util::strcasecmp(a.name(), b.name()));
    if opt_uuid || opt_name {
        let mut out = String::new();
        for n in &nets {
            let text = if opt_uuid {
                n.uuid_string()
            } else {
                n.name().to_string()
            };
            out.push_str(&text);
            out.push('\n');
        }
        ctl.print(&out);
        return Ok(());
    }
    let mut t = Table::new(&["Name", "State", "Autostart", "Persistent"]);
    for n in &nets {
        let autostart = match ctl.block_on(n.autostart()) {
            Ok(a) => yes_no(a),
            Err(_) => "no autostart",
        };
        // virsh takes any answer but 0 (an error too) as yes
        let active = ctl.block_on(n.is_active()).map_or(true, |a| a);
        let persistent = ctl.block_on(n.is_persistent()).map_or(true, |p| p);
        let state = if active { "active" } else { "inactive" };
        t.row(vec![
            n.name().to_string(),
            state.to_string(),
            autostart.to_string(),
            yes_no(persistent).to_string(),
        ]);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}

/// The commands net-update takes, as `virNetworkUpdateCommand` numbers them.
const UPDATE_COMMANDS: &[&str] = &["none", "modify", "delete", "add-last", "add-first"];

/// The sections net-update takes, as `virNetworkUpdateSection` numbers them.
const SECTIONS: &[&str] = &[
    "none",
    "bridge",
    "domain",
    "ip",
    "ip-dhcp-host",
    "ip-dhcp-range",
    "forward",
    "forward-interface",
    "forward-pf",
    "portgroup",
    "dns-host",
    "dns-txt",
    "dns-srv",
];

/// The position of `name` in `table`, when it is there and not the first ("none").
fn index_of(table: &[&str], name: &str) -> Option<u32> {
    table
        .iter()
        .position(|&s| s == name)
        .filter(|&i| i > 0)
        .and_then(|i| u32::try_from(i).ok())
}

fn update(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    util::exclusive(ctl, cmd, "current", "live")?;
    util::exclusive(ctl, cmd, "current", "config")?;
    let net = network(ctl, cmd)?;
    let command_text = util::required(ctl, cmd, "command")?;
    let command = match command_text.as_str() {
        "add" => index_of(UPDATE_COMMANDS, "add-last"),
        other => index_of(UPDATE_COMMANDS, other),
    };
    let Some(command) = command else {
        ctl.error(&format!("unrecognized command name '{command_text}'"));
        return Err(Fail::Reported);
    };
    let section_text = util::required(ctl, cmd, "section")?;
    let Some(section) = index_of(SECTIONS, &section_text) else {
        ctl.error(&format!("unrecognized section name '{section_text}'"));
        return Err(Fail::Reported);
    };
    let parent_index = match cmd.get("parent-index") {
        None => -1,
        Some(v) => util::parse_i32(v).ok_or_else(|| util::bad_number(ctl, cmd, "parent-index"))?,
    };
    let xml_opt = util::required(ctl, cmd, "xml")?;
    let xml = if xml_opt.starts_with('<') {
        xml_opt
    } else {
        util::read_file(ctl, cmd, "xml")?
    };
    let (config, live) = (cmd.has("config"), cmd.has("live"));
    let mut flags = NetworkUpdateFlags::CURRENT.0;
    if config {
        flags |= NetworkUpdateFlags::CONFIG.0;
    }
    if live {
        flags |= NetworkUpdateFlags::LIVE.0;
    }
    let name = net.name().to_string();
    let call = net.update(
        command,
        section,
        parent_index,
        &xml,
        NetworkUpdateFlags(flags),
    );
    if let Err(e) = ctl.block_on(call) {
        return Err(ctl.fail(&format!("Failed to update network {name}"), e));
    }
    let what = match (config, live) {
        (true, true) => "persistent config and live state",
        (true, false) => "persistent config",
        (false, true) => "live state",
        (false, false) => {
            if ctl.block_on(net.is_active()).map_or(true, |a| a) {
                "live state"
            } else {
                "persistent config"
            }
        }
    };
    ctl.print_extra(&format!("Updated network {name} {what}"));
    Ok(())
}

fn dhcp_leases(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let net = network(ctl, cmd)?;
    let name = given(cmd).to_string();
    let mac = cmd.get("mac");
    let mut leases = match ctl.block_on(net.dhcp_leases(mac, Default::default())) {
        Ok(l) => l,
        Err(e) => return Err(ctl.fail(&format!("Failed to get leases info for {name}"), e)),
    };
    let mac_of = |l: &virtwire::NetworkDhcpLease| l.mac.clone();
    leases.sort_by(|a, b| match (mac_of(a), mac_of(b)) {
        (Some(x), Some(y)) => util::strcasecmp(&x, &y),
        (x, y) => x.is_some().cmp(&y.is_some()).reverse(),
    });
    let mut t = Table::new(&[
        "Expiry Time",
        "MAC address",
        "Protocol",
        "IP address",
        "Hostname",
        "Client ID or DUID",
    ]);
    let or_dash = |s: Option<String>| s.unwrap_or_else(|| "-".to_string());
    for l in &leases {
        let protocol = if l.ip_addr.is_ipv4() { "ipv4" } else { "ipv6" };
        t.row(vec![
            util::utc_time(l.expiry_time),
            mac_of(l).unwrap_or_default(),
            protocol.to_string(),
            format!("{}/{}", l.ip_addr, l.prefix),
            or_dash(l.hostname.clone()),
            or_dash(l.client_id.clone()),
        ]);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}
