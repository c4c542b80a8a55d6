//! The fixed table of virtwire's protocol files and how each becomes a Rust module.

/// One `.x` file and how to generate its module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Rust module name (`remote`); output goes to `src/proto/generated/<module>.rs`.
    pub module: String,
    /// The `.x` file, relative to the workspace root (`protocol/remote_protocol.x`).
    pub file: String,
    /// Prefix stripped from type names (`remote_`, `virNet`; empty: none).
    pub type_prefix: String,
    /// Prefix stripped from constant names (`REMOTE_`; empty: names kept as they are).
    pub const_prefix: String,
    /// Lower-case program prefix of the procedure enum and of the `_args`/`_ret`/`_msg`
    /// structs (`remote` → `remote_procedure`, `REMOTE_PROC_*`, `remote_*_args`); `None` for
    /// files without procedures.
    pub proc_prefix: Option<String>,
    /// Prefix of the generated `RawClient` methods (`qemu_`; empty for REMOTE).
    pub method_prefix: String,
    /// Modules whose definitions this file may use (earlier in the table).
    pub scope: Vec<String>,
    /// Enums whose members are named by stripping a given prefix instead of the prefix common
    /// to all members (`vir_error_number`: `VIR_ERR_`, so that the few `VIR_WAR_*` members do
    /// not make every variant start with `Err`). Members without that prefix fall back to the
    /// common-prefix rule.
    pub variant_prefixes: Vec<(String, String)>,
    /// Whether `src/rpc/generated/<module>.rs` (call wrappers) is generated.
    pub rpc: bool,
}

impl Program {
    /// A program whose names all use `prefix` (`remote` → `remote_`, `REMOTE_`,
    /// `remote_procedure`), with call wrappers whose methods are prefixed with
    /// `method_prefix`. Used by the table and by tests.
    pub fn with_prefix(module: &str, file: &str, prefix: &str, method_prefix: &str) -> Self {
        Program {
            module: module.to_owned(),
            file: file.to_owned(),
            type_prefix: format!("{prefix}_"),
            const_prefix: format!("{}_", prefix.to_ascii_uppercase()),
            proc_prefix: Some(prefix.to_owned()),
            method_prefix: method_prefix.to_owned(),
            scope: vec!["c_constants".to_owned()],
            variant_prefixes: Vec::new(),
            rpc: true,
        }
    }

    /// The output path of the module's types, relative to the workspace root.
    pub fn proto_path(&self) -> String {
        format!("src/proto/generated/{}.rs", self.module)
    }

    /// The output path of the module's call wrappers, relative to the workspace root.
    pub fn rpc_path(&self) -> String {
        format!("src/rpc/generated/{}.rs", self.module)
    }
}

/// A file of facts from libvirt's C headers (`protocol/c_*.x`): type names lose `vir`,
/// constant names lose `VIR_`; it sees the `c_*` modules before it, so that every name is
/// defined once across them.
fn c_facts(module: &str, scope: &[&str], variant_prefixes: &[(&str, &str)]) -> Program {
    Program {
        module: module.to_owned(),
        file: format!("protocol/{module}.x"),
        type_prefix: "vir".to_owned(),
        const_prefix: "VIR_".to_owned(),
        proc_prefix: None,
        method_prefix: String::new(),
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
        variant_prefixes: variant_prefixes
            .iter()
            .map(|(e, p)| ((*e).to_owned(), (*p).to_owned()))
            .collect(),
        rpc: false,
    }
}

/// virtwire's programs, each after the ones it depends on.
///
/// Every file sees `c_constants`; REMOTE, QEMU, LXC and ADMIN also see `c_flags` (their
/// `flags` members name their type); QEMU and LXC also see REMOTE's types.
///
/// The facts libvirt defines in C rather than in its `.x` files (error codes, domain states
/// and reasons, event IDs and details, flags, typed-parameter names) live in data files,
/// `protocol/c_constants.x`, `c_events.x`, `c_flags.x` and `c_params.x`, which the generator
/// reads like any other XDR file (flags are enums marked `@flags`, parameter names are string
/// constants). There is no hand-written table of them in code: the only per-enum knowledge
/// here is a naming override where the common-prefix rule would give poor names.
pub fn table() -> Vec<Program> {
    let c_constants = Program {
        module: "c_constants".to_owned(),
        file: "protocol/c_constants.x".to_owned(),
        type_prefix: "vir".to_owned(),
        const_prefix: String::new(),
        proc_prefix: None,
        method_prefix: String::new(),
        scope: Vec::new(),
        variant_prefixes: vec![("vir_error_number".to_owned(), "VIR_ERR_".to_owned())],
        rpc: false,
    };
    let c_events = c_facts("c_events", &["c_constants"], &[]);
    let c_flags = c_facts(
        "c_flags",
        &["c_constants", "c_events"],
        &[
            // One member each: the common-prefix rule would leave only `STREAM`.
            (
                "vir_storage_vol_download_flags",
                "VIR_STORAGE_VOL_DOWNLOAD_",
            ),
            ("vir_storage_vol_upload_flags", "VIR_STORAGE_VOL_UPLOAD_"),
            // `CURRENT`, `LIVE`, `CONFIG` as in the other modification flags.
            ("vir_domain_set_vcpu_flags", "VIR_DOMAIN_SETVCPU_AFFECT_"),
            // One member each, named after the unit (`BANDWIDTH_BYTES`).
            (
                "vir_domain_block_job_info_flags",
                "VIR_DOMAIN_BLOCK_JOB_INFO_",
            ),
            (
                "vir_domain_block_job_set_speed_flags",
                "VIR_DOMAIN_BLOCK_JOB_SPEED_",
            ),
            ("vir_domain_block_pull_flags", "VIR_DOMAIN_BLOCK_PULL_"),
        ],
    );
    let c_params = c_facts("c_params", &["c_constants", "c_events", "c_flags"], &[]);
    let virnet = Program {
        module: "virnet".to_owned(),
        file: "protocol/virnetprotocol.x".to_owned(),
        type_prefix: "virNet".to_owned(),
        const_prefix: "VIR_NET_".to_owned(),
        proc_prefix: None,
        method_prefix: String::new(),
        scope: vec!["c_constants".to_owned()],
        variant_prefixes: Vec::new(),
        rpc: false,
    };
    let keepalive = Program {
        rpc: false,
        ..Program::with_prefix(
            "keepalive",
            "protocol/virkeepaliveprotocol.x",
            "keepalive",
            "",
        )
    };
    // REMOTE also sees the flags, so that its `flags` members can name their type.
    let remote = Program {
        scope: vec!["c_constants".to_owned(), "c_flags".to_owned()],
        ..Program::with_prefix("remote", "protocol/remote_protocol.x", "remote", "")
    };
    let with_remote = |p: Program| Program {
        scope: vec![
            "c_constants".to_owned(),
            "c_flags".to_owned(),
            "remote".to_owned(),
        ],
        ..p
    };
    let qemu = with_remote(Program::with_prefix(
        "qemu",
        "protocol/qemu_protocol.x",
        "qemu",
        "qemu_",
    ));
    let lxc = with_remote(Program::with_prefix(
        "lxc",
        "protocol/lxc_protocol.x",
        "lxc",
        "lxc_",
    ));
    let admin = Program {
        scope: vec!["c_constants".to_owned(), "c_flags".to_owned()],
        ..Program::with_prefix("admin", "protocol/admin_protocol.x", "admin", "admin_")
    };
    vec![
        c_constants,
        c_events,
        c_flags,
        c_params,
        virnet,
        keepalive,
        remote,
        qemu,
        lxc,
        admin,
    ]
}
