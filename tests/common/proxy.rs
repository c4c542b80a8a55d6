//! A recording unix-socket proxy in front of the sandbox's libvirtd: every packet passes
//! through unchanged, and its header and payload are logged, so that tests can check what
//! went over the wire (which calls were sent, which events the daemon still sends). It can
//! also cut the connection, as a daemon dying would, or keep the client's end open after the
//! daemon hung up, so that only the client itself can end what it has open.
//!
//! Include it with `#[path = "common/proxy.rs"] mod proxy;`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use virtwire::proto::frame::{self, Packet};
use virtwire::proto::packet::Type;
use virtwire::proto::{keepalive, remote};

use super::common::Sandbox;

/// Procedure numbers the tests look for.
pub const DOMAIN_REGISTER: i32 = remote::procs::CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY.number;
pub const DOMAIN_DEREGISTER: i32 =
    remote::procs::CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY.number;

/// Guards against a hang only.
const PATIENCE: Duration = Duration::from_secs(60);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// One packet seen.
#[derive(Debug, Clone)]
pub struct Record {
    /// From the client to the daemon.
    pub to_daemon: bool,
    pub packet: Packet,
}

#[derive(Default)]
struct Log {
    records: Mutex<Vec<Record>>,
    /// How many times a daemon closed its end of a proxied connection.
    daemon_hangups: AtomicUsize,
    changed: Notify,
}

pub struct Proxy {
    path: PathBuf,
    log: Arc<Log>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a fresh socket in the sandbox's directory and forwards every connection to
    /// `upstream`.
    pub async fn start(upstream: &str) -> Proxy {
        Proxy::listen(upstream, false).await
    }

    /// [`Proxy::start`], except that when the daemon hangs up the client's end of the
    /// connection stays open (until the proxy is [cut](Proxy::cut) or dropped): the client
    /// sees no end of its transport.
    pub async fn start_holding(upstream: &str) -> Proxy {
        Proxy::listen(upstream, true).await
    }

    async fn listen(upstream: &str, hold_client: bool) -> Proxy {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(Sandbox::get().dir())
            .join(format!("proxy-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let log = Arc::new(Log::default());
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let upstream = upstream.to_owned();
        let accept = {
            let (log, tasks) = (log.clone(), tasks.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let daemon = UnixStream::connect(&upstream).await.unwrap();
                    let (cr, cw) = client.into_split();
                    let (dr, dw) = daemon.into_split();
                    let mut t = tasks.lock().unwrap();
                    t.push(tokio::spawn(pump(cr, dw, true, false, log.clone())));
                    t.push(tokio::spawn(pump(dr, cw, false, hold_client, log.clone())));
                }
            })
        };
        Proxy {
            path,
            log,
            tasks,
            accept,
        }
    }

    /// A test-driver URI on a fresh node file, through this proxy.
    pub fn test_uri(&self, name: &str) -> String {
        let file = Sandbox::get().new_node_file(name);
        format!(
            "test+unix://{}?socket={}",
            file.display(),
            self.path.display()
        )
    }

    /// Closes every proxied connection, as a dying daemon would.
    pub fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    fn records(&self) -> Vec<Record> {
        self.log.records.lock().unwrap().clone()
    }

    /// Serials of the REMOTE calls of `procedure` sent so far.
    pub fn calls(&self, procedure: i32) -> Vec<u32> {
        self.records()
            .iter()
            .filter(|r| r.to_daemon && is_call(r, procedure))
            .map(|r| r.packet.header.serial)
            .collect()
    }

    /// The payload of the call with `serial`.
    pub fn call_payload(&self, serial: u32) -> Bytes {
        self.records()
            .into_iter()
            .find(|r| r.to_daemon && r.packet.header.serial == serial)
            .expect("no such call")
            .packet
            .payload
    }

    /// The callback id the daemon gave in its last reply to a domain event registration.
    pub fn last_callback_id(&self) -> i32 {
        let records = self.records();
        let serial = *self
            .calls(DOMAIN_REGISTER)
            .last()
            .expect("no registration sent");
        let reply = records
            .iter()
            .find(|r| !r.to_daemon && r.packet.header.serial == serial)
            .expect("no reply to the registration");
        i32::from_be_bytes(reply.packet.payload[..4].try_into().unwrap())
    }

    /// How many events the daemon sent for callback `id` (of any family).
    pub fn events_for(&self, id: i32) -> usize {
        self.records()
            .iter()
            .filter(|r| {
                !r.to_daemon
                    && r.packet.header.r#type == Type::Message
                    && r.packet.header.prog != keepalive::PROGRAM
                    && r.packet.payload.get(..4) == Some(&id.to_be_bytes()[..])
            })
            .count()
    }

    /// Waits until a REMOTE call of `procedure` was sent; its serial.
    pub async fn wait_for_call(&self, procedure: i32) -> u32 {
        self.wait(|records| {
            records
                .iter()
                .find(|r| r.to_daemon && is_call(r, procedure))
                .map(|r| r.packet.header.serial)
        })
        .await
    }

    /// Waits until the daemon replied to the call with `serial`.
    pub async fn wait_for_reply(&self, serial: u32) {
        self.wait(|records| {
            records
                .iter()
                .any(|r| {
                    !r.to_daemon
                        && r.packet.header.r#type == Type::Reply
                        && r.packet.header.serial == serial
                })
                .then_some(())
        })
        .await
    }

    /// Waits until the daemon has closed its end of a proxied connection.
    pub async fn wait_for_daemon_hangup(&self) {
        self.wait(|_| (self.log.daemon_hangups.load(Ordering::Relaxed) > 0).then_some(()))
            .await
    }

    async fn wait<T>(&self, mut check: impl FnMut(&[Record]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let notified = self.log.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(v) = check(&self.log.records.lock().unwrap()) {
                return v;
            }
            tokio::time::timeout_at(deadline, notified)
                .await
                .expect("the proxy never saw it");
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
        let _ = std::fs::remove_file(&self.path);
    }
}

fn is_call(r: &Record, procedure: i32) -> bool {
    let h = &r.packet.header;
    h.prog == remote::PROGRAM && h.r#type == Type::Call && h.proc == procedure
}

/// Copies `from` to `to`, logging every complete packet. When `from` ends, `to` is closed,
/// or with `hold` kept open until the task is aborted.
async fn pump(
    from: tokio::net::unix::OwnedReadHalf,
    mut to: tokio::net::unix::OwnedWriteHalf,
    to_daemon: bool,
    hold: bool,
    log: Arc<Log>,
) {
    let from_ended = copy_logged(from, &mut to, to_daemon, &log).await;
    if from_ended && !to_daemon {
        log.daemon_hangups.fetch_add(1, Ordering::Relaxed);
        log.changed.notify_waiters();
    }
    if hold {
        std::future::pending::<()>().await;
    }
}

/// Copies until `from` ends (true) or `to` refuses bytes (false).
async fn copy_logged(
    mut from: tokio::net::unix::OwnedReadHalf,
    to: &mut tokio::net::unix::OwnedWriteHalf,
    to_daemon: bool,
    log: &Log,
) -> bool {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return true,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Ok(Some(body)) = frame::next_frame(&mut buf) {
            if let Ok(packet) = Packet::parse(body) {
                log.records
                    .lock()
                    .unwrap()
                    .push(Record { to_daemon, packet });
                log.changed.notify_waiters();
            }
        }
        if to.write_all(&chunk[..n]).await.is_err() {
            return false;
        }
    }
}
