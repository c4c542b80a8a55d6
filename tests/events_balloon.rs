//! BALLOON_CHANGE on the sandbox's TCG guest: with a virtio balloon (the guest loads its
//! driver), shrinking the live memory makes the guest inflate the balloon and the daemon
//! report the new size.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::Sandbox;
use guest::{GUEST_PATIENCE, shell};
use virtwire::Client;
use virtwire::events::{DomainEventKind, EventItem};
use virtwire::flags::DomainCreateFlags;
use virtwire::proto::c_events::DomainEventId;

#[tokio::test]
async fn shrinking_the_memory_of_a_guest_with_a_balloon_gives_balloon_change_events() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let name = format!("vw-balloon-{}", std::process::id());
    let xml = sb
        .guest_xml(&name)
        .replace("<memballoon model='none'/>", "<memballoon model='virtio'/>");
    assert!(
        xml.contains("model='virtio'/>"),
        "the guest XML has no memballoon to change"
    );
    let dom = client
        .create_domain_xml(&xml, DomainCreateFlags::empty())
        .await
        .unwrap();
    let mut events = client
        .domain_events(&dom, DomainEventId::BalloonChange)
        .await
        .unwrap();
    // the guest's balloon driver must be up to answer
    shell(&dom).await.abort().await.unwrap();
    let target_kib = 160 * 1024;
    dom.set_memory(target_kib).await.unwrap();
    // the balloon inflates in steps: each step is an event, the last at the target
    let reached = async {
        loop {
            let item = events.next().await.expect("the stream ended").unwrap();
            let EventItem::Event(ev) = item else {
                panic!("{item:?}");
            };
            assert_eq!(ev.domain.name(), name);
            let DomainEventKind::BalloonChange { actual_kib } = ev.kind else {
                panic!("{:?}", ev.kind);
            };
            assert!(actual_kib < 192 * 1024, "{actual_kib}");
            if actual_kib == target_kib {
                return;
            }
        }
    };
    tokio::time::timeout(GUEST_PATIENCE, reached)
        .await
        .expect("the balloon never reached its target");
    dom.destroy().await.unwrap();
}
