//! Storage volumes: vol-list, vol-info, vol-create-as, vol-delete, vol-dumpxml, vol-resize,
//! vol-wipe, vol-path, vol-name, vol-key, vol-pool.

use virtwire::flags::{
    StorageVolCreateFlags, StorageVolDeleteFlags, StorageVolInfoFlags, StorageVolResizeFlags,
};
use virtwire::{StoragePool, StorageVol};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::pool::pool_by;
use crate::commands::{util, volume_copy, volume_stream};
use crate::ctl::Ctl;
use crate::output::Table;

const VOL: OptDef = OptDef::data("vol", "vol name, key or path");
const POOL_OPT: OptDef = OptDef::string("pool", "pool name or uuid");
const PREALLOC: OptDef = OptDef::flag(
    "prealloc-metadata",
    "preallocate metadata (for qcow2 instead of full allocation)",
);

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    volume_copy::CLONE,
    CmdDef {
        name: "vol-create-as",
        opts: &[
            OptDef::data("pool", "pool name"),
            OptDef::data("name", "name of the volume"),
            OptDef::data(
                "capacity",
                "size of the vol, as scaled integer (default bytes)",
            ),
            OptDef::string(
                "allocation",
                "initial allocation size, as scaled integer (default bytes)",
            ),
            OptDef::string("format", "file format type raw,bochs,qcow,qcow2,qed,vmdk"),
            OptDef::string("backing-vol", "the backing volume if taking a snapshot"),
            OptDef::string(
                "backing-vol-format",
                "format of backing volume if taking a snapshot",
            ),
            PREALLOC,
            OptDef::flag("print-xml", "print XML document, but don't define/create"),
        ],
        help: "create a volume from a set of args",
        desc: "Create a vol.",
        handler: create_as,
        flags: 0,
    },
    volume_copy::CREATE,
    volume_copy::CREATE_FROM,
    CmdDef {
        name: "vol-delete",
        opts: &[
            VOL,
            POOL_OPT,
            OptDef::flag(
                "delete-snapshots",
                "delete snapshots associated with volume (must be supported by storage driver)",
            ),
        ],
        help: "delete a vol",
        desc: "Delete a given vol.",
        handler: delete,
        flags: 0,
    },
    volume_stream::DOWNLOAD,
    CmdDef {
        name: "vol-dumpxml",
        opts: &[VOL, POOL_OPT, util::XPATH, util::WRAP],
        help: "vol information in XML",
        desc: "Output the vol information as an XML dump to stdout.",
        handler: dumpxml,
        flags: 0,
    },
    CmdDef {
        name: "vol-info",
        opts: &[
            VOL,
            POOL_OPT,
            OptDef::flag(
                "bytes",
                "sizes are represented in bytes rather than pretty units",
            ),
            OptDef::flag(
                "physical",
                "return the physical size of the volume in allocation field",
            ),
        ],
        help: "storage vol information",
        desc: "Returns basic information about the storage vol.",
        handler: info,
        flags: 0,
    },
    CmdDef {
        name: "vol-key",
        opts: &[OptDef::data("vol", "volume name or path"), POOL_OPT],
        help: "returns the volume key for a given volume name or path",
        desc: "",
        handler: key,
        flags: 0,
    },
    CmdDef {
        name: "vol-list",
        opts: &[
            OptDef::data("pool", "pool name or uuid"),
            OptDef::flag("details", "display extended details for volumes"),
        ],
        help: "list vols",
        desc: "Returns list of vols by pool.",
        handler: list,
        flags: 0,
    },
    CmdDef {
        name: "vol-name",
        opts: &[OptDef::data("vol", "volume key or path")],
        help: "returns the volume name for a given volume key or path",
        desc: "",
        handler: name,
        flags: 0,
    },
    CmdDef {
        name: "vol-path",
        opts: &[OptDef::data("vol", "volume name or key"), POOL_OPT],
        help: "returns the volume path for a given volume name or key",
        desc: "",
        handler: path,
        flags: 0,
    },
    CmdDef {
        name: "vol-pool",
        opts: &[
            OptDef::data("vol", "volume key or path"),
            OptDef::flag("uuid", "return the pool uuid rather than pool name"),
        ],
        help: "returns the storage pool for a given volume key or path",
        desc: "",
        handler: pool,
        flags: 0,
    },
    CmdDef {
        name: "vol-resize",
        opts: &[
            VOL,
            OptDef::data(
                "capacity",
                "new capacity for the vol, as scaled integer (default bytes)",
            ),
            POOL_OPT,
            OptDef::flag(
                "allocate",
                "allocate the new capacity, rather than leaving it sparse",
            ),
            OptDef::flag(
                "delta",
                "use capacity as a delta to current size, rather than the new size",
            ),
            OptDef::flag("shrink", "allow the resize to shrink the volume"),
        ],
        help: "resize a vol",
        desc: "Resizes a storage volume. This is safe only for storage volumes not in use by an active guest.\nSee blockresize for live resizing.",
        handler: resize,
        flags: 0,
    },
    volume_stream::UPLOAD,
    CmdDef {
        name: "vol-wipe",
        opts: &[
            VOL,
            POOL_OPT,
            OptDef::string("algorithm", "perform selected wiping algorithm"),
        ],
        help: "wipe a vol",
        desc: "Ensure data previously on a volume is not accessible to future reads",
        handler: wipe,
        flags: 0,
    },
];

/// The volume named by option `vol` as virsh's `virshCommandOptVolBy` finds it: by name in
/// the pool of option `pool` (which must be active), then (`by_key`) by key and by path.
pub fn vol_by(
    ctl: &mut Ctl,
    cmd: &Cmd,
    pool_opt: Option<&str>,
    by_name: bool,
    by_key: bool,
) -> Result<StorageVol, Fail> {
    let n = util::required(ctl, cmd, "vol")?;
    let mut pool = None;
    if let Some(p) = pool_opt.and_then(|o| cmd.get(o)) {
        let found = pool_by(ctl, cmd, pool_opt.unwrap_or("pool"), true, true)?;
        if !ctl.block_on(found.is_active()).is_ok_and(|a| a) {
            ctl.error(&format!("pool '{p}' is not active"));
            return Err(Fail::Reported);
        }
        pool = Some(found);
    }
    let client = ctl.conn()?;
    let mut last = None;
    if let (Some(p), true) = (&pool, by_name) {
        match ctl.block_on(p.lookup_volume_by_name(&n)) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    if by_key {
        // a failed key lookup's error is replaced by the path lookup's
        if let Ok(v) = ctl.block_on(client.lookup_storage_vol_by_key(&n)) {
            return Ok(v);
        }
        match ctl.block_on(client.lookup_storage_vol_by_path(&n)) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    match (pool.is_some(), pool_opt) {
        (false, Some(o)) => ctl.error(&format!(
            "failed to get vol '{n}', specifying --{o} might help"
        )),
        _ => ctl.error(&format!("failed to get vol '{n}'")),
    }
    Err(last.map_or(Fail::Reported, Fail::Lib))
}

/// The volume of options `vol` and `pool`, by every means.
fn vol(ctl: &mut Ctl, cmd: &Cmd) -> Result<StorageVol, Fail> {
    vol_by(ctl, cmd, Some("pool"), true, true)
}

/// A scaled size as virsh reads a volume size (bytes by default), or virsh's messages.
fn vol_size(ctl: &Ctl, text: &str) -> Result<u64, Fail> {
    let digits = text.trim_start().trim_start_matches('+');
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let parsed = util::parse_scaled(text, 1, u64::MAX);
    match parsed {
        Some(v) => Ok(v),
        None => {
            ctl.error(&format!("Malformed size {text}"));
            if end > 0 && digits[..end].parse::<u64>().is_ok() {
                // the number was fine: libvirt's scaling refused the suffix
                ctl.error(&format!(
                    "invalid argument: unknown suffix '{}'",
                    &digits[end..]
                ));
            }
            Err(Fail::Reported)
        }
    }
}

fn create_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("prealloc-metadata") {
        StorageVolCreateFlags::PREALLOC_METADATA
    } else {
        StorageVolCreateFlags::default()
    };
    let pool = pool_by(ctl, cmd, "pool", true, true)?;
    let name = util::required(ctl, cmd, "name")?;
    let capacity = vol_size(ctl, &util::required(ctl, cmd, "capacity")?)?;
    let allocation = match cmd.get("allocation") {
        Some(a) => Some(vol_size(ctl, a)?),
        None => None,
    };
    let mut xml = format!("<volume>\n  <name>{name}</name>\n  <capacity>{capacity}</capacity>\n");
    if let Some(a) = allocation {
        xml.push_str(&format!("  <allocation>{a}</allocation>\n"));
    }
    if let Some(f) = cmd.get("format") {
        xml.push_str(&format!(
            "  <target>\n    <format type='{f}'/>\n  </target>\n"
        ));
    }
    if let Some(b) = cmd.get("backing-vol") {
        let path = backing_path(ctl, &pool, b)?;
        xml.push_str(&format!("  <backingStore>\n    <path>{path}</path>\n"));
        if let Some(f) = cmd.get("backing-vol-format") {
            xml.push_str(&format!("    <format type='{f}'/>\n"));
        }
        xml.push_str("  </backingStore>\n");
    }
    xml.push_str("</volume>\n");
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    match ctl.block_on(pool.create_volume_xml(&xml, flags)) {
        Ok(_) => {
            ctl.print_extra(&format!("Vol {name} created\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to create vol {name}"), e)),
    }
}

/// The path of the backing volume `b`: a name in `pool`, else a key, else a path.
fn backing_path(ctl: &mut Ctl, pool: &StoragePool, b: &str) -> Result<String, Fail> {
    let client = ctl.conn()?;
    let found = match ctl.block_on(pool.lookup_volume_by_name(b)) {
        Ok(v) => Ok(v),
        Err(_) => match ctl.block_on(client.lookup_storage_vol_by_key(b)) {
            Ok(v) => Ok(v),
            Err(_) => ctl.block_on(client.lookup_storage_vol_by_path(b)),
        },
    };
    match found {
        Ok(v) => Ok(ctl.block_on(v.path())?),
        Err(e) => Err(ctl.fail(&format!("failed to get vol '{b}'"), e)),
    }
}

fn delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol(ctl, cmd)?;
    let name = cmd.get("vol").unwrap_or("");
    let flags = if cmd.has("delete-snapshots") {
        StorageVolDeleteFlags::WITH_SNAPSHOTS
    } else {
        StorageVolDeleteFlags::default()
    };
    match ctl.block_on(v.delete(flags)) {
        Ok(()) => {
            ctl.print_extra(&format!("Vol {name} deleted\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to delete vol {name}"), e)),
    }
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol(ctl, cmd)?;
    util::no_xpath(ctl, cmd)?;
    let xml = ctl.block_on(v.xml_desc(Default::default()))?;
    ctl.print(&xml);
    Ok(())
}

/// A volume type as virsh names it.
fn type_text(kind: i32) -> &'static str {
    match kind {
        0 => "file",
        1 => "block",
        2 => "dir",
        3 => "network",
        4 => "netdir",
        5 => "ploop",
        _ => "unknown",
    }
}

fn info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol(ctl, cmd)?;
    let (bytes, physical) = (cmd.has("bytes"), cmd.has("physical"));
    let mut out = format!("{:<15} {}\n", "Name:", v.name());
    // without --physical, libvirt's call without flags, as virsh makes it
    let got = if physical {
        ctl.block_on(v.info_flags(StorageVolInfoFlags::GET_PHYSICAL))
            .map(|r| (r.kind.to_i32(), r.capacity, r.allocation))
    } else {
        ctl.block_on(v.info())
            .map(|i| (i.kind.to_i32(), i.capacity, i.allocation))
    };
    let (kind, capacity, allocation) = match got {
        Ok(g) => g,
        Err(e) => {
            ctl.print(&out);
            return Err(Fail::Lib(e));
        }
    };
    out.push_str(&format!("{:<15} {}\n", "Type:", type_text(kind)));
    let label = if physical { "Physical:" } else { "Allocation:" };
    for (l, n) in [("Capacity:", capacity), (label, allocation)] {
        let text = if bytes {
            format!("{n} bytes")
        } else {
            util::pretty_capacity(n)
        };
        out.push_str(&format!("{l:<15} {text}\n"));
    }
    ctl.print(&out);
    Ok(())
}

fn key(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol(ctl, cmd)?;
    ctl.print(&format!("{}\n", v.key()));
    Ok(())
}

fn name(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol_by(ctl, cmd, None, false, true)?;
    ctl.print(&format!("{}\n", v.name()));
    Ok(())
}

fn path(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol(ctl, cmd)?;
    let p = ctl.block_on(v.path())?;
    ctl.print(&format!("{p}\n"));
    Ok(())
}

fn pool(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol_by(ctl, cmd, None, false, true)?;
    let p = match ctl.block_on(v.lookup_pool()) {
        Ok(p) => p,
        Err(e) => return Err(ctl.fail("failed to get parent pool", e)),
    };
    let text = if cmd.has("uuid") {
        p.uuid_string()
    } else {
        p.name().to_string()
    };
    ctl.print(&format!("{text}\n"));
    Ok(())
}

fn resize(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = 0;
    let delta = cmd.has("delta");
    if cmd.has("allocate") {
        flags |= StorageVolResizeFlags::ALLOCATE.0;
    }
    if delta {
        flags |= StorageVolResizeFlags::DELTA.0;
    }
    if cmd.has("shrink") {
        flags |= StorageVolResizeFlags::SHRINK.0;
    }
    let v = vol(ctl, cmd)?;
    let given = util::required(ctl, cmd, "capacity")?;
    let mut text = given.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if let Some(rest) = text.strip_prefix('-') {
        if !cmd.has("shrink") {
            ctl.error("negative size requires --shrink");
            return Err(Fail::Reported);
        }
        text = rest;
    }
    let capacity = vol_size(ctl, text)?;
    let how = if delta { "by" } else { "to" };
    let name = v.name().to_string();
    match ctl.block_on(v.resize(capacity, StorageVolResizeFlags(flags))) {
        Ok(()) => {
            ctl.print_extra(&format!(
                "Size of volume '{name}' successfully changed {how} {text}\n"
            ));
            Ok(())
        }
        Err(e) => Err(ctl.fail(
            &format!("Failed to change size of volume '{name}' {how} {text}"),
            e,
        )),
    }
}

/// The algorithms vol-wipe takes, as `virStorageVolWipeAlgorithm` numbers them.
const ALGORITHMS: &[&str] = &[
    "zero",
    "nnsa",
    "dod",
    "bsi",
    "gutmann",
    "schneier",
    "pfitzner7",
    "pfitzner33",
    "random",
    "trim",
];

fn wipe(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let v = vol(ctl, cmd)?;
    let name = cmd.get("vol").unwrap_or("");
    let algorithm = match cmd.get("algorithm") {
        None => None,
        Some(a) => match ALGORITHMS.iter().position(|&x| x == a) {
            Some(i) => Some(u32::try_from(i).unwrap_or(0)),
            None => {
                ctl.error(&format!("Unsupported algorithm '{a}'"));
                return Err(Fail::Reported);
            }
        },
    };
    // zeroes (the default) by libvirt's plain wipe, as virsh calls it
    let done = match algorithm {
        Some(a) if a > 0 => ctl.block_on(v.wipe_pattern(a, Default::default())),
        _ => ctl.block_on(v.wipe(Default::default())),
    };
    match done {
        Ok(()) => {
            ctl.print_extra(&format!("Vol {name} wiped\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to wipe vol {name}"), e)),
    }
}

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool_by(ctl, cmd, "pool", true, true)?;
    let details = cmd.has("details");
    let mut vols = match ctl.block_on(pool.list_all_volumes(Default::default())) {
        Ok(v) => v,
        Err(e) => return Err(ctl.fail("Failed to list volumes", e)),
    };
    vols.sort_by(|a, b| util::strcasecmp(a.name(), b.name()));
    let mut t = if details {
        Table::new(&["Name", "Path", "Type", "Capacity", "Allocation"])
    } else {
        Table::new(&["Name", "Path"])
    };
    for v in &vols {
        let path = ctl
            .block_on(v.path())
            .unwrap_or_else(|_| "unknown".to_string());
        let mut row = vec![v.name().to_string(), path];
        if details {
            match ctl.block_on(v.info()) {
                Ok(i) => row.extend([
                    type_text(i.kind.to_i32()).to_string(),
                    util::pretty_capacity(i.capacity),
                    util::pretty_capacity(i.allocation),
                ]),
                Err(_) => row.extend(["unknown".to_string(), "unknown".into(), "unknown".into()]),
            }
        }
        t.row(row);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}
