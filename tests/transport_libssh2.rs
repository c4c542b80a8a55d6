//! The in-process ssh transports `libssh2` and `libssh` (cargo feature `libssh2`) against the
//! sandbox's sshd on 127.0.0.1: the key and known_hosts files from the URI, each
//! `known_hosts_verify` mode, a refused key, the netcat proxy (`socket=`) and the default
//! `virt-ssh-helper`, and the session thread ending with the stream.
#![cfg(feature = "libssh2")]

mod common;

use std::error::Error as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Sandbox;
use tokio::io::AsyncWriteExt;
use tokio::sync::RwLock;
use virtwire::transport::{self, Config};
use virtwire::{Client, ErrorKind};

/// The name of the transport's session threads.
const THREAD_NAME: &str = "virtwire-ssh2";

/// Tests hold it shared; the one that counts session threads holds it alone.
static THREADS: RwLock<()> = RwLock::const_new(());

async fn assert_test_node(client: &Client) {
    let mut names: Vec<String> = client
        .list_all_domains(0)
        .await
        .unwrap()
        .iter()
        .map(|d| d.name().to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [common::node::RUNNING_DOMAIN, common::node::STOPPED_DOMAIN]
    );
}

/// `test+TRANSPORT://root@127.0.0.1:PORT/<fresh node file>?PARAMS`.
fn uri(transport: &str, params: &str) -> String {
    let sb = Sandbox::get();
    let node = sb.new_node_file(transport);
    format!(
        "test+{transport}://root@127.0.0.1:{}{}?{params}",
        sb.ssh_port(),
        node.display()
    )
}

/// The sandbox key and known_hosts, plus `extra`.
fn with_key(extra: &str) -> String {
    let sb = Sandbox::get();
    format!(
        "keyfile={}&known_hosts={}{extra}",
        sb.ssh_key(),
        sb.ssh_known_hosts()
    )
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(Sandbox::get().dir())
        .join("libssh2-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The error and its sources, as one line.
fn chain(err: &virtwire::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The sandbox host key's `type base64` part.
fn host_key() -> String {
    let known = fs::read_to_string(Sandbox::get().ssh_known_hosts()).unwrap();
    let mut words = known.split_whitespace().skip(1);
    format!("{} {}", words.next().unwrap(), words.next().unwrap())
}

#[tokio::test]
async fn libssh2_keyfile_known_hosts_netcat_socket() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let uri = uri("libssh2", &with_key(&format!("&socket={}", sb.socket())));
    let client = Client::connect(&uri).await.unwrap();
    assert!(!client.hostname().await.unwrap().is_empty());
    assert_test_node(&client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn libssh_keyfile_known_hosts_netcat_socket() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let uri = uri("libssh", &with_key(&format!("&socket={}", sb.socket())));
    let client = Client::connect(&uri).await.unwrap();
    assert_test_node(&client).await;
    client.close().await.unwrap();
}

/// No proxy, no socket: `virt-ssh-helper` on the remote side (proxy=auto finds it).
#[tokio::test]
async fn libssh2_default_virt_ssh_helper() {
    let _gate = THREADS.read().await;
    let client = Client::connect(&uri("libssh2", &with_key("")))
        .await
        .unwrap();
    assert_test_node(&client).await;
}

#[tokio::test]
async fn libssh2_proxy_native_read_only() {
    let _gate = THREADS.read().await;
    let uri = uri("libssh2", &with_key("&proxy=native"));
    let client = Client::connect_read_only(&uri).await.unwrap();
    assert_test_node(&client).await;
}

#[tokio::test]
async fn libssh2_proxy_netcat_default_socket() {
    let _gate = THREADS.read().await;
    let uri = uri("libssh", &with_key("&proxy=netcat&sshauth=privkey"));
    let client = Client::connect(&uri).await.unwrap();
    assert_test_node(&client).await;
}

/// A known_hosts file with another key for the host: refused, whatever the mode but ignore.
#[tokio::test]
async fn libssh2_changed_host_key_is_refused() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("changed");
    let known = dir.join("known_hosts");
    // the client's own public key stands in for another host key
    let other = fs::read_to_string(format!("{}.pub", sb.ssh_key())).unwrap();
    let other: Vec<&str> = other.split_whitespace().take(2).collect();
    fs::write(
        &known,
        format!(
            "# a comment\n[127.0.0.1]:{} {} {}\n",
            sb.ssh_port(),
            other[0],
            other[1]
        ),
    )
    .unwrap();
    for verify in ["normal", "auto"] {
        let params = format!(
            "keyfile={}&known_hosts={}&known_hosts_verify={verify}&socket={}",
            sb.ssh_key(),
            known.display(),
            sb.socket()
        );
        let err = Client::connect(&uri("libssh2", &params)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
        let text = chain(&err);
        assert!(text.contains("host key verification failed"), "{text}");
        assert!(text.contains("differs from the one recorded"), "{text}");
        assert!(text.contains(&known.display().to_string()), "{text}");
    }
    // auto did not touch the file
    assert_eq!(fs::read_to_string(&known).unwrap().lines().count(), 2);
}

#[tokio::test]
async fn libssh2_unknown_host_is_refused_in_normal_mode() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let params = format!(
        "keyfile={}&known_hosts=/dev/null&socket={}",
        sb.ssh_key(),
        sb.socket()
    );
    let err = Client::connect(&uri("libssh2", &params)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = chain(&err);
    assert!(text.contains("is not in /dev/null"), "{text}");
    assert!(text.contains("SHA256:"), "{text}");
}

#[tokio::test]
async fn libssh2_known_hosts_verify_ignore_accepts_any_key() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let params = format!(
        "keyfile={}&known_hosts=/nonexistent/known_hosts&known_hosts_verify=ignore&socket={}",
        sb.ssh_key(),
        sb.socket()
    );
    let client = Client::connect(&uri("libssh2", &params)).await.unwrap();
    assert_test_node(&client).await;
}

/// auto with an empty file: accepted, the key recorded; the file then passes in normal mode.
#[tokio::test]
async fn libssh2_known_hosts_verify_auto_records_the_key() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("auto");
    let known = dir.join("known_hosts");
    fs::write(&known, "").unwrap();
    let params = |verify: &str| {
        format!(
            "keyfile={}&known_hosts={}&known_hosts_verify={verify}&socket={}",
            sb.ssh_key(),
            known.display(),
            sb.socket()
        )
    };
    let client = Client::connect(&uri("libssh2", &params("auto")))
        .await
        .unwrap();
    assert_test_node(&client).await;
    let recorded = fs::read_to_string(&known).unwrap();
    assert_eq!(
        recorded,
        format!("[127.0.0.1]:{} {}\n", sb.ssh_port(), host_key())
    );
    let client = Client::connect(&uri("libssh", &params("normal")))
        .await
        .unwrap();
    assert_test_node(&client).await;
    // a second auto connection finds the key and adds nothing
    drop(
        Client::connect(&uri("libssh2", &params("auto")))
            .await
            .unwrap(),
    );
    assert_eq!(fs::read_to_string(&known).unwrap(), recorded);
}

#[tokio::test]
async fn libssh2_wrong_key_is_an_auth_error() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("wrongkey");
    let key = dir.join("id_ed25519");
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "virtwire-wrong",
            "-f",
        ])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let params = format!(
        "keyfile={}&known_hosts={}&socket={}",
        key.display(),
        sb.ssh_known_hosts(),
        sb.socket()
    );
    let err = Client::connect(&uri("libssh2", &params)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = chain(&err);
    assert!(
        text.contains(&format!(
            "ssh authentication as root@127.0.0.1:{} failed",
            sb.ssh_port()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("privkey: {}", key.display())),
        "{text}"
    );
    // the sandbox sshd takes keys only
    assert!(text.contains("password: not offered"), "{text}");
}

/// A child process, killed when dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// sshauth=agent: the key comes from an ssh-agent of our own, at SSH_AUTH_SOCK.
#[tokio::test]
async fn libssh2_agent_authentication() {
    // alone: this test changes the process's environment
    let _gate = THREADS.write().await;
    let sb = Sandbox::get();
    let dir = scratch("agent");
    let sock = dir.join("agent.sock");
    let _agent = KillOnDrop(
        Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "ssh-agent did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let added = Command::new("ssh-add")
        .arg("-q")
        .arg(sb.ssh_key())
        .env("SSH_AUTH_SOCK", &sock)
        .status()
        .unwrap();
    assert!(added.success());
    let saved = std::env::var_os("SSH_AUTH_SOCK");
    // SAFETY: the write gate keeps every other test of this binary out of its connection
    // code, the only code here that reads the environment, until the variable is restored.
    unsafe { std::env::set_var("SSH_AUTH_SOCK", &sock) };
    let params = format!(
        "sshauth=agent&known_hosts={}&socket={}",
        sb.ssh_known_hosts(),
        sb.socket()
    );
    let result = Client::connect(&uri("libssh2", &params)).await;
    // SAFETY: as above.
    unsafe {
        match saved {
            Some(v) => std::env::set_var("SSH_AUTH_SOCK", v),
            None => std::env::remove_var("SSH_AUTH_SOCK"),
        }
    }
    let client = result.unwrap();
    assert_test_node(&client).await;
    client.close().await.unwrap();
}

/// sshauth= limits the methods: password alone cannot work on a keys-only server.
#[tokio::test]
async fn libssh2_sshauth_password_without_key() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let params = with_key(&format!("&sshauth=password&socket={}", sb.socket()));
    let err = Client::connect(&uri("libssh2", &params)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = chain(&err);
    assert!(text.contains("password: not offered"), "{text}");
    assert!(!text.contains("privkey"), "{text}");
}

/// The remote command fails at once: its stderr and exit status are in the error.
#[tokio::test]
async fn libssh2_remote_command_failure_reports_its_stderr() {
    let _gate = THREADS.read().await;
    let err = Client::connect(&uri(
        "libssh2",
        &with_key("&socket=/nonexistent/virtwire-sock"),
    ))
    .await
    .unwrap_err();
    let text = chain(&err);
    assert!(text.contains("remote command on root@127.0.0.1"), "{text}");
    assert!(text.contains("exit status"), "{text}");
    assert!(text.contains("/nonexistent/virtwire-sock"), "{text}");
}

#[tokio::test]
async fn libssh2_refused_connection_is_an_io_error() {
    let _gate = THREADS.read().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Client::connect(&format!("test+libssh2://root@127.0.0.1:{port}/default"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

/// Megabytes both ways at once through the bridge (backpressure, ssh windows), then a clean
/// end-of-file: `netcat=` names an echo program (`cat`) instead of nc.
#[tokio::test]
async fn libssh2_bulk_echo_and_clean_eof() {
    let _gate = THREADS.read().await;
    let dir = scratch("echo");
    let echo = dir.join("echo-nc");
    // answers nc's `-q` probe with nothing, then echoes
    fs::write(&echo, "#!/bin/sh\n[ \"$1\" = -q ] && exit 0\nexec cat\n").unwrap();
    fs::set_permissions(&echo, fs::Permissions::from_mode(0o755)).unwrap();
    let config: Config = uri(
        "libssh2",
        &with_key(&format!("&proxy=netcat&netcat={}", echo.display())),
    )
    .parse()
    .unwrap();
    let stream = transport::connect_with(&config).await.unwrap();
    let (mut rd, mut wr) = tokio::io::split(stream);
    let data: Vec<u8> = (0..4u32 << 20).map(|i| (i ^ (i >> 11)) as u8).collect();
    let sent = data.clone();
    let writer = async move {
        for chunk in sent.chunks(100_000) {
            wr.write_all(chunk).await.unwrap();
        }
        wr.shutdown().await.unwrap();
        wr
    };
    let reader = async move {
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut rd, &mut got)
            .await
            .unwrap();
        got
    };
    let (_wr, got) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(writer, reader)
    })
    .await
    .expect("the echo took too long");
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the echo differs");
}

/// The number of this process's session threads.
fn session_threads() -> usize {
    fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == THREAD_NAME)
        .count()
}

async fn wait_for_no_session_threads() {
    let deadline = Instant::now() + Duration::from_secs(10);
    while session_threads() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} session thread(s) still running",
            session_threads()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Dropping the stream, or the client, ends the session thread; so does the remote end.
#[tokio::test]
async fn libssh2_session_thread_ends_with_the_stream() {
    let _gate = THREADS.write().await;
    let sb = Sandbox::get();
    wait_for_no_session_threads().await;

    // the raw transport stream, dropped
    let config: Config = uri("libssh2", &with_key(&format!("&socket={}", sb.socket())))
        .parse()
        .unwrap();
    let stream = transport::connect_with(&config).await.unwrap();
    assert_eq!(session_threads(), 1);
    drop(stream);
    wait_for_no_session_threads().await;

    // shut down for writing: nc ends, then the session
    let mut stream = transport::connect_with(&config).await.unwrap();
    stream.shutdown().await.unwrap();
    wait_for_no_session_threads().await;
    drop(stream);

    // a client, closed and dropped (over nc: with virt-ssh-helper, close() itself may see
    // the end of the connection before CONNECT_CLOSE's reply, with the ssh transport too)
    let client = Client::connect(&uri(
        "libssh2",
        &with_key(&format!("&socket={}", sb.socket())),
    ))
    .await
    .unwrap();
    assert_test_node(&client).await;
    assert_eq!(session_threads(), 1);
    client.close().await.unwrap();
    drop(client);
    wait_for_no_session_threads().await;
}
