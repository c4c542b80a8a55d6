//! Prints definitions back as canonical IDL text (for the generated doc comments). Comments
//! and annotation blocks are left out (except `@flags`, which changes what an enum or member is);
//! spacing is normalised.

use crate::ast::{Declaration, Definition, DefinitionKind, EnumMember, Shape, TypeSpec, Union};

/// A type specifier as written in IDL.
pub fn type_spec(ty: &TypeSpec) -> &str {
    match ty {
        TypeSpec::Int => "int",
        TypeSpec::UnsignedInt => "unsigned int",
        TypeSpec::Hyper => "hyper",
        TypeSpec::UnsignedHyper => "unsigned hyper",
        TypeSpec::Short => "short",
        TypeSpec::UnsignedShort => "unsigned short",
        TypeSpec::Float => "float",
        TypeSpec::Double => "double",
        TypeSpec::Bool => "bool",
        TypeSpec::Char => "char",
        TypeSpec::UnsignedChar => "unsigned char",
        TypeSpec::Opaque => "opaque",
        TypeSpec::String => "string",
        TypeSpec::Void => "void",
        TypeSpec::Named(n) => n,
    }
}

/// A declaration without its `;`: `unsigned int prog`, `opaque uuid[VIR_UUID_BUFLEN]`, `void`.
pub fn declaration(d: &Declaration) -> String {
    let ty = type_spec(&d.ty);
    let Some(name) = &d.name else {
        return ty.to_owned();
    };
    match &d.shape {
        Shape::Scalar => format!("{ty} {name}"),
        Shape::Optional => format!("{ty} *{name}"),
        Shape::Fixed(n) => format!("{ty} {name}[{}]", n.text()),
        Shape::Variable(Some(n)) => format!("{ty} {name}<{}>", n.text()),
        Shape::Variable(None) => format!("{ty} {name}<>"),
    }
}

/// An enum member without separator: `VIR_NET_CALL = 0`.
pub fn enum_member(m: &EnumMember) -> String {
    format!("{} = {}", m.name, m.value.text())
}

/// A string literal as written: quoted, with `"` and `\\` escaped.
pub fn string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A whole definition, `;` included, on as many lines as it needs.
pub fn definition(def: &Definition) -> String {
    let name = &def.name;
    match &def.kind {
        DefinitionKind::Const(v) => format!("const {name} = {};", v.text()),
        DefinitionKind::StringConst(text) => format!("const {name} = {};", string(text)),
        DefinitionKind::Typedef(d) => format!("typedef {};", declaration(d)),
        DefinitionKind::Enum(members) => {
            let body: Vec<String> = members
                .iter()
                .map(|m| format!("    {}", enum_member(m)))
                .collect();
            let doc = if def.has_tag("flags") {
                "/** @flags */\n"
            } else {
                ""
            };
            let body = if body.is_empty() {
                String::new()
            } else {
                format!("{}\n", body.join(",\n"))
            };
            format!("{doc}enum {name} {{\n{body}}};")
        }
        DefinitionKind::Struct(fields) => {
            let body: String = fields
                .iter()
                .map(|f| match &f.flags {
                    Some((flags, _)) => {
                        format!("    /** @flags: {flags} */\n    {};\n", declaration(f))
                    }
                    None => format!("    {};\n", declaration(f)),
                })
                .collect();
            format!("struct {name} {{\n{body}}};")
        }
        DefinitionKind::Union(u) => union(name, u),
    }
}

fn union(name: &str, u: &Union) -> String {
    let mut out = format!(
        "union {name} switch ({}) {{\n",
        declaration(&u.discriminant)
    );
    for arm in &u.arms {
        for label in &arm.labels {
            out.push_str(&format!("case {}:\n", label.text()));
        }
        out.push_str(&format!("    {};\n", declaration(&arm.decl)));
    }
    if let Some(d) = &u.default {
        out.push_str(&format!("default:\n    {};\n", declaration(d)));
    }
    out.push_str("};");
    out
}
