//! File descriptor passing (SCM_RIGHTS) against the real daemon: the sandbox's TCG guest's VNC
//! display reached through a descriptor the daemon passes us (DOMAIN_OPEN_GRAPHICS_FD) and
//! through one we pass it (DOMAIN_OPEN_GRAPHICS), a disk opened by us and handed over
//! (DOMAIN_FD_ASSOCIATE); and the clear refusal on a transport that cannot pass descriptors.

mod common;

use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::Sandbox;
use virtwire::flags::{DomainCreateFlags, DomainFdAssociateFlags, DomainOpenGraphicsFlags};
use virtwire::{Client, Domain, DomainState, ErrorKind};

/// What a VNC server says first (RFB protocol version 3.8).
const RFB_BANNER: &[u8] = b"RFB 003.008\n";

/// Reads the first bytes a display server sends on `sock` (blocking, bounded: guards a hang).
async fn banner(sock: UnixStream) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        sock.set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut buf = [0u8; RFB_BANNER.len()];
        (&sock)
            .read_exact(&mut buf)
            .expect("no banner from the display");
        buf.to_vec()
    })
    .await
    .unwrap()
}

async fn guest(client: &Client, name: &str) -> Domain {
    let name = format!("{name}-{}", std::process::id());
    client
        .create_domain_xml(&Sandbox::get().guest_xml(&name), DomainCreateFlags::empty())
        .await
        .unwrap()
}

#[tokio::test]
async fn open_graphics_fd_returns_a_socket_on_which_the_guests_vnc_server_speaks_rfb() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let dom = guest(&client, "vw-fd-graphics").await;
    let fd: OwnedFd = dom
        .open_graphics_fd(0, DomainOpenGraphicsFlags::SKIPAUTH)
        .await
        .unwrap();
    assert_eq!(banner(UnixStream::from(fd)).await, RFB_BANNER);
    // the connection is still in step: the next call is answered
    assert_eq!(dom.info().await.unwrap().state, DomainState::Running);
    dom.destroy().await.unwrap();
}

#[tokio::test]
async fn open_graphics_serves_the_display_on_a_socket_we_pass() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let dom = guest(&client, "vw-fd-graphics-in").await;
    let (ours, theirs) = UnixStream::pair().unwrap();
    dom.open_graphics(0, theirs.as_fd(), DomainOpenGraphicsFlags::SKIPAUTH)
        .await
        .unwrap();
    // the daemon has its own copy: ours may go
    drop(theirs);
    assert_eq!(banner(ours).await, RFB_BANNER);
    dom.destroy().await.unwrap();
}

#[tokio::test]
async fn a_disk_file_opened_by_us_is_associated_with_the_guest() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let dom = guest(&client, "vw-fd-associate").await;
    let image = format!("{}/vw-fd-associate-{}.img", sb.dir(), std::process::id());
    let file = std::fs::File::create(&image).unwrap();
    file.set_len(1 << 20).unwrap();
    dom.fd_associate("vwdisk", &[file.as_fd()], DomainFdAssociateFlags::empty())
        .await
        .unwrap();
    // a second group with two descriptors in one call
    let other = std::fs::File::open(&image).unwrap();
    dom.fd_associate(
        "vwpair",
        &[file.as_fd(), other.as_fd()],
        DomainFdAssociateFlags::empty(),
    )
    .await
    .unwrap();
    dom.destroy().await.unwrap();
    let _ = std::fs::remove_file(&image);
}

#[tokio::test]
async fn create_with_files_reaches_the_driver_and_leaves_the_connection_in_step() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    let name = format!("vw-fd-create-{}", std::process::id());
    // the qemu driver takes no files: it refuses, after the daemon has read them
    let err = client
        .create_domain_xml_with_files(
            &sb.guest_xml(&name),
            &[a.as_fd()],
            DomainCreateFlags::empty(),
        )
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert!(err.is_remote(), "the daemon's answer: {err}");
    assert!(!client.hostname().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_transport_that_cannot_pass_descriptors_refuses_without_sending() {
    let sb = Sandbox::get();
    let uri = format!("qemu+tcp://127.0.0.1:{}/system", sb.tcp_port());
    let client = Client::connect(&uri).await.unwrap();
    let dom = guest(&client, "vw-fd-tcp").await;
    let err = dom
        .open_graphics_fd(0, DomainOpenGraphicsFlags::empty())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(!err.is_remote(), "refused here, not by the daemon: {err}");
    dom.destroy().await.unwrap();
}
