//! virtwire-codegen: turns the XDR files in `protocol/` into `src/proto/generated/` (types,
//! constants, procedure metadata) and `src/rpc/generated/` (one `RawClient` method per call).
//!
//! Pipeline: [`lexer`] → [`parser`] (→ [`ast`]) → [`resolve`] and [`libvirt`] (→ [`model`])
//! → [`emit`] → `rustfmt`. Nothing is global: every step is a function of its inputs, and every
//! diagnostic carries `file:line:col`.

#![warn(missing_docs)]

pub mod analysis;
pub mod api;
pub mod ast;
pub mod emit;
pub mod error;
pub mod idl;
pub mod lexer;
pub mod libvirt;
pub mod model;
pub mod naming;
pub mod parser;
pub mod programs;
pub mod resolve;

use std::fmt;
use std::path::Path;

pub use error::{Error, Errors, Pos};
pub use programs::Program;

use model::Module;

/// Why generation failed.
#[derive(Debug)]
pub enum Failure {
    /// The `.x` files have errors.
    Diagnostics(Errors),
    /// Reading or writing files, or running rustfmt, failed.
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Diagnostics(e) => write!(f, "{e}"),
            Failure::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Failure {}

impl From<Errors> for Failure {
    fn from(e: Errors) -> Self {
        Failure::Diagnostics(e)
    }
}

/// A program and the text of its `.x` file.
#[derive(Debug, Clone)]
pub struct Source {
    /// The program.
    pub program: Program,
    /// The file's contents.
    pub text: String,
}

/// A generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// Contents, formatted.
    pub contents: String,
}

/// What to do about a program whose `.x` file does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// It is an error.
    Error,
    /// Skip it, and every program that has it in scope.
    Skip,
}

/// The result of a generation run.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Every generated file, `mod.rs` files included.
    pub files: Vec<OutputFile>,
    /// Non-fatal diagnostics.
    pub warnings: Vec<Error>,
    /// Modules skipped for a missing file (only with [`Missing::Skip`]).
    pub skipped: Vec<String>,
}

/// Reads the `.x` file of each program from `root`.
pub fn load(
    root: &Path,
    programs: &[Program],
    missing: Missing,
) -> Result<(Vec<Source>, Vec<String>), Failure> {
    let mut sources = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for p in programs {
        let path = root.join(&p.file);
        let in_skipped_scope = p.scope.iter().any(|s| skipped.contains(s));
        if missing == Missing::Skip && (in_skipped_scope || !path.exists()) {
            skipped.push(p.module.clone());
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::Diagnostics(Error::file(&p.file, format!("cannot read: {e}")).into())
        })?;
        sources.push(Source {
            program: p.clone(),
            text,
        });
    }
    Ok((sources, skipped))
}

/// Parses and resolves every source, in order: each sees the modules in its scope, which
/// must come earlier. Diagnostics of all files are gathered before failing.
pub fn resolve_all(sources: &[Source]) -> Result<Vec<Module>, Errors> {
    let mut modules: Vec<Module> = Vec::new();
    let mut errors = Errors::default();
    for s in sources {
        let spec = match parser::parse(&s.program.file, &s.text) {
            Ok(spec) => spec,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut deps = Vec::new();
        for name in &s.program.scope {
            match modules.iter().find(|m| &m.program.module == name) {
                Some(m) => deps.push(m),
                None => {
                    let msg = format!(
                        "not resolved: module `{name}`, which it uses, is missing or has errors"
                    );
                    errors.push(Error::file(&s.program.file, msg));
                }
            }
        }
        if deps.len() < s.program.scope.len() {
            continue;
        }
        match resolve::resolve(&s.program, &spec, &deps) {
            Ok(m) => modules.push(m),
            Err(e) => errors.0.extend(e.0),
        }
    }
    errors.into_result(modules)
}

/// Emits and formats one module: its `proto` file and, when it has calls and `rpc` is set,
/// its `rpc` file.
pub fn render_module(m: &Module, root: &Path) -> Result<(String, Option<String>), Failure> {
    let proto = emit::format::rustfmt(&emit::proto_module(m), root).map_err(Failure::Other)?;
    let rpc = if emit::has_rpc(m) {
        Some(emit::format::rustfmt(&emit::rpc_module(m), root).map_err(Failure::Other)?)
    } else {
        None
    };
    Ok((proto, rpc))
}

/// Every output file for `modules`, `mod.rs` files included.
pub fn render(modules: &[Module], root: &Path) -> Result<Vec<OutputFile>, Failure> {
    let mut files = Vec::new();
    let mut proto_mods = Vec::new();
    let mut rpc_mods = Vec::new();
    for m in modules {
        let (proto, rpc) = render_module(m, root)?;
        let entry = (m.program.module.as_str(), m.program.file.as_str());
        files.push(OutputFile {
            path: m.program.proto_path(),
            contents: proto,
        });
        proto_mods.push(entry);
        if let Some(rpc) = rpc {
            files.push(OutputFile {
                path: m.program.rpc_path(),
                contents: rpc,
            });
            rpc_mods.push(entry);
        }
    }
    if let Some(remote) = modules.iter().find(|m| m.program.module == "remote") {
        files.push(OutputFile {
            path: api::PATH.to_owned(),
            contents: emit::format::rustfmt(&api::api_module(remote), root)
                .map_err(Failure::Other)?,
        });
    }
    let proto_mod = emit::proto_mod_rs(&proto_mods);
    let rpc_mod = emit::mod_rs(
        "The generated `RawClient` methods, one module per program.",
        &rpc_mods,
    );
    for (path, text) in [
        ("src/proto/generated/mod.rs", proto_mod),
        ("src/rpc/generated/mod.rs", rpc_mod),
    ] {
        files.push(OutputFile {
            path: path.to_owned(),
            contents: emit::format::rustfmt(&text, root).map_err(Failure::Other)?,
        });
    }
    Ok(files)
}

/// Loads, resolves and renders `programs` from the workspace at `root`.
pub fn generate(
    root: &Path,
    programs: &[Program],
    missing: Missing,
) -> Result<Generation, Failure> {
    let (sources, skipped) = load(root, programs, missing)?;
    let modules = resolve_all(&sources)?;
    let warnings = modules.iter().flat_map(|m| m.warnings.clone()).collect();
    let files = render(&modules, root)?;
    Ok(Generation {
        files,
        warnings,
        skipped,
    })
}

/// The directories whose `.rs` files the generator owns.
pub const OUTPUT_DIRS: &[&str] = &[
    "src/proto/generated",
    "src/rpc/generated",
    "src/api/generated",
];

/// A generated file that differs from what is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Not on disk.
    Missing(String),
    /// On disk with other contents.
    Differs {
        /// The file.
        path: String,
        /// The first differing line (1-based).
        line: usize,
        /// That line on disk (empty past the end).
        disk: String,
        /// That line as generated (empty past the end).
        generated: String,
    },
    /// On disk, generated earlier, but no longer produced.
    Extra(String),
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::Missing(p) => write!(f, "{p}: missing"),
            Stale::Differs {
                path,
                line,
                disk,
                generated,
            } => write!(f, "{path}:{line}: differs\n  - {disk}\n  + {generated}"),
            Stale::Extra(p) => write!(f, "{p}: no longer generated"),
        }
    }
}

/// Files under [`OUTPUT_DIRS`] that carry the generated header, relative to `root`.
fn generated_on_disk(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for dir in OUTPUT_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if name.ends_with(".rs") && text.starts_with("// @generated by virtwire-codegen") {
                found.push(format!("{dir}/{name}"));
            }
        }
    }
    found.sort();
    found
}

fn first_difference(path: &str, disk: &str, generated: &str) -> Stale {
    let (mut a, mut b) = (disk.lines(), generated.lines());
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return Stale::Differs {
                    path: path.to_owned(),
                    line,
                    disk: x.unwrap_or_default().to_owned(),
                    generated: y.unwrap_or_default().to_owned(),
                };
            }
        }
    }
}

/// Compares `files` with the workspace at `root`; empty when everything is up to date.
pub fn stale_files(root: &Path, files: &[OutputFile]) -> Vec<Stale> {
    let mut stale = Vec::new();
    for f in files {
        match std::fs::read_to_string(root.join(&f.path)) {
            Err(_) => stale.push(Stale::Missing(f.path.clone())),
            Ok(disk) if disk != f.contents => {
                stale.push(first_difference(&f.path, &disk, &f.contents))
            }
            Ok(_) => {}
        }
    }
    for path in generated_on_disk(root) {
        if !files.iter().any(|f| f.path == path) {
            stale.push(Stale::Extra(path));
        }
    }
    stale
}

/// Writes `files` under `root` (only those whose contents changed) and removes generated
/// files that are no longer produced. Returns the paths written or removed.
pub fn write_files(root: &Path, files: &[OutputFile]) -> Result<Vec<String>, Failure> {
    let io = |p: &str, e: std::io::Error| Failure::Other(format!("{p}: {e}"));
    let mut touched = Vec::new();
    for s in stale_files(root, files) {
        match s {
            Stale::Missing(p) | Stale::Differs { path: p, .. } => {
                let f = files
                    .iter()
                    .find(|f| f.path == p)
                    .expect("stale file is generated");
                let path = root.join(&p);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| io(&p, e))?;
                }
                std::fs::write(&path, &f.contents).map_err(|e| io(&p, e))?;
                touched.push(p);
            }
            Stale::Extra(p) => {
                std::fs::remove_file(root.join(&p)).map_err(|e| io(&p, e))?;
                touched.push(p);
            }
        }
    }
    Ok(touched)
}
