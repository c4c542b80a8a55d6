//! What many commands share: finding the domain an option names, reading numbers the way
//! virsh reads them.

use virtwire::Domain;

use crate::cli::{Cmd, Fail};
use crate::ctl::Ctl;

/// Look a domain up by its ID.
pub const BY_ID: u8 = 1;
/// Look a domain up by its UUID.
pub const BY_UUID: u8 = 2;
/// Look a domain up by its name.
pub const BY_NAME: u8 = 4;

/// The domain named by option `opt` (an ID, a UUID or a name, tried in that order as virsh
/// does), or the failure reported as virsh reports it.
pub fn domain(ctl: &mut Ctl, cmd: &Cmd, opt: &str) -> Result<Domain, Fail> {
    domain_by(ctl, cmd, opt, BY_ID | BY_UUID | BY_NAME)
}

/// Like [`domain`], trying only the ways `by` names ([`BY_ID`], [`BY_UUID`], [`BY_NAME`]).
pub fn domain_by(ctl: &mut Ctl, cmd: &Cmd, opt: &str, by: u8) -> Result<Domain, Fail> {
    let Some(name) = cmd.get(opt) else {
        ctl.error(&format!(
            "Failed to get option '{opt}': Mandatory option not present"
        ));
        return Err(Fail::Reported);
    };
    let client = ctl.conn()?;
    if let Some(id) = parse_i32(name).filter(|&id| id >= 0 && by & BY_ID != 0) {
        if let Ok(dom) = ctl.block_on(client.lookup_domain_by_id(id)) {
            return Ok(dom);
        }
    }
    if name.len() == 36 && by & BY_UUID != 0 {
        if let Some(uuid) = parse_uuid(name) {
            if let Ok(dom) = ctl.block_on(client.lookup_domain_by_uuid(uuid)) {
                return Ok(dom);
            }
        }
    }
    let by_name = if by & BY_NAME != 0 {
        ctl.block_on(client.lookup_domain_by_name(name)).ok()
    } else {
        None
    };
    match by_name {
        Some(dom) => Ok(dom),
        None => {
            ctl.error(&format!("failed to get domain '{name}'"));
            Err(Fail::Reported)
        }
    }
}

/// The value of option `opt`, or virsh's message when it is missing (the parser has
/// already refused a command that lacks a required option; this guards the rest).
pub fn required(ctl: &Ctl, cmd: &Cmd, opt: &str) -> Result<String, Fail> {
    match cmd.get(opt) {
        Some(v) => Ok(v.to_string()),
        None => {
            ctl.error(&format!(
                "Failed to get option '{opt}': Mandatory option not present"
            ));
            Err(Fail::Reported)
        }
    }
}

/// A size in bytes as virsh shows it: two decimals and the largest binary unit below it
/// (`vshPrettyCapacity` with `"%.2lf %s"`).
pub fn pretty_capacity(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut i = 0;
    while i + 1 < UNITS.len() && bytes >= 1u64 << (10 * (i + 1)) {
        i += 1;
    }
    let v = bytes as f64 / (1u64 << (10 * i)) as f64;
    format!("{v:.2} {}", UNITS[i])
}

/// A time in seconds since the epoch as `YYYY-MM-DD HH:MM:SS` in UTC (the civil-date
/// arithmetic is Howard Hinnant's `civil_from_days`; a time crate for one line of output is
/// not worth its weight in the static binary).
pub fn utc_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The `--xpath` option of the dumpxml commands (only with its name).
pub const XPATH: crate::cli::OptDef =
    crate::cli::OptDef::string("xpath", "xpath expression to filter the XML document").named();

/// The `--wrap` option of the dumpxml commands.
pub const WRAP: crate::cli::OptDef =
    crate::cli::OptDef::flag("wrap", "wrap xpath results in an common root element");

/// Refuses `--xpath`/`--wrap`, which rvirsh does not evaluate (an XPath engine is more than
/// a static CLI should carry); the whole document is what the other options print.
pub fn no_xpath(ctl: &Ctl, cmd: &Cmd) -> Result<(), Fail> {
    if cmd.has("xpath") || cmd.has("wrap") {
        ctl.error("--xpath is not supported by rvirsh");
        return Err(Fail::Reported);
    }
    Ok(())
}

/// The base64 alphabet (RFC 4648).
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `data` in base64 with padding, as GLib's `g_base64_encode` (secret values; a crate for
/// these dozen lines would only grow the static binary).
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 text decoded as GLib's `g_base64_decode` does: characters outside the alphabet
/// are skipped, and decoding stops at the padding.
pub fn base64_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        if c == b'=' {
            break;
        }
        let Some(v) = B64.iter().position(|&x| x == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// A UUID in text form (hex digits, `-` between any of them), as libvirt's `virUUIDParse`.
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let s = s.trim_start_matches([' ', '\t']);
    let mut out = [0u8; 16];
    let mut digits = s.chars().filter(|&c| c != '-');
    for byte in out.iter_mut() {
        let hi = digits.next()?.to_digit(16)?;
        let lo = digits.next()?.to_digit(16)?;
        *byte = (hi * 16 + lo) as u8;
    }
    digits.all(|c| c == ' ' || c == '\t').then_some(out)
}

/// A whole string as a C `int` in base 10 (libvirt's `virStrToLong_i`).
pub fn parse_i32(s: &str) -> Option<i32> {
    parse_i64(s).and_then(|v| i32::try_from(v).ok())
}

/// A whole string as a C `long long` in base 10 (leading blanks and a sign allowed).
pub fn parse_i64(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || t.starts_with('+') {
        return None;
    }
    t.parse().ok()
}

/// A whole string as an unsigned number that may not be negative (libvirt's
/// `virStrToLong_ullp`).
pub fn parse_u64(s: &str) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    t.parse().ok()
}

/// A number with an optional unit (`1024`, `100M`, `2GiB`, `1KB`, …) in bytes, as libvirt's
/// scaled integers: a bare number counts in `scale` bytes; the result may not exceed `max`.
pub fn parse_scaled(s: &str, scale: u64, max: u64) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    let value: u64 = t[..end].parse().ok()?;
    let unit = &t[end..];
    let factor = if unit.is_empty() {
        scale
    } else {
        let mut chars = unit.chars();
        let power = match chars.next()?.to_ascii_lowercase() {
            'b' => 0,
            'k' => 1,
            'm' => 2,
            'g' => 3,
            't' => 4,
            'p' => 5,
            'e' => 6,
            _ => return None,
        };
        let base: u64 = match chars.as_str() {
            "" | "iB" if power > 0 => 1024,
            "" => 1,
            "B" if power > 0 => 1000,
            _ => return None,
        };
        base.checked_pow(power)?
    };
    value.checked_mul(factor).filter(|&v| v <= max)
}

/// Reports virsh's message for a malformed number in option `opt`.
pub fn bad_number(ctl: &Ctl, cmd: &Cmd, opt: &str) -> Fail {
    ctl.error(&format!(
        "Numeric value '{}' for <{opt}> option is malformed or out of range",
        cmd.get(opt).unwrap_or("")
    ));
    Fail::Reported
}

/// Reports virsh's message for a malformed scaled number in option `opt`.
pub fn bad_scaled(ctl: &Ctl, cmd: &Cmd, opt: &str) -> Fail {
    ctl.error(&format!(
        "Scaled numeric value '{}' for <{opt}> option is malformed or out of range",
        cmd.get(opt).unwrap_or("")
    ));
    Fail::Reported
}

/// Fails with virsh's message when two options that exclude each other are both given.
pub fn exclusive(ctl: &Ctl, cmd: &Cmd, a: &str, b: &str) -> Result<(), Fail> {
    if cmd.has(a) && cmd.has(b) {
        ctl.error(&format!("Options --{a} and --{b} are mutually exclusive"));
        return Err(Fail::Reported);
    }
    Ok(())
}

/// The `--config`/`--live`/`--current` choice of commands that change a domain
/// (`VIR_DOMAIN_AFFECT_*`: current 0, live 1, config 2), checked as virsh checks it.
pub fn affect_flags(ctl: &Ctl, cmd: &Cmd) -> Result<u32, Fail> {
    exclusive(ctl, cmd, "current", "live")?;
    exclusive(ctl, cmd, "current", "config")?;
    let mut flags = 0;
    if cmd.has("config") {
        flags |= 2;
    }
    if cmd.has("live") {
        flags |= 1;
    }
    Ok(flags)
}

/// Reads the file named by option `opt` (virsh reads at most 10 MiB).
pub fn read_file(ctl: &Ctl, cmd: &Cmd, opt: &str) -> Result<String, Fail> {
    let path = cmd.get(opt).unwrap_or("");
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() <= MAX_XML_FILE => {
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        }
        Ok(_) => {
            ctl.error(&format!(
                "Failed to read file '{path}' to buffer: File too large"
            ));
            Err(Fail::Reported)
        }
        Err(e) => {
            ctl.error(&format!("Failed to open file '{path}': {}", strerror(&e)));
            Err(Fail::Reported)
        }
    }
}

/// The largest XML file virsh reads.
pub const MAX_XML_FILE: usize = 10 * 1024 * 1024;

/// An I/O error's text as C's `strerror` words it (without Rust's " (os error N)").
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Splits a comma-separated list, where `,,` stands for a literal comma (virsh's
/// `vshStringToArray`).
pub fn split_list(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let last = out.last_mut().expect("never empty");
        if c != ',' {
            last.push(c);
        } else if chars.peek() == Some(&',') {
            chars.next();
            last.push(',');
        } else {
            out.push(String::new());
        }
    }
    out
}

/// C's `strcasecmp` on ASCII: compares ignoring case.
pub fn strcasecmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// A domain state as virsh names it.
pub fn state_text(state: virtwire::DomainState) -> &'static str {
    use virtwire::DomainState as S;
    match state {
        S::Running => "running",
        S::Blocked => "idle",
        S::Paused => "paused",
        S::Shutdown => "in shutdown",
        S::Shutoff => "shut off",
        S::Crashed => "crashed",
        S::Pmsuspended => "pmsuspended",
        S::Nostate | S::Unknown(_) => "no state",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_numbers_like_libvirt() {
        assert_eq!(parse_scaled("100", 1024, u64::MAX), Some(102_400));
        assert_eq!(parse_scaled("100M", 1024, u64::MAX), Some(100 << 20));
        assert_eq!(parse_scaled("1KB", 1024, u64::MAX), Some(1000));
        assert_eq!(parse_scaled("2GiB", 1, u64::MAX), Some(2 << 30));
        assert_eq!(parse_scaled("5b", 1024, u64::MAX), Some(5));
        assert_eq!(parse_scaled("abc", 1024, u64::MAX), None);
        assert_eq!(parse_scaled("1X", 1024, u64::MAX), None);
        assert_eq!(parse_scaled("2", 1024, 1000), None);
    }

    #[test]
    fn base64_both_ways() {
        assert_eq!(base64_encode(b"hunter2"), "aHVudGVyMg==");
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_decode(b"aHVudGVyMg=="), b"hunter2");
        assert_eq!(base64_decode(b"YW\nI="), b"ab");
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00");
        assert_eq!(utc_time(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn uuids_and_ints() {
        assert_eq!(
            parse_uuid("6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c01").map(|u| u[0]),
            Some(0x6a)
        );
        assert_eq!(parse_uuid("6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c0"), None);
        assert_eq!(parse_i32("12"), Some(12));
        assert_eq!(parse_i32("12a"), None);
        assert_eq!(parse_u64("-1"), None);
    }
}
