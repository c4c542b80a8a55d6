//! The sandbox's TCG guest for integration tests: starting it, talking to its shell on the
//! serial console.
#![allow(dead_code)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtwire::events::{DomainEvent, EventStream};
use virtwire::flags::{DomainConsoleFlags, StoragePoolCreateFlags, StorageVolCreateFlags};
use virtwire::proto::c_events::DomainEventId;
use virtwire::{Client, Domain, StoragePool, StorageVol, Stream};

use crate::common::Sandbox;

/// Guards the whole of one console exchange: the guest boots in seconds under TCG, but a loaded
/// machine may take much longer; past this the test fails instead of hanging.
pub const GUEST_PATIENCE: Duration = Duration::from_secs(180);

/// Starts the guest as a transient domain named `name` (destroying a leftover of that name).
pub async fn start_guest(client: &Client, name: &str) -> Domain {
    start_guest_with(client, name, |xml| xml).await
}

/// [`start_guest`] with the guest's XML changed by `edit` first (an extra device, say).
pub async fn start_guest_with(
    client: &Client,
    name: &str,
    edit: impl FnOnce(String) -> String,
) -> Domain {
    if let Ok(old) = client.lookup_domain_by_name(name).await {
        let _ = old.destroy().await;
    }
    let xml = edit(Sandbox::get().guest_xml(name));
    client
        .create_domain_xml(&xml, Default::default())
        .await
        .unwrap()
}

/// A connection to the sandbox's qemu driver and the guest started on it as a transient
/// domain named `name`, its XML changed by `edit` first (see [`with_devices`]).
pub async fn start_with(name: &str, edit: impl FnOnce(String) -> String) -> (Client, Domain) {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let dom = start_guest_with(&client, name, edit).await;
    (client, dom)
}

/// A guest name of this test process: `vw-<what>-<pid>`.
pub fn guest_name(what: &str) -> String {
    format!("vw-{what}-{}", std::process::id())
}

/// `xml` with `devices` added to its `<devices>`.
pub fn with_devices(xml: String, devices: &str) -> String {
    let more = xml.replace("</devices>", &format!("{devices}</devices>"));
    assert_ne!(more, xml, "the guest XML has no </devices>");
    more
}

/// A sparse file of `len` bytes named `file` in the sandbox's directory (a disk image for the
/// guest); its path.
pub fn sandbox_file(file: &str, len: u64) -> String {
    let path = format!("{}/{file}", Sandbox::get().dir());
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

/// Subscribes `client` to the events of `id` of `dom`.
pub async fn domain_events(
    client: &Client,
    dom: &Domain,
    id: DomainEventId,
) -> EventStream<DomainEvent> {
    client.domain_events(dom, id).await.unwrap()
}

/// Types `command` on the console until the guest's shell answers with a line containing
/// `expect`; returns everything read. QEMU drops what the guest writes while no client is
/// attached and notices a new one only about once a second, so the first lines may be lost:
/// the command is typed again every second until the answer comes.
pub async fn console_exchange(console: &mut Stream, command: &str, expect: &str) -> String {
    let mut seen = Vec::new();
    let exchange = async {
        loop {
            console.write_all(command.as_bytes()).await.unwrap();
            let mut buf = [0u8; 4096];
            let round = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(round);
            loop {
                tokio::select! {
                    n = console.read(&mut buf) => {
                        let n = n.unwrap();
                        assert!(n > 0, "the console ended");
                        seen.extend_from_slice(&buf[..n]);
                        if String::from_utf8_lossy(&seen).lines().any(|l| l.trim_end() == expect) {
                            return;
                        }
                    }
                    _ = &mut round => break,
                }
            }
        }
    };
    if tokio::time::timeout(GUEST_PATIENCE, exchange)
        .await
        .is_err()
    {
        panic!(
            "no {expect:?} from the guest; the console gave: {:?}",
            String::from_utf8_lossy(&seen)
        );
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Waits until the guest's shell answers on the console (unplugging a device or inflating a
/// balloon needs the guest's kernel and drivers up), then lets the console go.
pub async fn wait_for_shell(dom: &Domain) {
    shell(dom).await.abort().await.unwrap();
}

/// The guest's console, once its shell answers (unplugging a device needs the guest's kernel
/// up, and QEMU may drop the first lines typed).
pub async fn shell(dom: &Domain) -> Stream {
    let mut console = dom
        .open_console(None, DomainConsoleFlags::FORCE)
        .await
        .unwrap();
    console_exchange(&mut console, "echo vw-$((6*7))\n", "vw-42").await;
    console
}

/// A transient directory pool `name` in the sandbox with one qcow2 volume `disk.qcow2` of
/// `capacity` bytes, made through the typed API; the volume's path is `vol.path()`.
pub async fn qcow2_volume(client: &Client, name: &str, capacity: u64) -> (StoragePool, StorageVol) {
    let dir = format!("{}/pools/{name}", Sandbox::get().dir());
    if let Ok(old) = client.lookup_storage_pool_by_name(name).await {
        let _ = old.destroy().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let xml =
        format!("<pool type='dir'><name>{name}</name><target><path>{dir}</path></target></pool>");
    let pool = client
        .create_storage_pool_xml(&xml, StoragePoolCreateFlags::default())
        .await
        .unwrap();
    let vol_xml = format!(
        "<volume><name>disk.qcow2</name><capacity unit='bytes'>{capacity}</capacity>\
         <target><format type='qcow2'/></target></volume>"
    );
    let vol = pool
        .create_volume_xml(&vol_xml, StorageVolCreateFlags::default())
        .await
        .unwrap();
    (pool, vol)
}

/// Deletes the volume and destroys its transient pool (which removes the pool).
pub async fn drop_pool(pool: StoragePool, vol: StorageVol) {
    vol.delete(Default::default()).await.unwrap();
    pool.destroy().await.unwrap();
}
