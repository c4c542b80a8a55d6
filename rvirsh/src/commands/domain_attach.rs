//! Devices built from options: attach-disk, attach-interface (the device XML is made from the
//! options, as virsh makes it), detach-disk, detach-interface (the device is found in the
//! domain's XML and sent back as libxml2 prints it).

use roxmltree::{Document, Node};
use virtwire::Domain;
use virtwire::flags::{DomainDeviceModifyFlags as F, DomainXmlFlags};

use crate::cli::{Cmd, CmdDef, CmdResult, EMPTY_OK, Fail, OptDef, OptKind};
use crate::commands::util;
use crate::ctl::Ctl;

/// The options every command of this module ends with (attach-disk, attach-interface), or
/// has before `--print-xml` (the detach commands).
const PERSISTENT: OptDef = OptDef::flag("persistent", "make live change persistent");
const CONFIG: OptDef = OptDef::flag("config", "affect next boot");
const LIVE: OptDef = OptDef::flag("live", "affect running domain");
const CURRENT: OptDef = OptDef::flag("current", "affect current domain");
const DOMAIN: OptDef = OptDef::data("domain", "domain name, id or uuid");

/// The commands of this module (Domain Management).
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "attach-disk",
        opts: &[
            DOMAIN,
            OptDef::data("source", "source of disk device or name of network disk").empty_ok(),
            OptDef::data("target", "target of disk device"),
            OptDef::string("targetbus", "target bus of disk device"),
            OptDef::string("driver", "driver of disk device"),
            OptDef::string("subdriver", "subdriver of disk device"),
            OptDef::string("iothread", "IOThread to be used by supported device"),
            OptDef::string("cache", "cache mode of disk device"),
            OptDef::string("io", "io policy of disk device"),
            OptDef::string("type", "target device type"),
            OptDef::alias("shareable", "mode=shareable"),
            OptDef::string("mode", "mode of device reading and writing"),
            OptDef::string("sourcetype", "type of source (block|file|network)"),
            OptDef::string("serial", "serial of disk device"),
            OptDef::string("wwn", "wwn of disk device"),
            OptDef::string("alias", "custom alias name of disk device"),
            OptDef::flag("rawio", "needs rawio capability"),
            OptDef::string("address", "address of disk device"),
            OptDef::flag(
                "multifunction",
                "use multifunction pci under specified address",
            ),
            OptDef::flag(
                "print-xml",
                "print XML document rather than attach the disk",
            ),
            OptDef::string("source-protocol", "protocol used by disk device source"),
            OptDef::string("source-host-name", "host name for source of disk device"),
            OptDef::string(
                "source-host-transport",
                "host transport for source of disk device",
            ),
            OptDef::string(
                "source-host-socket",
                "host socket for source of disk device",
            ),
            PERSISTENT,
            CONFIG,
            LIVE,
            CURRENT,
        ],
        help: "attach disk device",
        desc: "Attach new disk device.",
        handler: attach_disk,
        flags: 0,
    },
    CmdDef {
        name: "attach-interface",
        opts: &[
            DOMAIN,
            OptDef::data("type", "network interface type"),
            OptDef::data("source", "source of network interface"),
            OptDef::string("target", "target network name"),
            OptDef::string("mac", "MAC address"),
            OptDef::string("script", "script used to bridge network interface"),
            OptDef::string("model", "model type"),
            OptDef::string("alias", "custom alias name of interface device"),
            OptDef::string("inbound", "control domain's incoming traffics"),
            OptDef::string("outbound", "control domain's outgoing traffics"),
            PERSISTENT,
            CONFIG,
            LIVE,
            CURRENT,
            OptDef::flag(
                "print-xml",
                "print XML document rather than attach the interface",
            ),
            OptDef::flag(
                "managed",
                "libvirt will automatically detach/attach the device from/to host",
            ),
            OptDef::string("source-mode", "mode attribute of <source/> element"),
        ],
        help: "attach network interface",
        desc: "Attach new network interface.",
        handler: attach_interface,
        flags: 0,
    },
    CmdDef {
        name: "detach-disk",
        opts: &[
            DOMAIN,
            OptDef::data("target", "target of disk device"),
            PERSISTENT,
            CONFIG,
            LIVE,
            CURRENT,
            OptDef::flag(
                "print-xml",
                "print XML document rather than detach the disk",
            ),
        ],
        help: "detach disk device",
        desc: "Detach disk device.",
        handler: detach_disk,
        flags: 0,
    },
    CmdDef {
        name: "detach-interface",
        opts: &[
            DOMAIN,
            OptDef::data("type", "network interface type"),
            OptDef::string("mac", "MAC address"),
            PERSISTENT,
            CONFIG,
            LIVE,
            CURRENT,
            OptDef::flag(
                "print-xml",
                "print XML document rather than detach the interface",
            ),
        ],
        help: "detach network interface",
        desc: "Detach network interface.",
        handler: detach_interface,
        flags: 0,
    },
];

/// The value of string option `name` (`None` when not given), refusing an empty value as
/// virsh does unless the option accepts one (`vshCommandOptStringReq`).
fn opt<'c>(ctl: &Ctl, cmd: &'c Cmd, name: &str) -> Result<Option<&'c str>, Fail> {
    let Some((def, value)) = cmd.opts.iter().find(|(o, _)| o.name == name) else {
        return Ok(None);
    };
    if value.is_empty() && def.flags & EMPTY_OK == 0 && def.kind != OptKind::Bool {
        ctl.error(&format!(
            "Failed to get option '{name}': Option argument is empty"
        ));
        return Err(Fail::Reported);
    }
    Ok(Some(value.as_str()))
}

/// Fails with virsh's message when `opt` is given without `needed`.
fn require(ctl: &Ctl, cmd: &Cmd, opt: &str, needed: &str) -> Result<(), Fail> {
    if cmd.has(opt) && !cmd.has(needed) {
        ctl.error(&format!("Option --{needed} is required by option --{opt}"));
        return Err(Fail::Reported);
    }
    Ok(())
}

/// The checks every command here starts with; the `VIR_DOMAIN_AFFECT_*` flags that
/// `--config`/`--persistent` and `--live` ask for.
fn affect(ctl: &Ctl, cmd: &Cmd) -> Result<u32, Fail> {
    util::exclusive(ctl, cmd, "persistent", "current")?;
    util::exclusive(ctl, cmd, "current", "live")?;
    util::exclusive(ctl, cmd, "current", "config")?;
    let mut flags = 0;
    if cmd.has("config") || cmd.has("persistent") {
        flags |= F::CONFIG.0;
    }
    if cmd.has("live") {
        flags |= F::LIVE.0;
    }
    Ok(flags)
}

/// Attaches (or detaches) `xml` as virsh does: the flags call when a flag or `--current` is
/// given, else the flagless one; `--persistent` on a running domain adds the live flag.
fn modify(
    ctl: &mut Ctl,
    cmd: &Cmd,
    dom: &Domain,
    xml: &str,
    mut flags: u32,
    attach: bool,
) -> Result<(), virtwire::Error> {
    if cmd.has("persistent") && ctl.block_on(dom.is_active()).unwrap_or(false) {
        flags |= F::LIVE.0;
    }
    match (attach, flags != 0 || cmd.has("current")) {
        (true, true) => ctl.block_on(dom.attach_device_flags(xml, F(flags))),
        (true, false) => ctl.block_on(dom.attach_device(xml)),
        (false, true) => ctl.block_on(dom.detach_device_flags(xml, F(flags))),
        (false, false) => ctl.block_on(dom.detach_device(xml)),
    }
}

// ---------------------------------------------------------------------------------------
// XML as virsh's buffers write it

/// `s` escaped for an attribute between single quotes, as libvirt's `virBufferEscapeString`
/// does (the control characters XML cannot hold are dropped).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{1}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{19}' => {}
            c => out.push(c),
        }
    }
    out
}

/// ` name='value'` escaped, or nothing when the value is absent.
fn attr(name: &str, value: Option<&str>) -> String {
    value.map_or(String::new(), |v| format!(" {name}='{}'", esc(v)))
}

/// An element as libvirt's `virXMLFormatElement` writes it at `indent`: nothing when it has
/// neither attributes nor children, `<name attrs/>` without children.
fn element(out: &mut String, indent: usize, name: &str, attrs: &str, children: &str) {
    if attrs.is_empty() && children.is_empty() {
        return;
    }
    let pad = " ".repeat(indent);
    if children.is_empty() {
        out.push_str(&format!("{pad}<{name}{attrs}/>\n"));
    } else {
        out.push_str(&format!("{pad}<{name}{attrs}>\n{children}{pad}</{name}>\n"));
    }
}

// ---------------------------------------------------------------------------------------
// Addresses (`pci:0000.00.0a.0`, `scsi:0.0.0`, …)

/// A device address as virsh's `--address` options take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Address {
    /// domain, bus, slot, function, multifunction.
    Pci(u32, u32, u32, u32, bool),
    /// controller, bus, unit (scsi, ide and sata addresses).
    Drive(&'static str, u32, u32, u64),
    /// cssid, ssid, devno.
    Ccw(u32, u32, u32),
    /// bus, port.
    Usb(u32, u32),
}

/// Reads one number at `s` as C's `strtoul`/`strtoull` in `base` and returns it with the
/// rest of the text (libvirt's `virStrToLong_uip`/`_ullp` with an end pointer: no sign
/// `-`, at least one digit, within `max`).
fn number(s: &str, base: u32, max: u64) -> Option<(u64, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let t = if base == 16
        && (t.starts_with("0x") || t.starts_with("0X"))
        && t[2..].starts_with(|c: char| c.is_ascii_hexdigit())
    {
        &t[2..]
    } else {
        t
    };
    let end = t.find(|c: char| !c.is_digit(base)).unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    let v = u64::from_str_radix(&t[..end], base).ok()?;
    (v <= max).then_some((v, &t[end..]))
}

/// Parses `count` numbers, each after one separator character of any kind (virsh skips
/// exactly one character before each field).
fn fields<const N: usize>(mut s: &str, bases: [u32; N], maxes: [u64; N]) -> Option<[u64; N]> {
    let mut out = [0; N];
    for i in 0..N {
        let mut chars = s.chars();
        chars.next()?;
        let (v, rest) = number(chars.as_str(), bases[i], maxes[i])?;
        out[i] = v;
        s = rest;
    }
    Some(out)
}

impl Address {
    /// `TYPE:FIELDS` as virsh's `virshAddressParse`.
    fn parse(s: &str, multifunction: bool) -> Option<Address> {
        let colon = s.find(':')?;
        let (kind, rest) = (&s[..colon], &s[colon..]);
        const U: u64 = u32::MAX as u64;
        Some(match kind {
            "pci" => {
                let [d, b, sl, f] = fields(rest, [16; 4], [U; 4])?;
                Address::Pci(d as u32, b as u32, sl as u32, f as u32, multifunction)
            }
            "scsi" | "ide" | "sata" => {
                let [c, b, u] = fields(rest, [10; 3], [U, U, u64::MAX])?;
                let kind = match kind {
                    "scsi" => "scsi",
                    "ide" => "ide",
                    _ => "sata",
                };
                Address::Drive(kind, c as u32, b as u32, u)
            }
            "ccw" => {
                let [c, ss, d] = fields(rest, [16; 3], [U; 3])?;
                Address::Ccw(c as u32, ss as u32, d as u32)
            }
            "usb" => {
                let [b, p] = fields(rest, [10; 2], [U; 2])?;
                Address::Usb(b as u32, p as u32)
            }
            _ => return None,
        })
    }

    /// The `<address/>` element at `indent`.
    fn format(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let body = match *self {
            Address::Pci(d, b, s, f, m) => format!(
                "<address type='pci' domain='0x{d:04x}' bus='0x{b:02x}' slot='0x{s:02x}' function='0x{f:x}'{}/>",
                if m { " multifunction='on'" } else { "" }
            ),
            Address::Drive(_, c, b, u) => {
                format!("<address type='drive' controller='{c}' bus='{b}' unit='{u}'/>")
            }
            Address::Ccw(c, s, d) => {
                format!("<address type='ccw' cssid='0x{c:02x}' ssid='0x{s:x}' devno='0x{d:04x}'/>")
            }
            Address::Usb(b, p) => format!("<address type='usb' bus='{b}' port='{p}'/>"),
        };
        format!("{pad}{body}\n")
    }
}

// ---------------------------------------------------------------------------------------
// attach-disk

/// Whether `wwn` is 16 hex digits, optionally after `0x` (libvirt's `virValidateWWN`).
fn valid_wwn(wwn: &str) -> bool {
    let p = wwn.strip_prefix("0x").unwrap_or(wwn);
    p.len() == 16 && p.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Whether `path` names a block device (following links, as `stat`).
fn is_block_device(path: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

/// The `<disk>` XML the options describe, or the failure reported.
fn disk_xml(ctl: &Ctl, cmd: &Cmd) -> Result<String, Fail> {
    let mut v = std::collections::HashMap::new();
    for name in [
        "source",
        "target",
        "driver",
        "subdriver",
        "type",
        "mode",
        "iothread",
        "cache",
        "io",
        "serial",
        "wwn",
        "address",
        "targetbus",
        "alias",
        "sourcetype",
        "source-protocol",
        "source-host-name",
        "source-host-transport",
        "source-host-socket",
    ] {
        if let Some(value) = opt(ctl, cmd, name)? {
            v.insert(name, value);
        }
    }
    let get = |name: &str| v.get(name).copied();
    let source = get("source");
    let target = get("target").unwrap_or("");
    let driver = get("driver");
    let protocol = get("source-protocol");
    let mut kind = match get("sourcetype") {
        None | Some("") => "",
        Some(t @ ("file" | "block" | "network")) => t,
        Some(t) => {
            ctl.error(&format!("Unknown source type: '{t}'"));
            return Err(Fail::Reported);
        }
    };
    if kind.is_empty() {
        kind = if protocol.is_some() {
            "network"
        } else if driver != Some("file")
            && driver != Some("tap")
            && source.is_some_and(is_block_device)
        {
            "block"
        } else {
            "file"
        };
    }
    if (kind == "network") != protocol.is_some() {
        ctl.error("--source-protocol option requires --sourcetype network");
        return Err(Fail::Reported);
    }
    let mode = get("mode");
    if let Some(m) = mode.filter(|m| *m != "readonly" && *m != "shareable") {
        ctl.error(&format!("No support for {m} in command 'attach-disk'"));
        return Err(Fail::Reported);
    }
    if let Some(w) = get("wwn").filter(|w| !valid_wwn(w)) {
        ctl.error(&format!("internal error: Malformed wwn: {w}"));
        return Err(Fail::Reported);
    }

    let mut children = String::new();
    let driver_attrs = [
        attr("name", driver),
        attr("type", get("subdriver")),
        attr("iothread", get("iothread")),
        attr("cache", get("cache")),
        attr("io", get("io")),
    ]
    .concat();
    element(&mut children, 2, "driver", &driver_attrs, "");
    let (source_attrs, mut source_children) = match kind {
        "file" => (attr("file", source), String::new()),
        "block" => (attr("dev", source), String::new()),
        _ => {
            let mut host = attr("transport", get("source-host-transport"))
                + &attr("socket", get("source-host-socket"));
            if let Some(h) = get("source-host-name") {
                let (name, port) = match h.split_once(':') {
                    Some((n, p)) => (n, Some(p)),
                    None => (h, None),
                };
                host += &attr("name", Some(name));
                host += &attr("port", port);
            }
            let mut kids = String::new();
            element(&mut kids, 4, "host", &host, "");
            (attr("protocol", protocol) + &attr("name", source), kids)
        }
    };
    element(
        &mut children,
        2,
        "source",
        &source_attrs,
        &std::mem::take(&mut source_children),
    );
    children.push_str(&format!("  <target dev='{target}'"));
    if let Some(bus) = get("targetbus") {
        children.push_str(&format!(" bus='{bus}'"));
    }
    children.push_str("/>\n");
    if let Some(m) = mode {
        children.push_str(&format!("  <{m}/>\n"));
    }
    if let Some(s) = get("serial") {
        children.push_str(&format!("  <serial>{s}</serial>\n"));
    }
    if let Some(a) = get("alias") {
        children.push_str(&format!("  <alias name='{a}'/>\n"));
    }
    if let Some(w) = get("wwn") {
        children.push_str(&format!("  <wwn>{w}</wwn>\n"));
    }
    if let Some(a) = get("address") {
        let Some(addr) = Address::parse(a, cmd.has("multifunction")) else {
            ctl.error("Invalid address.");
            return Err(Fail::Reported);
        };
        let wrong = if target.starts_with("vd") {
            (!matches!(addr, Address::Pci(..) | Address::Ccw(..)))
                .then_some("expecting a pci:0000.00.00.00 or ccw:00.0.0000 address.")
        } else if target.starts_with("sd") {
            (!matches!(addr, Address::Drive("scsi" | "sata", ..) | Address::Usb(..)))
                .then_some("expecting a scsi:00.00.00 or usb:00.00 or sata:00.00.00 address.")
        } else if target.starts_with("hd") {
            (!matches!(addr, Address::Drive("ide", ..)))
                .then_some("expecting an ide:00.00.00 address.")
        } else {
            None
        };
        if let Some(msg) = wrong {
            ctl.error(msg);
            return Err(Fail::Reported);
        }
        children.push_str(&addr.format(2));
    }
    let disk_attrs = format!(
        "{}{}{}",
        attr("type", Some(kind)),
        attr("device", get("type")),
        if cmd.has("rawio") { " rawio='yes'" } else { "" }
    );
    let mut xml = String::new();
    element(&mut xml, 0, "disk", &disk_attrs, &children);
    Ok(xml)
}

fn attach_disk(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = affect(ctl, cmd)?;
    require(ctl, cmd, "source-host-name", "source-protocol")?;
    require(ctl, cmd, "source-host-transport", "source-protocol")?;
    require(ctl, cmd, "source-host-socket", "source-protocol")?;
    require(ctl, cmd, "source-host-socket", "source-host-transport")?;
    util::exclusive(ctl, cmd, "source-host-name", "source-host-socket")?;
    let xml = disk_xml(ctl, cmd)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let dom = util::domain(ctl, cmd, "domain")?;
    if let Err(e) = modify(ctl, cmd, &dom, &xml, flags, true) {
        return Err(ctl.fail("Failed to attach disk", e));
    }
    ctl.print_extra("Disk attached successfully\n");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// attach-interface

/// The interface types libvirt 9.0 knows (`virDomainNetType`).
const NET_TYPES: &[&str] = &[
    "user",
    "ethernet",
    "vhostuser",
    "server",
    "client",
    "mcast",
    "network",
    "bridge",
    "internal",
    "direct",
    "hostdev",
    "udp",
    "vdpa",
    "null",
    "vds",
];

/// A bandwidth rate: average, peak, burst, floor (0: not given).
type Rate = [u64; 4];

/// `average,peak,burst,floor` (empty fields allowed) as virsh's `virshParseRateStr`.
fn parse_rate(ctl: &Ctl, s: &str) -> Result<Rate, Fail> {
    let tok: Vec<&str> = s.split(',').collect();
    if tok.len() > 4 {
        ctl.error(&format!("Rate string '{s}' has too many fields"));
        return Err(Fail::Reported);
    }
    let mut rate = [0; 4];
    for (i, name) in ["average", "peak", "burst", "floor"].iter().enumerate() {
        match tok.get(i) {
            Some(t) if !t.is_empty() => match number(t, 10, u64::MAX) {
                Some((v, "")) => rate[i] = v,
                _ => {
                    ctl.error(&format!("field '{name}' is malformed"));
                    return Err(Fail::Reported);
                }
            },
            _ => {}
        }
    }
    Ok(rate)
}

/// The `<interface>` XML the options describe, or the failure reported.
fn interface_xml(ctl: &Ctl, cmd: &Cmd) -> Result<String, Fail> {
    let mut v = std::collections::HashMap::new();
    for name in [
        "type",
        "source",
        "target",
        "mac",
        "script",
        "model",
        "alias",
        "inbound",
        "outbound",
        "source-mode",
    ] {
        if let Some(value) = opt(ctl, cmd, name)? {
            v.insert(name, value);
        }
    }
    let get = |name: &str| v.get(name).copied();
    let ty = get("type").unwrap_or("");
    let source = get("source").unwrap_or("");
    if !NET_TYPES.contains(&ty) {
        ctl.error(&format!(
            "No support for {ty} in command 'attach-interface'"
        ));
        return Err(Fail::Reported);
    }
    let mode = match get("source-mode") {
        None => None,
        Some(m @ ("server" | "client")) => Some(m),
        Some(m) => {
            ctl.error(&format!("Invalid source mode: {m}"));
            return Err(Fail::Reported);
        }
    };
    let inbound = match get("inbound") {
        Some(s) => {
            let r = parse_rate(ctl, s)?;
            if r[0] == 0 && r[3] == 0 {
                ctl.error("either inbound average or floor is mandatory");
                return Err(Fail::Reported);
            }
            Some(r)
        }
        None => None,
    };
    let outbound = match get("outbound") {
        Some(s) => {
            let r = parse_rate(ctl, s)?;
            if r[0] == 0 {
                ctl.error("outbound average is mandatory");
                return Err(Fail::Reported);
            }
            if r[3] != 0 {
                ctl.error("outbound floor is unsupported yet");
                return Err(Fail::Reported);
            }
            Some(r)
        }
        None => None,
    };
    let mut xml = format!(
        "<interface type='{ty}'{}>\n",
        if cmd.has("managed") {
            " managed='yes'"
        } else {
            ""
        }
    );
    match ty {
        "network" | "bridge" => xml.push_str(&format!("  <source {ty}='{source}'/>\n")),
        "direct" => xml.push_str(&format!("  <source dev='{source}'/>\n")),
        "hostdev" => {
            let Some(addr) = Address::parse(&format!("pci:{source}"), false) else {
                ctl.error(&format!(
                    "cannot parse pci address '{source}' for network interface"
                ));
                return Err(Fail::Reported);
            };
            xml.push_str(&format!("  <source>\n{}  </source>\n", addr.format(4)));
        }
        "vhostuser" => {
            let Some(mode) = mode else {
                ctl.error("source-mode is mandatory");
                return Err(Fail::Reported);
            };
            xml.push_str(&format!(
                "  <source type='unix' path='{source}' mode='{mode}'/>\n"
            ));
        }
        _ => {
            ctl.error(&format!(
                "No support for {ty} in command 'attach-interface'"
            ));
            return Err(Fail::Reported);
        }
    }
    for (opt, elem, name) in [
        ("target", "target", "dev"),
        ("mac", "mac", "address"),
        ("script", "script", "path"),
        ("model", "model", "type"),
        ("alias", "alias", "name"),
    ] {
        if let Some(value) = get(opt) {
            xml.push_str(&format!("  <{elem} {name}='{value}'/>\n"));
        }
    }
    if inbound.is_some() || outbound.is_some() {
        xml.push_str("  <bandwidth>\n");
        if let Some([avg, peak, burst, floor]) = inbound {
            xml.push_str("    <inbound");
            for (name, v) in [
                ("average", avg),
                ("peak", peak),
                ("burst", burst),
                ("floor", floor),
            ] {
                if v > 0 {
                    xml.push_str(&format!(" {name}='{v}'"));
                }
            }
            xml.push_str("/>\n");
        }
        if let Some([avg, peak, burst, _]) = outbound {
            xml.push_str(&format!("    <outbound average='{avg}'"));
            for (name, v) in [("peak", peak), ("burst", burst)] {
                if v > 0 {
                    xml.push_str(&format!(" {name}='{v}'"));
                }
            }
            xml.push_str("/>\n");
        }
        xml.push_str("  </bandwidth>\n");
    }
    xml.push_str("</interface>\n");
    Ok(xml)
}

fn attach_interface(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = affect(ctl, cmd)?;
    let xml = interface_xml(ctl, cmd)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let dom = util::domain(ctl, cmd, "domain")?;
    if let Err(e) = modify(ctl, cmd, &dom, &xml, flags, true) {
        return Err(ctl.fail("Failed to attach interface", e));
    }
    ctl.print_extra("Interface attached successfully\n");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A node of the domain's XML as libxml2's `xmlNodeDump` prints it

/// `s` escaped as libxml2 escapes text (`in_attr`: an attribute value between double
/// quotes); without a document encoding, characters beyond ASCII become references.
fn xml_escape(out: &mut String, s: &str, in_attr: bool) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#13;"),
            '"' if in_attr => out.push_str("&quot;"),
            '\n' if in_attr => out.push_str("&#10;"),
            '\t' if in_attr => out.push_str("&#9;"),
            c if !c.is_ascii() => out.push_str(&format!("&#x{:X};", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// The element's qualified name as written in the document.
fn qname(node: Node) -> String {
    let name = node.tag_name().name();
    match node
        .tag_name()
        .namespace()
        .and_then(|ns| node.lookup_prefix(ns))
    {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{name}"),
        _ => name.to_string(),
    }
}

/// `node` and everything in it, skipping the children `skip` names (by position), as
/// libxml2 prints a subtree: the text between elements kept as it was, attributes between
/// double quotes, an element without children as `<name/>`.
fn dump(out: &mut String, node: Node, skip: Option<roxmltree::NodeId>) {
    if Some(node.id()) == skip {
        return;
    }
    match node.node_type() {
        roxmltree::NodeType::Element => {
            let name = qname(node);
            out.push('<');
            out.push_str(&name);
            for a in node.attributes() {
                out.push(' ');
                if let Some(prefix) = a.namespace().and_then(|ns| node.lookup_prefix(ns)) {
                    out.push_str(prefix);
                    out.push(':');
                }
                out.push_str(a.name());
                out.push_str("=\"");
                xml_escape(out, a.value(), true);
                out.push('"');
            }
            if node.first_child().is_none() {
                out.push_str("/>");
                return;
            }
            out.push('>');
            for child in node.children() {
                dump(out, child, skip);
            }
            out.push_str("</");
            out.push_str(&name);
            out.push('>');
        }
        roxmltree::NodeType::Text => xml_escape(out, node.text().unwrap_or(""), false),
        roxmltree::NodeType::Comment => {
            out.push_str("<!--");
            out.push_str(node.text().unwrap_or(""));
            out.push_str("-->");
        }
        roxmltree::NodeType::PI => {
            if let Some(pi) = node.pi() {
                out.push_str("<?");
                out.push_str(pi.target);
                if let Some(v) = pi.value {
                    out.push(' ');
                    out.push_str(v);
                }
                out.push_str("?>");
            }
        }
        roxmltree::NodeType::Root => {}
    }
}

/// The `<devices>` children named `name`.
fn devices<'a, 'i>(doc: &'a Document<'i>, name: &'a str) -> Vec<Node<'a, 'i>> {
    let root = doc.root_element();
    if !root.has_tag_name("domain") {
        return Vec::new();
    }
    root.children()
        .filter(|n| n.has_tag_name("devices"))
        .flat_map(|d| d.children())
        .filter(|n| n.has_tag_name(name))
        .collect()
}

/// The first child element named `name`.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

// ---------------------------------------------------------------------------------------
// detach-disk

/// The domain's XML: the persistent one with `inactive`.
fn domain_xml(ctl: &mut Ctl, dom: &Domain, inactive: bool) -> Result<String, Fail> {
    let flags = if inactive {
        DomainXmlFlags::INACTIVE
    } else {
        DomainXmlFlags::default()
    };
    Ok(ctl.block_on(dom.xml_desc(flags))?)
}

/// The disk whose target or source is `path`, printed without its backing chain (virsh's
/// `virshFindDisk`), or the failure reported.
fn find_disk(ctl: &Ctl, doc: &str, path: &str) -> Result<String, Fail> {
    let no_info = || {
        ctl.error("Failed to get disk information");
        Fail::Reported
    };
    let doc = Document::parse(doc).map_err(|_| no_info())?;
    let disks = devices(&doc, "disk");
    if disks.is_empty() {
        return Err(no_info());
    }
    for disk in disks {
        let source = child(disk, "source");
        let target = child(disk, "target").and_then(|t| t.attribute("dev"));
        let hit = target == Some(path)
            || ["file", "dev", "dir", "name"]
                .iter()
                .any(|a| source.and_then(|s| s.attribute(*a)) == Some(path));
        if hit {
            let mut out = String::new();
            dump(&mut out, disk, child(disk, "backingStore").map(|b| b.id()));
            return Ok(out);
        }
    }
    ctl.error(&format!(
        "No disk found whose source path or target is {path}"
    ));
    Err(Fail::Reported)
}

fn detach_disk(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = affect(ctl, cmd)?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let target = opt(ctl, cmd, "target")?.unwrap_or("");
    let doc = domain_xml(ctl, &dom, flags == F::CONFIG.0)?;
    let xml = find_disk(ctl, &doc, target)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    if let Err(e) = modify(ctl, cmd, &dom, &xml, flags, false) {
        return Err(ctl.fail("Failed to detach disk", e));
    }
    ctl.print_extra("Disk detached successfully\n");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// detach-interface

/// Two MAC addresses compared as libvirt's `virMacAddrCompare`: ignoring case and the
/// leading zeros of each part.
fn same_mac(p: &str, q: &str) -> bool {
    fn norm(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            while b[i] == b'0' && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
                i += 1;
            }
            out.push(b[i].to_ascii_uppercase());
            i += 1;
        }
        out
    }
    norm(p) == norm(q)
}

/// Finds the interface of type `ty` (and MAC `mac`) in `doc` and prints or detaches it
/// (virsh's `virshDomainDetachInterface`); on failure, the daemon's error if there is one
/// (the other failures are reported here).
fn detach_one(
    ctl: &mut Ctl,
    cmd: &Cmd,
    dom: &Domain,
    doc: &str,
    flags: u32,
    ty: &str,
    mac: Option<&str>,
) -> Result<(), Option<virtwire::Error>> {
    let Ok(parsed) = Document::parse(doc) else {
        ctl.error("Failed to get interface information");
        return Err(None);
    };
    let nodes: Vec<Node> = devices(&parsed, "interface")
        .into_iter()
        .filter(|n| n.attribute("type") == Some(ty))
        .collect();
    if nodes.is_empty() {
        ctl.error(&format!("No interface found whose type is {ty}"));
        return Err(None);
    }
    let found = match mac {
        Some(mac) => {
            let mut hit = None;
            for n in &nodes {
                let addr = child(*n, "mac").and_then(|m| m.attribute("address"));
                if addr.is_some_and(|a| same_mac(a, mac)) {
                    if hit.is_some() {
                        ctl.error(&format!(
                            "Domain has multiple interfaces matching MAC address {mac}. You must use detach-device and specify the device pci address to remove it."
                        ));
                        return Err(None);
                    }
                    hit = Some(*n);
                }
            }
            hit
        }
        None if nodes.len() > 1 => {
            ctl.error(&format!(
                "Domain has {} interfaces. Please specify which one to detach using --mac",
                nodes.len()
            ));
            return Err(None);
        }
        None => Some(nodes[0]),
    };
    let Some(node) = found else {
        ctl.error(&format!(
            "No interface with MAC address {} was found",
            mac.unwrap_or("(null)")
        ));
        return Err(None);
    };
    let mut xml = String::new();
    dump(&mut xml, node, None);
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let result = if flags != 0 || cmd.has("current") {
        ctl.block_on(dom.detach_device_flags(&xml, F(flags)))
    } else {
        ctl.block_on(dom.detach_device(&xml))
    };
    result.map_err(Some)
}

/// virsh's closing message of a failed detach-interface, then the daemon's error if any.
fn iface_failed(ctl: &Ctl, e: Option<virtwire::Error>) -> Fail {
    ctl.error("Failed to detach interface");
    e.map_or(Fail::Reported, Fail::Lib)
}

fn detach_interface(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    affect(ctl, cmd)?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let ty = opt(ctl, cmd, "type").map_err(|_| iface_failed(ctl, None))?;
    let mac = opt(ctl, cmd, "mac").map_err(|_| iface_failed(ctl, None))?;
    let ty = ty.unwrap_or("");
    let affect_config = cmd.has("config") || cmd.has("persistent");
    let mut result = Ok(());
    if affect_config {
        let doc = ctl
            .block_on(dom.xml_desc(DomainXmlFlags::INACTIVE))
            .map_err(|e| iface_failed(ctl, Some(e)))?;
        if let Err(e) = detach_one(ctl, cmd, &dom, &doc, F::CONFIG.0, ty, mac) {
            return Err(iface_failed(ctl, e));
        }
    }
    let affect_live = cmd.has("live")
        || (cmd.has("persistent") && ctl.block_on(dom.is_active()).unwrap_or(false));
    if affect_live || !affect_config {
        let flags = if affect_live { F::LIVE.0 } else { 0 };
        let doc = ctl
            .block_on(dom.xml_desc(DomainXmlFlags::default()))
            .map_err(|e| iface_failed(ctl, Some(e)))?;
        result = detach_one(ctl, cmd, &dom, &doc, flags, ty, mac);
    }
    if cmd.has("print-xml") {
        return result.map_err(|e| e.map_or(Fail::Reported, Fail::Lib));
    }
    result.map_err(|e| iface_failed(ctl, e))?;
    ctl.print_extra("Interface detached successfully\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_like_virsh() {
        assert_eq!(
            Address::parse("pci:0000.00.0a.0", true),
            Some(Address::Pci(0, 0, 10, 0, true))
        );
        assert_eq!(
            Address::parse("scsi:0.1.2", false),
            Some(Address::Drive("scsi", 0, 1, 2))
        );
        assert_eq!(Address::parse("usb:1", false), None);
        assert_eq!(Address::parse("pci:0.-1.0.0", false), None);
        assert_eq!(Address::parse("bogus", false), None);
        assert_eq!(
            Address::Ccw(0xfe, 0, 1).format(2),
            "  <address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>\n"
        );
    }

    #[test]
    fn macs_compare_like_libvirt() {
        assert!(same_mac("aa:bb:cc:dd:ee:ff", "AA:BB:CC:DD:EE:FF"));
        assert!(same_mac("52:54:00:0a:00:01", "52:54:0:a:0:1"));
        assert!(!same_mac("52:54:00:0a:00:01", "52:54:00:0a:00:02"));
    }

    #[test]
    fn nodes_print_like_libxml2() {
        let doc = Document::parse(
            "<domain><devices>\n  <disk type='file' a='x\"&amp;'>\n    <backingStore/>\n    <target dev='vda'/>\n  </disk>\n</devices></domain>",
        )
        .unwrap();
        let disk = devices(&doc, "disk")[0];
        let mut out = String::new();
        dump(&mut out, disk, child(disk, "backingStore").map(|b| b.id()));
        assert_eq!(
            out,
            "<disk type=\"file\" a=\"x&quot;&amp;\">\n    \n    <target dev=\"vda\"/>\n  </disk>"
        );
    }
}
