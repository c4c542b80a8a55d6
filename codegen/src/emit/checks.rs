//! Everything behind the runtime's feature `arbitrary`: random values of the generated types
//! (`Arbitrary`), and per module the tables of checks that `tests/roundtrip.rs` runs.
//!
//! Structs derive `Arbitrary`: a struct is canonical when its members are. Enums, flags and
//! unions get a hand-written impl that yields only **canonical** values, those decoding gives
//! back: `from_i32` for enums (never `Unknown(1)` when 1 is a member), any `u32` for flags, and
//! for unions a discriminant followed by the arm decoding would pick for it (the `default:` arm
//! only with a discriminant no `case` names).

use std::collections::HashSet;

use super::items::plain;
use super::out::Out;
use super::types::{Paths, XDR, rust_type};
use crate::model::{Bound, Enum, ItemKind, Module, RType, Union};
use crate::naming;

/// The attribute that puts an item behind the feature.
pub const CFG: &str = "#[cfg(feature = \"arbitrary\")]";

/// The derive for structs.
pub const DERIVE: &str = "#[cfg_attr(feature = \"arbitrary\", derive(::arbitrary::Arbitrary))]";

/// The type of a round-trip check (`check_round_trip::<T>`), defined in the `mod.rs`.
const ROUND_TRIP_FN: &str = "crate::proto::generated::RoundTripCheck";

/// The type of a bound check (`check_bound::<T>`), defined in the `mod.rs`.
const BOUND_FN: &str = "crate::proto::generated::BoundCheck";

/// `Arbitrary::arbitrary(u)?`, fully qualified.
const DRAW: &str = "::arbitrary::Arbitrary::arbitrary(u)?";

/// The first lines of a hand-written impl for `name`, up to the opening of `arbitrary`'s body.
fn impl_start(out: &mut Out, name: &str) {
    out.blank();
    out.line(CFG);
    out.line(format!("impl<'a> ::arbitrary::Arbitrary<'a> for {name} {{"));
    out.line("fn arbitrary(u: &mut ::arbitrary::Unstructured<'a>) -> ::arbitrary::Result<Self> {");
}

fn impl_end(out: &mut Out) {
    out.line("}");
    out.line("}");
}

/// `let {binding}: {int} = …;`: one of `values` three times in four, else any value.
fn mostly_one_of(out: &mut Out, binding: &str, int: &str, values: &[String]) {
    out.line(format!(
        "let {binding}: {int} = if u.ratio(3u8, 4u8)? {{ *u.choose(&[{}])? }} else {{ {DRAW} }};",
        values.join(", ")
    ));
}

/// An enum: mostly a member, sometimes any value, always through `from_i32` (what decoding
/// gives, so never a catch-all that holds a member's value, nor an alias).
pub fn enumeration(out: &mut Out, name: &str, e: &Enum) {
    impl_start(out, name);
    let values: Vec<String> = e
        .variants
        .iter()
        .filter(|v| v.alias_of.is_none())
        .map(|v| v.value.to_string())
        .collect();
    if values.is_empty() {
        out.line("::arbitrary::Arbitrary::arbitrary(u).map(Self::from_i32)");
    } else {
        out.line("// Mostly a member, sometimes any value: from_i32 keeps both canonical.");
        mostly_one_of(out, "v", "i32", &values);
        out.line("::core::result::Result::Ok(Self::from_i32(v))");
    }
    impl_end(out);
}

/// A union: as decoding does it, a discriminant and then the arm it selects. Without a
/// `default:` arm, the discriminant is one a `case` names; with one, mostly one a `case` names,
/// sometimes any value, which selects the `default:` arm only when no `case` names it.
pub fn union(out: &mut Out, name: &str, u: &Union) {
    impl_start(out, name);
    let int = u.discriminant_ty.rust_int();
    let arm_value = |ty: bool| {
        if ty {
            format!("({DRAW})")
        } else {
            String::new()
        }
    };
    // The default arm's value, for a discriminant in the local `discriminant`.
    let default_value = match &u.default {
        Some(d) if d.ty.is_some() => {
            format!("Self::{} {{ discriminant, value: {DRAW} }}", d.rust_name)
        }
        Some(d) => format!("Self::{}(discriminant)", d.rust_name),
        None => String::new(),
    };
    match (u.arms.as_slice(), &u.default) {
        ([], None) => {
            // The parser refuses such a union; nothing to make.
            out.line("let _ = u;");
            out.line("::core::result::Result::Err(::arbitrary::Error::IncorrectFormat)");
        }
        ([], Some(_)) => {
            out.line(format!("let discriminant: {int} = {DRAW};"));
            out.line(format!("::core::result::Result::Ok({default_value})"));
        }
        ([arm], None) => out.line(format!(
            "::core::result::Result::Ok(Self::{}{})",
            arm.rust_name,
            arm_value(arm.ty.is_some())
        )),
        (arms, None) => {
            out.line(format!(
                "::core::result::Result::Ok(match u.choose_index({})? {{",
                arms.len()
            ));
            for (i, arm) in arms.iter().enumerate() {
                let pat = if i + 1 == arms.len() {
                    "_".to_owned()
                } else {
                    i.to_string()
                };
                out.line(format!(
                    "{pat} => Self::{}{},",
                    arm.rust_name,
                    arm_value(arm.ty.is_some())
                ));
            }
            out.line("})");
        }
        (arms, Some(_)) => {
            let labels: Vec<String> = arms.iter().map(|a| a.value.to_string()).collect();
            out.line("// As decoding does: a discriminant, mostly one a case names, then its arm.");
            mostly_one_of(out, "discriminant", int, &labels);
            out.line("::core::result::Result::Ok(match discriminant {");
            for arm in arms {
                out.line(format!(
                    "{} => Self::{}{},",
                    arm.value,
                    arm.rust_name,
                    arm_value(arm.ty.is_some())
                ));
            }
            out.line(format!("discriminant => {default_value},"));
            out.line("})");
        }
    }
    impl_end(out);
}

/// A bounded wire type found in the module, and where it was first seen.
struct Bounded {
    /// The Rust type.
    ty: String,
    /// `Type` or `Type.field`.
    place: String,
}

/// What identifies a wire type regardless of how its bound is spelled (a constant or its
/// value).
fn wire_key(ty: &RType, p: Paths<'_>) -> String {
    let b = |b: &Bound| b.value().to_string();
    match ty {
        RType::Opaque(n) => format!("opaque<{}>", b(n)),
        RType::String(n) => format!("string<{}>", b(n)),
        RType::Chars(n) => format!("chars<{}>", b(n)),
        RType::Vec(inner, n) => format!("vec<{}, {}>", wire_key(inner, p), b(n)),
        RType::Array(inner, n) => format!("[{}; {}]", wire_key(inner, p), b(n)),
        RType::Option(inner, _) => format!("option<{}>", wire_key(inner, p)),
        other => rust_type(other, p),
    }
}

/// Whether `ty` certainly implements `Default` (which the runtime's bound check of `T x<N>`
/// needs of `T`). Items of other modules are assumed to: the resolver only tells this module
/// about its own (a wrong guess fails to compile with the feature, it cannot pass silently).
fn has_default(ty: &RType, m: &Module) -> bool {
    match ty {
        RType::Named(r) if r.module == m.program.module => m
            .items
            .iter()
            .find(|i| i.rust_name == r.rust_name)
            .is_none_or(|i| i.has_default),
        RType::Array(inner, n) => n.value() <= 32 && has_default(inner, m),
        _ => true,
    }
}

/// Collects the bounded types in `ty` (itself and what it contains).
fn collect_bounded(
    ty: &RType,
    place: &str,
    m: &Module,
    p: Paths<'_>,
    seen: &mut HashSet<String>,
    found: &mut Vec<Bounded>,
) {
    let (bound, inner) = match ty {
        RType::Opaque(b) | RType::String(b) | RType::Chars(b) => (Some(b), None),
        RType::Vec(inner, b) => (Some(b), Some(inner)),
        RType::Array(inner, _) | RType::Option(inner, _) => (None, Some(inner)),
        _ => (None, None),
    };
    if let Some(inner) = inner {
        collect_bounded(inner, place, m, p, seen, found);
    }
    let Some(bound) = bound else { return };
    if *bound == Bound::Unbounded {
        return;
    }
    if let RType::Vec(inner, _) = ty {
        if !has_default(inner, m) {
            return;
        }
    }
    if seen.insert(wire_key(ty, p)) {
        found.push(Bounded {
            ty: rust_type(ty, p),
            place: place.to_owned(),
        });
    }
}

/// The module's bounded types, each once, in the order first seen.
fn bounded_types(m: &Module, p: Paths<'_>) -> Vec<Bounded> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for item in &m.items {
        let name = &item.rust_name;
        let mut visit = |ty: &RType, field: Option<&str>| {
            let place = match field {
                Some(f) => format!("{name}.{}", plain(f)),
                None => name.clone(),
            };
            collect_bounded(ty, &place, m, p, &mut seen, &mut found);
        };
        match &item.kind {
            ItemKind::Typedef(ty) => visit(ty, None),
            ItemKind::Struct(fields) => {
                for f in fields {
                    visit(&f.ty, Some(&f.rust_name));
                }
            }
            ItemKind::Union(u) => {
                for arm in &u.arms {
                    if let (Some(ty), Some(field)) = (&arm.ty, &arm.field) {
                        visit(ty, Some(&naming::field_name(field)));
                    }
                }
                if let Some(d) = &u.default {
                    if let (Some(ty), Some(field)) = (&d.ty, &d.field) {
                        visit(ty, Some(&naming::field_name(field)));
                    }
                }
            }
            ItemKind::Enum(_) | ItemKind::Flags(_) => {}
        }
    }
    found
}

/// `ROUND_TRIP_CHECKS` (every type of the module) and `BOUND_CHECKS` (every bounded wire type
/// used in it, once).
pub fn tables(out: &mut Out, m: &Module) {
    let p = Paths {
        module: &m.program.module,
        local: "",
    };
    out.doc(&[
        "Round-trip checks of every type of this module (feature `arbitrary`): a random value"
            .to_owned(),
        "encodes to as many bytes as `encoded_len` says and decodes back to itself.".to_owned(),
    ]);
    out.line(CFG);
    out.line(format!(
        "pub static ROUND_TRIP_CHECKS: &[(&str, {ROUND_TRIP_FN})] = &["
    ));
    for item in &m.items {
        out.line(format!(
            "(\"{0}\", {XDR}::check_round_trip::<{0}>),",
            item.rust_name
        ));
    }
    out.line("];");
    out.blank();
    out.doc(&[
        "Bound checks of every bounded type used in this module (feature `arbitrary`): one item"
            .to_owned(),
        "past the bound is refused, building a value and decoding. Each is named after the first"
            .to_owned(),
        "type (and member) that uses it.".to_owned(),
    ]);
    out.line(CFG);
    out.line(format!(
        "pub static BOUND_CHECKS: &[(&str, {BOUND_FN})] = &["
    ));
    for b in bounded_types(m, p) {
        out.line(format!(
            "(\"{}\", {XDR}::check_bound::<{}>),",
            b.place, b.ty
        ));
    }
    out.line("];");
}

/// In the `mod.rs` of the generated types: the types of the checks, and every module's
/// tables.
pub fn all_tables(out: &mut Out, modules: &[(&str, &str)]) {
    out.blank();
    out.doc(&[
        "A round-trip check of one type, `crate::proto::xdr::check_round_trip::<T>` (feature"
            .to_owned(),
        "`arbitrary`).".to_owned(),
    ]);
    out.line(CFG);
    out.line(
        "pub type RoundTripCheck = fn(&mut ::arbitrary::Unstructured<'_>) -> \
         ::core::result::Result<(), ::std::string::String>;",
    );
    out.blank();
    out.doc(&[
        "A bound check of one bounded type, `crate::proto::xdr::check_bound::<T>` (feature"
            .to_owned(),
        "`arbitrary`).".to_owned(),
    ]);
    out.line(CFG);
    out.line("pub type BoundCheck = fn() -> ::core::result::Result<(), ::std::string::String>;");
    out.blank();
    out.doc(&["The checks of one module (feature `arbitrary`).".to_owned()]);
    out.line(CFG);
    out.line("#[derive(Debug, Clone, Copy)]");
    out.line("pub struct ModuleChecks {");
    out.doc(&["The module's name.".to_owned()]);
    out.line("pub module: &'static str,");
    out.doc(&["Its `ROUND_TRIP_CHECKS`.".to_owned()]);
    out.line("pub round_trips: &'static [(&'static str, RoundTripCheck)],");
    out.doc(&["Its `BOUND_CHECKS`.".to_owned()]);
    out.line("pub bounds: &'static [(&'static str, BoundCheck)],");
    out.line("}");
    out.blank();
    out.doc(&["The checks of every module (feature `arbitrary`).".to_owned()]);
    out.line(CFG);
    out.line("pub static CHECKS: &[ModuleChecks] = &[");
    for (name, _) in modules {
        out.line(format!(
            "ModuleChecks {{ module: \"{name}\", round_trips: {name}::ROUND_TRIP_CHECKS, \
             bounds: {name}::BOUND_CHECKS }},"
        ));
    }
    out.line("];");
}
