//! Virtual networks through the generated typed API. Starting a network on the qemu driver
//! needs the host's firewall tools (iptables/nft) and a bridge in the host's namespace, which
//! the sandbox does not touch: start/destroy run on the test driver; define, autostart, DHCP
//! leases and undefine also run on the qemu driver, checked against `virsh net-info`.

mod common;

use std::process::Command;

use common::Sandbox;
use virtwire::Client;
use virtwire::flags::ConnectListAllNetworksFlags;

fn net_xml(name: &str, bridge: &str) -> String {
    format!(
        "<network><name>{name}</name><bridge name='{bridge}'/>\
         <ip address='192.168.219.1' netmask='255.255.255.0'><dhcp>\
         <range start='192.168.219.10' end='192.168.219.20'/></dhcp></ip></network>"
    )
}

#[tokio::test]
async fn a_network_is_defined_started_stopped_and_undefined() {
    let client = Client::connect(&Sandbox::get().test_uri("networks"))
        .await
        .unwrap();
    let net = client
        .define_network_xml(&net_xml("vw-api-tnet", "vwnet0"))
        .await
        .unwrap();
    assert!(net.is_persistent().await.unwrap());
    assert!(!net.is_active().await.unwrap());
    net.create().await.unwrap();
    assert!(net.is_active().await.unwrap());
    assert_eq!(net.bridge_name().await.unwrap(), "vwnet0");
    let active = client
        .list_all_networks(ConnectListAllNetworksFlags::ACTIVE)
        .await
        .unwrap();
    assert!(
        active.iter().any(|n| n.name() == "vw-api-tnet"),
        "{active:?}"
    );
    let same = client.lookup_network_by_uuid(net.uuid()).await.unwrap();
    assert_eq!(same.name(), "vw-api-tnet");
    net.set_autostart(true).await.unwrap();
    assert!(net.autostart().await.unwrap());
    net.destroy().await.unwrap();
    assert!(!net.is_active().await.unwrap());
    net.undefine().await.unwrap();
    let gone = client.lookup_network_by_name("vw-api-tnet").await;
    assert!(gone.unwrap_err().is_not_found());
}

fn virsh_net_info(name: &str) -> String {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(Sandbox::get().qemu_uri())
        .args(["net-info", name])
        .output()
        .expect("virsh runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn info_line(info: &str, key: &str) -> String {
    let line = info.lines().find(|l| l.starts_with(&format!("{key}:")));
    let line = line.unwrap_or_else(|| panic!("no {key} in {info}"));
    line[key.len() + 1..].trim().to_owned()
}

#[tokio::test]
async fn the_qemu_driver_keeps_a_defined_networks_autostart_and_leases() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    if let Ok(old) = client.lookup_network_by_name("vw-api-qnet").await {
        let _ = old.undefine().await;
    }
    let net = client
        .define_network_xml(&net_xml("vw-api-qnet", "vwapiq0"))
        .await
        .unwrap();
    net.set_autostart(true).await.unwrap();
    let info = virsh_net_info("vw-api-qnet");
    assert_eq!(info_line(&info, "Autostart"), "yes");
    assert_eq!(info_line(&info, "Persistent"), "yes");
    assert_eq!(info_line(&info, "Active"), "no");
    assert_eq!(info_line(&info, "Bridge"), "vwapiq0");
    assert_eq!(info_line(&info, "UUID"), net.uuid_string());
    assert!(
        net.dhcp_leases(None, Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    let xml = net.xml_desc(Default::default()).await.unwrap();
    assert!(xml.contains("192.168.219.10"), "{xml}");
    net.set_autostart(false).await.unwrap();
    assert_eq!(info_line(&virsh_net_info("vw-api-qnet"), "Autostart"), "no");
    net.undefine().await.unwrap();
    assert!(
        client
            .lookup_network_by_name("vw-api-qnet")
            .await
            .unwrap_err()
            .is_not_found()
    );
}
