//! The in-process ssh transports `libssh2` and `libssh` (cargo feature `libssh2`; both run the
//! same libssh2 code, so the `libssh_*` tests check that the scheme is served) against the
//! sandbox's sshds on 127.0.0.1: the key and known_hosts files from the URI, each
//! `known_hosts_verify` mode, a refused key, the netcat proxy (`socket=`) and the default
//! `virt-ssh-helper`, and the session thread ending with the stream; on the password-only
//! sshd, the password from the auth callback and from auth.conf, a wrong one, and unknown host
//! keys accepted or refused by the callback; an encrypted key's passphrase from the callback.
#![cfg(feature = "libssh2")]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Sandbox, assert_test_node, error_chain};
use tokio::io::AsyncWriteExt;
use tokio::sync::RwLock;
use virtwire::config::Config;
use virtwire::config::{AuthCallback, CallbackError, Credential, CredentialType};
use virtwire::transport;
use virtwire::{Client, ErrorKind};

/// The name of the transport's session threads.
const THREAD_NAME: &str = "virtwire-ssh2";

/// Tests hold it shared; the one that counts session threads holds it alone.
static THREADS: RwLock<()> = RwLock::const_new(());

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

/// `libssh` URIs are served by the same libssh2 code: the scheme is accepted and works.
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
    let client = common::connect_read_only(&uri).await;
    assert_test_node(&client).await;
    common::assert_write_denied(&client).await;
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
        let text = error_chain(&err);
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
    let text = error_chain(&err);
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
    let text = error_chain(&err);
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
    let text = error_chain(&err);
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
    let text = error_chain(&err);
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
    common::write_executable(&echo, "#!/bin/sh\n[ \"$1\" = -q ] && exit 0\nexec cat\n");
    let config: Config = uri(
        "libssh2",
        &with_key(&format!("&proxy=netcat&netcat={}", echo.display())),
    )
    .parse()
    .unwrap();
    let stream = transport::open(&config).await.unwrap();
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
    let stream = transport::open(&config).await.unwrap();
    assert_eq!(session_threads(), 1);
    drop(stream);
    wait_for_no_session_threads().await;

    // shut down for writing: nc ends, then the session
    let mut stream = transport::open(&config).await.unwrap();
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

// ---------------------------------------------------------------- passwords, callbacks

/// An auth callback with fixed answers that notes every question: (type, prompt, challenge).
#[derive(Default)]
struct Answers {
    /// The answer to hidden questions (passwords, passphrases).
    secret: Option<String>,
    /// The answer to echoed ones (the host key question).
    echo: Option<&'static str>,
    /// Give up instead of answering.
    fail: bool,
    asked: Mutex<Vec<(CredentialType, String, Option<String>)>>,
}

impl Answers {
    fn secret(secret: &str) -> Answers {
        Answers {
            secret: Some(secret.to_owned()),
            ..Answers::default()
        }
    }

    fn asked(&self) -> Vec<(CredentialType, String, Option<String>)> {
        self.asked.lock().unwrap().clone()
    }
}

impl AuthCallback for Answers {
    fn fill(&self, creds: &mut [Credential]) -> Result<(), CallbackError> {
        for c in creds {
            self.asked.lock().unwrap().push((
                c.kind(),
                c.prompt().to_owned(),
                c.challenge().map(str::to_owned),
            ));
            if self.fail {
                return Err("the user closed the dialog".into());
            }
            let answer = match c.kind() {
                CredentialType::Passphrase | CredentialType::NoEchoPrompt => self.secret.clone(),
                CredentialType::EchoPrompt => self.echo.map(str::to_owned),
                _ => None,
            };
            if let Some(answer) = answer {
                c.set_result(answer);
            }
        }
        Ok(())
    }
}

/// `test+TRANSPORT://root@127.0.0.1:PASSWORD_PORT/<fresh node file>?sshauth=password&…`
/// (netcat to the sandbox socket), plus `extra`.
fn password_uri(transport: &str, extra: &str) -> String {
    let sb = Sandbox::get();
    let node = sb.new_node_file(transport);
    format!(
        "test+{transport}://root@127.0.0.1:{}{}?sshauth=password&socket={}{extra}",
        sb.ssh_password_port(),
        node.display(),
        sb.socket()
    )
}

/// The password question, as libvirt asks it.
fn password_question() -> (CredentialType, String, Option<String>) {
    (
        CredentialType::Passphrase,
        "Enter root's password for 127.0.0.1".to_owned(),
        Some("127.0.0.1".to_owned()),
    )
}

/// The password from the auth callback given to `Config::connect`, as libvirt's
/// `virConnectOpenAuth` asks it.
#[tokio::test]
async fn libssh2_password_from_the_auth_callback() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let uri = password_uri("libssh2", &format!("&known_hosts={}", sb.ssh_known_hosts()));
    let answers = Arc::new(Answers::secret(sb.ssh_password()));
    let client = Config::builder()
        .uri(&uri)
        .auth_callback(answers.clone())
        .build()
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    assert_test_node(&client).await;
    client.close().await.unwrap();
    assert_eq!(answers.asked(), [password_question()]);
}

/// The password in the URI (`user:password@`, kept by `Config`'s parser).
#[tokio::test]
async fn libssh2_password_in_the_uri() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let uri = password_uri("libssh2", &format!("&known_hosts={}", sb.ssh_known_hosts())).replacen(
        "root@",
        &format!("root:{}@", sb.ssh_password()),
        1,
    );
    let config: Config = uri.parse().unwrap();
    let client = config
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    assert_test_node(&client).await;
    client.close().await.unwrap();
}

/// The password from auth.conf (`authfile=`, `[auth-ssh-HOST]`), without a callback.
#[tokio::test]
async fn libssh_password_from_auth_conf() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("authconf");
    let authfile = dir.join("auth.conf");
    fs::write(
        &authfile,
        format!(
            "[credentials-sandbox-root]\npassword={}\n\n[auth-ssh-127.0.0.1]\n\
             credentials=sandbox-root\n",
            sb.ssh_password()
        ),
    )
    .unwrap();
    let uri = password_uri(
        "libssh",
        &format!(
            "&known_hosts={}&authfile={}",
            sb.ssh_known_hosts(),
            authfile.display()
        ),
    );
    let client = Client::connect(&uri)
        .await
        .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    assert_test_node(&client).await;
    client.close().await.unwrap();
}

/// A wrong password, no password at all, a callback that gives up: clear Auth errors that
/// never show the password.
#[tokio::test]
async fn libssh2_password_failures_are_auth_errors() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("wrongpw");
    let empty = dir.join("auth.conf");
    fs::write(&empty, "").unwrap();
    let uri = password_uri(
        "libssh2",
        &format!(
            "&known_hosts={}&authfile={}",
            sb.ssh_known_hosts(),
            empty.display()
        ),
    );
    let connect = |answers: Option<Arc<Answers>>| {
        let uri = uri.clone();
        async move {
            match answers {
                Some(cb) => {
                    Config::builder()
                        .uri(&uri)
                        .auth_callback(cb)
                        .build()
                        .unwrap()
                        .connect()
                        .await
                }
                None => Client::connect(&uri).await,
            }
        }
    };
    let who = format!(
        "ssh authentication as root@127.0.0.1:{} failed",
        sb.ssh_password_port()
    );

    let wrong = "not-the-password-1234";
    let answers = Arc::new(Answers::secret(wrong));
    let err = connect(Some(answers.clone())).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = error_chain(&err);
    assert!(text.contains(&who), "{text}");
    assert!(text.contains("(password: "), "{text}");
    assert!(text.contains("the server accepts: password"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    assert!(!format!("{err:?}").contains(wrong), "{err:?}");
    assert_eq!(answers.asked(), [password_question()]);

    // nobody to ask
    let err = connect(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = error_chain(&err);
    assert!(text.contains(&who), "{text}");
    assert!(
        text.contains(&format!(
            "password: no password (none in the URI or the configuration, none in {} for \
             [auth-ssh-127.0.0.1], and no auth callback to ask)",
            empty.display()
        )),
        "{text}"
    );

    // a callback that leaves the answer unset
    let err = connect(Some(Arc::new(Answers::default())))
        .await
        .unwrap_err();
    assert!(
        error_chain(&err).contains("the auth callback gave none"),
        "{err}"
    );

    // a callback that gives up ends the authentication with its error as the source
    let giving_up = Arc::new(Answers {
        fail: true,
        ..Answers::default()
    });
    let err = connect(Some(giving_up)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = error_chain(&err);
    assert!(
        text.contains("the authentication callback failed to answer the ssh password question"),
        "{text}"
    );
    assert!(text.contains("the user closed the dialog"), "{text}");
}

/// known_hosts_verify=normal and an unknown host: the callback is asked, as libvirt asks it;
/// `yes` accepts the key, which is recorded, and the next connection does not ask again.
#[tokio::test]
async fn libssh2_unknown_host_key_accepted_by_the_callback() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("hostkey-yes");
    let known = dir.join("sub").join("known_hosts");
    let uri = password_uri("libssh2", &format!("&known_hosts={}", known.display()));
    let answers = Arc::new(Answers {
        echo: Some("yes"),
        ..Answers::secret(sb.ssh_password())
    });
    let client = Config::builder()
        .uri(&uri)
        .auth_callback(answers.clone())
        .build()
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    assert_test_node(&client).await;
    client.close().await.unwrap();
    let asked = answers.asked();
    assert_eq!(asked.len(), 2, "{asked:?}");
    let (kind, prompt, challenge) = &asked[0];
    assert_eq!(*kind, CredentialType::EchoPrompt);
    assert!(
        prompt.starts_with("Accept SSH host key with hash 'SHA256:"),
        "{prompt}"
    );
    assert!(
        prompt.ends_with(&format!(
            "' for host '127.0.0.1:{}' (y/n)?",
            sb.ssh_password_port()
        )),
        "{prompt}"
    );
    assert_eq!(
        challenge.as_deref(),
        Some(format!("127.0.0.1:{}", sb.ssh_password_port()).as_str())
    );
    assert_eq!(asked[1], password_question());
    assert_eq!(
        fs::read_to_string(&known).unwrap(),
        format!("[127.0.0.1]:{} {}\n", sb.ssh_password_port(), host_key())
    );

    // now known: only the password is asked
    let answers = Arc::new(Answers::secret(sb.ssh_password()));
    let client = Config::builder()
        .uri(password_uri(
            "libssh",
            &format!("&known_hosts={}", known.display()),
        ))
        .auth_callback(answers.clone())
        .build()
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    assert_test_node(&client).await;
    assert_eq!(answers.asked(), [password_question()]);
}

/// Any answer but yes refuses the unknown key (the callback set in a `Config` this time), and
/// nothing is recorded; so does a callback that takes no `EchoPrompt` questions.
#[tokio::test]
async fn libssh2_unknown_host_key_refused_by_the_callback() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("hostkey-no");
    let known = dir.join("known_hosts");
    let uri = password_uri("libssh2", &format!("&known_hosts={}", known.display()));
    for answer in [Some("n"), Some("sure"), None] {
        let answers = Arc::new(Answers {
            echo: answer,
            ..Answers::secret(sb.ssh_password())
        });
        let config = Config::builder()
            .uri(uri.as_str())
            .auth_callback(answers.clone())
            .build()
            .unwrap();
        let err = config.connect().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
        let text = error_chain(&err);
        assert!(text.contains("host key verification failed"), "{text}");
        assert!(
            text.contains("and the auth callback did not accept it"),
            "{text}"
        );
        // asked about the key, never for the password
        let asked = answers.asked();
        assert_eq!(asked.len(), 1, "{asked:?}");
        assert_eq!(asked[0].0, CredentialType::EchoPrompt);
        assert!(!known.exists());
    }

    struct PasswordsOnly;
    impl AuthCallback for PasswordsOnly {
        fn credential_types(&self) -> &[CredentialType] {
            &[CredentialType::Passphrase]
        }
        fn fill(&self, _: &mut [Credential]) -> Result<(), CallbackError> {
            panic!("asked a question it does not take")
        }
    }
    let err = Config::builder()
        .uri(&uri)
        .auth_callback(Arc::new(PasswordsOnly))
        .build()
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(
        error_chain(&err).contains("takes no EchoPrompt questions"),
        "{err}"
    );
    assert!(!known.exists());
}

/// An encrypted key: its passphrase comes from the callback (libvirt's `Passphrase for key`).
#[tokio::test]
async fn libssh2_encrypted_key_passphrase_from_the_auth_callback() {
    let _gate = THREADS.read().await;
    let sb = Sandbox::get();
    let dir = scratch("passphrase");
    let key = dir.join("id_ed25519");
    fs::copy(sb.ssh_key(), &key).unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    let passphrase = "correct horse battery staple";
    let status = Command::new("ssh-keygen")
        .args(["-q", "-p", "-P", "", "-N", passphrase, "-f"])
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let uri = uri(
        "libssh2",
        &format!(
            "sshauth=privkey&keyfile={}&known_hosts={}&socket={}",
            key.display(),
            sb.ssh_known_hosts(),
            sb.socket()
        ),
    );

    let answers = Arc::new(Answers::secret(passphrase));
    let client = Config::builder()
        .uri(&uri)
        .auth_callback(answers.clone())
        .build()
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    assert_test_node(&client).await;
    client.close().await.unwrap();
    assert_eq!(
        answers.asked(),
        [(
            CredentialType::Passphrase,
            format!("Passphrase for key '{}'", key.display()),
            None
        )]
    );

    // without a callback, the error says what is missing
    let err = Client::connect(&uri).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let text = error_chain(&err);
    assert!(
        text.contains("an encrypted key? no passphrase: no auth callback to ask"),
        "{text}"
    );
    // a wrong passphrase
    let err = Config::builder()
        .uri(&uri)
        .auth_callback(Arc::new(Answers::secret("wrong")))
        .build()
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(
        error_chain(&err).contains("with the passphrase the auth callback gave"),
        "{err}"
    );
}
