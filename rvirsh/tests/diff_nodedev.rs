//! virsh and rvirsh side by side on host devices: the qemu driver's real ones (whatever the
//! machine has: both programs see the same) and the test driver's, which refuses the list
//! flags virsh sends (both programs fail the same way).

mod common;

use common::{c, compare, sandbox_var, test_uri};

fn cases() -> Vec<common::Case> {
    vec![
        c("nodedev-list"),
        c("nodedev-list --tree"),
        c("nodedev-list --cap net"),
        c("nodedev-list --cap system,pci"),
        c("nodedev-list --cap bogus"),
        c("nodedev-list --all --cap system"),
        c("nodedev-list --inactive"),
        c("nodedev-list --cap ''"),
        c("nodedev-list --tree --cap net"),
        c("nodedev-list --tree --inactive"),
        c("nodedev-list --all --inactive"),
        c("nodedev-dumpxml computer"),
        c("nodedev-dumpxml nope"),
        c("nodedev-dumpxml a,b"),
        c("nodedev-dumpxml 0x1234567890abcdef,1234567890abcdef"),
    ]
}

#[test]
fn node_devices_on_qemu() {
    let uri = format!(
        "qemu+unix:///system?socket={}",
        sandbox_var("VIRTWIRE_SOCKET")
    );
    compare(&uri, &cases());
}

#[test]
fn node_devices_on_test_driver() {
    compare(&test_uri("diff-nodedev"), &cases());
}
