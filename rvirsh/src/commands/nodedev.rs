//! Host devices: nodedev-list (--cap, --tree, --inactive, --all), nodedev-dumpxml.

use virtwire::NodeDevice;
use virtwire::flags::{ConnectListAllNodeDeviceFlags as L, NodeDeviceXmlFlags};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "nodedev-dumpxml",
        opts: &[
            OptDef::data("device", "device name or wwn pair in 'wwnn,wwpn' format"),
            util::XPATH,
            util::WRAP,
        ],
        help: "node device details in XML",
        desc: "Output the node device details as an XML dump to stdout.",
        handler: dumpxml,
        flags: 0,
    },
    CmdDef {
        name: "nodedev-list",
        opts: &[
            OptDef::flag("tree", "list devices in a tree"),
            OptDef::string("cap", "capability names, separated by comma").named(),
            OptDef::flag("inactive", "list inactive devices"),
            OptDef::flag("all", "list inactive & active devices"),
        ],
        help: "enumerate devices on this host",
        desc: "",
        handler: list,
        flags: 0,
    },
];

/// Capability names in `virNodeDevCapType` order: the list flag of the Nth is `1 << N`.
const CAPS: &[&str] = &[
    "system",
    "pci",
    "usb_device",
    "usb",
    "net",
    "scsi_host",
    "scsi_target",
    "scsi",
    "storage",
    "fc_host",
    "vports",
    "scsi_generic",
    "drm",
    "mdev_types",
    "mdev",
    "ccw",
    "css",
    "vdpa",
    "ap_card",
    "ap_queue",
    "ap_matrix",
    "vpd",
];

fn list_flags(ctl: &Ctl, cmd: &Cmd) -> Result<u32, Fail> {
    let (tree, inactive, all) = (cmd.has("tree"), cmd.has("inactive"), cmd.has("all"));
    let cap = cmd.get("cap").filter(|c| !c.is_empty());
    if tree && (cap.is_some() || inactive) {
        ctl.error("Option --tree is incompatible with --cap and --inactive");
        return Err(Fail::Reported);
    }
    if all && inactive {
        ctl.error("Option --all is incompatible with --inactive");
        return Err(Fail::Reported);
    }
    let mut flags = 0;
    for c in cap.map(util::split_list).unwrap_or_default() {
        match CAPS.iter().position(|&n| n == c) {
            Some(i) => flags |= 1 << i,
            None => {
                ctl.error("Invalid capability type");
                return Err(Fail::Reported);
            }
        }
    }
    if !inactive {
        flags |= L::ACTIVE.0;
    }
    if inactive || all {
        flags |= L::INACTIVE.0;
    }
    Ok(flags)
}

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = list_flags(ctl, cmd)?;
    let client = ctl.conn()?;
    let mut devs = match ctl.block_on(client.list_all_node_devices(L(flags))) {
        Ok(d) => d,
        Err(e) => return Err(ctl.fail("Failed to list node devices", e)),
    };
    devs.sort_by(|a, b| util::strcasecmp(a.name(), b.name()));
    let mut out = String::new();
    if cmd.has("tree") {
        let names: Vec<&str> = devs.iter().map(NodeDevice::name).collect();
        let parents: Vec<Option<String>> = devs
            .iter()
            .map(|d| ctl.block_on(d.parent()).ok().flatten())
            .collect();
        let tree = Tree {
            names: &names,
            parents: &parents,
        };
        for (i, parent) in parents.iter().enumerate() {
            if parent.is_none() {
                let mut indent = [0u8; INDENT];
                tree.print(&mut out, i, i, 0, 0, &mut indent);
            }
        }
    } else {
        for d in &devs {
            out.push_str(d.name());
            out.push('\n');
        }
    }
    ctl.print(&out);
    Ok(())
}

/// How deep virsh's tree indents (`MAX_DEPTH`), and its indent buffer's size.
const MAX_DEPTH: usize = 100;
const INDENT: usize = MAX_DEPTH * 2 + 3;

/// The devices and their parents (`None`: a root).
struct Tree<'a> {
    names: &'a [&'a str],
    parents: &'a [Option<String>],
}

impl Tree<'_> {
    fn is_child(&self, i: usize, of: usize) -> bool {
        self.parents[i].as_deref() == Some(self.names[of])
    }

    /// Device `dev` and its children as virsh's `virshNodeDevicePrintTree` draws them. The
    /// indent is a C string in a fixed buffer that the recursion writes bytes and NULs
    /// into, as virsh's does: its quirks (the trailing blanks of the closing lines) are
    /// part of the output.
    fn print(
        &self,
        out: &mut String,
        dev: usize,
        last: usize,
        depth: usize,
        mut idx: usize,
        buf: &mut [u8; INDENT],
    ) {
        let in_range = |i: usize| i + 3 < INDENT;
        if depth > 0 && depth < MAX_DEPTH && in_range(idx) {
            buf[idx..idx + 4].copy_from_slice(b"+- \0");
        }
        out.push_str(&format!("{}{}\n", c_str(buf), self.names[dev]));
        if depth > 0 && depth < MAX_DEPTH && in_range(idx) {
            buf[idx] = if dev == last { b' ' } else { b'|' };
            buf[idx + 1] = b' ';
            buf[idx + 2] = 0;
            idx += 2;
        }
        let next_last = (0..self.names.len()).rev().find(|&i| self.is_child(i, dev));
        if next_last.is_some() {
            out.push_str(&format!("{}  |\n", c_str(buf)));
        }
        for i in 0..self.names.len() {
            if depth < MAX_DEPTH && in_range(idx) {
                buf[idx] = b' ';
                buf[idx + 1] = b' ';
            }
            if let (true, Some(nl)) = (self.is_child(i, dev), next_last) {
                self.print(out, i, nl, depth + 1, idx + 2, buf);
            }
            if depth < MAX_DEPTH && in_range(idx) {
                buf[idx] = 0;
                buf[idx + 1] = 0;
            }
        }
        if next_last.is_none() && dev == last {
            out.push_str(&format!("{}\n", c_str(buf)));
        }
    }
}

/// A WWN as libvirt's `virValidateWWN` takes it: 16 hex digits, maybe after `0x`.
fn valid_wwn(w: &str) -> bool {
    let digits = w
        .strip_prefix("0x")
        .or_else(|| w.strip_prefix("0X"))
        .unwrap_or(w);
    digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The buffer up to its first NUL.
fn c_str(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let n = util::required(ctl, cmd, "device")?;
    let client = ctl.conn()?;
    let parts: Vec<&str> = n.split(',').collect();
    let found = match parts.as_slice() {
        [wwnn, wwpn] => {
            // libvirt checks the pair before asking the daemon
            if let Some(bad) = [wwnn, wwpn].into_iter().find(|w| !valid_wwn(w)) {
                ctl.error(&format!("internal error: Malformed wwn: {bad}"));
                return Err(Fail::Reported);
            }
            ctl.block_on(client.lookup_node_device_scsi_host_by_wwn(wwnn, wwpn, Default::default()))
        }
        _ => ctl.block_on(client.lookup_node_device_by_name(&n)),
    };
    let dev = match found {
        Ok(d) => d,
        Err(e) => return Err(ctl.fail(&format!("Could not find matching device '{n}'"), e)),
    };
    util::no_xpath(ctl, cmd)?;
    let xml = ctl.block_on(dev.xml_desc(NodeDeviceXmlFlags::default()))?;
    ctl.print(&xml);
    Ok(())
}
