//! Devices from an XML file: attach-device, detach-device, update-device.

use virtwire::flags::DomainDeviceModifyFlags as F;

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;

/// The options the three commands share, in virsh's order.
const COMMON: [OptDef; 6] = [
    OptDef::data("domain", "domain name, id or uuid"),
    OptDef::data("file", "XML file"),
    OptDef::flag("persistent", "make live change persistent"),
    OptDef::flag("config", "affect next boot"),
    OptDef::flag("live", "affect running domain"),
    OptDef::flag("current", "affect current domain"),
];

/// The commands of this module (Domain Management).
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "attach-device",
        opts: &COMMON,
        help: "attach device from an XML file",
        desc: "Attach device from an XML <file>.",
        handler: attach,
        flags: 0,
    },
    CmdDef {
        name: "detach-device",
        opts: &COMMON,
        help: "detach device from an XML file",
        desc: "Detach device from an XML <file>",
        handler: detach,
        flags: 0,
    },
    CmdDef {
        name: "update-device",
        opts: &[
            COMMON[0],
            COMMON[1],
            COMMON[2],
            COMMON[3],
            COMMON[4],
            COMMON[5],
            OptDef::flag("force", "force device update"),
        ],
        help: "update device from an XML file",
        desc: "Update device from an XML <file>.",
        handler: update,
        flags: 0,
    },
];

/// What to change: the flags, or `None` for the flagless call virsh makes when no option
/// names one.
fn modify_flags(ctl: &Ctl, cmd: &Cmd, live: bool) -> Result<Option<u32>, Fail> {
    util::exclusive(ctl, cmd, "persistent", "current")?;
    let mut f = util::affect_flags(ctl, cmd)?;
    if cmd.has("persistent") {
        f |= F::CONFIG.0;
        if live {
            f |= F::LIVE.0;
        }
    }
    if cmd.has("force") {
        f |= F::FORCE.0;
    }
    Ok((f != 0 || cmd.has("current")).then_some(f))
}

/// Which of the three commands runs.
#[derive(Clone, Copy)]
enum Op {
    Attach,
    Detach,
    Update,
}

fn run(ctl: &mut Ctl, cmd: &Cmd, op: Op) -> CmdResult {
    modify_flags(ctl, cmd, false)?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let live = cmd.has("persistent") && ctl.block_on(dom.is_active())?;
    let flags = modify_flags(ctl, cmd, live)?;
    let xml = util::read_file(ctl, cmd, "file")?;
    let file = cmd.get("file").unwrap_or("");
    let result = match (op, flags) {
        (Op::Attach, None) => ctl.block_on(dom.attach_device(&xml)),
        (Op::Attach, Some(f)) => ctl.block_on(dom.attach_device_flags(&xml, F(f))),
        (Op::Detach, None) => ctl.block_on(dom.detach_device(&xml)),
        (Op::Detach, Some(f)) => ctl.block_on(dom.detach_device_flags(&xml, F(f))),
        (Op::Update, f) => ctl.block_on(dom.update_device_flags(&xml, F(f.unwrap_or(0)))),
    };
    let (verb, done) = match op {
        Op::Attach => ("attach", "attached"),
        Op::Detach => ("detach", "detached"),
        Op::Update => ("update", "updated"),
    };
    match result {
        Ok(()) => {
            ctl.print_extra(&format!("Device {done} successfully\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to {verb} device from {file}"), e)),
    }
}

fn attach(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    run(ctl, cmd, Op::Attach)
}

fn detach(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    run(ctl, cmd, Op::Detach)
}

fn update(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    run(ctl, cmd, Op::Update)
}
