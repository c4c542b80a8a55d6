//! What reaches into a running guest: domifaddr (its interfaces' addresses), screenshot (its
//! screen), send-key (its keyboard).

use std::io::Write;

use virtwire::rpc::Chunk;

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::{keycodes, util};
use crate::ctl::Ctl;

const DOMAIN: OptDef = OptDef::data("domain", "domain name, id or uuid");

/// The commands of this module in Domain Management.
pub static MANAGEMENT: &[CmdDef] = &[
    CmdDef {
        name: "screenshot",
        opts: &[
            DOMAIN,
            OptDef::string("file", "where to store the screenshot"),
            OptDef::int("screen", "ID of a screen to take screenshot of"),
        ],
        help: "take a screenshot of a current domain console and store it into a file",
        desc: "screenshot of a current domain console",
        handler: screenshot,
        flags: 0,
    },
    CmdDef {
        name: "send-key",
        opts: &[
            DOMAIN,
            OptDef::string("codeset", "the codeset of keycodes, default:linux").named(),
            OptDef::int(
                "holdtime",
                "the time (in milliseconds) how long the keys will be held",
            )
            .named(),
            OptDef::argv("keycode", "the key code").required(),
        ],
        help: "Send keycodes to the guest",
        desc: "Send keycodes (integers or symbolic names) to the guest",
        handler: send_key,
        flags: 0,
    },
];

/// The commands of this module in Domain Monitoring.
pub static MONITOR: &[CmdDef] = &[CmdDef {
    name: "domifaddr",
    opts: &[
        DOMAIN,
        OptDef::string("interface", "network interface name"),
        OptDef::flag("full", "always display names and MACs of interfaces"),
        OptDef::string("source", "address source: 'lease', 'agent', or 'arp'"),
    ],
    help: "Get network interfaces' addresses for a running domain",
    desc: "Get network interfaces' addresses for a running domain",
    handler: domifaddr,
    flags: 0,
}];

/// The value of string option `name` (`None` when not given), refusing an empty value as
/// virsh does (`vshCommandOptStringReq`).
fn opt<'c>(ctl: &Ctl, cmd: &'c Cmd, name: &str) -> Result<Option<&'c str>, Fail> {
    match cmd.get(name) {
        Some("") => {
            ctl.error(&format!(
                "Failed to get option '{name}': Option argument is empty"
            ));
            Err(Fail::Reported)
        }
        v => Ok(v),
    }
}

/// Unsigned option `name` (`None` when not given) as virsh's `vshCommandOptUInt`.
fn opt_u32(ctl: &Ctl, cmd: &Cmd, name: &str) -> Result<Option<u32>, Fail> {
    match cmd.get(name) {
        None => Ok(None),
        Some(v) => util::parse_u64(v)
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| util::bad_number(ctl, cmd, name)),
    }
}

// ---------------------------------------------------------------------------------------
// domifaddr

fn domifaddr(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let iface = opt(ctl, cmd, "interface")?;
    let source = match opt(ctl, cmd, "source")? {
        None | Some("lease") => 0,
        Some("agent") => 1,
        Some("arp") => 2,
        Some(s) => {
            ctl.error(&format!("Unknown data source '{s}'"));
            return Err(Fail::Reported);
        }
    };
    let dom = util::domain(ctl, cmd, "domain")?;
    let ifaces = ctl
        .block_on(dom.interface_addresses(source, Default::default()))
        .map_err(|e| ctl.fail("Failed to query for interfaces addresses", e))?;
    ctl.print_extra(&format!(
        " {:<10} {:<20} {:<8}     {}\n{}\n",
        "Name",
        "MAC address",
        "Protocol",
        "Address",
        "-".repeat(79)
    ));
    let full = cmd.has("full");
    let mut out = String::new();
    for i in ifaces.iter().filter(|i| iface.is_none_or(|n| n == i.name)) {
        if i.addrs.is_empty() {
            out.push_str(&format!(
                " {:<10} {:<17}    {:<12} {}\n",
                i.name,
                i.hwaddr.as_deref().unwrap_or("N/A"),
                "N/A",
                "N/A"
            ));
            continue;
        }
        for (j, (addr, prefix)) in i.addrs.iter().enumerate() {
            let kind = if addr.is_ipv4() { "ipv4" } else { "ipv6" };
            let text = format!("{kind:<12} {addr}/{prefix}");
            let (name, mac) = if full || j == 0 {
                (i.name.as_str(), i.hwaddr.as_deref().unwrap_or(""))
            } else {
                ("-", "-")
            };
            out.push_str(&format!(" {name:<10} {mac:<17}    {text}\n"));
        }
    }
    ctl.print(&out);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// screenshot

/// The file name virsh makes up: `DOMAIN-YYYY-MM-DD-HH:MM:SS` and the extension of `mime`
/// (the time in UTC; virsh uses the local time zone).
fn screenshot_name(domain: &str, mime: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let ext = match mime {
        "image/x-portable-pixmap" => ".ppm",
        "image/png" => ".png",
        _ => "",
    };
    format!("{domain}-{}{ext}", util::utc_time(now).replace(' ', "-"))
}

/// Creates `path` (or truncates it when it exists, as virsh does); whether it was created.
fn create(path: &str) -> std::io::Result<(std::fs::File, bool)> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .map(|f| (f, false)),
        Err(e) => Err(e),
    }
}

fn screenshot(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let file = opt(ctl, cmd, "file")?;
    let screen = opt_u32(ctl, cmd, "screen")?.unwrap_or(0);
    let dom = util::domain(ctl, cmd, "domain")?;
    let name = cmd.get("domain").unwrap_or("");
    let mut shot = ctl
        .block_on(dom.screenshot(screen))
        .map_err(|e| ctl.fail(&format!("could not take a screenshot of {name}"), e))?;
    let path = match file {
        Some(f) => f.to_string(),
        None => screenshot_name(dom.name(), &shot.mime),
    };
    let Ok((mut out, created)) = create(&path) else {
        ctl.error(&format!("cannot create file {path}"));
        return Err(Fail::Reported);
    };
    let got = ctl.block_on(async {
        while let Some(chunk) = shot.data.next_chunk().await? {
            let written = match chunk {
                Chunk::Data(d) => out.write_all(&d),
                Chunk::Hole(n) => out.write_all(&vec![0; n as usize]),
            };
            if written.is_err() {
                return Ok(false);
            }
        }
        Ok::<bool, virtwire::Error>(true)
    });
    let failed = |ctl: &Ctl, msg: String, e: Option<virtwire::Error>| {
        if created {
            let _ = std::fs::remove_file(&path);
        }
        ctl.error(&msg);
        e.map_or(Fail::Reported, Fail::Lib)
    };
    match got {
        Ok(true) => {}
        Ok(false) => {
            let _ = ctl.block_on(shot.data.abort());
            let msg = format!("could not receive data from domain '{name}'");
            return Err(failed(ctl, msg, None));
        }
        Err(e) => {
            let msg = format!("could not receive data from domain '{name}'");
            return Err(failed(ctl, msg, Some(e)));
        }
    }
    if out.sync_all().is_err() {
        return Err(failed(ctl, format!("cannot close file {path}"), None));
    }
    drop(out);
    if let Err(e) = ctl.block_on(shot.data.finish()) {
        let msg = format!("cannot close stream on domain '{name}'");
        return Err(failed(ctl, msg, Some(e)));
    }
    ctl.print_extra(&format!(
        "Screenshot saved to {path}, with type of {}",
        shot.mime
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// send-key

/// The codesets virsh names, in libvirt's `virKeycodeSet` order (the number sent).
const CODESETS: &[&str] = &[
    "linux", "xt", "atset1", "atset2", "atset3", "os_x", "xt_kbd", "usb", "win32", "qnum",
];

/// A key given as a number: decimal, `0x` hex or `0` octal, as C's `strtoul` with base 0;
/// at most 0xffff.
fn key_number(s: &str) -> Option<u32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix)
        .ok()
        .filter(|&v| v <= 0xffff)
}

/// A key name of `codeset` (names are known for the Linux codeset).
fn key_name(codeset: usize, name: &str) -> Option<u32> {
    if codeset != 0 {
        return None;
    }
    keycodes::LINUX
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| u32::from(keycodes::LINUX[i].1))
}

/// The most keys one call sends (`VIR_DOMAIN_SEND_KEY_MAX_KEYS`).
const MAX_KEYS: usize = 16;

fn send_key(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let codeset_name = match cmd.get("codeset") {
        None | Some("") => "linux",
        Some("rfb") => "qnum",
        Some(c) => c,
    };
    let holdtime = opt_u32(ctl, cmd, "holdtime")?.unwrap_or(0);
    let Some(codeset) = CODESETS.iter().position(|c| *c == codeset_name) else {
        ctl.error(&format!("unknown codeset: '{codeset_name}'"));
        return Err(Fail::Reported);
    };
    let mut keys = Vec::new();
    for key in cmd.get_all("keycode") {
        if keys.len() == MAX_KEYS {
            ctl.error("too many keycodes");
            return Err(Fail::Reported);
        }
        match key_number(key).or_else(|| key_name(codeset, key)) {
            Some(k) => keys.push(k),
            None => {
                ctl.error(&format!("invalid keycode: '{key}'"));
                return Err(Fail::Reported);
            }
        }
    }
    let keys = keys.try_into().map_err(|_| Fail::Unknown)?;
    ctl.block_on(dom.send_key(codeset as u32, holdtime, keys, Default::default()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_numbers_and_names() {
        assert_eq!(key_number("30"), Some(30));
        assert_eq!(key_number("0x1e"), Some(30));
        assert_eq!(key_number("036"), Some(30));
        assert_eq!(key_number("65536"), None);
        assert_eq!(key_number("-1"), None);
        assert_eq!(key_name(0, "KEY_A"), Some(30));
        assert_eq!(key_name(0, "KEY_LEFTCTRL"), Some(29));
        assert_eq!(key_name(0, "BTN_LEFT"), Some(272));
        assert_eq!(key_name(0, "KEY_COFFEE"), None);
        assert_eq!(key_name(1, "KEY_A"), None);
        assert!(keycodes::LINUX.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
