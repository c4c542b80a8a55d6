//! Capturing test traffic on the TCP transport and checking it with `scripts/wire-check.py`
//! (Wireshark's libvirt dissector underneath).
//!
//! The client talks `test+tcp://127.0.0.1:R/...` to a relay of ours on port R, which forwards
//! every connection to the sandbox daemon's TCP port: the capture filter `tcp port R` then sees
//! this test's connections and nothing else (other tests use the daemon's port at the same
//! time). The bytes between client and relay are exactly the client's and the daemon's.
//!
//! Everything is bounded: tshark stops itself after [`CAPTURE_MAX`], is stopped with SIGINT
//! (SIGKILL if it lingers) and killed when dropped; the checker runs under a timeout.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// tshark ends the capture by itself after this long, whatever happens to the test.
pub const CAPTURE_MAX: Duration = Duration::from_secs(300);
/// How long tshark may take to start capturing.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long tshark may take to write out and exit after SIGINT.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the capture may take to record the end-of-traffic sentinel.
const SENTINEL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the checker may take (tshark -2 over the capture, then the checks).
const CHECK_TIMEOUT: Duration = Duration::from_secs(300);

static DIR_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A private temporary directory, removed on drop (unless `VIRTWIRE_WIRE_KEEP` is set, for
/// looking at a capture by hand).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = DIR_COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("virtwire-wire-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("VIRTWIRE_WIRE_KEEP").is_some() {
            eprintln!("wire check: keeping {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A TCP relay on 127.0.0.1:ephemeral to 127.0.0.1:`target`; stops (with every connection it
/// carries) when dropped.
pub struct Relay {
    port: u16,
    task: JoinHandle<()>,
}

impl Relay {
    pub async fn start(target: u16) -> Relay {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind a relay port on 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    break;
                };
                conns.spawn(async move {
                    let Ok(mut daemon) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = daemon.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut daemon).await;
                });
            }
        });
        Relay { port, task }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // aborting the accept loop drops its JoinSet, which aborts every connection task
        self.task.abort();
    }
}

/// A running `tshark -i lo -f "tcp port P" -w FILE` capture. Dropped without
/// [`stop`](Self::stop) (a failing test), it asks tshark to stop, then kills it.
pub struct Capture {
    child: Option<Child>,
    file: PathBuf,
    stderr: Option<tokio::task::JoinHandle<String>>,
    /// Also captured: [`stop`](Self::stop) sends itself a datagram and waits until it is in
    /// the file, so every packet sent before is there too.
    sentinel: std::net::UdpSocket,
}

/// Sends `signal` to the process `pid` (a child of ours that has not been reaped).
fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let Some(child) = &mut self.child else {
            return;
        };
        if let Some(pid) = child.id() {
            // SIGTERM lets tshark stop its dumpcap; kill_on_drop then makes sure
            signal(pid, libc::SIGTERM);
            for _ in 0..20 {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Capture {
    /// Starts capturing loopback traffic to or from `port` into `dir/capture.pcapng`; returns
    /// once tshark reports that the capture runs.
    pub async fn start(dir: &Path, port: u16) -> Capture {
        let file = dir.join("capture.pcapng");
        let sentinel = std::net::UdpSocket::bind(("127.0.0.1", 0)).expect("bind a UDP socket");
        let sentinel_port = sentinel.local_addr().unwrap().port();
        let mut child = Command::new("tshark")
            .args(["-i", "lo", "-f"])
            .arg(format!(
                "tcp port {port} or (udp port {sentinel_port} and host 127.0.0.1)"
            ))
            .arg("-w")
            .arg(&file)
            .args(["-a", &format!("duration:{}", CAPTURE_MAX.as_secs())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run tshark ({e}): the wire check needs tshark and libvirt-wireshark \
                     (scripts/install-deps.sh) and root to capture on lo"
                )
            });
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        let started = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains("Capture started") {
                    return true;
                }
            }
            false
        })
        .await;
        if started != Ok(true) {
            let _ = child.start_kill();
            panic!(
                "tshark did not start capturing on lo within {START_TIMEOUT:?} \
                 (root is needed to capture); its output:\n{seen}"
            );
        }
        // keep draining stderr so tshark never blocks on it
        let stderr = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                seen.push_str(&line);
                seen.push('\n');
            }
            seen
        });
        Capture {
            child: Some(child),
            file,
            stderr: Some(stderr),
            sentinel,
        }
    }

    /// Stops the capture (SIGINT, so tshark writes everything out) and returns the file. Call
    /// it once the traffic is over (connections closed).
    pub async fn stop(mut self) -> PathBuf {
        // dumpcap writes packets out in batches (within a second): wait for the sentinel
        let marker = format!(
            "virtwire-capture-end-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        );
        let to = self.sentinel.local_addr().unwrap();
        self.sentinel
            .send_to(marker.as_bytes(), to)
            .expect("send the sentinel datagram");
        let deadline = tokio::time::Instant::now() + SENTINEL_TIMEOUT;
        loop {
            let data = std::fs::read(&self.file).unwrap_or_default();
            if data.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the capture did not record the end-of-traffic sentinel within {SENTINEL_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut child = self.child.take().expect("a running capture");
        if let Some(pid) = child.id() {
            signal(pid, libc::SIGINT);
        }
        match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("waiting for tshark: {e}"),
            Err(_) => {
                let _ = child.kill().await;
                panic!("tshark did not stop within {STOP_TIMEOUT:?} of SIGINT");
            }
        }
        let log = match self.stderr.take() {
            Some(task) => tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or_default(),
            None => String::new(),
        };
        assert!(
            self.file.exists(),
            "tshark wrote no capture file; its output:\n{log}"
        );
        self.file.clone()
    }
}

/// What `scripts/wire-check.py` found in a capture.
#[derive(Debug, Default)]
pub struct CheckResult {
    pub exit_code: i32,
    pub output: String,
    /// `key=value` pairs of its `SUMMARY` line.
    pub summary: Vec<(String, String)>,
    /// Its `FINDING` lines.
    pub findings: Vec<String>,
}

impl CheckResult {
    pub fn count(&self, key: &str) -> usize {
        self.summary
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key}= in the checker's summary:\n{}", self.output))
    }
}

/// The checker script, in the source tree.
pub fn checker_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/wire-check.py")
}

/// Runs `python3 scripts/wire-check.py --port PORT PCAP`.
pub async fn run_checker(pcap: &Path, port: u16) -> CheckResult {
    let script = checker_path();
    let child = Command::new("python3")
        .arg(&script)
        .arg("--port")
        .arg(port.to_string())
        .arg(pcap)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    let out = tokio::time::timeout(CHECK_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{} took longer than {CHECK_TIMEOUT:?}", script.display()))
        .expect("wait for the checker");
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    let mut result = CheckResult {
        exit_code: out.status.code().unwrap_or(-1),
        ..CheckResult::default()
    };
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("SUMMARY ") {
            result.summary = rest
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        } else if line.starts_with("FINDING ") {
            result.findings.push(line.to_owned());
        }
    }
    result.output = output;
    result
}
