//! A domain's life: define, create, start, suspend, resume, shutdown, reboot, reset,
//! destroy, undefine, autostart.

use virtwire::flags::{
    DomainCreateFlags, DomainDefineFlags, DomainDestroyFlags, DomainRebootFlags,
    DomainShutdownFlags, DomainUndefineFlags,
};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::domain_info::DOMAIN;
use crate::commands::{undefine_storage, util};
use crate::ctl::Ctl;

const MODE_HELP: &str = "shutdown mode: acpi|agent|initctl|signal|paravirt";

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "autostart",
        opts: &[DOMAIN, OptDef::flag("disable", "disable autostarting")],
        help: "autostart a domain",
        desc: "Configure a domain to be automatically started at boot.",
        handler: autostart,
        flags: 0,
    },
    CmdDef {
        name: "create",
        opts: &[
            OptDef::data("file", "file containing an XML domain description"),
            OptDef::flag("console", "attach to console after creation"),
            OptDef::flag("paused", "leave the guest paused after creation"),
            OptDef::flag(
                "autodestroy",
                "automatically destroy the guest when virsh disconnects",
            ),
            OptDef::string("pass-fds", "pass file descriptors N,M,... to the guest"),
            OptDef::flag("validate", "validate the XML against the schema"),
            OptDef::flag(
                "reset-nvram",
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        help: "create a domain from an XML file",
        desc: "Create a domain.",
        handler: create,
        flags: 0,
    },
    CmdDef {
        name: "define",
        opts: &[
            OptDef::data("file", "file containing an XML domain description"),
            OptDef::flag("validate", "validate the XML against the schema"),
        ],
        help: "define (but don't start) a domain from an XML file",
        desc: "Define a domain.",
        handler: define,
        flags: 0,
    },
    CmdDef {
        name: "destroy",
        opts: &[
            DOMAIN,
            OptDef::flag("graceful", "terminate gracefully"),
            OptDef::flag("remove-logs", "remove domain logs"),
        ],
        help: "destroy (stop) a domain",
        desc: "Forcefully stop a given domain, but leave its resources intact.",
        handler: destroy,
        flags: 0,
    },
    CmdDef {
        name: "reboot",
        opts: &[DOMAIN, OptDef::string("mode", MODE_HELP)],
        help: "reboot a domain",
        desc: "Run a reboot command in the target domain.",
        handler: reboot,
        flags: 0,
    },
    CmdDef {
        name: "reset",
        opts: &[DOMAIN],
        help: "reset a domain",
        desc: "Reset the target domain as if by power button",
        handler: reset,
        flags: 0,
    },
    CmdDef {
        name: "resume",
        opts: &[DOMAIN],
        help: "resume a domain",
        desc: "Resume a previously suspended domain.",
        handler: resume,
        flags: 0,
    },
    CmdDef {
        name: "shutdown",
        opts: &[DOMAIN, OptDef::string("mode", MODE_HELP)],
        help: "gracefully shutdown a domain",
        desc: "Run shutdown in the target domain.",
        handler: shutdown,
        flags: 0,
    },
    CmdDef {
        name: "start",
        opts: &[
            OptDef::data("domain", "name of the inactive domain"),
            OptDef::flag("console", "attach to console after creation"),
            OptDef::flag("paused", "leave the guest paused after creation"),
            OptDef::flag(
                "autodestroy",
                "automatically destroy the guest when virsh disconnects",
            ),
            OptDef::flag("bypass-cache", "avoid file system cache when loading"),
            OptDef::flag(
                "force-boot",
                "force fresh boot by discarding any managed save",
            ),
            OptDef::string("pass-fds", "pass file descriptors N,M,... to the guest"),
            OptDef::flag(
                "reset-nvram",
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        help: "start a (previously defined) inactive domain",
        desc: "Start a domain, either from the last managedsave\n    state, or via a fresh boot if no managedsave state\n    is present.",
        handler: start,
        flags: 0,
    },
    CmdDef {
        name: "suspend",
        opts: &[DOMAIN],
        help: "suspend a domain",
        desc: "Suspend a running domain.",
        handler: suspend,
        flags: 0,
    },
    CmdDef {
        name: "undefine",
        opts: &[
            DOMAIN,
            OptDef::flag("managed-save", "remove domain managed state file"),
            OptDef::string(
                "storage",
                "remove associated storage volumes (comma separated list of targets or source paths) (see domblklist)",
            ),
            OptDef::flag(
                "remove-all-storage",
                "remove all associated storage volumes (use with caution)",
            ),
            OptDef::flag(
                "delete-storage-volume-snapshots",
                "delete snapshots associated with volume(s), requires --remove-all-storage (must be supported by storage driver)",
            ),
            OptDef::flag("wipe-storage", "wipe data on the removed volumes"),
            OptDef::flag(
                "snapshots-metadata",
                "remove all domain snapshot metadata (vm must be inactive)",
            ),
            OptDef::flag(
                "checkpoints-metadata",
                "remove all domain checkpoint metadata (vm must be inactive)",
            ),
            OptDef::flag("nvram", "remove nvram file"),
            OptDef::flag("keep-nvram", "keep nvram file"),
            OptDef::flag("tpm", "remove TPM state"),
            OptDef::flag("keep-tpm", "keep TPM state"),
        ],
        help: "undefine a domain",
        desc: "Undefine an inactive domain, or convert persistent to transient.",
        handler: undefine,
        flags: 0,
    },
];

/// The name the user gave for the domain (virsh's messages quote it as typed).
fn given(cmd: &Cmd) -> &str {
    cmd.get("domain").unwrap_or("")
}

/// Runs `call` on the domain; prints `done` (with `-q`, nothing) or reports `failed`.
fn simple<F>(ctl: &mut Ctl, cmd: &Cmd, done: &str, failed: &str, call: F) -> CmdResult
where
    F: AsyncFnOnce(&virtwire::Domain) -> virtwire::Result<()>,
{
    let dom = util::domain(ctl, cmd, "domain")?;
    let name = given(cmd);
    match ctl.block_on(call(&dom)) {
        Ok(()) => {
            ctl.print_extra(&format!("Domain '{name}' {done}\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to {failed} domain '{name}'"), e)),
    }
}

fn destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = DomainDestroyFlags::DEFAULT.0;
    if cmd.has("graceful") {
        flags |= DomainDestroyFlags::GRACEFUL.0;
    }
    if cmd.has("remove-logs") {
        flags |= DomainDestroyFlags::REMOVE_LOGS.0;
    }
    // without flags, libvirt's call without flags, as virsh makes it
    simple(ctl, cmd, "destroyed", "destroy", async |d| match flags {
        0 => d.destroy().await,
        f => d.destroy_flags(DomainDestroyFlags(f)).await,
    })
}

fn suspend(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "suspended", "suspend", async |d| {
        d.suspend().await
    })
}

fn resume(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "resumed", "resume", async |d| d.resume().await)
}

fn reset(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "was reset", "reset", async |d| {
        d.reset(Default::default()).await
    })
}

/// The flags of `--mode acpi,agent,…` (shared by shutdown and reboot).
fn mode_flags(ctl: &Ctl, cmd: &Cmd) -> Result<u32, Fail> {
    let Some(modes) = cmd.get("mode") else {
        return Ok(0);
    };
    let mut flags = 0;
    for mode in util::split_list(modes) {
        flags |= match mode.as_str() {
            "acpi" => 1,
            "agent" => 2,
            "initctl" => 4,
            "signal" => 8,
            "paravirt" => 16,
            _ => {
                ctl.error(&format!(
                    "Unknown mode {mode} value, expecting 'acpi', 'agent', 'initctl', 'signal', or 'paravirt'"
                ));
                return Err(Fail::Reported);
            }
        };
    }
    Ok(flags)
}

fn shutdown(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = mode_flags(ctl, cmd)?;
    simple(
        ctl,
        cmd,
        "is being shutdown",
        "shutdown",
        async |d| match flags {
            0 => d.shutdown().await,
            f => d.shutdown_flags(DomainShutdownFlags(f)).await,
        },
    )
}

fn reboot(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = mode_flags(ctl, cmd)?;
    simple(ctl, cmd, "is being rebooted", "reboot", async |d| {
        d.reboot(DomainRebootFlags(flags)).await
    })
}

fn autostart(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let name = given(cmd);
    let enable = !cmd.has("disable");
    match ctl.block_on(dom.set_autostart(enable)) {
        Ok(()) if enable => {
            ctl.print_extra(&format!("Domain '{name}' marked as autostarted\n"));
            Ok(())
        }
        Ok(()) => {
            ctl.print_extra(&format!("Domain '{name}' unmarked as autostarted\n"));
            Ok(())
        }
        Err(e) if enable => {
            Err(ctl.fail(&format!("Failed to mark domain '{name}' as autostarted"), e))
        }
        Err(e) => Err(ctl.fail(
            &format!("Failed to unmark domain '{name}' as autostarted"),
            e,
        )),
    }
}

fn define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let file = cmd.get("file").unwrap_or("");
    let xml = util::read_file(ctl, cmd, "file")?;
    let flags = if cmd.has("validate") {
        DomainDefineFlags::VALIDATE
    } else {
        DomainDefineFlags::default()
    };
    let client = ctl.conn()?;
    let defined = if flags == DomainDefineFlags::default() {
        ctl.block_on(client.define_domain_xml(&xml))
    } else {
        ctl.block_on(client.define_domain_xml_flags(&xml, flags))
    };
    match defined {
        Ok(dom) => {
            ctl.print_extra(&format!("Domain '{}' defined from {file}\n", dom.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to define domain from {file}"), e)),
    }
}

/// The start flags that `create` and `start` share.
fn start_flags(cmd: &Cmd) -> u32 {
    let mut flags = 0;
    for (opt, f) in [
        ("paused", DomainCreateFlags::START_PAUSED),
        ("autodestroy", DomainCreateFlags::START_AUTODESTROY),
        ("bypass-cache", DomainCreateFlags::START_BYPASS_CACHE),
        ("force-boot", DomainCreateFlags::START_FORCE_BOOT),
        ("validate", DomainCreateFlags::START_VALIDATE),
        ("reset-nvram", DomainCreateFlags::START_RESET_NVRAM),
    ] {
        if cmd.has(opt) {
            flags |= f.0;
        }
    }
    flags
}

/// `--console` and `--pass-fds` need what rvirsh does not do yet: say so before changing
/// anything.
fn unsupported_start_options(ctl: &Ctl, cmd: &Cmd) -> Result<(), Fail> {
    for opt in ["console", "pass-fds"] {
        if cmd.has(opt) {
            ctl.error(&format!("option --{opt} is not supported by rvirsh yet"));
            return Err(Fail::Reported);
        }
    }
    Ok(())
}

fn create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    unsupported_start_options(ctl, cmd)?;
    let file = cmd.get("file").unwrap_or("");
    let xml = util::read_file(ctl, cmd, "file")?;
    let client = ctl.conn()?;
    let flags = DomainCreateFlags(start_flags(cmd));
    match ctl.block_on(client.create_domain_xml(&xml, flags)) {
        Ok(dom) => {
            ctl.print_extra(&format!("Domain '{}' created from {file}\n", dom.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to create domain from {file}"), e)),
    }
}

fn start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain_by(ctl, cmd, "domain", util::BY_NAME | util::BY_UUID)?;
    if dom.id() != -1 {
        ctl.error("Domain is already active");
        return Err(Fail::Reported);
    }
    unsupported_start_options(ctl, cmd)?;
    let started = match start_flags(cmd) {
        0 => ctl.block_on(dom.create()),
        f => ctl.block_on(dom.create_with_flags(DomainCreateFlags(f))),
    };
    match started {
        Ok(()) => {
            ctl.print_extra(&format!("Domain '{}' started\n", dom.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to start domain '{}'", dom.name()), e)),
    }
}

fn undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if cmd.has("delete-storage-volume-snapshots") && !cmd.has("remove-all-storage") {
        ctl.error(
            "Option --remove-all-storage is required by option --delete-storage-volume-snapshots",
        );
        return Err(Fail::Reported);
    }
    let dom = util::domain(ctl, cmd, "domain")?;
    let doomed = if undefine_storage::wanted(cmd) {
        undefine_storage::choose(ctl, cmd, &dom)?
    } else {
        Vec::new()
    };
    let name = given(cmd);
    let mut flags = 0;
    for (opt, f) in [
        ("managed-save", DomainUndefineFlags::MANAGED_SAVE),
        (
            "snapshots-metadata",
            DomainUndefineFlags::SNAPSHOTS_METADATA,
        ),
        (
            "checkpoints-metadata",
            DomainUndefineFlags::CHECKPOINTS_METADATA,
        ),
        ("nvram", DomainUndefineFlags::NVRAM),
        ("keep-nvram", DomainUndefineFlags::KEEP_NVRAM),
        ("tpm", DomainUndefineFlags::TPM),
        ("keep-tpm", DomainUndefineFlags::KEEP_TPM),
    ] {
        if cmd.has(opt) {
            flags |= f.0;
        }
    }
    // virsh leaves out the flags for what the domain does not have, and refuses by itself
    // to drop a managed save image it was not told to remove
    let managed_save = match ctl.block_on(dom.has_managed_save_image(Default::default())) {
        Ok(saved) => saved,
        Err(e) if e.is_unsupported() => false,
        Err(e) => return Err(e.into()),
    };
    if !managed_save {
        flags &= !DomainUndefineFlags::MANAGED_SAVE.0;
    } else if !cmd.has("managed-save") {
        ctl.error("Refusing to undefine while domain managed save image exists");
        return Err(Fail::Reported);
    }
    let undefined = match flags {
        0 => ctl.block_on(dom.undefine()),
        f => ctl.block_on(dom.undefine_flags(DomainUndefineFlags(f))),
    };
    match undefined {
        Ok(()) => {
            ctl.print_extra(&format!("Domain '{name}' has been undefined\n"));
            if undefine_storage::remove(ctl, cmd, doomed) {
                Ok(())
            } else {
                Err(Fail::Reported)
            }
        }
        Err(e) => Err(ctl.fail(&format!("Failed to undefine domain '{name}'"), e)),
    }
}
