//! File descriptor passing against an in-process fake daemon, for what the real one never
//! does: several descriptors with one reply, a descriptor where none belongs, a descriptor's
//! byte without its descriptor. Descriptors received in a broken exchange must be closed
//! (checked through pipes: a pipe's reader sees the end only once every writer is closed).
//! The well-formed exchanges are also checked byte for byte as libvirt's daemon reads them.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use bytes::BytesMut;
use virtwire::proto::frame::{Packet, encode_packet};
use virtwire::proto::packet::{Header, Status, Type};
use virtwire::proto::remote::{self, procs};
use virtwire::proto::xdr::{PreEncoded, XdrString, encode_to_vec};
use virtwire::rpc::{RawClient, connect_raw_unix};

/// A client on one end of a socket pair; the other end is the fake daemon's.
fn client() -> (RawClient, UnixStream) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let (raw, conn) = connect_raw_unix(tokio::net::UnixStream::from_std(ours).unwrap());
    tokio::spawn(conn);
    theirs
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    (raw, theirs)
}

/// Reads one frame, as libvirt's daemon does: the length word, then exactly the rest.
fn read_frame(sock: &mut UnixStream) -> Packet {
    let mut len = [0u8; 4];
    sock.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
    sock.read_exact(&mut body).unwrap();
    Packet::parse(body.into()).unwrap()
}

fn reply(call: &Header, kind: Type, payload: &[u8]) -> Vec<u8> {
    let mut h = call.clone();
    h.r#type = kind;
    h.status = Status::Ok;
    let mut out = BytesMut::new();
    encode_packet(&mut out, &h, &PreEncoded(payload)).unwrap();
    out.to_vec()
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

fn graphics_args() -> remote::DomainOpenGraphicsFdArgs {
    remote::DomainOpenGraphicsFdArgs::default()
}

#[tokio::test]
async fn two_descriptors_with_one_reply_reach_the_call() {
    let (raw, mut daemon) = client();
    let (r1, w1) = pipe();
    let (r2, w2) = pipe();
    let fake = std::thread::spawn(move || {
        let call = read_frame(&mut daemon);
        assert_eq!(call.header.r#type, Type::Call);
        daemon
            .write_all(&reply(
                &call.header,
                Type::ReplyWithFds,
                &2u32.to_be_bytes(),
            ))
            .unwrap();
        send_byte(&daemon, Some(w1.as_raw_fd()));
        send_byte(&daemon, Some(w2.as_raw_fd()));
        daemon
    });
    let ((), fds) = raw
        .call_with_fds::<procs::DomainOpenGraphicsFd>(&graphics_args(), Vec::new())
        .await
        .unwrap();
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
    let (raw, mut daemon) = client();
    let (reader, writer) = pipe();
    let fake = std::thread::spawn(move || {
        let call = read_frame(&mut daemon);
        assert_eq!(call.header.r#type, Type::CallWithFds);
        assert_eq!(
            call.payload[..4],
            1u32.to_be_bytes(),
            "the descriptor count"
        );
        let fd = recv_fd(&daemon);
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
        daemon
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
    let (raw, mut daemon) = client();
    let (reader, writer) = pipe();
    let fake = std::thread::spawn(move || {
        let call = read_frame(&mut daemon);
        send_byte(&daemon, Some(writer.as_raw_fd()));
        drop(writer);
        (call, daemon)
    });
    let err = raw
        .call_with_fds::<procs::DomainOpenGraphicsFd>(&graphics_args(), Vec::new())
        .await
        .unwrap_err();
    assert!(err.is_closed(), "{err}");
    let _daemon = fake.join().unwrap();
    // every writer is closed, the one we received included
    assert_eq!(read_pipe(reader).await, b"");
}

#[tokio::test]
async fn a_descriptors_byte_without_its_descriptor_ends_the_connection() {
    let (raw, mut daemon) = client();
    let (reader, writer) = pipe();
    let fake = std::thread::spawn(move || {
        let call = read_frame(&mut daemon);
        daemon
            .write_all(&reply(
                &call.header,
                Type::ReplyWithFds,
                &2u32.to_be_bytes(),
            ))
            .unwrap();
        send_byte(&daemon, Some(writer.as_raw_fd()));
        drop(writer);
        send_byte(&daemon, None);
        daemon
    });
    let err = raw
        .call_with_fds::<procs::DomainOpenGraphicsFd>(&graphics_args(), Vec::new())
        .await
        .unwrap_err();
    assert!(err.is_closed(), "{err}");
    let _daemon = fake.join().unwrap();
    // the first descriptor, received before the fault, is closed with the connection
    assert_eq!(read_pipe(reader).await, b"");
}
