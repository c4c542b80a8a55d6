//! BLOCK_JOB and BLOCK_JOB_2 on the sandbox's TCG guest: a block pull of a disk without a
//! backing file has nothing to copy and completes at once; both events report it.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::next_event;
use guest::{domain_events, guest_name, sandbox_file, start_with, with_devices};
use virtwire::events::{DomainEvent, DomainEventKind, EventStream};
use virtwire::flags::DomainBlockPullFlags;
use virtwire::proto::c_events::{
    ConnectDomainEventBlockJobStatus, DomainBlockJobType, DomainEventId,
};

async fn block_job(
    events: &mut EventStream<DomainEvent>,
) -> (String, DomainBlockJobType, ConnectDomainEventBlockJobStatus) {
    let ev = next_event(events).await;
    let DomainEventKind::BlockJob { disk, job, status } = ev.kind else {
        panic!("{:?}", ev.kind);
    };
    (disk, job, status)
}

#[tokio::test]
async fn a_block_pull_that_completes_gives_both_block_job_events() {
    let name = guest_name("blockjob");
    let image = sandbox_file(&format!("{name}.img"), 16 << 20);
    let disk = format!(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{image}'/><target dev='vdb' bus='virtio'/></disk>"
    );
    let (client, dom) = start_with(&name, |xml| with_devices(xml, &disk)).await;
    let mut by_path = domain_events(&client, &dom, DomainEventId::BlockJob).await;
    let mut by_target = domain_events(&client, &dom, DomainEventId::BlockJob2).await;
    dom.block_pull("vdb", 0, DomainBlockPullFlags::empty())
        .await
        .unwrap();
    let done = ConnectDomainEventBlockJobStatus::Completed;
    assert_eq!(
        block_job(&mut by_path).await,
        (image.clone(), DomainBlockJobType::Pull, done)
    );
    assert_eq!(
        block_job(&mut by_target).await,
        ("vdb".to_owned(), DomainBlockJobType::Pull, done)
    );
    dom.destroy().await.unwrap();
    let _ = std::fs::remove_file(&image);
}
