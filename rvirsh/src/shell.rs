//! The interactive shell: the `rvirsh # ` prompt, line editing with history and tab
//! completion of command and option names (rustyline) on a terminal; lines read plainly,
//! echoed after the prompt as readline does, when standard input is not a terminal.

use std::io::{BufRead, IsTerminal};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Context, Editor, Helper, Highlighter, Hinter, Validator};

use crate::cli::{OptKind, parse};
use crate::commands;
use crate::ctl::Ctl;

const PROMPT: &str = "rvirsh # ";

/// Runs the shell until `quit` or the end of input; the result is the program's success.
pub fn run(ctl: &mut Ctl) -> bool {
    ctl.interactive = true;
    if !ctl.quiet {
        ctl.print(
            "Welcome to rvirsh, the virtualization interactive terminal.\n\n\
             Type:  'help' for help with commands\n       'quit' to quit\n\n",
        );
    }
    let ok = if std::io::stdin().is_terminal() {
        run_terminal(ctl)
    } else {
        run_plain(ctl)
    };
    // virsh ends the session with a newline, after `quit` or at the end of input
    ctl.print("\n");
    ok
}

/// Parses and runs one line.
fn run_line(ctl: &mut Ctl, line: &str) {
    match parse::parse_line(line) {
        Ok(cmds) => {
            ctl.run(&cmds);
        }
        Err(msg) => ctl.error(&msg),
    }
}

fn run_plain(ctl: &mut Ctl) -> bool {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    while ctl.interactive {
        ctl.print(PROMPT);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let Some(Ok(line)) = lines.next() else {
            break;
        };
        ctl.print(&format!("{line}\n"));
        run_line(ctl, &line);
    }
    true
}

fn run_terminal(ctl: &mut Ctl) -> bool {
    let mut editor: Editor<ShellHelper, DefaultHistory> = match Editor::new() {
        Ok(e) => e,
        Err(e) => {
            ctl.error(&format!("cannot start the interactive shell: {e}"));
            return false;
        }
    };
    editor.set_helper(Some(ShellHelper));
    let history = history_file();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    while ctl.interactive {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                run_line(ctl, &line);
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    true
}

/// `$XDG_CACHE_HOME/rvirsh/history` (virsh keeps `~/.cache/virsh/history`).
fn history_file() -> Option<std::path::PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(d) if !d.is_empty() => std::path::PathBuf::from(d),
        _ => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("rvirsh").join("history"))
}

/// Completes command names, then the options of the command being typed.
#[derive(Helper, Highlighter, Hinter, Validator)]
struct ShellHelper;

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(complete(&line[..pos]))
    }
}

/// What may follow `before` (the line up to the cursor): the start of the word being
/// completed and the candidates.
pub fn complete(before: &str) -> (usize, Vec<Pair>) {
    // the command being typed starts after the last `;`
    let cmd_start = before.rfind(';').map_or(0, |i| i + 1);
    let segment = &before[cmd_start..];
    let word_start = segment.rfind([' ', '\t']).map_or(0, |i| i + 1);
    let word = &segment[word_start..];
    let pair = |s: String| Pair {
        display: s.clone(),
        replacement: format!("{s} "),
    };
    let mut words = parse::StrTokens::new(&segment[..word_start]);
    let first = match words.next_word() {
        Ok(Some(w)) => w,
        _ => {
            let names = commands::all()
                .filter(|c| c.flags & crate::cli::ALIAS == 0 && c.name.starts_with(word))
                .map(|c| pair(c.name.to_string()))
                .collect();
            return (cmd_start + word_start, names);
        }
    };
    let Some(def) = commands::find(&first) else {
        return (before.len(), Vec::new());
    };
    let mut given = Vec::new();
    while let Ok(Some(w)) = words.next_word() {
        given.push(w);
    }
    let candidates = def
        .opts
        .iter()
        .filter(|o| !matches!(o.kind, OptKind::Alias(_)))
        .map(|o| format!("--{}", o.name))
        .filter(|o| o.starts_with(word) && !given.contains(o))
        .map(pair)
        .collect();
    (cmd_start + word_start, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(before: &str) -> (usize, Vec<String>) {
        let (start, c) = complete(before);
        (start, c.into_iter().map(|p| p.display).collect())
    }

    #[test]
    fn completes_commands_then_their_options() {
        let (start, c) = names("uri; dom");
        assert_eq!(start, 5);
        assert!(c.contains(&"dominfo".to_string()));
        assert!(c.contains(&"domstate".to_string()));
        assert!(!c.contains(&"list".to_string()));
        let (start, c) = names("list --all --st");
        assert_eq!(start, 11);
        assert_eq!(
            c,
            [
                "--state-running",
                "--state-paused",
                "--state-shutoff",
                "--state-other"
            ]
        );
        let (_, c) = names("list --all --a");
        assert_eq!(c, ["--autostart"]);
    }
}
