//! The connection driver against an in-process fake peer, for what a real daemon will not do on
//! demand: replies out of order, replies nobody asked for, pings, garbage, dying mid-call.

#[path = "common/peer.rs"]
mod peer;

use std::time::Duration;

use peer::{PROC_ECHO, PROG, Peer, answer_header, echo, remote_error_payload, setup, spawn_echo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtwire::ErrorKind;
use virtwire::proto::frame::Packet;
use virtwire::proto::keepalive;
use virtwire::proto::packet::{Header, Status, Type};
use virtwire::proto::xdr::decode_exact;
use virtwire::rpc::{self, RawClient};

#[tokio::test]
async fn replies_out_of_order_reach_their_callers() {
    let (client, mut peer) = setup();
    let calls: Vec<_> = (0..3u32).map(|i| spawn_echo(&client, 100 + i)).collect();
    let mut received = Vec::new();
    for _ in 0..3 {
        received.push(peer.read_packet().await.unwrap());
    }
    // Answer in reverse order of arrival, each with its own argument.
    for p in received.iter().rev() {
        peer.reply(&p.header, &p.payload).await;
    }
    let mut answers = Vec::new();
    for c in calls {
        answers.push(c.await.unwrap().unwrap());
    }
    assert_eq!(answers, vec![100, 101, 102]);
}

#[tokio::test]
async fn a_reply_for_an_unknown_serial_is_discarded() {
    let (client, mut peer) = setup();
    let call = spawn_echo(&client, 7);
    let p = peer.read_packet().await.unwrap();
    let mut bogus = p.header.clone();
    bogus.serial = p.header.serial + 1000;
    peer.reply(&bogus, &99u32.to_be_bytes()).await;
    peer.reply(&p.header, &p.payload).await;
    assert_eq!(call.await.unwrap().unwrap(), 7);
    assert_eq!(echo_roundtrip(&client, &mut peer, 8).await, 8);
}

async fn echo_roundtrip(client: &RawClient, peer: &mut Peer, v: u32) -> u32 {
    let call = spawn_echo(client, v);
    let p = peer.read_packet().await.unwrap();
    peer.reply(&p.header, &p.payload).await;
    call.await.unwrap().unwrap()
}

#[tokio::test]
async fn ping_is_answered_with_pong() {
    let (_client, mut peer) = setup();
    let ping = Header {
        prog: keepalive::PROGRAM,
        vers: keepalive::PROTOCOL_VERSION,
        proc: keepalive::Procedure::Ping.to_i32(),
        r#type: Type::Message,
        serial: 0,
        status: Status::Ok,
    };
    peer.send(&ping, &[]).await;
    let pong = peer.read_packet().await.unwrap();
    assert_eq!(pong.header.prog, keepalive::PROGRAM);
    assert_eq!(pong.header.proc, keepalive::Procedure::Pong.to_i32());
    assert_eq!(pong.header.r#type, Type::Message);
    assert!(pong.payload.is_empty());
}

#[tokio::test]
async fn pending_calls_fail_when_the_peer_dies_and_later_calls_fail_cleanly() {
    let (client, mut peer) = setup();
    let call = spawn_echo(&client, 1);
    peer.read_packet().await.unwrap();
    drop(peer);
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err:?}");
    let err = echo(&client, 2).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    assert!(client.is_closed());
}

#[tokio::test]
async fn a_dropped_call_does_not_desynchronise_the_connection() {
    let (client, mut peer) = setup();
    // Start a call and abandon it before its reply.
    let abandoned = tokio::time::timeout(Duration::from_millis(20), echo(&client, 1)).await;
    assert!(abandoned.is_err());
    let first = peer.read_packet().await.unwrap();
    let next = spawn_echo(&client, 2);
    let second = peer.read_packet().await.unwrap();
    peer.reply(&first.header, &first.payload).await;
    peer.reply(&second.header, &second.payload).await;
    assert_eq!(next.await.unwrap().unwrap(), 2);
}

#[tokio::test]
async fn an_error_reply_becomes_a_structured_remote_error() {
    let (client, mut peer) = setup();
    let call = spawn_echo(&client, 1);
    let p = peer.read_packet().await.unwrap();
    // code 42 (no domain), domain 10, message "gone"
    let err = remote_error_payload(42, 10, Some("gone"));
    peer.send(&answer_header(&p.header, Type::Reply, Status::Error), &err)
        .await;
    let e = call.await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote);
    let r = e.remote().unwrap();
    assert_eq!(r.code, virtwire::ErrorCode::NoDomain);
    assert_eq!(r.code.to_i32(), 42);
    assert_eq!(r.domain.to_i32(), 10);
    assert_eq!(r.message.as_deref(), Some("gone"));
}

#[tokio::test]
async fn an_oversized_frame_ends_the_connection_without_allocating_it() {
    let (client, mut peer) = setup();
    let call = spawn_echo(&client, 1);
    peer.read_packet().await.unwrap();
    peer.io.write_all(&[0xff, 0xff, 0xff, 0xff]).await.unwrap();
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    let cause = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<virtwire::Error>())
        .unwrap_or_else(|| panic!("the protocol error is kept: {err:?}"));
    assert_eq!(cause.kind(), ErrorKind::Protocol, "{cause:?}");
    assert!(cause.to_string().contains("invalid frame"), "{cause}");
}

#[tokio::test]
async fn the_driver_ends_when_the_last_handle_is_dropped() {
    let (client_io, mut server_io) = tokio::io::duplex(1024);
    let (client, conn) = rpc::connect_raw(client_io);
    let driver = tokio::spawn(conn);
    let clone = client.clone();
    drop(client);
    tokio::task::yield_now().await;
    assert!(!driver.is_finished());
    drop(clone);
    tokio::time::timeout(Duration::from_secs(5), driver)
        .await
        .expect("driver did not end")
        .unwrap()
        .unwrap();
    // The transport was shut down: the peer sees EOF.
    let mut buf = [0u8; 1];
    assert_eq!(server_io.read(&mut buf).await.unwrap(), 0);
}

#[tokio::test]
async fn many_tasks_get_their_own_answers() {
    let (client, mut peer) = setup();
    let server = tokio::spawn(async move {
        let mut n = 0;
        while let Some(p) = peer.read_packet().await {
            peer.reply(&p.header, &p.payload).await;
            n += 1;
        }
        n
    });
    let tasks: Vec<_> = (0..50u32)
        .map(|t| {
            let c = client.clone();
            tokio::spawn(async move {
                for i in 0..20u32 {
                    let v = t * 1000 + i;
                    assert_eq!(echo(&c, v).await.unwrap(), v);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    drop(client);
    assert_eq!(server.await.unwrap(), 1000);
}

fn is_ping(p: &Packet) -> bool {
    p.header.prog == keepalive::PROGRAM && p.header.proc == keepalive::Procedure::Ping.to_i32()
}

/// On tokio's paused clock (time jumps to the next timer when every task waits): the intervals
/// are exact, however busy the machine.
#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_caught_by_keepalive() {
    let (client, mut peer) = setup();
    client.set_keepalive(Some(virtwire::KeepaliveConfig {
        interval: Duration::from_millis(50),
        count: 2,
    }));
    let started = tokio::time::Instant::now();
    let call = spawn_echo(&client, 1);
    // The peer reads everything but never answers.
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        while let Some(p) = peer.read_packet().await {
            pings += usize::from(is_ping(&p));
        }
        pings
    });
    let err = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("keepalive must end the call")
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.close_reason(),
        Some(virtwire::CloseReason::Keepalive),
        "{err:?}"
    );
    assert!(err.to_string().contains("keepalive timeout"), "{err}");
    // interval * (count + 1) of silence (paused clock: exact but for timer granularity)
    let silent = started.elapsed();
    assert!(
        (Duration::from_millis(150)..Duration::from_millis(160)).contains(&silent),
        "{silent:?}"
    );
    assert_eq!(
        client.close_reason(),
        Some(virtwire::CloseReason::Keepalive)
    );
    assert_eq!(
        client.closed().await.close_reason(),
        Some(virtwire::CloseReason::Keepalive)
    );
    drop(client);
    assert_eq!(
        reader.await.unwrap(),
        2,
        "one PING per interval, count of them"
    );
}

/// On tokio's paused clock, so that a busy machine cannot delay the PONGs past the deadline.
#[tokio::test(start_paused = true)]
async fn a_peer_that_answers_pings_stays_connected() {
    let (client, mut peer) = setup();
    client.set_keepalive(Some(virtwire::KeepaliveConfig {
        interval: Duration::from_millis(20),
        count: 1,
    }));
    let server = tokio::spawn(async move {
        let mut pings = 0;
        while let Some(p) = peer.read_packet().await {
            if is_ping(&p) {
                pings += 1;
                let mut pong = p.header.clone();
                pong.proc = keepalive::Procedure::Pong.to_i32();
                peer.send(&pong, &[]).await;
            } else {
                peer.reply(&p.header, &p.payload).await;
            }
        }
        pings
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(echo(&client, 5).await.unwrap(), 5);
    assert!(!client.is_closed());
    drop(client);
    assert!(server.await.unwrap() >= 5, "pings are sent while idle");
}

/// A call too large to join a non-empty write buffer waits, and goes out once the driver has
/// taken the buffer: big calls queued behind small ones all complete.
#[tokio::test]
async fn a_large_call_waiting_for_buffer_room_is_sent_later() {
    use virtwire::proto::xdr::{Opaque, UNBOUNDED};
    let (client, mut peer) = setup();
    let server = tokio::spawn(async move {
        while let Some(p) = peer.read_packet().await {
            peer.reply(&p.header, &(p.payload.len() as u32).to_be_bytes())
                .await;
        }
    });
    let sizes = [100_000usize, 1_000_000, 300_000, 900_000];
    let calls: Vec<_> = sizes
        .iter()
        .map(|&n| {
            let c = client.clone();
            tokio::spawn(async move {
                let data = Opaque::<UNBOUNDED>::new(vec![7u8; n]).unwrap();
                let reply = c.call_bytes(PROG, 1, PROC_ECHO, &data).await.unwrap();
                decode_exact::<u32>(&reply).unwrap() as usize
            })
        })
        .collect();
    for (call, n) in calls.into_iter().zip(sizes) {
        let got = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .expect("a queued call never went out")
            .unwrap();
        assert_eq!(got, 4 + n.div_ceil(4) * 4);
    }
    drop(client);
    server.await.unwrap();
}

// ------------------------------------------------------------------ streams

use virtwire::proto::remote::{self, procs};
use virtwire::rpc::{Chunk, DATA_CHUNK_MAX, RECV_QUEUE_MAX, RawStream, WhenFull};

/// Opens a (screenshot) stream: the peer answers the call with a MIME type. Returns the stream
/// and the call's header.
async fn open_stream(
    client: &RawClient,
    peer: &mut Peer,
    when_full: WhenFull,
) -> (RawStream, Header) {
    let args = remote::DomainScreenshotArgs {
        dom: remote::NonnullDomain {
            name: "d".try_into().unwrap(),
            uuid: virtwire::proto::xdr::FixedOpaque([0; 16]),
            id: 1,
        },
        screen: 0,
        flags: Default::default(),
    };
    let opening = tokio::spawn({
        let c = client.clone();
        async move {
            c.call_stream::<procs::DomainScreenshot>(&args, when_full)
                .await
        }
    });
    let call = peer.read_packet().await.unwrap().header;
    // remote_string mime: present, "image/png"
    peer.reply(&call, b"\0\0\0\x01\0\0\0\x09image/png\0\0\0")
        .await;
    let (ret, stream) = opening.await.unwrap().unwrap();
    assert_eq!(ret.mime.unwrap().as_str(), "image/png");
    (stream, call)
}

#[tokio::test]
async fn stream_data_reaches_the_reader_in_order_then_its_end() {
    let (client, mut peer) = setup();
    let (mut stream, call) = open_stream(&client, &mut peer, WhenFull::Abort).await;
    let data = answer_header(&call, Type::Stream, Status::Continue);
    peer.send(&data, b"abc").await;
    peer.send(&data, b"def").await;
    // an empty data packet ends the daemon's side
    peer.send(&data, b"").await;
    assert_eq!(
        stream.next_chunk().await.unwrap(),
        Some(Chunk::Data("abc".into()))
    );
    assert_eq!(
        stream.next_chunk().await.unwrap(),
        Some(Chunk::Data("def".into()))
    );
    assert_eq!(stream.next_chunk().await.unwrap(), None);
    // finish: STREAM OK out, the peer's empty confirmation back
    let finishing = tokio::spawn(async move { stream.finish().await });
    let fin = peer.read_packet().await.unwrap();
    assert_eq!(
        (fin.header.r#type, fin.header.status),
        (Type::Stream, Status::Ok)
    );
    assert_eq!(fin.header.serial, call.serial);
    peer.send(&data, b"").await;
    finishing.await.unwrap().unwrap();
}

#[tokio::test]
async fn sent_data_is_cut_into_packets_of_at_most_262120_bytes_and_holes_are_sent() {
    let (client, mut peer) = setup();
    let (mut stream, call) = open_stream(&client, &mut peer, WhenFull::Abort).await;
    let sending = tokio::spawn(async move {
        stream
            .send(&vec![9u8; 2 * DATA_CHUNK_MAX + 1000])
            .await
            .unwrap();
        stream.send_hole(1 << 40).await.unwrap();
        stream
    });
    let mut sizes = Vec::new();
    for _ in 0..3 {
        let p = peer.read_packet().await.unwrap();
        assert_eq!(
            (p.header.r#type, p.header.status),
            (Type::Stream, Status::Continue)
        );
        assert_eq!(p.header.serial, call.serial);
        assert!(p.payload.iter().all(|&b| b == 9));
        sizes.push(p.payload.len());
    }
    assert_eq!(sizes, [DATA_CHUNK_MAX, DATA_CHUNK_MAX, 1000]);
    let hole = peer.read_packet().await.unwrap();
    assert_eq!(hole.header.r#type, Type::StreamHole);
    let hole: virtwire::proto::virnet::StreamHole = decode_exact(&hole.payload).unwrap();
    assert_eq!((hole.length, hole.flags), (1 << 40, 0));
    drop(sending.await.unwrap());
    // dropping a stream that has not ended aborts it: STREAM ERROR with no payload
    let abort = peer.read_packet().await.unwrap();
    assert_eq!(
        (abort.header.r#type, abort.header.status),
        (Type::Stream, Status::Error)
    );
    assert_eq!(abort.header.serial, call.serial);
    assert!(abort.payload.is_empty());
}

#[tokio::test]
async fn a_console_reader_that_falls_behind_loses_its_stream_and_the_peer_gets_an_abort() {
    let (client, mut peer) = setup();
    let (mut stream, call) = open_stream(&client, &mut peer, WhenFull::Abort).await;
    let echoing = spawn_echo(&client, 5);
    let echo_call = peer.read_packet().await.unwrap();
    // more than the queue holds, while nobody reads the stream
    let data = answer_header(&call, Type::Stream, Status::Continue);
    let chunk = vec![1u8; DATA_CHUNK_MAX];
    for _ in 0..RECV_QUEUE_MAX / DATA_CHUNK_MAX + 2 {
        peer.send(&data, &chunk).await;
    }
    // the driver kept reading: a call answered after the data gets its reply
    peer.reply(&echo_call.header, &5u32.to_be_bytes()).await;
    assert_eq!(echoing.await.unwrap().unwrap(), 5);
    let abort = peer.read_packet().await.unwrap();
    assert_eq!(
        (abort.header.r#type, abort.header.status),
        (Type::Stream, Status::Error)
    );
    assert_eq!(abort.header.serial, call.serial);
    let err = stream.next_chunk().await.unwrap_err();
    assert!(
        err.to_string().contains("fell more than 16 MiB behind"),
        "{err}"
    );
    // and the connection goes on
    let again = spawn_echo(&client, 6);
    let p = peer.read_packet().await.unwrap();
    peer.reply(&p.header, &6u32.to_be_bytes()).await;
    assert_eq!(again.await.unwrap().unwrap(), 6);
}

#[tokio::test]
async fn a_stream_fails_with_the_daemons_error_and_with_the_connection() {
    let (client, mut peer) = setup();
    let (mut first, call) = open_stream(&client, &mut peer, WhenFull::Abort).await;
    // code 1 (internal error), domain 0, no message
    let err = remote_error_payload(1, 0, None);
    peer.send(&answer_header(&call, Type::Reply, Status::Error), &err)
        .await;
    let e = first.next_chunk().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    let e = first.send(b"x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");

    let (mut second, _) = open_stream(&client, &mut peer, WhenFull::Abort).await;
    drop(peer);
    let e = second.next_chunk().await.unwrap_err();
    assert!(e.is_closed(), "{e}");
}

/// A reply routed by its serial but naming another procedure (or program, or version) is
/// refused with a protocol error, not decoded as the call's answer; the connection goes on.
#[tokio::test]
async fn a_reply_naming_another_procedure_is_refused() {
    let (client, mut peer) = setup();
    for (i, wrong) in [(0, 1, 1), (1, 0, 0), (0, 0, 1)].into_iter().enumerate() {
        let call = spawn_echo(&client, 7);
        let p = peer.read_packet().await.unwrap();
        let mut h = p.header.clone();
        h.prog += wrong.0;
        h.vers += wrong.1;
        h.proc += wrong.2;
        peer.reply(&h, &p.payload).await;
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "case {i}: {err:?}");
        assert!(err.to_string().contains("names program"), "case {i}: {err}");
    }
    let ok = spawn_echo(&client, 9);
    let p = peer.read_packet().await.unwrap();
    peer.reply(&p.header, &p.payload).await;
    assert_eq!(ok.await.unwrap().unwrap(), 9);
}

#[tokio::test]
async fn a_download_reader_that_falls_behind_pauses_the_connection_and_loses_nothing() {
    let (client, mut peer) = setup();
    let (mut stream, call) = open_stream(&client, &mut peer, WhenFull::Pause).await;
    let echoing = spawn_echo(&client, 5);
    let echo_call = peer.read_packet().await.unwrap();
    // twice what the queue holds, then the reply to the call, then the end of the data
    const PACKETS: usize = 2 * RECV_QUEUE_MAX / DATA_CHUNK_MAX + 2;
    let feeding = tokio::spawn(async move {
        let data = answer_header(&call, Type::Stream, Status::Continue);
        for i in 0..PACKETS {
            peer.send(&data, &vec![i as u8; DATA_CHUNK_MAX]).await;
        }
        peer.reply(&echo_call.header, &5u32.to_be_bytes()).await;
        peer.send(&data, b"").await;
        peer
    });
    // The reply comes after more data than the queue holds: it cannot have been read while
    // nobody reads the stream.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert!(!echoing.is_finished(), "the driver read past a full queue");
    let mut packets = 0;
    while let Some(chunk) = stream.next_chunk().await.unwrap() {
        let Chunk::Data(b) = chunk else {
            panic!("a hole")
        };
        // every packet, in order
        assert_eq!(b.len(), DATA_CHUNK_MAX);
        assert!(b.iter().all(|&x| x == packets as u8));
        packets += 1;
    }
    assert_eq!(packets, PACKETS);
    assert_eq!(echoing.await.unwrap().unwrap(), 5);
    drop(feeding.await.unwrap());
}
