//! The same wire against a newer libvirtd (11.3, Debian bookworm-backports) than the
//! sandbox's 9.0: `scripts/newer-libvirtd.sh start DIR` runs one beside it (test driver and
//! admin socket only), and these tests use it through `VIRTWIRE_NEWER_SOCKET` /
//! `VIRTWIRE_NEWER_ADMIN_SOCKET` (source `DIR/env`). Conformance of every plain call of the
//! REMOTE and ADMIN programs, events of three families, a test-driver stream, and fd
//! passing's refusal by a driver that has none of it. Without the variables each test says it
//! is skipped and passes.

mod common;
#[path = "conformance/suite.rs"]
mod suite;

use common::{Sandbox, next_event};
use tokio::io::AsyncReadExt;
use virtwire::Client;
use virtwire::events::{DomainEventKind, Lifecycle, NetworkEventKind};
use virtwire::flags::DomainOpenGraphicsFlags;
use virtwire::proto::c_events::{
    DomainEventDefinedDetailType as Defined, DomainEventId,
    DomainEventStartedDetailType as Started, DomainEventStoppedDetailType as Stopped,
    NetworkEventId, NetworkEventLifecycleType,
};
use virtwire::proto::remote;
use virtwire::proto::xdr::XdrString;

/// The newer daemon's socket, or `None` (and a line saying the test is skipped).
fn newer(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(s) if !s.is_empty() => Some(s),
        _ => {
            println!(
                "skipped: {var} is not set (bash scripts/newer-libvirtd.sh start DIR, then \
                 source DIR/env)"
            );
            None
        }
    }
}

async fn connect(name: &str) -> Option<Client> {
    let socket = newer("VIRTWIRE_NEWER_SOCKET")?;
    let uri = Sandbox::get().test_uri_at(&socket, name);
    let client = Client::connect(&uri).await.unwrap();
    let version = client.lib_version().await.unwrap();
    assert!(
        version >= 11_000_000,
        "VIRTWIRE_NEWER_SOCKET is libvirt {version}, not a newer daemon"
    );
    Some(client)
}

#[tokio::test]
async fn remote_program_conformance_on_the_newer_test_driver() {
    let Some(socket) = newer("VIRTWIRE_NEWER_SOCKET") else {
        return;
    };
    let uri = Sandbox::get().test_uri_at(&socket, "newer-conformance");
    let (all, objects) = suite::run_remote_test_driver(&uri, "unix, newer libvirtd").await;
    all.finish();
    objects.finish();
}

#[tokio::test]
async fn admin_program_conformance_on_the_newer_daemon() {
    let Some(socket) = newer("VIRTWIRE_NEWER_ADMIN_SOCKET") else {
        return;
    };
    suite::run_admin_program(&socket).await.finish();
}

#[tokio::test]
async fn domain_lifecycle_events_from_the_newer_daemon() {
    let Some(client) = connect("newer-lifecycle").await else {
        return;
    };
    let mut events = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();
    let xml = "<domain type='test'><name>nwl</name><memory unit='KiB'>262144</memory>\
               <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";
    let dom = client.define_domain_xml(xml).await.unwrap();
    dom.create().await.unwrap();
    dom.destroy().await.unwrap();
    for want in [
        Lifecycle::Defined(Defined::Added),
        Lifecycle::Started(Started::Booted),
        Lifecycle::Stopped(Stopped::Destroyed),
    ] {
        let ev = next_event(&mut events).await;
        assert_eq!(ev.domain.name(), "nwl");
        assert_eq!(ev.kind, DomainEventKind::Lifecycle(want));
    }
    dom.undefine().await.unwrap();
}

#[tokio::test]
async fn network_lifecycle_events_from_the_newer_daemon() {
    let Some(client) = connect("newer-network").await else {
        return;
    };
    let mut events = client
        .network_events(None, NetworkEventId::Lifecycle)
        .await
        .unwrap();
    let xml = "<network><name>nwnet</name><bridge name='nwbr0'/></network>";
    let raw = client.raw();
    let net = raw
        .network_define_xml(&remote::NetworkDefineXmlArgs {
            xml: XdrString::try_from(xml).unwrap(),
        })
        .await
        .unwrap()
        .net;
    raw.network_create(&remote::NetworkCreateArgs { net: net.clone() })
        .await
        .unwrap();
    use NetworkEventLifecycleType as T;
    for want in [T::Defined, T::Started] {
        let ev = next_event(&mut events).await;
        assert_eq!(ev.network.name(), "nwnet");
        assert_eq!(
            ev.kind,
            NetworkEventKind::Lifecycle {
                event: want,
                detail: 0
            }
        );
    }
}

#[tokio::test]
async fn the_newer_test_driver_streams_a_screenshot() {
    let Some(client) = connect("newer-screenshot").await else {
        return;
    };
    let dom = client
        .lookup_domain_by_name(common::node::RUNNING_DOMAIN)
        .await
        .unwrap();
    let mut shot = dom.screenshot(0).await.unwrap();
    let mut data = Vec::new();
    shot.data.read_to_end(&mut data).await.unwrap();
    assert_eq!(shot.mime, "image/png");
    assert_eq!(&data[..8], b"\x89PNG\r\n\x1a\n");
}

#[tokio::test]
async fn a_descriptor_call_reaches_the_newer_daemon_and_the_connection_stays_in_step() {
    let Some(client) = connect("newer-fds").await else {
        return;
    };
    let dom = client
        .lookup_domain_by_name(common::node::RUNNING_DOMAIN)
        .await
        .unwrap();
    // the test driver has no graphics to open: the daemon's refusal, not ours
    let err = dom
        .open_graphics_fd(0, DomainOpenGraphicsFlags::empty())
        .await
        .unwrap_err();
    assert!(err.is_remote(), "{err}");
    assert_eq!(dom.name(), common::node::RUNNING_DOMAIN);
    assert!(dom.info().await.is_ok());
}
