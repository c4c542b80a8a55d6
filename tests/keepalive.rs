//! Keepalive with the real daemon: once the client has asked for keepalive support, libvirtd
//! PINGs an idle connection every 5 s and drops it after 30 s of silence from the client.
//! Answering its PINGs (and sending our own) keeps an idle connection open.

mod common;

use std::time::Duration;

use common::Sandbox;
use virtwire::Client;

#[tokio::test]
async fn an_idle_connection_outlives_the_daemons_keepalive_deadline() {
    let client = Client::connect(&Sandbox::get().test_uri("keepalive"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(36)).await;
    assert!(
        client.hostname().await.is_ok(),
        "the daemon dropped an idle connection"
    );
}
