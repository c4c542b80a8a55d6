//! Fails when the committed files in `src/proto/generated/` and `src/rpc/generated/` differ
//! from what `protocol/` generates (run `cargo run -p virtwire-codegen` to update them), and
//! when a program's `.x` file is missing.

use std::path::Path;

use virtwire_codegen::{Missing, generate, programs, stale_files};

#[test]
fn generated_code_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let generation =
        generate(&root, &programs::table(), Missing::Error).unwrap_or_else(|e| panic!("{e}"));
    let stale = stale_files(&root, &generation.files);
    let report: Vec<String> = stale.iter().map(ToString::to_string).collect();
    assert!(
        stale.is_empty(),
        "generated code is stale; run `cargo run -p virtwire-codegen`:\n{}",
        report.join("\n")
    );
}
