//! A guest channel (virtio-serial, on a unix socket the qemu driver makes, as it requires for
//! opening one) as a two-way stream, on the sandbox's TCG guest: a line the guest writes to
//! its port reaches us, and a line we write reaches a reader in the guest.

mod common;
#[path = "common/guest.rs"]
mod guest;

use std::time::Duration;

use guest::{GUEST_PATIENCE, guest_name, shell, start_with, with_devices};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtwire::Stream;
use virtwire::flags::DomainChannelFlags;

const CHANNEL: &str = "org.virtwire.test";

/// Reads `stream` until a line equal to `line` has come; everything read.
async fn read_until_line(stream: &mut Stream, line: &str, seen: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the stream ended");
        seen.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(seen)
            .lines()
            .any(|l| l.trim_end() == line)
        {
            return true;
        }
    }
}

/// Writes `data` to `to` every few seconds until `from` has given a line equal to `line`.
async fn until_seen(to: &mut Stream, data: &[u8], from: &mut Stream, line: &str) {
    let mut seen = Vec::new();
    let exchange = async {
        loop {
            to.write_all(data).await.unwrap();
            let round = tokio::time::timeout(
                Duration::from_secs(3),
                read_until_line(from, line, &mut seen),
            );
            if round.await.is_ok() {
                return;
            }
        }
    };
    tokio::time::timeout(GUEST_PATIENCE, exchange)
        .await
        .unwrap_or_else(|_| panic!("{line:?} never came"));
}

#[tokio::test]
async fn a_virtio_channel_carries_lines_both_ways() {
    let channel = format!(
        "<channel type='unix'><source mode='bind'/><target type='virtio' name='{CHANNEL}'/>\
         </channel>"
    );
    let (_client, dom) =
        start_with(&guest_name("channel"), |xml| with_devices(xml, &channel)).await;
    let mut console = shell(&dom).await;
    let mut channel = dom
        .open_channel(Some(CHANNEL), DomainChannelFlags::FORCE)
        .await
        .unwrap();

    // guest → us: the guest writes its port (the kernel's /dev/vportNp1; the shell expands no
    // pattern in a redirection)
    until_seen(
        &mut console,
        b"echo vw-from-guest > $(ls /dev/vport*p1)\n",
        &mut channel,
        "vw-from-guest",
    )
    .await;

    // us → guest: a reader in the guest prints the first line that comes
    console
        .write_all(b"head -n1 /dev/vport*p1\n")
        .await
        .unwrap();
    until_seen(
        &mut channel,
        b"vw-from-host\n",
        &mut console,
        "vw-from-host",
    )
    .await;

    channel.abort().await.unwrap();
    console.abort().await.unwrap();
    dom.destroy().await.unwrap();
}
