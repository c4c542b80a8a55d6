//! The procedure markers (`procs`), the `PROCEDURES` table, and the `RawClient` wrappers.

use super::doc::{code_block, comment_paragraph, escape_markdown};
use super::out::Out;
use super::types::{Paths, generated_path, type_ref};
use crate::model::{Fds, Module, ProcKind, Procedure, TypeRef};

fn opt_str(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("::core::option::Option::Some({s:?})"),
        None => "::core::option::Option::None".to_owned(),
    }
}

fn payload(t: &Option<TypeRef>, p: Paths<'_>) -> String {
    t.as_ref()
        .map_or_else(|| "()".to_owned(), |t| type_ref(t, p))
}

/// What the marker's doc says about the procedure's use.
fn kind_text(kind: ProcKind) -> &'static str {
    match kind {
        ProcKind::Call => "a call",
        ProcKind::Message => "a message the server sends",
        ProcKind::ReadStream => "a call that opens a stream from the server",
        ProcKind::WriteStream => "a call that opens a stream to the server",
    }
}

/// The IDL of the procedure: its annotation block and enum member.
fn proc_idl(proc: &Procedure) -> String {
    let mut s = String::new();
    if let Some(doc) = &proc.doc {
        s.push_str("/**\n");
        for l in &doc.text {
            s.push_str(&format!(" * {l}\n"));
        }
        for (k, v) in &doc.tags {
            s.push_str(&format!(" * @{k}: {v}\n"));
        }
        s.push_str(" */\n");
    }
    s.push_str(&format!("{} = {}", proc.member, proc.number));
    s
}

fn marker_doc(proc: &Procedure) -> Vec<String> {
    let mut doc = vec![format!(
        "`{}` (procedure {}): {}.",
        proc.member,
        proc.number,
        kind_text(proc.kind)
    )];
    doc.push(String::new());
    doc.extend(comment_paragraph(proc.comment.as_deref()));
    if let Some(d) = &proc.doc {
        if !d.text.is_empty() {
            doc.extend(d.text.iter().map(|l| escape_markdown(l)));
            doc.push(String::new());
        }
    }
    doc.extend(code_block(&proc_idl(proc)));
    doc
}

fn info(out: &mut Out, m: &Module, proc: &Procedure) {
    let (program, version) = m.program_consts.clone().unwrap_or_default();
    let args = proc.args.as_ref().map(|t| t.rust_name.as_str());
    let ret = proc.ret.as_ref().map(|t| t.rust_name.as_str());
    out.doc(&[format!("The facts about `{}`.", proc.member)]);
    out.line(format!(
        "pub const {}: crate::proto::ProcedureInfo = crate::proto::ProcedureInfo {{",
        proc.info_const
    ));
    out.line(format!("program: super::{program},"));
    out.line(format!("version: super::{version},"));
    out.line(format!("number: {},", proc.number));
    out.line(format!("name: {:?},", proc.name));
    out.line(format!("args: {},", opt_str(args)));
    out.line(format!("ret: {},", opt_str(ret)));
    out.line(format!(
        "kind: crate::proto::ProcedureKind::{},",
        proc.kind.variant()
    ));
    out.line(format!("priority_high: {},", proc.priority_high));
    out.line(format!("generate: {},", opt_str(proc.generate.as_deref())));
    out.line(format!(
        "sparse_flag: {},",
        opt_str(proc.sparse_flag.as_deref())
    ));
    out.line(format!(
        "fds: crate::proto::FdPassing::{},",
        proc.fds.variant()
    ));
    out.line("};");
}

fn marker(out: &mut Out, m: &Module, proc: &Procedure) {
    let p = Paths {
        module: &m.program.module,
        local: "super::",
    };
    out.doc(&marker_doc(proc));
    out.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]");
    out.line(format!("pub struct {};", proc.marker));
    let (args, ret) = match proc.kind {
        ProcKind::Message => (payload(&proc.args, p), "()".to_owned()),
        _ => (payload(&proc.args, p), payload(&proc.ret, p)),
    };
    info(out, m, proc);
    out.line(format!(
        "impl crate::proto::Procedure for {} {{",
        proc.marker
    ));
    out.line(format!(
        "const INFO: &'static crate::proto::ProcedureInfo = &{};",
        proc.info_const
    ));
    out.line(format!("type Args = {args};"));
    out.line(format!("type Ret = {ret};"));
    out.line("}");
}

/// `pub mod procs { … }` and `pub static PROCEDURES`.
pub fn procedures(out: &mut Out, m: &Module) {
    if m.program.proc_prefix.is_none() {
        return;
    }
    out.doc(&[
        format!(
            "One marker type per procedure of `{}`, implementing [`crate::proto::Procedure`],",
            m.program.file
        ),
        "and the [`crate::proto::ProcedureInfo`] of each.".to_owned(),
    ]);
    out.line("pub mod procs {");
    for (i, proc) in m.procedures.iter().enumerate() {
        if i > 0 {
            out.blank();
        }
        marker(out, m, proc);
    }
    out.line("}");
    out.blank();
    out.doc(&[format!(
        "Every procedure of `{}`, sorted by number.",
        m.program.file
    )]);
    out.line("pub static PROCEDURES: &[crate::proto::ProcedureInfo] = &[");
    for proc in &m.procedures {
        out.line(format!("procs::{},", proc.info_const));
    }
    out.line("];");
    visitor(out, m);
}

/// `pub fn visit_procedures`: the visitor called with every marker, in number order.
fn visitor(out: &mut Out, m: &Module) {
    out.blank();
    out.doc(&[
        "Calls `v.visit::<P>()` for the marker `P` of every procedure, in number order (the order"
            .to_owned(),
        "of `PROCEDURES`).".to_owned(),
    ]);
    out.line("pub fn visit_procedures(v: &mut impl crate::proto::ProcedureVisitor) {");
    for proc in &m.procedures {
        out.line(format!("v.visit::<procs::{}>();", proc.marker));
    }
    out.line("}");
}

/// The body of `src/rpc/generated/<module>.rs`: one method per call.
pub fn rpc(out: &mut Out, m: &Module) {
    let module = &m.program.module;
    let full = generated_path(module, "");
    let p = Paths {
        module,
        local: &full,
    };
    out.line("impl crate::rpc::RawClient {");
    for (i, proc) in m
        .procedures
        .iter()
        .filter(|p| p.kind == ProcKind::Call && p.fds == Fds::None)
        .enumerate()
    {
        if i > 0 {
            out.blank();
        }
        out.doc(&[format!(
            "Calls `{}` (procedure {}).",
            proc.member, proc.number
        )]);
        let marker = generated_path(module, &format!("procs::{}", proc.marker));
        let ret = payload(&proc.ret, p);
        match &proc.args {
            Some(a) => {
                out.line(format!(
                    "pub async fn {}(&self, args: &{}) -> crate::Result<{ret}> {{",
                    proc.method,
                    type_ref(a, p)
                ));
                out.line(format!("self.call::<{marker}>(args).await"));
            }
            None => {
                out.line(format!(
                    "pub async fn {}(&self) -> crate::Result<{ret}> {{",
                    proc.method
                ));
                out.line(format!("self.call::<{marker}>(&()).await"));
            }
        }
        out.line("}");
    }
    out.line("}");
}
