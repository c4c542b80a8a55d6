//! Copy a file into a storage volume, keeping its holes, as `virsh vol-upload --sparse` does.
//!
//! ```sh
//! cargo run --example upload -- 'qemu+unix:///system?socket=/run/libvirt/libvirt-sock' \
//!     /var/lib/libvirt/images/disk.raw ./disk.raw
//! ```

use std::time::Instant;

use virtwire::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(uri), Some(volume), Some(file)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: upload URI VOLUME-PATH FILE".into());
    };
    let client = Client::connect(&uri).await?;
    let vol = client.lookup_storage_vol_by_path(&volume).await?;
    let started = Instant::now();
    let len = vol.upload_file(file.as_ref(), true).await?;
    let info = vol.info().await?;
    println!(
        "{file} → {} ({len} bytes in {:.2}s; the volume now takes {} bytes)",
        vol.key(),
        started.elapsed().as_secs_f64(),
        info.allocation
    );
    client.close().await?;
    Ok(())
}
