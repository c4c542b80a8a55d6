//! The byte-level check: the conformance traffic of `conformance.rs`, sent over the TCP
//! transport, captured with tshark and decoded by Wireshark's libvirt dissector (Debian's
//! `libvirt-wireshark`, generated from libvirt's own protocol files) through
//! `scripts/wire-check.py`. It fails on a body the dissector cannot decode, decoded fields that
//! do not end exactly where the payload ends (what libvirtd itself never notices: it accepts
//! trailing bytes), or an empty payload where the procedure has a body.
//!
//! Needs root (capture on lo), tshark, libvirt-wireshark and python3. Set
//! `VIRTWIRE_WIRE_KEEP=1` to keep the captures (their directory is printed).

mod common;
#[path = "conformance/suite.rs"]
mod suite;
#[path = "conformance/wire.rs"]
mod wire;

use common::Sandbox;
use virtwire::Client;
use virtwire::proto::remote;
use virtwire::proto::xdr::{PreEncoded, XdrString, encode_to_vec};

fn tcp_test_uri(sb: &Sandbox, port: u16, name: &str) -> String {
    let node = sb.new_node_file(name);
    format!("test+tcp://127.0.0.1:{port}{}", node.display())
}

#[tokio::test]
async fn conformance_traffic_passes_the_wire_check() {
    let sb = Sandbox::get();
    let dir = wire::TempDir::new("conformance");
    let relay = wire::Relay::start(sb.tcp_port()).await;
    let port = relay.port();
    let capture = wire::Capture::start(dir.path(), port).await;

    let (all, objects) =
        suite::run_remote_test_driver(&tcp_test_uri(sb, port, "wire"), "tcp").await;
    let qemu_uri = format!("qemu+tcp://127.0.0.1:{port}/system");
    let on_qemu = suite::run_remote_qemu_driver(&qemu_uri, "tcp").await;
    let qemu_prog =
        suite::run_qemu_program(&tcp_test_uri(sb, port, "wire-qemu"), &qemu_uri, "tcp").await;

    let pcap = capture.stop().await;
    drop(relay);
    let tallies = [all, objects, on_qemu, qemu_prog];
    let sent: usize = tallies.iter().map(|t| t.sent).sum();
    for t in &tallies {
        t.finish();
    }

    let check = wire::run_checker(&pcap, port).await;
    let pdus = check.count("pdus");
    let findings = check.count("findings");
    let line = format!(
        "wire check (tcp, libvirt dissector): PDUs checked: {pdus}, findings: {findings} \
         (calls {}, replies {}, messages {}; PDUs of procedures the dissector does not know, \
         skipped: {}; known dissector defects skipped: {})",
        check.count("calls"),
        check.count("replies"),
        check.count("messages"),
        check.count("unknown"),
        check.count("defects"),
    );
    println!("{line}");
    suite::append_report(&line);
    assert!(
        findings == 0 && check.exit_code == 0,
        "the wire check found problems (exit {}):\n{}",
        check.exit_code,
        check.output
    );
    // the capture is complete: every call made is in it, and every call has its reply
    assert!(
        check.count("calls") >= sent,
        "the capture holds {} calls, {sent} were made:\n{}",
        check.count("calls"),
        check.output
    );
    assert_eq!(
        check.count("calls"),
        check.count("replies"),
        "calls and replies differ:\n{}",
        check.output
    );
}

/// The checker catches what the daemon lets through: a struct 4 bytes too long (accepted by
/// libvirtd), a void procedure given 4 bytes (accepted too), and an empty payload for a
/// procedure that has arguments (refused by libvirtd, but it is our bytes that are wrong).
#[tokio::test]
async fn wire_check_catches_bad_traffic() {
    let sb = Sandbox::get();
    let dir = wire::TempDir::new("bad");
    let relay = wire::Relay::start(sb.tcp_port()).await;
    let port = relay.port();
    let capture = wire::Capture::start(dir.path(), port).await;

    let client = Client::connect(&tcp_test_uri(sb, port, "wire-bad"))
        .await
        .unwrap();
    let raw = client.raw();
    let call = |info: &'static virtwire::proto::ProcedureInfo, payload: Vec<u8>| async move {
        raw.call_bytes(
            info.program,
            info.version,
            info.number,
            &PreEncoded(&payload),
        )
        .await
    };

    // 1. valid: no finding
    let lookup = remote::DomainLookupByNameArgs {
        name: XdrString::new("vw-running").unwrap(),
    };
    call(
        &remote::procs::DOMAIN_LOOKUP_BY_NAME,
        encode_to_vec(&lookup),
    )
    .await
    .expect("a valid lookup");
    // 2. too long: valid arguments + 4 bytes; libvirtd accepts it
    let mut too_long = encode_to_vec(&remote::ConnectListAllDomainsArgs {
        need_results: 1,
        flags: Default::default(),
    });
    too_long.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    call(&remote::procs::CONNECT_LIST_ALL_DOMAINS, too_long)
        .await
        .expect("libvirtd accepts trailing bytes after valid arguments");
    // 3. a void procedure with 4 bytes; libvirtd accepts it
    call(&remote::procs::CONNECT_GET_LIB_VERSION, vec![0, 0, 0, 0])
        .await
        .expect("libvirtd accepts bytes after void arguments");
    // 4. empty payload for a procedure with arguments; libvirtd refuses to decode it
    let err = call(&remote::procs::DOMAIN_LOOKUP_BY_NAME, Vec::new())
        .await
        .expect_err("an empty lookup cannot be decoded");
    let msg = err
        .remote()
        .and_then(|r| r.message.clone())
        .unwrap_or_default();
    assert!(msg.contains("Unable to decode message payload"), "{err}");
    client.close().await.unwrap();

    let pcap = capture.stop().await;
    drop(relay);
    let check = wire::run_checker(&pcap, port).await;
    println!(
        "wire check on deliberately bad traffic: {} findings\n  {}",
        check.findings.len(),
        check.findings.join("\n  ")
    );
    assert_eq!(check.exit_code, 1, "{}", check.output);
    let has = |proc_no: i32, what: &str| {
        check.findings.iter().any(|f| {
            f.contains("type=CALL") && f.contains(&format!("proc={proc_no} ")) && f.contains(what)
        })
    };
    assert!(
        has(273, "trailing"),
        "too-long struct not reported:\n{}",
        check.output
    );
    assert!(
        has(157, "not decoded"),
        "bytes after void args not reported:\n{}",
        check.output
    );
    assert!(
        has(23, "empty payload"),
        "empty payload not reported:\n{}",
        check.output
    );
    assert_eq!(
        check.findings.len(),
        3,
        "exactly the three bad calls are findings:\n{}",
        check.output
    );
}

/// The checker's own synthetic captures: what it reports, and that it lets through only the
/// dissector's two known defects and procedures the dissector does not know.
#[tokio::test]
async fn wire_checker_self_test() {
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        tokio::process::Command::new("python3")
            .arg(wire::checker_path())
            .arg("--self-test")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the self-test took longer than 120 s")
    .expect("run python3 scripts/wire-check.py --self-test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("self-test passed"),
        "{text}"
    );
}
