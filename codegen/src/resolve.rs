//! Second pass: resolves the names of one file against itself and the files in its scope,
//! evaluates constants and builds the [`model`](crate::model) that the emitters print.
//!
//! Diagnosed here: a name defined twice, an undefined type or constant, a constant defined in
//! terms of itself, a string constant where a number is needed (bound, case label, enum value,
//! constant), a bound that is not a non-negative 32-bit integer, an enum value outside `i32`,
//! a flag outside `u32`, a union label outside its discriminant's type or used twice, two IDL
//! names that become the same Rust name. Procedures are matched in [`crate::libvirt`].

use std::collections::HashMap;

use crate::analysis;
use crate::ast::{
    Declaration, Definition, DefinitionKind, EnumMember, Shape, Spec, TypeSpec, Value,
};
use crate::error::{Error, Errors, Pos};
use crate::idl;
use crate::libvirt;
use crate::model::{
    Arm, Bound, Const, DefaultArm, Discriminant, Enum, Field, Flag, Flags, Item, ItemKind, Module,
    RType, StringConst, TypeRef, Union, Variant,
};
use crate::naming;
use crate::programs::Program;

/// What kind of type a name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Typedef,
    Struct,
    Enum,
    Flags,
    Union,
}

#[derive(Debug, Clone)]
struct TypeSym {
    r: TypeRef,
    tag: Tag,
}

#[derive(Debug, Clone)]
struct ConstSym {
    module: String,
    rust_name: String,
}

#[derive(Debug, Clone)]
struct MemberSym {
    enum_idl: String,
    variant: String,
}

/// Where a name was defined, for "defined twice" messages.
#[derive(Debug, Clone)]
enum Origin {
    Local(Pos),
    Dep(String),
}

/// Resolves `spec`, the file of `program`, against the already resolved modules in its scope.
pub fn resolve(program: &Program, spec: &Spec, deps: &[&Module]) -> Result<Module, Errors> {
    let mut cx = Resolver::new(program, spec, deps);
    cx.declare_locals();
    cx.evaluate_locals();
    cx.check_rust_names();
    let consts = cx.consts();
    let strings = cx.strings();
    let mut items = cx.items();
    let procs = libvirt::procedures(program, spec, &items, &mut cx.errors);
    let program_consts = libvirt::program_consts(program, spec, &consts, &mut cx.errors);
    analysis::analyse(&program.module, &mut items, deps);
    let mut warnings = Vec::new();
    if program.proc_prefix.is_some() {
        warnings = libvirt::orphan_structs(program, spec, &procs);
    }
    let module = Module {
        program: program.clone(),
        comment: spec.comment.clone(),
        consts,
        strings,
        items,
        procedures: procs,
        program_consts,
        warnings,
    };
    cx.errors.into_result(module)
}

struct Resolver<'a> {
    program: &'a Program,
    spec: &'a Spec,
    file: &'a str,
    origins: HashMap<String, Origin>,
    types: HashMap<String, TypeSym>,
    consts: HashMap<String, ConstSym>,
    strings: HashMap<String, ConstSym>,
    members: HashMap<String, MemberSym>,
    values: HashMap<String, i128>,
    raw_values: HashMap<String, &'a Value>,
    errors: Errors,
}

impl<'a> Resolver<'a> {
    fn new(program: &'a Program, spec: &'a Spec, deps: &[&Module]) -> Self {
        let mut cx = Resolver {
            program,
            spec,
            file: &spec.file,
            origins: HashMap::new(),
            types: HashMap::new(),
            consts: HashMap::new(),
            strings: HashMap::new(),
            members: HashMap::new(),
            values: HashMap::new(),
            raw_values: HashMap::new(),
            errors: Errors::default(),
        };
        for dep in deps {
            cx.import(dep);
        }
        cx
    }

    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(Error::at(self.file, pos, message));
    }

    /// Makes the definitions of an already resolved module visible.
    fn import(&mut self, dep: &Module) {
        let origin = Origin::Dep(dep.program.file.clone());
        for c in &dep.consts {
            self.origins.insert(c.idl_name.clone(), origin.clone());
            self.values.insert(c.idl_name.clone(), c.value);
            self.consts.insert(
                c.idl_name.clone(),
                ConstSym {
                    module: dep.program.module.clone(),
                    rust_name: c.rust_name.clone(),
                },
            );
        }
        for c in &dep.strings {
            self.origins.insert(c.idl_name.clone(), origin.clone());
            self.strings.insert(
                c.idl_name.clone(),
                ConstSym {
                    module: dep.program.module.clone(),
                    rust_name: c.rust_name.clone(),
                },
            );
        }
        for item in &dep.items {
            self.origins.insert(item.idl_name.clone(), origin.clone());
            let (tag, members): (Tag, Vec<(&String, &String, i128)>) = match &item.kind {
                ItemKind::Typedef(_) => (Tag::Typedef, Vec::new()),
                ItemKind::Struct(_) => (Tag::Struct, Vec::new()),
                ItemKind::Enum(e) => (
                    Tag::Enum,
                    e.variants
                        .iter()
                        .map(|v| (&v.idl_name, &v.rust_name, i128::from(v.value)))
                        .collect(),
                ),
                ItemKind::Flags(f) => (
                    Tag::Flags,
                    f.flags
                        .iter()
                        .map(|v| (&v.idl_name, &v.rust_name, i128::from(v.value)))
                        .collect(),
                ),
                ItemKind::Union(_) => (Tag::Union, Vec::new()),
            };
            for (idl_name, rust_name, value) in members {
                self.origins.insert(idl_name.clone(), origin.clone());
                self.values.insert(idl_name.clone(), value);
                self.members.insert(
                    idl_name.clone(),
                    MemberSym {
                        enum_idl: item.idl_name.clone(),
                        variant: rust_name.clone(),
                    },
                );
            }
            let r = TypeRef {
                module: dep.program.module.clone(),
                rust_name: item.rust_name.clone(),
                idl_name: item.idl_name.clone(),
            };
            self.types.insert(item.idl_name.clone(), TypeSym { r, tag });
        }
    }

    /// Records a local name; false (and an error) when it is already taken.
    fn claim(&mut self, name: &str, pos: Pos) -> bool {
        match self.origins.get(name) {
            Some(Origin::Local(first)) => {
                let first = *first;
                self.error(pos, format!("`{name}` is already defined at {first}"));
                false
            }
            Some(Origin::Dep(file)) => {
                let file = file.clone();
                self.error(pos, format!("`{name}` is already defined in {file}"));
                false
            }
            None => {
                self.origins.insert(name.to_owned(), Origin::Local(pos));
                true
            }
        }
    }

    fn local_ref(&self, idl_name: &str) -> TypeRef {
        TypeRef {
            module: self.program.module.clone(),
            rust_name: naming::type_name(idl_name, &self.program.type_prefix),
            idl_name: idl_name.to_owned(),
        }
    }

    fn declare_locals(&mut self) {
        let spec = self.spec;
        for def in &spec.definitions {
            if !self.claim(&def.name, def.pos) {
                continue;
            }
            let tag = match &def.kind {
                DefinitionKind::Const(v) => {
                    self.declare_const(&def.name, v);
                    continue;
                }
                DefinitionKind::StringConst(_) => {
                    let sym = ConstSym {
                        module: self.program.module.clone(),
                        rust_name: naming::const_name(&def.name, &self.program.const_prefix),
                    };
                    self.strings.insert(def.name.clone(), sym);
                    continue;
                }
                DefinitionKind::Typedef(_) => Tag::Typedef,
                DefinitionKind::Struct(_) => Tag::Struct,
                DefinitionKind::Union(_) => Tag::Union,
                DefinitionKind::Enum(members) => {
                    self.declare_members(def, members);
                    if def.has_tag("flags") {
                        Tag::Flags
                    } else {
                        Tag::Enum
                    }
                }
            };
            let r = self.local_ref(&def.name);
            self.types.insert(def.name.clone(), TypeSym { r, tag });
        }
    }

    fn declare_const(&mut self, name: &str, value: &'a Value) {
        self.raw_values.insert(name.to_owned(), value);
        self.consts.insert(
            name.to_owned(),
            ConstSym {
                module: self.program.module.clone(),
                rust_name: naming::const_name(name, &self.program.const_prefix),
            },
        );
    }

    fn declare_members(&mut self, def: &Definition, members: &'a [EnumMember]) {
        let names = self.variant_names(def, members);
        for (m, variant) in members.iter().zip(names) {
            if !self.claim(&m.name, m.pos) {
                continue;
            }
            self.raw_values.insert(m.name.clone(), &m.value);
            self.members.insert(
                m.name.clone(),
                MemberSym {
                    enum_idl: def.name.clone(),
                    variant,
                },
            );
        }
    }

    /// Rust names of an enum's members: `<PREFIX>_PROC_` stripped for the procedure enum,
    /// the common prefix (or the program's override) for any other; constant names for the
    /// members of a flags enum.
    fn variant_names(&mut self, def: &Definition, members: &[EnumMember]) -> Vec<String> {
        let idl: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        let prefix = self
            .program
            .variant_prefixes
            .iter()
            .find(|(e, _)| *e == def.name)
            .map(|(_, p)| p.as_str());
        if def.has_tag("flags") {
            return naming::flag_names(&idl, prefix);
        }
        if libvirt::is_procedure_enum(self.program, &def.name) {
            let prefix = libvirt::member_prefix(self.program);
            let mut names = Vec::new();
            for m in members {
                match naming::procedure_name(&m.name, &prefix) {
                    Some(rest) => names.push(naming::variant_name(rest)),
                    None => {
                        self.error(
                            m.pos,
                            format!("procedure `{}` does not start with `{prefix}`", m.name),
                        );
                        names.push(naming::variant_name(&m.name));
                    }
                }
            }
            names
        } else {
            match prefix {
                Some(p) => naming::variant_names_with_prefix(&idl, p),
                None => naming::variant_names(&idl),
            }
        }
    }

    fn evaluate_locals(&mut self) {
        let names: Vec<(String, Pos)> = self
            .spec
            .definitions
            .iter()
            .flat_map(|d| match &d.kind {
                DefinitionKind::Const(_) => vec![(d.name.clone(), d.pos)],
                DefinitionKind::Enum(ms) => ms.iter().map(|m| (m.name.clone(), m.pos)).collect(),
                _ => Vec::new(),
            })
            .collect();
        for (name, pos) in names {
            // A name defined twice was not declared the second time (already reported).
            if self.raw_values.contains_key(&name) {
                self.eval_name(&name, pos, &mut Vec::new());
            }
        }
    }

    fn eval_name(&mut self, name: &str, pos: Pos, stack: &mut Vec<String>) -> Option<i128> {
        if let Some(v) = self.values.get(name) {
            return Some(*v);
        }
        let Some(raw) = self.raw_values.get(name).copied() else {
            let msg = if self.strings.contains_key(name) {
                format!("`{name}` is a string constant; a number is needed here")
            } else {
                format!("undefined constant `{name}`")
            };
            self.error(pos, msg);
            return None;
        };
        if stack.iter().any(|s| s == name) {
            self.error(
                pos,
                format!("constant `{name}` is defined in terms of itself"),
            );
            return None;
        }
        stack.push(name.to_owned());
        let value = match raw {
            Value::Number { value, .. } => Some(*value),
            Value::Name { name: inner, pos } => self.eval_name(inner, *pos, stack),
        };
        stack.pop();
        let value = value?;
        self.values.insert(name.to_owned(), value);
        Some(value)
    }

    fn eval(&mut self, v: &Value) -> Option<i128> {
        match v {
            Value::Number { value, .. } => Some(*value),
            Value::Name { name, pos } => self.eval_name(name, *pos, &mut Vec::new()),
        }
    }

    /// Two IDL names of this file that would become one Rust name.
    fn check_rust_names(&mut self) {
        let mut types: HashMap<String, String> = HashMap::new();
        let mut values: HashMap<String, String> = HashMap::new();
        if self.program.proc_prefix.is_some() {
            values.insert("PROCEDURES".into(), "the procedure table".into());
        }
        let spec = self.spec;
        for def in &spec.definitions {
            if !matches!(self.origins.get(&def.name), Some(Origin::Local(p)) if *p == def.pos) {
                continue; // defined twice: already reported
            }
            let (map, rust) = match &def.kind {
                DefinitionKind::Const(_) => match self.consts.get(&def.name) {
                    Some(c) => (&mut values, c.rust_name.clone()),
                    None => continue,
                },
                DefinitionKind::StringConst(_) => match self.strings.get(&def.name) {
                    Some(c) => (&mut values, c.rust_name.clone()),
                    None => continue,
                },
                _ => (
                    &mut types,
                    naming::type_name(&def.name, &self.program.type_prefix),
                ),
            };
            if let Some(first) = map.insert(rust.clone(), def.name.clone()) {
                let msg = format!(
                    "`{}` and `{first}` would both be named `{rust}` in Rust",
                    def.name
                );
                self.error(def.pos, msg);
            }
        }
    }

    fn consts(&mut self) -> Vec<Const> {
        let spec = self.spec;
        let mut out = Vec::new();
        for def in &spec.definitions {
            let DefinitionKind::Const(value) = &def.kind else {
                continue;
            };
            let Some(v) = self.values.get(&def.name).copied() else {
                continue;
            };
            let Some(sym) = self.consts.get(&def.name) else {
                continue;
            };
            out.push(Const {
                idl_name: def.name.clone(),
                rust_name: sym.rust_name.clone(),
                value: v,
                literal: const_literal(value, v),
                comment: def.comment.clone(),
                idl: idl::definition(def),
            });
        }
        out
    }

    fn strings(&mut self) -> Vec<StringConst> {
        let spec = self.spec;
        let mut out = Vec::new();
        for def in &spec.definitions {
            let DefinitionKind::StringConst(text) = &def.kind else {
                continue;
            };
            let Some(sym) = self.strings.get(&def.name) else {
                continue;
            };
            out.push(StringConst {
                idl_name: def.name.clone(),
                rust_name: sym.rust_name.clone(),
                value: text.clone(),
                comment: def.comment.clone(),
                idl: idl::definition(def),
            });
        }
        out
    }

    fn items(&mut self) -> Vec<Item> {
        let spec = self.spec;
        let mut out = Vec::new();
        for def in &spec.definitions {
            let kind = match &def.kind {
                DefinitionKind::Const(_) | DefinitionKind::StringConst(_) => continue,
                DefinitionKind::Enum(members) if def.has_tag("flags") => {
                    self.flags(members).map(ItemKind::Flags)
                }
                DefinitionKind::Typedef(d) => self.rtype(d).map(ItemKind::Typedef),
                DefinitionKind::Struct(fields) => self.fields(fields).map(ItemKind::Struct),
                DefinitionKind::Enum(members) => self.enumeration(members).map(ItemKind::Enum),
                DefinitionKind::Union(u) => self.union(def, u).map(ItemKind::Union),
            };
            let Some(kind) = kind else { continue };
            out.push(Item {
                idl_name: def.name.clone(),
                rust_name: naming::type_name(&def.name, &self.program.type_prefix),
                comment: def.comment.clone(),
                idl: idl::definition(def),
                kind,
                has_default: true,
                large_variant: false,
            });
        }
        out
    }

    fn fields(&mut self, decls: &[Declaration]) -> Option<Vec<Field>> {
        let mut out = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut ok = true;
        for d in decls {
            let idl_name = d.name.clone().unwrap_or_default();
            let rust_name = naming::field_name(&idl_name);
            if let Some(first) = seen.insert(rust_name.clone(), idl_name.clone()) {
                self.error(d.pos, format!("members `{first}` and `{idl_name}` would both be named `{rust_name}` in Rust"));
                ok = false;
            }
            let ty = match &d.flags {
                Some((name, pos)) => self.flags_member(d, name, *pos),
                None => self.rtype(d),
            };
            match ty {
                Some(ty) => out.push(Field {
                    idl_name,
                    rust_name,
                    ty,
                    idl: idl::declaration(d),
                }),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The type of a member annotated `/** @flags: NAME */`: the flags type `NAME`, which
    /// must be a flags enum in scope, for an `unsigned int` or `int` member (the same four
    /// bytes on the wire).
    fn flags_member(&mut self, d: &Declaration, name: &str, pos: Pos) -> Option<RType> {
        if !matches!(d.ty, TypeSpec::UnsignedInt | TypeSpec::Int) || d.shape != Shape::Scalar {
            let msg = format!(
                "`@flags: {name}` is for a scalar `unsigned int` or `int` member, not `{}`",
                idl::declaration(d)
            );
            self.error(pos, msg);
            return None;
        }
        match self.types.get(name) {
            Some(sym) if sym.tag == Tag::Flags => Some(RType::Named(sym.r.clone())),
            Some(_) => {
                self.error(pos, format!("`{name}` is not a `@flags` enum"));
                None
            }
            None => {
                self.error(pos, format!("undefined flags type `{name}`"));
                None
            }
        }
    }

    fn enumeration(&mut self, members: &[EnumMember]) -> Option<Enum> {
        let mut variants: Vec<Variant> = Vec::new();
        let mut ok = true;
        for m in members {
            let (Some(value), Some(variant)) = (
                self.values.get(&m.name).copied(),
                self.members.get(&m.name).map(|s| s.variant.clone()),
            ) else {
                ok = false;
                continue;
            };
            let Ok(value) = i32::try_from(value) else {
                self.error(
                    m.pos,
                    format!("enum member `{}` = {value} does not fit in an int", m.name),
                );
                ok = false;
                continue;
            };
            if let Some(same) = variants.iter().find(|v| v.rust_name == variant) {
                let msg = format!(
                    "members `{}` and `{}` would both be named `{variant}` in Rust",
                    same.idl_name, m.name
                );
                self.error(m.pos, msg);
                ok = false;
            }
            let alias_of = variants
                .iter()
                .find(|v| v.value == value && v.alias_of.is_none())
                .map(|v| v.idl_name.clone());
            variants.push(Variant {
                idl_name: m.name.clone(),
                rust_name: variant,
                value,
                idl: idl::enum_member(m),
                comment: m.comment.clone(),
                doc: m.doc.clone(),
                alias_of,
            });
        }
        let taken = |n: &str| variants.iter().any(|v| v.rust_name == n);
        let unknown = if taken("Unknown") {
            "UnknownValue"
        } else {
            "Unknown"
        }
        .to_owned();
        ok.then_some(Enum { variants, unknown })
    }

    fn flags(&mut self, members: &[EnumMember]) -> Option<Flags> {
        let mut flags: Vec<Flag> = Vec::new();
        let mut ok = true;
        for m in members {
            let (Some(value), Some(name)) = (
                self.values.get(&m.name).copied(),
                self.members.get(&m.name).map(|s| s.variant.clone()),
            ) else {
                ok = false;
                continue;
            };
            let Ok(value) = u32::try_from(value) else {
                self.error(
                    m.pos,
                    format!(
                        "flag `{}` = {value} does not fit in an unsigned int",
                        m.name
                    ),
                );
                ok = false;
                continue;
            };
            if let Some(same) = flags.iter().find(|f| f.rust_name == name) {
                let msg = format!(
                    "members `{}` and `{}` would both be named `{name}` in Rust",
                    same.idl_name, m.name
                );
                self.error(m.pos, msg);
                ok = false;
            }
            flags.push(Flag {
                idl_name: m.name.clone(),
                rust_name: name,
                value,
                idl: idl::enum_member(m),
                comment: m.comment.clone(),
            });
        }
        ok.then_some(Flags { flags })
    }

    /// The Rust type of a (non-void) declaration.
    fn rtype(&mut self, d: &Declaration) -> Option<RType> {
        let elem = self.element(d)?;
        Some(match &d.shape {
            Shape::Scalar => elem,
            Shape::Optional => RType::Option(Box::new(elem), false),
            Shape::Fixed(n) => {
                let b = self.bound(n, d.pos)?;
                match d.ty {
                    TypeSpec::Opaque => RType::FixedOpaque(b),
                    TypeSpec::Char | TypeSpec::UnsignedChar => RType::FixedChars(b),
                    _ => RType::Array(Box::new(elem), b),
                }
            }
            Shape::Variable(n) => {
                let b = match n {
                    Some(n) => self.bound(n, d.pos)?,
                    None => Bound::Unbounded,
                };
                match d.ty {
                    TypeSpec::Opaque => RType::Opaque(b),
                    TypeSpec::String => RType::String(b),
                    TypeSpec::Char | TypeSpec::UnsignedChar => RType::Chars(b),
                    _ => RType::Vec(Box::new(elem), b),
                }
            }
        })
    }

    /// The element type of a declaration (for opaque and string, a placeholder the shape
    /// replaces).
    fn element(&mut self, d: &Declaration) -> Option<RType> {
        Some(match &d.ty {
            TypeSpec::Int => RType::I32,
            TypeSpec::Char => RType::I8,
            TypeSpec::Short => RType::I16,
            TypeSpec::Opaque | TypeSpec::String => RType::I32,
            TypeSpec::UnsignedInt => RType::U32,
            TypeSpec::UnsignedChar => RType::U8,
            TypeSpec::UnsignedShort => RType::U16,
            TypeSpec::Hyper => RType::I64,
            TypeSpec::UnsignedHyper => RType::U64,
            TypeSpec::Float => RType::F32,
            TypeSpec::Double => RType::F64,
            TypeSpec::Bool => RType::Bool,
            TypeSpec::Void => {
                self.error(d.pos, "`void` is only allowed as a union arm");
                return None;
            }
            TypeSpec::Named(name) => match self.types.get(name) {
                Some(sym) => RType::Named(sym.r.clone()),
                None => {
                    self.error(d.ty_pos, format!("undefined type `{name}`"));
                    return None;
                }
            },
        })
    }

    fn bound(&mut self, v: &Value, decl_pos: Pos) -> Option<Bound> {
        let value = self.eval(v)?;
        let pos = match v {
            Value::Name { pos, .. } => *pos,
            Value::Number { .. } => decl_pos,
        };
        let Ok(n) = u32::try_from(value) else {
            self.error(
                pos,
                format!(
                    "bound `{}` = {value} is not a non-negative 32-bit integer",
                    v.text()
                ),
            );
            return None;
        };
        Some(match v {
            Value::Name { name, .. } => match self.consts.get(name) {
                Some(c) => Bound::Const {
                    module: c.module.clone(),
                    rust_name: c.rust_name.clone(),
                    value: n,
                },
                None => Bound::Literal(n),
            },
            Value::Number { .. } => Bound::Literal(n),
        })
    }

    fn discriminant(&mut self, d: &Declaration) -> Option<Discriminant> {
        match (&d.ty, &d.shape) {
            (TypeSpec::Int, Shape::Scalar) => Some(Discriminant::Int),
            (TypeSpec::UnsignedInt, Shape::Scalar) => Some(Discriminant::Unsigned),
            (TypeSpec::Named(n), Shape::Scalar)
                if self.types.get(n).is_some_and(|s| s.tag == Tag::Enum) =>
            {
                Some(Discriminant::Enum(self.types[n].r.clone()))
            }
            (TypeSpec::Named(n), Shape::Scalar) if !self.types.contains_key(n) => {
                self.error(d.ty_pos, format!("undefined type `{n}`"));
                None
            }
            _ => {
                self.error(
                    d.ty_pos,
                    "a union discriminant must be `int`, `unsigned int` or an enum",
                );
                None
            }
        }
    }

    fn union(&mut self, def: &Definition, u: &crate::ast::Union) -> Option<Union> {
        let discriminant_ty = self.discriminant(&u.discriminant)?;
        let arms = self.arms(def, u, &discriminant_ty)?;
        let default = match &u.default {
            Some(d) => Some(self.default_arm(d, &arms)?),
            None => None,
        };
        Some(Union {
            discriminant: u.discriminant.name.clone().unwrap_or_default(),
            discriminant_ty,
            arms,
            default,
        })
    }

    fn arm_type(&mut self, d: &Declaration) -> Option<Option<RType>> {
        if d.ty == TypeSpec::Void {
            Some(None)
        } else {
            self.rtype(d).map(Some)
        }
    }

    fn arms(
        &mut self,
        def: &Definition,
        u: &crate::ast::Union,
        disc: &Discriminant,
    ) -> Option<Vec<Arm>> {
        let names = self.label_names(u, disc);
        let mut arms: Vec<Arm> = Vec::new();
        let mut ok = true;
        let mut names = names.into_iter();
        for arm in &u.arms {
            let ty = self.arm_type(&arm.decl);
            ok &= ty.is_some();
            for label in &arm.labels {
                let rust_name = names.next().unwrap_or_default();
                let pos = match label {
                    Value::Name { pos, .. } => *pos,
                    Value::Number { .. } => arm.decl.pos,
                };
                let Some(value) = self.label_value(label, disc, pos) else {
                    ok = false;
                    continue;
                };
                if let Some(same) = arms
                    .iter()
                    .find(|a| a.value == value || a.rust_name == rust_name)
                {
                    let msg = format!(
                        "case `{}` of union `{}` clashes with case `{}`",
                        label.text(),
                        def.name,
                        same.label
                    );
                    self.error(pos, msg);
                    ok = false;
                }
                arms.push(Arm {
                    label: label.text().to_owned(),
                    value,
                    rust_name,
                    field: arm.decl.name.clone(),
                    ty: ty.clone().flatten(),
                    idl: format!("case {}: {};", label.text(), idl::declaration(&arm.decl)),
                });
            }
        }
        ok.then_some(arms)
    }

    /// Variant names for every label, in order: the discriminant enum's own variant name for
    /// its members, `V<n>` for numbers, and for other constants their names with the prefix
    /// they all share stripped.
    fn label_names(&self, u: &crate::ast::Union, disc: &Discriminant) -> Vec<String> {
        let labels: Vec<&Value> = u.arms.iter().flat_map(|a| &a.labels).collect();
        let member_of_disc = |name: &str| match disc {
            Discriminant::Enum(r) => self.members.get(name).filter(|m| m.enum_idl == r.idl_name),
            _ => None,
        };
        let others: Vec<&str> = labels
            .iter()
            .filter_map(|l| match l {
                Value::Name { name, .. } if member_of_disc(name).is_none() => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let mut other_names = naming::variant_names(&others).into_iter();
        labels
            .iter()
            .map(|l| match l {
                Value::Number { value, .. } if *value < 0 => format!("VMinus{}", -value),
                Value::Number { value, .. } => format!("V{value}"),
                Value::Name { name, .. } => match member_of_disc(name) {
                    Some(m) => m.variant.clone(),
                    None => other_names.next().unwrap_or_default(),
                },
            })
            .collect()
    }

    fn label_value(&mut self, label: &Value, disc: &Discriminant, pos: Pos) -> Option<i64> {
        let v = self.eval(label)?;
        let fits = match disc {
            Discriminant::Unsigned => u32::try_from(v).is_ok(),
            Discriminant::Int | Discriminant::Enum(_) => i32::try_from(v).is_ok(),
        };
        if !fits {
            let ty = disc.rust_int();
            self.error(
                pos,
                format!(
                    "case `{}` = {v} does not fit the discriminant ({ty})",
                    label.text()
                ),
            );
            return None;
        }
        i64::try_from(v).ok()
    }

    fn default_arm(&mut self, d: &Declaration, arms: &[Arm]) -> Option<DefaultArm> {
        let ty = self.arm_type(d)?;
        let base = if ty.is_some() { "Default" } else { "Unknown" };
        let rust_name = if arms.iter().any(|a| a.rust_name == base) {
            format!("{base}Arm")
        } else {
            base.to_owned()
        };
        Some(DefaultArm {
            rust_name,
            field: d.name.clone(),
            ty,
            idl: format!("default: {};", idl::declaration(d)),
        })
    }
}

/// The Rust literal for a constant: hexadecimal and octal spellings are kept (`0x20008086`,
/// `0o17`), anything else is the decimal value.
fn const_literal(v: &Value, value: i128) -> String {
    if let Value::Number { text, .. } = v {
        let (sign, digits) = match text.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", text.as_str()),
        };
        if let Some(hex) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            return format!("{sign}0x{hex}");
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return format!("{sign}0o{}", &digits[1..]);
        }
    }
    value.to_string()
}
