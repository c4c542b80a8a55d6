//! Domain events only a real guest emits: the sandbox's TCG guest under the qemu driver
//! (device hot-plug and unplug, reboot on reset, QEMU monitor events).

mod common;
#[path = "common/guest.rs"]
mod guest;

use std::time::Duration;

use common::Sandbox;
use virtwire::events::{DomainEventKind, Event, EventItem, EventStream};
use virtwire::proto::c_events::DomainEventId;
use virtwire::proto::remote;
use virtwire::proto::xdr::XdrString;
use virtwire::{Client, Domain};

/// Guards against a hang only.
const PATIENCE: Duration = Duration::from_secs(120);

async fn next_event<T: Event + std::fmt::Debug>(stream: &mut EventStream<T>) -> T {
    let item = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("no event came")
        .expect("the stream ended")
        .expect("the stream failed");
    match item {
        EventItem::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// Waits until the guest's shell answers on the console (unplugging a device needs the
/// guest's kernel).
async fn wait_for_shell(dom: &Domain) {
    guest::shell(dom).await.abort().await.unwrap();
}

#[tokio::test]
async fn hot_plug_reset_and_monitor_events_of_a_tcg_guest() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let name = format!("vw-events-guest-{}", std::process::id());
    let dom = client
        .create_domain_xml(&sb.guest_xml(&name), Default::default())
        .await
        .unwrap();
    let mut added = client
        .domain_events(&dom, DomainEventId::DeviceAdded)
        .await
        .unwrap();
    let mut removed = client
        .domain_events(&dom, DomainEventId::DeviceRemoved)
        .await
        .unwrap();
    let mut reboot = client
        .domain_events(&dom, DomainEventId::Reboot)
        .await
        .unwrap();
    let mut monitor = client
        .qemu_monitor_events(Some(&dom), Some("RESET"), Default::default())
        .await
        .unwrap();

    wait_for_shell(&dom).await;

    let image = format!("{}/{name}-disk.img", sb.dir());
    std::fs::File::create(&image)
        .unwrap()
        .set_len(16 << 20)
        .unwrap();
    let disk = format!(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{image}'/><target dev='vdb' bus='virtio'/></disk>"
    );
    let raw = client.raw();
    raw.domain_attach_device(&remote::DomainAttachDeviceArgs {
        dom: dom.to_remote(),
        xml: XdrString::try_from(disk.as_str()).unwrap(),
    })
    .await
    .unwrap();
    let ev = next_event(&mut added).await;
    assert_eq!(ev.domain.name(), name);
    let DomainEventKind::DeviceAdded { dev_alias } = ev.kind else {
        panic!("{:?}", ev.kind);
    };
    assert!(dev_alias.starts_with("virtio-disk"), "{dev_alias}");

    raw.domain_detach_device(&remote::DomainDetachDeviceArgs {
        dom: dom.to_remote(),
        xml: XdrString::try_from(disk.as_str()).unwrap(),
    })
    .await
    .unwrap();
    let ev = next_event(&mut removed).await;
    assert_eq!(
        ev.kind,
        DomainEventKind::DeviceRemoved {
            dev_alias: dev_alias.clone()
        }
    );

    raw.domain_reset(&remote::DomainResetArgs {
        dom: dom.to_remote(),
        ..Default::default()
    })
    .await
    .unwrap();
    let ev = next_event(&mut reboot).await;
    assert_eq!(ev.kind, DomainEventKind::Reboot);
    let ev = next_event(&mut monitor).await;
    assert_eq!(ev.event, "RESET");
    assert_eq!(ev.domain.name(), name);

    dom.destroy().await.unwrap();
    let _ = std::fs::remove_file(&image);
}
