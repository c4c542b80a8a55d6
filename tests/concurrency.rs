//! Many tasks sharing one connection to the real daemon.

mod common;

use common::Sandbox;
use virtwire::Client;

const TASKS: u32 = 50;
const ROUNDS: u32 = 20;

/// What task `t`'s own domain is: no two tasks share a name, uuid, memory size or vCPU count
/// (the test driver allows up to 4096 vCPUs).
struct Own {
    name: String,
    uuid: [u8; 16],
    memory_kib: u64,
    vcpus: u16,
}

impl Own {
    fn of(t: u32) -> Own {
        let mut uuid = *b"\x6a\x1f\x0c\x2e\x7d\x3b\x4c\x59\x9e\x84\x0b\x2f\x5d\x7a\x00\x00";
        uuid[14..].copy_from_slice(&(t as u16).to_be_bytes());
        Own {
            name: format!("c{t}"),
            uuid,
            memory_kib: 65536 + 1024 * u64::from(t),
            vcpus: t as u16 + 1,
        }
    }

    fn xml(&self) -> String {
        let u = self.uuid.map(|b| format!("{b:02x}")).concat();
        format!(
            "<domain type='test'><name>{}</name><uuid>{}-{}-{}-{}-{}</uuid>\
             <memory>{}</memory><currentMemory>{}</currentMemory><vcpu>{}</vcpu>\
             <os><type>hvm</type></os></domain>",
            self.name,
            &u[..8],
            &u[8..12],
            &u[12..16],
            &u[16..20],
            &u[20..],
            self.memory_kib,
            self.memory_kib,
            self.vcpus
        )
    }
}

/// 50 tasks on one connection, each with a domain of its own (own name, uuid, memory and vCPU
/// count), 20 rounds of three calls each: every answer is checked against the task's own
/// domain, so a reply routed to the wrong caller fails the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_tasks_each_get_answers_about_their_own_domain() {
    let client = Client::connect(&Sandbox::get().test_uri("concurrency"))
        .await
        .unwrap();
    for t in 0..TASKS {
        let own = Own::of(t);
        let dom = client.define_domain_xml(&own.xml()).await.unwrap();
        assert_eq!((dom.name(), dom.uuid()), (own.name.as_str(), own.uuid));
    }
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                let own = Own::of(t);
                for round in 0..ROUNDS {
                    let by_name = client.lookup_domain_by_name(&own.name).await.unwrap();
                    assert_eq!(by_name.uuid(), own.uuid, "task {t} round {round}: uuid");
                    let by_uuid = client.lookup_domain_by_uuid(own.uuid).await.unwrap();
                    assert_eq!(by_uuid.name(), own.name, "task {t} round {round}: name");
                    let info = by_uuid.info().await.unwrap();
                    assert_eq!(
                        (info.max_mem_kib, info.nr_virt_cpu),
                        (own.memory_kib, own.vcpus),
                        "task {t} round {round}: info"
                    );
                }
                ROUNDS * 3
            })
        })
        .collect();
    let mut answers = 0;
    for t in tasks {
        answers += t.await.unwrap();
    }
    assert_eq!(answers, TASKS * ROUNDS * 3);
}
