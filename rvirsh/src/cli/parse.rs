//! Turning a command line (argv words or a string typed in the shell) into commands, with
//! virsh's rules and messages. A line is parsed completely before any of its commands runs:
//! one mistake anywhere and none of them runs, as in virsh.

use super::{Cmd, CmdDef, OptDef, OptKind, REQ};
use crate::commands;

/// A word of input, or the end of a command (`;`) or of the line.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    Arg(String),
    CmdEnd,
    End,
}

/// Where the words come from.
trait Tokens {
    /// The next token, or the error message.
    fn next_token(&mut self) -> Result<Token, String>;
}

/// Words given as program arguments: each is one argument, `;` is not special.
struct ArgvTokens<'a> {
    args: std::slice::Iter<'a, String>,
}

impl Tokens for ArgvTokens<'_> {
    fn next_token(&mut self) -> Result<Token, String> {
        Ok(match self.args.next() {
            Some(a) => Token::Arg(a.clone()),
            None => Token::End,
        })
    }
}

/// A line of text split the way virsh splits it: blanks separate words, `;` separates
/// commands, `'…'` quotes literally, `"…"` quotes with `\` escapes, `\` escapes outside
/// single quotes.
pub struct StrTokens<'a> {
    rest: &'a str,
}

impl<'a> StrTokens<'a> {
    /// Tokens of `line`.
    pub fn new(line: &'a str) -> Self {
        StrTokens { rest: line }
    }

    /// The next word (`None` at a `;` or the end), or the error message.
    pub fn next_word(&mut self) -> Result<Option<String>, String> {
        match self.next_token()? {
            Token::Arg(s) => Ok(Some(s)),
            _ => Ok(None),
        }
    }
}

impl Tokens for StrTokens<'_> {
    fn next_token(&mut self) -> Result<Token, String> {
        let s = self.rest.trim_start_matches([' ', '\t']);
        let mut chars = s.char_indices().peekable();
        match chars.peek() {
            None => {
                self.rest = "";
                return Ok(Token::End);
            }
            Some((_, ';')) => {
                self.rest = &s[1..];
                return Ok(Token::CmdEnd);
            }
            _ => {}
        }
        let (mut single, mut double) = (false, false);
        let mut word = String::new();
        let mut end = s.len();
        while let Some((i, c)) = chars.next() {
            if !single && !double && matches!(c, ' ' | '\t' | ';') {
                end = i;
                break;
            }
            match c {
                '\'' if !double => single = !single,
                '"' if !single => double = !double,
                '\\' if !single => match chars.next() {
                    Some((_, escaped)) => word.push(escaped),
                    None => return Err("dangling \\".to_string()),
                },
                c => word.push(c),
            }
        }
        if double {
            return Err("missing \"".to_string());
        }
        self.rest = &s[end..];
        Ok(Token::Arg(word))
    }
}

/// Parses program arguments (the words after the global options) as one command.
pub fn parse_argv(args: &[String]) -> Result<Vec<Cmd>, String> {
    parse(&mut ArgvTokens { args: args.iter() })
}

/// Parses a line of text: commands separated by `;`.
pub fn parse_line(line: &str) -> Result<Vec<Cmd>, String> {
    parse(&mut StrTokens::new(line))
}

/// Parses commands until the end of input.
fn parse(tokens: &mut dyn Tokens) -> Result<Vec<Cmd>, String> {
    let mut cmds = Vec::new();
    loop {
        let (cmd, last) = parse_one(tokens)?;
        if let Some(cmd) = cmd {
            cmds.push(cmd);
        }
        if last == Token::End {
            return Ok(cmds);
        }
    }
}

/// What one command's parsing keeps track of (virsh's bit masks, as vectors).
struct State {
    def: &'static CmdDef,
    /// Options still waiting for a positional value, in order.
    need_arg: Vec<bool>,
    seen: Vec<bool>,
    opts: Vec<(&'static OptDef, String)>,
    data_only: bool,
    help: bool,
}

/// Parses one command, up to a `;` or the end; returns it (none for an empty command) and
/// the token that ended it.
fn parse_one(tokens: &mut dyn Tokens) -> Result<(Option<Cmd>, Token), String> {
    let mut state: Option<State> = None;
    let last = loop {
        let word = match tokens.next_token()? {
            Token::Arg(w) => w,
            other => break other,
        };
        let Some(st) = state.as_mut() else {
            let def = commands::find(&word).ok_or_else(|| format!("unknown command: '{word}'"))?;
            state = Some(State {
                def,
                need_arg: def.opts.iter().map(OptDef::is_positional).collect(),
                seen: vec![false; def.opts.len()],
                opts: Vec::new(),
                data_only: false,
                help: false,
            });
            continue;
        };
        let b = word.as_bytes();
        if !st.data_only && b.len() > 2 && b.starts_with(b"--") && b[2].is_ascii_alphanumeric() {
            named_option(st, &word[2..], tokens)?;
        } else if !st.data_only && word == "--" {
            st.data_only = true;
        } else {
            positional(st, word)?;
        }
    };
    let Some(st) = state else {
        return Ok((None, last));
    };
    if st.help {
        let help = commands::find("help").expect("the help command exists");
        let cmd = Cmd {
            def: help,
            opts: vec![(&help.opts[0], st.def.name.to_string())],
        };
        return Ok((Some(cmd), last));
    }
    check_required(&st)?;
    Ok((
        Some(Cmd {
            def: st.def,
            opts: st.opts,
        }),
        last,
    ))
}

/// `--name` or `--name=value`.
fn named_option(st: &mut State, word: &str, tokens: &mut dyn Tokens) -> Result<(), String> {
    let (mut name, mut value) = match word.split_once('=') {
        Some((n, v)) => (n.to_string(), Some(v.to_string())),
        None => (word.to_string(), None),
    };
    if name == "help" {
        st.help = true;
        return Ok(());
    }
    let index = loop {
        let Some(i) = st.def.opts.iter().position(|o| o.name == name) else {
            if st.def.name == "help" {
                // `help` ignores the options it does not know
                return Ok(());
            }
            return Err(format!(
                "command '{}' doesn't support option --{name}",
                st.def.name
            ));
        };
        let opt = &st.def.opts[i];
        if let OptKind::Alias(target) = opt.kind {
            if let Some((t, v)) = target.split_once('=') {
                if value.is_some() {
                    return Err(format!("invalid '=' after option --{}", opt.name));
                }
                value = Some(v.to_string());
                name = t.to_string();
            } else {
                name = target.to_string();
            }
            continue;
        }
        if st.seen[i] && opt.kind != OptKind::Argv {
            return Err(format!("option --{name} already seen"));
        }
        break i;
    };
    st.seen[index] = true;
    let opt = &st.def.opts[index];
    if opt.kind == OptKind::Bool {
        if value.is_some() {
            return Err(format!("invalid '=' after option --{}", opt.name));
        }
        st.opts.push((opt, String::new()));
        return Ok(());
    }
    let value = match value {
        Some(v) => v,
        None => match tokens.next_token()? {
            Token::Arg(v) => v,
            _ => {
                let what = if opt.kind == OptKind::Int {
                    "number"
                } else {
                    "string"
                };
                return Err(format!("expected syntax: --{} <{what}>", opt.name));
            }
        },
    };
    if opt.kind != OptKind::Argv {
        st.need_arg[index] = false;
    }
    st.opts.push((opt, value));
    Ok(())
}

/// A bare word: the value of the first option still waiting for one.
fn positional(st: &mut State, word: String) -> Result<(), String> {
    let Some(i) = st.need_arg.iter().position(|&n| n) else {
        if st.def.name == "help" {
            return Ok(());
        }
        return Err(format!("unexpected data '{word}'"));
    };
    let opt = &st.def.opts[i];
    if opt.kind != OptKind::Argv {
        st.need_arg[i] = false;
    }
    st.seen[i] = true;
    st.opts.push((opt, word));
    Ok(())
}

/// The first required option missing, as virsh words it.
fn check_required(st: &State) -> Result<(), String> {
    let missing: Vec<String> = st
        .def
        .opts
        .iter()
        .zip(&st.seen)
        .filter(|(o, seen)| o.flags & REQ != 0 && !**seen)
        .map(|(o, _)| match o.kind {
            OptKind::Data | OptKind::Argv => {
                format!("command '{}' requires <{}> option", st.def.name, o.name)
            }
            _ => format!("command '{}' requires --{} option", st.def.name, o.name),
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("\nerror: "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Result<Vec<Option<String>>, String> {
        let mut t = StrTokens::new(line);
        let mut out = Vec::new();
        loop {
            match t.next_token()? {
                Token::Arg(a) => out.push(Some(a)),
                Token::CmdEnd => out.push(None),
                Token::End => return Ok(out),
            }
        }
    }

    #[test]
    fn quoting_like_virsh() {
        assert_eq!(
            words(r#"echo a 'b c' "d\"e" x\;y;uri"#).unwrap(),
            vec![
                Some("echo".into()),
                Some("a".into()),
                Some("b c".into()),
                Some("d\"e".into()),
                Some("x;y".into()),
                None,
                Some("uri".into())
            ]
        );
        assert_eq!(words("echo \"abc").unwrap_err(), "missing \"");
        assert_eq!(words("echo abc\\").unwrap_err(), "dangling \\");
        // an unterminated single quote just ends the word
        assert_eq!(
            words("echo 'ab c").unwrap(),
            vec![Some("echo".into()), Some("ab c".into())]
        );
    }

    #[test]
    fn options_positional_named_and_errors() {
        let err = parse_line("uri ; domstate dom -- --reason").unwrap_err();
        // `--reason` after `--` is data, and domstate has only one data option
        assert_eq!(err, "unexpected data '--reason'");
        let cmds = parse_line("freecell 3; domstate --reason=x dom").unwrap_err();
        assert_eq!(cmds, "invalid '=' after option --reason");
        let cmds = parse_line("freecell 3; domstate --reason dom").unwrap();
        assert_eq!(cmds[0].get("cellno"), Some("3"));
        assert_eq!(cmds[1].get("domain"), Some("dom"));
        assert!(cmds[1].has("reason"));
        assert_eq!(
            parse_line("list --al").unwrap_err(),
            "command 'list' doesn't support option --al"
        );
        assert_eq!(
            parse_line("list --all --all").unwrap_err(),
            "option --all already seen"
        );
        assert_eq!(
            parse_line("list --name=1").unwrap_err(),
            "invalid '=' after option --name"
        );
        assert_eq!(
            parse_line("dominfo").unwrap_err(),
            "command 'dominfo' requires <domain> option"
        );
        assert_eq!(
            parse_line("dominfo --domain").unwrap_err(),
            "expected syntax: --domain <string>"
        );
        assert_eq!(
            parse_line("nosuch").unwrap_err(),
            "unknown command: 'nosuch'"
        );
        let help = parse_line("dominfo x --help").unwrap();
        assert_eq!(help[0].def.name, "help");
        assert_eq!(help[0].get("command"), Some("dominfo"));
    }
}
