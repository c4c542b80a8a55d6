//! Authentication against the sandbox's SASL-only daemon.

mod common;

use common::Sandbox;
use virtwire::{Client, ErrorKind};

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
