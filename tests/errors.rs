//! Matching the daemon's errors in one line: `code()`, `remote()` and the predicates, against
//! the real libvirtd (test driver, one node file per test); and the `Display` policy (the
//! error's own message, the cause only through `source()`).

mod common;

use common::{Sandbox, node};
use virtwire::proto::remote;
use virtwire::{Client, ErrorCode, ErrorKind};

async fn client(name: &str) -> Client {
    Client::connect(&Sandbox::get().test_uri(name))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_missing_domain_is_not_found() {
    let client = client("err-not-found").await;
    let err = client
        .lookup_domain_by_name("no-such-domain")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.is_remote());
    assert_eq!(err.kind(), ErrorKind::Remote);
    assert_eq!(err.code(), Some(ErrorCode::NoDomain));
    assert_eq!(err.remote().map(|r| r.code), Some(ErrorCode::NoDomain));
    for other in [
        err.is_operation_invalid(),
        err.is_operation_denied(),
        err.is_unsupported(),
        err.is_invalid_argument(),
        err.is_auth(),
        err.is_timeout(),
        err.is_closed(),
    ] {
        assert!(!other, "only is_not_found holds: {err:?}");
    }
    // The daemon's message is the error's message; there is no further cause.
    let message = err.remote().unwrap().message.clone().unwrap();
    assert!(err.to_string().starts_with(&message), "{err}");
    assert!(std::error::Error::source(&err).is_none());
    client.close().await.unwrap();
}

#[tokio::test]
async fn starting_an_active_network_is_an_invalid_operation() {
    let client = client("err-invalid-op").await;
    let net = client
        .raw()
        .network_lookup_by_name(&remote::NetworkLookupByNameArgs {
            name: node::NETWORK.try_into().unwrap(),
        })
        .await
        .unwrap()
        .net;
    // The node file's network is active already.
    let err = client
        .raw()
        .network_create(&remote::NetworkCreateArgs { net })
        .await
        .unwrap_err();
    assert!(err.is_operation_invalid(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::OperationInvalid));
    assert!(!err.is_not_found());
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_write_on_a_read_only_connection_is_denied() {
    let client = common::connect_read_only(&Sandbox::get().test_uri("err-denied")).await;
    let dom = client
        .lookup_domain_by_name(node::STOPPED_DOMAIN)
        .await
        .unwrap();
    let err = dom.create().await.unwrap_err();
    assert!(err.is_operation_denied(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::OperationDenied));
    client.close().await.unwrap();
}

#[tokio::test]
async fn what_the_driver_lacks_is_unsupported() {
    let client = client("err-unsupported").await;
    let dom = client
        .lookup_domain_by_name(node::RUNNING_DOMAIN)
        .await
        .unwrap();
    // The test driver has no job information.
    let err = client
        .raw()
        .domain_get_job_info(&remote::DomainGetJobInfoArgs {
            dom: dom.to_remote(),
        })
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::NoSupport));
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_argument_the_daemon_rejects_is_invalid() {
    let client = client("err-invalid-arg").await;
    let dom = client
        .lookup_domain_by_name(node::RUNNING_DOMAIN)
        .await
        .unwrap();
    // libvirt refuses a memory size of zero before the driver sees it.
    let err = client
        .raw()
        .domain_set_memory(&remote::DomainSetMemoryArgs {
            dom: dom.to_remote(),
            memory: 0,
        })
        .await
        .unwrap_err();
    assert!(err.is_invalid_argument(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::InvalidArg));
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_failure_of_ours_has_no_daemon_code() {
    let err = Client::connect("test+unix:///default?mode=nonsense")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert_eq!(err.code(), None);
    assert!(err.remote().is_none());
    assert!(!err.is_remote() && !err.is_not_found());
}

/// `Display` is the error's own message; what caused it is only in the `source()` chain.
#[tokio::test]
async fn display_shows_the_message_and_source_the_cause() {
    let sb = Sandbox::get();
    let missing = format!("{}/no-such-socket", sb.dir());
    let err = Client::connect(&format!("test+unix:///default?socket={missing}"))
        .await
        .unwrap_err();
    let source = std::error::Error::source(&err).expect("the io error is the source");
    let cause = source.to_string();
    assert!(!cause.is_empty());
    assert!(
        !err.to_string().contains(&cause),
        "Display repeats the cause: {err}"
    );
    assert!(common::error_chain(&err).ends_with(&cause));
}
