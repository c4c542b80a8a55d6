//! The seed's whole workflow on the qemu driver: a directory pool with a qcow2 volume, a
//! virtual network, a domain whose disk is that volume and that boots from a cdrom; start,
//! list, suspend, resume, dumpxml; the boot device changed to hd and the domain redefined (what
//! `virsh edit` does); a disk and a NIC hot-plugged into the running domain; destroy; and
//! everything removed again. Any step that fails ends the program with an error.
//!
//! ```sh
//! cargo run --example seed -- 'qemu+unix:///system?socket=/run/libvirt/libvirt-sock' /var/tmp/seed-pool
//! ```
//!
//! The domain runs under TCG (`type='qemu'`, no KVM needed); with an empty cdrom and a blank
//! disk its firmware finds nothing to boot, which is all the workflow needs. The network is
//! defined but not started: starting one adds a bridge and firewall rules to the host.

use virtwire::flags::{
    DomainDeviceModifyFlags, DomainXmlFlags, StoragePoolBuildFlags, StoragePoolCreateFlags,
    StoragePoolDeleteFlags, StorageVolCreateFlags, StorageVolDeleteFlags,
};
use virtwire::{Client, Domain, StoragePool, StorageVol};

const POOL: &str = "virtwire-seed";
const NETWORK: &str = "virtwire-seed";
const DOMAIN: &str = "virtwire-seed";
const MIB: u64 = 1 << 20;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn volume_xml(name: &str, capacity: u64) -> String {
    format!(
        "<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>\
         <target><format type='qcow2'/></target></volume>"
    )
}

fn domain_xml(disk: &str) -> String {
    format!(
        "<domain type='qemu'>
  <name>{DOMAIN}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='cdrom'/></os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='{disk}'/><target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <graphics type='vnc'><listen type='none'/></graphics>
  </devices>
</domain>"
    )
}

const NETWORK_XML: &str = "<network><name>virtwire-seed</name><bridge name='vwseed0'/>\
    <ip address='192.168.151.1' netmask='255.255.255.0'><dhcp>\
    <range start='192.168.151.10' end='192.168.151.100'/></dhcp></ip></network>";

/// Removes what an earlier, interrupted run left behind.
async fn clean_up(client: &Client) {
    if let Ok(dom) = client.lookup_domain_by_name(DOMAIN).await {
        let _ = dom.destroy().await;
        let _ = dom.undefine().await;
    }
    if let Ok(pool) = client.lookup_storage_pool_by_name(POOL).await {
        let _ = pool.create(StoragePoolCreateFlags::default()).await;
        for vol in pool
            .list_all_volumes(Default::default())
            .await
            .unwrap_or_default()
        {
            let _ = vol.delete(StorageVolDeleteFlags::default()).await;
        }
        let _ = pool.destroy().await;
        let _ = pool.delete(StoragePoolDeleteFlags::default()).await;
        let _ = pool.undefine().await;
    }
    if let Ok(net) = client.lookup_network_by_name(NETWORK).await {
        let _ = net.undefine().await;
    }
}

async fn make_pool(client: &Client, dir: &str) -> Result<(StoragePool, StorageVol)> {
    let xml =
        format!("<pool type='dir'><name>{POOL}</name><target><path>{dir}</path></target></pool>");
    let pool = client
        .define_storage_pool_xml(&xml, Default::default())
        .await?;
    pool.build(StoragePoolBuildFlags::default()).await?;
    pool.create(StoragePoolCreateFlags::default()).await?;
    let vol = pool
        .create_volume_xml(
            &volume_xml("seed.qcow2", 64 * MIB),
            StorageVolCreateFlags::default(),
        )
        .await?;
    let info = vol.info().await?;
    println!(
        "pool {POOL}: volume {} ({} MiB, {} KiB allocated) at {}",
        vol.name(),
        info.capacity / MIB,
        info.allocation / 1024,
        vol.path().await?
    );
    Ok((pool, vol))
}

async fn show(step: &str, dom: &Domain) -> Result<()> {
    let info = dom.info().await?;
    println!(
        "{step:<9} {}: {}, {} MiB, {} vCPU",
        dom.name(),
        info.state.describe(),
        info.memory_kib / 1024,
        info.nr_virt_cpu
    );
    Ok(())
}

/// `virsh edit`: the persistent definition with the boot device changed, defined again.
async fn boot_from_hd(client: &Client, dom: &Domain) -> Result<()> {
    let xml = dom.xml_desc(DomainXmlFlags::INACTIVE).await?;
    let edited = xml.replace("<boot dev='cdrom'/>", "<boot dev='hd'/>");
    if edited == xml {
        return Err("the definition has no <boot dev='cdrom'/>".into());
    }
    client.define_domain_xml(&edited).await?;
    let now = dom.xml_desc(DomainXmlFlags::INACTIVE).await?;
    if !now.contains("<boot dev='hd'/>") {
        return Err("the redefined domain does not boot from hd".into());
    }
    println!(
        "redefine  {}: boots from hd from its next start",
        dom.name()
    );
    Ok(())
}

/// Attaches a second qcow2 volume and a NIC to the running domain.
async fn hot_plug(dom: &Domain, pool: &StoragePool) -> Result<StorageVol> {
    let data = pool
        .create_volume_xml(
            &volume_xml("data.qcow2", 16 * MIB),
            StorageVolCreateFlags::default(),
        )
        .await?;
    let disk = format!(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vdb' bus='virtio'/></disk>",
        data.path().await?
    );
    let nic = "<interface type='user'><mac address='52:54:00:5e:ed:01'/>\
               <model type='virtio'/></interface>";
    dom.attach_device_flags(&disk, DomainDeviceModifyFlags::LIVE)
        .await?;
    dom.attach_device_flags(nic, DomainDeviceModifyFlags::LIVE)
        .await?;
    let live = dom.xml_desc(DomainXmlFlags::default()).await?;
    if !live.contains("<target dev='vdb' bus='virtio'/>") || !live.contains("52:54:00:5e:ed:01") {
        return Err("the hot-plugged devices are not in the live definition".into());
    }
    println!(
        "hot-plug  {}: disk vdb ({}) and a virtio NIC",
        dom.name(),
        data.name()
    );
    Ok(data)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let uri = args.next().unwrap_or_else(|| "qemu:///system".to_owned());
    let dir = args
        .next()
        .unwrap_or_else(|| "/var/lib/libvirt/images/virtwire-seed".to_owned());
    let client = Client::connect(&uri).await?;
    println!(
        "connected to {} on {}",
        client.uri().await?,
        client.hostname().await?
    );
    clean_up(&client).await;

    let (pool, vol) = make_pool(&client, &dir).await?;
    let net = client.define_network_xml(NETWORK_XML).await?;
    println!(
        "network {}: defined, uuid {}",
        net.name(),
        net.uuid_string()
    );

    let dom = client
        .define_domain_xml(&domain_xml(&vol.path().await?))
        .await?;
    show("define", &dom).await?;
    dom.create().await?;
    show("start", &dom).await?;
    for d in client.list_all_domains(Default::default()).await? {
        println!(
            "  list    {:<16} {}",
            d.name(),
            d.info().await?.state.describe()
        );
    }
    dom.suspend().await?;
    show("suspend", &dom).await?;
    dom.resume().await?;
    show("resume", &dom).await?;
    let xml = dom.xml_desc(DomainXmlFlags::default()).await?;
    println!(
        "dumpxml   {} lines, first: {}",
        xml.lines().count(),
        xml.lines().next().unwrap_or("")
    );
    boot_from_hd(&client, &dom).await?;
    let data = hot_plug(&dom, &pool).await?;
    dom.destroy().await?;
    show("destroy", &dom).await?;

    dom.undefine().await?;
    net.undefine().await?;
    data.delete(StorageVolDeleteFlags::default()).await?;
    vol.delete(StorageVolDeleteFlags::default()).await?;
    pool.destroy().await?;
    pool.delete(StoragePoolDeleteFlags::default()).await?;
    pool.undefine().await?;
    println!("removed   the domain, the network, the volumes and the pool");
    client.close().await?;
    Ok(())
}
