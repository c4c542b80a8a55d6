//! Host and Hypervisor: uri, version, hostname, nodeinfo, capabilities, sysinfo, freecell.

use crate::cli::Cmd;
use crate::cli::{CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "capabilities",
        opts: &[],
        help: "capabilities",
        desc: "Returns capabilities of hypervisor/driver.",
        handler: capabilities,
        flags: 0,
    },
    CmdDef {
        name: "freecell",
        opts: &[
            OptDef::int("cellno", "NUMA cell number"),
            OptDef::flag("all", "show free memory for all NUMA cells"),
        ],
        help: "NUMA free memory",
        desc: "display available free memory for the NUMA cell.",
        handler: freecell,
        flags: 0,
    },
    CmdDef {
        name: "hostname",
        opts: &[],
        help: "print the hypervisor hostname",
        desc: "",
        handler: hostname,
        flags: 0,
    },
    CmdDef {
        name: "nodeinfo",
        opts: &[],
        help: "node information",
        desc: "Returns basic information about the node.",
        handler: nodeinfo,
        flags: 0,
    },
    CmdDef {
        name: "sysinfo",
        opts: &[],
        help: "print the hypervisor sysinfo",
        desc: "output an XML string for the hypervisor sysinfo, if available",
        handler: sysinfo,
        flags: 0,
    },
    CmdDef {
        name: "uri",
        opts: &[],
        help: "print the hypervisor canonical URI",
        desc: "",
        handler: uri,
        flags: 0,
    },
    CmdDef {
        name: "version",
        opts: &[OptDef::flag("daemon", "report daemon version too")],
        help: "show version",
        desc: "Display the system version information.",
        handler: version,
        flags: 0,
    },
];

/// Runs a call that returns a string, printing it with `suffix`, or `msg` on failure.
fn print_string<F>(ctl: &mut Ctl, msg: &str, suffix: &str, call: F) -> CmdResult
where
    F: AsyncFnOnce(virtwire::Client) -> virtwire::Result<String>,
{
    let client = ctl.conn()?;
    match ctl.block_on(call(client)) {
        Ok(s) => {
            ctl.print(&format!("{s}{suffix}"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(msg, e)),
    }
}

fn capabilities(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    print_string(ctl, "failed to get capabilities", "\n", async |c| {
        c.capabilities().await
    })
}

fn hostname(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    print_string(ctl, "failed to get hostname", "\n", async |c| {
        c.hostname().await
    })
}

fn uri(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    ctl.conn()?;
    let uri = ctl.uri.clone().unwrap_or_default();
    ctl.print(&format!("{uri}\n"));
    Ok(())
}

fn sysinfo(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    print_string(ctl, "failed to get sysinfo", "", async |c| {
        c.sysinfo(Default::default()).await
    })
}

fn nodeinfo(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    let client = ctl.conn()?;
    let info = match ctl.block_on(client.node_info()) {
        Ok(i) => i,
        Err(e) => return Err(ctl.fail("failed to get node information", e)),
    };
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<20} {v}\n"));
    line("CPU model:", info.model.clone());
    line("CPU(s):", info.cpus.to_string());
    if info.mhz != 0 {
        line("CPU frequency:", format!("{} MHz", info.mhz));
    }
    line("CPU socket(s):", info.sockets.to_string());
    line("Core(s) per socket:", info.cores.to_string());
    line("Thread(s) per core:", info.threads.to_string());
    line("NUMA cell(s):", info.nodes.to_string());
    line("Memory size:", format!("{} KiB", info.memory_kib));
    ctl.print(&out);
    Ok(())
}

/// `major.minor.micro` of libvirt's version number.
fn dotted(v: u64) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1000) % 1000, v % 1000)
}

fn version(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let client = ctl.conn()?;
    // rvirsh has no libvirt library of its own: the versions virsh reports for the library
    // it was built with and runs with are the daemon's here (the same for a virsh that
    // matches its daemon).
    let lib = match ctl.block_on(client.lib_version()) {
        Ok(v) => v,
        Err(e) => return Err(ctl.fail("failed to get the library version", e)),
    };
    let hv_type = match ctl.block_on(client.driver_type()) {
        Ok(t) => t,
        Err(e) => return Err(ctl.fail("failed to get hypervisor type", e)),
    };
    ctl.print(&format!(
        "Compiled against library: libvirt {}\n",
        dotted(lib)
    ));
    ctl.print(&format!("Using library: libvirt {}\n", dotted(lib)));
    ctl.print(&format!("Using API: {hv_type} {}\n", dotted(lib)));
    let hv = match ctl.block_on(client.hypervisor_version()) {
        Ok(v) => v,
        Err(e) => return Err(ctl.fail("failed to get the hypervisor version", e)),
    };
    if hv == 0 {
        ctl.print(&format!(
            "Cannot extract running {hv_type} hypervisor version\n"
        ));
    } else {
        ctl.print(&format!("Running hypervisor: {hv_type} {}\n", dotted(hv)));
    }
    if cmd.has("daemon") {
        match ctl.block_on(client.lib_version()) {
            Ok(v) => ctl.print(&format!("Running against daemon: {}\n", dotted(v))),
            Err(e) => return Err(ctl.fail("failed to get the daemon version", e)),
        }
    }
    Ok(())
}

fn freecell(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    util::exclusive(ctl, cmd, "all", "cellno")?;
    let cell = match cmd.get("cellno") {
        Some(v) => Some(util::parse_i32(v).ok_or_else(|| util::bad_number(ctl, cmd, "cellno"))?),
        None => None,
    };
    let client = ctl.conn()?;
    if cmd.has("all") {
        return freecell_all(ctl, &client);
    }
    match cell {
        Some(cell) => {
            let free = ctl.block_on(client.node_cells_free_memory(cell, 1))?;
            let Some(&mem) = free.first() else {
                return Err(Fail::Unknown);
            };
            ctl.print(&format!("{cell}: {} KiB\n", mem / 1024));
        }
        None => {
            let mem = ctl.block_on(client.node_free_memory())?;
            if mem == 0 {
                return Err(Fail::Unknown);
            }
            ctl.print(&format!("Total: {} KiB\n", mem / 1024));
        }
    }
    Ok(())
}

/// `freecell --all`: every NUMA cell the capabilities list, then the total.
fn freecell_all(ctl: &mut Ctl, client: &virtwire::Client) -> CmdResult {
    let caps = match ctl.block_on(client.capabilities()) {
        Ok(c) => c,
        Err(e) => return Err(ctl.fail("unable to get node capabilities", e)),
    };
    let mut total = 0u64;
    let mut out = String::new();
    for id in cell_ids(&caps) {
        let free = match ctl.block_on(client.node_cells_free_memory(id as i32, 1)) {
            Ok(f) if f.len() == 1 => f[0],
            Ok(_) => {
                ctl.error(&format!(
                    "failed to get free memory for NUMA node number: {id}"
                ));
                return Err(Fail::Unknown);
            }
            Err(e) => {
                return Err(ctl.fail(
                    &format!("failed to get free memory for NUMA node number: {id}"),
                    e,
                ));
            }
        };
        out.push_str(&format!("{id:>5}: {:>10} KiB\n", free / 1024));
        total += free;
    }
    ctl.print(&out);
    ctl.print_extra("--------------------\n");
    ctl.print_extra(&format!("{:>5}: {:>10} KiB\n", "Total", total / 1024));
    Ok(())
}

/// The `id`s of `<cell>` elements under `<topology><cells>` in capabilities XML.
fn cell_ids(caps: &str) -> Vec<u32> {
    let Some(start) = caps.find("<cells") else {
        return Vec::new();
    };
    let end = caps[start..]
        .find("</cells>")
        .map_or(caps.len(), |e| start + e);
    let mut ids = Vec::new();
    let mut rest = &caps[start..end];
    while let Some(i) = rest.find("<cell ") {
        rest = &rest[i + 6..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        if let Some(id) = attr(&rest[..tag_end], "id").and_then(|v| v.parse().ok()) {
            ids.push(id);
        }
    }
    ids
}

/// The value of attribute `name` in the text of a start tag.
pub fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    loop {
        let i = rest.find(name)?;
        let before_ok = i == 0 || rest.as_bytes()[i - 1].is_ascii_whitespace();
        let after = rest[i + name.len()..].trim_start();
        if before_ok && after.starts_with('=') {
            let v = after[1..].trim_start();
            let q = v.chars().next()?;
            if q == '\'' || q == '"' {
                let v = &v[1..];
                return v.find(q).map(|e| &v[..e]);
            }
        }
        rest = &rest[i + name.len()..];
    }
}
