//! Discriminated unions as Rust enums: one variant per case label, plus the `default:` arm.

use super::checks;
use super::doc::item_doc;
use super::items::{DECODE_RESULT, plain};
use super::out::Out;
use super::types::{Paths, XDR, rust_type, trips_enum_variant_names};
use crate::model::{Arm, Item, Union};
use crate::naming;

/// A union, its `discriminant()`, `Default` (first arm), `Encode` and `Decode`.
pub fn union(out: &mut Out, item: &Item, u: &Union, p: Paths<'_>) {
    let name = &item.rust_name;
    let fallback = format!("The union `{}`.", item.idl_name);
    out.doc(&item_doc(item.comment.as_deref(), &fallback, &item.idl));
    let variants: Vec<&str> = u
        .arms
        .iter()
        .map(|a| a.rust_name.as_str())
        .chain(u.default.as_ref().map(|d| d.rust_name.as_str()))
        .collect();
    if item.large_variant {
        out.line("#[allow(clippy::large_enum_variant)]");
    }
    if trips_enum_variant_names(name, &variants) {
        out.line("#[allow(clippy::enum_variant_names)]");
    }
    let derive_default = item.has_default && first_is_unit(u);
    let default = if derive_default { ", Default" } else { "" };
    out.line(format!("#[derive(Debug, Clone, PartialEq{default})]"));
    out.line(format!("pub enum {name} {{"));
    for (i, arm) in u.arms.iter().enumerate() {
        variant(out, arm, p, derive_default && i == 0);
    }
    default_variant(out, u, p, derive_default && u.arms.is_empty());
    out.line("}");
    if item.has_default && !derive_default {
        default_impl(out, name, u);
    }
    discriminant_fn(out, name, u);
    encode(out, name, u);
    decode(out, name, u);
    checks::union(out, name, u);
}

fn first_is_unit(u: &Union) -> bool {
    match u.arms.first() {
        Some(a) => a.ty.is_none(),
        None => false,
    }
}

fn label_note(arm: &Arm) -> String {
    if arm.label == arm.value.to_string() {
        String::new()
    } else {
        format!(" (= {})", arm.value)
    }
}

fn variant(out: &mut Out, arm: &Arm, p: Paths<'_>, is_default: bool) {
    out.doc(&[format!("`{}`{}", arm.idl, label_note(arm))]);
    if is_default {
        out.line("#[default]");
    }
    match &arm.ty {
        Some(ty) => out.line(format!("{}({}),", arm.rust_name, rust_type(ty, p))),
        None => out.line(format!("{},", arm.rust_name)),
    }
}

fn default_variant(out: &mut Out, u: &Union, p: Paths<'_>, is_default: bool) {
    let int = u.discriminant_ty.rust_int();
    let Some(d) = &u.default else { return };
    match &d.ty {
        Some(ty) => {
            out.doc(&[format!(
                "`{}`: a discriminant no `case` names, with its arm.",
                d.idl
            )]);
            out.line(format!("{} {{", d.rust_name));
            out.doc(&[format!("The discriminant (`{}`).", u.discriminant)]);
            out.line(format!("discriminant: {int},"));
            out.doc(&[format!(
                "The arm's value (`{}`).",
                d.field.as_deref().unwrap_or("")
            )]);
            out.line(format!("value: {},", rust_type(ty, p)));
            out.line("},");
        }
        None => {
            out.doc(&[format!(
                "`{}`: a discriminant no `case` names, kept as it is.",
                d.idl
            )]);
            if is_default {
                out.line("#[default]");
            }
            out.line(format!("{}({int}),", d.rust_name));
        }
    }
}

fn default_impl(out: &mut Out, name: &str, u: &Union) {
    let value = match (u.arms.first(), &u.default) {
        (Some(a), _) => format!("Self::{}(::core::default::Default::default())", a.rust_name),
        (None, Some(d)) if d.ty.is_some() => format!(
            "Self::{} {{ discriminant: 0, value: ::core::default::Default::default() }}",
            d.rust_name
        ),
        (None, Some(d)) => format!("Self::{}(0)", d.rust_name),
        (None, None) => return,
    };
    out.blank();
    out.line(format!("impl ::core::default::Default for {name} {{"));
    out.line("fn default() -> Self {");
    out.line(value);
    out.line("}");
    out.line("}");
}

fn discriminant_fn(out: &mut Out, name: &str, u: &Union) {
    let int = u.discriminant_ty.rust_int();
    out.blank();
    out.line(format!("impl {name} {{"));
    out.doc(&[format!(
        "The discriminant (`{}`) this value is encoded with.",
        u.discriminant
    )]);
    out.line(format!("pub const fn discriminant(&self) -> {int} {{"));
    out.line("match self {");
    for arm in &u.arms {
        let pat = if arm.ty.is_some() { "(_)" } else { "" };
        out.line(format!("Self::{}{pat} => {},", arm.rust_name, arm.value));
    }
    if let Some(d) = &u.default {
        if d.ty.is_some() {
            out.line(format!(
                "Self::{} {{ discriminant, .. }} => *discriminant,",
                d.rust_name
            ));
        } else {
            out.line(format!(
                "Self::{}(discriminant) => *discriminant,",
                d.rust_name
            ));
        }
    }
    out.line("}");
    out.line("}");
    out.line("}");
}

/// Match arms from each variant to an expression over its value `v` (or `none` for a
/// variant without value).
fn per_variant(out: &mut Out, u: &Union, some: &str, none: &str) {
    for arm in &u.arms {
        match arm.ty {
            Some(_) => out.line(format!("Self::{}(v) => {some},", arm.rust_name)),
            None => out.line(format!("Self::{} => {none},", arm.rust_name)),
        }
    }
    if let Some(d) = &u.default {
        match d.ty {
            Some(_) => out.line(format!(
                "Self::{} {{ value: v, .. }} => {some},",
                d.rust_name
            )),
            None => out.line(format!("Self::{}(_) => {none},", d.rust_name)),
        }
    }
}

fn encode(out: &mut Out, name: &str, u: &Union) {
    out.blank();
    out.line(format!("impl {XDR}::Encode for {name} {{"));
    out.line("fn encode(&self, out: &mut ::bytes::BytesMut) {");
    out.line(format!("{XDR}::Encode::encode(&self.discriminant(), out);"));
    if has_values(u) {
        out.line("match self {");
        per_variant(out, u, &format!("{XDR}::Encode::encode(v, out)"), "{}");
        out.line("}");
    }
    out.line("}");
    out.line("fn encoded_len(&self) -> usize {");
    if has_values(u) {
        out.line("4 + match self {");
        per_variant(out, u, &format!("{XDR}::Encode::encoded_len(v)"), "0");
        out.line("}");
    } else {
        out.line("4");
    }
    out.line("}");
    out.line("}");
}

fn has_values(u: &Union) -> bool {
    u.arms.iter().any(|a| a.ty.is_some()) || u.default.as_ref().is_some_and(|d| d.ty.is_some())
}

fn decode(out: &mut Out, name: &str, u: &Union) {
    let int = u.discriminant_ty.rust_int();
    let disc = naming::field_name(&u.discriminant);
    out.blank();
    out.line(format!("impl {XDR}::Decode for {name} {{"));
    out.line(format!("fn decode(src: &mut &[u8]) -> {DECODE_RESULT} {{"));
    out.line(format!(
        "let discriminant: {int} = {XDR}::decode_field(src, \"{name}\", \"{}\")?;",
        plain(&disc)
    ));
    if u.arms.is_empty() {
        // Only a default arm: no `match` (clippy's `match_single_binding`).
        out.line(format!(
            "::core::result::Result::Ok({})",
            default_decode(name, u)
        ));
    } else {
        out.line("::core::result::Result::Ok(match discriminant {");
        for arm in &u.arms {
            arm_decode(out, name, arm);
        }
        match &u.default {
            Some(_) => out.line(format!("discriminant => {},", default_decode(name, u))),
            None => out.line(format!(
                "other => return ::core::result::Result::Err({XDR}::DecodeError::unknown_union_arm(\"{name}\", i64::from(other))),"
            )),
        }
        out.line("})");
    }
    out.line("}");
    out.line("}");
}

fn arm_decode(out: &mut Out, name: &str, arm: &Arm) {
    match (&arm.ty, &arm.field) {
        (Some(_), Some(field)) => out.line(format!(
            "{} => Self::{}({XDR}::decode_field(src, \"{name}\", \"{}\")?),",
            arm.value,
            arm.rust_name,
            plain(&naming::field_name(field))
        )),
        _ => out.line(format!("{} => Self::{},", arm.value, arm.rust_name)),
    }
}

/// The value of the default arm for the local `discriminant`.
fn default_decode(name: &str, u: &Union) -> String {
    let Some(d) = &u.default else {
        return String::new();
    };
    match (&d.ty, &d.field) {
        (Some(_), Some(field)) => format!(
            "Self::{} {{ discriminant, value: {XDR}::decode_field(src, \"{name}\", \"{}\")? }}",
            d.rust_name,
            plain(&naming::field_name(field))
        ),
        _ => format!("Self::{}(discriminant)", d.rust_name),
    }
}
