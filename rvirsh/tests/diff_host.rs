//! virsh and rvirsh side by side: the host commands, the shell's own commands, global
//! options, parsing and help (see `common` for how the two share a daemon state).

mod common;

use common::{args, c, compare, test_uri};

#[test]
fn host_commands() {
    compare(
        &test_uri("diff-host"),
        &[
            c("uri"),
            c("hostname"),
            c("version"),
            c("version --daemon"),
            c("nodeinfo"),
            c("capabilities"),
            c("sysinfo"),
            c("freecell"),
            c("freecell --all"),
            c("freecell 0"),
            c("freecell --cellno 0"),
            c("freecell --cellno x"),
            c("freecell --all --cellno 0"),
            // `connect` to the same node (test:///default would be libvirt's in-process test
            // driver, which only a libvirt library has)
            c("connect {uri}; uri; list"),
            c("connect --name {uri} --readonly; uri; destroy vw-running"),
            c("connect {uri}.nope; uri"),
            c("connect {uri}.nope; destroy vw-running; connect {uri}; list --all"),
        ],
    );
}

#[test]
fn parsing_and_errors() {
    compare(
        &test_uri("diff-parse"),
        &[
            c("foo"),
            c("list --foo"),
            c("list --al"),
            c("list --all --all"),
            c("list --all --name=1"),
            c("dominfo"),
            c("dominfo a b"),
            c("dominfo --domain"),
            c("domstate --domain=vw-running --reason"),
            c("domstate vw-running -- --reason"),
            c("uri; foo"),
            c("echo a 'b c' \"d\\\"e\" --shell; echo x\\;y"),
            c("echo \"abc"),
            c("echo abc\\"),
            c("echo 'abc"),
            c("   ;  ; echo hi;"),
            c("echo --xml '<a&b>' --split 1,2,,3"),
            c("echo --xml '<a&b>' \"'x'\""),
            c("echo --split 1,2,,3 --shell 'a b' \"it's\" '' x"),
            c("echo --err oops"),
            c("uri; echo a; uri"),
            args(&["-c", "{uri}", "domstate", "vw-running", "--reason"]),
            args(&["-c", "{uri}", "echo", "a;", "b"]),
        ],
    );
}

#[test]
fn help() {
    compare(
        &test_uri("diff-help"),
        &[
            c("help dominfo"),
            c("help --command list"),
            c("dominfo --help"),
            c("dominfo vw-running --help"),
            c("help dominfo --foo"),
            c("help nosuch"),
            c("help uri"),
            c("help version"),
            c("help echo"),
            c("help connect"),
            c("help help"),
            c("help virsh"),
        ],
    );
}

#[test]
fn global_options() {
    compare(
        &test_uri("diff-global"),
        &[
            args(&["-q", "-c", "{uri}", "list --all"]),
            args(&["-c"]),
            args(&["-x"]),
            args(&["--connect={uri}", "uri"]),
            args(&["-k", "3", "-c", "{uri}", "uri"]),
            args(&["-r", "-c", "{uri}", "destroy vw-running"]),
            args(&["-qc", "{uri}", "destroy vw-running"]),
            args(&["uri"]).env("VIRSH_DEFAULT_CONNECT_URI", "{uri}"),
            args(&["uri"]).env("LIBVIRT_DEFAULT_URI", "{uri}"),
            args(&["echo hi; uri"]).env("LIBVIRT_DEFAULT_URI", "{uri}.nope"),
            args(&["-c", "{uri}.nope", "uri"]),
        ],
    );
}

#[test]
fn interactive_shell() {
    compare(
        &test_uri("diff-shell"),
        &[
            args(&["-c", "{uri}"]).stdin("uri\necho a; echo b\n"),
            args(&["-q", "-c", "{uri}"]).stdin("uri\nfoo\nlist --all\n"),
            args(&["-c", "{uri}"]).stdin("quit\nuri\n"),
        ],
    );
}
