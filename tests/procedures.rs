//! The generated procedure tables: every program complete, numbered as libvirt numbers them.

use virtwire::proto::xdr::{decode_exact, encode_to_vec};
use virtwire::proto::{
    Procedure, ProcedureInfo, ProcedureKind, ProcedureVisitor, admin, keepalive, lxc, qemu, remote,
};

fn numbers(table: &[ProcedureInfo]) -> Vec<i32> {
    table.iter().map(|p| p.number).collect()
}

fn assert_contiguous(table: &[ProcedureInfo], last: i32, last_name: &str) {
    assert_eq!(numbers(table), (1..=last).collect::<Vec<_>>());
    assert_eq!(table.last().unwrap().name, last_name);
}

#[test]
fn every_program_is_complete() {
    assert_contiguous(remote::PROCEDURES, 456, "DOMAIN_ANNOUNCE_INTERFACE");
    assert_contiguous(qemu::PROCEDURES, 7, "DOMAIN_MONITOR_COMMAND_WITH_FILES");
    assert_contiguous(lxc::PROCEDURES, 1, "DOMAIN_OPEN_NAMESPACE");
    assert_contiguous(keepalive::PROCEDURES, 2, "PONG");
    assert_contiguous(admin::PROCEDURES, 19, "CONNECT_SET_DAEMON_TIMEOUT");
    assert_eq!(remote::PROGRAM, 0x2000_8086);
    assert_eq!(qemu::PROGRAM, 0x2000_8087);
    assert_eq!(lxc::PROGRAM, 0x0006_8000);
    assert_eq!(keepalive::PROGRAM, 0x6b65_6570);
    assert_eq!(admin::PROGRAM, 0x0690_0690);
}

#[test]
fn well_known_procedures_have_libvirts_numbers() {
    let by_name = |name: &str| {
        remote::PROCEDURES
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .number
    };
    for (name, number) in [
        ("CONNECT_OPEN", 1),
        ("CONNECT_CLOSE", 2),
        ("DOMAIN_GET_INFO", 16),
        ("CONNECT_SUPPORTS_FEATURE", 60),
        ("AUTH_LIST", 66),
        ("CONNECT_GET_URI", 110),
        ("CONNECT_LIST_ALL_DOMAINS", 273),
        ("CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY", 316),
        ("DOMAIN_EVENT_CALLBACK_LIFECYCLE", 318),
        ("DOMAIN_DEFINE_XML_FLAGS", 350),
        ("NETWORK_EVENT_CALLBACK_METADATA_CHANGE", 446),
    ] {
        assert_eq!(by_name(name), number, "{name}");
    }
}

#[test]
fn streams_events_and_fd_procedures_are_marked() {
    let kind = |n: i32| remote::PROCEDURES[n as usize - 1].kind;
    for n in [148, 208, 215, 304] {
        assert_eq!(kind(n), ProcedureKind::WriteStream, "{n}");
    }
    for n in [201, 209, 211, 296] {
        assert_eq!(kind(n), ProcedureKind::ReadStream, "{n}");
    }
    for n in [107, 318, 362, 446, 453, 454, 455] {
        assert_eq!(kind(n), ProcedureKind::Message, "{n}");
    }
    for n in [249, 309, 310, 343, 443] {
        assert!(!remote::PROCEDURES[n - 1].is_plain_call(), "{n} passes fds");
    }
    let plain = remote::PROCEDURES
        .iter()
        .filter(|p| p.is_plain_call())
        .count();
    let messages = remote::PROCEDURES
        .iter()
        .filter(|p| p.kind == ProcedureKind::Message)
        .count();
    println!("REMOTE: {plain} plain calls, {messages} event messages");
}

/// Records each procedure visited, and that its default arguments round-trip.
#[derive(Default)]
struct Visited {
    infos: Vec<&'static ProcedureInfo>,
    default_args_round_trip: usize,
}

impl ProcedureVisitor for Visited {
    fn visit<P: Procedure>(&mut self) {
        self.infos.push(P::INFO);
        let bytes = encode_to_vec(&P::Args::default());
        let back: P::Args = decode_exact(&bytes).unwrap();
        self.default_args_round_trip += usize::from(encode_to_vec(&back) == bytes);
    }
}

#[test]
fn visit_procedures_visits_every_procedure_of_the_table_in_order() {
    type Visit = fn(&mut Visited);
    let programs: [(Visit, &[ProcedureInfo]); 5] = [
        (remote::visit_procedures, remote::PROCEDURES),
        (qemu::visit_procedures, qemu::PROCEDURES),
        (lxc::visit_procedures, lxc::PROCEDURES),
        (keepalive::visit_procedures, keepalive::PROCEDURES),
        (admin::visit_procedures, admin::PROCEDURES),
    ];
    for (visit, table) in programs {
        let mut v = Visited::default();
        visit(&mut v);
        let visited: Vec<_> = v
            .infos
            .iter()
            .map(|i| (i.program, i.number, i.name))
            .collect();
        let listed: Vec<_> = table
            .iter()
            .map(|i| (i.program, i.number, i.name))
            .collect();
        assert_eq!(visited, listed);
        assert_eq!(v.default_args_round_trip, table.len());
    }
}
