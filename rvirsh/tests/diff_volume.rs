//! virsh and rvirsh side by side on the test driver's storage volumes (see `common` for how
//! the two share a daemon state). The test driver has no wipe or resize: those cases compare
//! virsh's and rvirsh's refusal, option checks and messages.

mod common;

use common::{args, c, compare, test_uri};

#[test]
fn vol_list_and_info() {
    compare(
        &test_uri("diff-vol-list"),
        &[
            c("vol-list vw-pool"),
            c("vol-list vw-pool --details"),
            c("vol-list 6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c20"),
            c("vol-list nope"),
            c("vol-list"),
            args(&["-q", "-c", "{uri}", "vol-list vw-pool --details"]),
            c("vol-info scratch.raw --pool vw-pool"),
            c("vol-info scratch.raw vw-pool"),
            c("vol-info /vwpool/scratch.raw"),
            c("vol-info --bytes /vwpool/vw-running.img"),
            c("vol-info --physical /vwpool/scratch.raw"),
            c("vol-info --bytes --physical /vwpool/scratch.raw"),
            c("vol-info nope"),
            c("vol-info nope --pool vw-pool"),
            c("vol-info x --pool nope"),
            c("vol-path scratch.raw --pool vw-pool"),
            c("vol-path scratch.raw"),
            c("vol-name /vwpool/scratch.raw"),
            c("vol-name scratch.raw"),
            c("vol-key scratch.raw vw-pool"),
            c("vol-key /vwpool/scratch.raw"),
            c("vol-pool /vwpool/scratch.raw"),
            c("vol-pool --uuid /vwpool/scratch.raw"),
            c("vol-pool nope"),
            c("vol-dumpxml scratch.raw vw-pool"),
            c("vol-dumpxml /vwpool/vw-running.img"),
            c("vol-dumpxml nope"),
            c("pool-destroy vw-pool; vol-list vw-pool; vol-info scratch.raw --pool vw-pool"),
        ],
    );
}

#[test]
fn vol_create_delete_change() {
    compare(
        &test_uri("diff-vol-create"),
        &[
            c("vol-create-as vw-pool n1 10M; vol-list vw-pool --details; vol-info n1 vw-pool"),
            c("vol-create-as vw-pool n1 10M --allocation 1M; vol-info --bytes n1 vw-pool"),
            c("vol-create-as vw-pool n2 1x"),
            c("vol-create-as vw-pool n2 abc"),
            c("vol-create-as vw-pool n2 10M --allocation 1q"),
            c("vol-create-as vw-pool n3 10M --allocation 1M --format qcow2 --print-xml"),
            c("vol-create-as vw-pool n3 10M 1M qcow2 --print-xml"),
            c(
                "vol-create-as vw-pool n3 10G --backing-vol scratch.raw --backing-vol-format raw \
               --print-xml",
            ),
            c("vol-create-as vw-pool n3 10M --backing-vol /vwpool/scratch.raw --print-xml"),
            c("vol-create-as vw-pool n3 10M --backing-vol nope --print-xml"),
            c("vol-create-as vw-pool n3 10M --format qcow2 --prealloc-metadata"),
            c("vol-create-as nope n3 10M"),
            c("vol-create-as vw-pool scratch.raw 10M"),
            c("pool-destroy vw-pool; vol-create-as vw-pool n1 1M"),
            c("vol-create-as vw-pool n1 10M; vol-delete n1 vw-pool; vol-delete n1 vw-pool"),
            c("vol-delete /vwpool/scratch.raw; vol-list vw-pool"),
            c("vol-delete --delete-snapshots scratch.raw vw-pool"),
            args(&[
                "-q",
                "-c",
                "{uri}",
                "vol-create-as vw-pool n1 1M; vol-delete n1 vw-pool",
            ]),
            c("vol-wipe scratch.raw vw-pool"),
            c("vol-wipe scratch.raw vw-pool --algorithm zero"),
            c("vol-wipe scratch.raw vw-pool --algorithm dod"),
            c("vol-wipe scratch.raw vw-pool --algorithm bogus"),
            c("vol-wipe nope vw-pool"),
            c("vol-resize scratch.raw 128M vw-pool"),
            c("vol-resize scratch.raw -- -1M vw-pool"),
            c("vol-resize scratch.raw --shrink --delta -- -1M vw-pool"),
            c("vol-resize scratch.raw 1x vw-pool"),
            c("vol-resize scratch.raw 1M --pool vw-pool --allocate --delta"),
        ],
    );
}

#[test]
fn vol_create_from_files_and_volumes() {
    let dir = std::env::temp_dir().join(format!("rvirsh-diff-volcopy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vol = dir.join("vol.xml");
    std::fs::write(
        &vol,
        "<volume><name>c1</name><capacity>1048576</capacity></volume>",
    )
    .unwrap();
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, "<volume><name>").unwrap();
    let (vol, bad) = (vol.to_str().unwrap(), bad.to_str().unwrap());
    compare(
        &test_uri("diff-vol-copy"),
        &[
            c(&format!(
                "vol-create vw-pool {vol}; vol-list vw-pool --details"
            )),
            c("vol-create vw-pool /nonexistent.xml"),
            c(&format!("vol-create nope {vol}")),
            c(&format!("vol-create vw-pool {bad}")),
            c(&format!("vol-create --validate vw-pool {vol}")),
            c(&format!(
                "vol-create-from vw-pool {vol} scratch.raw; vol-list vw-pool"
            )),
            c(&format!(
                "vol-create-from vw-pool {vol} scratch.raw --inputpool vw-pool"
            )),
            c(&format!("vol-create-from vw-pool {vol} nope")),
            c("vol-create-from vw-pool /nonexistent.xml scratch.raw --inputpool vw-pool"),
            c("vol-clone scratch.raw c2 --pool vw-pool; vol-list vw-pool --details"),
            c("vol-clone /vwpool/scratch.raw c2 --print-xml"),
            c("vol-clone nope c2"),
            c("vol-clone scratch.raw vw-running.img --pool vw-pool"),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
