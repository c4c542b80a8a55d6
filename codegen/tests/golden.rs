//! Golden tests: every `tests/fixtures/<name>.x` is generated as program `<name>` (prefix
//! `<name>_`, no other file in scope) and compared with `<name>.rs` (types) and
//! `<name>.rpc.rs` (call wrappers, when the fixture has calls). Run with `VIRTWIRE_BLESS=1`
//! to rewrite the expected files.

use std::path::{Path, PathBuf};

use virtwire_codegen::{Program, Source, render_module, resolve_all};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn program_for(stem: &str, text: &str) -> Program {
    let mut p = Program::with_prefix(
        stem,
        &format!("tests/fixtures/{stem}.x"),
        stem,
        &format!("{stem}_"),
    );
    p.scope.clear();
    if !text.contains(&format!("{stem}_procedure")) {
        p.proc_prefix = None;
    }
    p
}

fn check(path: &Path, actual: &str, bless: bool) -> Option<String> {
    if bless {
        std::fs::write(path, actual).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    (expected != actual)
        .then(|| format!("{} differs (VIRTWIRE_BLESS=1 rewrites it)", path.display()))
}

#[test]
fn fixtures_match_expected_output() {
    let bless = std::env::var_os("VIRTWIRE_BLESS").is_some_and(|v| v == "1");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let mut count = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "x"))
        .collect();
    entries.sort();
    for x in entries {
        let stem = x.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&x).unwrap();
        let source = Source {
            program: program_for(&stem, &text),
            text,
        };
        let modules = resolve_all(&[source]).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let (proto, rpc) = render_module(&modules[0], root).unwrap();
        failures.extend(check(&x.with_extension("rs"), &proto, bless));
        let rpc_path = x.with_extension("rpc.rs");
        match rpc {
            Some(rpc) => failures.extend(check(&rpc_path, &rpc, bless)),
            None => assert!(
                !rpc_path.exists(),
                "{} should not exist",
                rpc_path.display()
            ),
        }
        count += 1;
    }
    assert!(count >= 4, "fixtures not found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
