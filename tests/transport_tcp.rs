//! The tcp transport against the sandbox's libvirtd (auth none on 127.0.0.1).

mod common;

use common::Sandbox;
use virtwire::{Client, ErrorKind};

#[tokio::test]
async fn tcp_by_address() {
    let sb = Sandbox::get();
    let node = sb.new_node_file("tcp-address");
    let uri = format!("test+tcp://127.0.0.1:{}{}", sb.tcp_port(), node.display());
    let client = Client::connect(&uri).await.unwrap();
    assert!(!client.hostname().await.unwrap().is_empty());
    common::assert_test_node(&client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn tcp_by_name_resolves_localhost() {
    let sb = Sandbox::get();
    let node = sb.new_node_file("tcp-name");
    let uri = format!("test+tcp://localhost:{}{}", sb.tcp_port(), node.display());
    let client = Client::connect(&uri).await.unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn tcp_refused_port_is_an_io_error_naming_the_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Client::connect(&format!("test+tcp://127.0.0.1:{port}/default"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}
