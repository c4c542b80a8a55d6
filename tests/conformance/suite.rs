//! The conformance runner shared by `tests/conformance.rs` (unix socket) and
//! `tests/conformance_wire.rs` (the same traffic over TCP, captured and checked by Wireshark's
//! libvirt dissector).
//!
//! Every plain call of a program is sent with its generated default arguments
//! ([`Payloads::encode_default_args`]: zero numbers, empty strings and arrays, null
//! pointers) as a pre-encoded payload. The daemon proves it decoded them by answering OK or with
//! an error other than `Unable to decode message payload`; a procedure newer than the daemon
//! gets `unknown procedure: N`. (Both are code 39 / domain 7: this test tells them apart by the
//! message, which the library itself never does.) OK replies must decode exactly with
//! [`Payloads::check_ret`].
//!
//! Blind spot: libvirtd accepts trailing bytes after valid arguments, so a struct of ours that
//! is too long passes here; the wire check (`scripts/wire-check.py`) catches that.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use virtwire::flags::NoFlags;
use virtwire::proto::xdr::{
    DecodeError, Encode, PreEncoded, XdrString, check_decode, encode_default, encode_to_vec,
};
use virtwire::proto::{
    Procedure, ProcedureInfo, ProcedureVisitor, admin, keepalive, lxc, qemu, remote,
};
use virtwire::rpc::RawClient;
use virtwire::{Client, ErrorKind};

/// No single call may take longer (the slowest seen are capability probes, well under 1 s).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// `VIR_ERR_RPC` / `VIR_FROM_RPC`: both "cannot decode" and "unknown procedure".
const ERR_RPC: i32 = 39;
const FROM_RPC: i32 = 7;
/// `VIR_ERR_INVALID_ARG`: what `virCheckFlags` reports.
const ERR_INVALID_ARG: i32 = 8;

/// A flag no libvirt API accepts: procedures whose only safe outcome is a refusal get it, and
/// the daemon's `virCheckFlags` rejects them after decoding the arguments.
pub const BOGUS_FLAG: u32 = 1 << 31;

/// The highest REMOTE procedure libvirtd 9.0 (Debian 12, the CI daemon) knows.
pub const REMOTE_MAX_KNOWN_BY_9_0: i32 = 443;

/// What the daemon must do with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Decode it: an OK reply or an error other than a decoding failure.
    Decoded,
    /// Decode it and refuse it with `VIR_ERR_INVALID_ARG` (a call carrying [`BOGUS_FLAG`]):
    /// an OK reply would mean the daemon acted on it.
    RefusedFlags,
}

/// A procedure's payload types, erased: what the runner does with every procedure alike.
#[derive(Debug, Clone, Copy)]
pub struct Payloads {
    /// Appends the encoding of the default (zero/empty) arguments: a well-formed payload.
    pub encode_default_args: fn(&mut BytesMut),
    /// Checks that a payload decodes exactly as the arguments (or the message).
    pub check_args: fn(&[u8]) -> Result<(), DecodeError>,
    /// Checks that a payload decodes exactly as the reply.
    pub check_ret: fn(&[u8]) -> Result<(), DecodeError>,
}

/// Collects the [`Payloads`] of every procedure visited, by program and number.
#[derive(Default)]
struct CollectPayloads(HashMap<(u32, i32), Payloads>);

impl ProcedureVisitor for CollectPayloads {
    fn visit<P: Procedure>(&mut self) {
        let payloads = Payloads {
            encode_default_args: encode_default::<P::Args>,
            check_args: check_decode::<P::Args>,
            check_ret: check_decode::<P::Ret>,
        };
        self.0.insert((P::INFO.program, P::INFO.number), payloads);
    }
}

/// The [`Payloads`] of a procedure of any program.
pub fn payloads(info: &ProcedureInfo) -> Payloads {
    static ALL: OnceLock<HashMap<(u32, i32), Payloads>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let mut c = CollectPayloads::default();
        remote::visit_procedures(&mut c);
        qemu::visit_procedures(&mut c);
        lxc::visit_procedures(&mut c);
        admin::visit_procedures(&mut c);
        keepalive::visit_procedures(&mut c);
        c.0
    });
    all[&(info.program, info.number)]
}

/// One call to make.
#[derive(Debug, Clone)]
pub struct Call {
    pub info: &'static ProcedureInfo,
    pub payload: Vec<u8>,
    /// How the arguments differ from the defaults ("" for none), for the report.
    pub note: String,
    pub expect: Expect,
}

impl Call {
    /// The procedure with its default arguments.
    pub fn default_args(info: &'static ProcedureInfo) -> Call {
        let mut buf = BytesMut::new();
        (payloads(info).encode_default_args)(&mut buf);
        Call {
            info,
            payload: buf.to_vec(),
            note: String::new(),
            expect: Expect::Decoded,
        }
    }

    /// The procedure with typed arguments; panics unless `A` is the procedure's argument type
    /// (`type_name` is the generated type's name, as the table records it).
    pub fn typed<A: Encode>(
        info: &'static ProcedureInfo,
        type_name: &str,
        args: &A,
        note: &str,
    ) -> Call {
        assert_eq!(
            info.args,
            Some(type_name),
            "{} does not take {type_name}",
            info.name
        );
        let payload = encode_to_vec(args);
        (payloads(info).check_args)(&payload).unwrap_or_else(|e| {
            panic!(
                "{type_name} for {} does not check as its args: {e}",
                info.name
            )
        });
        Call {
            info,
            payload,
            note: note.to_owned(),
            expect: Expect::Decoded,
        }
    }
}

/// The outcome of a series of calls to one program on one connection.
#[derive(Debug, Default)]
pub struct Tally {
    pub title: String,
    pub sent: usize,
    /// OK replies.
    pub ok: usize,
    /// OK replies that decoded exactly as the procedure's reply type.
    pub replies_decoded: usize,
    /// Error replies other than decoding failures: the daemon decoded the arguments.
    pub errors_decoded: usize,
    /// Procedure numbers the daemon does not know (`unknown procedure: N`).
    pub unknown: Vec<i32>,
    /// Procedure numbers the daemon decoded (OK or decoded error).
    pub decoded: Vec<i32>,
    /// Plain calls deliberately not sent, with the reason.
    pub excluded: Vec<(String, &'static str)>,
    /// Procedures of the program that are not plain calls (events, streams): not sent.
    pub not_plain: usize,
    /// Plain calls left out because they are not on an allow-list.
    pub not_allowed: usize,
    /// Set for random arguments: a 39/7 error that is neither a decoding failure nor an
    /// unknown procedure is the daemon's range check of a decoded value (`maxnames >
    /// REMOTE_DOMAIN_LIST_MAX`, `maxnames must be non-negative`), counted in
    /// `values_refused`, not a failure.
    pub range_checks_expected: bool,
    /// 39/7 range checks of decoded values (with `range_checks_expected`).
    pub values_refused: usize,
    /// With `VIRTWIRE_CONFORMANCE_VERBOSE` set: one line per call.
    pub log: Vec<String>,
    pub failures: Vec<String>,
    pub elapsed: Duration,
}

impl Tally {
    pub fn new(title: impl Into<String>) -> Tally {
        Tally {
            title: title.into(),
            ..Tally::default()
        }
    }

    pub fn exclude(&mut self, info: &ProcedureInfo, reason: &'static str) {
        self.excluded
            .push((format!("{} ({})", info.name, info.number), reason));
    }

    /// Sends `calls` one after the other on `raw`, classifying each reply. Stops early if the
    /// connection breaks or a call hangs.
    pub async fn run(&mut self, raw: &RawClient, calls: &[Call]) {
        let start = Instant::now();
        for call in calls {
            self.sent += 1;
            let info = call.info;
            let what = if call.note.is_empty() {
                format!("{} ({})", info.name, info.number)
            } else {
                format!("{} ({}) [{}]", info.name, info.number, call.note)
            };
            let reply = tokio::time::timeout(
                CALL_TIMEOUT,
                raw.call_bytes(
                    info.program,
                    info.version,
                    info.number,
                    &PreEncoded(&call.payload),
                ),
            )
            .await;
            let reply = match reply {
                Ok(r) => r,
                Err(_) => {
                    self.failures
                        .push(format!("{what}: no reply within {CALL_TIMEOUT:?}"));
                    break;
                }
            };
            match reply {
                Ok(payload) => {
                    self.ok += 1;
                    self.note(format!("{what}: OK, {} bytes", payload.len()));
                    self.decoded.push(info.number);
                    if call.expect == Expect::RefusedFlags {
                        self.failures.push(format!(
                            "{what}: the daemon accepted a call with flag {BOGUS_FLAG:#x}"
                        ));
                    }
                    match (payloads(info).check_ret)(&payload) {
                        Ok(()) => self.replies_decoded += 1,
                        Err(e) => self.failures.push(format!(
                            "{what}: the OK reply ({} bytes) does not decode as {}: {e}",
                            payload.len(),
                            info.ret.unwrap_or("void")
                        )),
                    }
                }
                Err(e) if e.kind() == ErrorKind::Remote && e.remote().is_some() => {
                    let r = e.remote().unwrap();
                    let (code, domain) = (r.code.to_i32(), r.domain.to_i32());
                    let msg = r.message.clone().unwrap_or_default();
                    self.note(format!("{what}: error {code}/{domain}: {msg}"));
                    if code == ERR_RPC && domain == FROM_RPC {
                        if msg.starts_with("unknown procedure") {
                            if msg != format!("unknown procedure: {}", info.number) {
                                self.failures
                                    .push(format!("{what}: unexpected message {msg:?}"));
                            }
                            self.unknown.push(info.number);
                        } else if msg.contains("Unable to decode message payload") {
                            self.failures.push(format!(
                                "{what}: THE DAEMON COULD NOT DECODE THE ARGUMENTS ({} bytes): {msg}",
                                call.payload.len()
                            ));
                        } else if self.range_checks_expected {
                            self.values_refused += 1;
                            self.errors_decoded += 1;
                            self.decoded.push(info.number);
                        } else {
                            self.failures
                                .push(format!("{what}: RPC-level error {code}/{domain}: {msg}"));
                        }
                    } else {
                        self.errors_decoded += 1;
                        self.decoded.push(info.number);
                        if call.expect == Expect::RefusedFlags && code != ERR_INVALID_ARG {
                            self.failures.push(format!(
                                "{what}: expected the bogus flag to be refused, got {code}/{domain}: {msg}"
                            ));
                        }
                    }
                }
                Err(e) => {
                    self.failures.push(format!("{what}: {e}"));
                    if raw.is_closed() {
                        self.failures
                            .push("the connection closed: calls after this one not made".into());
                        break;
                    }
                }
            }
        }
        self.elapsed += start.elapsed();
    }

    fn note(&mut self, line: String) {
        if std::env::var_os("VIRTWIRE_CONFORMANCE_VERBOSE").is_some() {
            self.log.push(line);
        }
    }

    /// Unknown procedures must all be newer than every procedure the daemon decoded (libvirt
    /// numbers procedures in the order they were added); with `max_known`, exactly the
    /// procedures above it must be unknown.
    pub fn check_unknown_are_newest(&mut self, max_known: Option<i32>) {
        let newest_decoded = self.decoded.iter().copied().max().unwrap_or(0);
        if let Some(&oldest_unknown) = self.unknown.iter().min() {
            if oldest_unknown < newest_decoded {
                self.failures.push(format!(
                    "procedure {oldest_unknown} is unknown to the daemon, yet it decoded \
                     {newest_decoded}: a wrong procedure number?"
                ));
            }
        }
        if let Some(max) = max_known {
            for &n in &self.decoded {
                if n > max {
                    self.failures.push(format!(
                        "procedure {n} was decoded, but this daemon should know only 1..={max}"
                    ));
                }
            }
            for &n in &self.unknown {
                if n <= max {
                    self.failures.push(format!(
                        "procedure {n} is unknown, but this daemon should know 1..={max}"
                    ));
                }
            }
        }
    }

    fn unknown_ranges(&self) -> String {
        let mut v = self.unknown.clone();
        v.sort_unstable();
        v.dedup();
        let mut out = String::new();
        let mut i = 0;
        while i < v.len() {
            let mut j = i;
            while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
                j += 1;
            }
            if !out.is_empty() {
                out.push_str(", ");
            }
            if i == j {
                let _ = write!(out, "{}", v[i]);
            } else {
                let _ = write!(out, "{}..={}", v[i], v[j]);
            }
            i = j + 1;
        }
        out
    }

    /// One summary line, then the exclusions.
    pub fn report(&self) -> String {
        let mut s = format!(
            "conformance {}: {} calls in {:.2}s: accepted OK {} (replies decoded {}), \
             error-but-decoded {}, unknown to this daemon {}{}, excluded {}, failures {}",
            self.title,
            self.sent,
            self.elapsed.as_secs_f64(),
            self.ok,
            self.replies_decoded,
            self.errors_decoded,
            self.unknown.len(),
            if self.unknown.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.unknown_ranges())
            },
            self.excluded.len(),
            self.failures.len(),
        );
        if self.not_plain > 0 {
            let _ = write!(s, " [{} not plain calls, not sent]", self.not_plain);
        }
        if self.not_allowed > 0 {
            let _ = write!(
                s,
                " [{} plain calls not on the allow-list, not sent]",
                self.not_allowed
            );
        }
        for (name, reason) in &self.excluded {
            let _ = write!(s, "\n    excluded {name}: {reason}");
        }
        s
    }

    /// Prints the report (also to `$VIRTWIRE_CONFORMANCE_REPORT`, which `scripts/test.sh`
    /// shows after the run) and panics on any failure.
    pub fn finish(&self) {
        let report = self.report();
        for line in &self.log {
            println!("    {line}");
        }
        println!("{report}");
        append_report(&report);
        if !self.failures.is_empty() {
            panic!(
                "conformance {}: {} failure(s):\n  {}",
                self.title,
                self.failures.len(),
                self.failures.join("\n  ")
            );
        }
        assert!(
            self.sent > 0,
            "conformance {}: nothing was sent",
            self.title
        );
    }
}

/// Appends `text` to the file named by `VIRTWIRE_CONFORMANCE_REPORT`, when set.
pub fn append_report(text: &str) {
    use std::io::Write as _;
    if let Ok(path) = std::env::var("VIRTWIRE_CONFORMANCE_REPORT") {
        if path.is_empty() {
            return;
        }
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            let _ = writeln!(f, "{text}");
        }
    }
}

// ------------------------------------------------------------------ REMOTE

/// REMOTE plain calls never sent, on any connection, and why.
pub fn remote_exclusion(info: &ProcedureInfo) -> Option<&'static str> {
    match info.number {
        1 => Some("the connection's handshake made it already (CONNECT_OPEN)"),
        2 => Some("ends the connection; Client::close sends it when the run is over"),
        66..=70 => Some("authentication step: meaningful only before CONNECT_OPEN"),
        _ => None,
    }
}

/// Every REMOTE plain call (minus [`remote_exclusion`]) with default arguments, for a
/// test-driver connection: its state is private and in memory, so every call is harmless.
pub fn remote_test_driver_calls(tally: &mut Tally) -> Vec<Call> {
    let mut calls = Vec::new();
    for info in remote::PROCEDURES {
        if !info.is_plain_call() {
            tally.not_plain += 1;
        } else if let Some(reason) = remote_exclusion(info) {
            tally.exclude(info, reason);
        } else {
            calls.push(Call::default_args(info));
        }
    }
    calls
}

/// REMOTE procedures sent to the qemu driver connection: the daemon runs as root on the CI
/// machine and these reach the host's real storage, secret, nwfilter, node-device, interface
/// and network drivers, so only reads, lookups and definitions from an empty XML document
/// (rejected by the parser) are allowed. Default arguments name no existing object.
pub const REMOTE_QEMU_ALLOW_LIST: &[&str] = &[
    // connection and host: reads
    "CONNECT_GET_TYPE",
    "CONNECT_GET_VERSION",
    "CONNECT_GET_LIB_VERSION",
    "CONNECT_GET_HOSTNAME",
    "CONNECT_GET_URI",
    "CONNECT_GET_SYSINFO",
    "CONNECT_GET_CAPABILITIES",
    "CONNECT_GET_MAX_VCPUS",
    "CONNECT_IS_SECURE",
    "CONNECT_SUPPORTS_FEATURE",
    "NODE_GET_INFO",
    "NODE_GET_FREE_MEMORY",
    "NODE_GET_CELLS_FREE_MEMORY",
    "NODE_GET_SECURITY_MODEL",
    "NODE_GET_CPU_STATS",
    "NODE_GET_MEMORY_STATS",
    "NODE_GET_CPU_MAP",
    "NODE_GET_MEMORY_PARAMETERS",
    "NODE_GET_FREE_PAGES",
    "NODE_GET_SEV_INFO",
    // domains: lists, lookups, reads of a domain that does not exist, define from ""
    "CONNECT_NUM_OF_DOMAINS",
    "CONNECT_LIST_DOMAINS",
    "CONNECT_NUM_OF_DEFINED_DOMAINS",
    "CONNECT_LIST_DEFINED_DOMAINS",
    "CONNECT_LIST_ALL_DOMAINS",
    "CONNECT_GET_ALL_DOMAIN_STATS",
    "DOMAIN_LOOKUP_BY_ID",
    "DOMAIN_LOOKUP_BY_NAME",
    "DOMAIN_LOOKUP_BY_UUID",
    "DOMAIN_GET_INFO",
    "DOMAIN_GET_STATE",
    "DOMAIN_GET_XML_DESC",
    "DOMAIN_DEFINE_XML",
    // networks
    "CONNECT_NUM_OF_NETWORKS",
    "CONNECT_LIST_NETWORKS",
    "CONNECT_NUM_OF_DEFINED_NETWORKS",
    "CONNECT_LIST_DEFINED_NETWORKS",
    "CONNECT_LIST_ALL_NETWORKS",
    "NETWORK_LOOKUP_BY_NAME",
    "NETWORK_LOOKUP_BY_UUID",
    "NETWORK_GET_XML_DESC",
    "NETWORK_GET_BRIDGE_NAME",
    "NETWORK_GET_AUTOSTART",
    "NETWORK_IS_ACTIVE",
    "NETWORK_IS_PERSISTENT",
    "NETWORK_GET_DHCP_LEASES",
    "NETWORK_LIST_ALL_PORTS",
    "NETWORK_PORT_LOOKUP_BY_UUID",
    "NETWORK_PORT_GET_XML_DESC",
    "NETWORK_PORT_GET_PARAMETERS",
    "NETWORK_GET_METADATA",
    "NETWORK_DEFINE_XML",
    // storage
    "CONNECT_NUM_OF_STORAGE_POOLS",
    "CONNECT_LIST_STORAGE_POOLS",
    "CONNECT_NUM_OF_DEFINED_STORAGE_POOLS",
    "CONNECT_LIST_DEFINED_STORAGE_POOLS",
    "CONNECT_LIST_ALL_STORAGE_POOLS",
    "CONNECT_GET_STORAGE_POOL_CAPABILITIES",
    "STORAGE_POOL_LOOKUP_BY_NAME",
    "STORAGE_POOL_LOOKUP_BY_UUID",
    "STORAGE_POOL_LOOKUP_BY_VOLUME",
    "STORAGE_POOL_LOOKUP_BY_TARGET_PATH",
    "STORAGE_POOL_GET_INFO",
    "STORAGE_POOL_GET_XML_DESC",
    "STORAGE_POOL_GET_AUTOSTART",
    "STORAGE_POOL_IS_ACTIVE",
    "STORAGE_POOL_IS_PERSISTENT",
    "STORAGE_POOL_NUM_OF_VOLUMES",
    "STORAGE_POOL_LIST_VOLUMES",
    "STORAGE_POOL_LIST_ALL_VOLUMES",
    "STORAGE_POOL_DEFINE_XML",
    "STORAGE_VOL_LOOKUP_BY_NAME",
    "STORAGE_VOL_LOOKUP_BY_KEY",
    "STORAGE_VOL_LOOKUP_BY_PATH",
    "STORAGE_VOL_GET_INFO",
    "STORAGE_VOL_GET_INFO_FLAGS",
    "STORAGE_VOL_GET_XML_DESC",
    "STORAGE_VOL_GET_PATH",
    // secrets
    "CONNECT_NUM_OF_SECRETS",
    "CONNECT_LIST_SECRETS",
    "CONNECT_LIST_ALL_SECRETS",
    "SECRET_LOOKUP_BY_UUID",
    "SECRET_LOOKUP_BY_USAGE",
    "SECRET_GET_XML_DESC",
    "SECRET_GET_VALUE",
    "SECRET_DEFINE_XML",
    // nwfilters
    "CONNECT_NUM_OF_NWFILTERS",
    "CONNECT_LIST_NWFILTERS",
    "CONNECT_LIST_ALL_NWFILTERS",
    "NWFILTER_LOOKUP_BY_NAME",
    "NWFILTER_LOOKUP_BY_UUID",
    "NWFILTER_GET_XML_DESC",
    "NWFILTER_DEFINE_XML",
    "NWFILTER_DEFINE_XML_FLAGS",
    "CONNECT_LIST_ALL_NWFILTER_BINDINGS",
    "NWFILTER_BINDING_LOOKUP_BY_PORT_DEV",
    "NWFILTER_BINDING_GET_XML_DESC",
    // node devices
    "NODE_NUM_OF_DEVICES",
    "NODE_LIST_DEVICES",
    "CONNECT_LIST_ALL_NODE_DEVICES",
    "NODE_DEVICE_LOOKUP_BY_NAME",
    "NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN",
    "NODE_DEVICE_GET_XML_DESC",
    "NODE_DEVICE_GET_PARENT",
    "NODE_DEVICE_NUM_OF_CAPS",
    "NODE_DEVICE_LIST_CAPS",
    "NODE_DEVICE_GET_AUTOSTART",
    "NODE_DEVICE_IS_PERSISTENT",
    "NODE_DEVICE_IS_ACTIVE",
    "NODE_DEVICE_DEFINE_XML",
    // host interfaces
    "CONNECT_NUM_OF_INTERFACES",
    "CONNECT_LIST_INTERFACES",
    "CONNECT_NUM_OF_DEFINED_INTERFACES",
    "CONNECT_LIST_DEFINED_INTERFACES",
    "CONNECT_LIST_ALL_INTERFACES",
    "INTERFACE_LOOKUP_BY_NAME",
    "INTERFACE_LOOKUP_BY_MAC_STRING",
    "INTERFACE_GET_XML_DESC",
    "INTERFACE_IS_ACTIVE",
    "INTERFACE_DEFINE_XML",
];

/// The [`REMOTE_QEMU_ALLOW_LIST`] calls, with default arguments.
pub fn remote_qemu_driver_calls(tally: &mut Tally) -> Vec<Call> {
    let mut calls = Vec::new();
    for name in REMOTE_QEMU_ALLOW_LIST {
        let info = remote::PROCEDURES
            .iter()
            .find(|p| p.name == *name)
            .unwrap_or_else(|| panic!("allow-listed {name} is not a REMOTE procedure"));
        assert!(
            info.is_plain_call(),
            "allow-listed {name} is not a plain call"
        );
        assert!(remote_exclusion(info).is_none(), "{name} is excluded");
        calls.push(Call::default_args(info));
    }
    tally.not_allowed = remote::PROCEDURES
        .iter()
        .filter(|p| p.is_plain_call() && remote_exclusion(p).is_none())
        .count()
        - calls.len();
    calls
}

/// Builds typed calls on one real object: `$field` of each `Args` struct set to `$obj`, the
/// other fields default. The compiler checks that every struct has the field.
macro_rules! on_object {
    ($field:ident = $obj:expr, $note:expr; $($proc:ident => $args:ident),* $(,)?) => {
        vec![$(
            Call::typed(
                &remote::procs::$proc,
                stringify!($args),
                &remote::$args { $field: $obj.clone(), ..Default::default() },
                $note,
            )
        ),*]
    };
}

fn nonnull_string(s: &str) -> remote::NonnullString {
    XdrString::new(s).expect("a short string")
}

/// Reads of the node file's real objects (domain `vw-running`, network `vw-net`, pool
/// `vw-pool`, its volume, interface `vweth0`, node device `computer`), to reach past "not
/// found" and get OK replies to decode. Test driver only.
#[allow(clippy::needless_update)] // on_object! also builds structs that have only the object
pub async fn remote_real_object_calls(raw: &RawClient) -> Vec<Call> {
    let dom = raw
        .domain_lookup_by_name(&remote::DomainLookupByNameArgs {
            name: nonnull_string("vw-running"),
        })
        .await
        .expect("the node file has vw-running")
        .dom;
    let net = raw
        .network_lookup_by_name(&remote::NetworkLookupByNameArgs {
            name: nonnull_string("vw-net"),
        })
        .await
        .expect("the node file has vw-net")
        .net;
    let pool = raw
        .storage_pool_lookup_by_name(&remote::StoragePoolLookupByNameArgs {
            name: nonnull_string("vw-pool"),
        })
        .await
        .expect("the node file has vw-pool")
        .pool;
    let vol = raw
        .storage_vol_lookup_by_name(&remote::StorageVolLookupByNameArgs {
            pool: pool.clone(),
            name: nonnull_string("vw-running.img"),
        })
        .await
        .expect("vw-pool has vw-running.img")
        .vol;
    let iface = raw
        .interface_lookup_by_name(&remote::InterfaceLookupByNameArgs {
            name: nonnull_string("vweth0"),
        })
        .await
        .expect("the node file has vweth0")
        .iface;
    let device = nonnull_string("computer");

    let mut calls = on_object!(dom = dom, "dom=vw-running";
        DOMAIN_GET_XML_DESC => DomainGetXmlDescArgs,
        DOMAIN_GET_AUTOSTART => DomainGetAutostartArgs,
        DOMAIN_GET_INFO => DomainGetInfoArgs,
        DOMAIN_GET_MAX_MEMORY => DomainGetMaxMemoryArgs,
        DOMAIN_GET_MAX_VCPUS => DomainGetMaxVcpusArgs,
        DOMAIN_GET_OS_TYPE => DomainGetOsTypeArgs,
        DOMAIN_GET_VCPUS => DomainGetVcpusArgs,
        DOMAIN_GET_SCHEDULER_TYPE => DomainGetSchedulerTypeArgs,
        DOMAIN_GET_SCHEDULER_PARAMETERS => DomainGetSchedulerParametersArgs,
        DOMAIN_GET_SECURITY_LABEL => DomainGetSecurityLabelArgs,
        DOMAIN_IS_ACTIVE => DomainIsActiveArgs,
        DOMAIN_IS_PERSISTENT => DomainIsPersistentArgs,
        DOMAIN_IS_UPDATED => DomainIsUpdatedArgs,
        DOMAIN_MEMORY_STATS => DomainMemoryStatsArgs,
        DOMAIN_GET_JOB_INFO => DomainGetJobInfoArgs,
        DOMAIN_HAS_MANAGED_SAVE_IMAGE => DomainHasManagedSaveImageArgs,
        DOMAIN_SNAPSHOT_NUM => DomainSnapshotNumArgs,
        DOMAIN_SNAPSHOT_LIST_NAMES => DomainSnapshotListNamesArgs,
        DOMAIN_HAS_CURRENT_SNAPSHOT => DomainHasCurrentSnapshotArgs,
        DOMAIN_LIST_ALL_SNAPSHOTS => DomainListAllSnapshotsArgs,
        DOMAIN_GET_MEMORY_PARAMETERS => DomainGetMemoryParametersArgs,
        DOMAIN_GET_VCPUS_FLAGS => DomainGetVcpusFlagsArgs,
        DOMAIN_GET_BLKIO_PARAMETERS => DomainGetBlkioParametersArgs,
        DOMAIN_GET_STATE => DomainGetStateArgs,
        DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS => DomainGetSchedulerParametersFlagsArgs,
        DOMAIN_GET_CONTROL_INFO => DomainGetControlInfoArgs,
        DOMAIN_GET_VCPU_PIN_INFO => DomainGetVcpuPinInfoArgs,
        DOMAIN_GET_BLOCK_IO_TUNE => DomainGetBlockIoTuneArgs,
        DOMAIN_GET_NUMA_PARAMETERS => DomainGetNumaParametersArgs,
        DOMAIN_GET_INTERFACE_PARAMETERS => DomainGetInterfaceParametersArgs,
        DOMAIN_GET_CPU_STATS => DomainGetCpuStatsArgs,
        DOMAIN_GET_DISK_ERRORS => DomainGetDiskErrorsArgs,
        DOMAIN_GET_METADATA => DomainGetMetadataArgs,
        DOMAIN_GET_HOSTNAME => DomainGetHostnameArgs,
        DOMAIN_GET_SECURITY_LABEL_LIST => DomainGetSecurityLabelListArgs,
        DOMAIN_GET_EMULATOR_PIN_INFO => DomainGetEmulatorPinInfoArgs,
        DOMAIN_GET_JOB_STATS => DomainGetJobStatsArgs,
        DOMAIN_GET_TIME => DomainGetTimeArgs,
        DOMAIN_GET_FSINFO => DomainGetFsinfoArgs,
        DOMAIN_GET_IOTHREAD_INFO => DomainGetIothreadInfoArgs,
        DOMAIN_INTERFACE_ADDRESSES => DomainInterfaceAddressesArgs,
        DOMAIN_GET_PERF_EVENTS => DomainGetPerfEventsArgs,
        DOMAIN_GET_GUEST_VCPUS => DomainGetGuestVcpusArgs,
        DOMAIN_GET_LAUNCH_SECURITY_INFO => DomainGetLaunchSecurityInfoArgs,
        DOMAIN_LIST_ALL_CHECKPOINTS => DomainListAllCheckpointsArgs,
        DOMAIN_GET_GUEST_INFO => DomainGetGuestInfoArgs,
        DOMAIN_GET_MESSAGES => DomainGetMessagesArgs,
        DOMAIN_AUTHORIZED_SSH_KEYS_GET => DomainAuthorizedSshKeysGetArgs,
        DOMAIN_MIGRATE_GET_MAX_SPEED => DomainMigrateGetMaxSpeedArgs,
        DOMAIN_MIGRATE_GET_MAX_DOWNTIME => DomainMigrateGetMaxDowntimeArgs,
        DOMAIN_MIGRATE_GET_COMPRESSION_CACHE => DomainMigrateGetCompressionCacheArgs,
        DOMAIN_MANAGED_SAVE_GET_XML_DESC => DomainManagedSaveGetXmlDescArgs,
        DOMAIN_GET_AUTOSTART_ONCE => DomainGetAutostartOnceArgs,
    );
    calls.extend(on_object!(net = net, "net=vw-net";
        NETWORK_GET_XML_DESC => NetworkGetXmlDescArgs,
        NETWORK_GET_BRIDGE_NAME => NetworkGetBridgeNameArgs,
        NETWORK_GET_AUTOSTART => NetworkGetAutostartArgs,
        NETWORK_IS_ACTIVE => NetworkIsActiveArgs,
        NETWORK_IS_PERSISTENT => NetworkIsPersistentArgs,
        NETWORK_GET_DHCP_LEASES => NetworkGetDhcpLeasesArgs,
    ));
    calls.extend(on_object!(network = net, "network=vw-net";
        NETWORK_LIST_ALL_PORTS => NetworkListAllPortsArgs,
        NETWORK_GET_METADATA => NetworkGetMetadataArgs,
    ));
    calls.extend(on_object!(pool = pool, "pool=vw-pool";
        STORAGE_POOL_GET_INFO => StoragePoolGetInfoArgs,
        STORAGE_POOL_GET_XML_DESC => StoragePoolGetXmlDescArgs,
        STORAGE_POOL_GET_AUTOSTART => StoragePoolGetAutostartArgs,
        STORAGE_POOL_IS_ACTIVE => StoragePoolIsActiveArgs,
        STORAGE_POOL_IS_PERSISTENT => StoragePoolIsPersistentArgs,
        STORAGE_POOL_NUM_OF_VOLUMES => StoragePoolNumOfVolumesArgs,
        STORAGE_POOL_LIST_ALL_VOLUMES => StoragePoolListAllVolumesArgs,
    ));
    calls.extend(on_object!(vol = vol, "vol=vw-running.img";
        STORAGE_VOL_GET_INFO => StorageVolGetInfoArgs,
        STORAGE_VOL_GET_INFO_FLAGS => StorageVolGetInfoFlagsArgs,
        STORAGE_VOL_GET_XML_DESC => StorageVolGetXmlDescArgs,
        STORAGE_VOL_GET_PATH => StorageVolGetPathArgs,
        STORAGE_POOL_LOOKUP_BY_VOLUME => StoragePoolLookupByVolumeArgs,
    ));
    calls.extend(on_object!(iface = iface, "iface=vweth0";
        INTERFACE_GET_XML_DESC => InterfaceGetXmlDescArgs,
        INTERFACE_IS_ACTIVE => InterfaceIsActiveArgs,
    ));
    calls.extend(on_object!(name = device, "nodedev=computer";
        NODE_DEVICE_GET_XML_DESC => NodeDeviceGetXmlDescArgs,
        NODE_DEVICE_GET_PARENT => NodeDeviceGetParentArgs,
        NODE_DEVICE_NUM_OF_CAPS => NodeDeviceNumOfCapsArgs,
        NODE_DEVICE_LIST_CAPS => NodeDeviceListCapsArgs,
        NODE_DEVICE_LOOKUP_BY_NAME => NodeDeviceLookupByNameArgs,
    ));
    calls
}

/// The daemon's library version as `major * 1_000_000 + minor * 1000 + micro`.
pub async fn lib_version(client: &Client) -> u64 {
    client.lib_version().await.expect("CONNECT_GET_LIB_VERSION")
}

/// The highest REMOTE procedure this daemon is known to have, from its version.
pub fn remote_max_known(lib_version: u64) -> Option<i32> {
    (lib_version / 1000 == 9000).then_some(REMOTE_MAX_KNOWN_BY_9_0)
}

/// Every REMOTE plain call on a test-driver connection to `uri`, then the real-object reads.
/// Returns (default-args tally, real-objects tally).
pub async fn run_remote_test_driver(uri: &str, transport: &str) -> (Tally, Tally) {
    let client = Client::connect(uri)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {uri}: {e}"));
    let max_known = remote_max_known(lib_version(&client).await);
    let raw = client.raw();

    let mut all = Tally::new(format!("REMOTE, test driver, {transport}"));
    let calls = remote_test_driver_calls(&mut all);
    all.run(raw, &calls).await;
    all.check_unknown_are_newest(max_known);

    let mut objects = Tally::new(format!(
        "REMOTE, test driver, {transport}, node file's objects"
    ));
    if !raw.is_closed() {
        let calls = remote_real_object_calls(raw).await;
        objects.run(raw, &calls).await;
        objects.check_unknown_are_newest(max_known);
    }
    if let Err(e) = client.close().await {
        all.failures.push(format!("CONNECT_CLOSE at the end: {e}"));
    }
    (all, objects)
}

/// The [`REMOTE_QEMU_ALLOW_LIST`] on a qemu driver connection to `uri`.
pub async fn run_remote_qemu_driver(uri: &str, transport: &str) -> Tally {
    let client = Client::connect(uri)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {uri}: {e}"));
    let max_known = remote_max_known(lib_version(&client).await);
    let mut tally = Tally::new(format!("REMOTE, qemu driver (allow-list), {transport}"));
    let calls = remote_qemu_driver_calls(&mut tally);
    tally.run(client.raw(), &calls).await;
    tally.check_unknown_are_newest(max_known);
    if let Err(e) = client.close().await {
        tally
            .failures
            .push(format!("CONNECT_CLOSE at the end: {e}"));
    }
    tally
}

// ------------------------------------------------------------------ QEMU, LXC

/// QEMU program calls that are safe on the qemu driver: they name a domain that does not
/// exist, or register/deregister a monitor-event callback.
const QEMU_ON_QEMU_DRIVER: &[i32] = &[1, 3, 4, 5, 7];

/// The QEMU program's plain calls on a test-driver connection (all of them: the test driver
/// refuses each after decoding) and on the qemu driver ([`QEMU_ON_QEMU_DRIVER`]).
pub async fn run_qemu_program(test_uri: &str, qemu_uri: &str, transport: &str) -> Tally {
    let mut tally = Tally::new(format!("QEMU program, test + qemu drivers, {transport}"));
    let mut on_test = Vec::new();
    let mut on_qemu = Vec::new();
    for info in qemu::PROCEDURES {
        if !info.is_plain_call() {
            tally.not_plain += 1;
            continue;
        }
        on_test.push(Call::default_args(info));
        if QEMU_ON_QEMU_DRIVER.contains(&info.number) {
            on_qemu.push(Call::default_args(info));
        } else {
            tally.exclude(
                info,
                "qemu driver connection only: attaches to a host process id (sent on the test driver)",
            );
        }
    }
    for (uri, calls) in [(test_uri, on_test), (qemu_uri, on_qemu)] {
        let client = Client::connect(uri)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {uri}: {e}"));
        tally.run(client.raw(), &calls).await;
        if let Err(e) = client.close().await {
            tally
                .failures
                .push(format!("CONNECT_CLOSE at the end: {e}"));
        }
    }
    tally.check_unknown_are_newest(None);
    tally
}

/// The LXC program: its one procedure is excluded, reported for the counts.
pub fn lxc_program_tally() -> Tally {
    let mut tally = Tally::new("LXC program");
    for info in lxc::PROCEDURES {
        tally.exclude(
            info,
            "passes file descriptors in its reply (REPLY_WITH_FDS), no use without them",
        );
    }
    tally
}

// ------------------------------------------------------------------ ADMIN

/// ADMIN plain calls never sent, and why.
pub fn admin_exclusion(info: &ProcedureInfo) -> Option<&'static str> {
    match info.number {
        1 => Some("the handshake made it already (ADMIN CONNECT_OPEN)"),
        2 => Some("ends the connection; sent last, outside the counts"),
        _ => None,
    }
}

/// ADMIN procedures that change the shared daemon without naming an object (logging outputs
/// and filters, the daemon's idle timeout): sent with [`BOGUS_FLAG`], which the daemon must
/// refuse after decoding. The others name a server ("" by default: none) and fail to find it.
const ADMIN_REFUSE_BY_FLAGS: &[&str] = &[
    "CONNECT_SET_LOGGING_OUTPUTS",
    "CONNECT_SET_LOGGING_FILTERS",
    "CONNECT_SET_DAEMON_TIMEOUT",
];

fn admin_refused_call(info: &'static ProcedureInfo) -> Call {
    let mut call = match info.name {
        "CONNECT_SET_LOGGING_OUTPUTS" => Call::typed(
            info,
            "ConnectSetLoggingOutputsArgs",
            &admin::ConnectSetLoggingOutputsArgs {
                flags: NoFlags::from_bits_retain(BOGUS_FLAG),
                ..Default::default()
            },
            "flags=bogus",
        ),
        "CONNECT_SET_LOGGING_FILTERS" => Call::typed(
            info,
            "ConnectSetLoggingFiltersArgs",
            &admin::ConnectSetLoggingFiltersArgs {
                flags: NoFlags::from_bits_retain(BOGUS_FLAG),
                ..Default::default()
            },
            "flags=bogus",
        ),
        "CONNECT_SET_DAEMON_TIMEOUT" => Call::typed(
            info,
            "ConnectSetDaemonTimeoutArgs",
            &admin::ConnectSetDaemonTimeoutArgs {
                flags: NoFlags::from_bits_retain(BOGUS_FLAG),
                ..Default::default()
            },
            "flags=bogus",
        ),
        other => panic!("no refused-call form for ADMIN {other}"),
    };
    call.expect = Expect::RefusedFlags;
    call
}

/// An ADMIN connection on the admin socket `socket`, opened (ADMIN CONNECT_OPEN).
pub async fn admin_connection(socket: &str) -> RawClient {
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the admin socket {socket}: {e}"));
    let (raw, conn) = virtwire::rpc::connect_raw(stream);
    tokio::spawn(conn);
    let open = admin::ConnectOpenArgs {
        flags: Default::default(),
    };
    tokio::time::timeout(
        CALL_TIMEOUT,
        raw.call_bytes(admin::PROGRAM, admin::PROTOCOL_VERSION, 1, &open),
    )
    .await
    .expect("ADMIN CONNECT_OPEN timed out")
    .expect("ADMIN CONNECT_OPEN");
    raw
}

/// ADMIN CONNECT_CLOSE (void both ways) at the end of a run; a failure goes to `tally`.
pub async fn admin_close(raw: &RawClient, tally: &mut Tally) {
    match tokio::time::timeout(
        CALL_TIMEOUT,
        raw.call_bytes(admin::PROGRAM, admin::PROTOCOL_VERSION, 2, &()),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tally
            .failures
            .push(format!("ADMIN CONNECT_CLOSE at the end: {e}")),
        Err(_) => tally
            .failures
            .push("ADMIN CONNECT_CLOSE at the end: timed out".into()),
    }
}

/// Every ADMIN plain call on the admin socket `socket`.
pub async fn run_admin_program(socket: &str) -> Tally {
    let mut tally = Tally::new("ADMIN program, admin socket");
    let raw = admin_connection(socket).await;
    let mut calls = Vec::new();
    for info in admin::PROCEDURES {
        if !info.is_plain_call() {
            tally.not_plain += 1;
        } else if let Some(reason) = admin_exclusion(info) {
            tally.exclude(info, reason);
        } else if ADMIN_REFUSE_BY_FLAGS.contains(&info.name) {
            calls.push(admin_refused_call(info));
        } else {
            calls.push(Call::default_args(info));
        }
    }
    tally.run(&raw, &calls).await;
    tally.check_unknown_are_newest(None);
    admin_close(&raw, &mut tally).await;
    tally
}
