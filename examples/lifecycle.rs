//! The seed's virsh workflow through the API: define a domain from XML, start it, list it,
//! suspend, resume, dump its XML, destroy and undefine it, printing its state at each step.
//!
//! ```sh
//! cargo run --example lifecycle -- 'test+unix:///default?socket=/run/libvirt/libvirt-sock'
//! ```

use virtwire::{Client, Domain};

const XML: &str = "<domain type='test'>
  <name>virtwire-demo</name>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>";

async fn show(step: &str, dom: &Domain) -> virtwire::Result<()> {
    let (state, _reason) = dom.state().await?;
    println!("{step:<10} {:<12} state: {}", dom.name(), state.describe());
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "test:///default".to_owned());
    let client = Client::connect(&uri).await?;
    let v = client.lib_version().await?;
    println!(
        "connected to {} on {} (libvirt {}.{}.{})",
        client.uri().await?,
        client.hostname().await?,
        v / 1_000_000,
        v / 1000 % 1000,
        v % 1000
    );

    let dom = client.define_domain_xml(XML).await?;
    show("define", &dom).await?;
    dom.create().await?;
    show("start", &dom).await?;
    for d in client.list_all_domains(Default::default()).await? {
        let info = d.info().await?;
        println!("  list     {:<12} {}", d.name(), info.state.describe());
    }
    dom.suspend().await?;
    show("suspend", &dom).await?;
    dom.resume().await?;
    show("resume", &dom).await?;
    let xml = dom.xml_desc(Default::default()).await?;
    println!(
        "dumpxml    {} bytes of XML, first line: {}",
        xml.len(),
        xml.lines().next().unwrap_or("")
    );
    dom.destroy().await?;
    show("destroy", &dom).await?;
    dom.undefine().await?;
    match client.lookup_domain_by_name("virtwire-demo").await {
        Err(e) if e.remote().is_some() => println!("undefine   virtwire-demo gone: {e}"),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("the domain is still defined after undefine".into()),
    }
    client.close().await?;
    Ok(())
}
