//! The connection driver fed whatever a daemon might send: with calls pending (one of them a
//! stream), the input arrives as the server's bytes, then the server hangs up. Nothing may
//! panic, and every pending call must end (an answer or an error) once the link is gone: on
//! tokio's paused clock, a call still waiting when all else is idle is a hang.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::AsyncWriteExt;
use virtwire::rpc;

const PROG: u32 = 0x2000_8086;

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let (client_io, mut server_io) = tokio::io::duplex(1 << 16);
        let (client, conn) = rpc::connect_raw(client_io);
        tokio::spawn(conn);
        // calls with serials 1..=4, the procedures the fuzzer's replies are likely to name
        let calls: Vec<_> = (1..=4i32)
            .map(|proc| {
                let c = client.clone();
                tokio::spawn(async move { c.call_bytes(PROG, 1, proc, &()).await.map(drop) })
            })
            .collect();
        let _ = server_io.write_all(data).await;
        drop(server_io);
        for call in calls {
            tokio::time::timeout(Duration::from_secs(3600), call)
                .await
                .expect("a pending call never ended after the server hung up")
                .unwrap()
                .ok();
        }
    });
});
