//! virsh and rvirsh side by side on attach-device, detach-device and update-device on the
//! test driver, which refuses the calls themselves: the options' checks, the file, the
//! choice between the flagless and the flags call (named in the driver's error) and the
//! messages.

mod common;

use common::{c, compare, test_uri};

#[test]
fn device_from_xml() {
    let file = std::env::temp_dir().join(format!("rvirsh-nic-{}.xml", std::process::id()));
    std::fs::write(
        &file,
        "<interface type='network'><source network='vw-net'/></interface>",
    )
    .unwrap();
    let f = file.display().to_string();
    let mut cases = Vec::new();
    for cmd in ["attach-device", "detach-device", "update-device"] {
        for opts in [
            "",
            "--config",
            "--live",
            "--current",
            "--persistent",
            "--persistent --current",
            "--live --current",
            "--config --current",
        ] {
            cases.push(c(&format!("{cmd} vw-running {f} {opts}")));
            cases.push(c(&format!("{cmd} vw-stopped {f} {opts}")));
        }
        cases.push(c(&format!("{cmd} nope {f}")));
        cases.push(c(&format!("{cmd} vw-running /nonexistent.xml")));
        cases.push(c(&format!("{cmd} vw-running")));
        cases.push(c(&format!("help {cmd}")));
    }
    cases.push(c(&format!("update-device vw-running {f} --force")));
    compare(&test_uri("diff-device-xml"), &cases);
    let _ = std::fs::remove_file(file);
}
