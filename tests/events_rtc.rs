//! RTC_CHANGE on the sandbox's TCG guest: the guest sets its hardware clock (busybox hwclock
//! on /dev/rtc0), and the daemon reports the clock's new offset.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::Sandbox;
use guest::{GUEST_PATIENCE, console_exchange, shell};
use virtwire::Client;
use virtwire::events::{DomainEventKind, EventItem};
use virtwire::flags::DomainCreateFlags;
use virtwire::proto::c_events::DomainEventId;

#[tokio::test]
async fn the_guest_setting_its_hardware_clock_gives_an_rtc_change_event() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let name = format!("vw-rtc-{}", std::process::id());
    let dom = client
        .create_domain_xml(&sb.guest_xml(&name), DomainCreateFlags::empty())
        .await
        .unwrap();
    let mut events = client
        .domain_events(&dom, DomainEventId::RtcChange)
        .await
        .unwrap();
    let mut console = shell(&dom).await;
    // a day ahead of the host's clock: an offset no rounding can hide
    console_exchange(
        &mut console,
        "date -s @$(($(date +%s)+86400)) >/dev/null && hwclock -w -u && echo rtc-$((2+3))\n",
        "rtc-5",
    )
    .await;
    let item = tokio::time::timeout(GUEST_PATIENCE, events.next())
        .await
        .expect("no event came")
        .expect("the stream ended")
        .unwrap();
    let EventItem::Event(ev) = item else {
        panic!("{item:?}");
    };
    assert_eq!(ev.domain.name(), name);
    let DomainEventKind::RtcChange { utc_offset } = ev.kind else {
        panic!("{:?}", ev.kind);
    };
    assert!((86_000..=87_000).contains(&utc_offset), "{utc_offset}");
    console.abort().await.unwrap();
    dom.destroy().await.unwrap();
}
