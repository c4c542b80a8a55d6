//! The workloads, each the same as its twin in baseline/bench.c.

use virtwire::rpc::{Chunk, DATA_CHUNK_MAX};
use virtwire::{Client, Domain, Result, StorageVol};

/// `n` CONNECT_GET_LIB_VERSION calls, one after the other.
pub async fn seq_lib_version(client: &Client, n: u64) -> Result<u64> {
    for _ in 0..n {
        client.lib_version().await?;
    }
    Ok(n)
}

/// `n` DOMAIN_GET_INFO calls, one after the other.
pub async fn seq_dom_info(dom: &Domain, n: u64) -> Result<u64> {
    for _ in 0..n {
        dom.info().await?;
    }
    Ok(n)
}

/// `n` DOMAIN_GET_XML_DESC calls, one after the other.
pub async fn seq_xml_desc(dom: &Domain, n: u64) -> Result<u64> {
    for _ in 0..n {
        dom.xml_desc(Default::default()).await?;
    }
    Ok(n)
}

/// `n` CONNECT_GET_LIB_VERSION calls shared by `tasks` tasks on one connection.
pub async fn tasks_lib_version(client: &Client, tasks: u64, n: u64) -> Result<u64> {
    let per_task = n / tasks;
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            seq_lib_version(&client, per_task).await
        }));
    }
    let mut done = 0;
    for h in handles {
        done += h.await.expect("a benchmark task panicked")?;
    }
    Ok(done)
}

/// `n` CONNECT_LIST_ALL_DOMAINS calls; fails unless each returns `expect` domains.
pub async fn list_all(client: &Client, n: u64, expect: usize) -> Result<u64> {
    for _ in 0..n {
        let got = client.list_all_domains(Default::default()).await?.len();
        assert_eq!(got, expect, "the listing has the wrong number of domains");
    }
    Ok(n)
}

/// `n` CONNECT_GET_ALL_DOMAIN_STATS calls (every stats group the driver has, every domain);
/// fails unless each returns `expect` records.
pub async fn all_domain_stats(client: &Client, n: u64, expect: usize) -> Result<u64> {
    for _ in 0..n {
        let got = client
            .all_domain_stats(&[], Default::default(), Default::default())
            .await?
            .len();
        assert_eq!(got, expect, "the stats have the wrong number of records");
    }
    Ok(n)
}

/// Reads the whole volume `vol` through a download stream, dropping the
/// data; returns the MiB read. Fails unless that is `mib` MiB.
pub async fn download(vol: &StorageVol, mib: u64) -> Result<u64> {
    let mut stream = vol.download(0, 0, Default::default()).await?;
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next_chunk().await? {
        match chunk {
            Chunk::Data(data) => bytes += data.len() as u64,
            Chunk::Hole(len) => bytes += len,
        }
    }
    assert_eq!(bytes, mib << 20, "the download has the wrong length");
    Ok(mib)
}

/// Writes `mib` MiB to the volume `vol` through an upload stream, in chunks
/// of the protocol's largest data packet (as libvirt's virStreamSendAll does); returns the
/// MiB written once the daemon confirms.
pub async fn upload(vol: &StorageVol, mib: u64) -> Result<u64> {
    let total = mib << 20;
    let chunk = vec![0x5a_u8; DATA_CHUNK_MAX];
    let mut stream = vol.upload(0, total, Default::default()).await?;
    let mut sent = 0u64;
    while sent < total {
        let len = (total - sent).min(chunk.len() as u64) as usize;
        stream.send(&chunk[..len]).await?;
        sent += len as u64;
    }
    stream.finish().await?;
    Ok(mib)
}

/// `n` connections opened (as `Client::connect` does: auth, CONNECT_OPEN, keepalive check)
/// and closed, one after the other.
pub async fn connect_close(uri: &str, n: u64) -> Result<u64> {
    for _ in 0..n {
        Client::connect(uri).await?.close().await?;
    }
    Ok(n)
}
