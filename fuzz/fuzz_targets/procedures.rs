//! Every procedure of every program: the first two bytes choose the program and procedure
//! (from the generated procedure tables, so new procedures are covered without editing this
//! file), the rest is decoded as its arguments (or event message) and as its reply. Decoding
//! must fail cleanly or succeed, never panic, and never allocate beyond the input's bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virtwire::proto::{ProcedureInfo, admin, keepalive, lxc, qemu, remote};

fn tables() -> [&'static [ProcedureInfo]; 5] {
    [
        remote::PROCEDURES,
        qemu::PROCEDURES,
        lxc::PROCEDURES,
        admin::PROCEDURES,
        keepalive::PROCEDURES,
    ]
}

fuzz_target!(|data: &[u8]| {
    let [p, n, payload @ ..] = data else {
        return;
    };
    let table = tables()[usize::from(*p) % 5];
    // two bytes of procedure index: remote has ~460 procedures
    let index =
        (usize::from(*n) << 8 | usize::from(payload.first().copied().unwrap_or(0))) % table.len();
    let payload = payload.get(1..).unwrap_or(&[]);
    let info = &table[index];
    let _ = (info.check_args)(payload);
    let _ = (info.check_ret)(payload);
});
