//! TRAY_CHANGE on the sandbox's TCG guest: ejecting the medium of its CD-ROM drive (an update
//! of the drive without a source) opens the tray, and the daemon says so.

mod common;

use std::time::Duration;

use common::Sandbox;
use virtwire::Client;
use virtwire::events::{DomainEventKind, EventItem};
use virtwire::flags::{DomainCreateFlags, DomainDeviceModifyFlags};
use virtwire::proto::c_events::{DomainEventId, DomainEventTrayChangeReason};

#[tokio::test]
async fn ejecting_a_cdrom_opens_its_tray() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let name = format!("vw-tray-{}", std::process::id());
    let image = format!("{}/{name}.iso", sb.dir());
    std::fs::File::create(&image)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let drive = "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>\
                 {SOURCE}<target dev='hdc' bus='ide'/><readonly/></disk>";
    let xml = sb.guest_xml(&name).replace(
        "</devices>",
        &format!(
            "{}</devices>",
            drive.replace("{SOURCE}", &format!("<source file='{image}'/>"))
        ),
    );
    let dom = client
        .create_domain_xml(&xml, DomainCreateFlags::empty())
        .await
        .unwrap();
    let mut events = client
        .domain_events(&dom, DomainEventId::TrayChange)
        .await
        .unwrap();
    dom.update_device_flags(
        &drive.replace("{SOURCE}", ""),
        DomainDeviceModifyFlags::LIVE,
    )
    .await
    .unwrap();
    let item = tokio::time::timeout(Duration::from_secs(120), events.next())
        .await
        .expect("no event came")
        .expect("the stream ended")
        .unwrap();
    let EventItem::Event(ev) = item else {
        panic!("{item:?}");
    };
    assert_eq!(ev.domain.name(), name);
    let DomainEventKind::TrayChange { dev_alias, reason } = ev.kind else {
        panic!("{:?}", ev.kind);
    };
    assert_eq!(reason, DomainEventTrayChangeReason::Open);
    assert!(dev_alias.starts_with("ide"), "{dev_alias}");
    dom.destroy().await.unwrap();
    let _ = std::fs::remove_file(&image);
}
