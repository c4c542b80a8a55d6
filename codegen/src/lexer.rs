//! Tokens of libvirt's XDR dialect.
//!
//! Plain `/* … */` comments are not tokens, but the text of the one right before a token (on
//! the line before it or earlier on the same line, and not trailing another token) is kept on
//! that token, so that definitions and enum members can carry it into the generated docs.
//! `/** … */` blocks are tokens of their own ([`TokenKind::Doc`]): they hold the procedure
//! annotations. Lines starting with `%` (passthrough to C in rpcgen) are skipped.
//!
//! Beyond RFC 4506: string literals (`"cpu_shares"`), the values of string constants. A
//! literal stays on one line; `\"` and `\\` are its only escapes.

use crate::error::{Error, Pos};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier or keyword.
    Ident(String),
    /// An integer literal; `text` is its spelling (`0x20008086`, `-1`, `017`).
    Number {
        /// The value.
        value: i128,
        /// The literal as written.
        text: String,
    },
    /// A string literal, without its quotes, escapes resolved.
    Str(String),
    /// One of `{ } ( ) [ ] < > ; , = * :`.
    Punct(char),
    /// A `/** … */` block, as cleaned lines (see [`comment_lines`]).
    Doc(Vec<String>),
    /// The end of the input.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it starts.
    pub pos: Pos,
    /// The plain comment right before it, cleaned (see [`comment_lines`]).
    pub comment: Option<Vec<String>>,
}

/// The tokens of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexed {
    /// The tokens, ending with [`TokenKind::Eof`].
    pub tokens: Vec<Token>,
    /// The file's opening comment, when it stands apart from the first definition.
    pub file_comment: Option<Vec<String>>,
}

const PUNCT: &str = "{}()[]<>;,=*:";

/// Splits `src` (the contents of `file`) into tokens.
pub fn lex(file: &str, src: &str) -> Result<Lexed, Error> {
    Lexer::new(file, src).run()
}

/// Cleans the inside of a comment: one entry per line, each trimmed and without the leading
/// `*` of a boxed comment; blank lines at either end removed, blank lines inside kept (as
/// empty strings) to mark paragraphs.
pub fn comment_lines(inner: &str) -> Vec<String> {
    let mut lines: Vec<String> = inner
        .lines()
        .map(|l| {
            let t = l.trim();
            let t = t.strip_prefix('*').unwrap_or(t);
            t.strip_prefix(' ').unwrap_or(t).trim_end().to_owned()
        })
        .collect();
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

struct Pending {
    lines: Vec<String>,
    end_line: u32,
    trailing: bool,
}

struct Lexer<'a> {
    file: &'a str,
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
    last_token_line: u32,
    pending: Option<Pending>,
    first_comment: Option<Pending>,
}

impl<'a> Lexer<'a> {
    fn new(file: &'a str, src: &str) -> Self {
        Lexer {
            file,
            chars: src.chars().collect(),
            i: 0,
            line: 1,
            col: 1,
            tokens: Vec::new(),
            last_token_line: 0,
            pending: None,
            first_comment: None,
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn at_line_start(&self) -> bool {
        self.chars[..self.i]
            .iter()
            .rev()
            .take_while(|&&c| c != '\n')
            .all(|c| c.is_whitespace())
    }

    fn run(mut self) -> Result<Lexed, Error> {
        while let Some(c) = self.peek_at(0) {
            let pos = self.pos();
            if c.is_whitespace() {
                self.bump();
            } else if c == '%' && self.at_line_start() {
                self.skip_line();
            } else if c == '/' && self.peek_at(1) == Some('*') {
                self.comment(pos)?;
            } else if c == '/' && self.peek_at(1) == Some('/') {
                self.skip_line();
            } else {
                let kind = self.token(c, pos)?;
                self.push(kind, pos);
            }
        }
        let pos = self.pos();
        self.push(TokenKind::Eof, pos);
        let file_comment = self.first_comment.map(|c| c.lines);
        Ok(Lexed {
            tokens: self.tokens,
            file_comment,
        })
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.peek_at(0) {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn push(&mut self, kind: TokenKind, pos: Pos) {
        let comment = self.pending.take().and_then(|p| {
            let attached = !p.trailing && pos.line <= p.end_line + 1;
            if !attached && self.tokens.is_empty() && self.first_comment.is_none() {
                self.first_comment = Some(Pending {
                    lines: p.lines.clone(),
                    ..p
                });
            }
            attached.then_some(p.lines)
        });
        let keep_pending_for_doc = matches!(kind, TokenKind::Doc(_));
        self.last_token_line = pos.line;
        self.tokens.push(Token { kind, pos, comment });
        if keep_pending_for_doc {
            // A plain comment before a doc block belongs to what follows the doc block.
            let last = self.tokens.last_mut().expect("just pushed");
            if let Some(lines) = last.comment.take() {
                self.pending = Some(Pending {
                    lines,
                    end_line: self.line,
                    trailing: false,
                });
            }
        }
    }

    fn comment(&mut self, start: Pos) -> Result<(), Error> {
        self.bump();
        self.bump();
        let is_doc =
            self.peek_at(0) == Some('*') && self.peek_at(1).is_some_and(char::is_whitespace);
        let body_start = self.i;
        loop {
            match self.peek_at(0) {
                None => return Err(Error::at(self.file, start, "unterminated comment")),
                Some('*') if self.peek_at(1) == Some('/') => break,
                Some(_) => {
                    self.bump();
                }
            }
        }
        let inner: String = self.chars[body_start..self.i].iter().collect();
        self.bump();
        self.bump();
        if is_doc {
            let inner = inner.strip_prefix('*').unwrap_or(&inner);
            self.push(TokenKind::Doc(comment_lines(inner)), start);
        } else {
            let replaced = self.pending.take();
            if self.tokens.is_empty() && self.first_comment.is_none() {
                self.first_comment = replaced;
            }
            self.pending = Some(Pending {
                lines: comment_lines(&inner),
                end_line: self.line,
                trailing: start.line == self.last_token_line,
            });
        }
        Ok(())
    }

    fn token(&mut self, c: char, pos: Pos) -> Result<TokenKind, Error> {
        if c.is_ascii_alphabetic() || c == '_' {
            Ok(TokenKind::Ident(self.take_while(is_ident_char)))
        } else if c.is_ascii_digit()
            || (c == '-' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
        {
            self.number(pos)
        } else if c == '"' {
            self.string(pos)
        } else if PUNCT.contains(c) {
            self.bump();
            Ok(TokenKind::Punct(c))
        } else {
            Err(Error::at(
                self.file,
                pos,
                format!("unexpected character `{c}`"),
            ))
        }
    }

    fn take_while(&mut self, pred: fn(char) -> bool) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek_at(0).filter(|&c| pred(c)) {
            s.push(c);
            self.bump();
        }
        s
    }

    /// A `"…"` literal on one line; `\"` and `\\` are its only escapes.
    fn string(&mut self, pos: Pos) -> Result<TokenKind, Error> {
        self.bump();
        let mut text = String::new();
        loop {
            let here = self.pos();
            match self.bump() {
                None | Some('\n') => return Err(Error::at(self.file, pos, "unterminated string")),
                Some('"') => return Ok(TokenKind::Str(text)),
                Some('\\') => match self.bump() {
                    Some(c @ ('"' | '\\')) => text.push(c),
                    other => {
                        let shown: String = other.into_iter().collect();
                        let msg = format!("unsupported escape `\\{shown}` in a string");
                        return Err(Error::at(self.file, here, msg));
                    }
                },
                Some(c) if c.is_control() => {
                    let msg = format!("control character {c:?} in a string");
                    return Err(Error::at(self.file, here, msg));
                }
                Some(c) => text.push(c),
            }
        }
    }

    fn number(&mut self, pos: Pos) -> Result<TokenKind, Error> {
        let negative = self.peek_at(0) == Some('-');
        if negative {
            self.bump();
        }
        let text = self.take_while(is_ident_char);
        let magnitude = parse_magnitude(&text)
            .ok_or_else(|| Error::at(self.file, pos, format!("invalid number `{text}`")))?;
        let (value, text) = if negative {
            (-magnitude, format!("-{text}"))
        } else {
            (magnitude, text)
        };
        Ok(TokenKind::Number { value, text })
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The value of an unsigned literal: `0x`/`0X` hexadecimal, a leading `0` octal, else decimal.
/// `None` when malformed or wider than 64 bits.
fn parse_magnitude(text: &str) -> Option<i128> {
    let (digits, radix) =
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (hex, 16)
        } else if text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text, 10)
        };
    if digits.is_empty() {
        return None;
    }
    let value = u64::from_str_radix(digits, radix).ok()?;
    Some(i128::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        lex("t.x", src)
            .unwrap()
            .tokens
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn numbers_in_every_base() {
        let k = kinds("0x1F 017 42 -3 0");
        let values: Vec<i128> = k
            .iter()
            .filter_map(|k| match k {
                TokenKind::Number { value, .. } => Some(*value),
                _ => None,
            })
            .collect();
        assert_eq!(values, [31, 15, 42, -3, 0]);
    }

    #[test]
    fn skips_percent_lines_and_keeps_doc_blocks() {
        let k = kinds("%#include <x.h>\n/* plain */ /** @a: b\n * @c: d */ x");
        assert_eq!(
            k,
            [
                TokenKind::Doc(vec!["@a: b".into(), "@c: d".into()]),
                TokenKind::Ident("x".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn attaches_the_comment_right_before_a_token() {
        let lexed = lex("t.x", "/* file */\n\n/* about a */\na; /* trailing */\nb\n").unwrap();
        assert_eq!(lexed.file_comment, Some(vec!["file".to_owned()]));
        assert_eq!(lexed.tokens[0].comment, Some(vec!["about a".to_owned()]));
        assert_eq!(lexed.tokens[2].comment, None);
    }

    #[test]
    fn reports_position_of_bad_character() {
        let err = lex("t.x", "const A = 1;\n  @").unwrap_err();
        assert_eq!(err.to_string(), "t.x:2:3: unexpected character `@`");
    }

    #[test]
    fn strings_with_escapes() {
        let k = kinds(r#"const A = "cpu_shares"; "a\"b\\c""#);
        assert_eq!(k[3], TokenKind::Str("cpu_shares".into()));
        assert_eq!(k[5], TokenKind::Str(r#"a"b\c"#.into()));
    }

    #[test]
    fn bad_strings() {
        let err = lex("t.x", "const A = \"open\nconst B = 1;").unwrap_err();
        assert_eq!(err.to_string(), "t.x:1:11: unterminated string");
        let err = lex("t.x", r#"const A = "a\n";"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            r"t.x:1:13: unsupported escape `\n` in a string"
        );
    }

    #[test]
    fn unterminated_comment() {
        let err = lex("t.x", "\n /* open").unwrap_err();
        assert_eq!(err.to_string(), "t.x:2:2: unterminated comment");
    }
}
