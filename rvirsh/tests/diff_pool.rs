//! virsh and rvirsh side by side on the test driver's storage pools (see `common` for how
//! the two share a daemon state).

mod common;

use common::{args, c, compare, test_uri};

const POOL_UUID: &str = "6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c20";

#[test]
fn pool_list_and_info() {
    compare(
        &test_uri("diff-pool-list"),
        &[
            c("pool-list"),
            c("pool-list --all"),
            c("pool-list --inactive"),
            c("pool-list --all --details"),
            c("pool-list --details"),
            c("pool-list --all --name"),
            c("pool-list --all --uuid"),
            c("pool-list --all --uuid --name"),
            c("pool-list --all --type dir"),
            c("pool-list --all --type logical,disk"),
            c("pool-list --type bogus"),
            c("pool-list --all --inactive"),
            c("pool-list --details --uuid"),
            c("pool-list --all --persistent"),
            c("pool-list --all --transient"),
            c("pool-list --all --autostart"),
            c("pool-list --all --no-autostart"),
            c("pool-destroy vw-pool; pool-list --all --details; pool-list --inactive"),
            c("pool-autostart vw-pool; pool-list --autostart; pool-info vw-pool"),
            args(&["-q", "-c", "{uri}", "pool-list --all --details"]),
            c("pool-info vw-pool"),
            c("pool-info --bytes vw-pool"),
            c(&format!("pool-info {POOL_UUID}")),
            c("pool-info nope"),
            c("pool-info"),
            c("pool-destroy vw-pool; pool-info vw-pool; pool-info --bytes vw-pool"),
            c("pool-uuid vw-pool"),
            c(&format!("pool-uuid {POOL_UUID}")),
            c(&format!("pool-name {POOL_UUID}")),
            c("pool-name vw-pool"),
            c("pool-dumpxml vw-pool"),
            c("pool-dumpxml --inactive vw-pool"),
            c("pool-dumpxml nope"),
        ],
    );
}

#[test]
fn pool_life_cycle() {
    compare(
        &test_uri("diff-pool-life"),
        &[
            c("pool-destroy vw-pool; pool-destroy vw-pool; pool-start vw-pool; pool-start vw-pool"),
            c("pool-destroy nope"),
            c("pool-refresh vw-pool; pool-destroy vw-pool; pool-refresh vw-pool"),
            c("pool-autostart vw-pool; pool-autostart --disable vw-pool; pool-info vw-pool"),
            c("pool-undefine vw-pool"),
            c("pool-destroy vw-pool; pool-undefine vw-pool; pool-list --all"),
            c("pool-destroy vw-pool; pool-build vw-pool; pool-delete vw-pool"),
            c("pool-start vw-pool --overwrite --no-overwrite"),
            c("pool-destroy vw-pool; pool-start --build vw-pool"),
            args(&[
                "-q",
                "-c",
                "{uri}",
                "pool-destroy vw-pool; pool-start vw-pool",
            ]),
            args(&["-r", "-c", "{uri}", "pool-destroy vw-pool"]),
        ],
    );
}

#[test]
fn pool_define_and_create() {
    let dir = std::env::temp_dir().join(format!("rvirsh-diff-pool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xml = dir.join("pool.xml");
    std::fs::write(
        &xml,
        "<pool type='dir'><name>vw-new</name>\
         <uuid>6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c29</uuid>\
         <target><path>/vwnew</path></target></pool>",
    )
    .unwrap();
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, "<pool type='dir'><name>").unwrap();
    let (xml, bad) = (xml.to_str().unwrap(), bad.to_str().unwrap());
    compare(
        &test_uri("diff-pool-define"),
        &[
            c(&format!("pool-define {xml}; pool-list --all --details")),
            c(&format!(
                "pool-define --validate {xml}; pool-start vw-new; pool-info vw-new"
            )),
            c(&format!("pool-create {xml}; pool-list --all")),
            c(&format!("pool-define {bad}")),
            c(&format!("pool-create {bad}")),
            c("pool-define /nonexistent.xml"),
            c(&format!("pool-create {xml} --overwrite --no-overwrite")),
            c("pool-define-as p2 dir --target /vwp2; pool-list --all; pool-dumpxml p2")
                .mask("  <uuid>"),
            c("pool-define-as --name p2 --type dir --target /vwp2 --print-xml"),
            c(
                "pool-define-as p2 netfs --source-host h.example --source-path /e --target /m \
               --source-format nfs --source-protocol-ver 4 --print-xml",
            ),
            c(
                "pool-define-as p2 iscsi --source-host h --source-dev iqn.x --source-initiator \
               iqn.y --auth-type chap --auth-username u --secret-usage s --print-xml",
            ),
            c(
                "pool-define-as p2 scsi --adapter-wwnn 1 --adapter-wwpn 2 --adapter-parent p \
               --print-xml",
            ),
            c("pool-define-as p2 scsi --adapter-name host0 --source-name n --print-xml"),
            c("pool-define-as p2 dir --secret-usage a --secret-uuid b"),
            c("pool-define-as p2 bogus"),
            c("pool-define-as p2"),
            c("pool-create-as p3 dir --target /vwp3; pool-list --all --details"),
            c("pool-create-as p3 dir --target /vwp3 --print-xml"),
            c("pool-create-as vw-pool dir --target /vwpool"),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
