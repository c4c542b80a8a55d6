//! Resolution errors: every problem of a file is reported, each as `file:line:col: message`.

use virtwire_codegen::{Program, Source, resolve_all};

fn program(file: &str) -> Program {
    let mut p = Program::with_prefix("t", file, "t", "t_");
    p.scope.clear();
    p
}

fn no_procs(file: &str) -> Program {
    Program {
        proc_prefix: None,
        ..program(file)
    }
}

fn errors_of(p: Program, src: &str) -> Vec<String> {
    let source = Source {
        program: p,
        text: src.to_owned(),
    };
    match resolve_all(&[source]) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn errors(src: &str) -> Vec<String> {
    errors_of(no_procs("t.x"), src)
}

const PROGRAM_HEAD: &str = "const T_PROGRAM = 1;\nconst T_PROTOCOL_VERSION = 1;\n";

#[test]
fn undefined_type_and_constant() {
    assert_eq!(
        errors("struct t_s {\n  t_missing a;\n  opaque b<T_NOPE>;\n};"),
        [
            "t.x:2:3: undefined type `t_missing`",
            "t.x:3:12: undefined constant `T_NOPE`"
        ]
    );
}

#[test]
fn bad_bounds() {
    assert_eq!(
        errors(
            "const T_NEG = -1;\nconst T_BIG = 0x100000000;\nstruct t_s {\n  opaque a<T_NEG>;\n  int b[T_BIG];\n};"
        ),
        [
            "t.x:4:12: bound `T_NEG` = -1 is not a non-negative 32-bit integer",
            "t.x:5:9: bound `T_BIG` = 4294967296 is not a non-negative 32-bit integer"
        ]
    );
}

#[test]
fn defined_twice() {
    assert_eq!(
        errors("const T_A = 1;\nstruct t_a { int x; };\nconst T_A = 2;\nenum t_e { T_A = 3 };"),
        [
            "t.x:3:7: `T_A` is already defined at 1:7",
            "t.x:4:12: `T_A` is already defined at 1:7"
        ]
    );
}

#[test]
fn constant_cycle() {
    let errs = errors("const T_A = T_B;\nconst T_B = T_A;");
    assert_eq!(
        errs[0],
        "t.x:2:13: constant `T_A` is defined in terms of itself"
    );
}

#[test]
fn enum_value_out_of_range() {
    assert_eq!(
        errors("enum t_e {\n  T_E_A = 0x80000000\n};"),
        ["t.x:2:3: enum member `T_E_A` = 2147483648 does not fit in an int"]
    );
}

#[test]
fn union_problems() {
    let src = "enum t_c { T_C_A = 1 };\n\
               union t_u switch (t_c c) {\n case T_C_A: int a;\n case 1: int b;\n};\n\
               union t_v switch (unsigned int d) {\n case -1: void;\n};\n\
               union t_w switch (hyper d) {\n case 1: void;\n};";
    assert_eq!(
        errors(src),
        [
            "t.x:4:10: case `1` of union `t_u` clashes with case `T_C_A`",
            "t.x:7:11: case `-1` = -1 does not fit the discriminant (u32)",
            "t.x:9:19: a union discriminant must be `int`, `unsigned int` or an enum"
        ]
    );
}

#[test]
fn rust_name_collisions() {
    assert_eq!(
        errors("struct t_foo_bar { int a; };\nstruct t_fooBar { int a; int A; };"),
        [
            "t.x:2:8: `t_fooBar` and `t_foo_bar` would both be named `FooBar` in Rust",
            "t.x:2:26: members `a` and `A` would both be named `a` in Rust"
        ]
    );
}

#[test]
fn procedure_number_used_twice() {
    let src = format!("{PROGRAM_HEAD}enum t_procedure {{\n  T_PROC_A = 1,\n  T_PROC_B = 1\n}};");
    assert_eq!(
        errors_of(program("t.x"), &src),
        ["t.x:5:3: procedure number 1 is used twice (also by `T_PROC_A`)"]
    );
}

#[test]
fn procedure_conventions() {
    let src = format!(
        "{PROGRAM_HEAD}struct t_a_msg {{ int x; }};\nstruct t_a_args {{ int x; }};\n\
         enum t_procedure {{\n  T_PROC_A = 1,\n  /** @priority: urgent\n @readstream: 1\n @writestream: 1 */\n  T_PROC_B = 2,\n  OTHER = 3\n}};"
    );
    assert_eq!(
        errors_of(program("t.x"), &src),
        [
            "t.x:11:3: procedure `OTHER` does not start with `T_PROC_`",
            "t.x:6:3: procedure `T_PROC_A` has both a `_msg` and `_args`/`_ret` structs",
            "t.x:7:3: `@priority: urgent`: expected `high` or `low`",
            "t.x:10:3: procedure `T_PROC_B` is both `@readstream` and `@writestream`"
        ]
    );
}

#[test]
fn program_constants_and_procedure_enum_are_required() {
    assert_eq!(
        errors_of(program("t.x"), "const T_PROGRAM = -1;"),
        [
            "t.x: no `enum t_procedure` defined",
            "t.x: `T_PROGRAM` must fit in an unsigned int",
            "t.x: `const T_PROTOCOL_VERSION` is not defined"
        ]
    );
}

#[test]
fn unused_payload_structs_are_warnings() {
    let src = format!(
        "{PROGRAM_HEAD}struct t_b_args {{ int x; }};\nenum t_procedure {{ T_PROC_A = 1 }};"
    );
    let modules = resolve_all(&[Source {
        program: program("t.x"),
        text: src,
    }])
    .unwrap();
    let warnings: Vec<String> = modules[0]
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        warnings,
        ["t.x:3:8: warning: `t_b_args` is not the payload of any procedure"]
    );
}

#[test]
fn dependent_program_is_skipped_when_its_scope_fails() {
    let mut dependent = program("d.x");
    dependent.module = "d".to_owned();
    dependent.scope = vec!["t".to_owned()];
    let sources = [
        Source {
            program: no_procs("t.x"),
            text: "struct t_s { t_missing a; };".to_owned(),
        },
        Source {
            program: dependent,
            text: String::new(),
        },
    ];
    let errs: Vec<String> = resolve_all(&sources)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errs,
        [
            "t.x:1:14: undefined type `t_missing`",
            "d.x: not resolved: module `t`, which it uses, is missing or has errors"
        ]
    );
}

#[test]
fn names_resolve_across_files_in_scope() {
    let base = Source {
        program: Program {
            proc_prefix: None,
            scope: Vec::new(),
            ..Program::with_prefix("base", "base.x", "base", "base_")
        },
        text: "const BASE_MAX = 8;\nenum base_kind { BASE_KIND_A = 1 };\nstruct base_thing { int x; };".to_owned(),
    };
    let mut user = no_procs("t.x");
    user.scope = vec!["base".to_owned()];
    let user = Source {
        program: user,
        text: "struct t_s { base_thing things<BASE_MAX>; };\nunion t_u switch (base_kind k) { case BASE_KIND_A: void; };".to_owned(),
    };
    let modules = resolve_all(&[base, user]).unwrap();
    assert_eq!(modules.len(), 2);
    let text = virtwire_codegen::emit::proto_module(&modules[1]);
    assert!(text.contains("crate::proto::xdr::XdrVec<crate::proto::generated::base::Thing, { crate::proto::generated::base::MAX }>"), "{text}");
    assert!(text.contains("A,"), "{text}");
}

#[test]
fn string_constant_where_a_number_is_needed() {
    assert_eq!(
        errors(
            "const T_NAME = \"cpu_shares\";\nstruct t_s {\n  opaque a<T_NAME>;\n  int b[T_NAME];\n};\nenum t_e { T_E_A = T_NAME };\nconst T_N = T_NAME;"
        ),
        [
            "t.x:6:20: `T_NAME` is a string constant; a number is needed here",
            "t.x:7:13: `T_NAME` is a string constant; a number is needed here",
            "t.x:3:12: `T_NAME` is a string constant; a number is needed here",
            "t.x:4:9: `T_NAME` is a string constant; a number is needed here",
        ]
    );
}

#[test]
fn string_constant_from_another_file_is_not_a_bound() {
    let base = Source {
        program: Program {
            proc_prefix: None,
            scope: Vec::new(),
            ..Program::with_prefix("base", "base.x", "base", "base_")
        },
        text: "const BASE_NAME = \"weight\";".to_owned(),
    };
    let mut user = no_procs("t.x");
    user.scope = vec!["base".to_owned()];
    let user = Source {
        program: user,
        text: "struct t_s { string s<BASE_NAME>; };\nconst BASE_NAME = 1;".to_owned(),
    };
    let errs: Vec<String> = match resolve_all(&[base, user]) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    };
    assert_eq!(
        errs,
        [
            "t.x:2:7: `BASE_NAME` is already defined in base.x",
            "t.x:1:23: `BASE_NAME` is a string constant; a number is needed here",
        ]
    );
}

#[test]
fn flags_out_of_range_and_name_collisions() {
    assert_eq!(
        errors(
            "/** @flags */\nenum t_f {\n  T_F_NEG = -1,\n  T_F_BIG = 0x100000000,\n  T_F_OK = 0x80000000\n};\n/** @flags */\nenum t_g { T_G_A_B = 1, t_g_a_b = 2 };"
        ),
        [
            "t.x:3:3: flag `T_F_NEG` = -1 does not fit in an unsigned int",
            "t.x:4:3: flag `T_F_BIG` = 4294967296 does not fit in an unsigned int",
            "t.x:8:25: members `T_G_A_B` and `t_g_a_b` would both be named `T_G_A_B` in Rust",
        ]
    );
}

#[test]
fn flags_cannot_discriminate_a_union() {
    assert_eq!(
        errors(
            "/** @flags */\nenum t_f { T_F_A = 1 };\nunion t_u switch (t_f f) { case T_F_A: void; };"
        ),
        ["t.x:3:19: a union discriminant must be `int`, `unsigned int` or an enum"]
    );
}

#[test]
fn flags_and_strings_resolve() {
    let modules = resolve_all(&[Source {
        program: no_procs("t.x"),
        text: "/** @flags */\nenum t_list_flags { T_LIST_ACTIVE = 0x1, T_LIST_ALL = 0x80000000 };\nconst T_PARAM = \"cpu_shares\";\nconst T_USES_FLAG = T_LIST_ACTIVE;".to_owned(),
    }])
    .unwrap();
    let m = &modules[0];
    assert_eq!(m.strings[0].rust_name, "PARAM");
    assert_eq!(m.strings[0].value, "cpu_shares");
    assert_eq!(m.consts[0].value, 1);
    let virtwire_codegen::model::ItemKind::Flags(f) = &m.items[0].kind else {
        panic!("not flags: {:?}", m.items[0].kind);
    };
    assert_eq!(m.items[0].rust_name, "ListFlags");
    let names: Vec<(&str, u32)> = f
        .flags
        .iter()
        .map(|f| (f.rust_name.as_str(), f.value))
        .collect();
    assert_eq!(names, [("ACTIVE", 1), ("ALL", 0x8000_0000)]);
    assert_eq!(f.known_bits(), 0x8000_0001);
}

#[test]
fn member_flags_must_name_a_flags_enum_for_an_int_member() {
    let head = "/** @flags */\nenum t_f {\n  T_F_A = 1\n};\nenum t_e {\n  T_E_A = 1\n};\n";
    let body = "struct t_s {\n  /** @flags: t_f */\n  hyper a;\n  /** @flags: t_e */\n  unsigned int b;\n  /** @flags: t_none */\n  unsigned int c;\n  /** @flags: t_f */\n  unsigned int d[2];\n};";
    assert_eq!(
        errors(&format!("{head}{body}")),
        [
            "t.x:9:3: `@flags: t_f` is for a scalar `unsigned int` or `int` member, not `hyper a`",
            "t.x:11:3: `t_e` is not a `@flags` enum",
            "t.x:13:3: undefined flags type `t_none`",
            "t.x:15:3: `@flags: t_f` is for a scalar `unsigned int` or `int` member, not `unsigned int d[2]`",
        ]
    );
}
