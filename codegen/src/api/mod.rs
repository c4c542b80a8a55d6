//! `src/api/generated/remote.rs`: one typed method per REMOTE call, on the handle that the
//! call's first object argument names (or on `Client`), from [`table`]. Arguments become Rust
//! types (`&str`, `Option<&str>`, `&Handle`, `[u8; 16]`, `&[u8]`); replies are shaped
//! (`String` for a string, a handle for an object, `Vec<Handle>` for a list, the scalar for a
//! scalar, the reply struct otherwise).

pub mod table;

use crate::emit::out::Out;
use crate::emit::types::{Paths, rust_type};
use crate::model::{Fds, Field, ItemKind, Module, ProcKind, Procedure, RType};
use table::{HAND_WRITTEN, HANDLES, Handle, RENAMES};

const XDR: &str = "crate::proto::xdr";

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
    snake.to_ascii_lowercase()
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
fn shape(m: &Module, proc: &Procedure, p: Paths<'_>, client: &str) -> (String, String) {
    let Some(ret_ref) = &proc.ret else {
        return ("()".into(), "()".into());
    };
    let ret = fields(m, Some(ret_ref));
    let whole = (
        rust_type(&RType::Named(ret_ref.clone()), p),
        "ret".to_owned(),
    );
    let list = ret.iter().position(|f| matches!(&f.ty, RType::Vec(..)));
    let field = match (ret, list) {
        ([f], _) => f,
        ([a, b], Some(i)) if [a, b][1 - i].idl_name == "ret" => &ret[i],
        _ => return whole,
    };
    let x = format!("ret.{}", field.rust_name);
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
    for (i, f) in args.iter().enumerate() {
        if recv.is_some_and(|(r, _)| r == i) {
            let own = match recv {
                Some((_, h)) if h.by_name => format!("{XDR}::XdrString::try_from(self.name())?"),
                _ => "self.to_remote()".to_owned(),
            };
            inits.push(format!("{}: {own}", f.rust_name));
            continue;
        }
        let (decl, expr) = param(f, p);
        decls.extend(decl);
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
    let (ret_ty, ret_expr) = shape(m, proc, p, client);
    out.doc(&[format!(
        "`{}{}` (procedure {}).",
        m.program.const_prefix,
        proc.member.trim_start_matches(&m.program.const_prefix),
        proc.number
    )]);
    let params: String = decls.iter().map(|d| format!(", {d}")).collect();
    out.line(format!(
        "pub async fn {name}(&self{params}) -> crate::Result<{ret_ty}> {{"
    ));
    let call = match &proc.args {
        Some(a) => {
            out.line(format!(
                "let args = {} {{ {} }};",
                rust_type(&RType::Named(a.clone()), p),
                inits.join(", ")
            ));
            format!("{client}.raw().{}(&args)", proc.method)
        }
        None => format!("{client}.raw().{}()", proc.method),
    };
    let bind = if proc.ret.is_some() { "let ret = " } else { "" };
    out.line(format!("{bind}{call}.await?;"));
    out.line(format!("Ok({ret_expr})"));
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
