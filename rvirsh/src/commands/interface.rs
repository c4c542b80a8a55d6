//! Host interfaces: iface-list.

use virtwire::flags::ConnectListAllInterfacesFlags as L;

use crate::cli::{Cmd, CmdDef, CmdResult, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

/// The commands of this module.
pub static CMDS: &[CmdDef] = &[CmdDef {
    name: "iface-list",
    opts: &[
        OptDef::flag("inactive", "list inactive interfaces"),
        OptDef::flag("all", "list inactive & active interfaces"),
    ],
    help: "list physical host interfaces",
    desc: "Returns list of physical host interfaces.",
    handler: list,
    flags: 0,
}];

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut f = L::ACTIVE.0;
    if cmd.has("inactive") {
        f = L::INACTIVE.0;
    }
    if cmd.has("all") {
        f = L::ACTIVE.0 | L::INACTIVE.0;
    }
    let client = ctl.conn()?;
    let mut ifaces = match ctl.block_on(client.list_all_interfaces(L(f))) {
        Ok(i) => i,
        Err(e) => return Err(ctl.fail("Failed to list interfaces", e)),
    };
    ifaces.sort_by(|a, b| util::strcasecmp(a.name(), b.name()));
    let mut t = Table::new(&["Name", "State", "MAC Address"]);
    for i in &ifaces {
        let active = ctl.block_on(i.is_active()).is_ok_and(|a| a);
        let state = if active { "active" } else { "inactive" };
        t.row(vec![
            i.name().to_string(),
            state.to_string(),
            i.mac().to_string(),
        ]);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}
