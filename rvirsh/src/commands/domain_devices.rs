//! A domain's devices as its XML lists them: domblklist, domiflist, domblkinfo.

use roxmltree::{Document, Node};
use virtwire::Domain;
use virtwire::flags::DomainXmlFlags;

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::domain_info::DOMAIN;
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

/// The commands of this module (Domain Monitoring).
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "domblkinfo",
        opts: &[
            DOMAIN,
            OptDef::string("device", "block device"),
            OptDef::flag("human", "Human readable output"),
            OptDef::flag("all", "display all block devices info"),
        ],
        help: "domain block device size information",
        desc: "Get block device size info for a domain.",
        handler: domblkinfo,
        flags: 0,
    },
    CmdDef {
        name: "domblklist",
        opts: &[
            DOMAIN,
            OptDef::flag("inactive", "get inactive rather than running configuration"),
            OptDef::flag("details", "additionally display the type and device value"),
        ],
        help: "list all domain blocks",
        desc: "Get the summary of block devices for a domain.",
        handler: domblklist,
        flags: 0,
    },
    CmdDef {
        name: "domiflist",
        opts: &[
            DOMAIN,
            OptDef::flag("inactive", "get inactive rather than running configuration"),
        ],
        help: "list all domain virtual interfaces",
        desc: "Get the summary of virtual interfaces for a domain.",
        handler: domiflist,
        flags: 0,
    },
];

/// The domain's XML (`--inactive`: the persistent definition).
fn domain_xml(ctl: &mut Ctl, dom: &Domain, inactive: bool) -> Result<String, Fail> {
    let flags = if inactive {
        DomainXmlFlags::INACTIVE
    } else {
        DomainXmlFlags::default()
    };
    Ok(ctl.block_on(dom.xml_desc(flags))?)
}

/// Parses domain XML, reporting a failure as virsh does.
fn parse<'a>(ctl: &Ctl, xml: &'a str) -> Result<Document<'a>, Fail> {
    Document::parse(xml).map_err(|e| {
        ctl.error(&format!("failed to parse the domain XML: {e}"));
        Fail::Reported
    })
}

/// The `<devices>` children named `name`.
fn devices<'a, 'i>(doc: &'a Document<'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name("devices"))
        .flat_map(|d| d.children())
        .filter(move |n| n.has_tag_name(name))
}

/// The first child element named `name`.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

/// The first of the attributes `names` that `node` has, in the element's own order (what
/// XPath's `string(./@a|./@b)` gives).
fn first_attr<'a>(node: Option<Node<'a, '_>>, names: &[&str]) -> Option<&'a str> {
    node?
        .attributes()
        .find(|a| names.contains(&a.name()))
        .map(|a| a.value())
}

/// Where a disk's data comes from, as domblklist shows it.
fn disk_source<'a>(disk: Node<'a, '_>) -> Option<&'a str> {
    first_attr(
        child(disk, "source"),
        &["file", "dev", "dir", "name", "volume"],
    )
}

fn domblklist(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let xml = domain_xml(ctl, &dom, cmd.has("inactive"))?;
    let doc = parse(ctl, &xml)?;
    let details = cmd.has("details");
    let mut t = if details {
        Table::new(&["Type", "Device", "Target", "Source"])
    } else {
        Table::new(&["Target", "Source"])
    };
    for disk in devices(&doc, "disk") {
        let Some(target) = first_attr(child(disk, "target"), &["dev"]) else {
            ctl.error("unable to query block list");
            return Err(Fail::Reported);
        };
        let source = disk_source(disk).unwrap_or("-").to_string();
        let mut row = Vec::new();
        if details {
            let (Some(ty), Some(device)) = (disk.attribute("type"), disk.attribute("device"))
            else {
                ctl.error("Unable to query block list details");
                return Err(Fail::Reported);
            };
            row.push(ty.to_string());
            row.push(device.to_string());
        }
        row.push(target.to_string());
        row.push(source);
        t.row(row);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}

fn domiflist(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let xml = domain_xml(ctl, &dom, cmd.has("inactive"))?;
    let doc = parse(ctl, &xml)?;
    let mut t = Table::new(&["Interface", "Type", "Source", "Model", "MAC"]);
    for iface in devices(&doc, "interface") {
        let dash = |v: Option<&str>| v.unwrap_or("-").to_string();
        t.row(vec![
            dash(first_attr(child(iface, "target"), &["dev"])),
            dash(iface.attribute("type")),
            dash(first_attr(
                child(iface, "source"),
                &["bridge", "dev", "network", "name", "path"],
            )),
            dash(first_attr(child(iface, "model"), &["type"])),
            dash(first_attr(child(iface, "mac"), &["address"])),
        ]);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}

/// libvirt's human-readable size: the value in the largest unit (B, KiB, …) below which it
/// stays.
fn pretty(val: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut limit = 1024u128;
    for (i, unit) in UNITS.iter().enumerate() {
        if u128::from(val) < limit || i == UNITS.len() - 1 {
            if i == 0 {
                return format!("{:.3} {unit}", val as f64);
            }
            return format!("{:.3} {unit}", val as f64 / (limit / 1024) as f64);
        }
        limit *= 1024;
    }
    unreachable!("the last unit always matches")
}

/// Capacity, allocation, physical as domblkinfo prints them.
fn sizes(info: &virtwire::DomainBlockInfo, human: bool) -> [String; 3] {
    let v = [info.capacity, info.allocation, info.physical];
    if v == [0, 0, 0] {
        return ["-".into(), "-".into(), "-".into()];
    }
    v.map(|x| if human { pretty(x) } else { x.to_string() })
}

fn domblkinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    util::exclusive(ctl, cmd, "all", "device")?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let human = cmd.has("human");
    if !cmd.has("all") {
        let Some(device) = cmd.get("device").filter(|d| !d.is_empty()) else {
            ctl.error("command 'domblkinfo' requires <device> option");
            return Err(Fail::Reported);
        };
        let info = ctl.block_on(dom.block_info(device, Default::default()))?;
        let [cap, alloc, phys] = sizes(&info, human);
        ctl.print(&format!(
            "{:<15} {cap}\n{:<15} {alloc}\n{:<15} {phys}\n",
            "Capacity:", "Allocation:", "Physical:"
        ));
        return Ok(());
    }
    let xml = domain_xml(ctl, &dom, false)?;
    let doc = parse(ctl, &xml)?;
    let mut t = Table::new(&["Target", "Capacity", "Allocation", "Physical"]);
    for disk in devices(&doc, "disk") {
        let target = first_attr(child(disk, "target"), &["dev"]).unwrap_or("");
        let cells = if child(disk, "source").is_some() {
            let info = ctl.block_on(dom.block_info(target, Default::default()))?;
            sizes(&info, human)
        } else {
            ["-".into(), "-".into(), "-".into()]
        };
        let [cap, alloc, phys] = cells;
        t.row(vec![target.to_string(), cap, alloc, phys]);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn human_sizes_like_virsh() {
        assert_eq!(pretty(512), "512.000 B");
        assert_eq!(pretty(1099506450432), "1023.995 GiB");
        assert_eq!(pretty(1099511627776), "1.000 TiB");
    }
}
