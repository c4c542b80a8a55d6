//! snapshot-list: the table, `--name`, `--parent` and `--tree` (virsh's `vshTreePrint`).

use virtwire::DomainSnapshot;
use virtwire::flags::DomainSnapshotListFlags as LF;

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::snapshot::{DOMAIN, Facts, lookup, parent_name};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

/// The snapshot-list command.
pub const LIST: CmdDef = CmdDef {
    name: "snapshot-list",
    opts: &[
        DOMAIN,
        OptDef::flag("parent", "add a column showing parent snapshot"),
        OptDef::flag("roots", "list only snapshots without parents"),
        OptDef::flag("leaves", "list only snapshots without children"),
        OptDef::flag(
            "no-leaves",
            "list only snapshots that are not leaves (with children)",
        ),
        OptDef::flag(
            "metadata",
            "list only snapshots that have metadata that would prevent undefine",
        ),
        OptDef::flag(
            "no-metadata",
            "list only snapshots that have no metadata managed by libvirt",
        ),
        OptDef::flag("inactive", "filter by snapshots taken while inactive"),
        OptDef::flag(
            "active",
            "filter by snapshots taken while active (full system snapshots)",
        ),
        OptDef::flag("disk-only", "filter by disk-only snapshots"),
        OptDef::flag("internal", "filter by internal snapshots"),
        OptDef::flag("external", "filter by external snapshots"),
        OptDef::flag("tree", "list snapshots in a tree"),
        OptDef::string("from", "limit list to children of given snapshot"),
        OptDef::flag("current", "limit list to children of current snapshot"),
        OptDef::flag("descendants", "with --from, list all descendants"),
        OptDef::flag("name", "list snapshot names only"),
        OptDef::flag("topological", "sort list topologically rather than by name"),
    ],
    help: "List snapshots for a domain",
    desc: "Snapshot List",
    handler: list,
    flags: 0,
};

/// `VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL`.
const TOPOLOGICAL: u32 = 0x400;

/// The listing flags of the options, checked as virsh checks them.
fn list_flags(ctl: &Ctl, cmd: &Cmd) -> Result<u32, Fail> {
    for (a, b) in [
        ("tree", "name"),
        ("parent", "roots"),
        ("parent", "tree"),
        ("roots", "tree"),
        ("roots", "from"),
        ("roots", "current"),
    ] {
        util::exclusive(ctl, cmd, a, b)?;
    }
    let mut flags = 0;
    for (opt, bit) in [
        ("leaves", LF::LEAVES),
        ("no-leaves", LF::NO_LEAVES),
        ("inactive", LF::INACTIVE),
        ("active", LF::ACTIVE),
        ("disk-only", LF::DISK_ONLY),
        ("internal", LF::INTERNAL),
        ("external", LF(0x200)),
    ] {
        if cmd.has(opt) {
            if cmd.has("tree") {
                ctl.error(&format!("--{opt} and --tree are mutually exclusive"));
                return Err(Fail::Reported);
            }
            flags |= bit.0;
        }
    }
    for (opt, bit) in [
        ("roots", LF::ROOTS.0),
        ("metadata", LF::METADATA.0),
        ("no-metadata", LF::NO_METADATA.0),
        ("topological", TOPOLOGICAL),
    ] {
        if cmd.has(opt) {
            flags |= bit;
        }
    }
    if cmd.has("descendants") {
        if !cmd.has("from") && !cmd.has("current") {
            ctl.error("--descendants requires either --from or --current");
            return Err(Fail::Reported);
        }
        flags |= LF::DESCENDANTS.0;
    }
    Ok(flags)
}

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = list_flags(ctl, cmd)?;
    let tree = cmd.has("tree");
    let dom = util::domain(ctl, cmd, "domain")?;
    let start = if cmd.has("from") || cmd.has("current") {
        Some(lookup(ctl, cmd, "from", &dom)?)
    } else {
        None
    };
    let mut snaps: Vec<DomainSnapshot> = match &start {
        Some(s) => ctl.block_on(s.list_all_children(LF(flags)))?,
        None => ctl.block_on(dom.list_all_snapshots(LF(flags)))?,
    };
    if tree {
        if let Some(s) = &start {
            snaps.push(s.clone());
        }
    }
    if flags & TOPOLOGICAL == 0 {
        snaps.sort_by(|a, b| util::strcasecmp(a.name(), b.name()));
    }
    if tree {
        return print_tree(ctl, &snaps, start.as_ref());
    }
    if cmd.has("name") {
        let out: String = snaps.iter().map(|s| format!("{}\n", s.name())).collect();
        ctl.print(&out);
        return Ok(());
    }
    let with_parent = cmd.has("parent");
    let mut header = vec!["Name", "Creation Time", "State"];
    if with_parent {
        header.push("Parent");
    }
    let mut table = Table::new(&header);
    for s in &snaps {
        let Ok(xml) = ctl.block_on(s.xml_desc(virtwire::flags::DomainSnapshotXmlFlags(0))) else {
            continue;
        };
        let Some(facts) = Facts::of(&xml) else {
            continue;
        };
        let Some(created) = facts.creation else {
            continue;
        };
        let mut row = vec![
            s.name().to_string(),
            format!("{} +0000", util::utc_time(created)),
            facts.state,
        ];
        if with_parent {
            row.push(facts.parent.unwrap_or_default());
        }
        table.row(row);
    }
    ctl.print(&table.render(ctl.quiet));
    Ok(())
}

/// Prints every root of `snaps` with its descendants (the start of `--from` counts as a
/// root).
fn print_tree(ctl: &Ctl, snaps: &[DomainSnapshot], start: Option<&DomainSnapshot>) -> CmdResult {
    let mut nodes = Vec::with_capacity(snaps.len());
    for s in snaps {
        let is_start = start.is_some_and(|st| st.name() == s.name());
        let parent = if is_start { None } else { parent_name(ctl, s)? };
        nodes.push((s.name().to_string(), parent));
    }
    // a parent outside the list (filtered, or above --from) makes a root as in virsh
    let mut out = String::new();
    for i in 0..nodes.len() {
        if nodes[i].1.is_none() {
            tree_node(&nodes, i, i, true, &mut String::new(), &mut out);
        }
    }
    ctl.print(&out);
    Ok(())
}

/// One node of the tree and its children, drawn as libvirt's `vshTreePrintInternal`.
fn tree_node(
    nodes: &[(String, Option<String>)],
    id: usize,
    last: usize,
    root: bool,
    indent: &mut String,
    out: &mut String,
) {
    let name = &nodes[id].0;
    out.push_str(&format!(
        "{indent}{}{name}\n",
        if root { "" } else { "+- " }
    ));
    if !root {
        indent.push(if id == last { ' ' } else { '|' });
        indent.push(' ');
    }
    let children: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].1.as_deref() == Some(name.as_str()))
        .collect();
    let next_last = children.last().copied();
    if next_last.is_some() {
        out.push_str(&format!("{indent}  |\n"));
    }
    indent.push_str("  ");
    for &c in &children {
        tree_node(nodes, c, next_last.unwrap_or(c), false, indent, out);
    }
    indent.truncate(indent.len() - 2);
    if next_last.is_none() && id == last {
        out.push_str(&format!("{indent}\n"));
    }
    if !root {
        indent.truncate(indent.len() - 2);
    }
}
