//! Fails when the committed files in `src/proto/generated/` and `src/rpc/generated/` differ
//! from what `protocol/` generates (run `cargo run -p virtwire-codegen` to update them).

use std::path::Path;

use virtwire_codegen::{Missing, generate, programs, stale_files};

#[test]
fn generated_code_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Temporary leniency: while protocol/remote_protocol.x is absent (it is merged from
    // protocol/parts/), programs whose .x file is missing are skipped. Once it exists, every
    // program of the table must be present. The lead will make this strict.
    let missing = if root.join("protocol/remote_protocol.x").exists() {
        Missing::Error
    } else {
        Missing::Skip
    };
    let generation = generate(&root, &programs::table(), missing).unwrap_or_else(|e| panic!("{e}"));
    let stale = stale_files(&root, &generation.files);
    let report: Vec<String> = stale.iter().map(ToString::to_string).collect();
    assert!(
        stale.is_empty(),
        "generated code is stale; run `cargo run -p virtwire-codegen`:\n{}",
        report.join("\n")
    );
}
