//! Doc comments: IDL comments made safe for Markdown, and quoted IDL in ```` ```text ````
//! blocks.

/// Escapes `line` so that rustdoc renders it as plain text: inline Markdown and HTML
/// characters are backslash-escaped, and so is a line start that would open a list, heading,
/// quote or rule.
pub fn escape_markdown(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '&' | '~' | '|' => true,
            '_' => {
                let alnum = |j: Option<&char>| j.is_some_and(|c| c.is_alphanumeric());
                !(i > 0 && alnum(chars.get(i - 1)) && alnum(chars.get(i + 1)))
            }
            '#' | '-' | '+' | '=' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    escape_ordered_list(out)
}

/// `1. text` or `1) text` at the start of a line would open an ordered list.
fn escape_ordered_list(line: String) -> String {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let after = line[digits..].chars().next();
    if digits > 0 && matches!(after, Some('.') | Some(')')) {
        format!("{}\\{}", &line[..digits], &line[digits..])
    } else {
        line
    }
}

/// Doc-comment lines (without the `///`) for an item: its IDL comment, or `fallback` when it
/// has none, then the IDL text in a code block.
pub fn item_doc(comment: Option<&[String]>, fallback: &str, idl: &str) -> Vec<String> {
    let mut lines = match comment {
        Some(c) if !c.is_empty() => c.iter().map(|l| escape_markdown(l)).collect(),
        _ => vec![fallback.to_owned()],
    };
    lines.push(String::new());
    lines.extend(code_block(idl));
    lines
}

/// `text` as a ```` ```text ```` block.
pub fn code_block(text: &str) -> Vec<String> {
    let mut lines = vec!["```text".to_owned()];
    lines.extend(text.lines().map(str::to_owned));
    lines.push("```".to_owned());
    lines
}

/// Escaped comment lines followed by a blank line, or nothing.
pub fn comment_paragraph(comment: Option<&[String]>) -> Vec<String> {
    match comment {
        Some(c) if !c.is_empty() => {
            let mut lines: Vec<String> = c.iter().map(|l| escape_markdown(l)).collect();
            lines.push(String::new());
            lines
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown() {
        assert_eq!(
            escape_markdown("x<N> and [a] *b*"),
            r"x\<N\> and \[a\] \*b\*"
        );
        assert_eq!(escape_markdown("- item"), r"\- item");
        assert_eq!(escape_markdown("1. first"), r"1\. first");
        assert_eq!(escape_markdown("VIR_NET_CALL _x_"), r"VIR_NET_CALL \_x\_");
    }
}
