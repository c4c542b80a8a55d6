//! A domain's memory and vCPUs: setmem, setmaxmem, setvcpus, vcpucount, vcpuinfo.

use virtwire::Domain;
use virtwire::flags::{DomainMemoryModFlags, DomainModificationImpact, DomainVcpuFlags};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::domain_info::DOMAIN;
use crate::commands::util;
use crate::ctl::Ctl;

const CONFIG: OptDef = OptDef::flag("config", "affect next boot");
const LIVE: OptDef = OptDef::flag("live", "affect running domain");
const CURRENT: OptDef = OptDef::flag("current", "affect current domain");

/// The commands of this module (Domain Management).
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "setmaxmem",
        opts: &[
            DOMAIN,
            OptDef::int_req(
                "size",
                "new maximum memory size, as scaled integer (default KiB)",
            ),
            CONFIG,
            LIVE,
            CURRENT,
        ],
        help: "change maximum memory limit",
        desc: "Change the maximum memory allocation limit in the guest domain.",
        handler: setmaxmem,
        flags: 0,
    },
    CmdDef {
        name: "setmem",
        opts: &[
            DOMAIN,
            OptDef::int_req("size", "new memory size, as scaled integer (default KiB)"),
            CONFIG,
            LIVE,
            CURRENT,
        ],
        help: "change memory allocation",
        desc: "Change the current memory allocation in the guest domain.",
        handler: setmem,
        flags: 0,
    },
    CmdDef {
        name: "setvcpus",
        opts: &[
            DOMAIN,
            OptDef::int_req("count", "number of virtual CPUs"),
            OptDef::flag("maximum", "set maximum limit on next boot"),
            CONFIG,
            LIVE,
            CURRENT,
            OptDef::flag("guest", "modify cpu state in the guest"),
            OptDef::flag("hotpluggable", "make added vcpus hot(un)pluggable"),
        ],
        help: "change number of virtual CPUs",
        desc: "Change the number of virtual CPUs in the guest domain.",
        handler: setvcpus,
        flags: 0,
    },
    CmdDef {
        name: "vcpucount",
        opts: &[
            DOMAIN,
            OptDef::flag("maximum", "get maximum count of vcpus"),
            OptDef::flag("active", "get number of currently active vcpus"),
            OptDef::flag("live", "get value from running domain"),
            OptDef::flag("config", "get value to be used on next boot"),
            OptDef::flag("current", "get value according to current domain state"),
            OptDef::flag(
                "guest",
                "retrieve vcpu count from the guest instead of the hypervisor",
            ),
        ],
        help: "domain vcpu counts",
        desc: "Returns the number of virtual CPUs used by the domain.",
        handler: vcpucount,
        flags: 0,
    },
];

/// vcpuinfo (Domain Management, listed apart from the setters).
pub static INFO: &[CmdDef] = &[CmdDef {
    name: "vcpuinfo",
    opts: &[
        DOMAIN,
        OptDef::flag("pretty", "return human readable output"),
    ],
    help: "detailed domain vcpu information",
    desc: "Returns basic information about the domain virtual CPUs.",
    handler: vcpuinfo,
    flags: 0,
}];

/// `--size` in KiB (a scaled number, KiB without a unit).
fn size_kib(ctl: &Ctl, cmd: &Cmd) -> Result<u64, Fail> {
    // virsh's limit: 1024 times the largest unsigned long, as 64-bit arithmetic wraps it
    let max = u64::MAX - 1023;
    let bytes = util::parse_scaled(cmd.get("size").unwrap_or(""), 1024, max)
        .ok_or_else(|| util::bad_scaled(ctl, cmd, "size"))?;
    Ok(bytes.div_ceil(1024))
}

/// The `--config`/`--live`/`--current` flags, `None` when none is given (virsh then makes
/// the call without flags).
fn impact(ctl: &Ctl, cmd: &Cmd) -> Result<Option<u32>, Fail> {
    let flags = util::affect_flags(ctl, cmd)?;
    if !cmd.has("current") && !cmd.has("live") && !cmd.has("config") {
        return Ok(None);
    }
    Ok(Some(flags))
}

fn setmem(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let kib = size_kib(ctl, cmd)?;
    match flags {
        None => ctl.block_on(dom.set_memory(kib))?,
        Some(f) => ctl.block_on(dom.set_memory_flags(kib, DomainMemoryModFlags(f)))?,
    }
    Ok(())
}

fn setmaxmem(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let dom = util::domain(ctl, cmd, "domain")?;
    let kib = size_kib(ctl, cmd)?;
    let result = match flags {
        None => ctl.block_on(dom.set_max_memory(kib)),
        Some(f) => ctl.block_on(dom.set_memory_flags(
            kib,
            DomainMemoryModFlags(f | DomainMemoryModFlags::MAXIMUM.0),
        )),
    };
    result.map_err(|e| ctl.fail("Unable to change MaxMemorySize", e))
}

/// Fails as virsh does when `opt` is given without `needed`.
fn require(ctl: &Ctl, cmd: &Cmd, opt: &str, needed: &str) -> Result<(), Fail> {
    if cmd.has(opt) && !cmd.has(needed) {
        ctl.error(&format!("Option --{needed} is required by option --{opt}"));
        return Err(Fail::Reported);
    }
    Ok(())
}

fn setvcpus(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = util::affect_flags(ctl, cmd)?;
    util::exclusive(ctl, cmd, "guest", "config")?;
    require(ctl, cmd, "maximum", "config")?;
    for (opt, f) in [
        ("maximum", DomainVcpuFlags::MAXIMUM),
        ("guest", DomainVcpuFlags::GUEST),
        ("hotpluggable", DomainVcpuFlags::HOTPLUGGABLE),
    ] {
        if cmd.has(opt) {
            flags |= f.0;
        }
    }
    let dom = util::domain(ctl, cmd, "domain")?;
    let count = cmd
        .get("count")
        .and_then(util::parse_u64)
        .and_then(|c| u32::try_from(c).ok())
        .ok_or_else(|| util::bad_number(ctl, cmd, "count"))?;
    let any = [
        "config",
        "live",
        "current",
        "maximum",
        "guest",
        "hotpluggable",
    ]
    .iter()
    .any(|o| cmd.has(o));
    if any {
        ctl.block_on(dom.set_vcpus_flags(count, DomainVcpuFlags(flags)))?;
    } else {
        ctl.block_on(dom.set_vcpus(count))?;
    }
    Ok(())
}

/// One count: `None` when it does not apply to the domain's state (live of an inactive
/// domain, config of a transient one).
fn vcpu_count(
    ctl: &mut Ctl,
    dom: &Domain,
    mut flags: u32,
    check: bool,
) -> Result<Option<i32>, Fail> {
    const LIVE: u32 = DomainVcpuFlags::LIVE.0;
    const CONFIG: u32 = DomainVcpuFlags::CONFIG.0;
    let active = ctl.block_on(dom.is_active())?;
    if check {
        let persistent = ctl.block_on(dom.is_persistent())?;
        if (flags & LIVE != 0 && !active) || (flags & CONFIG != 0 && !persistent) {
            return Ok(None);
        }
    }
    if flags & (LIVE | CONFIG) == 0 && active {
        flags |= LIVE;
    }
    Ok(Some(ctl.block_on(dom.vcpus_flags(DomainVcpuFlags(flags)))?))
}

fn vcpucount(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    util::exclusive(ctl, cmd, "current", "live")?;
    util::exclusive(ctl, cmd, "current", "config")?;
    util::exclusive(ctl, cmd, "active", "maximum")?;
    util::exclusive(ctl, cmd, "guest", "config")?;
    let mut flags = 0;
    for (opt, f) in [
        ("live", DomainVcpuFlags::LIVE),
        ("config", DomainVcpuFlags::CONFIG),
        ("maximum", DomainVcpuFlags::MAXIMUM),
        ("guest", DomainVcpuFlags::GUEST),
    ] {
        if cmd.has(opt) {
            flags |= f.0;
        }
    }
    let all = !["maximum", "active", "current", "live", "config", "guest"]
        .iter()
        .any(|o| cmd.has(o));
    let dom = util::domain(ctl, cmd, "domain")?;
    if !all {
        let count = vcpu_count(ctl, &dom, flags, false)?.unwrap_or(0);
        ctl.print(&format!("{count}\n"));
        return Ok(());
    }
    const MAX: u32 = DomainVcpuFlags::MAXIMUM.0;
    const LIVE: u32 = DomainVcpuFlags::LIVE.0;
    const CONFIG: u32 = DomainVcpuFlags::CONFIG.0;
    let mut out = String::new();
    for (f, which, state) in [
        (CONFIG | MAX, "maximum", "config"),
        (LIVE | MAX, "maximum", "live"),
        (CONFIG, "current", "config"),
        (LIVE, "current", "live"),
    ] {
        if let Some(n) = vcpu_count(ctl, &dom, f, true)?.filter(|&n| n > 0) {
            out.push_str(&format!("{which:<12} {state:<12} {n:>3}\n"));
        }
    }
    ctl.print(&out);
    Ok(())
}

/// The host's CPU count as virsh takes it (the length of the node's CPU map).
fn host_cpus(ctl: &mut Ctl, client: &virtwire::Client) -> Result<usize, Fail> {
    match ctl.block_on(client.node_cpu_map(0, 0, Default::default())) {
        Ok(m) if m.cpus > 0 => Ok(m.cpus as usize),
        _ => Ok(ctl.block_on(client.node_info())?.cpus as usize),
    }
}

/// Whether CPU `cpu` is set in a CPU map.
fn cpu_set(map: &[u8], cpu: usize) -> bool {
    map.get(cpu / 8).is_some_and(|b| b & (1 << (cpu % 8)) != 0)
}

/// A CPU map as `0-3,6` (libvirt's bitmap format).
fn cpu_ranges(map: &[u8], ncpus: usize) -> String {
    let mut parts = Vec::new();
    let mut cpu = 0;
    while cpu < ncpus {
        if !cpu_set(map, cpu) {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu + 1 < ncpus && cpu_set(map, cpu + 1) {
            cpu += 1;
        }
        parts.push(if start == cpu {
            start.to_string()
        } else {
            format!("{start}-{cpu}")
        });
        cpu += 1;
    }
    parts.join(",")
}

/// The `CPU Affinity:` line.
fn affinity(map: &[u8], ncpus: usize, pretty: bool) -> String {
    let value = if pretty {
        format!("{} (out of {ncpus})", cpu_ranges(map, ncpus))
    } else {
        (0..ncpus)
            .map(|c| if cpu_set(map, c) { 'y' } else { '-' })
            .collect()
    };
    format!("{:<15} {value}\n", "CPU Affinity:")
}

fn vcpuinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let client = dom.client().clone();
    let ncpus = host_cpus(ctl, &client)?;
    let maplen = ncpus.div_ceil(8);
    let info = ctl.block_on(dom.info())?;
    let nvcpus = usize::from(info.nr_virt_cpu);
    let pretty = cmd.has("pretty");
    let mut out = String::new();
    let line = |k: &str, v: String| format!("{k:<15} {v}\n");
    // virsh sizes the maps from the node's CPU map: the raw call keeps its sizes
    let args = virtwire::proto::remote::DomainGetVcpusArgs {
        dom: dom.to_remote(),
        maxinfo: nvcpus as i32,
        maplen: maplen as i32,
    };
    match ctl.block_on(client.raw().domain_get_vcpus(&args)) {
        Ok(ret) => {
            let maps = ret.cpumaps.as_slice();
            for (n, v) in ret.info.iter().enumerate() {
                if n > 0 {
                    out.push('\n');
                }
                out.push_str(&line("VCPU:", v.number.to_string()));
                out.push_str(&line("CPU:", v.cpu.to_string()));
                let state = match v.state {
                    0 => "offline",
                    1 => "running",
                    2 => "blocked",
                    _ => "no state",
                };
                out.push_str(&line("State:", state.to_string()));
                if v.cpu_time != 0 {
                    out.push_str(&line(
                        "CPU time:",
                        format!("{:.1}s", v.cpu_time as f64 / 1e9),
                    ));
                }
                let map = maps.get(n * maplen..(n + 1) * maplen).unwrap_or(&[]);
                out.push_str(&affinity(map, ncpus, pretty));
            }
        }
        Err(_) if ctl.block_on(dom.is_active()).is_ok_and(|a| !a) => {
            // an inactive domain has no vCPU state, only its configured pinning
            let args = virtwire::proto::remote::DomainGetVcpuPinInfoArgs {
                dom: dom.to_remote(),
                ncpumaps: nvcpus as i32,
                maplen: maplen as i32,
                flags: DomainModificationImpact::CONFIG,
            };
            let pins = ctl.block_on(client.raw().domain_get_vcpu_pin_info(&args))?;
            let maps = pins.cpumaps.as_slice();
            for n in 0..usize::try_from(pins.num).unwrap_or(0) {
                if n > 0 {
                    out.push('\n');
                }
                out.push_str(&line("VCPU:", n.to_string()));
                out.push_str(&line("CPU:", "N/A".into()));
                out.push_str(&line("State:", "N/A".into()));
                // virsh's own spelling, without the colon
                out.push_str(&line("CPU time", "N/A".into()));
                let map = maps.get(n * maplen..(n + 1) * maplen).unwrap_or(&[]);
                out.push_str(&affinity(map, ncpus, pretty));
            }
        }
        Err(e) => return Err(e.into()),
    }
    ctl.print(&out);
    Ok(())
}
