//! Domain snapshots: snapshot-create, -create-as, -current, -delete, -dumpxml, -info,
//! -parent, -revert (snapshot-list is in `snapshot_list`).

use virtwire::flags::{
    DomainSnapshotCreateFlags as CF, DomainSnapshotDeleteFlags as DF,
    DomainSnapshotListFlags as LF, DomainSnapshotRevertFlags as RF, DomainSnapshotXmlFlags as XF,
};
use virtwire::proto::c_constants::ErrorNumber;
use virtwire::{Domain, DomainSnapshot};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::{snapshot_list, util};
use crate::ctl::Ctl;

/// The domain option of the snapshot commands.
pub const DOMAIN: OptDef = OptDef::data("domain", "domain name, id or uuid");

/// The commands of this module with snapshot-list, in `help`'s order (Snapshot).
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "snapshot-create",
        opts: &[
            DOMAIN,
            OptDef::string("xmlfile", "domain snapshot XML"),
            OptDef::flag("redefine", "redefine metadata for existing snapshot"),
            OptDef::flag("current", "with redefine, set current snapshot"),
            OptDef::flag("no-metadata", "take snapshot but create no metadata"),
            OptDef::flag("halt", "halt domain after snapshot is created"),
            OptDef::flag("disk-only", "capture disk state but not vm state"),
            OptDef::flag("reuse-external", "reuse any existing external files"),
            OptDef::flag("quiesce", "quiesce guest's file systems"),
            OptDef::flag("atomic", "require atomic operation"),
            OptDef::flag("live", "take a live snapshot"),
            OptDef::flag("validate", "validate the XML against the schema"),
        ],
        help: "Create a snapshot from XML",
        desc: "Create a snapshot (disk and RAM) from XML",
        handler: create,
        flags: 0,
    },
    CmdDef {
        name: "snapshot-create-as",
        opts: &[
            DOMAIN,
            OptDef::string("name", "name of snapshot"),
            OptDef::string("description", "description of snapshot"),
            OptDef::flag("print-xml", "print XML document rather than create"),
            OptDef::flag("no-metadata", "take snapshot but create no metadata"),
            OptDef::flag("halt", "halt domain after snapshot is created"),
            OptDef::flag("disk-only", "capture disk state but not vm state"),
            OptDef::flag("reuse-external", "reuse any existing external files"),
            OptDef::flag("quiesce", "quiesce guest's file systems"),
            OptDef::flag("atomic", "require atomic operation"),
            OptDef::flag("live", "take a live snapshot"),
            OptDef::flag("validate", "validate the XML against the schema"),
            OptDef::string("memspec", "memory attributes: [file=]name[,snapshot=type]").named(),
            OptDef::argv(
                "diskspec",
                "disk attributes: disk[,snapshot=type][,driver=type][,stype=type][,file=name]",
            ),
        ],
        help: "Create a snapshot from a set of args",
        desc: "Create a snapshot (disk and RAM) from arguments",
        handler: create_as,
        flags: 0,
    },
    CmdDef {
        name: "snapshot-current",
        opts: &[
            DOMAIN,
            OptDef::flag("name", "list the name, rather than the full xml"),
            OptDef::flag(
                "security-info",
                "include security sensitive information in XML dump",
            ),
            OptDef::string("snapshotname", "name of existing snapshot to make current"),
        ],
        help: "Get or set the current snapshot",
        desc: "Get or set the current snapshot",
        handler: current,
        flags: 0,
    },
    CmdDef {
        name: "snapshot-delete",
        opts: &[
            DOMAIN,
            OptDef::string("snapshotname", "snapshot name"),
            OptDef::flag("current", "delete current snapshot"),
            OptDef::flag("children", "delete snapshot and all children"),
            OptDef::flag("children-only", "delete children but not snapshot"),
            OptDef::flag(
                "metadata",
                "delete only libvirt metadata, leaving snapshot contents behind",
            ),
        ],
        help: "Delete a domain snapshot",
        desc: "Snapshot Delete",
        handler: delete,
        flags: 0,
    },
    CmdDef {
        name: "snapshot-dumpxml",
        opts: &[
            DOMAIN,
            OptDef::data("snapshotname", "snapshot name"),
            OptDef::flag(
                "security-info",
                "include security sensitive information in XML dump",
            ),
            util::XPATH,
            util::WRAP,
        ],
        help: "Dump XML for a domain snapshot",
        desc: "Snapshot Dump XML",
        handler: dumpxml,
        flags: 0,
    },
    CmdDef {
        name: "snapshot-info",
        opts: &[
            DOMAIN,
            OptDef::string("snapshotname", "snapshot name"),
            OptDef::flag("current", "info on current snapshot"),
        ],
        help: "snapshot information",
        desc: "Returns basic information about a snapshot.",
        handler: info,
        flags: 0,
    },
    snapshot_list::LIST,
    CmdDef {
        name: "snapshot-parent",
        opts: &[
            DOMAIN,
            OptDef::string("snapshotname", "find parent of snapshot name"),
            OptDef::flag("current", "find parent of current snapshot"),
        ],
        help: "Get the name of the parent of a snapshot",
        desc: "Extract the snapshot's parent, if any",
        handler: parent,
        flags: 0,
    },
    CmdDef {
        name: "snapshot-revert",
        opts: &[
            DOMAIN,
            OptDef::string("snapshotname", "snapshot name"),
            OptDef::flag("current", "revert to current snapshot"),
            OptDef::flag("running", "after reverting, change state to running"),
            OptDef::flag("paused", "after reverting, change state to paused"),
            OptDef::flag("force", "try harder on risky reverts"),
            OptDef::flag(
                "reset-nvram",
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        help: "Revert a domain to a snapshot",
        desc: "Revert domain to snapshot",
        handler: revert,
        flags: 0,
    },
];

/// The creation flags the options of snapshot-create and -create-as ask for.
fn create_flags(cmd: &Cmd) -> u32 {
    let mut f = 0;
    for (opt, bit) in [
        ("redefine", CF::REDEFINE),
        ("current", CF::CURRENT),
        ("no-metadata", CF::NO_METADATA),
        ("halt", CF::HALT),
        ("disk-only", CF::DISK_ONLY),
        ("reuse-external", CF::REUSE_EXT),
        ("quiesce", CF::QUIESCE),
        ("atomic", CF::ATOMIC),
        ("live", CF::LIVE),
        ("validate", CF::VALIDATE),
    ] {
        if cmd.has(opt) {
            f |= bit.0;
        }
    }
    f
}

/// Creates the snapshot `xml` describes and says so as virsh does.
fn make(ctl: &Ctl, dom: &Domain, xml: &str, flags: u32, from: Option<&str>) -> CmdResult {
    let snap = ctl.block_on(dom.snapshot_create_xml(xml, CF(flags)))?;
    match from {
        Some(f) => ctl.print_extra(&format!(
            "Domain snapshot {} created from '{f}'",
            snap.name()
        )),
        None => ctl.print_extra(&format!("Domain snapshot {} created", snap.name())),
    }
    Ok(())
}

fn create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let from = cmd.get("xmlfile");
    let xml = match from {
        Some(_) => util::read_file(ctl, cmd, "xmlfile")?,
        None => "<domainsnapshot/>".to_string(),
    };
    make(ctl, &dom, &xml, create_flags(cmd), from)
}

fn create_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = create_flags(cmd);
    let dom = util::domain(ctl, cmd, "domain")?;
    let mut xml = String::from("<domainsnapshot>\n");
    if let Some(n) = cmd.get("name") {
        xml.push_str(&format!("  <name>{}</name>\n", escape(n)));
    }
    if let Some(d) = cmd.get("description") {
        xml.push_str(&format!("  <description>{}</description>\n", escape(d)));
    }
    if let Some(m) = cmd.get("memspec") {
        match memspec(m) {
            Some(el) => xml.push_str(&format!("  {el}\n")),
            None => {
                ctl.error(&format!("unable to parse memspec: {m}"));
                return Err(Fail::Reported);
            }
        }
    }
    let disks = cmd.get_all("diskspec");
    if !disks.is_empty() {
        xml.push_str("  <disks>\n");
        for d in disks {
            match diskspec(d) {
                Some(el) => xml.push_str(&el),
                None => {
                    ctl.error(&format!("unable to parse diskspec: {d}"));
                    return Err(Fail::Reported);
                }
            }
        }
        xml.push_str("  </disks>\n");
    }
    xml.push_str("</domainsnapshot>\n");
    if cmd.has("print-xml") {
        ctl.print(&format!("{xml}\n"));
        return Ok(());
    }
    make(ctl, &dom, &xml, flags, None)
}

/// `--memspec [file=]NAME[,snapshot=TYPE]` as a `<memory>` element.
fn memspec(s: &str) -> Option<String> {
    let (mut snapshot, mut file) = (None, None);
    for part in util::split_list(s) {
        if let (None, Some(v)) = (&snapshot, part.strip_prefix("snapshot=")) {
            snapshot = Some(v.to_string());
        } else if let (None, Some(v)) = (&file, part.strip_prefix("file=")) {
            file = Some(v.to_string());
        } else if file.is_none() && part.starts_with('/') {
            file = Some(part);
        } else {
            return None;
        }
    }
    let mut el = String::from("<memory");
    if let Some(v) = snapshot {
        el.push_str(&format!(" snapshot='{}'", escape(&v)));
    }
    if let Some(v) = file {
        el.push_str(&format!(" file='{}'", escape(&v)));
    }
    el.push_str("/>");
    Some(el)
}

/// `--diskspec DISK[,snapshot=TYPE][,driver=TYPE][,file=NAME]` as a `<disk>` element
/// (indented for its place in `<disks>`).
fn diskspec(s: &str) -> Option<String> {
    let parts = util::split_list(s);
    let (name, rest) = parts.split_first()?;
    let (mut snapshot, mut driver, mut file) = (None, None, None);
    for part in rest {
        if let (None, Some(v)) = (&snapshot, part.strip_prefix("snapshot=")) {
            snapshot = Some(v);
        } else if let (None, Some(v)) = (&driver, part.strip_prefix("driver=")) {
            driver = Some(v);
        } else if let (None, Some(v)) = (&file, part.strip_prefix("file=")) {
            file = Some(v);
        } else {
            return None;
        }
    }
    let mut el = format!("    <disk name='{}'", escape(name));
    if let Some(v) = snapshot {
        el.push_str(&format!(" snapshot='{v}'"));
    }
    if driver.is_none() && file.is_none() {
        el.push_str("/>\n");
        return Some(el);
    }
    el.push_str(">\n");
    if let Some(v) = driver {
        el.push_str(&format!("      <driver type='{v}'/>\n"));
    }
    if let Some(v) = file {
        el.push_str(&format!("      <source file='{}'/>\n", escape(v)));
    }
    el.push_str("    </disk>\n");
    Some(el)
}

/// Text as libvirt's `virBufferEscapeString` writes it into XML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The snapshot `--OPT NAME` or `--current` names (virsh's `virshLookupSnapshot`).
pub fn lookup(ctl: &Ctl, cmd: &Cmd, opt: &str, dom: &Domain) -> Result<DomainSnapshot, Fail> {
    let name = cmd.get(opt);
    let current = cmd.has("current");
    if current && name.is_some() {
        ctl.error(&format!("--{opt} and --current are mutually exclusive"));
        return Err(Fail::Reported);
    }
    match name {
        Some(n) => Ok(ctl.block_on(dom.snapshot_lookup_by_name(n, Default::default()))?),
        None if current => Ok(ctl.block_on(dom.snapshot_current(Default::default()))?),
        None => {
            ctl.error(&format!("--{opt} or --current is required"));
            Err(Fail::Reported)
        }
    }
}

fn current(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    util::exclusive(ctl, cmd, "name", "snapshotname")?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let secure = if cmd.has("security-info") { 1 } else { 0 };
    if let Some(name) = cmd.get("snapshotname") {
        let snap = ctl.block_on(dom.snapshot_lookup_by_name(name, Default::default()))?;
        let xml = ctl.block_on(snap.xml_desc(XF::SECURE))?;
        let mut flags = CF::REDEFINE.0 | CF::CURRENT.0;
        if xml.contains("<state>disk-snapshot</state>") {
            flags |= CF::DISK_ONLY.0;
        }
        ctl.block_on(dom.snapshot_create_xml(&xml, CF(flags)))?;
        ctl.print_extra(&format!("Snapshot {name} set as current"));
        return Ok(());
    }
    if !ctl.block_on(dom.has_current_snapshot(Default::default()))? {
        ctl.error(&format!(
            "domain '{}' has no current snapshot",
            cmd.get("domain").unwrap_or("")
        ));
        return Err(Fail::Reported);
    }
    let snap = ctl.block_on(dom.snapshot_current(Default::default()))?;
    if cmd.has("name") {
        ctl.print(snap.name());
    } else {
        ctl.print(&ctl.block_on(snap.xml_desc(XF(secure)))?);
    }
    Ok(())
}

fn delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    let mut flags = 0;
    for (opt, bit) in [
        ("children", DF::CHILDREN),
        ("children-only", DF::CHILDREN_ONLY),
        ("metadata", DF::METADATA_ONLY),
    ] {
        if cmd.has(opt) {
            flags |= bit.0;
        }
    }
    let name = snap.name().to_string();
    match ctl.block_on(snap.delete(DF(flags))) {
        Ok(()) if cmd.has("children-only") => {
            ctl.print_extra(&format!("Domain snapshot {name} children deleted\n"));
            Ok(())
        }
        Ok(()) => {
            ctl.print_extra(&format!("Domain snapshot {name} deleted\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to delete snapshot {name}"), e)),
    }
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    util::no_xpath(ctl, cmd)?;
    let name = util::required(ctl, cmd, "snapshotname")?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let snap = ctl.block_on(dom.snapshot_lookup_by_name(&name, Default::default()))?;
    let flags = if cmd.has("security-info") { 1 } else { 0 };
    ctl.print(&ctl.block_on(snap.xml_desc(XF(flags)))?);
    Ok(())
}

fn parent(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    match parent_name(ctl, &snap)? {
        Some(p) => {
            ctl.print(&p);
            Ok(())
        }
        None => {
            ctl.error(&format!("snapshot '{}' has no parent", snap.name()));
            Err(Fail::Reported)
        }
    }
}

/// The name of a snapshot's parent; `None` for a root.
pub fn parent_name(ctl: &Ctl, snap: &DomainSnapshot) -> Result<Option<String>, Fail> {
    match ctl.block_on(snap.parent(Default::default())) {
        Ok(p) => Ok(Some(p.name().to_string())),
        Err(e) if e.remote().map(|r| r.code) == Some(ErrorNumber::NoDomainSnapshot) => Ok(None),
        Err(e) => {
            crate::output::report(&Fail::Lib(e));
            ctl.error("unable to determine if snapshot has parent");
            Err(Fail::Reported)
        }
    }
}

fn revert(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = 0;
    for (opt, bit) in [
        ("running", RF::RUNNING),
        ("paused", RF::PAUSED),
        ("reset-nvram", RF::RESET_NVRAM),
    ] {
        if cmd.has(opt) {
            flags |= bit.0;
        }
    }
    let dom = util::domain(ctl, cmd, "domain")?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    let mut result = ctl.block_on(snap.revert(RF(flags)));
    if cmd.has("force") {
        if let Err(e) = &result {
            if e.remote().map(|r| r.code) == Some(ErrorNumber::SnapshotRevertRisky) {
                result = ctl.block_on(snap.revert(RF(flags | RF::FORCE.0)));
            }
        }
    }
    if let Err(e) = result {
        return Err(ctl.fail(&format!("Failed to revert snapshot {}", snap.name()), e));
    }
    ctl.print_extra(&format!("Domain snapshot {} reverted\n", snap.name()));
    Ok(())
}

fn info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    let line = |k: &str, v: &str| ctl.print(&format!("{:<15} {v}\n", k));
    line("Name:", snap.name());
    line("Domain:", dom.name());
    let current = ctl
        .block_on(snap.is_current(Default::default()))
        .unwrap_or(false);
    line("Current:", if current { "yes" } else { "no" });
    let xml = ctl.block_on(snap.xml_desc(XF(0)))?;
    let Some(facts) = Facts::of(&xml) else {
        ctl.error("unexpected problem reading snapshot xml");
        return Err(Fail::Reported);
    };
    line("State:", &facts.state);
    line(
        "Location:",
        if facts.external {
            "external"
        } else {
            "internal"
        },
    );
    line("Parent:", facts.parent.as_deref().unwrap_or("-"));
    let children = ctl.block_on(snap.num_children(LF(0)))?;
    line("Children:", &children.to_string());
    let descendants = ctl.block_on(snap.num_children(LF::DESCENDANTS))?;
    line("Descendants:", &descendants.to_string());
    if let Ok(m) = ctl.block_on(snap.has_metadata(Default::default())) {
        line("Metadata:", if m { "yes" } else { "no" });
    }
    Ok(())
}

/// What snapshot-info and snapshot-list read from a snapshot's XML.
#[derive(Debug)]
pub struct Facts {
    /// `<state>`.
    pub state: String,
    /// Whether its memory or any disk is an external snapshot.
    pub external: bool,
    /// `<parent><name>`.
    pub parent: Option<String>,
    /// `<creationTime>`.
    pub creation: Option<i64>,
}

impl Facts {
    /// The facts of a `<domainsnapshot>` document; `None` when it has no state.
    pub fn of(xml: &str) -> Option<Facts> {
        let doc = roxmltree::Document::parse(xml).ok()?;
        let root = doc.root_element();
        fn child<'a, 'i>(
            n: roxmltree::Node<'a, 'i>,
            name: &str,
        ) -> Option<roxmltree::Node<'a, 'i>> {
            n.children().find(|c| c.has_tag_name(name))
        }
        let text =
            |n: Option<roxmltree::Node<'_, '_>>| n.map(|n| n.text().unwrap_or("").to_string());
        let state = text(child(root, "state"))?;
        let memory = child(root, "memory");
        let external = match memory {
            Some(m) => {
                m.attribute("snapshot") == Some("external")
                    || child(root, "disks").is_some_and(|d| {
                        d.children().any(|c| {
                            c.has_tag_name("disk") && c.attribute("snapshot") == Some("external")
                        })
                    })
            }
            None => state == "disk-snapshot",
        };
        let parent = child(root, "parent")
            .and_then(|p| child(p, "name"))
            .map(|n| n.text().unwrap_or("").to_string());
        let creation = text(child(root, "creationTime")).and_then(|t| util::parse_i64(&t));
        Some(Facts {
            state,
            external,
            parent,
            creation,
        })
    }
}
