//! File descriptor passing against an in-process fake daemon, for what the real one never
//! does: several descriptors with one reply, a descriptor where none belongs, a descriptor's
//! byte without its descriptor. Descriptors received in a broken exchange must be closed
//! (checked through pipes: a pipe's reader sees the end only once every writer is closed).
//! The well-formed exchanges are also checked byte for byte as libvirt's daemon reads them.

#[path = "common/peer.rs"]
mod peer;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use peer::{answer_header, encoded, read_frame};
use virtwire::proto::frame::Packet;
use virtwire::proto::packet::{Header, Status, Type};
use virtwire::proto::remote::{self, procs};
use virtwire::proto::xdr::{XdrString, encode_to_vec};
use virtwire::rpc::{RawClient, connect_raw_unix};

/// A client on one end of a socket pair; the other end is the fake daemon's.
fn client() -> (RawClient, UnixStream) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let (raw, conn) = connect_raw_unix(tokio::net::UnixStream::from_std(ours).unwrap()).unwrap();
    tokio::spawn(conn);
    theirs
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    (raw, theirs)
}

/// The frame of an OK answer of `kind` (a reply, with or without descriptors) to `call`.
fn reply(call: &Header, kind: Type, payload: &[u8]) -> Vec<u8> {
    encoded(&answer_header(call, kind, Status::Ok), payload).to_vec()
}

/// One byte with `fd` (or none) in its SCM_RIGHTS data, as libvirt's `virSocketSendFD`.
fn send_byte(sock: &UnixStream, fd: Option<RawFd>) {
    let byte = [0u8; 1];
    let mut control = [0u64; 4];
    let mut iov = libc::iovec {
        iov_base: byte.as_ptr() as *mut libc::c_void,
        iov_len: 1,
    };
    // SAFETY: plain sendmsg with a one-byte buffer and an aligned control buffer.
    let n = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if let Some(fd) = fd {
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(4) as _;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(4) as _;
            libc::CMSG_DATA(c).cast::<libc::c_int>().write_unaligned(fd);
        }
        libc::sendmsg(sock.as_raw_fd(), &msg, 0)
    };
    assert_eq!(n, 1);
}

/// One byte and the descriptor that came with it, as libvirt's `virSocketRecvFD`.
fn recv_fd(sock: &UnixStream) -> OwnedFd {
    use std::os::fd::FromRawFd;
    let mut byte = [0u8; 1];
    let mut control = [0u64; 4];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: plain recvmsg into a one-byte buffer and an aligned control buffer.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        assert_eq!(libc::recvmsg(sock.as_raw_fd(), &mut msg, 0), 1);
        let c = libc::CMSG_FIRSTHDR(&msg);
        assert!(!c.is_null(), "a byte without a descriptor");
        assert_eq!((*c).cmsg_len as usize, libc::CMSG_LEN(4) as usize);
        OwnedFd::from_raw_fd(libc::CMSG_DATA(c).cast::<libc::c_int>().read_unaligned())
    }
}

/// A pipe: (reader, writer).
fn pipe() -> (std::fs::File, OwnedFd) {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills two new descriptors, which we own from here on.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        (
            std::fs::File::from_raw_fd(fds[0]),
            OwnedFd::from_raw_fd(fds[1]),
        )
    }
}

/// What the reader of a pipe gets next, blocking (bounded by the caller's patience).
async fn read_pipe(mut r: std::fs::File) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        v
    })
    .await
    .unwrap()
}

/// The fake daemon on a thread of its own: reads one call and hands it to `answer`; gives its
/// end back when done, so that the connection stays open until the test drops it.
fn fake_daemon(
    mut daemon: UnixStream,
    answer: impl FnOnce(&mut UnixStream, Packet) + Send + 'static,
) -> std::thread::JoinHandle<UnixStream> {
    std::thread::spawn(move || {
        let call = read_frame(&mut daemon);
        answer(&mut daemon, call);
        daemon
    })
}

/// The reply of a call that returns `count` descriptors (they follow, one per message).
fn reply_with_fds(daemon: &mut UnixStream, call: &Header, count: u32) {
    daemon
        .write_all(&reply(call, Type::ReplyWithFds, &count.to_be_bytes()))
        .unwrap();
}

/// A call that returns descriptors and sends none.
async fn open_graphics_fd(raw: &RawClient) -> virtwire::Result<((), Vec<OwnedFd>)> {
    raw.call_with_fds::<procs::DomainOpenGraphicsFd>(&Default::default(), Vec::new())
        .await
}

/// The fake daemon answers a call with `fault`, which sends a pipe's writer at some point and
/// drops its own copy: the call fails with the connection closed, and the pipe's reader sees
/// its end, so every writer is closed, the one the client received included.
async fn assert_fault_ends_the_connection_and_closes_what_came(
    fault: impl FnOnce(&mut UnixStream, &Header, OwnedFd) + Send + 'static,
) {
    let (raw, daemon) = client();
    let (reader, writer) = pipe();
    let fake = fake_daemon(daemon, move |daemon, call| {
        fault(daemon, &call.header, writer)
    });
    let err = open_graphics_fd(&raw).await.unwrap_err();
    assert!(err.is_closed(), "{err}");
    let _daemon = fake.join().unwrap();
    assert_eq!(read_pipe(reader).await, b"");
}

#[tokio::test]
async fn two_descriptors_with_one_reply_reach_the_call() {
    let (raw, daemon) = client();
    let (r1, w1) = pipe();
    let (r2, w2) = pipe();
    let fake = fake_daemon(daemon, move |daemon, call| {
        assert_eq!(call.header.r#type, Type::Call);
        reply_with_fds(daemon, &call.header, 2);
        send_byte(daemon, Some(w1.as_raw_fd()));
        send_byte(daemon, Some(w2.as_raw_fd()));
    });
    let ((), fds) = open_graphics_fd(&raw).await.unwrap();
    let _daemon = fake.join().unwrap(); // its copies of the writers are closed now
    assert_eq!(fds.len(), 2);
    for (fd, word) in fds.into_iter().zip([&b"one"[..], b"two"]) {
        std::fs::File::from(fd).write_all(word).unwrap();
    }
    assert_eq!(read_pipe(r1).await, b"one");
    assert_eq!(read_pipe(r2).await, b"two");
}

#[tokio::test]
async fn descriptors_of_a_call_follow_its_frame_one_per_message() {
    let (raw, daemon) = client();
    let (reader, writer) = pipe();
    let fake = fake_daemon(daemon, |daemon, call| {
        assert_eq!(call.header.r#type, Type::CallWithFds);
        assert_eq!(
            call.payload[..4],
            1u32.to_be_bytes(),
            "the descriptor count"
        );
        let fd = recv_fd(daemon);
        std::fs::File::from(fd).write_all(b"passed").unwrap();
        let ret = remote::DomainCreateWithFilesRet {
            dom: remote::NonnullDomain {
                name: XdrString::try_from("d").unwrap(),
                ..Default::default()
            },
        };
        daemon
            .write_all(&reply(&call.header, Type::Reply, &encode_to_vec(&ret)))
            .unwrap();
    });
    let (ret, back) = raw
        .call_with_fds::<procs::DomainCreateWithFiles>(&Default::default(), vec![writer])
        .await
        .unwrap();
    assert_eq!(ret.dom.name.as_str(), "d");
    assert!(back.is_empty());
    drop(fake.join().unwrap());
    // the daemon's copy wrote and is closed; ours was closed once sent
    assert_eq!(read_pipe(reader).await, b"passed");
}

#[tokio::test]
async fn a_descriptor_outside_a_reply_with_fds_ends_the_connection_and_is_closed() {
    assert_fault_ends_the_connection_and_closes_what_came(|daemon, _call, writer| {
        send_byte(daemon, Some(writer.as_raw_fd()));
    })
    .await;
}

#[tokio::test]
async fn a_descriptors_byte_without_its_descriptor_ends_the_connection() {
    // the first descriptor, received before the fault, is closed with the connection
    assert_fault_ends_the_connection_and_closes_what_came(|daemon, call, writer| {
        reply_with_fds(daemon, call, 2);
        send_byte(daemon, Some(writer.as_raw_fd()));
        drop(writer);
        send_byte(daemon, None);
    })
    .await;
}
