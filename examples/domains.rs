//! List the domains on a connection with their state, memory, vCPUs and CPU time, as
//! `virsh dominfo` shows them.
//!
//! ```sh
//! cargo run --example domains -- 'test+unix:///default?socket=/run/libvirt/libvirt-sock'
//! ```

use virtwire::Client;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "qemu:///system".to_owned());
    let client = Client::connect(&uri).await?;
    let domains = client.list_all_domains(Default::default()).await?;
    println!("{} domain(s) on {}", domains.len(), client.uri().await?);
    for dom in &domains {
        let info = dom.info().await?;
        println!();
        println!("Name:           {}", dom.name());
        println!("UUID:           {}", dom.uuid_string());
        println!("State:          {}", info.state.describe());
        println!("CPU(s):         {}", info.nr_virt_cpu);
        println!("CPU time:       {:.1}s", info.cpu_time_ns as f64 / 1e9);
        println!("Max memory:     {} KiB", info.max_mem_kib);
        println!("Used memory:    {} KiB", info.memory_kib);
    }
    client.close().await?;
    Ok(())
}
