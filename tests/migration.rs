//! Migration tunables through the typed API on the running TCG guest (qemu driver): maximum
//! downtime, bandwidth and compression cache set and read back; post-copy refused while no
//! migration runs. (Migrating itself needs a second qemu libvirtd: see the reason in
//! src/api/generated/tests.rs.)

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::Sandbox;
use virtwire::flags::DomainMigrateMaxSpeedFlags;
use virtwire::{Client, ErrorCode};

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
