//! Snapshots through the typed API on the qemu driver: internal snapshots (disk and memory in
//! the qcow2 image) of the running TCG guest, listed, looked up, reverted (the guest's memory
//! comes back as it was) and deleted.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::Sandbox;
use guest::{console_exchange, drop_pool, qcow2_volume, shell};
use virtwire::flags::{
    DomainSnapshotDeleteFlags, DomainSnapshotListFlags, DomainSnapshotRevertFlags,
    DomainSnapshotXmlFlags,
};
use virtwire::{Client, Domain, DomainSnapshot, DomainState};

async fn names(dom: &Domain) -> Vec<String> {
    let mut names: Vec<String> = dom
        .list_all_snapshots(DomainSnapshotListFlags::default())
        .await
        .unwrap()
        .iter()
        .map(|s| s.name().to_owned())
        .collect();
    names.sort();
    names
}

async fn current(dom: &Domain) -> String {
    dom.snapshot_current(Default::default())
        .await
        .unwrap()
        .name()
        .to_owned()
}

/// Sets the guest's state: a file in its RAM-backed root.
async fn set_state(dom: &Domain, value: &str) {
    let mut console = shell(dom).await;
    let cmd = format!("echo {value} >/vw-state; echo vw-set-$(cat /vw-state)\n");
    console_exchange(&mut console, &cmd, &format!("vw-set-{value}")).await;
    console.abort().await.unwrap();
}

async fn assert_state(dom: &Domain, value: &str) {
    let mut console = shell(dom).await;
    let cmd = "echo vw-state-$(cat /vw-state)\n";
    console_exchange(&mut console, cmd, &format!("vw-state-{value}")).await;
    console.abort().await.unwrap();
}

async fn take(dom: &Domain, name: &str, description: &str) -> DomainSnapshot {
    dom.snapshot_create(name, Some(description), Default::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn snapshots_of_a_running_qcow2_guest_revert_its_memory_and_delete() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let (pool, vol) = qcow2_volume(&client, "vw-snapshots", 16 << 20).await;
    let path = vol.path().await.unwrap();
    let disk = format!(
        "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{path}'/><target dev='vda' bus='virtio'/></disk>"
    );
    let xml = sb.guest_xml("vw-snapshots").replacen("<devices>", &disk, 1);
    if let Ok(old) = client.lookup_domain_by_name("vw-snapshots").await {
        let _ = old.destroy().await;
    }
    let dom = client
        .create_domain_xml(&xml, Default::default())
        .await
        .unwrap();
    assert!(names(&dom).await.is_empty());

    set_state(&dom, "one").await;
    let first = take(&dom, "vw-first", "state <one> & 'more'").await;
    assert_eq!(first.name(), "vw-first");
    let desc = first
        .xml_desc(DomainSnapshotXmlFlags::default())
        .await
        .unwrap();
    assert!(
        desc.contains("<description>state &lt;one&gt; &amp; &apos;more&apos;</description>")
            && desc.contains("<state>running</state>")
            && desc.contains("snapshot='internal'"),
        "{desc}"
    );
    set_state(&dom, "two").await;
    let second = take(&dom, "vw-second", "state two").await;
    assert_eq!(names(&dom).await, ["vw-first", "vw-second"]);
    assert_eq!(current(&dom).await, "vw-second");
    assert_eq!(
        second.parent(Default::default()).await.unwrap().name(),
        "vw-first"
    );
    assert!(second.is_current(Default::default()).await.unwrap());
    let looked_up = dom
        .snapshot_lookup_by_name("vw-first", Default::default())
        .await
        .unwrap();
    assert!(!looked_up.is_current(Default::default()).await.unwrap());
    assert_eq!(looked_up.domain().name(), "vw-snapshots");

    set_state(&dom, "three").await;
    looked_up
        .revert(DomainSnapshotRevertFlags::default())
        .await
        .unwrap();
    assert_eq!(dom.info().await.unwrap().state, DomainState::Running);
    assert_state(&dom, "one").await;
    assert_eq!(current(&dom).await, "vw-first");
    second
        .revert(DomainSnapshotRevertFlags::default())
        .await
        .unwrap();
    assert_state(&dom, "two").await;

    first
        .delete(DomainSnapshotDeleteFlags::CHILDREN)
        .await
        .unwrap();
    assert!(names(&dom).await.is_empty());
    let gone = dom
        .snapshot_lookup_by_name("vw-second", Default::default())
        .await;
    assert!(gone.unwrap_err().is_not_found());
    assert_state(&dom, "two").await;

    dom.destroy().await.unwrap();
    drop_pool(pool, vol).await;
}
