//! The parser stops at the first error and reports it as `file:line:col: message`.

use virtwire_codegen::ast::DefinitionKind;
use virtwire_codegen::parser::parse;

fn error(src: &str) -> String {
    parse("t.x", src).expect_err("should not parse").to_string()
}

#[test]
fn missing_semicolon_after_definition() {
    assert_eq!(
        error("const A = 1;\nconst B = 2\nconst C = 3;"),
        "t.x:3:1: expected `;`, found `const`"
    );
}

#[test]
fn unexpected_character() {
    assert_eq!(
        error("struct s {\n    int a; $\n};"),
        "t.x:2:12: unexpected character `$`"
    );
}

#[test]
fn reserved_word_as_name() {
    assert_eq!(
        error("struct s {\n    int default;\n};"),
        "t.x:2:9: expected a name, found `default`"
    );
}

#[test]
fn opaque_without_size() {
    assert_eq!(
        error("struct s {\n  opaque data;\n};"),
        "t.x:2:3: `opaque` needs a size: `opaque x[N]` or `opaque x<N>`"
    );
}

#[test]
fn string_without_bound() {
    assert_eq!(
        error("typedef string name[4];"),
        "t.x:1:9: `string` needs a bound: `string x<N>` or `string x<>`"
    );
}

#[test]
fn void_struct_member() {
    assert_eq!(
        error("struct s {\n\tvoid;\n};"),
        "t.x:2:2: a struct member cannot be `void`"
    );
}

#[test]
fn enum_member_without_value() {
    assert_eq!(
        error("enum e {\n    A = 1,\n    B\n};"),
        "t.x:4:1: expected `=`, found `}`"
    );
}

#[test]
fn union_without_arms() {
    assert_eq!(
        error("union u switch (int d) {\n};"),
        "t.x:2:1: expected `case` or `default`, found `}`"
    );
}

#[test]
fn case_after_default() {
    assert_eq!(
        error("union u switch (int d) {\ndefault: void;\ncase 1: int x;\n};"),
        "t.x:3:1: expected `}` (the `default` arm comes last), found `case`"
    );
}

#[test]
fn unsupported_types_and_definitions() {
    assert_eq!(
        error("typedef long x;"),
        "t.x:1:9: type `long` is not supported"
    );
    assert_eq!(
        error("typedef unsigned long x;"),
        "t.x:1:18: `unsigned long` is not supported"
    );
    assert_eq!(
        error("program P { } = 1;"),
        "t.x:1:1: `program` definitions are not supported"
    );
    assert_eq!(
        error("struct s {\n  struct { int a; } inner;\n};"),
        "t.x:2:10: inline `struct` definitions are not supported"
    );
}

#[test]
fn bad_numbers() {
    assert_eq!(error("const A = 0x;"), "t.x:1:11: invalid number `0x`");
    assert_eq!(error("const A = 09;"), "t.x:1:11: invalid number `09`");
    assert_eq!(
        error("const A = 99999999999999999999;"),
        "t.x:1:11: invalid number `99999999999999999999`"
    );
    assert_eq!(error("const A = 12ab;"), "t.x:1:11: invalid number `12ab`");
}

#[test]
fn unterminated_comment_and_end_of_file() {
    assert_eq!(
        error("const A = 1;\n/* never closed"),
        "t.x:2:1: unterminated comment"
    );
    assert_eq!(
        error("struct s {\n  int a;"),
        "t.x:2:9: expected a type, found end of file"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    assert_eq!(
        error("/* é */ const é"),
        "t.x:1:15: unexpected character `é`"
    );
}

#[test]
fn string_literal_where_a_number_is_needed() {
    assert_eq!(
        error("typedef opaque x<\"abc\">;"),
        "t.x:1:18: expected a number or a constant name, found string \"abc\""
    );
    assert_eq!(
        error("struct s {\n  int a[\"4\"];\n};"),
        "t.x:2:9: expected a number or a constant name, found string \"4\""
    );
    assert_eq!(
        error("enum e { A = \"one\" };"),
        "t.x:1:14: expected a number or a constant name, found string \"one\""
    );
    assert_eq!(
        error("union u switch (int d) {\ncase \"x\": void;\n};"),
        "t.x:2:6: expected a number or a constant name, found string \"x\""
    );
}

#[test]
fn bad_string_literals() {
    assert_eq!(
        error("const A = \"no end;\nconst B = 1;"),
        "t.x:1:11: unterminated string"
    );
    assert_eq!(
        error("const A = \"tab\\t\";"),
        "t.x:1:15: unsupported escape `\\t` in a string"
    );
    assert_eq!(
        error("const A = \"x\" \"y\";"),
        "t.x:1:15: expected `;`, found string \"y\""
    );
}

#[test]
fn flags_annotation_only_on_enums() {
    assert_eq!(
        error("/** @flags */\nstruct s { int a; };"),
        "t.x:1:1: `@flags` marks an enum, not this definition"
    );
    assert_eq!(
        error("const A = 1;\n/**\n * @flags\n */\nconst B = \"b\";"),
        "t.x:2:1: `@flags` marks an enum, not this definition"
    );
}

#[test]
fn accepts_the_whole_dialect() {
    let src = r#"
%#include <rpc/rpc.h>
/* a comment */
const A = 0x10;
const B = -1;
const C = 017;
typedef unsigned x;
typedef unsigned int y[A];
typedef opaque z<>;
typedef string w<C>;
typedef struct s *sp;
enum e { E1 = 1, E2 = B, E3 = A, };
struct s { int a; unsigned hyper b<>; char c[3]; unsigned char d<2>; float f; double g; bool h; short i; unsigned short j; e k; s *next; };
union u switch (e d) { case E1: case E2: void; case E3: int x; default: hyper y; };
union v switch (unsigned int d) { default: void; };
const NAME = "cpu_shares";
/** @flags */
enum f { F_A = 0x1, F_B = 0x80000000 };
"#;
    let spec = parse("t.x", src).unwrap();
    assert_eq!(spec.definitions.len(), 14);
    assert_eq!(spec.definitions[2].comment, None);
    assert_eq!(
        spec.definitions[12].kind,
        DefinitionKind::StringConst("cpu_shares".to_owned())
    );
    assert!(spec.definitions[13].has_tag("flags"));
    assert!(!spec.definitions[7].has_tag("flags"));
}

#[test]
fn member_flags_without_a_name() {
    assert_eq!(
        error("struct s {\n    /** @flags */\n    unsigned int flags;\n};"),
        "t.x:2:5: `@flags` on a struct member names one flags enum: `/** @flags: NAME */`"
    );
}

#[test]
fn only_a_flags_enum_may_be_empty() {
    assert_eq!(
        error("enum e {\n};"),
        "t.x:1:6: an enum needs a member (only a `@flags` set may be empty)"
    );
    assert!(parse("t.x", "/** @flags */\nenum f {\n};").is_ok());
}
