//! The reconnecting supervisor against the real daemon: the sandbox's libvirtd is stopped and
//! started again while a subscription is live. One test in its own binary, since it takes the
//! daemon away from everything else for a moment.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Sandbox, next_event, next_item};
use virtwire::events::{DomainEvent, DomainEventKind, EventItem, Lifecycle};
use virtwire::events::{ReconnectPolicy, Supervisor};
use virtwire::proto::c_events::{DomainEventId, DomainEventSuspendedDetailType};

/// Stops the sandbox's main libvirtd and waits until it is gone.
fn stop_libvirtd() {
    let pidfile = format!("{}/run/libvirtd.pid", Sandbox::get().dir());
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let pid = pid.trim();
    assert!(Command::new("kill").arg(pid).status().unwrap().success());
    let proc = format!("/proc/{pid}");
    while std::path::Path::new(&proc).exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts it again (the sandbox script starts what is not running).
fn start_sandbox() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox.sh");
    let out = Command::new("bash")
        .args([script, "start", Sandbox::get().dir()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn after_libvirtd_restarts_subscriptions_come_back_and_events_flow() {
    let policy = ReconnectPolicy {
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
        max_attempts: None,
    };
    let sup = Supervisor::connect(&Sandbox::get().test_uri("ev-reconnect"), policy)
        .await
        .unwrap();
    let mut events = sup
        .watch(DomainEvent::watch(DomainEventId::Lifecycle, None))
        .await
        .unwrap();
    let first = sup.client();

    tokio::task::spawn_blocking(|| {
        stop_libvirtd();
        start_sandbox();
    })
    .await
    .unwrap();

    let item = next_item(&mut events).await;
    assert!(matches!(item, EventItem::Reconnected), "{item:?}");
    assert!(first.raw().is_closed(), "the first connection died");

    let client = sup.client();
    assert!(!client.raw().is_closed());
    let dom = client.lookup_domain_by_name("vw-running").await.unwrap();
    dom.suspend().await.unwrap();
    let ev = next_event(&mut events).await;
    assert_eq!(ev.domain.name(), "vw-running");
    assert_eq!(
        ev.kind,
        DomainEventKind::Lifecycle(Lifecycle::Suspended(DomainEventSuspendedDetailType::Paused))
    );
    // The event's handle belongs to the new connection.
    assert_eq!(
        ev.domain.state().await.unwrap().0,
        virtwire::DomainState::Paused
    );
}
