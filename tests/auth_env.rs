//! `LIBVIRT_AUTH_FILE`, in a test binary of its own: it sets the process environment, which
//! the parallel tests of `tests/auth.rs` must not see.

mod common;

use common::Sandbox;
use virtwire::Client;

#[tokio::test]
async fn libvirt_auth_file_names_the_credentials_and_wins_over_authfile() {
    let sb = Sandbox::get();
    // SAFETY: the only test of this binary; nothing else reads or writes the environment
    // while it changes.
    unsafe { std::env::set_var("LIBVIRT_AUTH_FILE", sb.sasl_auth_file()) };

    // the sandbox's auth.conf has entries for localhost, 127.0.0.1 and "default"
    let unix = format!("test+unix:///default?socket={}", sb.sasl_socket());
    let client = Client::connect(&unix).await.unwrap();
    assert_eq!(client.driver_type().await.unwrap(), "TEST");
    client.close().await.unwrap();

    let tcp = format!("test+tcp://127.0.0.1:{}/default", sb.sasl_tcp_port());
    let client = Client::connect(&tcp).await.unwrap();
    assert!(
        !client
            .list_all_domains(Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    client.close().await.unwrap();

    // as in libvirt, the environment wins over the URI's authfile=
    let ignored = format!("{unix}&authfile=/nonexistent/auth.conf");
    let client = Client::connect(&ignored).await.unwrap();
    client.close().await.unwrap();
}
