//! Secrets: secret-list, secret-define, secret-dumpxml, secret-set-value, secret-get-value,
//! secret-undefine.

use virtwire::flags::{ConnectListAllSecretsFlags as L, SecretDefineFlags};
use virtwire::{ErrorCode, Secret};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output::Table;

const SECRET: OptDef = OptDef::data("secret", "secret UUID");

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "secret-define",
        opts: &[
            OptDef::data("file", "file containing secret attributes in XML"),
            OptDef::flag("validate", "validate the XML against the schema"),
        ],
        help: "define or modify a secret from an XML file",
        desc: "Define or modify a secret.",
        handler: define,
        flags: 0,
    },
    CmdDef {
        name: "secret-dumpxml",
        opts: &[SECRET, util::XPATH, util::WRAP],
        help: "secret attributes in XML",
        desc: "Output attributes of a secret as an XML dump to stdout.",
        handler: dumpxml,
        flags: 0,
    },
    CmdDef {
        name: "secret-set-value",
        opts: &[
            SECRET,
            OptDef::string("file", "read secret from file").named(),
            OptDef::flag(
                "plain",
                "read the secret from file without converting from base64",
            ),
            OptDef::flag("interactive", "read the secret from the terminal"),
            OptDef::string("base64", "base64-encoded secret value"),
        ],
        help: "set a secret value",
        desc: "Set a secret value.",
        handler: set_value,
        flags: 0,
    },
    CmdDef {
        name: "secret-get-value",
        opts: &[
            SECRET,
            OptDef::flag("plain", "get value without converting to base64"),
        ],
        help: "Output a secret value",
        desc: "Output a secret value to stdout.",
        handler: get_value,
        flags: 0,
    },
    CmdDef {
        name: "secret-undefine",
        opts: &[SECRET],
        help: "undefine a secret",
        desc: "Undefine a secret.",
        handler: undefine,
        flags: 0,
    },
    CmdDef {
        name: "secret-list",
        opts: &[
            OptDef::flag("ephemeral", "list ephemeral secrets"),
            OptDef::flag("no-ephemeral", "list non-ephemeral secrets"),
            OptDef::flag("private", "list private secrets"),
            OptDef::flag("no-private", "list non-private secrets"),
        ],
        help: "list secrets",
        desc: "Returns a list of secrets",
        handler: list,
        flags: 0,
    },
];

/// The secret whose UUID option `secret` gives (virsh looks secrets up by UUID only).
fn secret(ctl: &mut Ctl, cmd: &Cmd) -> Result<Secret, Fail> {
    let n = util::required(ctl, cmd, "secret")?;
    let client = ctl.conn()?;
    let Some(u) = util::parse_uuid(&n) else {
        // libvirt refuses a malformed UUID before asking the daemon
        ctl.error(&format!("failed to get secret '{n}'"));
        ctl.error("uuidstr in virSecretLookupByUUIDString must be a valid UUID");
        return Err(Fail::Reported);
    };
    match ctl.block_on(client.lookup_secret_by_uuid(u)) {
        Ok(s) => Ok(s),
        Err(e) => Err(ctl.fail(&format!("failed to get secret '{n}'"), e)),
    }
}

fn define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = util::required(ctl, cmd, "file")?;
    let xml = util::read_file(ctl, cmd, "file")?;
    let flags = if cmd.has("validate") {
        SecretDefineFlags::VALIDATE
    } else {
        SecretDefineFlags::default()
    };
    let client = ctl.conn()?;
    match ctl.block_on(client.define_secret_xml(&xml, flags)) {
        Ok(s) => {
            ctl.print_extra(&format!("Secret {} created\n", s.uuid_string()));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to set attributes from {from}"), e)),
    }
}

fn dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let s = secret(ctl, cmd)?;
    util::no_xpath(ctl, cmd)?;
    let xml = ctl.block_on(s.xml_desc(Default::default()))?;
    ctl.print(&xml);
    Ok(())
}

fn set_value(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let s = secret(ctl, cmd)?;
    util::exclusive(ctl, cmd, "file", "base64")?;
    util::exclusive(ctl, cmd, "interactive", "base64")?;
    util::exclusive(ctl, cmd, "interactive", "file")?;
    let (b64, file) = (cmd.get("base64"), cmd.get("file"));
    if b64.is_none() && file.is_none() && !cmd.has("interactive") {
        ctl.error("Input secret value is missing");
        return Err(Fail::Reported);
    }
    if b64.is_some() {
        ctl.error("Passing secret value as command-line argument is insecure!");
    }
    let raw: Vec<u8> = if let Some(path) = file {
        match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                ctl.error(&format!(
                    "Failed to open file '{path}': {}",
                    util::strerror(&e)
                ));
                return Err(Fail::Reported);
            }
        }
    } else if let Some(b) = b64 {
        b.as_bytes().to_vec()
    } else {
        read_terminal(ctl)?
    };
    let value = if cmd.has("plain") {
        raw
    } else {
        util::base64_decode(&raw)
    };
    ctl.block_on(s.set_value(&value, Default::default()))?;
    ctl.print_extra("Secret value set\n");
    Ok(())
}

/// The secret typed on the terminal (one line, without its newline).
fn read_terminal(ctl: &Ctl) -> Result<Vec<u8>, Fail> {
    ctl.print("Enter new value for secret:");
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        ctl.error("Failed to read secret");
        return Err(Fail::Reported);
    }
    Ok(line.trim_end_matches(['\n', '\r']).as_bytes().to_vec())
}

fn get_value(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let s = secret(ctl, cmd)?;
    let value = ctl.block_on(s.value(Default::default()))?;
    if cmd.has("plain") {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if out.write_all(&value).and_then(|()| out.flush()).is_err() {
            ctl.error("failed to write secret");
            return Err(Fail::Reported);
        }
    } else {
        // no newline of its own: the one that ends every command follows
        ctl.print(&util::base64_encode(&value));
    }
    Ok(())
}

fn undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let s = secret(ctl, cmd)?;
    let n = cmd.get("secret").unwrap_or("");
    match ctl.block_on(s.undefine()) {
        Ok(()) => {
            ctl.print_extra(&format!("Secret {n} deleted\n"));
            Ok(())
        }
        Err(e) => Err(ctl.fail(&format!("Failed to delete secret {n}"), e)),
    }
}

/// A secret's usage type as virsh names it.
fn usage_text(kind: i32) -> Option<&'static str> {
    match kind {
        1 => Some("volume"),
        2 => Some("ceph"),
        3 => Some("iscsi"),
        4 => Some("tls"),
        5 => Some("vtpm"),
        _ => None,
    }
}

fn list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut f = 0;
    for (opt, flag) in [
        ("ephemeral", L::EPHEMERAL),
        ("no-ephemeral", L::NO_EPHEMERAL),
        ("private", L::PRIVATE),
        ("no-private", L::NO_PRIVATE),
    ] {
        if cmd.has(opt) {
            f |= flag.0;
        }
    }
    let client = ctl.conn()?;
    let mut secrets = match ctl.block_on(client.list_all_secrets(L(f))) {
        Ok(s) => s,
        // virsh falls back to the old calls, and names the first that fails
        Err(e) if e.code() == Some(ErrorCode::NoSupport) => {
            return match ctl.block_on(client.num_of_secrets()) {
                Err(e) => Err(ctl.fail("Failed to count secrets", e)),
                Ok(_) => Err(ctl.fail("Failed to list secrets", e)),
            };
        }
        Err(e) => return Err(ctl.fail("Failed to list secrets", e)),
    };
    secrets.sort_by_key(|s| s.uuid_string());
    let mut t = Table::new(&["UUID", "Usage"]);
    for s in &secrets {
        let usage = match usage_text(s.usage_type()) {
            Some(kind) => format!("{kind} {}", s.usage_id()),
            None => "Unused".to_string(),
        };
        t.row(vec![s.uuid_string(), usage]);
    }
    ctl.print(&t.render(ctl.quiet));
    Ok(())
}
