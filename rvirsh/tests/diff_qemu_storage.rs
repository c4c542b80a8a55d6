//! virsh and rvirsh side by side on the qemu driver's storage: a real directory pool in the
//! sandbox and qcow2 volumes (raw, backed, resized, wiped, cloned). The daemon's state is
//! shared, so every run starts from no pool at all (see `common::compare_resetting`). The
//! free space of the sandbox's file system changes between two runs, so the pool's sizes are
//! compared up to their labels (and the pool's random UUID too).

mod common;

use common::{c, compare_resetting, sandbox_var};

const P: &str = "vw-rvirsh-pool";

#[test]
fn dir_pool_and_qcow2_volumes() {
    let uri = format!(
        "qemu+unix:///system?socket={}",
        sandbox_var("VIRTWIRE_SOCKET")
    );
    let target = std::path::Path::new(&sandbox_var("VIRTWIRE_SANDBOX")).join(P);
    let t = target.to_str().unwrap();
    let reset = format!(
        "pool-start {P}; vol-delete a.qcow2 --pool {P}; vol-delete b.qcow2 --pool {P}; \
         vol-delete c.qcow2 --pool {P}; vol-delete r.raw --pool {P}; pool-destroy {P}; \
         pool-delete {P}; pool-undefine {P}"
    );
    let up = format!("pool-define-as {P} dir --target {t}; pool-build {P}; pool-start {P}");
    let vols = format!(
        "{up}; vol-create-as {P} a.qcow2 10M --format qcow2; \
         vol-create-as {P} b.qcow2 10M --format qcow2 --backing-vol a.qcow2 \
         --backing-vol-format qcow2"
    );
    let sizes = |case: common::Case| {
        case.mask("UUID:")
            .mask("Capacity:")
            .mask("Allocation:")
            .mask("Available:")
    };
    compare_resetting(
        &uri,
        &reset,
        &[
            c(&format!(
                "{up}; pool-list --all; pool-autostart {P}; pool-list --autostart"
            )),
            sizes(c(&format!("{up}; pool-info {P}; pool-info --bytes {P}"))),
            c(&format!(
                "{up}; pool-refresh {P}; pool-destroy {P}; pool-list --inactive"
            )),
            c(&format!("{up}; pool-dumpxml --inactive {P}"))
                .mask("  <uuid>")
                .mask("  <capacity")
                .mask("  <allocation")
                .mask("  <available"),
            c(&format!(
                "{up}; pool-destroy {P}; pool-delete {P}; pool-undefine {P}"
            )),
            c(&format!("{up}; pool-build {P} --overwrite --no-overwrite")),
            c(&format!("{vols}; vol-list {P}")),
            c(&format!(
                "{vols}; vol-info a.qcow2 {P}; vol-info --bytes b.qcow2 --pool {P}"
            )),
            c(&format!(
                "{vols}; vol-path a.qcow2 {P}; vol-key a.qcow2 {P}"
            )),
            c(&format!(
                "{vols}; vol-pool {t}/a.qcow2; vol-name {t}/b.qcow2"
            )),
            c(&format!(
                "{vols}; vol-resize a.qcow2 20M {P}; vol-resize a.qcow2 1M {P} --delta; \
                 vol-info --bytes a.qcow2 {P}"
            )),
            c(&format!("{vols}; vol-resize a.qcow2 1M {P}")),
            c(&format!(
                "{up}; vol-create-as {P} r.raw 1M; vol-wipe r.raw {P}; \
                        vol-wipe r.raw {P} --algorithm zero; vol-info --bytes r.raw {P}"
            )),
            c(&format!(
                "{vols}; vol-clone a.qcow2 c.qcow2 --pool {P}; vol-list {P}"
            )),
            c(&format!(
                "{vols}; vol-delete b.qcow2 {P}; vol-delete b.qcow2 {P}; vol-list {P}"
            )),
            c(&format!("{vols}; vol-create-as {P} a.qcow2 1M")),
            c(&format!("{vols}; pool-delete {P}")),
            c(&format!("{up}; vol-create-as {P} r.raw 1x")),
        ],
    );
    volume_upload_and_download();
}

/// A file of `len` bytes: data at its start and around its middle, a hole elsewhere.
fn sparse_file(path: &std::path::Path, len: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&[0x5a; 5000]).unwrap();
    f.seek(SeekFrom::Start(len / 2)).unwrap();
    f.write_all(b"virtwire").unwrap();
    f.set_len(len).unwrap();
}

/// Uploads and downloads; run by the test above, after it, so that no other pool of this
/// binary exists while a case lists the daemon's pools.
fn volume_upload_and_download() {
    let uri = format!(
        "qemu+unix:///system?socket={}",
        sandbox_var("VIRTWIRE_SOCKET")
    );
    const Q: &str = "vw-rvirsh-xfer";
    let sandbox = std::path::PathBuf::from(sandbox_var("VIRTWIRE_SANDBOX"));
    let t = sandbox.join(Q);
    let t = t.to_str().unwrap();
    let files = sandbox.join("rvirsh-xfer-files");
    std::fs::create_dir_all(&files).unwrap();
    let input = files.join("in.bin");
    sparse_file(&input, 2 << 20);
    let (i, out) = (input.to_str().unwrap(), files.join("out.bin"));
    let o = out.to_str().unwrap();
    let reset = format!(
        "pool-start {Q}; vol-delete r.raw --pool {Q}; pool-destroy {Q}; pool-delete {Q}; \
         pool-undefine {Q}"
    );
    let up = format!(
        "pool-define-as {Q} dir --target {t}; pool-build {Q}; pool-start {Q}; \
         vol-create-as {Q} r.raw 2M"
    );
    compare_resetting(
        &uri,
        &reset,
        &[
            c(&format!(
                "{up}; vol-upload r.raw {i} --pool {Q}; vol-download r.raw {o} {Q}"
            )),
            c(&format!(
                "{up}; vol-upload --sparse r.raw {i} {Q}; vol-download --sparse r.raw {o} {Q}"
            )),
            c(&format!(
                "{up}; vol-upload r.raw {i} {Q} --offset 4096; vol-info --bytes r.raw {Q}"
            )),
            c(&format!(
                "{up}; vol-download r.raw {o} {Q} --offset 4000 --length 5000"
            )),
            c(&format!(
                "{up}; vol-upload r.raw {i} {Q} --offset 4096 --length 1000"
            )),
            c(&format!("{up}; vol-upload r.raw /nonexistent {Q}")),
            c(&format!("{up}; vol-download r.raw /nonexistent/x {Q}")),
            c(&format!("{up}; vol-upload nope {i} {Q}")),
            c(&format!("{up}; vol-upload r.raw {i} {Q} --offset x")),
            c(&format!("{up}; vol-upload r.raw {i} {Q} --offset 4000000")),
        ],
    );
    // rvirsh's round trip gives the file back, holes and all
    for sparse in ["", "--sparse"] {
        common::virsh(&uri, &reset);
        let line =
            format!("{up}; vol-upload {sparse} r.raw {i} {Q}; vol-download {sparse} r.raw {o} {Q}");
        let status = std::process::Command::new(common::rvirsh())
            .args(["-q", "-c", &uri, &line])
            .status()
            .unwrap();
        assert!(status.success(), "{line}");
        assert!(std::fs::read(&out).unwrap() == std::fs::read(&input).unwrap());
    }
    common::virsh(&uri, &reset);
    std::fs::remove_dir_all(&files).unwrap();
}
