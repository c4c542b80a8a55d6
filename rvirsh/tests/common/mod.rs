//! The diff harness: runs Debian's `virsh` and our `rvirsh` on the same command line against
//! the same sandboxed libvirtd and requires byte-identical standard output, standard error
//! and exit status.
//!
//! How both see the same state: a test-driver node file (`test+unix:///PATH.xml?socket=…`)
//! gives every connection its own private copy of the node, loaded from the file when the
//! connection opens (libvirt's test driver shares state only for `/default`). So each
//! program starts from exactly the same state, and a case that needs a changed state makes
//! the change itself, earlier on the same line: `"destroy vw-running; list --all"`. Nothing a
//! case does is seen by another, and cases can run in parallel.
//!
//! The qemu driver's state is real and shared: [`QemuPair`] runs each line first with virsh
//! and then with rvirsh on objects of its own, bringing the daemon back to the starting state
//! in between.
#![allow(dead_code)]

use std::process::{Command, Output};

/// One command line to compare: the program's arguments, with `{uri}` replaced by the
/// connection URI.
#[derive(Debug, Clone)]
pub struct Case {
    args: Vec<String>,
    masks: Vec<&'static str>,
    stdin: Option<String>,
    env: Vec<(&'static str, String)>,
    cwd: Option<String>,
}

/// `rvirsh -c URI 'LINE'`: the usual case (the line is one argument, so `;` separates
/// commands as in virsh's one-string form).
pub fn c(line: &str) -> Case {
    args(&["-c", "{uri}", line])
}

/// A case with the whole argument list given (`{uri}` is replaced).
pub fn args(a: &[&str]) -> Case {
    Case {
        args: a.iter().map(|s| s.to_string()).collect(),
        masks: Vec::new(),
        stdin: None,
        env: Vec::new(),
        cwd: None,
    }
}

impl Case {
    /// Lines of standard output that start with `prefix` are compared up to it only: the
    /// rest differs between two runs by nature (the test driver's CPU time is the clock).
    pub fn mask(mut self, prefix: &'static str) -> Case {
        self.masks.push(prefix);
        self
    }

    /// Feeds `input` to standard input.
    pub fn stdin(mut self, input: &str) -> Case {
        self.stdin = Some(input.to_string());
        self
    }

    /// Runs the programs in directory `dir` (files a command names itself land there).
    pub fn cwd(mut self, dir: &str) -> Case {
        self.cwd = Some(dir.to_string());
        self
    }

    /// Sets an environment variable (`{uri}` is replaced in its value).
    pub fn env(mut self, name: &'static str, value: &str) -> Case {
        self.env.push((name, value.to_string()));
        self
    }
}

/// What a program printed and how it exited.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    stdout: String,
    stderr: String,
    status: Option<i32>,
}

/// The rvirsh binary under test.
pub fn rvirsh() -> &'static str {
    env!("CARGO_BIN_EXE_rvirsh")
}

fn run(program: &str, case: &Case, uri: &str, name: &str) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(case.args.iter().map(|a| a.replace("{uri}", uri)))
        .env_remove("LIBVIRT_DEFAULT_URI")
        .env_remove("VIRSH_DEFAULT_CONNECT_URI")
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(dir) = &case.cwd {
        cmd.current_dir(dir);
    }
    for (k, v) in &case.env {
        cmd.env(k, v.replace("{uri}", uri));
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        if let Some(input) = &case.stdin {
            stdin
                .write_all(input.replace("{uri}", uri).as_bytes())
                .expect("stdin");
        }
    }
    let out: Output = child.wait_with_output().expect("wait");
    let clean = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).into_owned();
        // the interactive shell names itself
        let s = s
            .replace(&format!("{name} # "), "VIRSH # ")
            .replace(&format!("Welcome to {name},"), "Welcome to VIRSH,");
        mask(&s, &case.masks)
    };
    Run {
        stdout: clean(&out.stdout),
        stderr: clean(&out.stderr),
        status: out.status.code(),
    }
}

fn mask(text: &str, masks: &[&str]) -> String {
    text.split_inclusive('\n')
        .map(|line| match masks.iter().find(|m| line.starts_with(**m)) {
            Some(m) => format!("{m}<masked>\n"),
            None => line.to_string(),
        })
        .collect()
}

/// Runs every case with both programs on `uri` and panics listing each difference.
pub fn compare(uri: &str, cases: &[Case]) {
    compare_with(uri, cases, None);
}

/// Like [`compare`] on a driver whose state is shared and real (qemu): before each run of
/// each program, virsh runs `reset` (its output ignored) to bring the daemon to the same
/// starting point.
pub fn compare_resetting(uri: &str, reset: &str, cases: &[Case]) {
    compare_with(uri, cases, Some(reset));
}

fn compare_with(uri: &str, cases: &[Case], reset: Option<&str>) {
    let reset_case = reset.map(c);
    let reset_now = || {
        if let Some(r) = &reset_case {
            run("virsh", r, uri, "virsh");
        }
    };
    let mut failures = Vec::new();
    for case in cases {
        reset_now();
        let want = run("virsh", case, uri, "virsh");
        reset_now();
        let got = run(rvirsh(), case, uri, "rvirsh");
        if want != got {
            failures.push(format!(
                "== {:?}\n-- status: virsh {:?}, rvirsh {:?}\n-- stdout:\n{}-- stderr:\n{}",
                case.args,
                want.status,
                got.status,
                line_diff(&want.stdout, &got.stdout),
                line_diff(&want.stderr, &got.stderr),
            ));
        }
    }
    reset_now();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Runs `line` with virsh on `uri`, ignoring what it prints (setting up, cleaning up).
pub fn virsh(uri: &str, line: &str) {
    run("virsh", &c(line), uri, "virsh");
}

/// The lines of two texts side by side: ` ` both, `-` virsh only, `+` rvirsh only (a simple
/// alignment that is enough to see where two outputs part).
fn line_diff(want: &str, got: &str) -> String {
    if want == got {
        return String::new();
    }
    let (w, g): (Vec<&str>, Vec<&str>) = (
        want.split_inclusive('\n').collect(),
        got.split_inclusive('\n').collect(),
    );
    let same = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    let mut out = String::new();
    for l in &w[same.saturating_sub(2)..same] {
        out.push_str(&format!("  {l:?}\n"));
    }
    for l in &w[same..] {
        out.push_str(&format!("- {l:?}\n"));
    }
    for l in &g[same..] {
        out.push_str(&format!("+ {l:?}\n"));
    }
    out
}

/// The sandbox's environment variable `name` (written by `scripts/sandbox.sh start`); the
/// tests fail, naming the way to run them, when it is missing.
pub fn sandbox_var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: the diff tests need the sandboxed libvirtd; run them with \
             `bash scripts/test.sh`, or start it with `bash scripts/sandbox.sh start` and \
             `source \"$(bash scripts/sandbox.sh env)\"` first"
        ),
    }
}

/// The test node of the library's tests: domains `vw-running` (running) and `vw-stopped`,
/// network `vw-net`, pool `vw-pool`, interface `vweth0`, node device `computer`.
const TEST_NODE_XML: &str = include_str!("../../../tests/data/testnode.xml");

/// A fresh copy of the test node (`tests/data/testnode.xml`) in the sandbox and its URI.
pub fn test_uri(name: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::path::Path::new(&sandbox_var("VIRTWIRE_SANDBOX")).join("rvirsh-nodes");
    std::fs::create_dir_all(&dir).expect("node directory");
    let file = dir.join(format!("{name}-{}-{n}.xml", std::process::id()));
    std::fs::write(&file, TEST_NODE_XML).expect("node file");
    format!(
        "test+unix://{}?socket={}",
        file.display(),
        sandbox_var("VIRTWIRE_SOCKET")
    )
}
