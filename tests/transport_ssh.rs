//! The ssh transport through the system `ssh` against the sandbox's sshd on 127.0.0.1: the
//! netcat proxy (`socket=`, or the default socket) and `virt-ssh-helper` (proxy=native and
//! auto). In sshd's namespace `/var/run/libvirt/libvirt-sock[-ro]` lead to the sandbox
//! libvirtd, so the remote side's defaults work.

mod common;

use common::Sandbox;
use virtwire::{Client, ErrorKind};

/// `test+ssh://root@127.0.0.1:PORT/<fresh node file>?PARAMS`.
fn ssh_uri(params: &str) -> String {
    let sb = Sandbox::get();
    let node = sb.new_node_file("ssh");
    format!(
        "test+ssh://root@127.0.0.1:{}{}?{params}",
        sb.ssh_port(),
        node.display()
    )
}

/// The error and its sources, as one line.

#[tokio::test]
async fn ssh_netcat_to_the_given_socket() {
    let sb = Sandbox::get();
    let uri = ssh_uri(&format!(
        "socket={}&command={}",
        sb.socket(),
        sb.ssh_wrapper()
    ));
    let client = Client::connect(&uri).await.unwrap();
    assert!(!client.hostname().await.unwrap().is_empty());
    common::assert_test_node(&client).await;
    client.close().await.unwrap();
}

/// The plain `ssh` binary, told the key and known_hosts file through the URI.
#[tokio::test]
async fn ssh_keyfile_known_hosts_and_no_tty() {
    let sb = Sandbox::get();
    let uri = ssh_uri(&format!(
        "socket={}&keyfile={}&known_hosts={}&no_tty=1",
        sb.socket(),
        sb.ssh_key(),
        sb.ssh_known_hosts()
    ));
    let client = Client::connect(&uri).await.unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn ssh_virt_ssh_helper_proxy_native() {
    let sb = Sandbox::get();
    let uri = ssh_uri(&format!("proxy=native&command={}", sb.ssh_wrapper()));
    let client = Client::connect(&uri).await.unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn ssh_proxy_auto_finds_the_helper() {
    let sb = Sandbox::get();
    let uri = ssh_uri(&format!("command={}", sb.ssh_wrapper()));
    let client = Client::connect(&uri).await.unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn ssh_proxy_netcat_uses_the_default_socket() {
    let sb = Sandbox::get();
    let uri = ssh_uri(&format!("proxy=netcat&command={}", sb.ssh_wrapper()));
    let client = Client::connect(&uri).await.unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn ssh_read_only_through_the_helper() {
    let sb = Sandbox::get();
    let uri = ssh_uri(&format!("proxy=native&command={}", sb.ssh_wrapper()));
    let client = common::connect_read_only(&uri).await;
    common::assert_test_node(&client).await;
    common::assert_write_denied(&client).await;
}

/// ssh fails before any byte flows: its own words end up in the error.
#[tokio::test]
async fn ssh_failure_reports_ssh_stderr() {
    let sb = Sandbox::get();
    let uri = ssh_uri(&format!(
        "socket={}&keyfile={}&known_hosts=/dev/null&no_tty=1",
        sb.socket(),
        sb.ssh_key()
    ));
    let err = Client::connect(&uri).await.unwrap_err();
    let text = common::error_chain(&err);
    assert!(text.contains("Host key verification failed"), "{text}");
}

#[tokio::test]
async fn ssh_missing_binary_is_an_io_error() {
    let err = Client::connect(&ssh_uri("command=/nonexistent/virtwire-ssh"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/virtwire-ssh"),
        "{err}"
    );
}
