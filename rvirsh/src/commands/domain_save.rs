//! Saving a running domain's memory: save, restore, managedsave.

use virtwire::flags::DomainSaveRestoreFlags as F;

use crate::cli::{Cmd, CmdDef, CmdResult, OptDef};
use crate::commands::domain_info::DOMAIN;
use crate::commands::util;
use crate::ctl::Ctl;

/// The commands of this module (Domain Management).
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "managedsave",
        opts: &[
            DOMAIN,
            OptDef::flag("bypass-cache", "avoid file system cache when saving"),
            OptDef::flag("running", "set domain to be running on next start"),
            OptDef::flag("paused", "set domain to be paused on next start"),
            OptDef::flag("verbose", "display the progress of save"),
        ],
        help: "managed save of a domain state",
        desc: "Save and destroy a running domain, so it can be restarted from\n    the same state at a later time.  When the virsh 'start'\n    command is next run for the domain, it will automatically\n    be started from this saved state.",
        handler: managedsave,
        flags: 0,
    },
    CmdDef {
        name: "restore",
        opts: &[
            OptDef::data("file", "the state to restore"),
            OptDef::flag("bypass-cache", "avoid file system cache when restoring"),
            OptDef::string("xml", "filename containing updated XML for the target"),
            OptDef::flag("running", "restore domain into running state"),
            OptDef::flag("paused", "restore domain into paused state"),
            OptDef::flag(
                "reset-nvram",
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        help: "restore a domain from a saved state in a file",
        desc: "Restore a domain.",
        handler: restore,
        flags: 0,
    },
    CmdDef {
        name: "save",
        opts: &[
            DOMAIN,
            OptDef::data("file", "where to save the data"),
            OptDef::flag("bypass-cache", "avoid file system cache when saving"),
            OptDef::string("xml", "filename containing updated XML for the target"),
            OptDef::flag("running", "set domain to be running on restore"),
            OptDef::flag("paused", "set domain to be paused on restore"),
            OptDef::flag("verbose", "display the progress of save"),
        ],
        help: "save a domain state to a file",
        desc: "Save the RAM state of a running domain.",
        handler: save,
        flags: 0,
    },
];

/// The save and restore flags of the options given.
fn flags(cmd: &Cmd) -> u32 {
    let mut f = 0;
    for (opt, bit) in [
        ("bypass-cache", F::BYPASS_CACHE),
        ("running", F::RUNNING),
        ("paused", F::PAUSED),
        ("reset-nvram", F::RESET_NVRAM),
    ] {
        if cmd.has(opt) {
            f |= bit.0;
        }
    }
    f
}

/// The XML of `--xml FILE`, if given.
fn xml_option(ctl: &Ctl, cmd: &Cmd) -> Result<Option<String>, crate::cli::Fail> {
    if cmd.has("xml") {
        util::read_file(ctl, cmd, "xml").map(Some)
    } else {
        Ok(None)
    }
}

fn save(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let name = cmd.get("domain").unwrap_or("");
    let file = cmd.get("file").unwrap_or("");
    let xml = xml_option(ctl, cmd)?;
    let f = flags(cmd);
    let result = if f == 0 && xml.is_none() {
        ctl.block_on(dom.save(file))
    } else {
        ctl.block_on(dom.save_flags(file, xml.as_deref(), F(f)))
    };
    match result {
        Ok(()) => {
            // virsh watches the save as a job, and ends that with a newline
            ctl.print_extra(&format!("\nDomain '{name}' saved to {file}\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to save domain '{name}' to {file}"), e)),
    }
}

fn managedsave(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let name = cmd.get("domain").unwrap_or("");
    let result = ctl.block_on(dom.managed_save(F(flags(cmd))));
    match result {
        Ok(()) => {
            ctl.print_extra(&format!("\nDomain '{name}' state saved by libvirt\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to save domain '{name}' state"), e)),
    }
}

fn restore(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let file = cmd.get("file").unwrap_or("");
    let xml = xml_option(ctl, cmd)?;
    let f = flags(cmd);
    let client = ctl.conn()?;
    let result = if f == 0 && xml.is_none() {
        ctl.block_on(client.restore_domain(file))
    } else {
        ctl.block_on(client.restore_domain_flags(file, xml.as_deref(), F(f)))
    };
    match result {
        Ok(()) => {
            ctl.print_extra(&format!("Domain restored from {file}\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to restore domain from {file}"), e)),
    }
}
