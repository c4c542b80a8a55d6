//! TRAY_CHANGE on the sandbox's TCG guest: ejecting the medium of its CD-ROM drive (an update
//! of the drive without a source) opens the tray, and the daemon says so.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::next_event;
use guest::{domain_events, guest_name, sandbox_file, start_with, with_devices};
use virtwire::events::DomainEventKind;
use virtwire::flags::DomainDeviceModifyFlags;
use virtwire::proto::c_events::{DomainEventId, DomainEventTrayChangeReason};

#[tokio::test]
async fn ejecting_a_cdrom_opens_its_tray() {
    let name = guest_name("tray");
    let image = sandbox_file(&format!("{name}.iso"), 1 << 20);
    let drive = "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>\
                 {SOURCE}<target dev='hdc' bus='ide'/><readonly/></disk>";
    let loaded = drive.replace("{SOURCE}", &format!("<source file='{image}'/>"));
    let (client, dom) = start_with(&name, |xml| with_devices(xml, &loaded)).await;
    let mut events = domain_events(&client, &dom, DomainEventId::TrayChange).await;
    dom.update_device_flags(
        &drive.replace("{SOURCE}", ""),
        DomainDeviceModifyFlags::LIVE,
    )
    .await
    .unwrap();
    let ev = next_event(&mut events).await;
    assert_eq!(ev.domain.name(), name);
    let DomainEventKind::TrayChange { dev_alias, reason } = ev.kind else {
        panic!("{:?}", ev.kind);
    };
    assert_eq!(reason, DomainEventTrayChangeReason::Open);
    assert!(dev_alias.starts_with("ide"), "{dev_alias}");
    dom.destroy().await.unwrap();
    let _ = std::fs::remove_file(&image);
}
