//! The ext transport: `command=` names a program (run without arguments, as in libvirt)
//! whose stdin/stdout is the link; here a script running `nc -U` on the sandbox's socket.

mod common;

use std::path::{Path, PathBuf};

use common::Sandbox;
use virtwire::{Client, ErrorKind};

/// Writes an executable shell script named `name` under the sandbox folder.
fn script(name: &str, body: &str) -> PathBuf {
    let dir = Path::new(Sandbox::get().dir()).join("transport-ext");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.sh", std::process::id()));
    common::write_executable(&path, &format!("#!/bin/sh\n{body}\n"));
    path
}

fn ext_uri(command: &Path) -> String {
    let node = Sandbox::get().new_node_file("ext");
    format!(
        "test+ext://{}?command={}",
        node.display(),
        command.display()
    )
}

#[tokio::test]
async fn ext_command_is_the_link() {
    let sb = Sandbox::get();
    let cmd = script("nc", &format!("exec nc -U '{}'", sb.socket()));
    let client = Client::connect(&ext_uri(&cmd)).await.unwrap();
    common::assert_test_node(&client).await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn ext_failure_reports_the_commands_stderr() {
    let cmd = script("fails", "echo 'tunnel down: no route' >&2; exit 7");
    let err = Client::connect(&ext_uri(&cmd)).await.unwrap_err();
    let text = common::error_chain(&err);
    assert!(text.contains("tunnel down: no route"), "{text}");
}

#[tokio::test]
async fn ext_without_command_is_a_config_error() {
    let node = Sandbox::get().new_node_file("ext-nocmd");
    let err = Client::connect(&format!("test+ext://{}", node.display()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
}
