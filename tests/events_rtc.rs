//! RTC_CHANGE on the sandbox's TCG guest: the guest sets its hardware clock (busybox hwclock
//! on /dev/rtc0), and the daemon reports the clock's new offset.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::next_event;
use guest::{console_exchange, domain_events, guest_name, shell, start_with};
use virtwire::events::DomainEventKind;
use virtwire::proto::c_events::DomainEventId;

#[tokio::test]
async fn the_guest_setting_its_hardware_clock_gives_an_rtc_change_event() {
    let name = guest_name("rtc");
    let (client, dom) = start_with(&name, |xml| xml).await;
    let mut events = domain_events(&client, &dom, DomainEventId::RtcChange).await;
    let mut console = shell(&dom).await;
    // a day ahead of the host's clock: an offset no rounding can hide
    console_exchange(
        &mut console,
        "date -s @$(($(date +%s)+86400)) >/dev/null && hwclock -w -u && echo rtc-$((2+3))\n",
        "rtc-5",
    )
    .await;
    let ev = next_event(&mut events).await;
    assert_eq!(ev.domain.name(), name);
    let DomainEventKind::RtcChange { utc_offset } = ev.kind else {
        panic!("{:?}", ev.kind);
    };
    assert!((86_000..=87_000).contains(&utc_offset), "{utc_offset}");
    console.abort().await.unwrap();
    dom.destroy().await.unwrap();
}
