//! The sandbox's TCG guest (scripts/guest.sh) boots under the qemu driver.

mod common;

use common::Sandbox;
use virtwire::{Client, DomainState};

#[tokio::test]
async fn the_tcg_guest_boots_and_runs_under_the_qemu_driver() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let dom = client
        .create_domain_xml(&sb.guest_xml("vw-guest-boots"), Default::default())
        .await
        .unwrap();
    assert!(dom.id() > 0, "a running domain has an id");
    let info = dom.info().await.unwrap();
    assert_eq!(info.state, DomainState::Running);
    assert_eq!(info.memory_kib, 192 * 1024);
    dom.destroy().await.unwrap();
    let err = client
        .lookup_domain_by_name("vw-guest-boots")
        .await
        .unwrap_err();
    assert!(
        err.is_remote(),
        "a destroyed transient domain is gone: {err}"
    );
    client.close().await.unwrap();
}
