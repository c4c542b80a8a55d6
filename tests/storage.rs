//! Storage pools and volumes through the generated typed API, against the qemu driver's real
//! directory pools and qcow2 volumes, checked against what `virsh pool-info` / `vol-info`
//! report on the same daemon.

mod common;

use std::process::Command;

use common::Sandbox;
use virtwire::flags::{
    StoragePoolBuildFlags, StoragePoolCreateFlags, StoragePoolDefineFlags, StoragePoolDeleteFlags,
    StorageVolCreateFlags, StorageVolDeleteFlags, StorageVolResizeFlags,
};
use virtwire::proto::c_constants::{StoragePoolState, StorageVolType};
use virtwire::{Client, StoragePool, StorageVol};

const MIB: u64 = 1 << 20;

/// `virsh -c URI <args…> --bytes` on the sandbox's daemon: its `Name: value` lines.
fn virsh_info(args: &[&str]) -> Vec<(String, String)> {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(Sandbox::get().qemu_uri())
        .args(args)
        .arg("--bytes")
        .output()
        .expect("virsh runs");
    assert!(out.status.success(), "virsh {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn field(info: &[(String, String)], name: &str) -> String {
    let found = info.iter().find(|(k, _)| k == name);
    found
        .unwrap_or_else(|| panic!("no {name} in {info:?}"))
        .1
        .clone()
}

fn bytes(info: &[(String, String)], name: &str) -> u64 {
    let v = field(info, name);
    let number = v.split_whitespace().next().unwrap_or_default();
    number
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {v:?}: {e}"))
}

async fn defined_pool(client: &Client, name: &str) -> (StoragePool, String) {
    let dir = format!("{}/pools/{name}", Sandbox::get().dir());
    if let Ok(old) = client.lookup_storage_pool_by_name(name).await {
        let _ = old.destroy().await;
        let _ = old.undefine().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let xml =
        format!("<pool type='dir'><name>{name}</name><target><path>{dir}</path></target></pool>");
    let pool = client
        .define_storage_pool_xml(&xml, StoragePoolDefineFlags::default())
        .await
        .unwrap();
    (pool, dir)
}

#[tokio::test]
async fn a_dir_pool_goes_through_its_lifecycle_as_virsh_sees_it() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let (pool, dir) = defined_pool(&client, "vw-api-pool").await;
    assert!(!pool.is_active().await.unwrap());
    assert!(pool.is_persistent().await.unwrap());
    pool.build(StoragePoolBuildFlags::default()).await.unwrap();
    assert!(std::path::Path::new(&dir).is_dir(), "build made {dir}");
    pool.create(StoragePoolCreateFlags::default())
        .await
        .unwrap();
    pool.refresh(Default::default()).await.unwrap();
    assert!(pool.is_active().await.unwrap());
    pool.set_autostart(true).await.unwrap();
    assert!(pool.autostart().await.unwrap());

    let info = pool.info().await.unwrap();
    let virsh = virsh_info(&["pool-info", "vw-api-pool"]);
    assert_eq!(field(&virsh, "State"), "running");
    assert_eq!(field(&virsh, "Autostart"), "yes");
    assert_eq!(info.state, StoragePoolState::Running);
    assert_eq!(info.capacity, bytes(&virsh, "Capacity"));
    assert!(info.capacity > 0);
    let xml = pool.xml_desc(Default::default()).await.unwrap();
    assert!(xml.contains(&format!("<path>{dir}</path>")), "{xml}");

    pool.set_autostart(false).await.unwrap();
    pool.destroy().await.unwrap();
    assert!(!pool.is_active().await.unwrap());
    assert_eq!(
        field(&virsh_info(&["pool-info", "vw-api-pool"]), "State"),
        "inactive"
    );
    pool.delete(StoragePoolDeleteFlags::default())
        .await
        .unwrap();
    assert!(!std::path::Path::new(&dir).exists(), "delete removed {dir}");
    pool.undefine().await.unwrap();
    let gone = client.lookup_storage_pool_by_name("vw-api-pool").await;
    assert!(gone.unwrap_err().is_not_found());
}

fn qcow2_xml(name: &str, capacity: u64, allocation: u64) -> String {
    format!(
        "<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>\
         <allocation unit='bytes'>{allocation}</allocation>\
         <target><format type='qcow2'/></target></volume>"
    )
}

/// What `virsh vol-info` says of `vol`, checked against `vol.info()`.
async fn assert_vol_info_agrees(vol: &StorageVol) -> (u64, u64) {
    let info = vol.info().await.unwrap();
    let path = vol.path().await.unwrap();
    let virsh = virsh_info(&["vol-info", &path]);
    assert_eq!(field(&virsh, "Name"), vol.name());
    assert_eq!(field(&virsh, "Type"), "file");
    assert_eq!(info.kind, StorageVolType::File);
    assert_eq!(info.capacity, bytes(&virsh, "Capacity"));
    assert_eq!(info.allocation, bytes(&virsh, "Allocation"));
    (info.capacity, info.allocation)
}

#[tokio::test]
async fn qcow2_volumes_are_created_cloned_resized_wiped_and_deleted() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let (pool, dir) = defined_pool(&client, "vw-api-vols").await;
    pool.build(StoragePoolBuildFlags::default()).await.unwrap();
    pool.create(StoragePoolCreateFlags::default())
        .await
        .unwrap();

    let create = StorageVolCreateFlags::default();
    let disk = pool
        .create_volume_xml(&qcow2_xml("disk.qcow2", 64 * MIB, 0), create)
        .await
        .unwrap();
    assert_eq!(disk.path().await.unwrap(), format!("{dir}/disk.qcow2"));
    let (capacity, _) = assert_vol_info_agrees(&disk).await;
    assert_eq!(capacity, 64 * MIB);
    let image = std::fs::read(format!("{dir}/disk.qcow2")).unwrap();
    assert_eq!(&image[..4], b"QFI\xfb", "a qcow2 image");

    let clone = pool
        .create_volume_xml_from(&qcow2_xml("clone.qcow2", 64 * MIB, 0), &disk, create)
        .await
        .unwrap();
    assert_eq!(assert_vol_info_agrees(&clone).await.0, 64 * MIB);
    let mut names: Vec<String> = pool
        .list_all_volumes(Default::default())
        .await
        .unwrap()
        .iter()
        .map(|v| v.name().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["clone.qcow2", "disk.qcow2"]);
    let found = pool.lookup_volume_by_name("clone.qcow2").await.unwrap();
    assert_eq!(found.key(), clone.key());
    assert_eq!(found.lookup_pool().await.unwrap().name(), "vw-api-vols");

    disk.resize(128 * MIB, StorageVolResizeFlags::default())
        .await
        .unwrap();
    assert_eq!(assert_vol_info_agrees(&disk).await.0, 128 * MIB);
    clone.wipe(Default::default()).await.unwrap();
    assert_vol_info_agrees(&clone).await;

    clone
        .delete(StorageVolDeleteFlags::default())
        .await
        .unwrap();
    assert!(!std::path::Path::new(&format!("{dir}/clone.qcow2")).exists());
    disk.delete(StorageVolDeleteFlags::default()).await.unwrap();
    assert!(
        pool.list_all_volumes(Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    pool.destroy().await.unwrap();
    pool.undefine().await.unwrap();
}
