//! Codec benchmarks (criterion): encoding and decoding the protocol's largest everyday
//! payloads, with no I/O: a 16,384-domain ListAllDomains reply (the protocol's limit), a
//! block of typed parameters, a bulk GetAllDomainStats reply and one full stream data frame.
//!
//! ```text
//! cargo bench -p virtwire-bench --bench codec
//! ```

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use virtwire::proto::frame::{self, Packet};
use virtwire::proto::packet::{Header, Status, Type};
use virtwire::proto::remote::{
    self, ConnectGetAllDomainStatsRet, ConnectListAllDomainsRet, DomainStatsRecord, NonnullDomain,
    TypedParam, TypedParamValue,
};
use virtwire::proto::xdr::{Decode, Encode, FixedOpaque, XdrVec, decode_exact, encode_to_vec};
use virtwire::rpc::DATA_CHUNK_MAX;

/// A domain as a listing names it: `bench00042` with a distinct UUID.
fn domain(i: usize) -> NonnullDomain {
    let mut uuid = [0u8; 16];
    uuid[8..].copy_from_slice(&(i as u64).to_be_bytes());
    NonnullDomain {
        name: format!("bench{i:05}")
            .as_str()
            .try_into()
            .expect("a short name"),
        uuid: FixedOpaque(uuid),
        id: i as i32,
    }
}

fn param(field: &str, value: TypedParamValue) -> TypedParam {
    TypedParam {
        field: field.try_into().expect("a short field name"),
        value,
    }
}

/// The parameters one running domain's record holds for the state, cpu, balloon, vcpu and
/// one disk and one interface (names as libvirt's qemu driver reports them): 40 values of
/// every numeric kind and a few strings.
fn domain_stats(i: usize) -> Vec<TypedParam> {
    use TypedParamValue::*;
    let mut p = vec![
        param("state.state", Int(1)),
        param("state.reason", Int(1)),
        param("cpu.time", Ullong(1_234_567_890 + i as u64)),
        param("cpu.user", Ullong(123_456_789)),
        param("cpu.system", Ullong(23_456_789)),
        param("balloon.current", Ullong(1_048_576)),
        param("balloon.maximum", Ullong(1_048_576)),
        param("balloon.rss", Ullong(734_003)),
        param("vcpu.current", Uint(2)),
        param("vcpu.maximum", Uint(2)),
        param("net.count", Uint(1)),
        param("net.0.name", String("vnet0".try_into().expect("short"))),
        param("block.count", Uint(1)),
        param("block.0.name", String("vda".try_into().expect("short"))),
        param(
            "block.0.path",
            String(
                "/var/lib/libvirt/images/guest.qcow2"
                    .try_into()
                    .expect("short"),
            ),
        ),
    ];
    for v in 0..2 {
        p.push(param(&format!("vcpu.{v}.state"), Int(1)));
        p.push(param(&format!("vcpu.{v}.time"), Ullong(987_654_321)));
        p.push(param(&format!("vcpu.{v}.wait"), Ullong(0)));
        p.push(param(&format!("vcpu.{v}.delay"), Ullong(12_345)));
    }
    for f in [
        "rx.bytes", "rx.pkts", "rx.errs", "rx.drop", "tx.bytes", "tx.pkts",
    ] {
        p.push(param(&format!("net.0.{f}"), Ullong(4_242_424)));
    }
    for f in [
        "rd.reqs", "rd.bytes", "rd.times", "wr.reqs", "wr.bytes", "wr.times",
    ] {
        p.push(param(&format!("block.0.{f}"), Ullong(77_777_777)));
    }
    for f in ["fl.reqs", "fl.times", "allocation", "capacity", "physical"] {
        p.push(param(&format!("block.0.{f}"), Ullong(10_737_418_240)));
    }
    p.push(param("balloon.last-update", Llong(1_733_000_000)));
    p.push(param("cpu.haltpoll.success.time", Double(0.5)));
    p
}

/// Encodes `value`, decodes it back and checks both ways, then benchmarks both.
fn bench_both<T: Encode + Decode + PartialEq + std::fmt::Debug>(
    c: &mut Criterion,
    name: &str,
    value: &T,
) {
    let bytes = encode_to_vec(value);
    assert_eq!(&decode_exact::<T>(&bytes).expect("decodes"), value);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode", |b| {
        let mut out = BytesMut::with_capacity(bytes.len());
        b.iter(|| {
            out.clear();
            black_box(value).encode(&mut out);
            black_box(out.len())
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| decode_exact::<T>(black_box(&bytes)).expect("decodes"))
    });
    group.finish();
}

fn list_reply(c: &mut Criterion) {
    let n = remote::DOMAIN_LIST_MAX as usize;
    let reply = ConnectListAllDomainsRet {
        domains: XdrVec::try_from((0..n).map(domain).collect::<Vec<_>>()).expect("in bounds"),
        ret: n as u32,
    };
    bench_both(c, "list_all_domains_reply_16384", &reply);
}

fn typed_params(c: &mut Criterion) {
    let reply = remote::DomainGetSchedulerParametersFlagsRet {
        params: XdrVec::try_from(
            domain_stats(0)
                .into_iter()
                .take(remote::DOMAIN_SCHEDULER_PARAMETERS_MAX as usize)
                .collect::<Vec<_>>(),
        )
        .expect("in bounds"),
    };
    bench_both(c, "typed_params_16", &reply);
}

fn bulk_stats(c: &mut Criterion) {
    let records = (0..2000)
        .map(|i| DomainStatsRecord {
            dom: domain(i),
            params: XdrVec::try_from(domain_stats(i)).expect("in bounds"),
        })
        .collect::<Vec<_>>();
    let reply = ConnectGetAllDomainStatsRet {
        ret_stats: XdrVec::try_from(records).expect("in bounds"),
    };
    bench_both(c, "all_domain_stats_reply_2000x40", &reply);
}

/// One stream data frame of the largest size (262,120 bytes of payload): framing it for
/// sending, and splitting a received frame into header and payload (no copy of the data).
fn stream_chunk(c: &mut Criterion) {
    let data = vec![0x5a_u8; DATA_CHUNK_MAX];
    let header = Header {
        prog: remote::PROGRAM,
        vers: remote::PROTOCOL_VERSION,
        proc: 209,
        r#type: Type::Stream,
        serial: 7,
        status: Status::Continue,
    };
    let mut wire = BytesMut::new();
    frame::encode_raw_packet(&mut wire, &header, &data).expect("fits a frame");
    let wire = wire.freeze();
    let mut group = c.benchmark_group("stream_chunk_262120");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("encode", |b| {
        let mut out = BytesMut::with_capacity(wire.len());
        b.iter(|| {
            out.clear();
            frame::encode_raw_packet(&mut out, &header, black_box(&data)).expect("fits");
            black_box(out.len())
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(black_box(&wire[..]));
            let body: Bytes = frame::next_frame(&mut buf).expect("valid").expect("whole");
            let packet = Packet::parse(body).expect("valid header");
            assert_eq!(packet.payload.len(), DATA_CHUNK_MAX);
            black_box(packet.payload)
        })
    });
    group.finish();
}

criterion_group!(codec, list_reply, typed_params, bulk_stats, stream_chunk);
criterion_main!(codec);
