//! Many tasks sharing one connection to the real daemon.

mod common;

use std::collections::HashSet;

use common::Sandbox;
use virtwire::Client;

/// 1000 calls from 50 tasks on one connection: each task looks up its own domain by name and
/// must get back exactly that domain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_calls_from_fifty_tasks_get_their_own_answers() {
    let client = Client::connect(&Sandbox::get().test_uri("concurrency"))
        .await
        .unwrap();
    let mut uuids = HashSet::new();
    for t in 0..50 {
        let xml = format!(
            "<domain type='test'><name>c{t}</name><memory>65536</memory><vcpu>{}</vcpu>\
             <os><type>hvm</type></os></domain>",
            t % 8 + 1
        );
        let dom = client.define_domain_xml(&xml).await.unwrap();
        uuids.insert(dom.uuid());
    }
    assert_eq!(uuids.len(), 50);
    let tasks: Vec<_> = (0..50)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                let name = format!("c{t}");
                let mut uuid = None;
                for i in 0..20 {
                    if i % 2 == 0 {
                        let dom = client.lookup_domain_by_name(&name).await.unwrap();
                        assert_eq!(dom.name(), name);
                        assert_eq!(*uuid.get_or_insert(dom.uuid()), dom.uuid());
                    } else {
                        let dom = client.lookup_domain_by_name(&name).await.unwrap();
                        let info = dom.info().await.unwrap();
                        assert_eq!(info.nr_virt_cpu, t % 8 + 1, "task {t} got another's info");
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}
