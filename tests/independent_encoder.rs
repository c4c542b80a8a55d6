//! A second, independent encoder for the procedures no other check covers byte for byte:
//! REMOTE 444–452 (newer than the 9.0 Wireshark dissector that checks the rest of REMOTE),
//! every ADMIN call and LXC's one procedure. libvirt's own client library makes each call
//! through its public API (tests/independent/libvirt_client.c, compiled here with the system's
//! C compiler and loading libvirt with dlopen, so no libvirt headers are needed) against a
//! recording fake daemon in this process; every call body it records must be byte-identical
//! to what virtwire encodes for the same arguments. The arguments are not defaults: non-empty
//! and non-ASCII strings, present optional strings, typed-parameter arrays with several union
//! arms, 64-bit values whose halves differ, non-zero flags where libvirt lets them through.
//!
//! The fake daemon answers the handshake libvirt's client performs (AUTH_LIST → none,
//! CONNECT_SUPPORTS_FEATURE → yes, CONNECT_OPEN/CLOSE), the lookups that hand out the objects
//! the calls need (domain, network, node device, admin server and client), and an error to
//! every other call: libvirt then returns -1, but the call was on the wire and is recorded.
//!
//! ADMIN and LXC are checked against the system's libvirt (libvirt0, 9.0 on Debian 12) and,
//! when `VIRTWIRE_NEWER_LIBDIR` is set (scripts/newer-libvirtd.sh's DIR/env, as
//! scripts/test.sh sets it), the newer daemon's libvirt (11.3) too. REMOTE 444–452 need
//! libvirt ≥ 11: without that variable the test says it is skipped and passes. REMOTE 456 is
//! newer than 11.3, so no libvirt at hand encodes it; the event messages 446 and 453–455 go
//! the other way (daemon to client) and have no client encoder to compare with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use virtwire::flags::{
    ConnectFlags, DomainModificationImpact, NetworkUpdateFlags, NoFlags, NodeDeviceUpdateFlags,
};
use virtwire::proto::frame::{self, Packet};
use virtwire::proto::packet::{Header, Status, Type};
use virtwire::proto::xdr::{FixedOpaque, XdrString, decode_exact, encode_to_vec};
use virtwire::proto::{Procedure, admin, lxc, remote, virnet};

/// The system's libvirt, where Debian installs libvirt0.
const SYSTEM_LIBDIR: &str = "/usr/lib/x86_64-linux-gnu";

// The objects the fake daemon hands out; the C program looks them up by these names.
const DOMAIN: &str = "vw-independent";
const DOMAIN_UUID: [u8; 16] = *b"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";
const DOMAIN_ID: i32 = 7;
const NETWORK: &str = "vw-net-é";
const NETWORK_UUID: [u8; 16] = *b"\x20\x21\x22\x23\x24\x25\x26\x27\x28\x29\x2a\x2b\x2c\x2d\x2e\x2f";
const NODE_DEVICE: &str = "pci_0000_00_1f_2";
const SERVER: &str = "virtwire-admin";
const CLIENT_ID: u64 = 0x0102_0304_0506_0708;
const CLIENT_TIMESTAMP: i64 = 1_700_000_000;
const CLIENT_TRANSPORT: u32 = 1;

/// One call as it went over the wire.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    program: u32,
    procedure: i32,
    body: Vec<u8>,
}

/// What virtwire encodes for one call, with the name of the procedure for messages.
struct Expected {
    name: &'static str,
    call: Call,
}

fn expect<P: Procedure>(args: P::Args) -> Expected {
    Expected {
        name: P::INFO.name,
        call: Call {
            program: P::INFO.program,
            procedure: P::INFO.number,
            body: encode_to_vec(&args),
        },
    }
}

fn s<const MAX: u32>(text: &str) -> XdrString<MAX> {
    XdrString::try_from(text).unwrap()
}

fn domain() -> remote::NonnullDomain {
    remote::NonnullDomain {
        name: s(DOMAIN),
        uuid: FixedOpaque(DOMAIN_UUID),
        id: DOMAIN_ID,
    }
}

fn network() -> remote::NonnullNetwork {
    remote::NonnullNetwork {
        name: s(NETWORK),
        uuid: FixedOpaque(NETWORK_UUID),
    }
}

fn server() -> admin::NonnullServer {
    admin::NonnullServer { name: s(SERVER) }
}

fn client() -> admin::NonnullClient {
    admin::NonnullClient {
        srv: server(),
        id: CLIENT_ID,
        timestamp: CLIENT_TIMESTAMP,
        transport: CLIENT_TRANSPORT,
    }
}

// ---- the recording fake daemon ----

/// Reply to one call: its payload, or `None` for an error reply.
fn answer(call: &Call) -> Option<Vec<u8>> {
    use remote::procs as r;
    let is = |program: u32, number: i32| call.program == program && call.procedure == number;
    if is(remote::PROGRAM, r::AuthList::INFO.number) {
        // one auth type: REMOTE_AUTH_NONE
        return Some(vec![0, 0, 0, 1, 0, 0, 0, 0]);
    }
    if is(remote::PROGRAM, r::ConnectSupportsFeature::INFO.number) {
        return Some(encode_to_vec(&1i32));
    }
    if is(remote::PROGRAM, r::ConnectOpen::INFO.number)
        || is(remote::PROGRAM, r::ConnectClose::INFO.number)
        || is(admin::PROGRAM, admin::procs::ConnectOpen::INFO.number)
        || is(admin::PROGRAM, admin::procs::ConnectClose::INFO.number)
    {
        return Some(Vec::new());
    }
    if is(remote::PROGRAM, r::DomainLookupByName::INFO.number) {
        return Some(encode_to_vec(&domain()));
    }
    if is(remote::PROGRAM, r::NetworkLookupByName::INFO.number) {
        return Some(encode_to_vec(&network()));
    }
    if is(remote::PROGRAM, r::NodeDeviceLookupByName::INFO.number) {
        return Some(encode_to_vec(&remote::NonnullNodeDevice {
            name: s(NODE_DEVICE),
        }));
    }
    if is(
        admin::PROGRAM,
        admin::procs::ConnectLookupServer::INFO.number,
    ) {
        return Some(encode_to_vec(&server()));
    }
    if is(
        admin::PROGRAM,
        admin::procs::ServerLookupClient::INFO.number,
    ) {
        return Some(encode_to_vec(&client()));
    }
    None
}

/// Serves one connection: records every CALL and answers it.
async fn serve(mut io: UnixStream, calls: Arc<Mutex<Vec<Call>>>) {
    let mut buf = BytesMut::new();
    loop {
        let body = loop {
            match frame::next_frame(&mut buf) {
                Ok(Some(body)) => break body,
                Ok(None) => {}
                Err(e) => panic!("libvirt's client sent a bad frame: {e}"),
            }
            match io.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        let packet = Packet::parse(body).expect("libvirt's client sent a bad header");
        let header = packet.header;
        assert!(
            matches!(header.r#type, Type::Call | Type::CallWithFds),
            "libvirt's client sent {header:?}"
        );
        let call = Call {
            program: header.prog,
            procedure: header.proc,
            body: packet.payload.to_vec(),
        };
        let reply = answer(&call);
        calls.lock().unwrap().push(call);
        let mut out = BytesMut::new();
        let mut h = Header {
            r#type: Type::Reply,
            status: Status::Ok,
            ..header
        };
        match reply {
            Some(payload) => frame::encode_raw_packet(&mut out, &h, &payload).unwrap(),
            None => {
                h.status = Status::Error;
                let error = virnet::MessageError {
                    code: 1,   // VIR_ERR_INTERNAL_ERROR
                    domain: 7, // VIR_FROM_RPC
                    message: Some(s("recorded by virtwire's fake daemon")),
                    level: 2, // VIR_ERR_ERROR
                    ..Default::default()
                };
                frame::encode_packet(&mut out, &h, &error).unwrap();
            }
        }
        if io.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// The C program, compiled once per test binary.
fn client_program() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent/libvirt_client.c");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libvirt_client");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let status = Command::new(&cc)
            .args(["-std=c99", "-O0", "-Wall", "-Werror", "-o"])
            .arg(&out)
            .arg(&src)
            .arg("-ldl")
            .status()
            .unwrap_or_else(|e| panic!("cannot run the C compiler {cc}: {e}"));
        assert!(status.success(), "compiling {} failed", src.display());
        out
    })
}

/// Runs libvirt's client in `mode` against a fresh fake daemon; returns the calls it made
/// and what the program printed.
async fn record(mode: &str, libdir: &str) -> (Vec<Call>, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("independent-{mode}"));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("fake.sock");
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let calls = calls.clone();
        tokio::spawn(async move {
            loop {
                let (io, _) = listener.accept().await.unwrap();
                tokio::spawn(serve(io, calls.clone()));
            }
        })
    };
    let program = client_program().to_path_buf();
    let output = tokio::process::Command::new(program)
        .arg(mode)
        .arg(libdir)
        .arg(&socket)
        .env("LD_LIBRARY_PATH", libdir)
        // libvirt's client must not read this machine's client configuration
        .env("XDG_CONFIG_HOME", &dir)
        .env("LIBVIRT_DEBUG", "")
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .expect("libvirt's client hung")
        .unwrap();
    server.abort();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "libvirt's client ({mode}) failed: {}\n{printed}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let calls = calls.lock().unwrap().clone();
    (calls, printed)
}

/// Compares the recorded calls with the expected ones, in order. Feature probes
/// (CONNECT_SUPPORTS_FEATURE), which differ between libvirt versions, are left out of the
/// comparison but their bodies must decode. Returns how many calls matched.
fn compare(
    mode: &str,
    version: &str,
    recorded: &[Call],
    expected: &[Expected],
    printed: &str,
) -> usize {
    let probe = remote::procs::ConnectSupportsFeature::INFO.number;
    let recorded: Vec<&Call> = recorded
        .iter()
        .filter(|c| {
            let is_probe = c.program == remote::PROGRAM && c.procedure == probe;
            if is_probe {
                decode_exact::<remote::ConnectSupportsFeatureArgs>(&c.body).unwrap();
            }
            !is_probe
        })
        .collect();
    for (i, e) in expected.iter().enumerate() {
        let Some(got) = recorded.get(i) else {
            panic!(
                "{mode}: libvirt's client made {} calls, {} expected; the first missing is {} \
                 (its output:\n{printed})",
                recorded.len(),
                expected.len(),
                e.name
            );
        };
        assert_eq!(
            (got.program, got.procedure),
            (e.call.program, e.call.procedure),
            "{mode}: call {i}: libvirt called another procedure than {} (its output:\n{printed})",
            e.name
        );
        assert_eq!(
            got.body, e.call.body,
            "{mode}: {}: libvirt's encoding (left) differs from virtwire's (right)",
            e.name
        );
    }
    assert_eq!(
        recorded.len(),
        expected.len(),
        "{mode}: libvirt made more calls than expected: {:?}",
        &recorded[expected.len()..]
    );
    let line = format!(
        "independent encoder: {mode}: {} calls byte-identical to libvirt's own client ({version} \
         libvirt)",
        expected.len()
    );
    println!("{line}");
    append_report(&line);
    expected.len()
}

/// The libvirt whose client encodes: the system's (`"system"`), and the newer daemon's
/// (`"newer"`) when `VIRTWIRE_NEWER_LIBDIR` names it.
fn libdirs() -> Vec<(&'static str, String)> {
    let mut dirs = vec![("system", SYSTEM_LIBDIR.to_string())];
    dirs.extend(newer_libdir().map(|d| ("newer", d)));
    dirs
}

fn newer_libdir() -> Option<String> {
    std::env::var("VIRTWIRE_NEWER_LIBDIR")
        .ok()
        .filter(|d| !d.is_empty())
}

/// Appends `text` to the file `scripts/test.sh` shows after the run, when it is set.
fn append_report(text: &str) {
    use std::io::Write as _;
    let Some(path) = std::env::var_os("VIRTWIRE_CONFORMANCE_REPORT") else {
        return;
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{text}");
    }
}

/// The calls that open a connection to the remote driver `name` and look up the domain.
fn remote_open(name: &str) -> Vec<Expected> {
    use remote::procs as r;
    vec![
        expect::<r::AuthList>(()),
        expect::<r::ConnectOpen>(remote::ConnectOpenArgs {
            name: Some(s(name)),
            flags: ConnectFlags::empty(),
        }),
        expect::<r::DomainLookupByName>(remote::DomainLookupByNameArgs { name: s(DOMAIN) }),
    ]
}

#[tokio::test]
async fn admin_calls_encode_as_libvirts_own_client() {
    use admin::procs as a;
    let typed = |field: &str, value: u32| admin::TypedParam {
        field: s(field),
        value: admin::TypedParamValue::Uint(value),
    };
    let expected = vec![
        expect::<a::ConnectOpen>(admin::ConnectOpenArgs {
            flags: ConnectFlags::empty(),
        }),
        expect::<a::ConnectGetLibVersion>(()),
        expect::<a::ConnectListServers>(admin::ConnectListServersArgs {
            need_results: 1,
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ConnectLookupServer>(admin::ConnectLookupServerArgs {
            name: s(SERVER),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ServerGetThreadpoolParameters>(admin::ServerGetThreadpoolParametersArgs {
            srv: server(),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ServerSetThreadpoolParameters>(admin::ServerSetThreadpoolParametersArgs {
            srv: server(),
            params: vec![
                typed("minWorkers", 3),
                typed("maxWorkers", 0x0102_0304),
                typed("prioWorkers", 7),
            ]
            .try_into()
            .unwrap(),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ServerListClients>(admin::ServerListClientsArgs {
            srv: server(),
            need_results: 1,
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ServerLookupClient>(admin::ServerLookupClientArgs {
            srv: server(),
            id: CLIENT_ID,
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ClientGetInfo>(admin::ClientGetInfoArgs {
            clnt: client(),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ClientClose>(admin::ClientCloseArgs {
            clnt: client(),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ServerGetClientLimits>(admin::ServerGetClientLimitsArgs {
            srv: server(),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ServerSetClientLimits>(admin::ServerSetClientLimitsArgs {
            srv: server(),
            params: vec![
                typed("nclients_max", 4096),
                typed("nclients_unauth_max", 17),
            ]
            .try_into()
            .unwrap(),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ConnectGetLoggingOutputs>(admin::ConnectGetLoggingOutputsArgs {
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ConnectGetLoggingFilters>(admin::ConnectGetLoggingFiltersArgs {
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ConnectSetLoggingOutputs>(admin::ConnectSetLoggingOutputsArgs {
            outputs: Some(s("2:file:/var/log/vw.log 3:stderr")),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ConnectSetLoggingFilters>(admin::ConnectSetLoggingFiltersArgs {
            filters: Some(s("1:rpc 3:util.object")),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ServerUpdateTlsFiles>(admin::ServerUpdateTlsFilesArgs {
            srv: server(),
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ConnectSetDaemonTimeout>(admin::ConnectSetDaemonTimeoutArgs {
            timeout: 120,
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<a::ConnectClose>(()),
    ];
    for (version, libdir) in libdirs() {
        let (recorded, printed) = record("admin", &libdir).await;
        compare("admin", version, &recorded, &expected, &printed);
    }
}

#[tokio::test]
async fn lxc_open_namespace_encodes_as_libvirts_own_client() {
    let mut expected = remote_open("lxc:///system");
    expected.push(expect::<lxc::procs::DomainOpenNamespace>(
        lxc::DomainOpenNamespaceArgs {
            dom: domain(),
            flags: NoFlags::from_bits_retain(4),
        },
    ));
    expected.push(expect::<remote::procs::ConnectClose>(()));
    for (version, libdir) in libdirs() {
        let (recorded, printed) = record("lxc", &libdir).await;
        compare("lxc", version, &recorded, &expected, &printed);
    }
}

#[tokio::test]
async fn remote_calls_newer_than_the_dissector_encode_as_libvirts_own_client() {
    let Some(libdir) = newer_libdir() else {
        println!(
            "skipped: VIRTWIRE_NEWER_LIBDIR is not set (bash scripts/newer-libvirtd.sh start \
             DIR, then source DIR/env)"
        );
        return;
    };
    use remote::procs as r;
    let mut expected = remote_open("test:///default");
    let param = |field: &str, value: remote::TypedParamValue| remote::TypedParam {
        field: s(field),
        value,
    };
    expected.extend([
        expect::<r::NetworkLookupByName>(remote::NetworkLookupByNameArgs { name: s(NETWORK) }),
        expect::<r::NodeDeviceLookupByName>(remote::NodeDeviceLookupByNameArgs {
            name: s(NODE_DEVICE),
        }),
        expect::<r::NetworkSetMetadata>(remote::NetworkSetMetadataArgs {
            network: network(),
            r#type: 2,
            metadata: Some(s("<owner>virtwire</owner>")),
            key: Some(s("vw")),
            uri: Some(s("https://example.org/vw/1")),
            flags: NetworkUpdateFlags::from_bits_retain(2),
        }),
        expect::<r::NetworkGetMetadata>(remote::NetworkGetMetadataArgs {
            network: network(),
            r#type: 2,
            uri: Some(s("https://example.org/vw/1")),
            flags: NetworkUpdateFlags::from_bits_retain(1),
        }),
        expect::<r::NodeDeviceUpdate>(remote::NodeDeviceUpdateArgs {
            name: s(NODE_DEVICE),
            xml_desc: s("<device><name>pci_0000_00_1f_2</name></device>"),
            flags: NodeDeviceUpdateFlags::from_bits_retain(2),
        }),
        expect::<r::DomainGraphicsReload>(remote::DomainGraphicsReloadArgs {
            dom: domain(),
            r#type: 1,
            flags: NoFlags::from_bits_retain(4),
        }),
        expect::<r::DomainGetAutostartOnce>(remote::DomainGetAutostartOnceArgs { dom: domain() }),
        expect::<r::DomainSetAutostartOnce>(remote::DomainSetAutostartOnceArgs {
            dom: domain(),
            autostart: 1,
        }),
        expect::<r::DomainSetThrottleGroup>(remote::DomainSetThrottleGroupArgs {
            dom: domain(),
            group: s("vw-group"),
            params: vec![
                param(
                    "total_bytes_sec",
                    remote::TypedParamValue::Ullong(10_485_760),
                ),
                param(
                    "read_iops_sec_max",
                    remote::TypedParamValue::Ullong(0x1122_3344_5566_7788),
                ),
                param("group_name", remote::TypedParamValue::String(s("vw-group"))),
            ]
            .try_into()
            .unwrap(),
            flags: DomainModificationImpact::from_bits_retain(1),
        }),
        expect::<r::DomainDelThrottleGroup>(remote::DomainDelThrottleGroupArgs {
            dom: domain(),
            group: Some(s("vw-group")),
            flags: DomainModificationImpact::from_bits_retain(2),
        }),
        expect::<r::ConnectClose>(()),
    ]);
    let (recorded, printed) = record("remote", &libdir).await;
    compare("remote", "newer", &recorded, &expected, &printed);
}
