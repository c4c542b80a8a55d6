//! Volumes made from files or other volumes: vol-create, vol-create-from, vol-clone.

use virtwire::flags::StorageVolCreateFlags as F;

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::pool::pool_by;
use crate::commands::util;
use crate::commands::volume::vol_by;
use crate::ctl::Ctl;

const PREALLOC: OptDef = OptDef::flag(
    "prealloc-metadata",
    "preallocate metadata (for qcow2 instead of full allocation)",
);
const REFLINK: OptDef = OptDef::flag("reflink", "use btrfs COW lightweight copy");
const VALIDATE: OptDef = OptDef::flag("validate", "validate the XML against the schema");
const FILE: OptDef = OptDef::data("file", "file containing an XML vol description");

/// `vol-clone` (listed with the other volume commands, in virsh's order).
pub const CLONE: CmdDef = CmdDef {
    name: "vol-clone",
    opts: &[
        OptDef::data("vol", "vol name, key or path"),
        OptDef::data("newname", "clone name"),
        OptDef::string("pool", "pool name or uuid"),
        PREALLOC,
        REFLINK,
        OptDef::flag(
            "print-xml",
            "print XML document rather than clone the volume",
        ),
    ],
    help: "clone a volume.",
    desc: "Clone an existing volume within the parent pool.",
    handler: clone,
    flags: 0,
};

/// `vol-create`.
pub const CREATE: CmdDef = CmdDef {
    name: "vol-create",
    opts: &[OptDef::data("pool", "pool name"), FILE, PREALLOC, VALIDATE],
    help: "create a vol from an XML file",
    desc: "Create a vol.",
    handler: create,
    flags: 0,
};

/// `vol-create-from`.
pub const CREATE_FROM: CmdDef = CmdDef {
    name: "vol-create-from",
    opts: &[
        OptDef::data("pool", "pool name or uuid"),
        FILE,
        OptDef::data("vol", "vol name, key or path"),
        OptDef::string("inputpool", "pool name or uuid of the input volume's pool"),
        PREALLOC,
        REFLINK,
        VALIDATE,
    ],
    help: "create a vol, using another volume as input",
    desc: "Create a vol from an existing volume.",
    handler: create_from,
    flags: 0,
};

/// The creation flags the options ask for.
fn flags(cmd: &Cmd) -> F {
    let mut f = 0;
    for (opt, flag) in [
        ("prealloc-metadata", F::PREALLOC_METADATA),
        ("reflink", F::REFLINK),
        ("validate", F::VALIDATE),
    ] {
        if cmd.has(opt) {
            f |= flag.0;
        }
    }
    F(f)
}

fn create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool_by(ctl, cmd, "pool", true, true)?;
    let from = util::required(ctl, cmd, "file")?;
    let xml = util::read_file(ctl, cmd, "file")?;
    match ctl.block_on(pool.create_volume_xml(&xml, flags(cmd))) {
        Ok(v) => {
            ctl.print_extra(&format!("Vol {} created from {from}\n", v.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to create vol from {from}"), e)),
    }
}

fn create_from(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool_by(ctl, cmd, "pool", true, true)?;
    let from = util::required(ctl, cmd, "file")?;
    let input = vol_by(ctl, cmd, Some("inputpool"), true, true)?;
    let xml = util::read_file(ctl, cmd, "file")?;
    match ctl.block_on(pool.create_volume_xml_from(&xml, &input, flags(cmd))) {
        Ok(v) => {
            ctl.print_extra(&format!(
                "Vol {} created from input vol {}\n",
                v.name(),
                input.name()
            ));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to create vol from {from}"), e)),
    }
}

fn clone(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let orig = vol_by(ctl, cmd, Some("pool"), true, true)?;
    let pool = match ctl.block_on(orig.lookup_pool()) {
        Ok(p) => p,
        Err(e) => return Err(ctl.fail("failed to get parent pool", e)),
    };
    let newname = util::required(ctl, cmd, "newname")?;
    let origxml = ctl.block_on(orig.xml_desc(Default::default()))?;
    let Some(xml) = clone_xml(&origxml, &newname) else {
        ctl.error("Failed to allocate XML buffer");
        return Err(Fail::Reported);
    };
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    match ctl.block_on(pool.create_volume_xml_from(&xml, &orig, flags(cmd))) {
        Ok(_) => {
            ctl.print_extra(&format!("Vol {newname} cloned from {}\n", orig.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to clone vol from {}", orig.name()), e)),
    }
}

/// The volume XML with `/volume/name` set to `name`, written out as libxml2 writes a node
/// (virsh's `virshMakeCloneXML`): attributes in double quotes, no final newline, the rest as
/// it was.
fn clone_xml(orig: &str, name: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(orig).ok()?;
    let root = doc.root_element();
    let name_node = root.children().find(|n| n.has_tag_name("name"))?;
    let mut out = String::new();
    write_node(&mut out, root, name_node.id(), name);
    Some(out)
}

fn write_node(out: &mut String, node: roxmltree::Node, name_id: roxmltree::NodeId, name: &str) {
    match node.node_type() {
        roxmltree::NodeType::Element => {
            out.push('<');
            out.push_str(node.tag_name().name());
            for a in node.attributes() {
                out.push_str(&format!(" {}=\"{}\"", a.name(), escape(a.value(), true)));
            }
            if node.id() == name_id {
                out.push_str(&format!(">{}</name>", escape(name, false)));
                return;
            }
            if !node.has_children() {
                out.push_str("/>");
                return;
            }
            out.push('>');
            for child in node.children() {
                write_node(out, child, name_id, name);
            }
            out.push_str(&format!("</{}>", node.tag_name().name()));
        }
        roxmltree::NodeType::Text => out.push_str(&escape(node.text().unwrap_or(""), false)),
        roxmltree::NodeType::Comment => {
            out.push_str(&format!("<!--{}-->", node.text().unwrap_or("")));
        }
        _ => {}
    }
}

/// Text escaped as libxml2 writes it (in attributes, quotes and line breaks too).
fn escape(s: &str, attr: bool) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' if attr => o.push_str("&quot;"),
            '\n' if attr => o.push_str("&#10;"),
            '\r' => o.push_str("&#13;"),
            '\t' if attr => o.push_str("&#9;"),
            c => o.push(c),
        }
    }
    o
}
