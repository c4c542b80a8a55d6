//! Events against the real libvirtd: the test driver (one node file per test, so tests run in
//! parallel and see only their own events) and the qemu driver for secrets.

mod common;
#[path = "common/proxy.rs"]
mod proxy;

use common::{Sandbox, next_event, next_item};
use virtwire::Client;
use virtwire::events::{
    DomainEvent, DomainEventKind, EventItem, EventStream, Lifecycle, NetworkEventKind,
    NodeDeviceEventKind, QUEUE_CAPACITY, SecretEventKind, StoragePoolEventKind,
};
use virtwire::proto::c_events::{
    DomainEventDefinedDetailType as Defined, DomainEventId,
    DomainEventResumedDetailType as Resumed, DomainEventStartedDetailType as Started,
    DomainEventStoppedDetailType as Stopped, DomainEventSuspendedDetailType as Suspended,
    DomainEventUndefinedDetailType as Undefined, NetworkEventId, NetworkEventLifecycleType,
    NodeDeviceEventId, NodeDeviceEventLifecycleType, SecretEventId, SecretEventLifecycleType,
    StoragePoolEventId, StoragePoolEventLifecycleType,
};
use virtwire::proto::remote;
use virtwire::proto::xdr::XdrString;

fn domain_xml(name: &str) -> String {
    format!(
        "<domain type='test'><name>{name}</name><memory unit='KiB'>262144</memory>\
         <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>"
    )
}

async fn next_lifecycle(stream: &mut EventStream<DomainEvent>) -> (String, Lifecycle) {
    let ev = next_event(stream).await;
    match ev.kind {
        DomainEventKind::Lifecycle(l) => (ev.domain.name().to_owned(), l),
        other => panic!("expected a lifecycle event, got {other:?}"),
    }
}

async fn connect(test: &str) -> Client {
    Client::connect(&Sandbox::get().test_uri(test))
        .await
        .unwrap()
}

#[tokio::test]
async fn lifecycle_events_of_define_start_suspend_resume_destroy_undefine() {
    let client = connect("ev-lifecycle").await;
    let mut events = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();

    let dom = client.define_domain_xml(&domain_xml("evl")).await.unwrap();
    dom.create().await.unwrap();
    dom.suspend().await.unwrap();
    dom.resume().await.unwrap();
    dom.destroy().await.unwrap();
    dom.undefine().await.unwrap();

    let expected = [
        Lifecycle::Defined(Defined::Added),
        Lifecycle::Started(Started::Booted),
        Lifecycle::Suspended(Suspended::Paused),
        Lifecycle::Resumed(Resumed::Unpaused),
        Lifecycle::Stopped(Stopped::Destroyed),
        Lifecycle::Undefined(Undefined::Removed),
    ];
    for want in expected {
        assert_eq!(next_lifecycle(&mut events).await, ("evl".to_owned(), want));
    }
}

#[tokio::test]
async fn an_events_domain_handle_works_at_once() {
    let client = connect("ev-handle").await;
    let mut events = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();
    let dom = client.lookup_domain_by_name("vw-running").await.unwrap();
    dom.suspend().await.unwrap();
    let ev = next_event(&mut events).await;
    assert_eq!(ev.domain.uuid(), dom.uuid());
    let (state, _) = ev.domain.state().await.unwrap();
    assert_eq!(state, virtwire::DomainState::Paused);
}

#[tokio::test]
async fn a_domain_subscription_sees_only_its_domain() {
    let client = connect("ev-filter").await;
    let running = client.lookup_domain_by_name("vw-running").await.unwrap();
    let mut mine = client
        .domain_events(&running, DomainEventId::Lifecycle)
        .await
        .unwrap();
    let other = client.define_domain_xml(&domain_xml("evf")).await.unwrap();
    other.create().await.unwrap();
    running.suspend().await.unwrap();
    assert_eq!(
        next_lifecycle(&mut mine).await,
        (
            "vw-running".to_owned(),
            Lifecycle::Suspended(Suspended::Paused)
        )
    );
}

#[tokio::test]
async fn metadata_change_event_is_typed() {
    let client = connect("ev-metadata").await;
    let dom = client.lookup_domain_by_name("vw-running").await.unwrap();
    let mut events = client
        .domain_events(&dom, DomainEventId::MetadataChange)
        .await
        .unwrap();
    let args = remote::DomainSetMetadataArgs {
        dom: dom.to_remote(),
        r#type: 1, // VIR_DOMAIN_METADATA_TITLE
        metadata: Some(XdrString::try_from("a title").unwrap()),
        ..Default::default()
    };
    client.raw().domain_set_metadata(&args).await.unwrap();
    let ev = next_event(&mut events).await;
    assert_eq!(ev.domain.name(), "vw-running");
    assert_eq!(
        ev.kind,
        DomainEventKind::MetadataChange {
            kind: 1,
            nsuri: None
        }
    );
}

#[tokio::test]
async fn network_lifecycle_events() {
    let client = connect("ev-network").await;
    let mut events = client
        .network_events(None, NetworkEventId::Lifecycle)
        .await
        .unwrap();
    let xml = "<network><name>evnet</name><bridge name='evbr0'/></network>";
    let net = client
        .raw()
        .network_define_xml(&remote::NetworkDefineXmlArgs {
            xml: XdrString::try_from(xml).unwrap(),
        })
        .await
        .unwrap()
        .net;
    let raw = client.raw();
    raw.network_create(&remote::NetworkCreateArgs { net: net.clone() })
        .await
        .unwrap();
    raw.network_destroy(&remote::NetworkDestroyArgs { net: net.clone() })
        .await
        .unwrap();
    raw.network_undefine(&remote::NetworkUndefineArgs { net })
        .await
        .unwrap();
    use NetworkEventLifecycleType as T;
    for want in [T::Defined, T::Started, T::Stopped, T::Undefined] {
        let ev = next_event(&mut events).await;
        assert_eq!(ev.network.name(), "evnet");
        assert_eq!(
            ev.kind,
            NetworkEventKind::Lifecycle {
                event: want,
                detail: 0
            }
        );
    }
}

#[tokio::test]
async fn storage_pool_lifecycle_and_refresh_events() {
    let client = connect("ev-pool").await;
    let pool = client.lookup_storage_pool_by_name("vw-pool").await.unwrap();
    let mut lifecycle = client
        .storage_pool_events(Some(&pool), StoragePoolEventId::Lifecycle)
        .await
        .unwrap();
    let mut refresh = client
        .storage_pool_events(Some(&pool), StoragePoolEventId::Refresh)
        .await
        .unwrap();
    let raw = client.raw();
    raw.storage_pool_refresh(&remote::StoragePoolRefreshArgs {
        pool: pool.to_remote(),
        ..Default::default()
    })
    .await
    .unwrap();
    raw.storage_pool_destroy(&remote::StoragePoolDestroyArgs {
        pool: pool.to_remote(),
    })
    .await
    .unwrap();
    let ev = next_event(&mut refresh).await;
    assert_eq!(ev.pool.name(), "vw-pool");
    assert_eq!(ev.kind, StoragePoolEventKind::Refresh);
    let ev = next_event(&mut lifecycle).await;
    assert_eq!(
        ev.kind,
        StoragePoolEventKind::Lifecycle {
            event: StoragePoolEventLifecycleType::Stopped,
            detail: 0
        }
    );
}

#[tokio::test]
async fn secret_lifecycle_and_value_events_from_the_qemu_driver() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let mut lifecycle = client
        .secret_events(None, SecretEventId::Lifecycle)
        .await
        .unwrap();
    let mut values = client
        .secret_events(None, SecretEventId::ValueChanged)
        .await
        .unwrap();
    // A usage of its own, so that parallel tests' secrets do not mix with this one's.
    let usage = format!("virtwire-events-{}", std::process::id());
    let xml = format!(
        "<secret ephemeral='no' private='yes'><usage type='ceph'><name>{usage}</name></usage>\
         </secret>"
    );
    let raw = client.raw();
    let secret = raw
        .secret_define_xml(&remote::SecretDefineXmlArgs {
            xml: XdrString::try_from(xml.as_str()).unwrap(),
            ..Default::default()
        })
        .await
        .unwrap()
        .secret;
    raw.secret_set_value(&remote::SecretSetValueArgs {
        secret: secret.clone(),
        value: b"s3cret".as_slice().try_into().unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();
    raw.secret_undefine(&remote::SecretUndefineArgs {
        secret: secret.clone(),
    })
    .await
    .unwrap();

    let mine = |ev: &virtwire::events::SecretEvent| ev.secret.usage_id() == usage;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev = next_event(&mut lifecycle).await;
        if mine(&ev) {
            seen.push(ev.kind);
        }
    }
    use SecretEventLifecycleType as T;
    let lifecycle_of = |event| SecretEventKind::Lifecycle { event, detail: 0 };
    assert_eq!(seen, [lifecycle_of(T::Defined), lifecycle_of(T::Undefined)]);
    loop {
        let ev = next_event(&mut values).await;
        if mine(&ev) {
            assert_eq!(ev.kind, SecretEventKind::ValueChanged);
            assert_eq!(ev.secret.uuid(), secret.uuid.0);
            break;
        }
    }
}

#[tokio::test]
async fn two_identical_subscriptions_share_one_registration_and_both_get_every_event() {
    let proxy = proxy::Proxy::start(Sandbox::get().socket()).await;
    let client = Client::connect(&proxy.test_uri("ev-share")).await.unwrap();
    let mut a = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();
    let mut b = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();
    let dom = client.lookup_domain_by_name("vw-running").await.unwrap();
    dom.suspend().await.unwrap();
    let want = (
        "vw-running".to_owned(),
        Lifecycle::Suspended(Suspended::Paused),
    );
    assert_eq!(next_lifecycle(&mut a).await, want);
    assert_eq!(next_lifecycle(&mut b).await, want);
    assert_eq!(proxy.calls(proxy::DOMAIN_REGISTER).len(), 1);

    // The registration stays while one subscriber is left.
    drop(a);
    dom.resume().await.unwrap();
    assert_eq!(
        next_lifecycle(&mut b).await.1,
        Lifecycle::Resumed(Resumed::Unpaused)
    );
    assert!(proxy.calls(proxy::DOMAIN_DEREGISTER).is_empty());
}

#[tokio::test]
async fn dropping_a_stream_deregisters_it_even_outside_a_runtime() {
    let proxy = proxy::Proxy::start(Sandbox::get().socket()).await;
    let client = Client::connect(&proxy.test_uri("ev-dereg")).await.unwrap();
    let dom = client.lookup_domain_by_name("vw-running").await.unwrap();
    let dropped = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();
    let dropped_id = proxy.last_callback_id();
    let mut kept = client
        .domain_events(&dom, DomainEventId::Lifecycle)
        .await
        .unwrap();

    // A thread without a tokio runtime drops it.
    std::thread::spawn(move || drop(dropped)).join().unwrap();
    let serial = proxy.wait_for_call(proxy::DOMAIN_DEREGISTER).await;
    assert_eq!(proxy.call_payload(serial)[..4], dropped_id.to_be_bytes());
    proxy.wait_for_reply(serial).await;

    // The daemon has dropped the callback: the next event goes to the kept one only.
    let before = proxy.events_for(dropped_id);
    dom.suspend().await.unwrap();
    assert_eq!(
        next_lifecycle(&mut kept).await.1,
        Lifecycle::Suspended(Suspended::Paused)
    );
    assert_eq!(proxy.events_for(dropped_id), before);
}

#[tokio::test]
async fn a_subscription_given_up_before_the_daemons_reply_is_deregistered() {
    let proxy = proxy::Proxy::start(Sandbox::get().socket()).await;
    let client = Client::connect(&proxy.test_uri("ev-cancel")).await.unwrap();
    let dom = client.lookup_domain_by_name("vw-running").await.unwrap();
    // one poll sends the register call; dropped before its reply
    let mut subscribe = Box::pin(client.all_domain_events(DomainEventId::Lifecycle));
    let first = futures_poll_once(subscribe.as_mut());
    assert!(first.is_pending(), "the daemon answered within one poll");
    drop(subscribe);
    let register = proxy.wait_for_call(proxy::DOMAIN_REGISTER).await;
    proxy.wait_for_reply(register).await;
    let id = proxy.last_callback_id();

    // the daemon's registration is undone as soon as its reply comes
    let serial = proxy.wait_for_call(proxy::DOMAIN_DEREGISTER).await;
    assert_eq!(proxy.call_payload(serial)[..4], id.to_be_bytes());
    proxy.wait_for_reply(serial).await;

    // the daemon sends that callback nothing more; a new subscription gets its own events
    let mut kept = client
        .domain_events(&dom, DomainEventId::Lifecycle)
        .await
        .unwrap();
    let before = proxy.events_for(id);
    dom.suspend().await.unwrap();
    assert_eq!(
        next_lifecycle(&mut kept).await.1,
        Lifecycle::Suspended(Suspended::Paused)
    );
    assert_eq!(proxy.events_for(id), before);
}

/// Polls `fut` once, with a waker that does nothing.
fn futures_poll_once<F: std::future::Future>(
    fut: std::pin::Pin<&mut F>,
) -> std::task::Poll<F::Output> {
    fut.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

#[tokio::test]
async fn a_consumer_that_does_not_read_gets_lagged_at_the_gap_and_calls_go_on() {
    let client = connect("ev-lagged").await;
    let dom = client.lookup_domain_by_name("vw-running").await.unwrap();
    let mut events = client
        .domain_events(&dom, DomainEventId::Lifecycle)
        .await
        .unwrap();
    let pairs = QUEUE_CAPACITY / 2 + 100;
    // Nobody reads while the daemon sends twice the queue's worth; calls keep working.
    for _ in 0..pairs {
        dom.suspend().await.unwrap();
        dom.resume().await.unwrap();
    }

    let mut before_gap = 0;
    let lagged = loop {
        match next_item(&mut events).await {
            EventItem::Event(_) => before_gap += 1,
            EventItem::Lagged(n) => break n,
            EventItem::Reconnected => panic!("no reconnection here"),
        }
    };
    assert_eq!(before_gap, QUEUE_CAPACITY);
    // A last event once there is room again: Stopped.
    dom.destroy().await.unwrap();
    let mut after_gap = 0;
    loop {
        match next_item(&mut events).await {
            EventItem::Event(ev) => match ev.kind {
                DomainEventKind::Lifecycle(Lifecycle::Stopped(_)) => break,
                _ => after_gap += 1,
            },
            other => panic!("one gap only, got {other:?}"),
        }
    }
    assert_eq!(
        before_gap as u64 + lagged + after_gap,
        2 * pairs as u64,
        "every event is either delivered or counted"
    );
}

#[tokio::test]
async fn the_connections_close_error_ends_every_stream() {
    let proxy = proxy::Proxy::start(Sandbox::get().socket()).await;
    let client = Client::connect(&proxy.test_uri("ev-close")).await.unwrap();
    let mut a = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();
    let mut b = client
        .network_events(None, NetworkEventId::Lifecycle)
        .await
        .unwrap();
    proxy.cut();
    for err in [
        a.next().await.unwrap().unwrap_err(),
        b.next().await.unwrap().unwrap_err(),
    ] {
        assert!(err.is_closed(), "{err:?}");
        assert_eq!(err.close_reason(), Some(virtwire::CloseReason::Eof));
    }
    assert!(a.next().await.is_none());
    assert!(b.next().await.is_none());
}

/// `Client::close` itself ends the event streams, not the daemon hanging up after
/// CONNECT_CLOSE: through a relay that keeps the client's socket open once the daemon has
/// closed its own, the close error is queued by the time `close` returns, with the client's
/// reason, while the transport is still up.
#[tokio::test]
async fn closing_the_client_ends_its_streams() {
    let proxy = proxy::Proxy::start_holding(Sandbox::get().socket()).await;
    let client = Client::connect(&proxy.test_uri("ev-client-close"))
        .await
        .unwrap();
    let mut events = client
        .all_domain_events(DomainEventId::Lifecycle)
        .await
        .unwrap();
    client.close().await.unwrap();
    let polled = futures_poll_once(std::pin::pin!(events.next()));
    let std::task::Poll::Ready(Some(Err(err))) = polled else {
        panic!("the stream did not end when close returned: {polled:?}");
    };
    assert!(err.is_closed(), "{err:?}");
    assert_eq!(
        err.close_reason(),
        Some(virtwire::CloseReason::Client),
        "{err:?}"
    );
    assert!(events.next().await.is_none());
    // the daemon hung up, the client's transport did not end
    proxy.wait_for_daemon_hangup().await;
    assert!(!client.raw().is_closed());
}

/// Two host adapters the test driver can create a virtual HBA on (as in its built-in node).
const FC_HOSTS: &str = "\
<device><name>scsi_host1</name><parent>computer</parent><capability type='scsi_host'>\
<host>1</host><unique_id>0</unique_id><capability type='fc_host'><wwnn>2000000012341234</wwnn>\
<wwpn>1000000012341234</wwpn><fabric_wwn>2000000043214321</fabric_wwn></capability>\
<capability type='vport_ops'><max_vports>0</max_vports><vports>0</vports></capability>\
</capability></device>\
<device><name>scsi_host11</name><parent>scsi_host1</parent><capability type='scsi_host'>\
<host>11</host><unique_id>10</unique_id><capability type='fc_host'>\
<wwnn>2000000034563456</wwnn><wwpn>1000000034563456</wwpn>\
<fabric_wwn>2000000043214321</fabric_wwn></capability></capability></device>";

#[tokio::test]
async fn node_device_created_and_deleted_events() {
    let sb = Sandbox::get();
    let file = sb.new_node_file("ev-nodedev");
    let xml = common::TEST_NODE_XML.replace("</node>", &format!("{FC_HOSTS}</node>"));
    std::fs::write(&file, xml).unwrap();
    let uri = format!("test+unix://{}?socket={}", file.display(), sb.socket());
    let client = Client::connect(&uri).await.unwrap();
    let mut events = client
        .node_device_events(None, NodeDeviceEventId::Lifecycle)
        .await
        .unwrap();
    let vhba = "<device><parent>scsi_host1</parent><capability type='scsi_host'>\
                <capability type='fc_host'><wwnn>2001001b32a9da4e</wwnn>\
                <wwpn>2101001b32a9da4e</wwpn></capability></capability></device>";
    let raw = client.raw();
    let dev = raw
        .node_device_create_xml(&remote::NodeDeviceCreateXmlArgs {
            xml_desc: XdrString::try_from(vhba).unwrap(),
            ..Default::default()
        })
        .await
        .unwrap()
        .dev;
    raw.node_device_destroy(&remote::NodeDeviceDestroyArgs {
        name: dev.name.clone(),
    })
    .await
    .unwrap();
    use NodeDeviceEventLifecycleType as T;
    for want in [T::Created, T::Deleted] {
        let ev = next_event(&mut events).await;
        assert_eq!(ev.device.name(), dev.name.as_str());
        assert_eq!(
            ev.kind,
            NodeDeviceEventKind::Lifecycle {
                event: want,
                detail: 0
            }
        );
    }
}
