//! How IDL names become Rust names.
//!
//! - Types: strip the program's prefix, then `UpperCamelCase` (`remote_nonnull_domain` →
//!   `NonnullDomain`, `virNetMessageUUID` → `MessageUuid`); when the result would shadow a
//!   prelude type ([`PRELUDE_NAMES`]) the prefix is kept (`remote_string` → `RemoteString`).
//! - Fields and methods: `snake_case`, Rust keywords as raw identifiers (`type` → `r#type`).
//! - Constants: strip the program's prefix, then `SCREAMING_SNAKE_CASE`.
//! - Enum variants: strip the longest `_`-separated prefix common to all members, then
//!   `UpperCamelCase`; a name starting with a digit gets a leading `V`.
//! - Members of an `@flags` enum: the same prefix stripped, then `SCREAMING_SNAKE_CASE`
//!   (they become associated constants).

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Type names that a generated type must not take, so that glob imports of generated modules
/// never shadow the prelude.
pub const PRELUDE_NAMES: &[&str] = &[
    "String", "Vec", "Option", "Result", "Box", "Some", "None", "Ok", "Err", "Self",
];

/// Rust keywords (strict and reserved, all editions up to 2024).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers: these get a trailing `_` instead.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// Makes `name` usable as an identifier: keywords become raw identifiers (`r#type`), or get a
/// trailing underscore where Rust forbids raw ones (`self_`).
pub fn escape_keyword(name: &str) -> String {
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// `name` without `prefix`, when it has it and something is left. A prefix that does not end
/// in `_` (like `virNet`) only matches before an upper-case letter or `_`.
pub fn strip_prefix<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(prefix)?;
    let boundary =
        prefix.ends_with('_') || rest.starts_with(|c: char| c.is_ascii_uppercase() || c == '_');
    (!prefix.is_empty() && !rest.is_empty() && boundary).then_some(rest)
}

/// The Rust name of a type defined as `idl` in a program whose type prefix is `prefix`.
pub fn type_name(idl: &str, prefix: &str) -> String {
    if let Some(rest) = strip_prefix(idl, prefix) {
        let name = rest.to_upper_camel_case();
        if is_usable_type_name(&name) {
            return name;
        }
    }
    let name = idl.to_upper_camel_case();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{name}")
    } else {
        name
    }
}

fn is_usable_type_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !PRELUDE_NAMES.contains(&name)
}

/// The Rust name of a struct member, union arm or discriminant.
pub fn field_name(idl: &str) -> String {
    escape_keyword(&idl.to_snake_case())
}

/// The Rust name of constant `idl` in a program whose constant prefix is `prefix`; with an
/// empty prefix the name is kept as it is.
pub fn const_name(idl: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return idl.to_owned();
    }
    match strip_prefix(idl, prefix) {
        Some(rest) if !rest.starts_with(|c: char| c.is_ascii_digit()) => {
            rest.to_shouty_snake_case()
        }
        _ => idl.to_shouty_snake_case(),
    }
}

/// `UpperCamelCase` of an already-stripped member name, with a leading `V` when it would
/// start with a digit, and `Self` avoided.
pub fn variant_name(stripped: &str) -> String {
    let name = stripped.to_upper_camel_case();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{name}")
    } else if name == "Self" {
        "SelfValue".to_owned()
    } else {
        name
    }
}

/// Number of leading `_`-separated segments that all `names` share, leaving at least one
/// segment of each.
pub fn common_prefix_segments(names: &[&str]) -> usize {
    let split: Vec<Vec<&str>> = names.iter().map(|n| n.split('_').collect()).collect();
    let Some(first) = split.first() else {
        return 0;
    };
    let max = split.iter().map(|s| s.len() - 1).min().unwrap_or(0);
    (0..max)
        .take_while(|&i| split.iter().all(|s| s[i] == first[i]))
        .count()
}

/// Variant names for enum members (or union case labels): the longest common `_`-separated
/// prefix is stripped (`VIR_NET_CALL_WITH_FDS` among `VIR_NET_*` → `CallWithFds`).
pub fn variant_names(names: &[&str]) -> Vec<String> {
    let k = common_prefix_segments(names);
    names
        .iter()
        .map(|n| {
            let rest: Vec<&str> = n.split('_').skip(k).collect();
            variant_name(&rest.join("_"))
        })
        .collect()
}

/// Like [`variant_names`], but members starting with `prefix` only lose that prefix.
pub fn variant_names_with_prefix(names: &[&str], prefix: &str) -> Vec<String> {
    variant_names(names)
        .into_iter()
        .zip(names)
        .map(
            |(common, n)| match n.strip_prefix(prefix).filter(|r| !r.is_empty()) {
                Some(rest) => variant_name(rest),
                None => common,
            },
        )
        .collect()
}

/// Associated-constant names for the members of a set of flags: the longest common
/// `_`-separated prefix stripped (`VIR_CONNECT_LIST_DOMAINS_ACTIVE` among
/// `VIR_CONNECT_LIST_DOMAINS_*` → `ACTIVE`), or `prefix` for the members that start with it;
/// the rest in `SCREAMING_SNAKE_CASE`, with a leading `V` when it would start with a digit.
pub fn flag_names(names: &[&str], prefix: Option<&str>) -> Vec<String> {
    let k = common_prefix_segments(names);
    names
        .iter()
        .map(|n| {
            let rest = match prefix
                .and_then(|p| n.strip_prefix(p))
                .filter(|r| !r.is_empty())
            {
                Some(rest) => rest.to_owned(),
                None => n.split('_').skip(k).collect::<Vec<_>>().join("_"),
            };
            let name = rest.to_shouty_snake_case();
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                format!("V{name}")
            } else {
                name
            }
        })
        .collect()
}

/// The name of a procedure without its `<PREFIX>_PROC_` prefix (`DOMAIN_GET_INFO`).
pub fn procedure_name<'a>(member: &'a str, proc_prefix: &str) -> Option<&'a str> {
    member
        .strip_prefix(proc_prefix)
        .filter(|rest| !rest.is_empty())
}

/// The `RawClient` method for procedure `name` (without prefix) of a program whose methods
/// carry `method_prefix` (empty for REMOTE, `qemu_` for QEMU, …).
pub fn method_name(name: &str, method_prefix: &str) -> String {
    escape_keyword(&format!("{method_prefix}{}", name.to_snake_case()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_keeps_one_segment() {
        assert_eq!(common_prefix_segments(&["A_B_C"]), 2);
        assert_eq!(common_prefix_segments(&["A_B", "A_B_C"]), 1);
        assert_eq!(common_prefix_segments(&["X", "Y"]), 0);
        assert_eq!(common_prefix_segments(&[]), 0);
    }
}
