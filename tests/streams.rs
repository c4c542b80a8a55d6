//! Streams against the real daemon: the TCG guest's console and screen (qemu driver), volume
//! upload and download in a directory pool (qemu driver's storage), the test driver's
//! screenshot.

mod common;
#[path = "common/guest.rs"]
mod guest;

use common::Sandbox;
use guest::{console_exchange, start_guest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtwire::flags::{DomainConsoleFlags, StorageVolDownloadFlags, StorageVolUploadFlags};
use virtwire::proto::remote;
use virtwire::proto::xdr::XdrString;
use virtwire::rpc::{Chunk, DATA_CHUNK_MAX, RECV_QUEUE_MAX};
use virtwire::{Client, StorageVol};

#[tokio::test]
async fn the_console_carries_a_command_to_the_guest_and_its_output_back() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let dom = start_guest(&client, "vw-console").await;
    let mut console = dom
        .open_console(None, DomainConsoleFlags::FORCE)
        .await
        .unwrap();
    // The shell computes 6*7: the echo of the typed line alone cannot contain the answer.
    console_exchange(&mut console, "echo vw-$((6*7))\n", "vw-42").await;
    // A second command on the same session, with output longer than one read.
    let out = console_exchange(
        &mut console,
        "seq 1000 1300; echo vw-$((100+1))\n",
        "vw-101",
    )
    .await;
    assert!(out.contains("1299\r\n1300"), "{out:?}");
    console.abort().await.unwrap();
    dom.destroy().await.unwrap();
}

/// The image format's signature at the start of `data`, as `mime` says it should be.
fn assert_image(mime: &str, data: &[u8]) {
    match mime {
        "image/png" => assert_eq!(&data[..8], b"\x89PNG\r\n\x1a\n"),
        "image/x-portable-pixmap" => assert_eq!(&data[..2], b"P6"),
        other => panic!("unexpected mime type {other}"),
    }
}

#[tokio::test]
async fn a_screenshot_of_the_guest_is_an_image_of_the_stated_type() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let dom = start_guest(&client, "vw-screenshot").await;
    let mut shot = dom.screenshot(0).await.unwrap();
    let mut data = Vec::new();
    shot.data.read_to_end(&mut data).await.unwrap();
    assert!(data.len() > 100, "{} bytes", data.len());
    assert_image(&shot.mime, &data);
    shot.data.finish().await.unwrap();
    dom.destroy().await.unwrap();
}

#[tokio::test]
async fn the_test_driver_serves_a_screenshot() {
    let client = Client::connect(&Sandbox::get().test_uri("screenshot"))
        .await
        .unwrap();
    let dom = client
        .lookup_domain_by_name(common::node::RUNNING_DOMAIN)
        .await
        .unwrap();
    let mut shot = dom.screenshot(0).await.unwrap();
    let mut data = Vec::new();
    shot.data.read_to_end(&mut data).await.unwrap();
    assert_image(&shot.mime, &data);
}

/// A transient directory pool in the sandbox, with one raw volume of `capacity` bytes that
/// takes no space until written.
async fn pool_with_volume(client: &Client, name: &str, capacity: u64) -> StorageVol {
    let dir = format!("{}/pools/{name}", Sandbox::get().dir());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let raw = client.raw();
    if let Ok(old) = raw
        .storage_pool_lookup_by_name(&remote::StoragePoolLookupByNameArgs {
            name: XdrString::try_from(name).unwrap(),
        })
        .await
    {
        let _ = raw
            .storage_pool_destroy(&remote::StoragePoolDestroyArgs { pool: old.pool })
            .await;
    }
    let pool_xml =
        format!("<pool type='dir'><name>{name}</name><target><path>{dir}</path></target></pool>");
    let pool = raw
        .storage_pool_create_xml(&remote::StoragePoolCreateXmlArgs {
            xml: XdrString::try_from(pool_xml.as_str()).unwrap(),
            flags: Default::default(),
        })
        .await
        .unwrap()
        .pool;
    let vol_xml = format!(
        "<volume><name>v.raw</name><capacity unit='bytes'>{capacity}</capacity>\
         <allocation>0</allocation><target><format type='raw'/></target></volume>"
    );
    let vol = raw
        .storage_vol_create_xml(&remote::StorageVolCreateXmlArgs {
            pool,
            xml: XdrString::try_from(vol_xml.as_str()).unwrap(),
            flags: Default::default(),
        })
        .await
        .unwrap()
        .vol;
    StorageVol::from_remote(client.clone(), vol)
}

async fn destroy_pool(vol: &StorageVol) {
    let raw = vol.client().raw();
    let pool = raw
        .storage_pool_lookup_by_name(&remote::StoragePoolLookupByNameArgs {
            name: XdrString::try_from(vol.pool()).unwrap(),
        })
        .await
        .unwrap()
        .pool;
    raw.storage_pool_destroy(&remote::StoragePoolDestroyArgs { pool })
        .await
        .unwrap();
}

/// Bytes that differ at every offset (a position-dependent pattern), so a lost, repeated or
/// misplaced chunk cannot go unnoticed.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn a_volume_upload_then_download_round_trips_every_byte() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    // more than the receive queue holds and not a multiple of a data packet
    let len = RECV_QUEUE_MAX + 3 * DATA_CHUNK_MAX + 12345;
    let vol = pool_with_volume(&client, "vw-stream-roundtrip", len as u64).await;
    let data = pattern(len, 7);

    let mut up = vol
        .upload(0, len as u64, StorageVolUploadFlags::default())
        .await
        .unwrap();
    up.write_all(&data).await.unwrap();
    up.shutdown().await.unwrap();

    let mut down = vol
        .download(0, 0, StorageVolDownloadFlags::default())
        .await
        .unwrap();
    let mut back = Vec::new();
    down.read_to_end(&mut back).await.unwrap();
    down.finish().await.unwrap();
    assert_eq!(back.len(), data.len());
    assert!(
        back == data,
        "the downloaded bytes differ from the uploaded ones"
    );
    destroy_pool(&vol).await;
}

#[tokio::test]
async fn a_sparse_upload_keeps_its_hole_and_a_sparse_download_reports_it() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    const HEAD: usize = 300_000;
    const HOLE: u64 = 32 << 20;
    const TAIL: usize = 5000;
    let capacity = HEAD as u64 + HOLE + TAIL as u64;
    let vol = pool_with_volume(&client, "vw-stream-sparse", capacity).await;
    let (head, tail) = (pattern(HEAD, 1), pattern(TAIL, 2));

    let mut up = vol
        .upload(0, capacity, StorageVolUploadFlags::SPARSE_STREAM)
        .await
        .unwrap();
    up.send(&head).await.unwrap();
    up.send_hole(HOLE).await.unwrap();
    up.send(&tail).await.unwrap();
    up.finish().await.unwrap();

    let info = vol.info().await.unwrap();
    assert_eq!(info.capacity, capacity);
    assert!(
        info.allocation < 8 << 20,
        "the hole was written out: {} bytes allocated",
        info.allocation
    );

    let mut down = vol
        .download(0, 0, StorageVolDownloadFlags::SPARSE_STREAM)
        .await
        .unwrap();
    let (mut bytes, mut holes) = (Vec::new(), 0u64);
    while let Some(chunk) = down.next_chunk().await.unwrap() {
        match chunk {
            Chunk::Data(b) => bytes.extend_from_slice(&b),
            Chunk::Hole(n) => {
                holes += n;
                bytes.resize(bytes.len() + n as usize, 0);
            }
        }
    }
    down.finish().await.unwrap();
    assert!(holes >= HOLE / 2, "only {holes} bytes came as holes");
    assert_eq!(bytes.len() as u64, capacity);
    assert!(
        bytes[..HEAD] == head[..],
        "the data before the hole differs"
    );
    assert!(bytes[HEAD..HEAD + HOLE as usize].iter().all(|&b| b == 0));
    assert!(
        bytes[HEAD + HOLE as usize..] == tail[..],
        "the data after the hole differs"
    );
    destroy_pool(&vol).await;
}

#[tokio::test]
async fn the_daemons_stream_error_surfaces_on_finish() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let vol = pool_with_volume(&client, "vw-stream-error", 1 << 20).await;
    // An upload of 10 bytes given 100: the daemon fails the stream.
    let mut up = vol
        .upload(0, 10, StorageVolUploadFlags::default())
        .await
        .unwrap();
    let sent = up.send(&[7u8; 100]).await;
    let err = match sent {
        Ok(()) => up.finish().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(err.is_remote(), "{err}");
    // the connection goes on
    assert_eq!(vol.info().await.unwrap().capacity, 1 << 20);
    destroy_pool(&vol).await;
}

#[tokio::test]
async fn an_aborted_upload_is_confirmed_and_the_connection_goes_on() {
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let vol = pool_with_volume(&client, "vw-stream-abort", 1 << 20).await;
    let mut up = vol
        .upload(0, 0, StorageVolUploadFlags::default())
        .await
        .unwrap();
    up.send(&pattern(100_000, 3)).await.unwrap();
    up.abort().await.unwrap();
    let err = up.send(b"more").await.unwrap_err();
    assert_eq!(err.kind(), virtwire::ErrorKind::InvalidArgument, "{err}");
    // a dropped, unfinished stream is aborted too, and the connection stays in step
    let mut up = vol
        .upload(0, 0, StorageVolUploadFlags::default())
        .await
        .unwrap();
    up.send(b"abc").await.unwrap();
    drop(up);
    assert_eq!(vol.info().await.unwrap().capacity, 1 << 20);
    destroy_pool(&vol).await;
}

#[tokio::test]
async fn a_sparse_file_uploaded_and_downloaded_keeps_its_bytes_and_its_holes() {
    use std::os::unix::fs::MetadataExt;
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    const LEN: u64 = 48 << 20;
    let vol = pool_with_volume(&client, "vw-stream-files", LEN).await;
    let dir = format!("{}/pools", Sandbox::get().dir());
    let (src, dst) = (format!("{dir}/src.img"), format!("{dir}/dst.img"));
    // 48 MiB with two islands of data: at 1 MiB and at the very end
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(&src).unwrap();
        f.set_len(LEN).unwrap();
        f.seek(SeekFrom::Start(1 << 20)).unwrap();
        f.write_all(&pattern(100_000, 4)).unwrap();
        f.seek(SeekFrom::Start(LEN - 7)).unwrap();
        f.write_all(b"the end").unwrap();
    }
    assert_eq!(vol.upload_file(src.as_ref(), true).await.unwrap(), LEN);
    let allocated = vol.info().await.unwrap().allocation;
    assert!(
        allocated < 4 << 20,
        "{allocated} bytes allocated: the holes were written"
    );

    assert_eq!(vol.download_file(dst.as_ref(), true).await.unwrap(), LEN);
    let (a, b) = (std::fs::read(&src).unwrap(), std::fs::read(&dst).unwrap());
    assert!(a == b, "the downloaded file differs from the uploaded one");
    let blocks = std::fs::metadata(&dst).unwrap().blocks() * 512;
    assert!(
        blocks < 4 << 20,
        "{blocks} bytes allocated in the downloaded file"
    );

    // without sparse, the same bytes (the holes come as zeros)
    assert_eq!(vol.download_file(dst.as_ref(), false).await.unwrap(), LEN);
    assert!(std::fs::read(&dst).unwrap() == a);
    destroy_pool(&vol).await;
}

/// A 256 MiB upload shares its connection with calls: while it runs, calls on the same
/// connection keep being answered. Their latencies are printed, not asserted (no wall-clock
/// limit in a test); what is asserted is that many calls were answered before the upload
/// finished, which fails if the driver queued calls behind the stream's data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_answered_while_a_256_mib_upload_runs_on_the_same_connection() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::time::{Duration, Instant};

    const LEN: usize = 256 << 20;
    let client = Client::connect(&Sandbox::get().qemu_uri()).await.unwrap();
    let vol = pool_with_volume(&client, "vw-stream-big", LEN as u64).await;
    let chunk = pattern(1 << 20, 11);
    let done = Arc::new(AtomicBool::new(false));
    let upload = tokio::spawn({
        let (vol, done) = (vol.clone(), done.clone());
        async move {
            let started = Instant::now();
            let mut up = vol
                .upload(0, LEN as u64, StorageVolUploadFlags::default())
                .await
                .unwrap();
            for _ in 0..LEN / chunk.len() {
                up.send(&chunk).await.unwrap();
            }
            up.finish().await.unwrap();
            done.store(true, SeqCst);
            started.elapsed()
        }
    });
    let mut during: Vec<Duration> = Vec::new();
    while !done.load(SeqCst) {
        let asked = Instant::now();
        client.lib_version().await.unwrap();
        if !done.load(SeqCst) {
            during.push(asked.elapsed());
        }
    }
    let took = upload.await.unwrap();
    during.sort();
    println!(
        "256 MiB upload in {took:?}; {} calls answered meanwhile, median {:?}, max {:?}",
        during.len(),
        during.get(during.len() / 2),
        during.last()
    );
    assert!(
        during.len() >= 10,
        "only {} calls were answered during the upload",
        during.len()
    );
    assert_eq!(vol.info().await.unwrap().capacity, LEN as u64);
    destroy_pool(&vol).await;
}
