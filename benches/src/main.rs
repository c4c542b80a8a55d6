//! virtwire's end-to-end benchmark: the workloads of `baseline/bench.c`, made with virtwire
//! on one tokio runtime, each printed as one JSON line (see `measure.rs`).
//!
//! ```text
//! virtwire-bench --runtime current|multi --uri URI --list-uri URI [--list-count N] [--n N]
//!     [--vol-uri URI --pool NAME --vol NAME --vol-mib N] [--tcp-uri URI] [--tls-uri URI]
//!     [--only W,W]
//! ```
//!
//! A workload whose URI is not given is left out.
//!
//! `benches/run.sh` runs it next to the C baseline and makes the table.

mod measure;
mod workloads;

use std::process::ExitCode;

use virtwire::Client;

/// Every workload, in the order they run. `seq-*`, `xml-desc` and `tasks-*` make `n` calls;
/// `list-all` and `stats-all` make `n / 100` calls on the big node; `download` and `upload`
/// move the whole volume once (their operations are MiB); `connect-*` open and close
/// `n / 100` connections.
const WORKLOADS: &[&str] = &[
    "seq-libversion",
    "seq-dominfo",
    "xml-desc",
    "tasks-1",
    "tasks-8",
    "tasks-64",
    "tasks-256",
    "list-all",
    "stats-all",
    "download",
    "upload",
    "connect-unix",
    "connect-tcp",
    "connect-tls",
];

struct Args {
    multi: bool,
    uri: String,
    list_uri: String,
    list_count: usize,
    n: u64,
    vol_uri: String,
    pool: String,
    vol: String,
    vol_mib: u64,
    tcp_uri: String,
    tls_uri: String,
    only: Vec<String>,
}

impl Args {
    /// Whether `workload` can run with the URIs given.
    fn can_run(&self, workload: &str) -> bool {
        match workload {
            "download" | "upload" => !self.vol_uri.is_empty() && !self.vol.is_empty(),
            "connect-tcp" => !self.tcp_uri.is_empty(),
            "connect-tls" => !self.tls_uri.is_empty(),
            _ => true,
        }
    }
}

fn usage() -> String {
    "usage: virtwire-bench --runtime current|multi --uri URI --list-uri URI \
     [--list-count N] [--n N] [--vol-uri URI --pool NAME --vol NAME --vol-mib N] \
     [--tcp-uri URI] [--tls-uri URI] [--only W,W...]"
        .to_string()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        multi: false,
        uri: String::new(),
        list_uri: String::new(),
        list_count: 2000,
        n: 20_000,
        vol_uri: String::new(),
        pool: String::new(),
        vol: String::new(),
        vol_mib: 1024,
        tcp_uri: String::new(),
        tls_uri: String::new(),
        only: WORKLOADS.iter().map(|w| w.to_string()).collect(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(usage)?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--runtime" => {
                args.multi = match value.as_str() {
                    "multi" => true,
                    "current" => false,
                    _ => return Err(usage()),
                }
            }
            "--uri" => args.uri = value,
            "--list-uri" => args.list_uri = value,
            "--list-count" => args.list_count = number(&value)? as usize,
            "--n" => args.n = number(&value)?,
            "--vol-uri" => args.vol_uri = value,
            "--pool" => args.pool = value,
            "--vol" => args.vol = value,
            "--vol-mib" => args.vol_mib = number(&value)?,
            "--tcp-uri" => args.tcp_uri = value,
            "--tls-uri" => args.tls_uri = value,
            "--only" => args.only = value.split(',').map(str::to_string).collect(),
            _ => return Err(usage()),
        }
    }
    if args.uri.is_empty() || args.list_uri.is_empty() {
        return Err(usage());
    }
    if let Some(w) = args.only.iter().find(|w| !WORKLOADS.contains(&w.as_str())) {
        return Err(format!(
            "unknown workload {w}; known: {}",
            WORKLOADS.join(", ")
        ));
    }
    Ok(args)
}

/// Runs one workload (after one untimed call) and returns its line.
async fn run_one(
    args: &Args,
    client: &Client,
    list: &Client,
    label: &'static str,
    workload: &str,
) -> virtwire::Result<String> {
    let n = args.n;
    let few = (n / 100).max(1);
    let dom = client.lookup_domain_by_name("test").await?;
    let vol = match workload {
        "download" | "upload" => Some(volume(args).await?),
        _ => None,
    };
    client.lib_version().await?;
    let start = measure::start();
    let ops = match (workload, &vol) {
        ("seq-libversion", _) => workloads::seq_lib_version(client, n).await?,
        ("seq-dominfo", _) => workloads::seq_dom_info(&dom, n).await?,
        ("xml-desc", _) => workloads::seq_xml_desc(&dom, n).await?,
        ("list-all", _) => workloads::list_all(list, few, args.list_count).await?,
        ("stats-all", _) => workloads::all_domain_stats(list, few, args.list_count).await?,
        ("download", Some(vol)) => workloads::download(vol, args.vol_mib).await?,
        ("upload", Some(vol)) => workloads::upload(vol, args.vol_mib).await?,
        ("connect-unix", _) => workloads::connect_close(&args.uri, few).await?,
        ("connect-tcp", _) => workloads::connect_close(&args.tcp_uri, few).await?,
        ("connect-tls", _) => workloads::connect_close(&args.tls_uri, few).await?,
        (tasks, _) => {
            let t = tasks["tasks-".len()..].parse().expect("a tasks-N workload");
            workloads::tasks_lib_version(client, t, n).await?
        }
    };
    Ok(start.finish(label, workload.to_string(), ops).json())
}

/// The volume of the transfer workloads, on a connection of its own.
async fn volume(args: &Args) -> virtwire::Result<virtwire::StorageVol> {
    Client::connect(&args.vol_uri)
        .await?
        .lookup_storage_pool_by_name(&args.pool)
        .await?
        .lookup_volume_by_name(&args.vol)
        .await
}

async fn run(args: Args, label: &'static str) -> virtwire::Result<()> {
    let client = Client::connect(&args.uri).await?;
    let list = Client::connect(&args.list_uri).await?;
    for workload in args.only.iter().filter(|w| args.can_run(w)) {
        println!("{}", run_one(&args, &client, &list, label, workload).await?);
    }
    list.close().await?;
    client.close().await
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // The multi-thread runtime as `#[tokio::main]` builds it: the caller runs on the main
    // thread, the connection's driver on a worker.
    let (runtime, label) = if args.multi {
        (tokio::runtime::Builder::new_multi_thread(), "virtwire-mt")
    } else {
        (tokio::runtime::Builder::new_current_thread(), "virtwire-ct")
    };
    let runtime = { runtime }
        .enable_all()
        .build()
        .expect("cannot build the tokio runtime");
    match runtime.block_on(run(args, label)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("virtwire-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
