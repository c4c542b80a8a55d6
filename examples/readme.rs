//! The example of README.md, word for word (tests/readme.rs checks): every domain with its
//! state, memory and vCPUs.
//!
//! ```sh
//! cargo run --example readme -- 'qemu+unix:///system?socket=/run/libvirt/libvirt-sock'
//! ```

use virtwire::Client;

#[tokio::main]
async fn main() -> virtwire::Result<()> {
    let uri = std::env::args().nth(1).unwrap_or("qemu:///system".into());
    let client = Client::connect(&uri).await?;
    for dom in client.list_all_domains(Default::default()).await? {
        let info = dom.info().await?;
        println!(
            "{:20} {:12} {} KiB, {} vCPU",
            dom.name(),
            info.state.describe(),
            info.memory_kib,
            info.nr_virt_cpu
        );
    }
    client.close().await
}
