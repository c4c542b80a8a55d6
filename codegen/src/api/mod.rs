//! `src/api/generated/remote.rs`: one typed method per REMOTE call, on the handle that the
//! call's first object argument names (or on `Client`), from [`table`]. Arguments become Rust
//! types (`&str`, `Option<&str>`, `&Handle`, `[u8; 16]`, `&[u8]`); replies are shaped
//! (`String` for a string, a handle for an object, `Vec<Handle>` for a list, the scalar for a
//! scalar, the reply struct otherwise).

pub mod table;

use crate::emit::out::Out;
use crate::emit::types::{Paths, rust_type};
use crate::model::{Fds, Field, ItemKind, Module, ProcKind, Procedure, RType};
use table::{
    ELEMENT_TYPES, FIXED_ARGS, HAND_WRITTEN, HANDLES, Handle, RENAMES, REPLY_TYPES, STRING_OKAY,
};

const XDR: &str = "crate::proto::xdr";

/// Marks a reply expression that is already the method's `Result`.
const RESULT: &str = "=> ";

/// The output path of the typed methods.
pub const PATH: &str = "src/api/generated/remote.rs";

/// Whether `p` is something a user calls (not a message, stream, fd-passing or handshake
/// procedure, not one written by hand).
fn generated(p: &Procedure) -> bool {
    p.kind == ProcKind::Call
        && p.fds == Fds::None
        && !p.name.starts_with("AUTH_")
        && p.name != "CONNECT_OPEN"
        && !p.name.contains("EVENT_REGISTER")
        && !p.name.contains("EVENT_DEREGISTER")
        && !p.name.contains("CALLBACK_REGISTER")
        && !p.name.contains("CALLBACK_DEREGISTER")
        && !migration_step(&p.name)
        && !HAND_WRITTEN.iter().any(|(n, _)| *n == p.name)
}

/// Whether `name` is a step of client-managed migration (Begin, Prepare, Perform, Finish,
/// Confirm), which libvirt's client runs in sequence across two connections, passing cookies;
/// the migration tunables (`DOMAIN_MIGRATE_SET_MAX_SPEED`, …) are ordinary calls.
fn migration_step(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("DOMAIN_MIGRATE_") else {
        return false;
    };
    ["BEGIN", "PREPARE", "PERFORM", "FINISH", "CONFIRM"]
        .iter()
        .any(|step| rest.starts_with(step))
}

fn named(ty: &RType) -> Option<&str> {
    match ty {
        RType::Named(r) => Some(r.idl_name.as_str()),
        _ => None,
    }
}

fn handle_of(ty: &RType) -> Option<&'static Handle> {
    let n = named(ty)?;
    HANDLES.iter().find(|h| h.nonnull == n)
}

fn nullable_handle_of(ty: &RType) -> Option<&'static Handle> {
    let n = named(ty)?;
    HANDLES.iter().find(|h| h.nullable == Some(n))
}

fn fields<'a>(m: &'a Module, idl: Option<&crate::model::TypeRef>) -> &'a [Field] {
    match idl.and_then(|t| m.item(&t.idl_name)).map(|i| &i.kind) {
        Some(ItemKind::Struct(f)) => f,
        _ => &[],
    }
}

/// The handle a call is a method of (`None`: `Client`), and the index of its field: the first
/// wire object among the arguments, or the leading `name` of a handle named by string.
fn receiver(proc: &Procedure, args: &[Field]) -> Option<(usize, &'static Handle)> {
    let by_struct = args
        .iter()
        .enumerate()
        .find_map(|(i, f)| handle_of(&f.ty).map(|h| (i, h)));
    by_struct.or_else(|| {
        let first = args.first()?;
        let h = HANDLES
            .iter()
            .find(|h| h.by_name && proc.name.starts_with(h.prefix))?;
        let named_first =
            first.idl_name == "name" && named(&first.ty) == Some("remote_nonnull_string");
        named_first.then_some((0, h))
    })
}

/// The method's name: a rename from the table; on a handle, the procedure name without the
/// handle's prefix; on `Client`, `CONNECT_` dropped and `<OBJECT>_<VERB>_<REST>` turned into
/// `<verb>_<object>_<rest>` (`lookup_network_by_name`).
fn method_name(p: &Procedure, recv: Option<&Handle>) -> String {
    if let Some((_, n)) = RENAMES.iter().find(|(n, _)| *n == p.name) {
        return (*n).to_owned();
    }
    let name = p.name.as_str();
    let snake = match recv {
        Some(h) => name.strip_prefix(h.prefix).unwrap_or(name).to_owned(),
        None => match name.strip_prefix("CONNECT_") {
            Some(rest) => rest.to_owned(),
            None => swap_verb(name),
        },
    };
    without_get(&snake.to_ascii_lowercase())
}

/// Drops the leading `get` (`get_xml_desc` → `xml_desc`, `node_get_free_memory` →
/// `node_free_memory`), as Rust names getters and as the hand-written methods do; a `get` paired
/// with a `set` inside the name stays (`migrate_get_max_speed`, `managed_save_get_xml_desc`).
fn without_get(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("get_") {
        return rest.to_owned();
    }
    if let Some(rest) = name.strip_prefix("node_get_") {
        return format!("node_{rest}");
    }
    name.to_owned()
}

fn is_typed_params(ty: &RType) -> bool {
    matches!(ty, RType::Vec(inner, _) if named(inner) == Some("remote_typed_param"))
}

/// Node CPU/memory statistics (`{field, value}` lists), returned as typed parameters.
fn is_node_stats(ty: &RType) -> bool {
    matches!(ty, RType::Vec(inner, _)
        if matches!(named(inner), Some("remote_node_get_cpu_stats" | "remote_node_get_memory_stats")))
}

/// Whether the call is libvirt's two-step parameter query: asked with `nparams = 0` it
/// answers how many there are, then asked again with that count.
fn two_step(m: &Module, proc: &Procedure) -> bool {
    let args = fields(m, proc.args.as_ref());
    let ret = fields(m, proc.ret.as_ref());
    proc.name != "DOMAIN_GET_CPU_STATS"
        && args.iter().any(|f| f.idl_name == "nparams")
        && ret.iter().any(|f| f.idl_name == "nparams")
}

fn swap_verb(name: &str) -> String {
    for h in HANDLES {
        if let Some(rest) = name.strip_prefix(h.prefix) {
            let object = h.prefix.trim_end_matches('_');
            return match rest.split_once('_') {
                Some((verb, tail)) => format!("{verb}_{object}_{tail}"),
                None => format!("{rest}_{object}"),
            };
        }
    }
    name.to_owned()
}

/// A parameter: its declaration and the expression that builds the wire field.
fn param(f: &Field, p: Paths<'_>) -> (Option<String>, String) {
    let n = &f.rust_name;
    let decl = |ty: String| Some(format!("{n}: {ty}"));
    if f.idl_name == "need_results" {
        return (None, "1".into());
    }
    if let Some(h) = handle_of(&f.ty) {
        return (
            decl(format!("&crate::api::{}", h.rust)),
            format!("{n}.to_remote()"),
        );
    }
    if let Some(h) = nullable_handle_of(&f.ty) {
        return (
            decl(format!("Option<&crate::api::{}>", h.rust)),
            format!("{n}.map(|h| h.to_remote())"),
        );
    }
    if f.idl_name == "autostart" && f.ty == RType::I32 {
        return (decl("bool".into()), format!("i32::from({n})"));
    }
    if is_typed_params(&f.ty) {
        return (
            decl("&crate::api::TypedParams".into()),
            format!("{n}.to_wire()?"),
        );
    }
    match (named(&f.ty), &f.ty) {
        (Some("remote_nonnull_string"), _) => (
            decl("&str".into()),
            format!("{XDR}::XdrString::try_from({n})?"),
        ),
        (Some("remote_string"), _) => (
            decl("Option<&str>".into()),
            format!("{n}.map({XDR}::XdrString::try_from).transpose()?"),
        ),
        (Some("remote_uuid"), _) => (decl("[u8; 16]".into()), format!("{XDR}::FixedOpaque({n})")),
        (_, RType::Opaque(_)) => (
            decl("&[u8]".into()),
            format!("{XDR}::Opaque::try_from({n})?"),
        ),
        (_, RType::Vec(inner, _)) if handle_of(inner).is_some() => {
            let h = handle_of(inner).expect("checked");
            (
                decl(format!("&[crate::api::{}]", h.rust)),
                format!(
                    "{XDR}::XdrVec::try_from({n}.iter().map(|h| h.to_remote()).collect::<Vec<_>>())?"
                ),
            )
        }
        (_, ty) => (decl(rust_type(ty, p)), n.clone()),
    }
}

/// The reply's Rust type and the expression that turns `ret` into it.
fn shape(m: &Module, proc: &Procedure, name: &str, p: Paths<'_>, client: &str) -> (String, String) {
    let Some(ret_ref) = &proc.ret else {
        return ("()".into(), "()".into());
    };
    if let Some((_, ty)) = REPLY_TYPES.iter().find(|(n, _)| *n == proc.name) {
        return (
            (*ty).to_owned(),
            format!("{RESULT}crate::api::Lift::lift(ret, {client})"),
        );
    }
    let ret = fields(m, Some(ret_ref));
    let whole = (
        rust_type(&RType::Named(ret_ref.clone()), p),
        "ret".to_owned(),
    );
    let list = ret.iter().position(|f| matches!(&f.ty, RType::Vec(..)));
    let field = match (ret, list) {
        ([f], _) => f,
        ([a, b], Some(i)) if matches!([a, b][1 - i].idl_name.as_str(), "ret" | "nparams") => {
            &ret[i]
        }
        _ => return whole,
    };
    let x = format!("ret.{}", field.rust_name);
    let yes_no =
        name.starts_with("is_") || name.starts_with("has_") || field.idl_name == "autostart";
    if yes_no && field.ty == RType::I32 {
        return ("bool".into(), format!("{x} != 0"));
    }
    if is_typed_params(&field.ty) {
        return (
            "crate::api::TypedParams".into(),
            format!("crate::api::TypedParams::from_wire({x})"),
        );
    }
    if is_node_stats(&field.ty) {
        return (
            "crate::api::TypedParams".into(),
            format!(
                "{x}.into_iter().map(|s| (s.field.into_inner(), crate::api::TypedValue::ULLong(s.value))).collect()"
            ),
        );
    }
    if let RType::Vec(inner, _) = &field.ty
        && let Some((_, ty)) = ELEMENT_TYPES.iter().find(|(n, _)| Some(*n) == named(inner))
    {
        return (
            format!("Vec<{ty}>"),
            format!(
                "{RESULT}{x}.into_iter().map(|w| crate::api::Lift::lift(w, {client})).collect()"
            ),
        );
    }
    if let Some(h) = handle_of(&field.ty) {
        return (
            format!("crate::api::{}", h.rust),
            format!("crate::api::{}::{}({client}.clone(), {x})", h.rust, h.ctor),
        );
    }
    if let Some(h) = nullable_handle_of(&field.ty) {
        return (
            format!("Option<crate::api::{}>", h.rust),
            format!(
                "{x}.map(|w| crate::api::{}::{}({client}.clone(), w))",
                h.rust, h.ctor
            ),
        );
    }
    match (named(&field.ty), &field.ty) {
        (Some("remote_nonnull_string"), _) => ("String".into(), format!("{x}.into_inner()")),
        (Some("remote_string"), _) => (
            "Option<String>".into(),
            format!("{x}.map(|s| s.into_inner())"),
        ),
        (Some("remote_uuid"), _) => ("[u8; 16]".into(), format!("{x}.0")),
        (_, RType::Vec(inner, _)) if handle_of(inner).is_some() => {
            let h = handle_of(inner).expect("checked");
            (
                format!("Vec<crate::api::{}>", h.rust),
                format!(
                    "{x}.into_iter().map(|w| crate::api::{}::{}({client}.clone(), w)).collect()",
                    h.rust, h.ctor
                ),
            )
        }
        (_, RType::Vec(inner, _)) if named(inner) == Some("remote_nonnull_string") => (
            "Vec<String>".into(),
            format!("{x}.into_iter().map(|s| s.into_inner()).collect()"),
        ),
        (_, RType::Opaque(_)) => ("Vec<u8>".into(), format!("{x}.into()")),
        (_, RType::Vec(inner, _)) => (
            format!("Vec<{}>", rust_type(inner, p)),
            format!("{x}.into()"),
        ),
        (_, ty) => (rust_type(ty, p), x),
    }
}

fn method(out: &mut Out, m: &Module, proc: &Procedure, coverage: &mut Vec<(String, String)>) {
    let p = Paths {
        module: &m.program.module,
        local: "crate::proto::generated::remote::",
    };
    let args = fields(m, proc.args.as_ref());
    let recv = receiver(proc, args);
    let name = method_name(proc, recv.map(|(_, h)| h));
    let owner = recv.map_or("Client", |(_, h)| h.rust);
    coverage.push((proc.name.clone(), format!("{owner}::{name}")));
    let mut decls = Vec::new();
    let mut inits = Vec::new();
    let two = two_step(m, proc);
    let okay = STRING_OKAY.contains(&proc.name.as_str());
    for (i, f) in args.iter().enumerate() {
        if recv.is_some_and(|(r, _)| r == i) {
            let own = match recv {
                Some((_, h)) if h.by_name => format!("{XDR}::XdrString::try_from(self.name())?"),
                _ => "self.to_remote()".to_owned(),
            };
            inits.push(format!("{}: {own}", f.rust_name));
            continue;
        }
        if two && f.idl_name == "nparams" {
            inits.push("nparams: 0".to_owned());
            continue;
        }
        if let Some((_, _, e)) = FIXED_ARGS
            .iter()
            .find(|(n, a, _)| *n == proc.name && *a == f.idl_name)
        {
            inits.push(format!("{}: {e}", f.rust_name));
            continue;
        }
        let (decl, mut expr) = param(f, p);
        decls.extend(decl);
        if okay && f.idl_name == "flags" {
            expr = match &f.ty {
                RType::U32 => "flags | okay".to_owned(),
                ty => format!(
                    "{}::from_bits_retain(flags.bits() | okay)",
                    rust_type(ty, p)
                ),
            };
        }
        if expr == f.rust_name {
            inits.push(expr);
        } else {
            inits.push(format!("{}: {expr}", f.rust_name));
        }
    }
    let client = if recv.is_some() {
        "self.client()"
    } else {
        "self"
    };
    let (ret_ty, ret_expr) = shape(m, proc, &name, p, client);
    let mut doc = vec![format!(
        "`{}{}` (procedure {}).",
        m.program.const_prefix,
        proc.member.trim_start_matches(&m.program.const_prefix),
        proc.number
    )];
    if two {
        doc.push(String::new());
        doc.push(
            "Asks how many parameters there are, then for that many, as libvirt's clients do."
                .into(),
        );
    }
    if okay {
        doc.push(String::new());
        doc.push("Adds `VIR_TYPED_PARAM_STRING_OKAY` to `flags` when the driver supports string parameters, as libvirt's client does.".into());
    }
    out.doc(&doc);
    let params: String = decls.iter().map(|d| format!(", {d}")).collect();
    out.line(format!(
        "pub async fn {name}(&self{params}) -> crate::Result<{ret_ty}> {{"
    ));
    if okay {
        out.line(format!(
            "let okay = {client}.typed_param_string_flag().await?;"
        ));
    }
    let call = match &proc.args {
        Some(a) => {
            out.line(format!(
                "let {}args = {} {{ {} }};",
                if two { "mut " } else { "" },
                rust_type(&RType::Named(a.clone()), p),
                inits.join(", ")
            ));
            format!("{client}.raw().{}(&args)", proc.method)
        }
        None => format!("{client}.raw().{}()", proc.method),
    };
    if two {
        out.line("// How many there are, then that many.");
        out.line(format!("args.nparams = {call}.await?.nparams;"));
    }
    let bind = if proc.ret.is_some() { "let ret = " } else { "" };
    out.line(format!("{bind}{call}.await?;"));
    match ret_expr.strip_prefix(RESULT) {
        Some(result) => out.line(result),
        None => out.line(format!("Ok({ret_expr})")),
    }
    out.line("}");
}

/// The typed methods of the REMOTE program, and the table of which method serves which
/// procedure.
pub fn api_module(m: &Module) -> String {
    let mut out = Out::default();
    out.line(crate::emit::header(&m.program.file));
    out.inner_doc(&["Typed methods for the calls of `protocol/remote_protocol.x`, one per procedure, on the handle the call is about.".into()]);
    let mut coverage = Vec::new();
    let owners = std::iter::once("Client").chain(HANDLES.iter().map(|h| h.rust));
    for owner in owners {
        out.blank();
        out.line(format!("impl crate::api::{owner} {{"));
        for proc in m.procedures.iter().filter(|p| generated(p)) {
            let args = fields(m, proc.args.as_ref());
            if receiver(proc, args).map_or("Client", |(_, h)| h.rust) == owner {
                out.blank();
                method(&mut out, m, proc, &mut coverage);
            }
        }
        out.line("}");
    }
    coverage.extend(
        HAND_WRITTEN
            .iter()
            .map(|(p, f)| ((*p).to_owned(), (*f).to_owned())),
    );
    coverage.sort();
    out.blank();
    out.doc(&["Every procedure with a typed method: (procedure, `Type::method`).".into()]);
    out.line("#[cfg(test)]");
    out.line("pub(crate) const COVERAGE: &[(&str, &str)] = &[");
    for (p, f) in coverage {
        out.line(format!("(\"{p}\", \"{f}\"),"));
    }
    out.line("];");
    out.finish()
}
