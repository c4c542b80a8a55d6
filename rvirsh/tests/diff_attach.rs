//! virsh and rvirsh side by side on attach-disk, attach-interface, detach-disk and
//! detach-interface on the test driver: the device XML built from the options
//! (`--print-xml`), every check of the options and its message, the device found in the
//! domain's XML as libxml2 prints it, the choice between the flagless and the flags call
//! (named in the driver's refusal: the test driver attaches and detaches nothing) and the
//! messages. The successful changes are diffed on the qemu driver (diff_qemu_devices).

mod common;

use common::{Case, c, compare, test_uri};

/// `--print-xml` cases of attach-disk: the XML and the checks before it.
fn attach_disk_xml() -> Vec<Case> {
    let p = |opts: &str| c(&format!("attach-disk vw-running {opts} --print-xml"));
    vec![
        p("/tmp/a.img vdb"),
        p(
            "/tmp/a.img vdb --driver qemu --subdriver qcow2 --cache none --io native --type disk --mode readonly --serial S1 --wwn 0123456789abcdef --alias ua-d --rawio --address pci:0000.00.0a.0 --multifunction --targetbus virtio --iothread 1",
        ),
        p("'' vdb"),
        p("a ''"),
        p("a vdb --driver ''"),
        p("a vdb --serial ''"),
        p("a vdb --source-host-name h"),
        p("a vdb --source-host-transport tcp"),
        p("a vdb --source-host-socket s --source-protocol nbd"),
        p(
            "a vdb --source-host-socket s --source-host-name h --source-protocol nbd --source-host-transport unix",
        ),
        p("a vdb --source-host-socket /s.sock --source-protocol nbd --source-host-transport unix"),
        p("a vdb --sourcetype network"),
        p("a vdb --source-protocol nbd"),
        p("a vdb --source-protocol nbd --sourcetype file"),
        p("a vdb --source-protocol nbd --source-host-name h:10809 --source-host-transport tcp"),
        p("pool/img vdb --source-protocol rbd --source-host-name mon1"),
        p("a vdb --mode bad"),
        p("a vdb --mode readonly --shareable"),
        p("a vdb --shareable"),
        p("a vdb --wwn 12"),
        p("a vdb --wwn 0x0123456789ABCDEF"),
        p("a vdb --wwn 0123456789abcdeg"),
        p("/dev/null vdb"),
        p("/dev/loop0 vdb"),
        p("/dev/loop0 vdb --driver file"),
        p("/dev/loop0 vdb --driver tap"),
        p("/dev/loop0 vdb --sourcetype file"),
        p("a vdb --sourcetype block"),
        p("a vdb --sourcetype xx"),
        p("a vdb --address bogus"),
        p("a vdb --address pci:0"),
        p("a vdb --address pci:0.0.-1.0"),
        p("a vdb --address pci:0x0.0x1.0x1f.7"),
        p("a vdb --address scsi:0.0.0"),
        p("a sdb --address scsi:0.1.2"),
        p("a sdb --address usb:1.2"),
        p("a sdb --address sata:1.2.3"),
        p("a sdb --address ide:0.0.0"),
        p("a hdb --address ide:0.1.2"),
        p("a hdb --address pci:0.0.1.0"),
        p("a xdb --address usb:1.2"),
        p("a vdb --address ccw:fe.0.1"),
        p("a vdb --address ccw:0xfe.0x0.0xffff --multifunction"),
        p("a vdb --address pci:0.0.3.1 --multifunction"),
        p("\"a'<&>\" vdb --driver \"q'\""),
        p("a vdb --persistent --current"),
        p("a vdb --live --current"),
        p("a vdb --config --current"),
        // the XML is printed before the domain is looked up
        c("attach-disk nope a vdb --print-xml"),
    ]
}

/// attach-disk calling the driver (refused by the test driver: the call made is named).
fn attach_disk_calls() -> Vec<Case> {
    let mut v = Vec::new();
    for dom in ["vw-running", "vw-stopped"] {
        for opts in [
            "",
            "--config",
            "--live",
            "--current",
            "--persistent",
            "--config --live",
        ] {
            v.push(c(&format!("attach-disk {dom} /tmp/a.img vdb {opts}")));
        }
    }
    v.push(c("attach-disk nope /tmp/a.img vdb"));
    v.push(c("attach-disk vw-running /tmp/a.img"));
    v.push(c(
        "attach-disk --domain vw-running --source /tmp/a.img --target vdb -q",
    ));
    v.push(c("attach-disk vw-running /tmp/a.img vdb --mode bad"));
    v.push(c("help attach-disk"));
    v
}

fn attach_interface_cases() -> Vec<Case> {
    let p = |opts: &str| c(&format!("attach-interface vw-running {opts} --print-xml"));
    let mut v = vec![
        p("network vw-net"),
        p(
            "network default --mac 52:54:00:00:00:01 --model virtio --inbound 100,200,300,400 --outbound 10,20,30 --target vnet9 --script /x --alias ua-x --managed",
        ),
        p("bridge br0"),
        p("direct eth0"),
        p("hostdev 0000:00:1f.0"),
        p("hostdev 0000.00.1f.0"),
        p("hostdev bogus"),
        p("vhostuser /tmp/vhost.sock"),
        p("vhostuser /tmp/vhost.sock --source-mode server"),
        p("vhostuser /tmp/vhost.sock --source-mode client"),
        p("vhostuser /tmp/vhost.sock --source-mode bad"),
        p("network vw-net --source-mode client"),
        p("network vw-net --inbound 100"),
        p("network vw-net --inbound ,,,5"),
        p("network vw-net --inbound ,200"),
        p("network vw-net --inbound 1,2,3,4,5"),
        p("network vw-net --inbound abc"),
        p("network vw-net --inbound 1,x"),
        p("network vw-net --inbound 1,,x"),
        p("network vw-net --inbound 1,2,3,-4"),
        p("network vw-net --outbound 10"),
        p("network vw-net --outbound ,10"),
        p("network vw-net --outbound 10,,,4"),
        p("network vw-net --outbound 10,20,30,"),
        p("network vw-net --mac ''"),
        p("'' vw-net"),
        p("network ''"),
        p("network vw-net --persistent --current"),
        p("user x --inbound abc"),
        p("network \"a'<b\""),
        c("attach-interface nope network vw-net --print-xml"),
        c("attach-interface nope bogus vw-net"),
    ];
    for ty in [
        "user", "ethernet", "server", "client", "mcast", "udp", "vdpa", "null", "vds", "internal",
        "bogus", "NETWORK",
    ] {
        v.push(p(&format!("{ty} x")));
    }
    for dom in ["vw-running", "vw-stopped"] {
        for opts in ["", "--config", "--live", "--current", "--persistent"] {
            v.push(c(&format!("attach-interface {dom} network vw-net {opts}")));
        }
    }
    v.push(c("attach-interface nope network vw-net"));
    v.push(c("attach-interface vw-running network"));
    v.push(c("help attach-interface"));
    v
}

fn detach_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for dom in ["vw-running", "vw-stopped", "nope"] {
        for opts in [
            "--print-xml",
            "--config --print-xml",
            "--persistent --print-xml",
            "--live --print-xml",
            "",
            "--config",
            "--live",
            "--current",
            "--persistent",
            "--persistent --current",
        ] {
            v.push(c(&format!("detach-disk {dom} vda {opts}")));
            v.push(c(&format!("detach-interface {dom} network {opts}")));
        }
    }
    v.extend([
        c("detach-disk vw-running /vwpool/vw-running.img --print-xml"),
        c("detach-disk vw-running vdz --print-xml"),
        c("detach-disk vw-running ''"),
        c("detach-disk vw-running"),
        c("detach-interface vw-running network --mac 52:54:00:5A:11:01 --print-xml"),
        c("detach-interface vw-running network --mac 52:54:0:5a:11:1 --print-xml"),
        c("detach-interface vw-running network --mac 52:54:00:5a:11:02 --print-xml"),
        c("detach-interface vw-running network --mac 52:54:00:5a:11:02 --config"),
        c("detach-interface vw-running network --mac ''"),
        c("detach-interface vw-running bridge --print-xml"),
        c("detach-interface vw-running bridge --config --print-xml"),
        c("detach-interface vw-running ''"),
        c("detach-interface vw-running"),
        c("help detach-disk"),
        c("help detach-interface"),
    ]);
    v
}

#[test]
fn attach_disk() {
    let mut cases = attach_disk_xml();
    cases.extend(attach_disk_calls());
    compare(&test_uri("diff-attach-disk"), &cases);
}

#[test]
fn attach_interface() {
    compare(&test_uri("diff-attach-iface"), &attach_interface_cases());
}

#[test]
fn detach_disk_and_interface() {
    compare(&test_uri("diff-detach"), &detach_cases());
}
