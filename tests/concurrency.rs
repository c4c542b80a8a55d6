//! Many tasks sharing one connection to the real daemon.

mod common;

use common::Sandbox;
use common::own_domain::Own;
use virtwire::Client;

const TASKS: u32 = 50;
const ROUNDS: u32 = 20;

/// 50 tasks on one connection, each with a domain of its own (own name, uuid, memory and vCPU
/// count), 20 rounds of three calls each: every answer is checked against the task's own
/// domain, so a reply routed to the wrong caller fails the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_tasks_each_get_answers_about_their_own_domain() {
    let client = Client::connect(&Sandbox::get().test_uri("concurrency"))
        .await
        .unwrap();
    for t in 0..TASKS {
        Own::of("c", t).define(&client).await;
    }
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                let own = Own::of("c", t);
                for round in 0..ROUNDS {
                    own.check(&client, &format!("task {t} round {round}")).await;
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
