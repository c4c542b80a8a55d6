//! Virsh itself: cd, echo, exit, help, pwd, quit, connect.

use crate::cli::{Cmd, CmdDef, CmdResult, Fail, NOCONNECT, OptDef, help};
use crate::commands::{self, util};
use crate::ctl::Ctl;
use crate::output;

/// The commands of this module, in virsh's order.
pub static CMDS: &[CmdDef] = &[
    CmdDef {
        name: "cd",
        opts: &[OptDef::string(
            "dir",
            "directory to switch to (default: home or else root)",
        )],
        help: "change the current directory",
        desc: "Change the current directory.",
        handler: cd,
        flags: NOCONNECT,
    },
    CmdDef {
        name: "echo",
        opts: &[
            OptDef::flag("shell", "escape for shell use"),
            OptDef::flag("xml", "escape for XML use"),
            OptDef::flag(
                "split",
                "split each argument on ','; ',,' is an escape sequence",
            ),
            OptDef::flag("err", "output to stderr"),
            OptDef::alias("str", "string"),
            OptDef::alias("hi", "string=hello"),
            OptDef::argv("string", "arguments to echo"),
        ],
        help: "echo arguments. Used for internal testing.",
        desc: "Echo back arguments, possibly with quoting. Used for internal testing.",
        handler: echo,
        flags: NOCONNECT,
    },
    CmdDef {
        name: "exit",
        opts: &[],
        help: "quit this interactive terminal",
        desc: "",
        handler: quit,
        flags: NOCONNECT,
    },
    CmdDef {
        name: "help",
        opts: &[OptDef::string(
            "command",
            "Prints global help, command specific help, or help for a group of related commands",
        )],
        help: "print help",
        desc: "Prints global help, command specific help, or help for a\n    group of related commands",
        handler: help_cmd,
        flags: NOCONNECT,
    },
    CmdDef {
        name: "pwd",
        opts: &[],
        help: "print the current directory",
        desc: "Print the current directory.",
        handler: pwd,
        flags: NOCONNECT,
    },
    CmdDef {
        name: "quit",
        opts: &[],
        help: "quit this interactive terminal",
        desc: "",
        handler: quit,
        flags: NOCONNECT,
    },
    CmdDef {
        name: "connect",
        opts: &[
            OptDef::string("name", "hypervisor connection URI"),
            OptDef::flag("readonly", "read-only connection"),
        ],
        help: "(re)connect to hypervisor",
        desc: "Connect to local hypervisor. This is built-in command after shell start up.",
        handler: connect,
        flags: NOCONNECT,
    },
];

fn help_cmd(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let Some(name) = cmd.get("command") else {
        let groups: Vec<_> = commands::GROUPS.iter().map(|g| g.group()).collect();
        ctl.print(&help::all(&groups));
        return Ok(());
    };
    if let Some(def) = commands::find(name) {
        ctl.print(&help::command(def));
        return Ok(());
    }
    if let Some(g) = commands::GROUPS
        .iter()
        .find(|g| g.name == name || g.keyword == name)
    {
        ctl.print(&help::group(&g.group()));
        return Ok(());
    }
    ctl.error(&format!("command or command group '{name}' doesn't exist"));
    Err(Fail::Reported)
}

fn quit(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    ctl.interactive = false;
    Ok(())
}

fn pwd(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    match std::env::current_dir() {
        Ok(d) => {
            ctl.print(&format!("{}\n", d.display()));
            Ok(())
        }
        Err(e) => {
            ctl.error(&format!(
                "failed to get current directory: {}",
                util::strerror(&e)
            ));
            Err(Fail::Reported)
        }
    }
}

fn cd(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if !ctl.interactive {
        ctl.error("cd: command valid only in interactive mode");
        return Err(Fail::Reported);
    }
    let dir = match cmd.get("dir") {
        Some(d) => d.to_string(),
        None => std::env::var("HOME").unwrap_or_else(|_| "/".to_string()),
    };
    if std::env::set_current_dir(&dir).is_err() {
        ctl.error(&format!("cd: {dir}: No such file or directory"));
        return Err(Fail::Reported);
    }
    Ok(())
}

fn connect(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let name = cmd.get("name").map(str::to_string);
    if let Err(e) = ctl.reconnect(name, cmd.has("readonly")) {
        // the connection that was open stays open
        ctl.error("failed to connect to the hypervisor");
        return Err(Fail::Lib(e));
    }
    Ok(())
}

fn echo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    util::exclusive(ctl, cmd, "shell", "split")?;
    util::exclusive(ctl, cmd, "xml", "split")?;
    let (shell, xml) = (cmd.has("shell"), cmd.has("xml"));
    let mut words: Vec<String> = Vec::new();
    for arg in cmd.get_all("string") {
        if cmd.has("split") {
            words.extend(util::split_list(arg));
        } else {
            words.push(arg.to_string());
        }
    }
    let quoted: Vec<String> = words
        .iter()
        .map(|w| {
            let w = if xml { xml_escape(w) } else { w.clone() };
            if shell { shell_quote(&w) } else { w }
        })
        .collect();
    let line = quoted.join(" ");
    // no newline: the one virsh prints after every command ends the line
    if cmd.has("err") {
        output::error(&line);
    } else {
        ctl.print(&line);
    }
    Ok(())
}

/// Quotes for a POSIX shell as virsh does: unchanged when nothing needs quoting, else in
/// single quotes (with `'\''` for a quote).
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| !c.is_whitespace() && !"'\"\\`$|&;<>()*?[]{}~#!".contains(c));
    if plain {
        return s.to_string();
    }
    if !s.contains('\'') {
        return format!("'{s}'");
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Escapes `<`, `>`, `&`, `'`, `"` for XML.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
