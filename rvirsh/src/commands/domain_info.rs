//! What a domain is: dominfo, domstate, domid, domname, domuuid, dumpxml.

use virtwire::flags::{DomainMessageType, DomainXmlFlags};
use virtwire::{Domain, ErrorCode};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;

/// The `--domain` option most domain commands start with.
pub const DOMAIN: OptDef = OptDef::data("domain", "domain name, id or uuid");

/// Commands of the Domain Management group.
pub static MANAGEMENT: &[CmdDef] = &[
    CmdDef {
        name: "domid",
        opts: &[OptDef::data("domain", "domain name or uuid")],
        help: "convert a domain name or UUID to domain id",
        desc: "",
        handler: domid,
        flags: 0,
    },
    CmdDef {
        name: "domname",
        opts: &[OptDef::data("domain", "domain id or uuid")],
        help: "convert a domain id or UUID to domain name",
        desc: "",
        handler: domname,
        flags: 0,
    },
    CmdDef {
        name: "domuuid",
        opts: &[OptDef::data("domain", "domain id or name")],
        help: "convert a domain name or id to domain UUID",
        desc: "",
        handler: domuuid,
        flags: 0,
    },
    CmdDef {
        name: "dumpxml",
        opts: &[
            DOMAIN,
            OptDef::flag("inactive", "show inactive defined XML"),
            OptDef::flag(
                "security-info",
                "include security sensitive information in XML dump",
            ),
            OptDef::flag("update-cpu", "update guest CPU according to host CPU"),
            OptDef::flag("migratable", "provide XML suitable for migrations"),
            OptDef::string("xpath", "xpath expression to filter the XML document").named(),
            OptDef::flag("wrap", "wrap xpath results in an common root element"),
        ],
        help: "domain information in XML",
        desc: "Output the domain information as an XML dump to stdout.",
        handler: dumpxml,
        flags: 0,
    },
];

/// Commands of the Domain Monitoring group.
pub static MONITOR: &[CmdDef] = &[
    CmdDef {
        name: "dominfo",
        opts: &[DOMAIN],
        help: "domain information",
        desc: "Returns basic information about the domain.",
        handler: dominfo,
        flags: 0,
    },
    CmdDef {
        name: "domstate",
        opts: &[
            DOMAIN,
            OptDef::flag("reason", "also print reason for the state"),
        ],
        help: "domain state",
        desc: "Returns state about a domain.",
        handler: domstate,
        flags: 0,
    },
];

fn domid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain_by(ctl, cmd, "domain", util::BY_NAME | util::BY_UUID)?;
    match dom.id() {
        -1 => ctl.print("-\n"),
        id => ctl.print(&format!("{id}\n")),
    }
    Ok(())
}

fn domname(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain_by(ctl, cmd, "domain", util::BY_ID | util::BY_UUID)?;
    ctl.print(&format!("{}\n", dom.name()));
    Ok(())
}

fn domuuid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain_by(ctl, cmd, "domain", util::BY_ID | util::BY_NAME)?;
    ctl.print(&format!("{}\n", dom.uuid_string()));
    Ok(())
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let mut flags = 0;
    for (opt, bit) in [
        ("security-info", 1),
        ("inactive", 2),
        ("update-cpu", 4),
        ("migratable", 8),
    ] {
        if cmd.has(opt) {
            flags |= bit;
        }
    }
    if cmd.has("xpath") || cmd.has("wrap") {
        ctl.error("--xpath is not supported by rvirsh");
        return Err(Fail::Reported);
    }
    let xml = ctl.block_on(dom.xml_desc(DomainXmlFlags(flags)))?;
    ctl.print(&xml);
    Ok(())
}

fn dominfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let mut out = String::new();
    let mut line = |k: &str, v: &str| out.push_str(&format!("{k:<15} {v}\n"));
    match dom.id() {
        -1 => line("Id:", "-"),
        id => line("Id:", &id.to_string()),
    }
    line("Name:", dom.name());
    line("UUID:", &dom.uuid_string());
    if let Ok(os) = ctl.block_on(dom.os_type()) {
        line("OS Type:", &os);
    }
    let mut ok = true;
    match ctl.block_on(dom.info()) {
        Ok(info) => {
            line("State:", util::state_text(info.state));
            line("CPU(s):", &info.nr_virt_cpu.to_string());
            if info.cpu_time_ns != 0 {
                line(
                    "CPU time:",
                    &format!("{:.1}s", info.cpu_time_ns as f64 / 1e9),
                );
            }
            if info.max_mem_kib != u64::from(u32::MAX) {
                line("Max memory:", &format!("{} KiB", info.max_mem_kib));
            } else {
                line("Max memory:", "no limit");
            }
            line("Used memory:", &format!("{} KiB", info.memory_kib));
        }
        Err(_) => ok = false,
    }
    let yes_no = |v: bool| if v { "yes" } else { "no" };
    match ctl.block_on(dom.is_persistent()) {
        Ok(p) => line("Persistent:", yes_no(p)),
        Err(_) => line("Persistent:", "unknown"),
    }
    if let Ok(a) = ctl.block_on(dom.autostart()) {
        line("Autostart:", if a { "enable" } else { "disable" });
    }
    match ctl.block_on(dom.has_managed_save_image(Default::default())) {
        Ok(m) => line("Managed save:", yes_no(m)),
        Err(_) => line("Managed save:", "unknown"),
    }
    let security = security_lines(ctl, &dom);
    ctl.print(&out);
    ctl.print(&security?);
    if let Ok(msgs) = ctl.block_on(dom.messages(DomainMessageType::default())) {
        let mut out = String::new();
        for (i, m) in msgs.iter().enumerate() {
            let k = if i == 0 { "Messages:" } else { "" };
            out.push_str(&format!("{k:<15} {m}\n"));
        }
        ctl.print(&out);
    }
    if ok { Ok(()) } else { Err(Fail::Unknown) }
}

/// dominfo's security model, DOI and label lines (none when the host has no model).
fn security_lines(ctl: &mut Ctl, dom: &Domain) -> Result<String, Fail> {
    let client = dom.client().clone();
    let model = match ctl.block_on(client.node_security_model()) {
        Ok(m) => m,
        Err(e) if e.code() == Some(ErrorCode::NoSupport) => return Ok(String::new()),
        Err(e) => return Err(Fail::Lib(e)),
    };
    let name = model.model;
    if name.is_empty() {
        return Ok(String::new());
    }
    let mut out = format!(
        "{:<15} {}\n{:<15} {}\n",
        "Security model:", name, "Security DOI:", model.doi
    );
    let label = ctl.block_on(dom.security_label())?;
    let text = label.label;
    if !text.is_empty() {
        let mode = if label.enforcing {
            "enforcing"
        } else {
            "permissive"
        };
        out.push_str(&format!("{:<15} {text} ({mode})\n", "Security label:"));
    }
    Ok(out)
}

/// What each state's reason numbers mean, as virsh words them.
fn reason_text(state: virtwire::DomainState, reason: i32) -> &'static str {
    use virtwire::DomainState as S;
    let table: &[&str] = match state {
        S::Running => &[
            "unknown",
            "booted",
            "migrated",
            "restored",
            "from snapshot",
            "unpaused",
            "migration canceled",
            "save canceled",
            "event wakeup",
            "crashed",
            "post-copy",
            "post-copy failed",
        ],
        S::Paused => &[
            "unknown",
            "user",
            "migrating",
            "saving",
            "dumping",
            "I/O error",
            "watchdog",
            "from snapshot",
            "shutting down",
            "creating snapshot",
            "crashed",
            "starting up",
            "post-copy",
            "post-copy failed",
            "api error",
        ],
        S::Shutdown => &["unknown", "user"],
        S::Shutoff => &[
            "unknown",
            "shutdown",
            "destroyed",
            "crashed",
            "migrated",
            "saved",
            "failed",
            "from snapshot",
            "daemon",
        ],
        S::Crashed => &["unknown", "panicked"],
        S::Nostate | S::Blocked | S::Pmsuspended => &["unknown"],
        S::Unknown(_) => &[],
    };
    usize::try_from(reason)
        .ok()
        .and_then(|r| table.get(r).copied())
        .unwrap_or("unknown")
}

fn domstate(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let (state, reason) = ctl.block_on(dom.state())?;
    if cmd.has("reason") {
        ctl.print(&format!(
            "{} ({})\n",
            util::state_text(state),
            reason_text(state, reason)
        ));
    } else {
        ctl.print(&format!("{}\n", util::state_text(state)));
    }
    Ok(())
}
