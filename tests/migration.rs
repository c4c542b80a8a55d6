//! Migration through the typed API between the sandbox's two qemu libvirtds ("main" and
//! "dest", `VIRTWIRE_DEST_SOCKET`), with the TCG guest: managed peer-to-peer
//! (`Domain::migrate_to_uri`, back tunnelled) and client-managed (`Domain::migrate`: Begin,
//! Prepare, Perform, Finish, Confirm across two connections), each live to dest and back, the
//! guest's shell answering on its serial console on the side it runs on; progress from job
//! statistics and events; a failed Prepare and an aborted Perform leave the guest running
//! where it was; flags client-managed migration cannot honour are refused before anything is
//! sent.
//! Also the migration tunables on the running guest (maximum downtime, bandwidth, compression
//! cache set and read back; post-copy refused while no migration runs).

mod common;
#[path = "common/guest.rs"]
mod guest;

use std::time::Duration;

use common::Sandbox;
use virtwire::events::{DomainEventKind, EventItem};
use virtwire::flags::{DomainMigrateFlags, DomainMigrateMaxSpeedFlags};
use virtwire::migration::{MigrationProgress, param};
use virtwire::proto::c_events::DomainEventId;
use virtwire::{Client, Domain, DomainState, ErrorCode, ErrorKind, TypedParams};

/// The dest libvirtd's socket (`VIRTWIRE_DEST_SOCKET`, written by `scripts/sandbox.sh start`
/// unless `VIRTWIRE_SANDBOX_DEST=0`).
fn dest_socket() -> String {
    std::env::var("VIRTWIRE_DEST_SOCKET").unwrap_or_else(|_| {
        panic!(
            "VIRTWIRE_DEST_SOCKET is not set: migration tests need the sandbox's \"dest\" \
             libvirtd (bash scripts/sandbox.sh start DIR without VIRTWIRE_SANDBOX_DEST=0, then \
             source DIR/env; a sandbox from before the dest libvirtd: stop and start it again)"
        )
    })
}

/// The qemu driver behind the unix socket `socket`: how a test connects, and how a source
/// daemon reaches the other one for peer-to-peer migration (both see the same paths).
fn qemu_uri_at(socket: &str) -> String {
    assert!(
        socket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._/".contains(&b)),
        "a socket path that needs escaping in a URI: {socket}"
    );
    format!("qemu+unix:///system?socket={socket}")
}

fn main_uri() -> String {
    Sandbox::get().qemu_uri()
}

fn dest_uri() -> String {
    qemu_uri_at(&dest_socket())
}

/// QEMU's migration stream on the loopback only: the destination's QEMU listens on
/// 127.0.0.1 at a port its daemon picks (and returns from Prepare).
fn loopback_params() -> TypedParams {
    TypedParams::new()
        .with_string(param::URI, "tcp://127.0.0.1")
        .with_string(param::LISTEN_ADDRESS, "127.0.0.1")
}

/// Connections to main and dest; the guest `name` started on main (a leftover on either
/// side destroyed first), its shell answering.
async fn guest_on_main(name: &str) -> (Client, Client, Domain) {
    let main = Client::connect(&main_uri()).await.unwrap();
    let dest = Client::connect(&dest_uri()).await.unwrap();
    if let Ok(old) = dest.lookup_domain_by_name(name).await {
        let _ = old.destroy().await;
    }
    let dom = guest::start_guest(&main, name).await;
    drop(guest::shell(&dom).await);
    (main, dest, dom)
}

/// `name` runs on `here` (its shell answers there) and is gone from `there`.
async fn runs_only_on(here: &Client, there: &Client, name: &str) -> Domain {
    let dom = here.lookup_domain_by_name(name).await.unwrap();
    assert_eq!(dom.state().await.unwrap().0, DomainState::Running);
    assert!(dom.id() > 0, "{name} has no id on its new host");
    let err = there.lookup_domain_by_name(name).await.unwrap_err();
    assert!(err.is_not_found(), "{name} still on its old host: {err:?}");
    drop(guest::shell(&dom).await);
    dom
}

#[tokio::test]
async fn peer_to_peer_migration_moves_the_running_guest_to_dest_and_back() {
    let name = "vw-migrate-p2p";
    let (main, dest, dom) = guest_on_main(name).await;
    let mut completed = main
        .domain_events(&dom, DomainEventId::JobCompleted)
        .await
        .unwrap();

    let mut progress = Vec::new();
    dom.migrate_to_uri_with_progress(
        &dest_uri(),
        &loopback_params().with_u64(param::BANDWIDTH, 32),
        DomainMigrateFlags::LIVE,
        Duration::from_millis(20),
        |p| progress.push(p),
    )
    .await
    .unwrap();
    let moved = runs_only_on(&dest, &main, name).await;

    // The source reports the finished job with its statistics.
    let item = tokio::time::timeout(guest::GUEST_PATIENCE, completed.next())
        .await
        .expect("no JOB_COMPLETED event from the source")
        .expect("event stream ended")
        .unwrap();
    let stats = match item {
        EventItem::Event(ev) => match ev.kind {
            DomainEventKind::JobCompleted(params) => TypedParams::from_wire(params),
            other => panic!("not a job-completed event: {other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let total = stats.get_u64("memory_total").unwrap_or_default();
    assert!(total > 0, "completed migration's statistics: {stats:?}");
    check_progress("peer-to-peer", &progress);

    // And back, tunnelled: the data goes through the daemons' own connection (the source
    // daemon calls PREPARE_TUNNEL3_PARAMS on the destination), no QEMU listens.
    moved
        .migrate_to_uri(
            &main_uri(),
            &TypedParams::new(),
            DomainMigrateFlags::LIVE | DomainMigrateFlags::TUNNELLED,
        )
        .await
        .unwrap();
    let back = runs_only_on(&main, &dest, name).await;
    back.destroy().await.unwrap();
}

#[tokio::test]
async fn client_managed_migration_moves_the_running_guest_to_dest_and_back() {
    let name = "vw-migrate-managed";
    let (main, dest, dom) = guest_on_main(name).await;
    let uuid = dom.uuid();

    let mut progress = Vec::new();
    let moved = dom
        .migrate_with_progress(
            &dest,
            &loopback_params().with_u64(param::BANDWIDTH, 32),
            DomainMigrateFlags::LIVE,
            Duration::from_millis(20),
            |p| progress.push(p),
        )
        .await
        .unwrap();
    // The returned handle is the domain on dest.
    assert_eq!(moved.name(), name);
    assert_eq!(moved.uuid(), uuid);
    assert_eq!(moved.state().await.unwrap().0, DomainState::Running);
    runs_only_on(&dest, &main, name).await;
    check_progress("client-managed", &progress);

    let back = moved
        .migrate(&main, &loopback_params(), DomainMigrateFlags::LIVE)
        .await
        .unwrap();
    assert_eq!(back.uuid(), uuid);
    runs_only_on(&main, &dest, name).await;
    back.destroy().await.unwrap();
}

/// Checks what the progress callback saw (and prints it): job statistics showing data sent
/// while the job ran, and the pre-copy passes from the first on. (The migrations it watches
/// are limited to 32 MiB/s: with about 64 MiB to send, they last long enough for many
/// 20 ms polls on any machine.)
fn check_progress(how: &str, progress: &[MigrationProgress]) {
    let stats: Vec<_> = progress
        .iter()
        .filter_map(|p| match p {
            MigrationProgress::Stats(s) => Some(s),
            _ => None,
        })
        .collect();
    let passes: Vec<_> = progress
        .iter()
        .filter_map(|p| match p {
            MigrationProgress::Iteration(n) => Some(*n),
            _ => None,
        })
        .collect();
    let processed: Vec<_> = stats.iter().filter_map(|s| s.data_processed()).collect();
    println!(
        "{how}: {} job statistics samples, data_processed up to {:?} bytes, iterations \
         {passes:?}",
        stats.len(),
        processed.iter().max(),
    );
    assert!(
        stats
            .iter()
            .any(|s| s.data_processed() > Some(0) && s.data_total() > Some(0)),
        "{how}: no job statistics showing data sent: {progress:?}"
    );
    assert_eq!(passes.first(), Some(&1), "{how}: {progress:?}");
}

#[tokio::test]
async fn client_managed_migration_failing_in_prepare_leaves_the_guest_running_here() {
    let name = "vw-migrate-prepare-fails";
    let (main, dest, dom) = guest_on_main(name).await;

    // The destination's QEMU cannot listen on an address of no interface here
    // (192.0.2.1, TEST-NET-1): Prepare fails after Begin started the source's job.
    let params = TypedParams::new()
        .with_string(param::URI, "tcp://127.0.0.1")
        .with_string(param::LISTEN_ADDRESS, "192.0.2.1");
    let err = dom
        .migrate(&dest, &params, DomainMigrateFlags::LIVE)
        .await
        .unwrap_err();
    println!("failed Prepare: {err}");
    runs_only_on(&main, &dest, name).await;

    // Confirm ended that job: the domain migrates again at once.
    let moved = dom
        .migrate(&dest, &loopback_params(), DomainMigrateFlags::LIVE)
        .await
        .unwrap();
    runs_only_on(&dest, &main, name).await;
    moved.destroy().await.unwrap();
}

#[tokio::test]
async fn client_managed_migration_aborted_in_perform_leaves_the_guest_running_here() {
    let name = "vw-migrate-perform-aborted";
    let (main, dest, dom) = guest_on_main(name).await;

    // 1 MiB/s: the migration lasts long enough for the abort to land while QEMU sends.
    let params = loopback_params().with_u64(param::BANDWIDTH, 1);
    let mut abort = None;
    let err = dom
        .migrate_with_progress(
            &dest,
            &params,
            DomainMigrateFlags::LIVE,
            Duration::from_millis(20),
            |p| {
                if abort.is_none() && matches!(p, MigrationProgress::Stats(_)) {
                    let dom = dom.clone();
                    abort = Some(tokio::spawn(async move { dom.abort_job().await }));
                }
            },
        )
        .await
        .unwrap_err();
    abort
        .expect("no job statistics while migrating")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(err.code(), Some(ErrorCode::OperationAborted), "{err:?}");
    // Finish was told of the cancel: nothing is left on dest; the guest runs on here.
    runs_only_on(&main, &dest, name).await;
    dom.destroy().await.unwrap();
}

#[tokio::test]
async fn client_managed_migration_refuses_flags_it_cannot_honour_before_sending_anything() {
    let sb = Sandbox::get();
    let src = Client::connect(&sb.test_uri("migration-flags-src"))
        .await
        .unwrap();
    let dst = Client::connect(&sb.test_uri("migration-flags-dst"))
        .await
        .unwrap();
    let dom = src
        .lookup_domain_by_name(common::node::RUNNING_DOMAIN)
        .await
        .unwrap();
    for flags in [
        DomainMigrateFlags::LIVE | DomainMigrateFlags::PEER2PEER,
        DomainMigrateFlags::LIVE | DomainMigrateFlags::TUNNELLED,
        DomainMigrateFlags::NON_SHARED_DISK | DomainMigrateFlags::NON_SHARED_INC,
    ] {
        let err = dom
            .migrate(&dst, &TypedParams::new(), flags)
            .await
            .unwrap_err();
        // Refused here (a daemon's refusal would be ErrorKind::Remote).
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{flags:?}: {err:?}");
    }
    assert_eq!(dom.state().await.unwrap().0, DomainState::Running);
}

#[tokio::test]
async fn migration_tunables_of_a_running_guest_read_back_what_was_set() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let dom = guest::start_guest(&client, "vw-migration-tunables").await;

    dom.migrate_set_max_downtime(250, Default::default())
        .await
        .unwrap();
    assert_eq!(
        dom.migrate_get_max_downtime(Default::default())
            .await
            .unwrap(),
        250
    );

    let speed = DomainMigrateMaxSpeedFlags::default();
    dom.migrate_set_max_speed(64, speed).await.unwrap();
    assert_eq!(dom.migrate_get_max_speed(speed).await.unwrap(), 64);
    dom.migrate_set_max_speed(96, speed).await.unwrap();
    assert_eq!(dom.migrate_get_max_speed(speed).await.unwrap(), 96);

    let cache = 32 << 20;
    dom.migrate_set_compression_cache(cache, Default::default())
        .await
        .unwrap();
    assert_eq!(
        dom.migrate_get_compression_cache(Default::default())
            .await
            .unwrap(),
        cache
    );

    let err = dom
        .migrate_start_post_copy(Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::OperationInvalid), "{err:?}");

    dom.destroy().await.unwrap();
}
