//! Formatting through the `rustfmt` binary, so that the output is exactly what `cargo fmt`
//! would leave. The binary is rustup's proxy run in the workspace root, so it is the rustfmt of
//! the toolchain `rust-toolchain.toml` pins: the same output on every machine.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Formats `src` with `rustfmt --edition 2024`, run in `root` so that the workspace's
/// `rustfmt.toml` (if any) applies as it does for `cargo fmt`. The `RUSTFMT` environment
/// variable overrides the binary.
pub fn rustfmt(src: &str, root: &Path) -> Result<String, String> {
    let bin = std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_owned());
    let mut child = Command::new(&bin)
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{bin}`: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt has no stdin")?;
    let input = src.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked".to_owned())?
        .map_err(|e| format!("cannot write to rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected the generated code:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output is not UTF-8: {e}"))
}
