//! `cargo run -p virtwire-codegen [-- --check] [--allow-missing] [--root DIR]`
//!
//! Regenerates `src/proto/generated/` and `src/rpc/generated/` from `protocol/`. With
//! `--check`, writes nothing and exits with status 1 when a committed file is stale.
//! `--allow-missing` skips programs whose `.x` file does not exist yet (and those that need
//! them); without it a missing file is an error.

use std::path::PathBuf;
use std::process::ExitCode;

use virtwire_codegen::{Missing, generate, programs, stale_files, write_files};

struct Options {
    check: bool,
    missing: Missing,
    root: PathBuf,
}

fn usage() -> String {
    "usage: virtwire-codegen [--check] [--allow-missing] [--root DIR]".to_owned()
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        check: false,
        missing: Missing::Error,
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => opts.check = true,
            "--allow-missing" => opts.missing = Missing::Skip,
            "--root" => opts.root = args.next().ok_or_else(usage)?.into(),
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument `{other}`\n{}", usage())),
        }
    }
    Ok(opts)
}

fn run(opts: &Options) -> Result<bool, String> {
    let generation =
        generate(&opts.root, &programs::table(), opts.missing).map_err(|e| e.to_string())?;
    for w in &generation.warnings {
        eprintln!("{w}");
    }
    for s in &generation.skipped {
        eprintln!("skipped `{s}`: its .x file (or one it needs) is missing");
    }
    if opts.check {
        let stale = stale_files(&opts.root, &generation.files);
        for s in &stale {
            eprintln!("stale: {s}");
        }
        if !stale.is_empty() {
            eprintln!("generated code is out of date: run `cargo run -p virtwire-codegen`");
        }
        return Ok(stale.is_empty());
    }
    for path in write_files(&opts.root, &generation.files).map_err(|e| e.to_string())? {
        eprintln!("updated {path}");
    }
    Ok(true)
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
