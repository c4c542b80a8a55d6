//! Constants, typedefs, structs and enums.

use super::checks;
use super::doc::{comment_paragraph, item_doc};
use super::out::Out;
use super::types::{Paths, XDR, rust_type, trips_enum_variant_names};
use crate::model::{Const, Enum, Field, Flags, Item, RType, StringConst};

/// `Result<Self, DecodeError>`, fully qualified.
pub const DECODE_RESULT: &str = "::core::result::Result<Self, crate::proto::xdr::DecodeError>";

/// `pub const NAME: u32 = …;` (or `i32`, `i64`, `u64` when the value needs it).
pub fn constant(out: &mut Out, c: &Const) {
    let ty = if u32::try_from(c.value).is_ok() {
        "u32"
    } else if i32::try_from(c.value).is_ok() {
        "i32"
    } else if i64::try_from(c.value).is_ok() {
        "i64"
    } else {
        "u64"
    };
    let fallback = format!("The constant `{}`.", c.idl_name);
    out.doc(&item_doc(c.comment.as_deref(), &fallback, &c.idl));
    out.line(format!("pub const {}: {ty} = {};", c.rust_name, c.literal));
}

/// `pub const NAME: &str = "…";`
pub fn string_constant(out: &mut Out, c: &StringConst) {
    let fallback = format!("The string constant `{}`.", c.idl_name);
    out.doc(&item_doc(c.comment.as_deref(), &fallback, &c.idl));
    out.line(format!("pub const {}: &str = {:?};", c.rust_name, c.value));
}

/// `pub type Name = T;`
pub fn typedef(out: &mut Out, item: &Item, ty: &RType, p: Paths<'_>) {
    let fallback = format!("The typedef `{}`.", item.idl_name);
    out.doc(&item_doc(item.comment.as_deref(), &fallback, &item.idl));
    out.line(format!(
        "pub type {} = {};",
        item.rust_name,
        rust_type(ty, p)
    ));
}

/// A struct, and its `Encode`/`Decode` through the runtime's `xdr_struct!`.
pub fn structure(out: &mut Out, item: &Item, fields: &[Field], p: Paths<'_>) {
    let name = &item.rust_name;
    let fallback = format!("The struct `{}`.", item.idl_name);
    out.doc(&item_doc(item.comment.as_deref(), &fallback, &item.idl));
    let default = if item.has_default { ", Default" } else { "" };
    out.line(format!("#[derive(Debug, Clone, PartialEq{default})]"));
    out.line(checks::DERIVE);
    out.line(format!("pub struct {name} {{"));
    for f in fields {
        out.doc(&[format!("`{}`", f.idl)]);
        out.line(format!("pub {}: {},", f.rust_name, rust_type(&f.ty, p)));
    }
    out.line("}");
    let members: Vec<&str> = fields.iter().map(|f| f.rust_name.as_str()).collect();
    out.line(format!(
        "{XDR}::xdr_struct!({name} {{ {} }});",
        members.join(", ")
    ));
}

/// An identifier without its `r#`.
pub fn plain(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// A C-like enum with a catch-all variant, `from_i32`/`to_i32`, and `Encode`/`Decode` as an
/// `int`.
pub fn enumeration(out: &mut Out, item: &Item, e: &Enum) {
    let name = &item.rust_name;
    let fallback = format!("The enum `{}`.", item.idl_name);
    out.doc(&item_doc(item.comment.as_deref(), &fallback, &item.idl));
    let mut names: Vec<&str> = e.variants.iter().map(|v| v.rust_name.as_str()).collect();
    names.push(&e.unknown);
    if trips_enum_variant_names(name, &names) {
        out.line("#[allow(clippy::enum_variant_names)]");
    }
    out.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]");
    out.line(format!("pub enum {name} {{"));
    for (i, v) in e.variants.iter().enumerate() {
        let mut doc = comment_paragraph(v.comment.as_deref());
        doc.push(format!("`{}`{}", v.idl, value_note(&v.idl, v.value)));
        if let Some(first) = &v.alias_of {
            doc.push(String::new());
            doc.push(format!("Same value as `{first}`, which decoding yields."));
        }
        out.doc(&doc);
        if i == 0 {
            out.line("#[default]");
        }
        out.line(format!("{},", v.rust_name));
    }
    out.doc(&[
        "A value the IDL does not define, kept as it is (never a member's value).".to_owned(),
    ]);
    out.line(format!("{}({XDR}::UnknownValue<{name}>),", e.unknown));
    out.line("}");
    enum_conversions(out, name, e);
    out.blank();
    out.line(format!("impl {XDR}::Encode for {name} {{"));
    out.line("fn encode(&self, out: &mut ::bytes::BytesMut) {");
    out.line(format!("{XDR}::Encode::encode(&self.to_i32(), out);"));
    out.line("}");
    out.line("fn encoded_len(&self) -> usize {");
    out.line("4");
    out.line("}");
    out.line("}");
    out.blank();
    out.line(format!("impl {XDR}::Decode for {name} {{"));
    out.line(format!("fn decode(src: &mut &[u8]) -> {DECODE_RESULT} {{"));
    out.line(format!(
        "<i32 as {XDR}::Decode>::decode(src).map(Self::from_i32)"
    ));
    out.line("}");
    out.line("}");
    checks::enumeration(out, name, e);
}

/// ` (= 5)` when the IDL spells the value as a name, else nothing.
pub fn value_note(idl: &str, value: impl std::fmt::Display) -> String {
    let written = idl
        .rsplit([' ', '=', ':'])
        .find(|s| !s.is_empty())
        .unwrap_or("");
    let shown = value.to_string();
    if written.trim_end_matches(';') == shown {
        String::new()
    } else {
        format!(" (= {shown})")
    }
}

fn enum_conversions(out: &mut Out, name: &str, e: &Enum) {
    let unknown = &e.unknown;
    out.blank();
    out.line(format!("impl {name} {{"));
    out.doc(&[format!(
        "The member with wire value `v`; a value the IDL does not define gives \
         [`Self::{unknown}`]."
    )]);
    out.line("pub const fn from_i32(v: i32) -> Self {");
    out.line("match v {");
    for v in e.variants.iter().filter(|v| v.alias_of.is_none()) {
        out.line(format!("{} => Self::{},", v.value, v.rust_name));
    }
    out.line(format!(
        "other => Self::{unknown}({XDR}::UnknownValue::new(other)),"
    ));
    out.line("}");
    out.line("}");
    out.doc(&["The wire value.".to_owned()]);
    out.line("pub const fn to_i32(self) -> i32 {");
    out.line("match self {");
    for v in &e.variants {
        out.line(format!("Self::{} => {},", v.rust_name, v.value));
    }
    out.line(format!("Self::{unknown}(v) => v.get(),"));
    out.line("}");
    out.line("}");
    out.line("}");
}

/// A flags value as a Rust literal: `0`, or hexadecimal.
fn flag_literal(v: u32) -> String {
    if v == 0 {
        "0".to_owned()
    } else {
        format!("{v:#x}")
    }
}

/// An `@flags` enum: a `u32` newtype with one associated constant per member; the runtime's
/// `impl_flags!` adds set operations, a `Debug` that names the known bits and shows the rest in
/// hexadecimal, `Encode`/`Decode` as an `unsigned int` and (feature `arbitrary`) random values.
pub fn flags(out: &mut Out, item: &Item, f: &Flags) {
    let name = &item.rust_name;
    let fallback = format!("The flags `{}`.", item.idl_name);
    let mut doc = item_doc(item.comment.as_deref(), &fallback, &item.idl);
    let code = doc.iter().position(|l| l == "```text").unwrap_or(doc.len());
    doc.splice(
        code..code,
        [
            "A set of flags: combine the constants with `|`. Bits this build has no name"
                .to_owned(),
            "for are kept as they are.".to_owned(),
            String::new(),
        ],
    );
    out.doc(&doc);
    out.line("#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]");
    out.line(format!("pub struct {name}(pub u32);"));
    out.blank();
    if !f.flags.is_empty() {
        flag_consts(out, name, f);
        out.blank();
    }
    let zero = f.zero().map_or("empty", |z| z.rust_name.as_str());
    let known: Vec<&str> = f.flags.iter().map(|fl| fl.rust_name.as_str()).collect();
    out.line(format!(
        "{XDR}::impl_flags!({name}, zero = \"{zero}\", all = {}, known = [{}]);",
        flag_literal(f.known_bits()),
        known.join(", ")
    ));
}

/// The named bits of a flags type, as associated constants.
fn flag_consts(out: &mut Out, name: &str, f: &Flags) {
    out.line(format!("impl {name} {{"));
    for fl in &f.flags {
        let literal = flag_literal(fl.value);
        let written = fl.idl.rsplit(' ').next().unwrap_or_default();
        let note = if written.starts_with(|c: char| c.is_ascii_digit()) {
            String::new()
        } else {
            format!(" (= {literal})")
        };
        let mut doc = comment_paragraph(fl.comment.as_deref());
        doc.push(format!("`{}`{note}", fl.idl));
        out.doc(&doc);
        out.line(format!(
            "pub const {}: Self = Self({literal});",
            fl.rust_name
        ));
    }
    out.line("}");
}
