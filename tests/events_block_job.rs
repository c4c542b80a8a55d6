//! BLOCK_JOB and BLOCK_JOB_2 on the sandbox's TCG guest: a block pull of a disk without a
//! backing file has nothing to copy and completes at once; both events report it.

mod common;

use std::time::Duration;

use common::Sandbox;
use virtwire::Client;
use virtwire::events::{DomainEvent, DomainEventKind, EventItem, EventStream};
use virtwire::flags::{DomainBlockPullFlags, DomainCreateFlags};
use virtwire::proto::c_events::{
    ConnectDomainEventBlockJobStatus, DomainBlockJobType, DomainEventId,
};

async fn block_job(
    events: &mut EventStream<DomainEvent>,
) -> (String, DomainBlockJobType, ConnectDomainEventBlockJobStatus) {
    let item = tokio::time::timeout(Duration::from_secs(120), events.next())
        .await
        .expect("no event came")
        .expect("the stream ended")
        .unwrap();
    let EventItem::Event(ev) = item else {
        panic!("{item:?}");
    };
    let DomainEventKind::BlockJob { disk, job, status } = ev.kind else {
        panic!("{:?}", ev.kind);
    };
    (disk, job, status)
}

#[tokio::test]
async fn a_block_pull_that_completes_gives_both_block_job_events() {
    let sb = Sandbox::get();
    let client = Client::connect(&sb.qemu_uri()).await.unwrap();
    let name = format!("vw-blockjob-{}", std::process::id());
    let image = format!("{}/{name}.img", sb.dir());
    std::fs::File::create(&image)
        .unwrap()
        .set_len(16 << 20)
        .unwrap();
    let xml = sb.guest_xml(&name).replace(
        "</devices>",
        &format!(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='{image}'/><target dev='vdb' bus='virtio'/></disk></devices>"
        ),
    );
    let dom = client
        .create_domain_xml(&xml, DomainCreateFlags::empty())
        .await
        .unwrap();
    let mut by_path = client
        .domain_events(&dom, DomainEventId::BlockJob)
        .await
        .unwrap();
    let mut by_target = client
        .domain_events(&dom, DomainEventId::BlockJob2)
        .await
        .unwrap();
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
