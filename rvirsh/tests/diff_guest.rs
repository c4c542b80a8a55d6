//! virsh and rvirsh side by side on domifaddr, screenshot and send-key on the test driver,
//! which answers all three (a made-up address per interface, a fixed PNG, keys checked
//! against the codeset's table); the TCG guest's answers are diffed in diff_qemu_devices.

mod common;

use common::{c, compare, sandbox_var, test_uri};

#[test]
fn domifaddr() {
    let mut cases = Vec::new();
    for dom in ["vw-running", "vw-stopped", "nope"] {
        for opts in [
            "",
            "--full",
            "--source lease",
            "--source agent",
            "--source arp",
            "--interface testnet0",
            "--interface nope",
            "--interface testnet0 --full --source arp",
        ] {
            cases.push(c(&format!("domifaddr {dom} {opts}")));
        }
    }
    cases.extend([
        c("domifaddr vw-running --source bogus"),
        c("domifaddr vw-running --source ''"),
        c("domifaddr vw-running --interface ''"),
        c("domifaddr vw-running testnet0"),
        c("-q domifaddr vw-running"),
        c("domifaddr nope --source bogus"),
        c("domifaddr"),
        c("help domifaddr"),
    ]);
    compare(&test_uri("diff-domifaddr"), &cases);
}

#[test]
fn screenshot() {
    let dir = std::path::Path::new(&sandbox_var("VIRTWIRE_SANDBOX"))
        .join(format!("rvirsh-shots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    std::fs::write(dir.join("old.png"), vec![b'x'; 100_000]).unwrap();
    let cases = vec![
        c(&format!("screenshot vw-running --file {d}/a.png")),
        c(&format!("screenshot vw-running {d}/b.ppm --screen 0")),
        // an existing file is overwritten (and cut to the image's length)
        c(&format!("screenshot vw-running --file {d}/old.png")),
        c(&format!(
            "screenshot vw-stopped --file {d}/c.png --screen 1"
        )),
        c(&format!("screenshot vw-running --file {d}/no/such/dir.png")),
        c(&format!("screenshot nope --file {d}/d.png")),
        c("screenshot vw-running --file ''"),
        c("screenshot vw-running --screen x"),
        c("screenshot vw-running --screen -1"),
        c("screenshot vw-running --screen 4294967296"),
        c("screenshot nope --screen x"),
        c(&format!("-q screenshot vw-running --file {d}/e.png")),
        // no file: DOMAIN-DATE-TIME.png in the current directory (the time differs)
        c("screenshot vw-running")
            .cwd(&d)
            .mask("Screenshot saved to vw-running-2"),
        c("help screenshot"),
    ];
    compare(&test_uri("diff-screenshot"), &cases);
    // both programs wrote the same image
    let shot = std::fs::read(dir.join("a.png")).unwrap();
    assert!(shot.starts_with(b"\x89PNG"), "not a PNG");
    assert_eq!(std::fs::read(dir.join("old.png")).unwrap(), shot);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn send_key() {
    let mut cases = Vec::new();
    for keys in [
        "KEY_A",
        "30",
        "0x1e",
        "036",
        "' 5'",
        "65535",
        "65536",
        "-1",
        "KEY_LEFTCTRL KEY_LEFTALT KEY_DELETE",
        "BTN_LEFT",
        "KEY_COFFEE",
        "KEY_SCREENLOCK",
        "key_a",
        "KEY_A 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
        "KEY_A 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
        "--holdtime 100 KEY_ENTER",
        "--holdtime -1 KEY_ENTER",
        "--holdtime abc KEY_ENTER",
        "--codeset linux KEY_ENTER",
        "--codeset '' KEY_ENTER",
        "--codeset xt 28",
        "--codeset xt KEY_ENTER",
        "--codeset atset1 28",
        "--codeset atset2 90",
        "--codeset atset3 90",
        "--codeset os_x 36",
        "--codeset xt_kbd 28",
        "--codeset usb 40",
        "--codeset win32 13",
        "--codeset qnum 28",
        "--codeset rfb 28",
        "--codeset LINUX 28",
        "--codeset bad --holdtime x 1",
        "--codeset bad 1",
        "--keycode KEY_A --keycode KEY_B",
    ] {
        cases.push(c(&format!("send-key vw-running {keys}")));
    }
    cases.extend([
        c("send-key vw-stopped KEY_A"),
        c("send-key nope KEY_A"),
        c("send-key nope --holdtime x KEY_A"),
        c("send-key vw-running"),
        c("help send-key"),
    ]);
    compare(&test_uri("diff-send-key"), &cases);
}
