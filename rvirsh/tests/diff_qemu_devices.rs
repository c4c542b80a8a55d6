//! virsh and rvirsh side by side on the qemu driver with the sandbox's running TCG guest:
//! attach-disk, detach-disk, attach-interface and detach-interface that succeed (live and
//! persistent), the guest's XML as qemu reports it printed back by `--print-xml`, qemu's own
//! refusals; domifaddr, screenshot and send-key against a real qemu. Each run of each program
//! starts from the guest defined and just started (`common::compare_resetting`), so what one
//! run attached is gone before the next.
//!
//! The live interface is attached to a bridge this test makes on the host (no address, never
//! up, removed at the end): the sandbox has no firewall tools, so libvirt cannot start a
//! virtual network there.

mod common;

use common::{c, compare_resetting, sandbox_var, virsh};

const NAME: &str = "rv-diff-devices";

/// The guest's XML, named [`NAME`], in a file of its own.
fn guest_file(dir: &std::path::Path) -> String {
    let path = sandbox_var("VIRTWIRE_GUEST_XML");
    let xml = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let named = xml.replace(
        "<name>virtwire-guest</name>",
        &format!("<name>{NAME}</name><uuid>6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1cfe</uuid>"),
    );
    assert_ne!(named, xml, "{path} has no <name>virtwire-guest</name>");
    let file = dir.join(format!("{NAME}.xml"));
    std::fs::write(&file, named).unwrap();
    file.display().to_string()
}

/// A Linux bridge on the host for the test's lifetime.
struct Bridge(String);

impl Bridge {
    fn new(name: String) -> Bridge {
        let ip = |args: &[&str]| {
            std::process::Command::new("ip")
                .args(args)
                .stderr(std::process::Stdio::null())
                .status()
        };
        let _ = ip(&["link", "del", &name]);
        let made = ip(&["link", "add", &name, "type", "bridge"]);
        assert!(
            made.is_ok_and(|s| s.success()),
            "`ip link add {name} type bridge` failed: the qemu device diff needs root with \
             CAP_NET_ADMIN, as the sandbox does"
        );
        Bridge(name)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["link", "del", &self.0])
            .status();
    }
}

#[test]
fn devices_on_the_running_guest() {
    let uri = format!(
        "qemu+unix:///system?socket={}",
        sandbox_var("VIRTWIRE_SOCKET")
    );
    let dir = std::path::Path::new(&sandbox_var("VIRTWIRE_SANDBOX"))
        .join(format!("rvirsh-devices-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    let file = guest_file(&dir);
    let img = format!("{d}/data.img");
    std::fs::File::create(&img)
        .and_then(|f| f.set_len(8 << 20))
        .unwrap();
    let br = Bridge::new(format!("rvbr{}", std::process::id() % 100_000));
    let tap = format!("rvtap{}", std::process::id() % 100_000);
    let b = &br.0;
    let n = NAME;
    let mac = "52:54:00:7e:00:01";
    let reset = format!("destroy {n}; undefine {n} --managed-save; define {file}; start {n}");
    compare_resetting(
        &uri,
        &reset,
        &[
            // disks: live, persistent, config-only, and what qemu refuses
            c(&format!(
                "attach-disk {n} {img} vdb; domblklist {n}; detach-disk {n} vdb --print-xml"
            )),
            c(&format!(
                "attach-disk {n} {img} vdb --serial S1 --mode readonly --cache none; domblklist {n} --details; detach-disk {n} {img}"
            )),
            c(&format!(
                "attach-disk {n} {img} vdb --persistent --subdriver raw; domblklist {n} --inactive; detach-disk {n} vdb --persistent; domblklist {n} --inactive"
            )),
            c(&format!(
                "attach-disk {n} {img} vdc --config; domblklist {n} --inactive; domblklist {n}; detach-disk {n} vdc --config --print-xml; detach-disk {n} vdc --config; domblklist {n} --inactive"
            )),
            c(&format!("attach-disk {n} {d}/missing.img vdb")),
            c(&format!("attach-disk {n} {img} hdb --targetbus ide")),
            c(&format!(
                "attach-disk {n} {img} vdb; attach-disk {n} {img} vdb"
            )),
            c(&format!(
                "detach-disk {n} vdb; detach-disk {n} vdb --config"
            )),
            // interfaces: live on the host bridge, persistent on a network
            c(&format!(
                "attach-interface {n} bridge {b} --target {tap} --mac {mac} --model virtio; domiflist {n}; domifaddr {n}; domifaddr {n} --full; detach-interface {n} bridge --print-xml; detach-interface {n} bridge --mac {mac}"
            )),
            c(&format!(
                "attach-interface {n} network default --config --mac {mac} --model virtio --inbound 1000,2000 --outbound 500; domiflist {n} --inactive; detach-interface {n} network --config --print-xml; detach-interface {n} network --config; domiflist {n} --inactive"
            )),
            c(&format!(
                "attach-interface {n} bridge {b} --target {tap} --mac {mac} --persistent; domiflist {n}; domiflist {n} --inactive; detach-interface {n} bridge --persistent --print-xml; detach-interface {n} bridge --persistent; domiflist {n} --inactive"
            )),
            c(&format!("attach-interface {n} bridge rvnosuchbr0")),
            c(&format!(
                "detach-interface {n} bridge; detach-interface {n} network --config"
            )),
            // the guest's addresses, screen and keyboard
            c(&format!(
                "domifaddr {n}; domifaddr {n} --source agent; domifaddr {n} --source lease --full"
            )),
            c(&format!("screenshot {n} --file {d}/shot.png")),
            c(&format!("screenshot {n} --file {d}/shot.png --screen 1")),
            c(&format!("screenshot {n}"))
                .cwd(&d)
                .mask("Screenshot saved to rv-diff-devices-2"),
            c(&format!(
                "send-key {n} KEY_A; send-key {n} --holdtime 50 KEY_LEFTSHIFT KEY_B; send-key {n} --codeset xt 30; send-key {n} --codeset usb 4; send-key {n} --codeset win32 65; send-key {n} 0xffff"
            )),
            // a domain that is not running
            c(&format!(
                "destroy {n}; domifaddr {n}; screenshot {n} --file {d}/off.png; send-key {n} KEY_A; attach-disk {n} {img} vdb --live; attach-interface {n} bridge {b} --live"
            )),
        ],
    );
    virsh(&uri, &format!("destroy {n}; undefine {n} --managed-save"));
    drop(br);
    let _ = std::fs::remove_dir_all(&dir);
}
