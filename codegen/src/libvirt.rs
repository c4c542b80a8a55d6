//! libvirt's conventions on top of XDR: the procedure enum `<prefix>_procedure`, its
//! `/** @key: value */` annotations, and the `<prefix>_<name>_args` / `_ret` / `_msg` structs
//! that carry each procedure's payloads.

use std::collections::HashMap;

use heck::ToShoutySnakeCase;

use crate::ast::{DefinitionKind, DocBlock, Spec};
use crate::error::{Error, Errors, Pos};
use crate::model::{Const, Fds, Item, ItemKind, ProcKind, Procedure, TypeRef, Variant};
use crate::naming;
use crate::programs::Program;

/// Annotation keys that are interpreted; any other key is kept as text.
pub const KNOWN_TAGS: &[&str] = &[
    "generate",
    "readstream",
    "writestream",
    "sparseflag",
    "priority",
    "fds",
];

/// Whether `name` is the procedure enum of `program` (`remote_procedure`).
pub fn is_procedure_enum(program: &Program, name: &str) -> bool {
    program
        .proc_prefix
        .as_ref()
        .is_some_and(|p| name == format!("{p}_procedure"))
}

/// The prefix of the procedure enum's members (`REMOTE_PROC_`).
pub fn member_prefix(program: &Program) -> String {
    let p = program.proc_prefix.as_deref().unwrap_or_default();
    format!("{}_PROC_", p.to_ascii_uppercase())
}

/// The procedures of `program`, sorted by number, with their payload types.
pub fn procedures(
    program: &Program,
    spec: &Spec,
    items: &[Item],
    errors: &mut Errors,
) -> Vec<Procedure> {
    let Some(prefix) = &program.proc_prefix else {
        return Vec::new();
    };
    let enum_name = format!("{prefix}_procedure");
    let Some(positions) = member_positions(spec, &enum_name) else {
        errors.push(Error::file(
            &spec.file,
            format!("no `enum {enum_name}` defined"),
        ));
        return Vec::new();
    };
    let Some(ItemKind::Enum(e)) = items
        .iter()
        .find(|i| i.idl_name == enum_name)
        .map(|i| &i.kind)
    else {
        return Vec::new(); // the enum had errors, already reported
    };
    let payloads: HashMap<&str, &Item> = items.iter().map(|i| (i.idl_name.as_str(), i)).collect();
    let mut by_number: HashMap<i32, &str> = HashMap::new();
    let mut procs = Vec::new();
    for v in &e.variants {
        let pos = positions
            .get(v.idl_name.as_str())
            .copied()
            .unwrap_or_default();
        if let Some(first) = by_number.insert(v.value, &v.idl_name) {
            let msg = format!(
                "procedure number {} is used twice (also by `{first}`)",
                v.value
            );
            errors.push(Error::at(&spec.file, pos, msg));
            continue;
        }
        let cx = ProcCx {
            program,
            prefix,
            file: &spec.file,
            payloads: &payloads,
        };
        if let Some(p) = cx.procedure(v, pos, errors) {
            procs.push(p);
        }
    }
    procs.sort_by_key(|p| p.number);
    procs
}

fn member_positions<'a>(spec: &'a Spec, enum_name: &str) -> Option<HashMap<&'a str, Pos>> {
    spec.definitions.iter().find_map(|d| match &d.kind {
        DefinitionKind::Enum(ms) if d.name == enum_name => {
            Some(ms.iter().map(|m| (m.name.as_str(), m.pos)).collect())
        }
        _ => None,
    })
}

struct ProcCx<'a> {
    program: &'a Program,
    prefix: &'a str,
    file: &'a str,
    payloads: &'a HashMap<&'a str, &'a Item>,
}

/// The interpreted annotations of one procedure.
#[derive(Default)]
struct Tags {
    generate: Option<String>,
    readstream: bool,
    writestream: bool,
    sparse_flag: Option<String>,
    priority_high: bool,
    fds: Fds,
}

impl ProcCx<'_> {
    fn payload(&self, name: &str, suffix: &str) -> Option<TypeRef> {
        let idl = format!("{}_{}_{suffix}", self.prefix, name.to_ascii_lowercase());
        self.payloads.get(idl.as_str()).map(|i| TypeRef {
            module: self.program.module.clone(),
            rust_name: i.rust_name.clone(),
            idl_name: i.idl_name.clone(),
        })
    }

    fn procedure(&self, v: &Variant, pos: Pos, errors: &mut Errors) -> Option<Procedure> {
        let name = naming::procedure_name(&v.idl_name, &member_prefix(self.program))?.to_owned();
        let tags = tags(v.doc.as_ref(), self.file, errors);
        let msg = self.payload(&name, "msg");
        let (args, ret) = (self.payload(&name, "args"), self.payload(&name, "ret"));
        let kind = match (&msg, tags.readstream, tags.writestream) {
            (Some(_), _, _) if args.is_some() || ret.is_some() => {
                let m = format!(
                    "procedure `{}` has both a `_msg` and `_args`/`_ret` structs",
                    v.idl_name
                );
                errors.push(Error::at(self.file, pos, m));
                return None;
            }
            (_, true, true) => {
                let m = format!(
                    "procedure `{}` is both `@readstream` and `@writestream`",
                    v.idl_name
                );
                errors.push(Error::at(self.file, pos, m));
                return None;
            }
            (Some(_), _, _) => ProcKind::Message,
            (None, true, false) => ProcKind::ReadStream,
            (None, false, true) => ProcKind::WriteStream,
            (None, false, false) => ProcKind::Call,
        };
        let info_const = info_const_name(&name);
        Some(Procedure {
            member: v.idl_name.clone(),
            method: naming::method_name(&name, &self.program.method_prefix),
            number: v.value,
            marker: v.rust_name.clone(),
            info_const,
            args: if kind == ProcKind::Message { msg } else { args },
            ret,
            kind,
            priority_high: tags.priority_high,
            generate: tags.generate,
            sparse_flag: tags.sparse_flag,
            fds: tags.fds,
            doc: v.doc.clone(),
            comment: v.comment.clone(),
            name,
        })
    }
}

fn info_const_name(name: &str) -> String {
    let n = name.to_shouty_snake_case();
    if n.starts_with(|c: char| c.is_ascii_digit()) {
        format!("PROC_{n}")
    } else {
        n
    }
}

fn tags(doc: Option<&DocBlock>, file: &str, errors: &mut Errors) -> Tags {
    let mut t = Tags::default();
    let Some(doc) = doc else { return t };
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in &doc.tags {
        if KNOWN_TAGS.contains(&key.as_str()) {
            if seen.contains(&key.as_str()) {
                errors.push(Error::at(
                    file,
                    doc.pos,
                    format!("annotation `@{key}` given twice"),
                ));
            }
            seen.push(key);
        }
        match key.as_str() {
            "generate" => t.generate = Some(value.clone()),
            "readstream" => t.readstream = true,
            "writestream" => t.writestream = true,
            "sparseflag" => t.sparse_flag = Some(value.clone()),
            "fds" => match Fds::parse(value) {
                Some(f) => t.fds = f,
                None => errors.push(Error::at(
                    file,
                    doc.pos,
                    format!("`@fds: {value}`: expected `call`, `reply` or `both`"),
                )),
            },
            "priority" => match value.as_str() {
                "high" => t.priority_high = true,
                "low" => t.priority_high = false,
                other => errors.push(Error::at(
                    file,
                    doc.pos,
                    format!("`@priority: {other}`: expected `high` or `low`"),
                )),
            },
            _ => {}
        }
    }
    t
}

/// The Rust names of `<PREFIX>_PROGRAM` and `<PREFIX>_PROTOCOL_VERSION`, which a file with
/// procedures must define (as unsigned 32-bit values).
pub fn program_consts(
    program: &Program,
    spec: &Spec,
    consts: &[Const],
    errors: &mut Errors,
) -> Option<(String, String)> {
    let prefix = program.proc_prefix.as_ref()?.to_ascii_uppercase();
    let mut find = |suffix: &str| {
        let idl = format!("{prefix}_{suffix}");
        let found = consts.iter().find(|c| c.idl_name == idl);
        match found {
            Some(c) if u32::try_from(c.value).is_ok() => Some(c.rust_name.clone()),
            Some(_) => {
                errors.push(Error::file(
                    &spec.file,
                    format!("`{idl}` must fit in an unsigned int"),
                ));
                None
            }
            None => {
                errors.push(Error::file(
                    &spec.file,
                    format!("`const {idl}` is not defined"),
                ));
                None
            }
        }
    };
    let program_no = find("PROGRAM");
    let version = find("PROTOCOL_VERSION");
    Some((program_no?, version?))
}

/// Warnings for `<prefix>_*_args` / `_ret` / `_msg` definitions that no procedure uses (a
/// misspelt name would otherwise silently turn a payload into `void`).
pub fn orphan_structs(program: &Program, spec: &Spec, procs: &[Procedure]) -> Vec<Error> {
    let Some(prefix) = &program.proc_prefix else {
        return Vec::new();
    };
    let used: Vec<&str> = procs
        .iter()
        .flat_map(|p| [&p.args, &p.ret])
        .filter_map(|t| t.as_ref().map(|t| t.idl_name.as_str()))
        .collect();
    spec.definitions
        .iter()
        .filter(|d| d.name.starts_with(&format!("{prefix}_")))
        .filter(|d| {
            ["_args", "_ret", "_msg"]
                .iter()
                .any(|s| d.name.ends_with(s))
        })
        .filter(|d| !used.contains(&d.name.as_str()))
        .map(|d| {
            Error::at(
                &spec.file,
                d.pos,
                format!("warning: `{}` is not the payload of any procedure", d.name),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_consts_never_start_with_a_digit() {
        assert_eq!(info_const_name("DOMAIN_GET_INFO"), "DOMAIN_GET_INFO");
        assert_eq!(info_const_name("3D"), "PROC_3D");
    }
}
