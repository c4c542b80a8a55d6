//! The seed's virsh workflow through the API, against the real libvirtd (test driver, one
//! node file per test so tests run in parallel).

mod common;

use common::Sandbox;
use virtwire::flags::ConnectListAllDomainsFlags;
use virtwire::{Client, DomainState, ErrorCode, ErrorKind};

fn domain_xml(name: &str) -> String {
    format!(
        "<domain type='test'><name>{name}</name><memory unit='KiB'>262144</memory>\
         <currentMemory unit='KiB'>131072</currentMemory><vcpu>2</vcpu>\
         <os><type arch='x86_64'>hvm</type></os></domain>"
    )
}

async fn state_of(client: &Client, name: &str) -> DomainState {
    client
        .lookup_domain_by_name(name)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn seed_workflow_define_start_suspend_resume_destroy_undefine() {
    let client = Client::connect(&Sandbox::get().test_uri("workflow"))
        .await
        .unwrap();
    let dom = client.define_domain_xml(&domain_xml("wf")).await.unwrap();
    assert_eq!(dom.name(), "wf");
    assert_eq!(dom.id(), -1);
    assert_eq!(dom.state().await.unwrap().0, DomainState::Shutoff);

    dom.create().await.unwrap();
    assert!(dom.id() > 0, "a running domain has an id");
    let running: Vec<String> = client
        .list_all_domains(ConnectListAllDomainsFlags::ACTIVE)
        .await
        .unwrap()
        .iter()
        .map(|d| d.name().to_owned())
        .collect();
    assert!(running.contains(&"wf".to_owned()), "{running:?}");
    assert_eq!(state_of(&client, "wf").await, DomainState::Running);

    dom.suspend().await.unwrap();
    assert_eq!(dom.info().await.unwrap().state, DomainState::Paused);
    dom.resume().await.unwrap();
    assert_eq!(dom.info().await.unwrap().state, DomainState::Running);

    let xml = dom.xml_desc(Default::default()).await.unwrap();
    assert!(xml.contains("<name>wf</name>"), "{xml}");

    dom.destroy().await.unwrap();
    assert_eq!(dom.id(), -1);
    assert_eq!(dom.state().await.unwrap().0, DomainState::Shutoff);

    dom.undefine().await.unwrap();
    let err = client.lookup_domain_by_name("wf").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Remote);
    assert_eq!(err.remote().unwrap().code, ErrorCode::NoDomain);
    client.close().await.unwrap();
}

#[tokio::test]
async fn domain_info_reports_memory_and_vcpus() {
    let client = Client::connect(&Sandbox::get().test_uri("info"))
        .await
        .unwrap();
    let dom = client.define_domain_xml(&domain_xml("inf")).await.unwrap();
    let info = dom.info().await.unwrap();
    assert_eq!(info.max_mem_kib, 262_144);
    assert_eq!(info.memory_kib, 131_072);
    assert_eq!(info.nr_virt_cpu, 2);
    assert_eq!(info.state, DomainState::Shutoff);
}

#[tokio::test]
async fn lookups_by_name_uuid_and_id_agree() {
    let client = Client::connect(&Sandbox::get().test_uri("lookup"))
        .await
        .unwrap();
    let dom = client.define_domain_xml(&domain_xml("lk")).await.unwrap();
    dom.create().await.unwrap();
    let by_uuid = client.lookup_domain_by_uuid(dom.uuid()).await.unwrap();
    let by_id = client.lookup_domain_by_id(dom.id()).await.unwrap();
    assert_eq!(by_uuid.name(), "lk");
    assert_eq!(by_id.uuid(), dom.uuid());
    assert_eq!(dom.uuid_string().len(), 36);
}

#[tokio::test]
async fn transient_domain_from_create_xml_is_running() {
    let client = Client::connect(&Sandbox::get().test_uri("transient"))
        .await
        .unwrap();
    let dom = client
        .create_domain_xml(&domain_xml("tr"), Default::default())
        .await
        .unwrap();
    assert_eq!(dom.info().await.unwrap().state, DomainState::Running);
    dom.destroy().await.unwrap();
    let err = client.lookup_domain_by_name("tr").await.unwrap_err();
    assert_eq!(err.remote().unwrap().code, ErrorCode::NoDomain);
}

#[tokio::test]
async fn host_facts() {
    let client = Client::connect(&Sandbox::get().default_test_uri())
        .await
        .unwrap();
    assert!(client.lib_version().await.unwrap() >= 9_000_000);
    assert!(!client.hostname().await.unwrap().is_empty());
    assert!(
        client
            .capabilities()
            .await
            .unwrap()
            .contains("<capabilities>")
    );
    assert_eq!(client.driver_type().await.unwrap(), "TEST");
    let node = client.node_info().await.unwrap();
    assert!(node.cpus > 0 && node.memory_kib > 0, "{node:?}");
    assert!(!node.model.is_empty());
}

#[tokio::test]
async fn read_only_connection_refuses_changes_with_the_daemons_error() {
    let s = Sandbox::get();
    let uri = format!("test+unix:///default?socket={}", s.socket_ro());
    let client = common::connect_read_only(&uri).await;
    assert!(client.list_all_domains(Default::default()).await.is_ok());
    let err = client
        .define_domain_xml(&domain_xml("ro"))
        .await
        .unwrap_err();
    assert_eq!(
        err.remote().unwrap().code,
        ErrorCode::OperationDenied,
        "{err}"
    );
}

/// The calls without flags are libvirt's calls without flags (`virDomainDestroy`, not
/// `virDomainDestroyFlags`): the daemon names the API in its messages, and virsh-compatible
/// output depends on it.
#[tokio::test]
async fn calls_without_flags_are_libvirts_calls_without_flags() {
    let s = Sandbox::get();
    let uri = format!("test+unix:///default?socket={}", s.socket_ro());
    let client = common::connect_read_only(&uri).await;
    let dom = client.lookup_domain_by_name("test").await.unwrap();
    let denied = |r: virtwire::Result<()>| {
        let e = r.unwrap_err();
        e.remote()
            .and_then(|r| r.message.clone())
            .unwrap_or_default()
    };
    let api = |m: String| m.rsplit(' ').next().unwrap_or_default().to_string();
    assert_eq!(api(denied(dom.destroy().await)), "virDomainDestroy");
    assert_eq!(api(denied(dom.shutdown().await)), "virDomainShutdown");
    assert_eq!(api(denied(dom.create().await)), "virDomainCreate");
    assert_eq!(api(denied(dom.undefine().await)), "virDomainUndefine");
    let defined = client.define_domain_xml(&domain_xml("ro-api")).await;
    assert_eq!(api(denied(defined.map(|_| ()))), "virDomainDefineXML");
}

#[tokio::test]
async fn daemon_errors_are_structured() {
    let client = Client::connect(&Sandbox::get().test_uri("errors"))
        .await
        .unwrap();
    let err = client.define_domain_xml("<domain").await.unwrap_err();
    let remote = err.remote().expect("a remote error");
    assert_eq!(remote.code, ErrorCode::XmlDetail, "{remote:?}");
    assert_eq!(remote.domain, virtwire::ErrorDomain::Domain);
    assert!(remote.message.is_some());
}

#[tokio::test]
async fn calls_after_close_fail_cleanly() {
    let client = Client::connect(&Sandbox::get().test_uri("close"))
        .await
        .unwrap();
    client.close().await.unwrap();
    let err = client.hostname().await.unwrap_err();
    // The daemon refuses calls on a closed driver; the transport stays up until drop.
    assert!(
        err.kind() == ErrorKind::Remote || err.is_closed(),
        "{err:?}"
    );
}

#[cfg(not(feature = "libssh2"))]
#[tokio::test]
async fn unsupported_transports_say_so() {
    let err = Client::connect("test+libssh2://127.0.0.1/default")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

/// `Domain::info` agrees with `virsh dominfo` on the same daemon (the seed's Python sample
/// printed these figures).
#[tokio::test]
async fn info_matches_virsh_dominfo() {
    let uri = Sandbox::get().test_uri("dominfo");
    let client = Client::connect(&uri).await.unwrap();
    // A node file gives each connection its own fresh state: virsh, on its own connection,
    // sees the file's domains as they are defined there.
    let theirs = client
        .lookup_domain_by_name("vw-running")
        .await
        .unwrap()
        .info()
        .await
        .unwrap();
    let out = std::process::Command::new("virsh")
        .args(["-c", &uri, "dominfo", "vw-running"])
        .output()
        .expect("virsh runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert_eq!(field("State:"), theirs.state.describe());
    assert_eq!(field("CPU(s):"), theirs.nr_virt_cpu.to_string());
    assert_eq!(field("Max memory:"), format!("{} KiB", theirs.max_mem_kib));
    assert_eq!(field("Used memory:"), format!("{} KiB", theirs.memory_kib));
    assert_eq!(theirs.state, DomainState::Running);
}
