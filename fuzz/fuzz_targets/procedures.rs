//! Every procedure of every program: the first two bytes choose the program and procedure
//! (from the generated procedure tables, so new procedures are covered without editing this
//! file), the rest is decoded as its arguments (or event message) and as its reply. Decoding
//! must fail cleanly or succeed, never panic, and never allocate beyond the input's bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virtwire::proto::xdr::check_decode;
use virtwire::proto::{Procedure, ProcedureVisitor, admin, keepalive, lxc, qemu, remote};

/// Decodes the payload as the arguments and as the reply of the `index`-th procedure visited.
struct DecodeNth<'a> {
    index: usize,
    seen: usize,
    payload: &'a [u8],
}

impl ProcedureVisitor for DecodeNth<'_> {
    fn visit<P: Procedure>(&mut self) {
        if self.seen == self.index {
            let _ = check_decode::<P::Args>(self.payload);
            let _ = check_decode::<P::Ret>(self.payload);
        }
        self.seen += 1;
    }
}

type Visit = fn(&mut DecodeNth<'_>);

/// The procedure counts and visitors of the programs.
const PROGRAMS: [(usize, Visit); 5] = [
    (remote::PROCEDURES.len(), |v| remote::visit_procedures(v)),
    (qemu::PROCEDURES.len(), |v| qemu::visit_procedures(v)),
    (lxc::PROCEDURES.len(), |v| lxc::visit_procedures(v)),
    (admin::PROCEDURES.len(), |v| admin::visit_procedures(v)),
    (keepalive::PROCEDURES.len(), |v| {
        keepalive::visit_procedures(v)
    }),
];

fuzz_target!(|data: &[u8]| {
    let [p, n, payload @ ..] = data else {
        return;
    };
    let (len, visit) = PROGRAMS[usize::from(*p) % PROGRAMS.len()];
    // two bytes of procedure index: remote has ~460 procedures
    let index = (usize::from(*n) << 8 | usize::from(payload.first().copied().unwrap_or(0))) % len;
    visit(&mut DecodeNth {
        index,
        seen: 0,
        payload: payload.get(1..).unwrap_or(&[]),
    });
});
