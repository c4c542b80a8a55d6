//! The soak: a long run against the real daemon with the process's RSS and the calls' latency
//! sampled, opt-in (ignored by default; `scripts/soak.sh [SECONDS]` runs it). One connection
//! carries 64 tasks calling without pause (each about its own domain, answers checked); every
//! second a second connection is opened, reads a screenshot stream to its end and is closed.
//! Every `VIRTWIRE_SOAK_SAMPLE_SECS` (default 10) one line: RSS, calls in the interval, latency
//! p50 / p99 / max. At the end the RSS must be flat: the last sample at most 25% (plus 4 MiB)
//! above the one taken after the first quarter of the run (warm-up: allocator pools, the
//! daemon's caches on our side). Latency is printed, not asserted (a shared machine's noise).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::own_domain::Own;
use tokio::io::AsyncReadExt;
use virtwire::Client;

const TASKS: u32 = 64;

fn secs(var: &str, default: u64) -> Duration {
    let n = match std::env::var(var) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{var}={v:?}")),
        Err(_) => default,
    };
    Duration::from_secs(n)
}

/// This process's resident set size, in KiB (`VmRSS` of /proc/self/status).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Latencies of the calls made since the last sample.
type Latencies = Arc<Mutex<Vec<Duration>>>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// One task's loop: three calls about its own domain, each timed, until `end`.
async fn caller(client: Client, t: u32, end: Instant, latencies: Latencies) -> u64 {
    let own = Own::of("soak", t);
    let mut calls = 0;
    while Instant::now() < end {
        let started = Instant::now();
        own.check(&client, &format!("task {t}")).await;
        // three calls: the round's time, a third each
        let each = started.elapsed() / 3;
        latencies.lock().unwrap().extend([each; 3]);
        calls += 3;
    }
    calls
}

/// Once a second until `end`: a new connection, a screenshot read to its end, closed.
async fn churn(uri: String, end: Instant) -> u64 {
    let mut rounds = 0;
    while Instant::now() < end {
        let client = Client::connect(&uri).await.unwrap();
        let dom = client
            .lookup_domain_by_name(common::node::RUNNING_DOMAIN)
            .await
            .unwrap();
        let mut shot = dom.screenshot(0).await.unwrap();
        let mut data = Vec::new();
        shot.data.read_to_end(&mut data).await.unwrap();
        assert!(!data.is_empty());
        client.close().await.unwrap();
        rounds += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    rounds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a long run: scripts/soak.sh"]
async fn soak_rss_and_latency_stay_flat() {
    let length = secs("VIRTWIRE_SOAK_SECS", 600);
    let every = secs("VIRTWIRE_SOAK_SAMPLE_SECS", 10);
    let sb = Sandbox::get();
    let client = Client::connect(&sb.test_uri("soak")).await.unwrap();
    for t in 0..TASKS {
        Own::of("soak", t).define(&client).await;
    }
    let started = Instant::now();
    let end = started + length;
    let latencies = Latencies::default();
    let callers: Vec<_> = (0..TASKS)
        .map(|t| tokio::spawn(caller(client.clone(), t, end, latencies.clone())))
        .collect();
    let churning = tokio::spawn(churn(sb.test_uri("soak-churn"), end));

    println!("soak: {length:?}, {TASKS} tasks on one connection + a connection a second");
    println!("  time    RSS KiB   calls   p50 µs   p99 µs   max µs");
    let mut samples = Vec::new();
    while Instant::now() < end {
        tokio::time::sleep(every.min(end.saturating_duration_since(Instant::now()))).await;
        let mut lat = std::mem::take(&mut *latencies.lock().unwrap());
        lat.sort_unstable();
        let rss = rss_kib();
        let at = started.elapsed().as_secs();
        println!(
            "  {at:>4}s {rss:>10} {:>7} {:>8} {:>8} {:>8}",
            lat.len(),
            percentile(&lat, 0.5).as_micros(),
            percentile(&lat, 0.99).as_micros(),
            lat.last().copied().unwrap_or_default().as_micros()
        );
        samples.push((at, rss));
    }
    let mut calls = 0;
    for c in callers {
        calls += c.await.unwrap();
    }
    let connections = churning.await.unwrap();
    println!("soak: {calls} calls, {connections} extra connections, none failed");

    let warm = samples[samples.len() / 4].1;
    let last = samples.last().unwrap().1;
    println!("soak: RSS after warm-up {warm} KiB, at the end {last} KiB");
    assert!(
        last <= warm + warm / 4 + 4096,
        "RSS grew from {warm} KiB to {last} KiB: {samples:?}"
    );
}
