//! Conformance with real values: every plain call of the REMOTE, QEMU and ADMIN programs sent
//! to the real daemon with random arguments from the generated `Arbitrary` impls (filled
//! arrays, present optionals, every union arm, all within the IDL bounds), many rounds each.
//! `conformance.rs` sends only default arguments (zeros, empty arrays, null pointers), where a
//! wrong member order between same-sized fields or a wrong union arm cannot show.
//!
//! The daemon must decode every call: an OK reply or any error but `Unable to decode message
//! payload` (39/7; the runner in `conformance/suite.rs` tells it from `unknown procedure`), and
//! every OK reply must decode exactly. The first rounds of REMOTE and QEMU go over TCP too,
//! captured and checked byte by byte by Wireshark's libvirt dissector (`scripts/wire-check.py`,
//! as in `conformance_wire.rs`; the dissector takes far longer than the daemon); ADMIN is on its
//! unix socket only.
//!
//! Random arguments name objects that do not exist (so nothing is changed), on a private
//! test-driver state; the procedures that would change the shared daemon without naming an
//! object (ADMIN logging and idle timeout) carry a flag the daemon must refuse after decoding.
//! The inputs come from a PRNG seeded with the procedure's name and the round: a failure
//! repeats. `VIRTWIRE_CONFORMANCE_ROUNDS` sets the rounds (default 64),
//! `VIRTWIRE_CONFORMANCE_WIRE_ROUNDS` the captured ones (default 4). Needs the feature
//! `arbitrary` (scripts/test.sh runs with `--all-features`). `--nocapture` shows the counts.

mod common;
#[path = "conformance/suite.rs"]
mod suite;
#[path = "conformance/wire.rs"]
mod wire;

use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use common::Sandbox;
use suite::{BOGUS_FLAG, Call, Expect, Tally};
use virtwire::flags::NoFlags;
use virtwire::proto::xdr::encode_arbitrary;
use virtwire::proto::{Procedure, ProcedureInfo, ProcedureVisitor, admin, qemu, remote};

type Rounds = std::ops::Range<u64>;

/// Largest random input per call, in bytes.
const MAX_INPUT: usize = 4096;

fn rounds(var: &str, default: u64) -> Rounds {
    let n = match std::env::var(var) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{var}={v:?}")),
        Err(_) => default,
    };
    0..n
}

/// The rounds sent to the daemon directly.
fn daemon_rounds() -> Rounds {
    rounds("VIRTWIRE_CONFORMANCE_ROUNDS", 64)
}

/// The rounds sent through the capture (the same inputs as the first daemon rounds).
fn wire_rounds() -> Rounds {
    rounds("VIRTWIRE_CONFORMANCE_WIRE_ROUNDS", 4)
}

/// SplitMix64, seeded per procedure and round.
struct Prng(u64);

impl Prng {
    fn new(name: &str, round: u64) -> Prng {
        let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Prng(seed ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Random bytes, of a random length between a quarter of [`MAX_INPUT`] and all of it (so
    /// that arrays and strings have room to be long).
    fn input(&mut self) -> Vec<u8> {
        let len = MAX_INPUT / 4 + (self.next() % (MAX_INPUT as u64 * 3 / 4)) as usize;
        let mut buf = Vec::with_capacity(len + 8);
        while buf.len() < len {
            buf.extend_from_slice(&self.next().to_le_bytes());
        }
        buf.truncate(len);
        buf
    }
}

/// Draws random arguments of one procedure and encodes them.
type ArbitraryArgs = fn(&mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>>;

/// The [`ArbitraryArgs`] of every procedure visited, in number order (that of `PROCEDURES`).
#[derive(Default)]
struct CollectArbitrary(Vec<ArbitraryArgs>);

impl ProcedureVisitor for CollectArbitrary {
    fn visit<P: Procedure>(&mut self) {
        self.0.push(encode_arbitrary::<P::Args>);
    }
}

/// The random-argument encoders of a program, from its `visit_procedures`.
fn arbitrary_args(visit: fn(&mut CollectArbitrary)) -> Vec<ArbitraryArgs> {
    let mut c = CollectArbitrary::default();
    visit(&mut c);
    c.0
}

/// What the random calls were like: how many carried more than the default arguments.
#[derive(Default)]
struct Filled {
    calls: usize,
    longer_than_default: usize,
}

impl Filled {
    fn count(&mut self, info: &ProcedureInfo, payload: &[u8]) {
        let mut default = BytesMut::new();
        (suite::payloads(info).encode_default_args)(&mut default);
        self.calls += 1;
        self.longer_than_default += usize::from(payload.len() > default.len());
    }
}

/// Random calls of each procedure of `table` that `keep` accepts, round after round.
fn random_calls(
    rounds: Rounds,
    table: &'static [ProcedureInfo],
    encoders: &[ArbitraryArgs],
    tally: &mut Tally,
    filled: &mut Filled,
    mut keep: impl FnMut(&'static ProcedureInfo, u64) -> Option<Call>,
) -> Vec<Call> {
    assert_eq!(
        table.len(),
        encoders.len(),
        "visit_procedures follows PROCEDURES"
    );
    let first = rounds.start;
    let mut calls = Vec::new();
    for round in rounds {
        for (info, encode) in table.iter().zip(encoders) {
            if !info.is_plain_call() {
                tally.not_plain += usize::from(round == first);
                continue;
            }
            let Some(mut call) = keep(info, round) else {
                continue;
            };
            if call.payload.is_empty() && info.args.is_some() {
                let input = Prng::new(info.name, round).input();
                call.payload = encode(&mut Unstructured::new(&input))
                    .unwrap_or_else(|e| panic!("{}: no random arguments: {e}", info.name));
            }
            call.note = format!("round {round}");
            filled.count(info, &call.payload);
            calls.push(call);
        }
    }
    calls
}

/// A call whose payload `random_calls` fills in.
fn to_fill(info: &'static ProcedureInfo) -> Call {
    Call {
        info,
        payload: Vec::new(),
        note: String::new(),
        expect: Expect::Decoded,
    }
}

fn remote_calls(rounds: Rounds, tally: &mut Tally, filled: &mut Filled) -> Vec<Call> {
    for info in remote::PROCEDURES {
        if let Some(reason) = suite::remote_exclusion(info) {
            tally.exclude(info, reason);
        }
    }
    random_calls(
        rounds,
        remote::PROCEDURES,
        &arbitrary_args(remote::visit_procedures),
        tally,
        filled,
        |info, _| {
            suite::remote_exclusion(info)
                .is_none()
                .then(|| to_fill(info))
        },
    )
}

fn qemu_calls(rounds: Rounds, tally: &mut Tally, filled: &mut Filled) -> Vec<Call> {
    // on the test driver: it refuses each after decoding
    random_calls(
        rounds,
        qemu::PROCEDURES,
        &arbitrary_args(qemu::visit_procedures),
        tally,
        filled,
        |info, _| Some(to_fill(info)),
    )
}

/// The ADMIN calls that would change the shared daemon, with random arguments but
/// [`BOGUS_FLAG`], which it must refuse after decoding.
fn admin_refused(info: &'static ProcedureInfo, round: u64) -> Option<Call> {
    fn typed<A: for<'a> Arbitrary<'a> + virtwire::proto::xdr::Encode>(
        info: &'static ProcedureInfo,
        name: &str,
        round: u64,
        set_flags: impl FnOnce(&mut A),
    ) -> Call {
        let input = Prng::new(info.name, round).input();
        let mut args = A::arbitrary(&mut Unstructured::new(&input)).unwrap();
        set_flags(&mut args);
        let mut call = Call::typed(info, name, &args, "");
        call.expect = Expect::RefusedFlags;
        call
    }
    Some(match info.name {
        "CONNECT_SET_LOGGING_OUTPUTS" => typed(
            info,
            "ConnectSetLoggingOutputsArgs",
            round,
            |a: &mut admin::ConnectSetLoggingOutputsArgs| {
                a.flags = NoFlags::from_bits_retain(BOGUS_FLAG)
            },
        ),
        "CONNECT_SET_LOGGING_FILTERS" => typed(
            info,
            "ConnectSetLoggingFiltersArgs",
            round,
            |a: &mut admin::ConnectSetLoggingFiltersArgs| {
                a.flags = NoFlags::from_bits_retain(BOGUS_FLAG)
            },
        ),
        "CONNECT_SET_DAEMON_TIMEOUT" => typed(
            info,
            "ConnectSetDaemonTimeoutArgs",
            round,
            |a: &mut admin::ConnectSetDaemonTimeoutArgs| {
                a.flags = NoFlags::from_bits_retain(BOGUS_FLAG)
            },
        ),
        _ => return None,
    })
}

fn admin_calls(rounds: Rounds, tally: &mut Tally, filled: &mut Filled) -> Vec<Call> {
    for info in admin::PROCEDURES {
        if let Some(reason) = suite::admin_exclusion(info) {
            tally.exclude(info, reason);
        }
    }
    random_calls(
        rounds,
        admin::PROCEDURES,
        &arbitrary_args(admin::visit_procedures),
        tally,
        filled,
        |info, round| {
            if suite::admin_exclusion(info).is_some() {
                return None;
            }
            admin_refused(info, round).or_else(|| Some(to_fill(info)))
        },
    )
}

fn report(title: &str, rounds: u64, tally: &Tally, filled: &Filled) {
    let line = format!(
        "conformance with random values, {title}: {} procedures x {} rounds = {} calls, {} with \
         more than the default arguments; decode failures: {}; values decoded then refused by \
         the daemon's range checks (39/7): {}",
        filled.calls as u64 / rounds.max(1),
        rounds,
        filled.calls,
        filled.longer_than_default,
        tally
            .failures
            .iter()
            .filter(|f| f.contains("COULD NOT DECODE"))
            .count(),
        tally.values_refused
    );
    println!("{line}");
    suite::append_report(&line);
}

type MakeCalls = fn(Rounds, &mut Tally, &mut Filled) -> Vec<Call>;

const ON_TEST_DRIVER: [(&str, MakeCalls); 2] = [
    ("REMOTE, test driver", remote_calls),
    ("QEMU program, test driver", qemu_calls),
];

/// Sends `make`'s calls for `rounds` on a fresh test-driver connection to `uri`; reports.
async fn run_on_test_driver(uri: &str, title: &str, make: MakeCalls, rounds: Rounds) -> Tally {
    let client = virtwire::Client::connect(uri).await.unwrap();
    let max_known = suite::remote_max_known(suite::lib_version(&client).await);
    let mut tally = Tally::new(format!("{title}, random arguments"));
    tally.range_checks_expected = true;
    let mut filled = Filled::default();
    let count = rounds.end - rounds.start;
    let calls = make(rounds, &mut tally, &mut filled);
    tally.run(client.raw(), &calls).await;
    if title.starts_with("REMOTE") {
        tally.check_unknown_are_newest(max_known);
    }
    if let Err(e) = client.close().await {
        tally
            .failures
            .push(format!("CONNECT_CLOSE at the end: {e}"));
    }
    report(title, count, &tally, &filled);
    tally
}

#[tokio::test]
async fn remote_and_qemu_programs_with_random_arguments() {
    let sb = Sandbox::get();
    for (title, make) in ON_TEST_DRIVER {
        let uri = sb.test_uri("values");
        let tally =
            run_on_test_driver(&uri, &format!("{title}, unix"), make, daemon_rounds()).await;
        tally.finish();
    }
}

/// The first rounds again over TCP, captured and checked by the dissector.
#[tokio::test]
async fn random_argument_traffic_passes_the_wire_check() {
    let sb = Sandbox::get();
    let dir = wire::TempDir::new("values");
    let relay = wire::Relay::start(sb.tcp_port()).await;
    let port = relay.port();
    let capture = wire::Capture::start(dir.path(), port).await;
    let mut tallies = Vec::new();
    for (title, make) in ON_TEST_DRIVER {
        let node = sb.new_node_file("values");
        let uri = format!("test+tcp://127.0.0.1:{port}{}", node.display());
        let title = format!("{title}, tcp");
        tallies.push(run_on_test_driver(&uri, &title, make, wire_rounds()).await);
    }
    let pcap = capture.stop().await;
    drop(relay);
    let check = wire::run_checker(&pcap, port).await;
    let line = format!(
        "wire check of the random-value traffic: PDUs checked: {}, findings: {} (calls {}, \
         replies {}; PDUs of procedures the dissector does not know, skipped: {})",
        check.count("pdus"),
        check.count("findings"),
        check.count("calls"),
        check.count("replies"),
        check.count("unknown"),
    );
    println!("{line}");
    suite::append_report(&line);
    for t in &tallies {
        t.finish();
    }
    assert!(
        check.count("findings") == 0 && check.exit_code == 0,
        "the wire check found problems (exit {}):\n{}",
        check.exit_code,
        check.output
    );
    let sent: usize = tallies.iter().map(|t| t.sent).sum();
    assert!(check.count("calls") >= sent, "{}", check.output);
}

#[tokio::test]
async fn admin_program_with_random_arguments() {
    let sb = Sandbox::get();
    let mut tally = Tally::new("ADMIN program, admin socket, random arguments");
    tally.range_checks_expected = true;
    let mut filled = Filled::default();
    let rounds = daemon_rounds();
    let count = rounds.end - rounds.start;
    let calls = admin_calls(rounds, &mut tally, &mut filled);
    let raw = suite::admin_connection(sb.admin_socket()).await;
    tally.run(&raw, &calls).await;
    tally.check_unknown_are_newest(None);
    suite::admin_close(&raw, &mut tally).await;
    report("ADMIN", count, &tally, &filled);
    tally.finish();
}
