//! The transport seam used directly: a [`Config`] built in code, opened with
//! `transport::open`, handed to `Client::connect_stream`.

mod common;

use common::Sandbox;
use virtwire::Client;
use virtwire::config::{Config, Transport};
use virtwire::transport;

#[tokio::test]
async fn config_builder_and_connect_stream_over_unix() {
    let sb = Sandbox::get();
    let node = sb.new_node_file("unix-config");
    let config = Config::builder()
        .uri(format!("test+unix://{}", node.display()))
        .socket(sb.socket())
        .build()
        .unwrap();
    assert_eq!(config.transport(), Transport::Unix);
    let name = config.daemon_name();
    assert_eq!(name, Some(format!("test://{}", node.display())));

    let stream = transport::open(&config).await.unwrap();
    let client = Client::connect_stream(stream, &config).await.unwrap();
    common::assert_test_node(&client).await;
}

#[tokio::test]
async fn missing_socket_is_an_io_error_naming_the_path() {
    let config: Config = "test+unix:///default?socket=/nonexistent/virtwire/sock"
        .parse()
        .unwrap();
    let err = transport::open(&config).await.err().unwrap();
    assert_eq!(err.kind(), virtwire::ErrorKind::Io);
    assert!(
        err.to_string().contains("/nonexistent/virtwire/sock"),
        "{err}"
    );
}

#[cfg(not(feature = "libssh2"))]
#[tokio::test]
async fn in_process_ssh_is_not_supported_yet() {
    for uri in ["qemu+libssh2://h/system", "qemu+libssh://h/system"] {
        let config: Config = uri.parse().unwrap();
        let err = transport::open(&config).await.err().unwrap();
        assert_eq!(err.kind(), virtwire::ErrorKind::Unsupported, "{uri}");
    }
}
