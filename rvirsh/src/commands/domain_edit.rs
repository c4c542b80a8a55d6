//! `edit`: the domain's XML in `$VISUAL`/`$EDITOR`, defined again when it changed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use virtwire::flags::{DomainDefineFlags, DomainXmlFlags};

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, OptDef};
use crate::commands::domain_info::DOMAIN;
use crate::commands::util;
use crate::ctl::Ctl;
use crate::output;

/// The commands of this module (Domain Management).
pub static CMDS: &[CmdDef] = &[CmdDef {
    name: "edit",
    opts: &[
        DOMAIN,
        OptDef::flag(
            "skip-validate",
            "skip validation of the XML against the schema",
        ),
    ],
    help: "edit XML configuration for a domain",
    desc: "Edit the XML configuration for a domain.",
    handler: edit,
    flags: 0,
}];

/// Characters an editor command or file name may hold to be run without a shell (libvirt's
/// rule).
const PLAIN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@/";

/// A new empty file `$TMPDIR/rvirshXXXXXX.xml`.
fn temp_file() -> std::io::Result<(PathBuf, std::fs::File)> {
    let dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let mut seed = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    loop {
        let suffix: String = (0..6)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                CHARS[(seed >> 33) as usize % CHARS.len()] as char
            })
            .collect();
        let path = dir.join(format!("rvirsh{suffix}.xml"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Runs the user's editor on `file` as virsh does: directly when the command is plain,
/// through `sh -c` when it holds options or shell syntax.
fn run_editor(ctl: &Ctl, file: &Path) -> Result<(), Fail> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|e| !e.is_empty()))
        .unwrap_or_else(|| "vi".to_string());
    let file_s = file.display().to_string();
    let plain = |s: &str| s.chars().all(|c| PLAIN.contains(c));
    let (mut command, shown) = if plain(&editor) {
        let mut c = std::process::Command::new(&editor);
        c.arg(file);
        (c, format!("{editor} {file_s}"))
    } else {
        if !plain(&file_s) {
            ctl.error(&format!(
                "{file_s}: temporary filename contains shell meta or other unacceptable characters (is $TMPDIR wrong?)"
            ));
            return Err(Fail::Reported);
        }
        let line = format!("{editor} {file_s}");
        let mut c = std::process::Command::new("sh");
        c.arg("-c").arg(&line);
        (c, format!("sh -c '{line}'"))
    };
    match command.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => {
            let how = match s.code() {
                Some(n) => format!("unexpected exit status {n}"),
                None => "fatal signal".to_string(),
            };
            ctl.error(&format!("internal error: Child process ({shown}) {how}"));
            Err(Fail::Reported)
        }
        Err(e) => {
            ctl.error(&format!(
                "Cannot find '{editor}' in path: {}",
                util::strerror(&e)
            ));
            Err(Fail::Reported)
        }
    }
}

/// What to do after a failed definition, asked on the terminal as virsh asks.
enum Again {
    Edit,
    Redefine { validate: bool },
    Stop,
}

fn ask_again(ctl: &Ctl, validating: bool) -> Again {
    let stdin = std::io::stdin();
    loop {
        ctl.print("Failed. Try again? [y,n,i,f,?]:");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 {
            return Again::Stop;
        }
        match line.trim() {
            "y" => return Again::Edit,
            "n" => return Again::Stop,
            "i" if validating => return Again::Redefine { validate: false },
            "f" => {
                return Again::Redefine {
                    validate: validating,
                };
            }
            _ => ctl.print(
                "y - yes, start editor again\n\
                 n - no, throw away my changes\n\
                 i - turn off validation and try to redefine again\n\
                 f - force, try to redefine again\n\
                 ? - print this help\n",
            ),
        }
    }
}

fn edit(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let dom = util::domain(ctl, cmd, "domain")?;
    let flags = DomainXmlFlags(DomainXmlFlags::SECURE.0 | DomainXmlFlags::INACTIVE.0);
    let original = ctl.block_on(dom.xml_desc(flags))?;
    let (path, mut file) = temp_file().map_err(|e| {
        ctl.error(&format!(
            "unable to create a temporary file: {}",
            util::strerror(&e)
        ));
        Fail::Reported
    })?;
    let result = (|| {
        file.write_all(original.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| {
                ctl.error(&format!(
                    "{}: write: {}",
                    path.display(),
                    util::strerror(&e)
                ));
                Fail::Reported
            })?;
        edit_loop(ctl, cmd, &dom, &original, &path)
    })();
    let _ = std::fs::remove_file(&path);
    result
}

fn edit_loop(
    ctl: &mut Ctl,
    cmd: &Cmd,
    dom: &virtwire::Domain,
    original: &str,
    path: &Path,
) -> CmdResult {
    let mut validate = !cmd.has("skip-validate");
    let client = ctl.conn()?;
    loop {
        run_editor(ctl, path)?;
        let edited = std::fs::read_to_string(path).map_err(|e| {
            ctl.error(&format!("{}: {}", path.display(), util::strerror(&e)));
            Fail::Reported
        })?;
        if edited == original {
            ctl.print_extra(&format!(
                "Domain '{}' XML configuration not changed.\n",
                dom.name()
            ));
            return Ok(());
        }
        loop {
            let flags = if validate {
                DomainDefineFlags::VALIDATE
            } else {
                DomainDefineFlags::default()
            };
            match ctl.block_on(client.define_domain_xml_flags(&edited, flags)) {
                Ok(new) => {
                    ctl.print_extra(&format!(
                        "Domain '{}' XML configuration edited.\n",
                        new.name()
                    ));
                    return Ok(());
                }
                Err(e) if std::io::stdin().is_terminal() => {
                    output::report(&Fail::Lib(e));
                    match ask_again(ctl, validate) {
                        Again::Edit => break,
                        Again::Redefine { validate: v } => validate = v,
                        Again::Stop => return Err(Fail::Reported),
                    }
                }
                Err(_) => {
                    // without a terminal to ask on, virsh 9.0 says "Failed." and goes on as
                    // if the definition had worked, naming no domain: the same here
                    ctl.error("Failed.");
                    ctl.print_extra("Domain '(null)' XML configuration edited.\n");
                    return Ok(());
                }
            }
        }
    }
}
