//! Shared support for virtwire's integration tests: where the sandboxed
//! libvirtd started by `scripts/sandbox.sh` listens, and per-test URIs.
//!
//! Use it from an integration test file with `mod common;`, then
//! `let sb = common::Sandbox::get();`. Paths are returned as `&str`, ready
//! to be put in URIs. The values come from the `VIRTWIRE_*`
//! variables that `scripts/sandbox.sh start` writes to `$DIR/env`;
//! `scripts/test.sh` starts the sandbox, sources that file and runs
//! `cargo test`. Without them the tests panic: they never skip silently.
//!
//! Facts about libvirt's test driver that shape these helpers:
//! * `test+unix:///default?socket=…` is ONE state shared by every connection
//!   of every test running at that moment (it resets once the last one
//!   closes): do not modify it from parallel tests.
//! * `test+unix:///ABS/PATH.xml?socket=…` loads a node file, and every
//!   connection opened on such a URI gets its own private state, even when
//!   two connections name the same file. To watch one connection's changes
//!   (events, for instance) from a second connection, use the default URI.
//! * The test driver has no secrets, nwfilters, volume upload/download or
//!   console streams: [`Sandbox::qemu_uri`] reaches the same daemon's qemu
//!   driver, whose secret, nwfilter, storage, interface and node-device
//!   drivers work without any guest.
#![allow(dead_code)]

pub mod own_domain;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use virtwire::events::{Event, EventItem, EventStream};

/// The node description written by [`Sandbox::test_uri`]: domains
/// `vw-running` (running) and `vw-stopped` (shut off), network `vw-net`,
/// storage pool `vw-pool` with volumes `vw-running.img` and `scratch.raw`,
/// interface `vweth0`, node device `computer`.
pub const TEST_NODE_XML: &str = include_str!("../data/testnode.xml");

/// Names of the objects in [`TEST_NODE_XML`].
pub mod node {
    pub const RUNNING_DOMAIN: &str = "vw-running";
    pub const RUNNING_DOMAIN_UUID: &str = "6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c01";
    pub const STOPPED_DOMAIN: &str = "vw-stopped";
    pub const STOPPED_DOMAIN_UUID: &str = "6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c02";
    pub const NETWORK: &str = "vw-net";
    pub const POOL: &str = "vw-pool";
    pub const VOLUMES: [&str; 2] = ["scratch.raw", "vw-running.img"];
    pub const INTERFACE: &str = "vweth0";
    pub const NODE_DEVICE: &str = "computer";
}

/// The running sandbox, as described by the `VIRTWIRE_*` environment.
#[derive(Debug)]
pub struct Sandbox {
    dir: String,
    socket: String,
    socket_ro: String,
    admin_socket: String,
    tcp_port: u16,
    tls_port: u16,
    pki: String,
    pki_wrongca: String,
    sasl_socket: String,
    sasl_tcp_port: u16,
    sasl_tls_port: u16,
    sasl_user: String,
    sasl_password: String,
    sasl_auth_file: String,
    ssh_port: u16,
    ssh_key: String,
    ssh_known_hosts: String,
    ssh_wrapper: String,
    /// `None` in the environment of a sandbox started before the password sshd existed.
    ssh_password_port: Option<u16>,
    ssh_password: Option<String>,
}

const HOW_TO_RUN: &str = "integration tests need the sandboxed libvirtd: run them with \
    `bash scripts/test.sh` (as root), or start it with `bash scripts/sandbox.sh start` and \
    `source \"$(bash scripts/sandbox.sh env)\"` before `cargo test`";

static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
static NODE_COUNTER: AtomicUsize = AtomicUsize::new(0);

fn var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!("{name} is not set; {HOW_TO_RUN}"),
    }
}

fn path_var(name: &str) -> String {
    var(name)
}

fn port_var(name: &str) -> u16 {
    let v = var(name);
    v.parse()
        .unwrap_or_else(|_| panic!("{name}={v:?} is not a port number; {HOW_TO_RUN}"))
}

/// Percent-encodes what may not appear verbatim in a URI path or query
/// value; ordinary paths come out unchanged.
fn uri_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Sandbox {
    /// The sandbox of this test run. Panics, naming `scripts/test.sh`, when
    /// the environment does not describe a running sandbox.
    pub fn get() -> &'static Sandbox {
        SANDBOX.get_or_init(Sandbox::from_env)
    }

    fn from_env() -> Sandbox {
        let socket = path_var("VIRTWIRE_SOCKET");
        if !Path::new(&socket).exists() {
            panic!(
                "VIRTWIRE_SOCKET={socket} does not exist: the sandbox is not running \
                 (stale environment?); {HOW_TO_RUN}"
            );
        }
        Sandbox {
            dir: path_var("VIRTWIRE_SANDBOX"),
            socket,
            socket_ro: path_var("VIRTWIRE_SOCKET_RO"),
            admin_socket: path_var("VIRTWIRE_ADMIN_SOCKET"),
            tcp_port: port_var("VIRTWIRE_TCP_PORT"),
            tls_port: port_var("VIRTWIRE_TLS_PORT"),
            pki: path_var("VIRTWIRE_PKI"),
            pki_wrongca: path_var("VIRTWIRE_PKI_WRONGCA"),
            sasl_socket: path_var("VIRTWIRE_SASL_SOCKET"),
            sasl_tcp_port: port_var("VIRTWIRE_SASL_TCP_PORT"),
            sasl_tls_port: port_var("VIRTWIRE_SASL_TLS_PORT"),
            sasl_user: var("VIRTWIRE_SASL_USER"),
            sasl_password: var("VIRTWIRE_SASL_PASSWORD"),
            sasl_auth_file: path_var("VIRTWIRE_SASL_AUTH_FILE"),
            ssh_port: port_var("VIRTWIRE_SSH_PORT"),
            ssh_key: path_var("VIRTWIRE_SSH_KEY"),
            ssh_known_hosts: path_var("VIRTWIRE_SSH_KNOWN_HOSTS"),
            ssh_wrapper: path_var("VIRTWIRE_SSH_WRAPPER"),
            ssh_password_port: std::env::var_os("VIRTWIRE_SSH_PASSWORD_PORT")
                .map(|_| port_var("VIRTWIRE_SSH_PASSWORD_PORT")),
            ssh_password: std::env::var("VIRTWIRE_SSH_PASSWORD")
                .ok()
                .filter(|v| !v.is_empty()),
        }
    }

    /// The sandbox directory (`VIRTWIRE_SANDBOX`).
    pub fn dir(&self) -> &str {
        &self.dir
    }
    /// Read-write unix socket of the main libvirtd (auth none).
    pub fn socket(&self) -> &str {
        &self.socket
    }
    /// Read-only unix socket of the main libvirtd.
    pub fn socket_ro(&self) -> &str {
        &self.socket_ro
    }
    /// Admin unix socket of the main libvirtd (`libvirtd:///system?socket=…`).
    pub fn admin_socket(&self) -> &str {
        &self.admin_socket
    }
    /// Plain TCP port of the main libvirtd on 127.0.0.1 (auth none).
    pub fn tcp_port(&self) -> u16 {
        self.tcp_port
    }
    /// TLS port of the main libvirtd on 127.0.0.1 (client certificate required).
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }
    /// `pkipath` directory: `cacert.pem`, `clientcert.pem`, `clientkey.pem`.
    /// The server certificate names localhost, 127.0.0.1 and ::1.
    pub fn pki(&self) -> &str {
        &self.pki
    }
    /// Same layout as [`Sandbox::pki`], from a CA the daemons do not know.
    pub fn pki_wrongca(&self) -> &str {
        &self.pki_wrongca
    }
    /// Read-write unix socket of the SASL libvirtd.
    pub fn sasl_socket(&self) -> &str {
        &self.sasl_socket
    }
    /// Plain TCP port of the SASL libvirtd (only DIGEST-MD5 gives the
    /// security layer libvirt demands there).
    pub fn sasl_tcp_port(&self) -> u16 {
        self.sasl_tcp_port
    }
    /// TLS port of the SASL libvirtd (same PKI as the main one).
    pub fn sasl_tls_port(&self) -> u16 {
        self.sasl_tls_port
    }
    pub fn sasl_user(&self) -> &str {
        &self.sasl_user
    }
    pub fn sasl_password(&self) -> &str {
        &self.sasl_password
    }
    /// libvirt auth file (`LIBVIRT_AUTH_FILE`) holding the SASL credentials.
    pub fn sasl_auth_file(&self) -> &str {
        &self.sasl_auth_file
    }
    /// sshd port on 127.0.0.1 (user root, key [`Sandbox::ssh_key`]).
    pub fn ssh_port(&self) -> u16 {
        self.ssh_port
    }
    pub fn ssh_key(&self) -> &str {
        &self.ssh_key
    }
    pub fn ssh_known_hosts(&self) -> &str {
        &self.ssh_known_hosts
    }
    /// An `ssh` that uses the sandbox key and known_hosts (for `?command=`).
    pub fn ssh_wrapper(&self) -> &str {
        &self.ssh_wrapper
    }
    /// The second sshd on 127.0.0.1: root logs in with [`Sandbox::ssh_password`] only (no
    /// keys, no keyboard-interactive). Same host key as [`Sandbox::ssh_port`]; the
    /// [`Sandbox::ssh_known_hosts`] file lists both ports.
    pub fn ssh_password_port(&self) -> u16 {
        self.ssh_password_port.unwrap_or_else(|| {
            panic!("VIRTWIRE_SSH_PASSWORD_PORT is not set (a sandbox from before the password sshd: stop and start it again); {HOW_TO_RUN}")
        })
    }
    /// root's password on [`Sandbox::ssh_password_port`] (valid only inside that sshd's
    /// mount namespace, never for the machine).
    pub fn ssh_password(&self) -> &str {
        self.ssh_password.as_deref().unwrap_or_else(|| {
            panic!("VIRTWIRE_SSH_PASSWORD is not set (a sandbox from before the password sshd: stop and start it again); {HOW_TO_RUN}")
        })
    }

    /// Writes a fresh copy of [`TEST_NODE_XML`] to
    /// `DIR/nodes/<name>-<pid>-<n>.xml` and returns its absolute path.
    pub fn new_node_file(&self, name: &str) -> PathBuf {
        let n = NODE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .take(100)
            .collect();
        let nodes = Path::new(&self.dir).join("nodes");
        fs::create_dir_all(&nodes)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", nodes.display()));
        let file = nodes.join(format!("{safe}-{}-{n}.xml", std::process::id()));
        fs::write(&file, TEST_NODE_XML)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
        file
    }

    /// `test+unix:///DIR/nodes/<name>-<pid>-<n>.xml?socket=…`: a test-driver
    /// connection on a fresh copy of [`TEST_NODE_XML`]. Each connection opened
    /// on it starts from that state and changes nothing anyone else sees.
    pub fn test_uri(&self, name: &str) -> String {
        self.test_uri_at(&self.socket, name)
    }

    /// [`Sandbox::test_uri`] on the daemon listening at `socket` (e.g. the newer libvirtd of
    /// `scripts/newer-libvirtd.sh`).
    pub fn test_uri_at(&self, socket: &str, name: &str) -> String {
        let file = self.new_node_file(name);
        let file = file.to_str().expect("the sandbox path is UTF-8");
        format!(
            "test+unix://{}?socket={}",
            uri_escape(file),
            uri_escape(socket)
        )
    }

    /// `test+unix:///default?socket=…`: the test driver's built-in state,
    /// shared by all connections open at the same time (read it, don't
    /// change it from parallel tests).
    pub fn default_test_uri(&self) -> String {
        format!("test+unix:///default?socket={}", uri_escape(&self.socket))
    }

    /// `qemu+unix:///system?socket=…`: the main libvirtd's qemu driver
    /// (secrets, nwfilters, storage, node devices, interfaces; no guests
    /// unless qemu-system is installed). Its state is shared by all tests.
    pub fn qemu_uri(&self) -> String {
        format!("qemu+unix:///system?socket={}", uri_escape(&self.socket))
    }

    /// The domain XML of the sandbox's TCG guest (`VIRTWIRE_GUEST_XML`, built by
    /// `scripts/guest.sh`), named `name`: a Linux kernel and a busybox initramfs whose shell
    /// answers on the serial console, for the qemu driver ([`Sandbox::qemu_uri`]).
    pub fn guest_xml(&self, name: &str) -> String {
        let path = path_var("VIRTWIRE_GUEST_XML");
        let xml = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("VIRTWIRE_GUEST_XML={path}: {e}; {HOW_TO_RUN}"));
        let named = xml.replace(
            "<name>virtwire-guest</name>",
            &format!("<name>{name}</name>"),
        );
        assert_ne!(named, xml, "{path} has no <name>virtwire-guest</name>");
        named
    }
}

/// Writes `body` to `path` as an executable file (mode 0755) that may be executed at once.
///
/// Test threads fork child processes all the time (ssh, nc, certtool, ...). A child forked
/// while this process holds a descriptor open for writing on the file keeps a copy of it until
/// its own `exec`, and executing a file that anyone holds open for writing fails with ETXTBSY
/// ("Text file busy"). So the file is written by a short-lived `sh` child that has nothing to
/// fork: no descriptor of ours is ever open on it for writing, and once that child has exited
/// no process holds one.
pub fn write_executable(path: &Path, body: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && cat >\"$1.tmp\" && chmod 755 \"$1.tmp\" && mv -f \"$1.tmp\" \"$1\"")
        .arg("write_executable")
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run sh to write {}: {e}", path.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(body.as_bytes())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "writing {} failed: {status}",
        path.display()
    );
}

/// The node file's domains, seen through `client`: proof that the daemon opened the driver and
/// the URI (path included) that a test asked for.
#[allow(dead_code)]
pub async fn assert_test_node(client: &virtwire::Client) {
    let mut names: Vec<String> = client
        .list_all_domains(Default::default())
        .await
        .unwrap()
        .iter()
        .map(|d| d.name().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, [node::RUNNING_DOMAIN, node::STOPPED_DOMAIN]);
}

/// A read-only connection to `uri` (through [`virtwire::config::Config`]'s read-only setting, the way
/// an application asks for one).
#[allow(dead_code)]
pub async fn connect_read_only(uri: &str) -> virtwire::Client {
    virtwire::config::Config::builder()
        .uri(uri)
        .read_only(true)
        .build()
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Proof that `client` is read-only: the daemon refuses to suspend the running domain of the
/// node file with "operation denied", and the domain keeps running.
#[allow(dead_code)]
pub async fn assert_write_denied(client: &virtwire::Client) {
    let dom = client
        .lookup_domain_by_name(node::RUNNING_DOMAIN)
        .await
        .unwrap();
    let err = dom.suspend().await.unwrap_err();
    assert_eq!(
        err.remote().map(|r| r.code),
        Some(virtwire::ErrorCode::OperationDenied),
        "{err:?}"
    );
    let info = dom.info().await.unwrap();
    assert_eq!(info.state.describe(), "running");
}

/// `err` and its sources, joined with ": " (what a test asserts a message on).
#[allow(dead_code)]
pub fn error_chain(err: &virtwire::Error) -> String {
    let mut out = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Guards a wait for an event against a hang only (a guest under TCG on a loaded machine may
/// take its time).
pub const EVENT_PATIENCE: Duration = Duration::from_secs(120);

/// The next item of `stream`: fails if none comes within [`EVENT_PATIENCE`], if the stream
/// ends or fails.
#[allow(dead_code)]
pub async fn next_item<T: Event>(stream: &mut EventStream<T>) -> EventItem<T> {
    tokio::time::timeout(EVENT_PATIENCE, stream.next())
        .await
        .expect("no event came")
        .expect("the stream ended")
        .expect("the stream failed")
}

/// The next item of `stream`, which must be an event (see [`next_item`]).
#[allow(dead_code)]
pub async fn next_event<T: Event + std::fmt::Debug>(stream: &mut EventStream<T>) -> T {
    match next_item(stream).await {
        EventItem::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}
