//! `undefine --storage`/`--remove-all-storage`: the volumes of a domain's disks, chosen and
//! removed as virsh does (after the domain is undefined).

use roxmltree::Document;
use virtwire::Domain;
use virtwire::flags::{DomainXmlFlags, StorageVolDeleteFlags};

use crate::cli::{Cmd, Fail};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output;

/// A disk whose volume is to go: its target (`vda`) and source path.
pub struct Doomed {
    target: String,
    source: String,
    vol: Option<virtwire::StorageVol>,
}

/// Whether the command asks for volumes to be removed.
pub fn wanted(cmd: &Cmd) -> bool {
    cmd.has("storage") || cmd.has("remove-all-storage")
}

/// Checks the options and picks the volumes before anything changes; `Err` when virsh would
/// refuse.
pub fn choose(ctl: &mut Ctl, cmd: &Cmd, dom: &Domain) -> Result<Vec<Doomed>, Fail> {
    if ctl.block_on(dom.is_active())? {
        ctl.error("Storage volume deletion is supported only on stopped domains");
        return Err(Fail::Reported);
    }
    let xml = ctl.block_on(dom.xml_desc(DomainXmlFlags::default()))?;
    let doc = Document::parse(&xml).map_err(|e| {
        ctl.error(&format!("failed to parse the domain XML: {e}"));
        Fail::Reported
    })?;
    let disks: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("disk"))
        .filter_map(|d| {
            let target = d
                .children()
                .find(|n| n.has_tag_name("target"))?
                .attribute("dev")?;
            let source = d
                .children()
                .find(|n| n.has_tag_name("source"))?
                .attributes()
                .find(|a| ["file", "dev", "dir", "name", "volume"].contains(&a.name()))?
                .value();
            Some((target.to_string(), source.to_string()))
        })
        .collect();
    let chosen: Vec<(String, String)> = if let Some(list) = cmd.get("storage") {
        let mut chosen = Vec::new();
        for spec in util::split_list(list) {
            match disks.iter().find(|(t, s)| *t == spec || *s == spec) {
                Some(d) => chosen.push(d.clone()),
                None => {
                    ctl.error(&format!(
                        "Volume '{spec}' was not found in domain's definition.\n"
                    ));
                    return Err(Fail::Reported);
                }
            }
        }
        chosen
    } else {
        disks
    };
    let client = dom.client().clone();
    let mut doomed = Vec::new();
    for (target, source) in chosen {
        let vol = ctl
            .block_on(client.lookup_storage_vol_by_path(&source))
            .ok();
        if vol.is_none() {
            ctl.print(&format!(
                "Storage volume '{target}'({source}) is not managed by libvirt. Remove it manually.\n"
            ));
        }
        doomed.push(Doomed {
            target,
            source,
            vol,
        });
    }
    Ok(doomed)
}

/// Wipes (with `--wipe-storage`) and deletes the chosen volumes; `false` when one failed.
pub fn remove(ctl: &mut Ctl, cmd: &Cmd, doomed: Vec<Doomed>) -> bool {
    let mut ok = true;
    let flags = if cmd.has("delete-storage-volume-snapshots") {
        StorageVolDeleteFlags::WITH_SNAPSHOTS
    } else {
        StorageVolDeleteFlags::default()
    };
    for d in doomed {
        let Some(vol) = d.vol else { continue };
        let (t, s) = (&d.target, &d.source);
        if cmd.has("wipe-storage") {
            ctl.print(&format!("Wiping volume '{t}'({s}) ... "));
            if let Err(e) = ctl.block_on(vol.wipe(Default::default())) {
                ctl.error("Failed! Volume not removed.");
                output::report(&Fail::Lib(e));
                ok = false;
                continue;
            }
            ctl.print("done.\n");
        }
        match ctl.block_on(vol.delete(flags)) {
            Ok(()) => ctl.print(&format!("Volume '{t}'({s}) removed.\n")),
            Err(e) => {
                ctl.error(&format!("Failed to remove storage volume '{t}'({s})"));
                output::report(&Fail::Lib(e));
                ok = false;
            }
        }
    }
    ok
}
