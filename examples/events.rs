//! Print every event of every family the daemon lets us register, one line each, as
//! `virsh event --all --loop` does, until the connection ends (or Ctrl-C).
//!
//! ```sh
//! cargo run --example events -- 'test+unix:///default?socket=/run/libvirt/libvirt-sock'
//! ```
//!
//! Then change something from elsewhere (`virsh -c … suspend test`) and watch the lines.

use virtwire::Client;
use virtwire::events::{
    ConnectionClosed, DomainEvent, Event, EventItem, EventStream, NetworkEvent, NodeDeviceEvent,
    SecretEvent, StoragePoolEvent, Watch,
};
use virtwire::proto::c_events::{
    DomainEventId, NetworkEventId, NodeDeviceEventId, SecretEventId, StoragePoolEventId,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "qemu:///system".to_owned());
    let client = Client::connect(&uri).await?;
    let mut tasks = tokio::task::JoinSet::new();

    // Every domain event id this build knows; the daemon refuses the ones it does not.
    for n in 0..=29 {
        let id = DomainEventId::from_i32(n);
        let watch = DomainEvent::watch(id, None);
        subscribe(&client, &mut tasks, watch, &format!("{id:?}"), |e| {
            format!("for domain '{}': {:?}", e.domain.name(), e.kind)
        })
        .await;
    }
    for id in [NetworkEventId::Lifecycle, NetworkEventId::MetadataChange] {
        subscribe(
            &client,
            &mut tasks,
            NetworkEvent::watch(id, None),
            &format!("network {id:?}"),
            |e| format!("for network '{}': {:?}", e.network.name(), e.kind),
        )
        .await;
    }
    for id in [StoragePoolEventId::Lifecycle, StoragePoolEventId::Refresh] {
        let watch = StoragePoolEvent::watch(id, None);
        subscribe(&client, &mut tasks, watch, &format!("pool {id:?}"), |e| {
            format!("for pool '{}': {:?}", e.pool.name(), e.kind)
        })
        .await;
    }
    for id in [NodeDeviceEventId::Lifecycle, NodeDeviceEventId::Update] {
        let watch = NodeDeviceEvent::watch(id, None);
        subscribe(
            &client,
            &mut tasks,
            watch,
            &format!("nodedev {id:?}"),
            |e| format!("for node device '{}': {:?}", e.device.name(), e.kind),
        )
        .await;
    }
    for id in [SecretEventId::Lifecycle, SecretEventId::ValueChanged] {
        let watch = SecretEvent::watch(id, None);
        subscribe(&client, &mut tasks, watch, &format!("secret {id:?}"), |e| {
            format!("for secret {}: {:?}", e.secret.uuid_string(), e.kind)
        })
        .await;
    }
    subscribe(
        &client,
        &mut tasks,
        ConnectionClosed::watch(),
        "connection-closed",
        |e| format!("{:?}", e.reason),
    )
    .await;

    eprintln!(
        "watching {} event kinds on {}",
        tasks.len(),
        client.uri().await?
    );
    tokio::select! {
        _ = async { while tasks.join_next().await.is_some() {} } => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

/// Registers `watch` and prints its events in a task of their own; a refused registration
/// (an event id the daemon's driver does not support) is reported and skipped.
async fn subscribe<T: Event>(
    client: &Client,
    tasks: &mut tokio::task::JoinSet<()>,
    watch: Watch<T>,
    name: &str,
    describe: fn(&T) -> String,
) {
    match client.watch(watch).await {
        Ok(stream) => {
            tasks.spawn(print_events(stream, name.to_owned(), describe));
        }
        Err(e) => eprintln!("not watching {name}: {e}"),
    }
}

async fn print_events<T: Event>(
    mut stream: EventStream<T>,
    name: String,
    describe: fn(&T) -> String,
) {
    while let Some(item) = stream.next().await {
        match item {
            Ok(EventItem::Event(e)) => println!("event '{name}' {}", describe(&e)),
            Ok(EventItem::Lagged(n)) => println!("event '{name}': {n} events missed"),
            Ok(EventItem::Reconnected) => println!("event '{name}': reconnected"),
            Err(e) if e.is_closed() => {
                println!("event '{name}': {e}");
                break;
            }
            Err(e) => println!("event '{name}': {e}"),
        }
    }
}
