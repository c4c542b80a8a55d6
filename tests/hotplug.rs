//! Hot-plug through the typed API on the sandbox's running TCG guest (qemu driver): a qcow2
//! volume from a directory pool and a NIC attached, seen by the guest's kernel, the NIC's link
//! changed by an update, both detached (waiting for the guest to release them) and gone from
//! the guest and from the live definition.

mod common;
#[path = "common/guest.rs"]
mod guest;

use guest::{console_exchange, drop_pool, qcow2_volume, shell, start_guest};
use virtwire::events::{EventItem, EventStream};
use virtwire::flags::{DomainDeviceModifyFlags, DomainXmlFlags};
use virtwire::proto::c_events::DomainEventId;
use virtwire::{Client, DeviceRemoval, Domain, Stream};

use common::Sandbox;

const LIVE: DomainDeviceModifyFlags = DomainDeviceModifyFlags::LIVE;
const DISK_ALIAS: &str = "ua-vw-data";
const NIC_ALIAS: &str = "ua-vw-nic";
const MAC: &str = "52:54:00:76:77:01";
/// The volume's virtual size: what the guest sees is the qcow2 image's content, not its file
/// (a few hundred KiB).
const CAPACITY: u64 = 24 << 20;

/// Runs `command` in the guest's shell until it prints the line `expect`.
async fn guest_says(console: &mut Stream, command: &str, expect: &str) {
    console_exchange(console, &format!("{command}\n"), expect).await;
}

async fn added_alias(events: &mut EventStream<virtwire::events::DomainEvent>) -> String {
    let item = tokio::time::timeout(guest::GUEST_PATIENCE, events.next())
        .await
        .expect("no DEVICE_ADDED event")
        .expect("the stream ended")
        .unwrap();
    match item {
        EventItem::Event(ev) => match ev.kind {
            virtwire::events::DomainEventKind::DeviceAdded { dev_alias } => dev_alias,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

async fn live_xml(dom: &Domain) -> String {
    dom.xml_desc(DomainXmlFlags::default()).await.unwrap()
}

async fn detach(dom: &Domain, alias: &str) {
    let removal = tokio::time::timeout(
        guest::GUEST_PATIENCE,
        dom.detach_device_alias_and_wait(alias, LIVE),
    )
    .await
    .expect("the guest never released the device")
    .unwrap();
    assert_eq!(removal, DeviceRemoval::Removed, "{alias}");
    let xml = live_xml(dom).await;
    assert!(!xml.contains(alias), "{alias} still in {xml}");
}

#[tokio::test]
async fn a_qcow2_disk_and_a_nic_plug_into_the_live_guest_and_unplug() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let (pool, vol) = qcow2_volume(&client, "vw-hotplug", CAPACITY).await;
    let path = vol.path().await.unwrap();
    let dom = start_guest(&client, "vw-hotplug").await;
    let mut added = client
        .domain_events(&dom, DomainEventId::DeviceAdded)
        .await
        .unwrap();
    let mut console = shell(&dom).await;
    // every check prints its own marker: a late answer to an earlier one cannot pass for it
    let has = |dev: &str, step: &str| {
        format!("test -e /sys/{dev} && echo vw-{step}-has || echo vw-{step}-none")
    };
    guest_says(&mut console, &has("block/vda", "a"), "vw-a-none").await;
    guest_says(&mut console, &has("class/net/eth0", "b"), "vw-b-none").await;

    let disk = format!(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{path}'/><target dev='vdb' bus='virtio'/>\
         <alias name='{DISK_ALIAS}'/></disk>"
    );
    dom.attach_device_flags(&disk, LIVE).await.unwrap();
    assert_eq!(added_alias(&mut added).await, DISK_ALIAS);
    // the guest's first virtio disk, whatever the target's name: vda; its size in 512-byte
    // sectors is the volume's virtual size
    let sectors = CAPACITY / 512;
    guest_says(
        &mut console,
        "echo vw-sectors-$(cat /sys/block/vda/size)",
        &format!("vw-sectors-{sectors}"),
    )
    .await;

    let nic = |link: &str| {
        format!(
            "<interface type='user'><mac address='{MAC}'/><model type='virtio'/>\
             <link state='{link}'/><alias name='{NIC_ALIAS}'/></interface>"
        )
    };
    dom.attach_device_flags(&nic("up"), LIVE).await.unwrap();
    assert_eq!(added_alias(&mut added).await, NIC_ALIAS);
    guest_says(
        &mut console,
        "echo vw-mac-$(cat /sys/class/net/eth0/address)",
        &format!("vw-mac-{MAC}"),
    )
    .await;
    guest_says(
        &mut console,
        "ip link set eth0 up; echo vw-carrier-$(cat /sys/class/net/eth0/carrier)",
        "vw-carrier-1",
    )
    .await;
    dom.update_device_flags(&nic("down"), LIVE).await.unwrap();
    guest_says(
        &mut console,
        "echo vw-carrier-$(cat /sys/class/net/eth0/carrier)",
        "vw-carrier-0",
    )
    .await;
    let xml = live_xml(&dom).await;
    assert!(xml.contains(&path) && xml.contains(MAC), "{xml}");

    detach(&dom, DISK_ALIAS).await;
    guest_says(&mut console, &has("block/vda", "c"), "vw-c-none").await;
    detach(&dom, NIC_ALIAS).await;
    guest_says(&mut console, &has("class/net/eth0", "d"), "vw-d-none").await;

    console.abort().await.unwrap();
    dom.destroy().await.unwrap();
    drop_pool(pool, vol).await;
}
