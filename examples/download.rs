//! Copy a storage volume into a file, keeping its holes, as `virsh vol-download --sparse` does.
//!
//! ```sh
//! cargo run --example download -- 'qemu+unix:///system?socket=/run/libvirt/libvirt-sock' \
//!     /var/lib/libvirt/images/disk.raw ./disk.raw
//! ```

use std::time::Instant;

use virtwire::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(uri), Some(volume), Some(file)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: download URI VOLUME-PATH FILE".into());
    };
    let client = Client::connect(&uri).await?;
    let vol = client.lookup_storage_vol_by_path(&volume).await?;
    let started = Instant::now();
    let len = vol.download_file(file.as_ref(), true).await?;
    println!(
        "{} → {file} ({len} bytes in {:.2}s)",
        vol.key(),
        started.elapsed().as_secs_f64()
    );
    client.close().await?;
    Ok(())
}
