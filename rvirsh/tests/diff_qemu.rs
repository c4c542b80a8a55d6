//! virsh and rvirsh side by side on the qemu driver with the sandbox's TCG guest: what the
//! test driver cannot show (a real guest started, paused, resumed, stopped; qemu's own
//! errors). The qemu driver's state is shared and real, so each run of each program starts
//! from the same state, set up by virsh (`common::compare_resetting`). CPU time differs
//! between two runs by nature and is masked.

mod common;

use common::{c, compare_resetting, sandbox_var, virsh};

const NAME: &str = "rv-diff-guest";

/// The guest's XML, named [`NAME`], in a file of its own.
fn guest_file() -> String {
    let path = sandbox_var("VIRTWIRE_GUEST_XML");
    let xml = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let named = xml.replace(
        "<name>virtwire-guest</name>",
        &format!("<name>{NAME}</name><uuid>6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1cff</uuid>"),
    );
    assert_ne!(named, xml, "{path} has no <name>virtwire-guest</name>");
    let dir = std::path::Path::new(&sandbox_var("VIRTWIRE_SANDBOX")).join("rvirsh-nodes");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{NAME}-{}.xml", std::process::id()));
    std::fs::write(&file, named).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn guest_life_cycle_on_qemu() {
    let uri = format!(
        "qemu+unix:///system?socket={}",
        sandbox_var("VIRTWIRE_SOCKET")
    );
    let file = guest_file();
    // every run starts with the guest defined and shut off
    let reset = format!("destroy {NAME}; undefine {NAME} --managed-save; define {file}");
    let n = NAME;
    compare_resetting(
        &uri,
        &reset,
        &[
            c(&format!("list --all; domstate {n} --reason; domid {n}")),
            c(&format!("start {n}; list --name; domstate {n} --reason")),
            c(&format!("start {n}; start {n}")),
            c(&format!(
                "start --paused {n}; domstate {n} --reason; resume {n}; domstate {n} --reason"
            )),
            c(&format!(
                "start {n}; suspend {n}; list --all --name --state-paused; resume {n}; domstate {n} --reason"
            )),
            // a started domain's ID is one more each time: masked
            c(&format!("start {n}; dominfo {n}"))
                .mask("CPU time:")
                .mask("Id:"),
            c(&format!(
                "start {n}; destroy {n}; domstate {n} --reason; destroy {n}"
            )),
            c(&format!(
                "start {n}; undefine {n}; list --all --transient --name; destroy {n}; list --all"
            )),
            c(&format!("suspend {n}")),
            c(&format!("vcpucount {n}; start {n}; vcpucount {n}")),
            c(&format!("domblklist {n} --details; domiflist {n}")),
            c(&format!("setmem {n} 64M --config; dominfo {n}")).mask("CPU time:"),
            c(&format!("dumpxml {n} --inactive")),
            c(&format!(
                "autostart {n}; list --all --autostart; autostart --disable {n}"
            )),
            c(&format!("reset {n}")),
        ],
    );
    virsh(
        &uri,
        &format!("destroy {NAME}; undefine {NAME} --managed-save"),
    );
    let _ = std::fs::remove_file(&file);
}
