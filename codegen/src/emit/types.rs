//! Rust spellings of resolved types, with fully qualified paths.

use crate::model::{Bound, RType, TypeRef};

/// The XDR runtime's module path.
pub const XDR: &str = "crate::proto::xdr";

/// How to name items of the module being emitted.
#[derive(Debug, Clone, Copy)]
pub struct Paths<'a> {
    /// The module being emitted.
    pub module: &'a str,
    /// Prefix for its own items: `""` at the module's top level, `"super::"` in `procs`,
    /// a full path elsewhere.
    pub local: &'a str,
}

/// The full path of module `module`'s item `name`.
pub fn generated_path(module: &str, name: &str) -> String {
    format!("crate::proto::generated::{module}::{name}")
}

/// A reference to a named type.
pub fn type_ref(r: &TypeRef, p: Paths<'_>) -> String {
    if r.module == p.module {
        format!("{}{}", p.local, r.rust_name)
    } else {
        generated_path(&r.module, &r.rust_name)
    }
}

/// A `u32` const generic argument: a literal, `{ path }` or `{ UNBOUNDED }`.
fn u32_arg(b: &Bound) -> String {
    match b {
        Bound::Literal(n) => n.to_string(),
        Bound::Const {
            module, rust_name, ..
        } => format!("{{ {} }}", generated_path(module, rust_name)),
        Bound::Unbounded => format!("{{ {XDR}::UNBOUNDED }}"),
    }
}

/// A `usize` length: a literal or `path as usize` (`braced` for a const generic argument).
fn usize_arg(b: &Bound, braced: bool) -> String {
    match b {
        Bound::Const {
            module, rust_name, ..
        } => {
            let e = format!("{} as usize", generated_path(module, rust_name));
            if braced { format!("{{ {e} }}") } else { e }
        }
        other => other.value().to_string(),
    }
}

/// The Rust type.
pub fn rust_type(ty: &RType, p: Paths<'_>) -> String {
    match ty {
        RType::I32 => "i32".into(),
        RType::U32 => "u32".into(),
        RType::I8 => "i8".into(),
        RType::U8 => "u8".into(),
        RType::I16 => "i16".into(),
        RType::U16 => "u16".into(),
        RType::I64 => "i64".into(),
        RType::U64 => "u64".into(),
        RType::F32 => "f32".into(),
        RType::F64 => "f64".into(),
        RType::Bool => "bool".into(),
        RType::Named(r) => type_ref(r, p),
        RType::Array(inner, b) => format!("[{}; {}]", rust_type(inner, p), usize_arg(b, false)),
        RType::FixedOpaque(b) => format!("{XDR}::FixedOpaque<{}>", usize_arg(b, true)),
        RType::FixedChars(b) => format!("{XDR}::FixedChars<{}>", usize_arg(b, true)),
        RType::Opaque(b) => format!("{XDR}::Opaque<{}>", u32_arg(b)),
        RType::String(b) => format!("{XDR}::XdrString<{}>", u32_arg(b)),
        RType::Chars(b) => format!("{XDR}::Chars<{}>", u32_arg(b)),
        RType::Vec(inner, b) => format!("{XDR}::XdrVec<{}, {}>", rust_type(inner, p), u32_arg(b)),
        RType::Option(inner, boxed) => {
            let inner = rust_type(inner, p);
            if *boxed {
                format!("::core::option::Option<::std::boxed::Box<{inner}>>")
            } else {
                format!("::core::option::Option<{inner}>")
            }
        }
    }
}

/// The words of an `UpperCamelCase` name, split before each upper-case letter.
fn camel_words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices().skip(1) {
        if c.is_ascii_uppercase() {
            words.push(&name[start..i]);
            start = i;
        }
    }
    words.push(&name[start..]);
    words
}

/// Whether clippy's `enum_variant_names` would fire on an enum named `name` with `variants`
/// (a superset of its rules: a variant that starts or ends with the enum's name, or variants
/// of two words or more that all share a first or last word).
pub fn trips_enum_variant_names(name: &str, variants: &[&str]) -> bool {
    if variants.len() < 3 {
        return false;
    }
    let starts_or_ends = variants.iter().any(|v| {
        let rest_starts_upper = v
            .strip_prefix(name)
            .is_some_and(|r| r.starts_with(|c: char| !c.is_lowercase()) && !r.is_empty());
        rest_starts_upper || (v.ends_with(name) && v.len() > name.len())
    });
    let split: Vec<Vec<&str>> = variants.iter().map(|v| camel_words(v)).collect();
    if starts_or_ends || split.iter().any(|w| w.len() == 1) {
        return starts_or_ends;
    }
    let first = &split[0];
    let same_first = split.iter().all(|w| w[0] == first[0]);
    let same_last = split.iter().all(|w| w.last() == first.last());
    same_first || same_last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_variant_names_heuristic() {
        assert!(!trips_enum_variant_names(
            "Status",
            &["Ok", "Error", "Continue", "Unknown"]
        ));
        assert!(trips_enum_variant_names("Kind", &["KindA", "B", "C"]));
        assert!(trips_enum_variant_names("X", &["FooA", "FooB", "FooC"]));
        assert!(trips_enum_variant_names(
            "X",
            &["AEvent", "BEvent", "CEvent"]
        ));
        assert!(!trips_enum_variant_names(
            "X",
            &["AEvent", "BEvent", "Unknown"]
        ));
    }
}
