//! Every `flags` argument of every call names its flags type (`/** @flags: vir_… */` in
//! `protocol/*.x`), so that no `Args` struct, and no typed method built from one, carries
//! flags as a bare integer.

use std::path::Path;

use virtwire_codegen::model::{ItemKind, ProcKind, RType};
use virtwire_codegen::{Missing, load, programs, resolve_all};

/// `unsigned hyper flags` members (the migration calls of protocol version 1–3, whose C type
/// is `unsigned long`): a flags type is an `unsigned int` on the wire, so these stay `u64`
/// until the migration calls get their typed methods.
const HYPER_FLAGS: &[&str] = &[
    "remote_domain_migrate_prepare_args",
    "remote_domain_migrate_perform_args",
    "remote_domain_migrate_finish_args",
    "remote_domain_migrate_prepare2_args",
    "remote_domain_migrate_finish2_args",
    "remote_domain_migrate_prepare_tunnel_args",
    "remote_domain_migrate_begin3_args",
    "remote_domain_migrate_prepare3_args",
    "remote_domain_migrate_prepare_tunnel3_args",
    "remote_domain_migrate_perform3_args",
    "remote_domain_migrate_finish3_args",
    "remote_domain_migrate_confirm3_args",
];

#[test]
fn every_procedure_argument_named_flags_has_a_flags_type() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (sources, _) = load(&root, &programs::table(), Missing::Error).unwrap();
    let modules = resolve_all(&sources).unwrap_or_else(|e| panic!("{e}"));
    let mut bare = Vec::new();
    let mut args_seen = 0;
    for m in &modules {
        // Messages are what the daemon sends: their flags are read, not passed.
        for p in m.procedures.iter().filter(|p| p.kind != ProcKind::Message) {
            let Some(args) = &p.args else { continue };
            let Some(ItemKind::Struct(fields)) = m.item(&args.idl_name).map(|i| &i.kind) else {
                continue;
            };
            args_seen += 1;
            for f in fields.iter().filter(|f| f.idl_name.ends_with("flags")) {
                let hyper = matches!(f.ty, RType::U64) && HYPER_FLAGS.contains(&&*args.idl_name);
                if !matches!(f.ty, RType::Named(_)) && !hyper {
                    bare.push(format!(
                        "{}: {}.{}",
                        m.program.file, args.idl_name, f.idl_name
                    ));
                }
            }
        }
    }
    assert!(args_seen > 390, "only {args_seen} argument structs seen");
    assert!(
        bare.is_empty(),
        "flags members without `/** @flags: … */`:\n{}",
        bare.join("\n")
    );
}
