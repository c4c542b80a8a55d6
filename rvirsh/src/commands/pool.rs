//! Storage pools: pool-list, pool-info, pool-define(-as), pool-create(-as), pool-build,
//! pool-start, pool-destroy, pool-delete, pool-undefine, pool-refresh, pool-dumpxml,
//! pool-autostart, pool-name, pool-uuid.

use virtwire::StoragePool;
use virtwire::flags::{
    ConnectListAllStoragePoolsFlags as L, StoragePoolBuildFlags, StoragePoolCreateFlags,
    StoragePoolDefineFlags, StoragePoolDeleteFlags, StorageXmlFlags,
};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

const POOL: OptDef = OptDef::data("pool", "pool name or uuid");
const FILE: OptDef = OptDef::data("file", "file containing an XML pool description");
const BUILD: OptDef = OptDef::flag("build", "build the pool as normal");
const NO_OVERWRITE: OptDef = OptDef::flag("no-overwrite", "do not overwrite any existing data");
const OVERWRITE: OptDef = OptDef::flag("overwrite", "overwrite any existing data");

/// The options pool-define-as and pool-create-as share, in virsh's order.
macro_rules! pool_x_as {
    ($($extra:expr),*) => {
        &[
            OptDef::data("name", "name of the pool"),
            OptDef::data("type", "type of the pool"),
            OptDef::flag("print-xml", "print XML document, but don't define/create"),
            OptDef::string("source-host", "source-host for underlying storage"),
            OptDef::string("source-path", "source path for underlying storage"),
            OptDef::string("source-dev", "source device for underlying storage"),
            OptDef::string("source-name", "source name for underlying storage"),
            OptDef::string("target", "target for underlying storage"),
            OptDef::string("source-format", "format for underlying storage"),
            OptDef::string("auth-type", "auth type to be used for underlying storage"),
            OptDef::string("auth-username", "auth username to be used for underlying storage"),
            OptDef::string("secret-usage", "auth secret usage to be used for underlying storage"),
            OptDef::string("secret-uuid", "auth secret UUID to be used for underlying storage"),
            OptDef::string("adapter-name", "adapter name to be used for underlying storage"),
            OptDef::string("adapter-wwnn", "adapter wwnn to be used for underlying storage"),
            OptDef::string("adapter-wwpn", "adapter wwpn to be used for underlying storage"),
            OptDef::string("adapter-parent", "adapter parent scsi_hostN to be used for underlying vHBA storage"),
            OptDef::string("adapter-parent-wwnn", "adapter parent scsi_hostN wwnn to be used for underlying vHBA storage"),
            OptDef::string("adapter-parent-wwpn", "adapter parent scsi_hostN wwpn to be used for underlying vHBA storage"),
            OptDef::string("adapter-parent-fabric-wwn", "adapter parent scsi_hostN fabric_wwn to be used for underlying vHBA storage"),
            OptDef::string("source-protocol-ver", "nfsvers value for NFS pool mount option"),
            OptDef::string("source-initiator", "initiator iqn for underlying storage"),
            $($extra),*
        ]
    };
}

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "pool-autostart",
        opts: &[POOL, OptDef::flag("disable", "disable autostarting")],
        help: "autostart a pool",
        desc: "Configure a pool to be automatically started at boot.",
        handler: autostart,
        flags: 0,
    },
    CmdDef {
        name: "pool-build",
        opts: &[POOL, NO_OVERWRITE, OVERWRITE],
        help: "build a pool",
        desc: "Build a given pool.",
        handler: build,
        flags: 0,
    },
    CmdDef {
        name: "pool-create-as",
        opts: pool_x_as!(BUILD, NO_OVERWRITE, OVERWRITE),
        help: "create a pool from a set of args",
        desc: "Create a pool.",
        handler: create_as,
        flags: 0,
    },
    CmdDef {
        name: "pool-create",
        opts: &[FILE, BUILD, NO_OVERWRITE, OVERWRITE],
        help: "create a pool from an XML file",
        desc: "Create a pool.",
        handler: create,
        flags: 0,
    },
    CmdDef {
        name: "pool-define-as",
        opts: pool_x_as!(),
        help: "define a pool from a set of args",
        desc: "Define a pool.",
        handler: define_as,
        flags: 0,
    },
    CmdDef {
        name: "pool-define",
        opts: &[
            FILE,
            OptDef::flag("validate", "validate the XML against the schema"),
        ],
        help: "define an inactive persistent storage pool or modify an existing persistent one from an XML file",
        desc: "Define or modify a persistent storage pool.",
        handler: define,
        flags: 0,
    },
    CmdDef {
        name: "pool-delete",
        opts: &[POOL],
        help: "delete a pool",
        desc: "Delete a given pool.",
        handler: delete,
        flags: 0,
    },
    CmdDef {
        name: "pool-destroy",
        opts: &[POOL],
        help: "destroy (stop) a pool",
        desc: "Forcefully stop a given pool. Raw data in the pool is untouched",
        handler: destroy,
        flags: 0,
    },
    CmdDef {
        name: "pool-dumpxml",
        opts: &[
            POOL,
            OptDef::flag("inactive", "show inactive defined XML"),
            util::XPATH,
            util::WRAP,
        ],
        help: "pool information in XML",
        desc: "Output the pool information as an XML dump to stdout.",
        handler: dumpxml,
        flags: 0,
    },
    CmdDef {
        name: "pool-info",
        opts: &[POOL, OptDef::flag("bytes", "Return pool info in bytes")],
        help: "storage pool information",
        desc: "Returns basic information about the storage pool.",
        handler: info,
        flags: 0,
    },
    CmdDef {
        name: "pool-list",
        opts: &[
            OptDef::flag("inactive", "list inactive pools"),
            OptDef::flag("all", "list inactive & active pools"),
            OptDef::flag("transient", "list transient pools"),
            OptDef::flag("persistent", "list persistent pools"),
            OptDef::flag("autostart", "list pools with autostart enabled"),
            OptDef::flag("no-autostart", "list pools with autostart disabled"),
            OptDef::string("type", "only list pool of specified type(s) (if supported)"),
            OptDef::flag("details", "display extended details for pools"),
            OptDef::flag("uuid", "list UUID of active pools only"),
            OptDef::flag("name", "list name of active pools only"),
        ],
        help: "list pools",
        desc: "Returns list of pools.",
        handler: list,
        flags: 0,
    },
    CmdDef {
        name: "pool-name",
        opts: &[POOL],
        help: "convert a pool UUID to pool name",
        desc: "",
        handler: name,
        flags: 0,
    },
    CmdDef {
        name: "pool-refresh",
        opts: &[POOL],
        help: "refresh a pool",
        desc: "Refresh a given pool.",
        handler: refresh,
        flags: 0,
    },
    CmdDef {
        name: "pool-start",
        opts: &[POOL, BUILD, NO_OVERWRITE, OVERWRITE],
        help: "start a (previously defined) inactive pool",
        desc: "Start a pool.",
        handler: start,
        flags: 0,
    },
    CmdDef {
        name: "pool-undefine",
        opts: &[POOL],
        help: "undefine an inactive pool",
        desc: "Undefine the configuration for an inactive pool.",
        handler: undefine,
        flags: 0,
    },
    CmdDef {
        name: "pool-uuid",
        opts: &[POOL],
        help: "convert a pool name to pool UUID",
        desc: "",
        handler: uuid,
        flags: 0,
    },
];

/// The pool named by option `opt`: by UUID (when it has a UUID's length) and then by name,
/// as `by_uuid`/`by_name` allow; virsh's message, then libvirt's, when there is none.
pub fn pool_by(
    ctl: &mut Ctl,
    cmd: &Cmd,
    opt: &str,
    by_uuid: bool,
    by_name: bool,
) -> Result<StoragePool, Fail> {
    let name = util::required(ctl, cmd, opt)?;
    let client = ctl.conn()?;
    let mut last = None;
    if by_uuid && name.len() == 36 {
        match util::parse_uuid(&name) {
            Some(u) => match ctl.block_on(client.lookup_storage_pool_by_uuid(u)) {
                Ok(p) => return Ok(p),
                Err(e) => last = Some(e),
            },
            None => last = None,
        }
    }
    if by_name {
        match ctl.block_on(client.lookup_storage_pool_by_name(&name)) {
            Ok(p) => return Ok(p),
            Err(e) => last = Some(e),
        }
    }
    ctl.error(&format!("failed to get pool '{name}'"));
    Err(last.map_or(Fail::Reported, Fail::Lib))
}

/// The pool named by option `pool`, by UUID or name.
pub fn pool(ctl: &mut Ctl, cmd: &Cmd) -> Result<StoragePool, Fail> {
    pool_by(ctl, cmd, "pool", true, true)
}

/// The name the user gave (virsh's messages quote it as typed).
fn given<'a>(cmd: &'a Cmd, opt: &str) -> &'a str {
    cmd.get(opt).unwrap_or("")
}

/// Runs `call` on the pool; prints `Pool NAME DONE` (not with `-q`) or reports
/// `Failed to FAILED pool NAME`.
fn simple<F>(ctl: &mut Ctl, cmd: &Cmd, done: &str, failed: &str, call: F) -> CmdResult
where
    F: AsyncFnOnce(&StoragePool) -> virtwire::Result<()>,
{
    let pool = pool(ctl, cmd)?;
    let name = given(cmd, "pool");
    match ctl.block_on(call(&pool)) {
        Ok(()) => {
            ctl.print_extra(&format!("Pool {name} {done}\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to {failed} pool {name}"), e)),
    }
}

/// The `--build`/`--overwrite`/`--no-overwrite` flags of pool-create(-as) and pool-start.
fn create_flags(ctl: &Ctl, cmd: &Cmd) -> Result<StoragePoolCreateFlags, Fail> {
    util::exclusive(ctl, cmd, "overwrite", "no-overwrite")?;
    let mut f = 0;
    if cmd.has("build") {
        f |= StoragePoolCreateFlags::WITH_BUILD.0;
    }
    if cmd.has("overwrite") {
        f |= StoragePoolCreateFlags::WITH_BUILD_OVERWRITE.0;
    }
    if cmd.has("no-overwrite") {
        f |= StoragePoolCreateFlags::WITH_BUILD_NO_OVERWRITE.0;
    }
    Ok(StoragePoolCreateFlags(f))
}

fn autostart(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool(ctl, cmd)?;
    let name = given(cmd, "pool");
    let on = !cmd.has("disable");
    let un = if on { "" } else { "un" };
    match ctl.block_on(pool.set_autostart(on)) {
        Ok(()) => {
            ctl.print_extra(&format!("Pool {name} {un}marked as autostarted\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("failed to {un}mark pool {name} as autostarted"), e)),
    }
}

fn build(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut f = 0;
    if cmd.has("no-overwrite") {
        f |= StoragePoolBuildFlags::NO_OVERWRITE.0;
    }
    if cmd.has("overwrite") {
        f |= StoragePoolBuildFlags::OVERWRITE.0;
    }
    simple(ctl, cmd, "built", "build", async |p| {
        p.build(StoragePoolBuildFlags(f)).await
    })
}

fn start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool(ctl, cmd)?;
    let flags = create_flags(ctl, cmd)?;
    let name = given(cmd, "pool");
    match ctl.block_on(pool.create(flags)) {
        Ok(()) => {
            ctl.print_extra(&format!("Pool {name} started\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to start pool {name}"), e)),
    }
}

fn destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "destroyed", "destroy", async |p| {
        p.destroy().await
    })
}

fn delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "deleted", "delete", async |p| {
        p.delete(StoragePoolDeleteFlags::default()).await
    })
}

fn refresh(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "refreshed", "refresh", async |p| {
        p.refresh(Default::default()).await
    })
}

fn undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, "has been undefined", "undefine", async |p| {
        p.undefine().await
    })
}

fn create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = util::required(ctl, cmd, "file")?;
    let flags = create_flags(ctl, cmd)?;
    let xml = util::read_file(ctl, cmd, "file")?;
    let client = ctl.conn()?;
    match ctl.block_on(client.create_storage_pool_xml(&xml, flags)) {
        Ok(p) => {
            ctl.print_extra(&format!("Pool {} created from {from}\n", p.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to create pool from {from}"), e)),
    }
}

fn define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = util::required(ctl, cmd, "file")?;
    let flags = if cmd.has("validate") {
        StoragePoolDefineFlags::VALIDATE
    } else {
        StoragePoolDefineFlags::default()
    };
    let xml = util::read_file(ctl, cmd, "file")?;
    let client = ctl.conn()?;
    match ctl.block_on(client.define_storage_pool_xml(&xml, flags)) {
        Ok(p) => {
            ctl.print_extra(&format!("Pool {} defined from {from}\n", p.name()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to define pool from {from}"), e)),
    }
}

/// The XML pool-define-as and pool-create-as build from their options (virsh's
/// `virshBuildPoolXML`).
fn build_xml(ctl: &Ctl, cmd: &Cmd) -> Result<String, Fail> {
    util::exclusive(ctl, cmd, "secret-usage", "secret-uuid")?;
    let g = |o: &str| cmd.get(o);
    let mut x = format!(
        "<pool type='{}'>\n  <name>{}</name>\n",
        g("type").unwrap_or(""),
        g("name").unwrap_or("")
    );
    let (wwnn, wwpn) = (g("adapter-wwnn"), g("adapter-wwpn"));
    let source = [
        "source-host",
        "source-path",
        "source-dev",
        "source-initiator",
    ]
    .iter()
    .chain(&["source-format", "source-name", "adapter-name"])
    .any(|o| cmd.has(o))
        || (wwnn.is_some() && wwpn.is_some());
    if source {
        x.push_str("  <source>\n");
        if let Some(v) = g("source-host") {
            x.push_str(&format!("    <host name='{v}'/>\n"));
        }
        if let Some(v) = g("source-path") {
            x.push_str(&format!("    <dir path='{v}'/>\n"));
        }
        if let Some(v) = g("source-dev") {
            x.push_str(&format!("    <device path='{v}'/>\n"));
        }
        if let Some(v) = g("source-initiator") {
            x.push_str(&format!(
                "    <initiator>\n      <iqn name='{v}'/>\n    </initiator>\n"
            ));
        }
        if let (Some(nn), Some(pn)) = (wwnn, wwpn) {
            x.push_str("    <adapter type='fc_host'");
            if let Some(p) = g("adapter-parent") {
                x.push_str(&format!(" parent='{p}'"));
            } else if let (Some(a), Some(b)) = (g("adapter-parent-wwnn"), g("adapter-parent-wwpn"))
            {
                x.push_str(&format!(" parent_wwnn='{a}' parent_wwpn='{b}'"));
            } else if let Some(f) = g("adapter-parent-fabric-wwn") {
                x.push_str(&format!(" parent_fabric_wwn='{f}'"));
            }
            x.push_str(&format!(" wwnn='{nn}' wwpn='{pn}'/>\n"));
        } else if let Some(n) = g("adapter-name") {
            x.push_str(&format!("    <adapter type='scsi_host' name='{n}'/>\n"));
        }
        if let (Some(t), Some(u)) = (g("auth-type"), g("auth-username")) {
            let secret = match (g("secret-usage"), g("secret-uuid")) {
                (Some(s), _) => Some(format!("usage='{s}'")),
                (None, Some(s)) => Some(format!("uuid='{s}'")),
                _ => None,
            };
            if let Some(s) = secret {
                x.push_str(&format!(
                    "    <auth type='{t}' username='{u}'>\n      <secret {s}/>\n    </auth>\n"
                ));
            }
        }
        if let Some(v) = g("source-format") {
            x.push_str(&format!("    <format type='{v}'/>\n"));
        }
        if let Some(v) = g("source-name") {
            x.push_str(&format!("    <name>{v}</name>\n"));
        }
        if let Some(v) = g("source-protocol-ver") {
            x.push_str(&format!("    <protocol ver='{v}'/>\n"));
        }
        x.push_str("  </source>\n");
    }
    if let Some(t) = g("target") {
        x.push_str(&format!("  <target>\n    <path>{t}</path>\n  </target>\n"));
    }
    x.push_str("</pool>\n");
    Ok(x)
}

fn create_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = create_flags(ctl, cmd)?;
    let name = util::required(ctl, cmd, "name")?;
    util::required(ctl, cmd, "type")?;
    let xml = build_xml(ctl, cmd)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let client = ctl.conn()?;
    match ctl.block_on(client.create_storage_pool_xml(&xml, flags)) {
        Ok(_) => {
            ctl.print_extra(&format!("Pool {name} created\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to create pool {name}"), e)),
    }
}

fn define_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let name = util::required(ctl, cmd, "name")?;
    util::required(ctl, cmd, "type")?;
    let xml = build_xml(ctl, cmd)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let client = ctl.conn()?;
    match ctl.block_on(client.define_storage_pool_xml(&xml, StoragePoolDefineFlags::default())) {
        Ok(_) => {
            ctl.print_extra(&format!("Pool {name} defined\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to define pool {name}"), e)),
    }
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool(ctl, cmd)?;
    util::no_xpath(ctl, cmd)?;
    let flags = if cmd.has("inactive") {
        StorageXmlFlags::INACTIVE
    } else {
        StorageXmlFlags::default()
    };
    let xml = ctl.block_on(pool.xml_desc(flags))?;
    ctl.print(&xml);
    Ok(())
}

/// A pool state as virsh names it.
fn state_text(state: virtwire::proto::c_constants::StoragePoolState) -> &'static str {
    match state.to_i32() {
        0 => "inactive",
        1 => "building",
        2 => "running",
        3 => "degraded",
        4 => "inaccessible",
        _ => "unknown",
    }
}

/// Whether a pool in `state` has sizes to show (running or degraded).
fn has_sizes(state: virtwire::proto::c_constants::StoragePoolState) -> bool {
    matches!(state.to_i32(), 2 | 3)
}

fn yes_no(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

fn info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool(ctl, cmd)?;
    let mut out = format!("{:<15} {}\n", "Name:", pool.name());
    out.push_str(&format!("{:<15} {}\n", "UUID:", pool.uuid_string()));
    let info = match ctl.block_on(pool.info()) {
        Ok(i) => i,
        Err(e) => {
            ctl.print(&out);
            return Err(Fail::Lib(e));
        }
    };
    out.push_str(&format!("{:<15} {}\n", "State:", state_text(info.state)));
    let persistent = match ctl.block_on(pool.is_persistent()) {
        Ok(p) => yes_no(p),
        Err(_) => "unknown",
    };
    out.push_str(&format!("{:<15} {}\n", "Persistent:", persistent));
    let autostart = match ctl.block_on(pool.autostart()) {
        Ok(a) => yes_no(a),
        Err(_) => "no autostart",
    };
    out.push_str(&format!("{:<15} {}\n", "Autostart:", autostart));
    if has_sizes(info.state) {
        let sizes = [
            ("Capacity:", info.capacity),
            ("Allocation:", info.allocation),
            ("Available:", info.available),
        ];
        for (label, v) in sizes {
            let text = if cmd.has("bytes") {
                v.to_string()
            } else {
                util::pretty_capacity(v)
            };
            out.push_str(&format!("{label:<15} {text}\n"));
        }
    }
    ctl.print(&out);
    Ok(())
}

fn name(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool_by(ctl, cmd, "pool", true, false)?;
    ctl.print(&format!("{}\n", pool.name()));
    Ok(())
}

fn uuid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool = pool_by(ctl, cmd, "pool", false, true)?;
    ctl.print(&format!("{}\n", pool.uuid_string()));
    Ok(())
}

/// The pool types `--type` takes and their list flags.
const TYPES: &[(&str, L)] = &[
    ("dir", L::DIR),
    ("fs", L::FS),
    ("netfs", L::NETFS),
    ("logical", L::LOGICAL),
    ("disk", L::DISK),
    ("iscsi", L::ISCSI),
    ("iscsi-direct", L::ISCSI_DIRECT),
    ("scsi", L::SCSI),
    ("mpath", L::MPATH),
    ("rbd", L::RBD),
    ("sheepdog", L::SHEEPDOG),
    ("gluster", L::GLUSTER),
    ("zfs", L::ZFS),
    ("vstorage", L::VSTORAGE),
];

fn list_flags(ctl: &Ctl, cmd: &Cmd) -> Result<L, Fail> {
    util::exclusive(ctl, cmd, "all", "inactive")?;
    let mut f = L::ACTIVE.0;
    if cmd.has("inactive") {
        f = L::INACTIVE.0;
    }
    if cmd.has("all") {
        f = L::ACTIVE.0 | L::INACTIVE.0;
    }
    for (opt, flag) in [
        ("autostart", L::AUTOSTART),
        ("no-autostart", L::NO_AUTOSTART),
        ("persistent", L::PERSISTENT),
        ("transient", L::TRANSIENT),
    ] {
        if cmd.has(opt) {
            f |= flag.0;
        }
    }
    util::exclusive(ctl, cmd, "details", "uuid")?;
    util::exclusive(ctl, cmd, "details", "name")?;
    if let Some(types) = cmd.get("type") {
        for t in util::split_list(types) {
            match TYPES.iter().find(|(n, _)| *n == t) {
                Some((_, flag)) => f |= flag.0,
                None => {
                    ctl.error(&format!("Invalid pool type '{t}'"));
                    return Err(Fail::Reported);
                }
            }
        }
    }
    Ok(L(f))
}

/// One pool's row of pool-list.
struct Row {
    name: String,
    uuid: String,
    state: String,
    autostart: &'static str,
    persistent: &'static str,
    sizes: [String; 3],
}

fn row(ctl: &mut Ctl, pool: &StoragePool, details: bool) -> Row {
    let autostart = match ctl.block_on(pool.autostart()) {
        Ok(a) => yes_no(a),
        Err(_) => "no autostart",
    };
    let persistent = if details {
        match ctl.block_on(pool.is_persistent()) {
            Ok(p) => yes_no(p),
            Err(_) => "unknown",
        }
    } else {
        ""
    };
    let unknown = || ["unknown".to_string(), "unknown".into(), "unknown".into()];
    let (state, sizes) = match ctl.block_on(pool.info()) {
        Err(_) => {
            ctl.error("Could not retrieve pool information");
            ("unknown".to_string(), unknown())
        }
        Ok(i) if details => {
            let sizes = if has_sizes(i.state) {
                [i.capacity, i.allocation, i.available].map(util::pretty_capacity)
            } else {
                ["-".to_string(), "-".into(), "-".into()]
            };
            (state_text(i.state).to_string(), sizes)
        }
        Ok(_) => {
            let active = ctl.block_on(pool.is_active()).is_ok_and(|a| a);
            let s = if active { "active" } else { "inactive" };
            (s.to_string(), unknown())
        }
    };
    Row {
        name: pool.name().to_string(),
        uuid: pool.uuid_string(),
        state,
        autostart,
        persistent,
        sizes,
    }
}

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = list_flags(ctl, cmd)?;
    let details = cmd.has("details");
    let client = ctl.conn()?;
    let mut pools = match ctl.block_on(client.list_all_storage_pools(flags)) {
        Ok(p) => p,
        Err(e) => return Err(ctl.fail("Failed to list pools", e)),
    };
    pools.sort_by(|a, b| util::strcasecmp(a.name(), b.name()));
    let rows: Vec<Row> = pools.iter().map(|p| row(ctl, p, details)).collect();
    let (opt_uuid, opt_name) = (cmd.has("uuid"), cmd.has("name"));
    if !details && (opt_uuid || opt_name) {
        let mut out = String::new();
        for r in &rows {
            if opt_uuid {
                let sep = if opt_name { ' ' } else { '\n' };
                out.push_str(&format!("{:<36}{sep}", r.uuid));
            }
            if opt_name {
                out.push_str(&format!("{:<20}\n", r.name));
            }
        }
        ctl.print(&out);
        return Ok(());
    }
    let mut t = if details {
        Table::new(&[
            "Name",
            "State",
            "Autostart",
            "Persistent",
            "Capacity",
            "Allocation",
            "Available",
        ])
    } else {
        Table::new(&["Name", "State", "Autostart"])
    };
    for r in rows {
        let mut cells = vec![r.name, r.state, r.autostart.to_string()];
        if details {
            cells.push(r.persistent.to_string());
            cells.extend(r.sizes);
        }
        t.row(cells);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}
