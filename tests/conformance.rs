//! Conformance against the sandbox's real libvirtd (unix socket): every plain call of the
//! REMOTE, QEMU and ADMIN programs, sent with well-formed default arguments, must be decoded
//! by the daemon (an OK reply, or any error but `Unable to decode message payload`); a
//! procedure newer than the daemon must get `unknown procedure: N`; every OK reply must decode
//! exactly as the procedure's reply type. The runner and the exclusions (with their reasons)
//! are in `conformance/suite.rs`; `conformance_wire.rs` sends the same traffic over TCP and
//! checks the bytes with Wireshark's libvirt dissector.
//!
//! Run with `--nocapture` to see the counts.

mod common;
#[path = "conformance/suite.rs"]
mod suite;

use common::Sandbox;

#[tokio::test]
async fn remote_program_on_the_test_driver() {
    let sb = Sandbox::get();
    let (all, objects) = suite::run_remote_test_driver(&sb.test_uri("conformance"), "unix").await;
    all.finish();
    objects.finish();
}

#[tokio::test]
async fn remote_program_on_the_qemu_driver_allow_list() {
    let sb = Sandbox::get();
    suite::run_remote_qemu_driver(&sb.qemu_uri(), "unix")
        .await
        .finish();
}

#[tokio::test]
async fn qemu_and_lxc_programs() {
    let sb = Sandbox::get();
    suite::run_qemu_program(&sb.test_uri("conformance-qemu"), &sb.qemu_uri(), "unix")
        .await
        .finish();
    let lxc = suite::lxc_program_tally();
    println!("{}", lxc.report());
    suite::append_report(&lxc.report());
}

#[tokio::test]
async fn admin_program() {
    let sb = Sandbox::get();
    suite::run_admin_program(sb.admin_socket()).await.finish();
}
