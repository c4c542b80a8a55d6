//! Network filters: nwfilter-list, nwfilter-define, nwfilter-undefine, nwfilter-dumpxml.

use virtwire::flags::NwfilterDefineFlags;
use virtwire::{ErrorCode, NwFilter};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

const NWFILTER: OptDef = OptDef::data("nwfilter", "network filter name or uuid");

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "nwfilter-define",
        opts: &[
            OptDef::data("file", "file containing an XML network filter description"),
            OptDef::flag("validate", "validate the XML against the schema"),
        ],
        help: "define or update a network filter from an XML file",
        desc: "Define a new network filter or update an existing one.",
        handler: define,
        flags: 0,
    },
    CmdDef {
        name: "nwfilter-undefine",
        opts: &[NWFILTER],
        help: "undefine a network filter",
        desc: "Undefine a given network filter.",
        handler: undefine,
        flags: 0,
    },
    CmdDef {
        name: "nwfilter-dumpxml",
        opts: &[NWFILTER, util::XPATH, util::WRAP],
        help: "network filter information in XML",
        desc: "Output the network filter information as an XML dump to stdout.",
        handler: dumpxml,
        flags: 0,
    },
    CmdDef {
        name: "nwfilter-list",
        opts: &[],
        help: "list network filters",
        desc: "Returns list of network filters.",
        handler: list,
        flags: 0,
    },
];

/// The filter named by option `nwfilter`: by UUID (when it has a UUID's length), then by
/// name.
fn nwfilter(ctl: &mut Ctl, cmd: &Cmd) -> Result<NwFilter, Fail> {
    let n = util::required(ctl, cmd, "nwfilter")?;
    let client = ctl.conn()?;
    if n.len() == 36 {
        if let Some(u) = util::parse_uuid(&n) {
            if let Ok(f) = ctl.block_on(client.lookup_nwfilter_by_uuid(u)) {
                return Ok(f);
            }
        }
    }
    match ctl.block_on(client.lookup_nwfilter_by_name(&n)) {
        Ok(f) => Ok(f),
        Err(e) => Err(ctl.fail(&format!("failed to get nwfilter '{n}'"), e)),
    }
}

fn define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = util::required(ctl, cmd, "file")?;
    let xml = util::read_file(ctl, cmd, "file")?;
    let client = ctl.conn()?;
    // without --validate, libvirt's call without flags, as virsh makes it
    let made = if cmd.has("validate") {
        ctl.block_on(client.define_nwfilter_xml_flags(&xml, NwfilterDefineFlags::VALIDATE))
    } else {
        ctl.block_on(client.define_nwfilter_xml(&xml))
    };
    match made {
        Ok(f) => {
            ctl.print_extra(&format!(
                "Network filter {} defined from {from}\n",
                f.name()
            ));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to define network filter from {from}"), e)),
    }
}

fn undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let f = nwfilter(ctl, cmd)?;
    let n = cmd.get("nwfilter").unwrap_or("");
    match ctl.block_on(f.undefine()) {
        Ok(()) => {
            ctl.print_extra(&format!("Network filter {n} undefined\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to undefine network filter {n}"), e)),
    }
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let f = nwfilter(ctl, cmd)?;
    util::no_xpath(ctl, cmd)?;
    let xml = ctl.block_on(f.xml_desc(Default::default()))?;
    ctl.print(&xml);
    Ok(())
}

fn list(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    let client = ctl.conn()?;
    let mut filters = match ctl.block_on(client.list_all_nwfilters(Default::default())) {
        Ok(f) => f,
        // virsh falls back to the old calls, and names the first that fails
        Err(e) if e.code() == Some(ErrorCode::NoSupport) => {
            return match ctl.block_on(client.num_of_nwfilters()) {
                Err(e) => Err(ctl.fail("Failed to count network filters", e)),
                Ok(_) => Err(ctl.fail("Failed to list network filters", e)),
            };
        }
        Err(e) => return Err(ctl.fail("Failed to list network filters", e)),
    };
    filters.sort_by(|a, b| util::strcasecmp(a.name(), b.name()));
    let mut t = Table::new(&["UUID", "Name"]);
    for f in &filters {
        t.row(vec![f.uuid_string(), f.name().to_string()]);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}
