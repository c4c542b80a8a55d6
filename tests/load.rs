//! Load on the real daemon: 100,000 calls from 256 tasks sharing one connection, and 50
//! connections opened and used at once. Every answer is checked against its own call (each
//! task and each connection asks about a domain of its own: name, uuid, memory, vCPUs), so a
//! lost reply hangs and a misrouted one fails.
//!
//! The sizes come from `VIRTWIRE_LOAD_CALLS` (default 100000) and `VIRTWIRE_LOAD_CONNECTIONS`
//! (default 50); each test prints its figures (`cargo test --test load -- --nocapture`).

mod common;

use std::time::{Duration, Instant};

use common::Sandbox;
use common::own_domain::Own;
use virtwire::Client;

const TASKS: u32 = 256;

/// Guards against a hang only.
const PATIENCE: Duration = Duration::from_secs(600);

fn size(var: &str, default: u32) -> u32 {
    match std::env::var(var) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{var}={v:?} is not a number")),
        Err(_) => default,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_from_256_tasks_on_one_connection_all_reach_their_caller() {
    let wanted = size("VIRTWIRE_LOAD_CALLS", 100_000);
    // three calls a round
    let rounds = wanted.div_ceil(TASKS * 3);
    let client = Client::connect(&Sandbox::get().test_uri("load"))
        .await
        .unwrap();
    for t in 0..TASKS {
        Own::of("load", t).define(&client).await;
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                let own = Own::of("load", t);
                for round in 0..rounds {
                    own.check(&client, &format!("task {t} round {round}")).await;
                }
                rounds * 3
            })
        })
        .collect();
    let mut answered = 0;
    for t in tasks {
        answered += tokio::time::timeout(PATIENCE, t)
            .await
            .expect("a task hangs: a reply was lost")
            .unwrap();
    }
    let took = started.elapsed();
    assert_eq!(answered, TASKS * rounds * 3);
    assert!(!client.raw().is_closed());
    eprintln!(
        "{answered} calls from {TASKS} tasks on one connection in {took:.1?} ({:.0} calls/s), \
         none lost or misrouted",
        f64::from(answered) / took.as_secs_f64()
    );
}

/// Connections opened at once, each defining its own domain on a private test-driver state
/// and asking about it from two tasks, then closed at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_connections_at_once_each_get_their_own_answers() {
    const ROUNDS: u32 = 20;
    let connections = size("VIRTWIRE_LOAD_CONNECTIONS", 50);
    let sb = Sandbox::get();
    let started = Instant::now();
    let opening: Vec<_> = (0..connections)
        .map(|c| {
            let uri = sb.test_uri("load-conn");
            tokio::spawn(async move { (c, Client::connect(&uri).await.unwrap()) })
        })
        .collect();
    let mut clients = Vec::new();
    for o in opening {
        clients.push(
            tokio::time::timeout(PATIENCE, o)
                .await
                .expect("hang")
                .unwrap(),
        );
    }
    let working: Vec<_> = clients
        .into_iter()
        .map(|(c, client)| {
            tokio::spawn(async move {
                let own = Own::of("conn", c);
                own.define(&client).await;
                let pair: Vec<_> = (0..2)
                    .map(|k| {
                        let (client, own) = (client.clone(), Own::of("conn", c));
                        tokio::spawn(async move {
                            for round in 0..ROUNDS {
                                let what = format!("connection {c} task {k} round {round}");
                                own.check(&client, &what).await;
                            }
                        })
                    })
                    .collect();
                for task in pair {
                    task.await.unwrap();
                }
                // the domain is this connection's alone: the others never see it
                let names: Vec<String> = client
                    .list_all_domains(Default::default())
                    .await
                    .unwrap()
                    .iter()
                    .map(|d| d.name().to_owned())
                    .collect();
                assert_eq!(names.iter().filter(|n| n.starts_with("conn")).count(), 1);
                client.close().await.unwrap();
                2 * ROUNDS * 3
            })
        })
        .collect();
    let mut answered = 0;
    for w in working {
        answered += tokio::time::timeout(PATIENCE, w)
            .await
            .expect("a connection hangs")
            .unwrap();
    }
    assert_eq!(answered, connections * 2 * ROUNDS * 3);
    eprintln!(
        "{connections} connections at once: {answered} calls in {:.1?}, none lost or misrouted",
        started.elapsed()
    );
}
