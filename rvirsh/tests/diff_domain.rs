//! virsh and rvirsh side by side on the test driver's domains: listing, information and
//! the life cycle (see `common` for how the two share a daemon state).

mod common;

use common::{args, c, compare, test_uri};

#[test]
fn list() {
    compare(
        &test_uri("diff-list"),
        &[
            c("list"),
            c("list --all"),
            c("list --inactive"),
            c("list --all --name"),
            c("list --all --uuid"),
            c("list --all --id"),
            c("list --all --name --uuid"),
            c("list --all --id --name --uuid"),
            c("list --table --name"),
            c("list --all --table"),
            c("list --all --title"),
            c("list --state-running"),
            c("list --state-shutoff"),
            c("list --state-paused"),
            c("list --state-other"),
            c("list --all --persistent"),
            c("list --all --transient"),
            c("list --all --autostart"),
            c("list --all --no-autostart"),
            c("list --all --managed-save"),
            c("list --all --with-managed-save"),
            c("list --all --without-managed-save"),
            c("suspend vw-running; list --state-paused; list --all --state-other"),
            c("destroy vw-running; list --all; start vw-stopped; list"),
            c("autostart vw-stopped; list --all --autostart"),
            args(&["-q", "-c", "{uri}", "list --all --name"]),
        ],
    );
}

#[test]
fn domain_information() {
    compare(
        &test_uri("diff-dominfo"),
        &[
            c("dominfo vw-running").mask("CPU time:"),
            c("dominfo vw-stopped").mask("CPU time:"),
            c("dominfo 1").mask("CPU time:"),
            c("dominfo 6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c02").mask("CPU time:"),
            c("dominfo nope"),
            c("domstate vw-running"),
            c("domstate vw-running --reason"),
            c("domstate vw-stopped --reason"),
            c("suspend vw-running; domstate vw-running --reason"),
            c("destroy vw-running; domstate vw-running --reason"),
            c("domid vw-running"),
            c("domid vw-stopped"),
            c("domid 1"),
            c("domid 6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c01"),
            c("domname 1"),
            c("domname vw-stopped"),
            c("domname 6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c02"),
            c("domuuid vw-running"),
            c("domuuid 1"),
            c("domuuid 6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c02"),
            c("dumpxml vw-running"),
            c("dumpxml vw-stopped --inactive"),
            c("dumpxml vw-running --security-info"),
            c("dumpxml vw-running --migratable"),
            c("dumpxml nope"),
        ],
    );
}

#[test]
fn life_cycle() {
    compare(
        &test_uri("diff-lifecycle"),
        &[
            c("start vw-stopped; list --all"),
            c("start vw-running"),
            c("start 1"),
            c("start nope"),
            c("start --paused vw-stopped; domstate vw-stopped --reason"),
            c("destroy vw-running; destroy vw-running"),
            c("destroy 1; list --all"),
            c("destroy --graceful vw-running"),
            c("suspend vw-running; suspend vw-running; resume vw-running; resume vw-running"),
            c("suspend vw-stopped"),
            c("shutdown vw-running; domstate vw-running --reason"),
            c("shutdown --mode acpi vw-running"),
            c("shutdown --mode bogus vw-running"),
            c("reboot vw-running"),
            c("reset vw-running"),
            c("autostart vw-running; dominfo vw-running").mask("CPU time:"),
            c("autostart --disable vw-stopped"),
            c("undefine vw-stopped; list --all"),
            c("undefine vw-running; list --all --transient"),
            c("undefine nope"),
            c(
                "destroy vw-running; undefine vw-running --remove-all-storage; dumpxml vw-stopped --inactive",
            ),
            c("destroy vw-running; undefine vw-running --storage vda; undefine vw-running"),
            c("destroy vw-running; undefine vw-running --storage /vwpool/vw-running.img"),
            c("destroy vw-running; undefine vw-running --storage vda --wipe-storage"),
            c("destroy vw-running; undefine vw-running --storage vdb"),
            c("undefine vw-running --storage vdb"),
            c("undefine vw-stopped --remove-all-storage"),
            c("undefine vw-running --storage vda --remove-all-storage"),
            c("undefine vw-running --delete-storage-volume-snapshots"),
            c("undefine vw-stopped --managed-save --snapshots-metadata"),
            c("dumpxml vw-stopped > /dev/null; undefine vw-stopped"),
            args(&[
                "-q",
                "-c",
                "{uri}",
                "destroy vw-running; start vw-running; suspend 2",
            ]),
            args(&["-c", "{uri}", "-r", "destroy vw-running"]),
        ],
    );
}

#[test]
fn define_and_create() {
    let dir = std::env::temp_dir().join(format!("rvirsh-diff-define-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xml = dir.join("dom.xml");
    std::fs::write(
        &xml,
        "<domain type='test'><name>vw-new</name>\
         <uuid>6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c09</uuid><memory>65536</memory>\
         <os><type>hvm</type></os></domain>",
    )
    .unwrap();
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, "<domain type='test'><name>").unwrap();
    let xml = xml.to_str().unwrap();
    let bad = bad.to_str().unwrap();
    compare(
        &test_uri("diff-define"),
        &[
            c(&format!("define {xml}; list --all")),
            c(&format!("define --file {xml} --validate; list --all")),
            c(&format!("create {xml}; list --all")),
            c(&format!("create {xml} --paused; list --all")),
            c(&format!("define {bad}")),
            c(&format!("create {bad}")),
            c("define /nonexistent.xml"),
            c(&format!("define {xml}; start vw-new; dominfo vw-new")).mask("CPU time:"),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn memory_and_vcpus() {
    compare(
        &test_uri("diff-resources"),
        &[
            c("setmem vw-running 100M; dominfo vw-running").mask("CPU time:"),
            c("setmem vw-running 1T"),
            c("setmem vw-running abc"),
            c("setmem vw-running"),
            c("setmem vw-running 100M --config --current"),
            c("setmem --domain vw-running --size 131072 --live; dominfo vw-running")
                .mask("CPU time:"),
            c("setmem vw-stopped 64M --config; dominfo vw-stopped").mask("CPU time:"),
            c("setmaxmem vw-running 100M"),
            c("setmaxmem vw-stopped 100M; dominfo vw-stopped").mask("CPU time:"),
            c("setmaxmem vw-stopped 100M --config; dominfo vw-stopped").mask("CPU time:"),
            c("setvcpus vw-running 1; vcpucount vw-running"),
            c("setvcpus vw-running 5"),
            c("setvcpus vw-running x"),
            c("setvcpus vw-running 1 --maximum"),
            c("setvcpus vw-stopped 2 --maximum --config; vcpucount vw-stopped"),
            c("setvcpus vw-running 1 --guest --config"),
            c("vcpucount vw-running"),
            c("vcpucount vw-stopped"),
            c("vcpucount vw-running --live --maximum"),
            c("vcpucount vw-running --active"),
            c("vcpucount vw-running --maximum"),
            c("vcpucount vw-stopped --live"),
            c("vcpucount vw-running --active --maximum"),
            c("undefine vw-running; vcpucount vw-running"),
            c("domstats"),
            c("domstats --state"),
            c("domstats --list-running --raw"),
            c("domstats vw-running vw-stopped --cpu-total --vcpu; domstats nope"),
            c("domstats 1 --state --list-shutoff"),
            c("suspend vw-running; domstats --list-paused --state"),
            c("vcpuinfo vw-running").mask("CPU time:"),
            c("vcpuinfo vw-running --pretty").mask("CPU time:"),
            c("vcpuinfo vw-stopped"),
            c("vcpuinfo vw-stopped --pretty"),
            c("setvcpus vw-running 1; vcpuinfo vw-running").mask("CPU time:"),
        ],
    );
}

#[test]
fn devices() {
    compare(
        &test_uri("diff-devices"),
        &[
            c("domblklist vw-running"),
            c("domblklist vw-running --details"),
            c("domblklist vw-running --inactive"),
            c("domblklist vw-stopped --details"),
            c("domiflist vw-running"),
            c("domiflist vw-stopped"),
            c("domiflist vw-running --inactive"),
            c("domblkinfo vw-running vda"),
            c("domblkinfo vw-running --device vda --human"),
            c("domblkinfo vw-running --all"),
            c("domblkinfo vw-running --all --human"),
            c("domblkinfo vw-running"),
            c("domblkinfo vw-running vdz"),
            c("domblkinfo vw-running --all --device vda"),
            args(&[
                "-q",
                "-c",
                "{uri}",
                "domblklist vw-running; domiflist vw-running",
            ]),
        ],
    );
}

#[test]
fn save_and_restore() {
    let dir = std::env::temp_dir().join(format!("rvirsh-diff-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = dir.join("s.img");
    let img = img.to_str().unwrap();
    compare(
        &test_uri("diff-save"),
        &[
            c(&format!("save vw-running {img}; restore {img}; list")),
            args(&[
                "-q",
                "-c",
                "{uri}",
                &format!("save vw-running {img}; restore {img}; list"),
            ]),
            c(&format!("save vw-stopped {img}")),
            c(&format!("save vw-running {img} --paused --bypass-cache")),
            c(&format!("save vw-running {img} --paused --running")),
            c(&format!("restore {img}.nope")),
            c("managedsave vw-stopped"),
            c("managedsave vw-running; list --all --managed-save; dominfo vw-running")
                .mask("CPU time:"),
            c("managedsave vw-running --running; start vw-running; list"),
            c("managedsave vw-running; undefine vw-running"),
            c("managedsave vw-running; undefine vw-running --managed-save; list --all"),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn edit() {
    let e = |editor: &str, line: &str| c(line).env("EDITOR", editor).mask("CPU time:");
    compare(
        &test_uri("diff-edit"),
        &[
            e("true", "edit vw-running; dominfo vw-running"),
            e(
                "sed -i s/262144/131072/g",
                "edit vw-running; dumpxml vw-running --inactive",
            ),
            e(
                "sed -i s/131072/65536/g",
                "edit 6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c02",
            ),
            c("edit vw-stopped")
                .env("EDITOR", "false")
                .env("VISUAL", "sed -i s/131072/1000/g"),
            // an invalid result without a terminal: virsh 9.0 reports "Failed." and goes on
            e("sed -i /uuid/d", "edit vw-running; list --all"),
            e("sed -i /domain/d", "edit vw-running; list --all"),
            e(
                "sed -i s/vw-running/vw-renamed/g",
                "edit vw-running; list --all",
            ),
            e("true", "edit nope"),
            e(
                "sed -i s/262144/131072/g",
                "edit vw-running --skip-validate",
            ),
            // the editor's failure names the temporary file, whose name is random
            e("false", "edit vw-running").mask("error: internal error: Child process"),
        ],
    );
}
