//! Domain events only a real guest emits: the sandbox's TCG guest under the qemu driver
//! (device hot-plug and unplug, reboot on reset, QEMU monitor events).

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::next_event;
use guest::{domain_events, guest_name, sandbox_file, start_with, wait_for_shell};
use virtwire::events::DomainEventKind;
use virtwire::proto::c_events::DomainEventId;
use virtwire::proto::remote;
use virtwire::proto::xdr::XdrString;

#[tokio::test]
async fn hot_plug_reset_and_monitor_events_of_a_tcg_guest() {
    let name = guest_name("events-guest");
    let (client, dom) = start_with(&name, |xml| xml).await;
    let mut added = domain_events(&client, &dom, DomainEventId::DeviceAdded).await;
    let mut removed = domain_events(&client, &dom, DomainEventId::DeviceRemoved).await;
    let mut reboot = domain_events(&client, &dom, DomainEventId::Reboot).await;
    let mut monitor = client
        .qemu_monitor_events(Some(&dom), Some("RESET"), Default::default())
        .await
        .unwrap();

    wait_for_shell(&dom).await;

    let image = sandbox_file(&format!("{name}-disk.img"), 16 << 20);
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
