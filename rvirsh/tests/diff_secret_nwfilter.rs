//! virsh and rvirsh side by side on secrets, network filters and host interfaces: on the
//! qemu driver, whose daemon keeps secrets and filters (each run starts with the test's
//! objects undefined), and on the test driver, which has neither (both programs fall back
//! and fail the same way).

mod common;

use common::{c, compare, compare_resetting, sandbox_var, test_uri};

const S1: &str = "6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c30";
const S2: &str = "6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c31";
const FILTER_UUID: &str = "6a1f0c2e-7d3b-4c59-9e84-0b2f5d7a1c40";

fn qemu_uri() -> String {
    format!(
        "qemu+unix:///system?socket={}",
        sandbox_var("VIRTWIRE_SOCKET")
    )
}

/// The test's files: two secrets, a secret value, a filter.
fn files(dir: &std::path::Path) -> [String; 4] {
    std::fs::create_dir_all(dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    [
        write(
            "s1.xml",
            &format!(
                "<secret ephemeral='no' private='no'><uuid>{S1}</uuid>\
                 <usage type='volume'><volume>/vw/secret.img</volume></usage></secret>"
            ),
        ),
        write(
            "s2.xml",
            &format!("<secret ephemeral='no' private='no'><uuid>{S2}</uuid></secret>"),
        ),
        write("value", "hunter2"),
        write(
            "filter.xml",
            &format!(
                "<filter name='vw-filter' chain='ipv4'><uuid>{FILTER_UUID}</uuid>\
                 <rule action='drop' direction='in' priority='500'>\
                 <ip srcipaddr='192.0.2.1'/></rule></filter>"
            ),
        ),
    ]
}

#[test]
fn secrets_on_qemu() {
    let dir = std::env::temp_dir().join(format!("rvirsh-diff-secret-{}", std::process::id()));
    let [s1, s2, value, filter] = files(&dir);
    compare_resetting(
        &qemu_uri(),
        &format!("secret-undefine {S1}; secret-undefine {S2}"),
        &[
            c("secret-list"),
            c(&format!(
                "secret-define {s1}; secret-define {s2}; secret-list"
            )),
            c(&format!(
                "secret-define --validate {s1}; secret-list --no-ephemeral"
            )),
            c(&format!(
                "secret-define {s1}; secret-list --ephemeral; secret-list --private"
            )),
            c(&format!(
                "secret-define {s1}; secret-set-value {S1} aHVudGVyMg==; \
                 secret-get-value {S1}; secret-get-value --plain {S1}"
            )),
            c(&format!(
                "secret-define {s1}; secret-set-value {S1} --file {value} --plain; \
                 secret-get-value {S1}"
            )),
            c(&format!(
                "secret-define {s1}; secret-set-value {S1} --base64 aHVudGVyMg==; \
                 secret-get-value --plain {S1}"
            )),
            c(&format!(
                "secret-define {s1}; secret-set-value {S1}; \
                 secret-set-value {S1} --base64 x --file y"
            )),
            c(&format!(
                "secret-define {s1}; secret-set-value {S1} --file /nonexistent"
            )),
            c(&format!(
                "secret-define {s1}; secret-get-value {S1}; secret-dumpxml {S1}; \
                 secret-undefine {S1}; secret-undefine {S1}"
            )),
            c("secret-undefine nope"),
            c("secret-dumpxml nope"),
            c(&format!("secret-get-value {S2}")),
            c("secret-define /nonexistent.xml"),
            c(&format!("secret-define {filter}")),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nwfilters_on_qemu() {
    let dir = std::env::temp_dir().join(format!("rvirsh-diff-nwfilter-{}", std::process::id()));
    let [s1, _, _, filter] = files(&dir);
    compare_resetting(
        &qemu_uri(),
        "nwfilter-undefine vw-filter",
        &[
            c(&format!("nwfilter-define {filter}; nwfilter-list")),
            c(&format!(
                "nwfilter-define --validate {filter}; nwfilter-dumpxml vw-filter; \
                 nwfilter-dumpxml {FILTER_UUID}"
            )),
            c(&format!(
                "nwfilter-define {filter}; nwfilter-undefine vw-filter; \
                 nwfilter-undefine vw-filter"
            )),
            c("nwfilter-dumpxml nope"),
            c(&format!("nwfilter-define {s1}")),
            c("nwfilter-define /nonexistent.xml"),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn interfaces() {
    let cases = [
        c("iface-list"),
        c("iface-list --all"),
        c("iface-list --inactive"),
    ];
    compare(&qemu_uri(), &cases);
    compare(&test_uri("diff-iface"), &cases);
}

#[test]
fn test_driver_has_no_secrets_or_filters() {
    compare(
        &test_uri("diff-no-secrets"),
        &[
            c("secret-list"),
            c("nwfilter-list"),
            c(&format!("secret-get-value {S1}")),
        ],
    );
}
