//! Authentication against the sandbox's SASL-only daemon: SCRAM-SHA-256 on unix and tls,
//! DIGEST-MD5 with its security layer on plain tcp, each with the right and a wrong password,
//! credentials from auth.conf named by `authfile=`. (`LIBVIRT_AUTH_FILE`: `tests/auth_env.rs`,
//! a process of its own because it sets the environment.)

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::Sandbox;
use virtwire::{Client, Error, ErrorCode, ErrorKind};

static FILES: AtomicUsize = AtomicUsize::new(0);

/// Writes an auth.conf giving `user`/`password` for every host and returns its path.
fn auth_file(name: &str, user: &str, password: &str) -> PathBuf {
    let dir = PathBuf::from(Sandbox::get().dir()).join("auth");
    std::fs::create_dir_all(&dir).unwrap();
    let n = FILES.fetch_add(1, Ordering::Relaxed);
    let file = dir.join(format!("{name}-{}-{n}.conf", std::process::id()));
    std::fs::write(
        &file,
        format!(
            "[credentials-test]\nauthname={user}\npassword={password}\n\n\
             [auth-libvirt-default]\ncredentials=test\n"
        ),
    )
    .unwrap();
    file
}

fn right(name: &str) -> PathBuf {
    let sb = Sandbox::get();
    auth_file(name, sb.sasl_user(), sb.sasl_password())
}

fn wrong(name: &str) -> PathBuf {
    auth_file(name, Sandbox::get().sasl_user(), "not-the-password")
}

fn unix_uri(authfile: &Path, extra: &str) -> String {
    format!(
        "test+unix:///default?socket={}&authfile={}{extra}",
        Sandbox::get().sasl_socket(),
        authfile.display()
    )
}

fn tcp_uri(authfile: &Path, extra: &str) -> String {
    format!(
        "test+tcp://127.0.0.1:{}/default?authfile={}{extra}",
        Sandbox::get().sasl_tcp_port(),
        authfile.display()
    )
}

fn tls_uri(authfile: &Path) -> String {
    let sb = Sandbox::get();
    format!(
        "test+tls://localhost:{}/default?pkipath={}&authfile={}",
        sb.sasl_tls_port(),
        sb.pki(),
        authfile.display()
    )
}

/// A few calls through the connection, the domain list among them.
async fn prove_it_works(client: &Client) {
    assert_eq!(client.driver_type().await.unwrap(), "TEST");
    assert!(client.lib_version().await.unwrap() > 0);
    let domains = client.list_all_domains(Default::default()).await.unwrap();
    assert!(
        domains.iter().any(|d| d.name() == "test"),
        "the test driver's default domain is listed"
    );
    let caps = client.capabilities().await.unwrap();
    assert!(caps.contains("<capabilities>"), "{caps}");
}

/// The failure is an authentication error that keeps the daemon's own error as its source.
fn assert_refused(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(Sandbox::get().sasl_user()), "{msg}");
    let source = std::error::Error::source(err).expect("the daemon's error is kept");
    let daemon = source
        .downcast_ref::<Error>()
        .and_then(Error::remote)
        .unwrap_or_else(|| panic!("the source is the daemon's error: {err:?}"));
    assert_eq!(daemon.code, ErrorCode::AuthFailed, "{daemon:?}");
}

#[tokio::test]
async fn a_method_we_cannot_use_is_named_in_a_clear_error() {
    let uri = format!(
        "test+unix:///default?socket={}&auth=polkit",
        Sandbox::get().sasl_socket()
    );
    let err = Client::connect(&uri).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("sasl") && msg.contains("polkit"), "{msg}");
}

#[tokio::test]
async fn sasl_on_unix_with_the_right_password() {
    let client = Client::connect(&unix_uri(&right("unix"), ""))
        .await
        .unwrap();
    prove_it_works(&client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn sasl_on_unix_with_a_wrong_password() {
    let err = Client::connect(&unix_uri(&wrong("unix-wrong"), ""))
        .await
        .unwrap_err();
    assert_refused(&err);
    assert!(err.to_string().contains("SCRAM-SHA-256"), "{err}");
}

#[tokio::test]
async fn sasl_on_unix_with_each_mechanism() {
    for mech in ["SCRAM-SHA-256", "DIGEST-MD5", "PLAIN"] {
        let uri = unix_uri(&right("unix-mech"), &format!("&auth=sasl.{mech}"));
        let client = Client::connect(&uri)
            .await
            .unwrap_or_else(|e| panic!("{mech}: {e:?}"));
        prove_it_works(&client).await;
    }
}

#[tokio::test]
async fn sasl_on_tcp_with_the_right_password_runs_in_the_security_layer() {
    let client = Client::connect(&tcp_uri(&right("tcp"), "")).await.unwrap();
    prove_it_works(&client).await;
    // many calls at once: packets of the layer interleave both ways
    let calls = (0..20).map(|_| {
        let c = client.clone();
        async move {
            c.list_all_domains(Default::default())
                .await
                .map(|d| d.len())
        }
    });
    for n in futures_join_all(calls).await {
        assert!(n.unwrap() >= 1);
    }
    // larger payloads than one layer packet, both ways
    let caps = client.capabilities().await.unwrap();
    let big = format!("<!-- {} -->", "x".repeat(300_000));
    let err = client.define_domain_xml(&big).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Remote,
        "the daemon answered: {err:?}"
    );
    assert_eq!(client.capabilities().await.unwrap(), caps);
    client.close().await.unwrap();
}

#[tokio::test]
async fn sasl_on_tcp_with_a_wrong_password() {
    let err = Client::connect(&tcp_uri(&wrong("tcp-wrong"), ""))
        .await
        .unwrap_err();
    assert_refused(&err);
    assert!(err.to_string().contains("DIGEST-MD5"), "{err}");
}

/// On tcp the daemon offers DIGEST-MD5 only (its SASL library drops the mechanisms without a
/// layer of 56 bits); asking for another is a clear error before any password is sent.
#[tokio::test]
async fn tcp_refuses_a_mechanism_without_a_security_layer() {
    for mech in ["SCRAM-SHA-256", "PLAIN"] {
        let uri = tcp_uri(&right("tcp-no-layer"), &format!("&auth=sasl.{mech}"));
        let err = Client::connect(&uri).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        let msg = err.to_string();
        assert!(msg.contains(mech) && msg.contains("DIGEST-MD5"), "{msg}");
    }
}

#[tokio::test]
async fn sasl_on_tls_with_the_right_password() {
    let client = Client::connect(&tls_uri(&right("tls"))).await.unwrap();
    prove_it_works(&client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn sasl_on_tls_with_a_wrong_password() {
    let err = Client::connect(&tls_uri(&wrong("tls-wrong")))
        .await
        .unwrap_err();
    assert_refused(&err);
}

#[tokio::test]
async fn missing_credentials_are_explained() {
    let sb = Sandbox::get();
    let empty = auth_file("empty", "", "");
    std::fs::write(&empty, "# nothing here\n").unwrap();
    let uri = format!(
        "test+unix:///default?socket={}&authfile={}",
        sb.sasl_socket(),
        empty.display()
    );
    let err = Client::connect(&uri).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let msg = err.to_string();
    assert!(
        msg.contains("auth.conf") && msg.contains("password"),
        "{msg}"
    );

    let uri = format!(
        "test+unix:///default?socket={}&authfile=/nonexistent/auth.conf",
        sb.sasl_socket()
    );
    let err = Client::connect(&uri).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(err.to_string().contains("/nonexistent/auth.conf"), "{err}");
}

/// `join_all` without the futures crate: spawn each, await all.
async fn futures_join_all<F, T>(futs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
