//! BALLOON_CHANGE on the sandbox's TCG guest: with a virtio balloon (the guest loads its
//! driver), shrinking the live memory makes the guest inflate the balloon and the daemon
//! report the new size.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::next_event;
use guest::{GUEST_PATIENCE, domain_events, guest_name, start_with, wait_for_shell};
use virtwire::events::DomainEventKind;
use virtwire::proto::c_events::DomainEventId;

#[tokio::test]
async fn shrinking_the_memory_of_a_guest_with_a_balloon_gives_balloon_change_events() {
    let name = guest_name("balloon");
    let (client, dom) = start_with(&name, |xml| {
        let xml = xml.replace("<memballoon model='none'/>", "<memballoon model='virtio'/>");
        assert!(
            xml.contains("model='virtio'/>"),
            "the guest XML has no memballoon to change"
        );
        xml
    })
    .await;
    let mut events = domain_events(&client, &dom, DomainEventId::BalloonChange).await;
    // the guest's balloon driver must be up to answer
    wait_for_shell(&dom).await;
    let target_kib = 160 * 1024;
    dom.set_memory(target_kib).await.unwrap();
    // the balloon inflates in steps: each step is an event, the last at the target
    let reached = async {
        loop {
            let ev = next_event(&mut events).await;
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
