//! The workloads, each the same as its twin in baseline/bench.c.

use virtwire::{Client, Domain, Result};

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
