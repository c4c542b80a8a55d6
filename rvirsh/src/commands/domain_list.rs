//! `list`.

use std::cmp::Ordering;

use virtwire::flags::{ConnectListAllDomainsFlags as F, DomainModificationImpact};
use virtwire::{Domain, ErrorCode};

use crate::cli::{Cmd, CmdDef, CmdResult, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

/// The commands of this module.
pub static CMDS: &[CmdDef] = &[CmdDef {
    name: "list",
    opts: &[
        OptDef::flag("inactive", "list inactive domains"),
        OptDef::flag("all", "list inactive & active domains"),
        OptDef::flag("transient", "list transient domains"),
        OptDef::flag("persistent", "list persistent domains"),
        OptDef::flag("with-snapshot", "list domains with existing snapshot"),
        OptDef::flag("without-snapshot", "list domains without a snapshot"),
        OptDef::flag("with-checkpoint", "list domains with existing checkpoint"),
        OptDef::flag("without-checkpoint", "list domains without a checkpoint"),
        OptDef::flag("state-running", "list domains in running state"),
        OptDef::flag("state-paused", "list domains in paused state"),
        OptDef::flag("state-shutoff", "list domains in shutoff state"),
        OptDef::flag("state-other", "list domains in other states"),
        OptDef::flag("autostart", "list domains with autostart enabled"),
        OptDef::flag("no-autostart", "list domains with autostart disabled"),
        OptDef::flag("with-managed-save", "list domains with managed save state"),
        OptDef::flag("without-managed-save", "list domains without managed save"),
        OptDef::flag("uuid", "list uuid's only"),
        OptDef::flag("name", "list domain names only"),
        OptDef::flag("id", "list domain IDs only"),
        OptDef::flag("table", "list table (default)"),
        OptDef::flag(
            "managed-save",
            "mark inactive domains with managed save state",
        ),
        OptDef::flag("title", "show domain title"),
    ],
    help: "list domains",
    desc: "Returns list of domains.",
    handler: list,
    flags: 0,
}];

/// The filter options and the flags they set.
const FILTERS: &[(&str, F)] = &[
    ("persistent", F::PERSISTENT),
    ("transient", F::TRANSIENT),
    ("with-managed-save", F::MANAGEDSAVE),
    ("without-managed-save", F::NO_MANAGEDSAVE),
    ("autostart", F::AUTOSTART),
    ("no-autostart", F::NO_AUTOSTART),
    ("with-snapshot", F::HAS_SNAPSHOT),
    ("without-snapshot", F::NO_SNAPSHOT),
    ("with-checkpoint", F::HAS_CHECKPOINT),
    ("without-checkpoint", F::NO_CHECKPOINT),
    ("state-running", F::RUNNING),
    ("state-paused", F::PAUSED),
    ("state-shutoff", F::SHUTOFF),
    ("state-other", F::OTHER),
];

fn list_flags(cmd: &Cmd) -> F {
    let mut flags = F::ACTIVE;
    if cmd.has("inactive") || cmd.has("state-shutoff") {
        flags = F::INACTIVE;
    }
    if cmd.has("all") {
        flags = F(F::ACTIVE.0 | F::INACTIVE.0);
    }
    for (name, f) in FILTERS {
        if cmd.has(name) {
            flags = F(flags.0 | f.0);
        }
    }
    flags
}

/// virsh's order: running domains by ID, then the others by name (ignoring case).
fn domain_order(a: &Domain, b: &Domain) -> Ordering {
    match (a.id(), b.id()) {
        (-1, -1) => util::strcasecmp(a.name(), b.name()),
        (-1, _) => Ordering::Greater,
        (_, -1) => Ordering::Less,
        (x, y) => x.cmp(&y),
    }
}

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = list_flags(cmd);
    util::exclusive(ctl, cmd, "table", "name")?;
    util::exclusive(ctl, cmd, "table", "uuid")?;
    util::exclusive(ctl, cmd, "table", "id")?;
    let (opt_uuid, opt_name, opt_id) = (cmd.has("uuid"), cmd.has("name"), cmd.has("id"));
    let table = !opt_uuid && !opt_name && !opt_id;
    let client = ctl.conn()?;
    let mut doms = match ctl.block_on(client.list_all_domains(flags)) {
        Ok(d) => d,
        Err(e) => return Err(ctl.fail("Failed to list domains", e)),
    };
    doms.sort_by(domain_order);
    if !table {
        let mut out = String::new();
        for dom in &doms {
            let id = id_text(dom);
            let mut fields = Vec::new();
            if opt_uuid {
                fields.push(dom.uuid_string());
            }
            if opt_id {
                if dom.id() == -1 && !opt_uuid && !opt_name {
                    continue;
                }
                fields.push(id);
            }
            if opt_name {
                fields.push(dom.name().to_string());
            }
            out.push_str(&fields.join(" "));
            out.push('\n');
        }
        ctl.print(&out);
        return Ok(());
    }
    let title = cmd.has("title");
    let mut t = if title {
        Table::new(&["Id", "Name", "State", "Title"])
    } else {
        Table::new(&["Id", "Name", "State"])
    };
    for dom in &doms {
        let Ok((state, _)) = ctl.block_on(dom.state()) else {
            // the domain went away meanwhile
            continue;
        };
        let mut state_text = util::state_text(state);
        if cmd.has("managed-save")
            && state == virtwire::DomainState::Shutoff
            && ctl
                .block_on(dom.has_managed_save_image(Default::default()))
                .is_ok_and(|saved| saved)
        {
            state_text = "saved";
        }
        let mut row = vec![id_text(dom), dom.name().to_string(), state_text.to_string()];
        if title {
            row.push(domain_title(ctl, dom)?);
        }
        t.row(row);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}

fn id_text(dom: &Domain) -> String {
    match dom.id() {
        -1 => "-".to_string(),
        id => id.to_string(),
    }
}

/// The domain's title (its first line), empty when it has none.
fn domain_title(ctl: &mut Ctl, dom: &Domain) -> Result<String, crate::cli::Fail> {
    const TITLE: i32 = 1;
    match ctl.block_on(dom.metadata(TITLE, None, DomainModificationImpact::default())) {
        Ok(t) => Ok(t.lines().next().unwrap_or("").to_string()),
        Err(e) if e.code() == Some(ErrorCode::NoDomainMetadata) => Ok(String::new()),
        Err(e) => Err(ctl.fail("Failed to get domain description", e)),
    }
}
