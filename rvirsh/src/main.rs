//! rvirsh: a virsh-compatible command line on virtwire, with no libvirt library.
//!
//! `rvirsh [OPTIONS] [COMMAND_STRING]`, `rvirsh [OPTIONS] COMMAND [ARGS...]`, or the
//! interactive shell when no command is given. Options, commands, output and exit status
//! follow virsh's.

// the option kinds and number parsers are there for the command modules; not all are used yet
#[allow(dead_code)]
mod cli;
mod commands;
mod ctl;
mod output;
mod shell;

use std::process::ExitCode;

use ctl::Ctl;

/// The long options and whether they take a value.
const LONG_OPTS: &[(&str, char, bool)] = &[
    ("connect", 'c', true),
    ("debug", 'd', true),
    ("escape", 'e', true),
    ("help", 'h', false),
    ("keepalive-interval", 'k', true),
    ("keepalive-count", 'K', true),
    ("log", 'l', true),
    ("quiet", 'q', false),
    ("readonly", 'r', false),
    ("timing", 't', false),
];

/// Short options that take a value.
const SHORT_WITH_VALUE: &str = "cdekKl";
/// Short options without a value.
const SHORT_FLAGS: &str = "hqrtvV";

/// What the global options ask for besides settings.
enum Action {
    Run(Vec<String>),
    Exit(ExitCode),
}

fn main() -> ExitCode {
    let mut ctl = match Ctl::new() {
        Ok(c) => c,
        Err(e) => {
            output::error(&format!("cannot start: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = match global_options(&mut ctl, &args) {
        Action::Run(rest) => rest,
        Action::Exit(code) => return code,
    };
    if ctl.connname.is_none() {
        ctl.connname = std::env::var("VIRSH_DEFAULT_CONNECT_URI")
            .ok()
            .filter(|u| !u.is_empty());
    }
    // a URI given explicitly is connected at once, as virsh does (the default one only when
    // a command needs it)
    if ctl.connname.is_some() {
        if let Err(e) = ctl.connect() {
            ctl.error("failed to connect to the hypervisor");
            output::report(&cli::Fail::Lib(e));
            return ExitCode::FAILURE;
        }
    }
    let ok = if rest.is_empty() {
        shell::run(&mut ctl)
    } else {
        let parsed = if rest.len() == 1 {
            cli::parse::parse_line(&rest[0])
        } else {
            cli::parse::parse_argv(&rest)
        };
        match parsed {
            Ok(cmds) => ctl.run(&cmds),
            Err(msg) => {
                ctl.error(&msg);
                false
            }
        }
    };
    ctl.disconnect();
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Applies the global options (getopt style: `-c URI`, `-cURI`, `--connect=URI`,
/// `--connect URI`, bundled flags, stopping at the first word that is not an option) and
/// returns the words after them.
fn global_options(ctl: &mut Ctl, args: &[String]) -> Action {
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            break;
        }
        let (opt, value): (char, Option<String>) = if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            if name == "version" {
                return Action::Exit(version(ctl, inline.as_deref().unwrap_or("short")));
            }
            let Some(&(_, short, takes)) = LONG_OPTS.iter().find(|(n, _, _)| *n == name) else {
                ctl.error(&format!("unsupported option '{arg}'. See --help."));
                return Action::Exit(ExitCode::FAILURE);
            };
            let value = match (takes, inline) {
                (true, Some(v)) => Some(v),
                (true, None) => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => return missing_value(ctl, short),
                },
                (false, Some(_)) => {
                    ctl.error(&format!("option '--{name}' doesn't allow an argument"));
                    return Action::Exit(ExitCode::FAILURE);
                }
                (false, None) => None,
            };
            (short, value)
        } else if arg.len() > 1 && arg.starts_with('-') {
            // bundled short options: flags, then at most one option with its value
            let mut last = None;
            for (pos, c) in arg[1..].char_indices() {
                if SHORT_WITH_VALUE.contains(c) {
                    let inline = &arg[1 + pos + c.len_utf8()..];
                    let value = if !inline.is_empty() {
                        inline.to_string()
                    } else if let Some(v) = args.get(i) {
                        i += 1;
                        v.clone()
                    } else {
                        return missing_value(ctl, c);
                    };
                    last = Some((c, Some(value)));
                    break;
                }
                if !SHORT_FLAGS.contains(c) {
                    ctl.error(&format!("unsupported option '-{c}'. See --help."));
                    return Action::Exit(ExitCode::FAILURE);
                }
                if let Some(code) = apply(ctl, c, None) {
                    return Action::Exit(code);
                }
            }
            match last {
                Some((c, v)) => (c, v),
                None => continue,
            }
        } else {
            return Action::Run(args[i - 1..].to_vec());
        };
        if let Some(code) = apply(ctl, opt, value) {
            return Action::Exit(code);
        }
    }
    Action::Run(args[i..].to_vec())
}

fn missing_value(ctl: &Ctl, short: char) -> Action {
    let long = LONG_OPTS
        .iter()
        .find(|(_, s, _)| *s == short)
        .map_or("", |(l, _, _)| l);
    ctl.error(&format!(
        "option '-{short}'/'--{long}' requires an argument"
    ));
    Action::Exit(ExitCode::FAILURE)
}

/// Applies one option; `Some(code)` ends the program.
fn apply(ctl: &mut Ctl, opt: char, value: Option<String>) -> Option<ExitCode> {
    let value = value.unwrap_or_default();
    match opt {
        'c' => ctl.connname = Some(value),
        'd' => match commands::util::parse_i32(&value) {
            Some(level) if (0..=4).contains(&level) => ctl.debug = level as u8,
            Some(level) => ctl.error(&format!("ignoring debug level {level} out of range [0-4]")),
            None => {
                ctl.error("option -d takes a numeric argument");
                return Some(ExitCode::FAILURE);
            }
        },
        'e' => {
            if !valid_escape(&value) {
                ctl.error(&format!("Invalid string '{value}' for escape sequence"));
                return Some(ExitCode::FAILURE);
            }
            ctl.escape = value;
        }
        'h' => {
            usage(ctl);
            return Some(ExitCode::SUCCESS);
        }
        'k' | 'K' => {
            let Some(n) = commands::util::parse_i32(&value).filter(|n| *n >= 0) else {
                ctl.error(&format!("Invalid value for option -{opt}"));
                return Some(ExitCode::FAILURE);
            };
            let (mut interval, mut count) = ctl.keepalive.unwrap_or((5, 5));
            if opt == 'k' {
                interval = n as u32;
            } else {
                count = n as u32;
            }
            ctl.keepalive = Some((interval, count));
        }
        // rvirsh keeps no log file: the option is accepted so that scripts keep working
        'l' => {}
        'q' => ctl.quiet = true,
        'r' => ctl.readonly = true,
        't' => ctl.timing = true,
        'v' => return Some(version(ctl, "short")),
        'V' => return Some(version(ctl, "long")),
        _ => {}
    }
    None
}

/// An escape sequence virsh accepts: one character, or `^` and a letter or one of `[\]^_`.
fn valid_escape(s: &str) -> bool {
    let b = s.as_bytes();
    match b {
        [c] => c.is_ascii(),
        [b'^', c] => c.is_ascii_alphabetic() || b"[\\]^_".contains(c),
        _ => false,
    }
}

fn version(ctl: &Ctl, kind: &str) -> ExitCode {
    match kind {
        "short" => ctl.print(&format!("{}\n", env!("CARGO_PKG_VERSION"))),
        "long" => ctl.print(&format!(
            "rvirsh {}, a virsh-compatible command line on virtwire (no libvirt library)\n",
            env!("CARGO_PKG_VERSION")
        )),
        other => {
            ctl.error(&format!("unknown version type '{other}'"));
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn usage(ctl: &Ctl) {
    let mut out = String::from(
        "\nrvirsh [options]... [<command_string>]\n\
         rvirsh [options]... <command> [args...]\n\n  options:\n\
        \x20   -c | --connect=URI      hypervisor connection URI\n\
        \x20   -d | --debug=NUM        debug level [0-4]\n\
        \x20   -e | --escape <char>    set escape sequence for console\n\
        \x20   -h | --help             this help\n\
        \x20   -k | --keepalive-interval=NUM\n\
        \x20                           keepalive interval in seconds, 0 for disable\n\
        \x20   -K | --keepalive-count=NUM\n\
        \x20                           number of possible missed keepalive messages\n\
        \x20   -l | --log=FILE         output logging to file\n\
        \x20   -q | --quiet            quiet mode\n\
        \x20   -r | --readonly         connect readonly\n\
        \x20   -t | --timing           print timing information\n\
        \x20   -v                      short version\n\
        \x20   -V                      long version\n\
        \x20        --version[=TYPE]   version, TYPE is short or long (default short)\n\
        \x20 commands (non interactive mode):\n\n",
    );
    for g in commands::GROUPS {
        let grp = g.group();
        out.push_str(&format!(" {} (help keyword '{}')\n", grp.name, grp.keyword));
        for c in grp.cmds.iter().filter(|c| c.flags & cli::ALIAS == 0) {
            out.push_str(&format!("    {:<30} {}\n", c.name, c.help));
        }
        out.push('\n');
    }
    out.push_str(
        "\n  (specify help <group> for details about the commands in the group)\n\n  \
         (specify help <command> for details about the command)\n\n",
    );
    ctl.print(&out);
}
