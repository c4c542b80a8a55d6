//! `domstats`: the statistics records of every (or the named) domains.

use virtwire::flags::{ConnectGetAllDomainStatsFlags as L, DomainStatsTypes as T};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;

/// The commands of this module (Domain Monitoring).
pub static CMDS: &[CmdDef] = &[CmdDef {
    name: "domstats",
    opts: &[
        OptDef::flag("state", "report domain state"),
        OptDef::flag("cpu-total", "report domain physical cpu usage"),
        OptDef::flag("balloon", "report domain balloon statistics"),
        OptDef::flag("vcpu", "report domain virtual cpu information"),
        OptDef::flag("interface", "report domain network interface information"),
        OptDef::flag("block", "report domain block device statistics"),
        OptDef::flag("perf", "report domain perf event statistics"),
        OptDef::flag("iothread", "report domain IOThread information"),
        OptDef::flag("memory", "report domain memory usage"),
        OptDef::flag("dirtyrate", "report domain dirty rate information"),
        OptDef::flag("vm", "report hypervisor-specific statistics"),
        OptDef::flag("list-active", "list only active domains"),
        OptDef::flag("list-inactive", "list only inactive domains"),
        OptDef::flag("list-persistent", "list only persistent domains"),
        OptDef::flag("list-transient", "list only transient domains"),
        OptDef::flag("list-running", "list only running domains"),
        OptDef::flag("list-paused", "list only paused domains"),
        OptDef::flag("list-shutoff", "list only shutoff domains"),
        OptDef::flag("list-other", "list only domains in other states"),
        OptDef::flag("raw", "do not pretty-print the fields"),
        OptDef::flag("enforce", "enforce requested stats parameters"),
        OptDef::flag("backing", "add backing chain information to block stats"),
        OptDef::flag("nowait", "report only stats that are accessible instantly"),
        OptDef::argv("domain", "list of domains to get stats for"),
    ],
    help: "get statistics about one or multiple domains",
    desc: "Gets statistics about one or more (or all) domains",
    handler: domstats,
    flags: 0,
}];

const STATS: &[(&str, T)] = &[
    ("state", T::STATE),
    ("cpu-total", T::CPU_TOTAL),
    ("balloon", T::BALLOON),
    ("vcpu", T::VCPU),
    ("interface", T::INTERFACE),
    ("block", T::BLOCK),
    ("perf", T::PERF),
    ("iothread", T::IOTHREAD),
    ("memory", T::MEMORY),
    ("dirtyrate", T::DIRTYRATE),
    ("vm", T::VM),
];

const FILTERS: &[(&str, L)] = &[
    ("list-active", L::ACTIVE),
    ("list-inactive", L::INACTIVE),
    ("list-persistent", L::PERSISTENT),
    ("list-transient", L::TRANSIENT),
    ("list-running", L::RUNNING),
    ("list-paused", L::PAUSED),
    ("list-shutoff", L::SHUTOFF),
    ("list-other", L::OTHER),
    ("nowait", L::NOWAIT),
    ("backing", L::BACKING),
    ("enforce", L::ENFORCE_STATS),
];

fn domstats(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let stats = STATS
        .iter()
        .filter(|(o, _)| cmd.has(o))
        .fold(0, |acc, (_, f)| acc | f.0);
    let flags = FILTERS
        .iter()
        .filter(|(o, _)| cmd.has(o))
        .fold(0, |acc, (_, f)| acc | f.0);
    let names = cmd.get_all("domain");
    let client = ctl.conn()?;
    let mut doms = Vec::new();
    for name in &names {
        let one = Cmd {
            def: cmd.def,
            opts: vec![(
                cmd.def.opts.last().expect("domain option"),
                name.to_string(),
            )],
        };
        doms.push(util::domain(ctl, &one, "domain")?);
    }
    let records = if names.is_empty() {
        ctl.block_on(client.all_domain_stats(&[], T(stats), L(flags)))
    } else {
        ctl.block_on(client.all_domain_stats(&doms, T(stats), L(flags)))
    };
    let records = records.map_err(Fail::Lib)?;
    let mut out = String::new();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("Domain: '{}'\n", r.domain.name()));
        for (name, value) in r.params.iter() {
            out.push_str(&format!("  {name}={value}\n"));
        }
    }
    ctl.print(&out);
    Ok(())
}
