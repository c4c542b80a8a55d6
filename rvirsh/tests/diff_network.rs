//! virsh and rvirsh side by side on the test driver's networks (see `common` for how the
//! two share a daemon state). The test driver runs the whole life cycle; the qemu driver
//! cannot start a network in the sandbox (no firewall), so its networks are left to the
//! library's tests.

mod common;

use common::{args, c, compare, test_uri};

const NET_UUID: &str = "6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c10";

#[test]
fn net_list_and_info() {
    compare(
        &test_uri("diff-net-list"),
        &[
            c("net-list"),
            c("net-list --all"),
            c("net-list --inactive"),
            c("net-list --name"),
            c("net-list --uuid"),
            c("net-list --uuid --name"),
            c("net-list --table --all"),
            c("net-list --all --persistent"),
            c("net-list --all --transient"),
            c("net-list --all --autostart"),
            c("net-list --all --no-autostart"),
            args(&["-q", "-c", "{uri}", "net-list --all"]),
            c("net-info vw-net"),
            c(&format!("net-info {NET_UUID}")),
            c("net-info nope"),
            c("net-info"),
            c(&format!("net-name {NET_UUID}")),
            c("net-name nope"),
            c("net-name vw-net"),
            c("net-uuid vw-net"),
            c(&format!("net-uuid {NET_UUID}")),
            c("net-dumpxml vw-net"),
            c("net-dumpxml --inactive vw-net"),
            c("net-dumpxml nope"),
            c("net-dhcp-leases vw-net"),
            c("net-dhcp-leases vw-net --mac 52:54:00:00:00:01"),
        ],
    );
}

#[test]
fn net_life_cycle() {
    compare(
        &test_uri("diff-net-life"),
        &[
            c("net-destroy vw-net; net-destroy vw-net; net-list --all; \
               net-start vw-net; net-start vw-net"),
            c("net-destroy nope"),
            c(
                "net-autostart vw-net; net-list --autostart; net-autostart --disable vw-net; \
               net-info vw-net",
            ),
            c("net-undefine vw-net; net-list --all --transient; net-undefine vw-net"),
            c("net-destroy vw-net; net-undefine vw-net; net-list --all"),
            args(&["-q", "-c", "{uri}", "net-destroy vw-net; net-start vw-net"]),
            args(&["-r", "-c", "{uri}", "net-destroy vw-net"]),
        ],
    );
}

#[test]
fn net_define_create_update() {
    let dir = std::env::temp_dir().join(format!("rvirsh-diff-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let net = dir.join("net.xml");
    std::fs::write(
        &net,
        "<network><name>vw-new</name><uuid>6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c19</uuid>\
         <bridge name='vwbr9'/><ip address='198.51.100.1' netmask='255.255.255.0'>\
         <dhcp><range start='198.51.100.100' end='198.51.100.199'/></dhcp></ip></network>",
    )
    .unwrap();
    let host = dir.join("host.xml");
    std::fs::write(
        &host,
        "<host mac='52:54:00:00:00:01' name='h1' ip='198.51.100.150'/>",
    )
    .unwrap();
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, "<network><name>").unwrap();
    let (net, host, bad) = (
        net.to_str().unwrap(),
        host.to_str().unwrap(),
        bad.to_str().unwrap(),
    );
    let inline = "\"<host mac='52:54:00:00:00:02' ip='198.51.100.151'/>\"";
    compare(
        &test_uri("diff-net-define"),
        &[
            c(&format!(
                "net-define {net}; net-list --all; net-start vw-new; net-info vw-new"
            )),
            c(&format!("net-define --validate {net}; net-list --all")),
            c(&format!("net-create {net}; net-list --all")),
            c(&format!("net-create --validate {net}; net-info vw-new")),
            c(&format!("net-define {bad}")),
            c(&format!("net-create {bad}")),
            c("net-define /nonexistent.xml"),
            c(&format!(
                "net-update vw-net add ip-dhcp-host {host}; net-dumpxml vw-net"
            )),
            c(&format!(
                "net-update vw-net add-first ip-dhcp-host {inline} --live --config"
            )),
            c(&format!(
                "net-update vw-net add-last ip-dhcp-host {inline} --config"
            )),
            c(&format!(
                "net-update vw-net add ip-dhcp-host {inline} --live"
            )),
            c(&format!(
                "net-update vw-net add ip-dhcp-host {inline} --parent-index 0"
            )),
            c(&format!(
                "net-update vw-net add ip-dhcp-host {inline} --parent-index x"
            )),
            c(&format!(
                "net-update vw-net add ip-dhcp-host {host}; \
                 net-update vw-net delete ip-dhcp-host {host}; net-dumpxml vw-net"
            )),
            c("net-update vw-net bogus ip-dhcp-host x"),
            c("net-update vw-net add bogus x"),
            c("net-update vw-net delete ip-dhcp-host /nonexistent"),
            c("net-update vw-net modify bridge \"<bridge name='x'/>\" --current --live"),
            c(&format!(
                "net-destroy vw-net; net-update vw-net add ip-dhcp-host {host}"
            )),
            c(&format!("net-update nope add ip-dhcp-host {host}")),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
