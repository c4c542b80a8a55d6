//! `help`, `help COMMAND`, `help GROUP`: virsh's layout, from the command tables.

use std::fmt::Write;

use super::{ALIAS, CmdDef, Group, OptDef, OptKind, REQ, REQ_OPT};

/// `help COMMAND`: NAME, SYNOPSIS, DESCRIPTION, OPTIONS.
pub fn command(def: &CmdDef) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "  NAME\n    {} - {}", def.name, def.help);
    let _ = write!(out, "\n  SYNOPSIS\n    {}", def.name);
    let mut shortopt = false;
    for opt in def.opts {
        if let Some(s) = synopsis(opt, &mut shortopt) {
            out.push(' ');
            out.push_str(&s);
        }
    }
    out.push('\n');
    if !def.desc.is_empty() {
        let _ = writeln!(out, "\n  DESCRIPTION\n    {}", def.desc);
    }
    if !def.opts.is_empty() {
        out.push_str("\n  OPTIONS\n");
        for opt in def.opts {
            if let Some(s) = option_line(opt, shortopt) {
                let _ = writeln!(out, "    {s:<15}  {}", opt.help);
            }
        }
    }
    out.push('\n');
    out
}

fn synopsis(opt: &OptDef, shortopt: &mut bool) -> Option<String> {
    let n = opt.name;
    let req = opt.flags & REQ != 0;
    let positional = opt.flags & REQ_OPT == 0;
    Some(match opt.kind {
        OptKind::Bool => format!("[--{n}]"),
        OptKind::Int | OptKind::String | OptKind::Data => {
            *shortopt |= positional;
            let word = if opt.kind == OptKind::Int {
                "number"
            } else {
                "string"
            };
            match (req, opt.kind) {
                (true, _) => format!("<{n}>"),
                (false, OptKind::Data) => format!("[<{n}>]"),
                (false, _) => format!("[--{n} <{word}>]"),
            }
        }
        OptKind::Argv => match (*shortopt, req) {
            (true, true) => format!("{{[--{n}] <string>}}..."),
            (true, false) => format!("[[--{n}] <string>]..."),
            (false, true) => format!("<{n}>..."),
            (false, false) => format!("[<{n}>]..."),
        },
        OptKind::Alias(_) => return None,
    })
}

fn option_line(opt: &OptDef, shortopt: bool) -> Option<String> {
    let n = opt.name;
    let req = opt.flags & REQ != 0;
    Some(match opt.kind {
        OptKind::Bool => format!("--{n}"),
        OptKind::Int if req => format!("[--{n}] <number>"),
        OptKind::Int => format!("--{n} <number>"),
        OptKind::String if req => format!("[--{n}] <string>"),
        OptKind::String => format!("--{n} <string>"),
        OptKind::Data => format!("[--{n}] <string>"),
        OptKind::Argv if shortopt => format!("[--{n}] <string>"),
        OptKind::Argv => format!("<{n}>"),
        OptKind::Alias(_) => return None,
    })
}

/// `help GROUP`: the group's commands, one line each.
pub fn group(grp: &Group) -> String {
    let mut out = format!(" {} (help keyword '{}'):\n", grp.name, grp.keyword);
    for cmd in grp.cmds.iter().filter(|c| c.flags & ALIAS == 0) {
        let _ = writeln!(out, "    {:<30} {}", cmd.name, cmd.help);
    }
    out
}

/// `help`: every group.
pub fn all(groups: &[Group]) -> String {
    let mut out = String::from("Grouped commands:\n\n");
    for grp in groups {
        out.push_str(&group(grp));
        out.push('\n');
    }
    out
}
