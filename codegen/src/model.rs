//! The resolved form of one program: Rust names chosen, constants evaluated, types resolved
//! across files, procedures matched to their argument and reply structs. The emitters only
//! print this.

use crate::ast::DocBlock;
use crate::error::Error;
use crate::programs::Program;

/// One generated module.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The program it comes from.
    pub program: Program,
    /// The file's opening comment.
    pub comment: Option<Vec<String>>,
    /// Constants, in file order.
    pub consts: Vec<Const>,
    /// String constants, in file order.
    pub strings: Vec<StringConst>,
    /// Typedefs, structs, enums and unions, in file order.
    pub items: Vec<Item>,
    /// Procedures, sorted by number (empty for files without procedures).
    pub procedures: Vec<Procedure>,
    /// Rust names of the program number and version constants, when the file has procedures.
    pub program_consts: Option<(String, String)>,
    /// Problems worth reporting that do not stop generation.
    pub warnings: Vec<Error>,
}

impl Module {
    /// The item whose IDL name is `idl`.
    pub fn item(&self, idl: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.idl_name == idl)
    }
}

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub struct Const {
    /// IDL name.
    pub idl_name: String,
    /// Rust name.
    pub rust_name: String,
    /// Value.
    pub value: i128,
    /// The Rust literal to emit (hexadecimal stays hexadecimal).
    pub literal: String,
    /// The comment before it.
    pub comment: Option<Vec<String>>,
    /// The definition as IDL text.
    pub idl: String,
}

/// A string constant (`const NAME = "text";`).
#[derive(Debug, Clone, PartialEq)]
pub struct StringConst {
    /// IDL name.
    pub idl_name: String,
    /// Rust name.
    pub rust_name: String,
    /// The text.
    pub value: String,
    /// The comment before it.
    pub comment: Option<Vec<String>>,
    /// The definition as IDL text.
    pub idl: String,
}

/// A type definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// IDL name.
    pub idl_name: String,
    /// Rust name.
    pub rust_name: String,
    /// The comment before it.
    pub comment: Option<Vec<String>>,
    /// The definition as IDL text.
    pub idl: String,
    /// What it is.
    pub kind: ItemKind,
    /// Whether the type can implement `Default` (every fixed array in it by value has at most
    /// 32 elements, or is opaque/char data).
    pub has_default: bool,
    /// For unions: whether one variant is much larger than the others (clippy's
    /// `large_enum_variant`), estimated.
    pub large_variant: bool,
}

/// The kinds of type definition.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `typedef` → `pub type`.
    Typedef(RType),
    /// `struct` → struct with the same members in order.
    Struct(Vec<Field>),
    /// `enum` → Rust enum with a catch-all variant.
    Enum(Enum),
    /// `@flags` `enum` → bit-set newtype over `u32` with one associated constant per member.
    Flags(Flags),
    /// `union` → Rust enum with one variant per case label.
    Union(Union),
}

/// A struct member.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// IDL name.
    pub idl_name: String,
    /// Rust name (may be a raw identifier).
    pub rust_name: String,
    /// Rust type.
    pub ty: RType,
    /// The declaration as IDL text.
    pub idl: String,
}

/// An enum.
#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    /// The members, in file order.
    pub variants: Vec<Variant>,
    /// Name of the catch-all variant that keeps unknown values (`Unknown`, or `UnknownValue`
    /// when a member already takes `Unknown`).
    pub unknown: String,
}

/// An enum member.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// IDL name.
    pub idl_name: String,
    /// Rust name.
    pub rust_name: String,
    /// Value.
    pub value: i32,
    /// The member as IDL text (`VIR_NET_CALL = 0`).
    pub idl: String,
    /// The comment before it.
    pub comment: Option<Vec<String>>,
    /// Its `/** */` block.
    pub doc: Option<DocBlock>,
    /// The earlier member with the same value, if any (decoding yields that one).
    pub alias_of: Option<String>,
}

/// A set of flags: an enum marked `@flags`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flags {
    /// The members, in file order.
    pub flags: Vec<Flag>,
}

impl Flags {
    /// Every bit that some member names.
    pub fn known_bits(&self) -> u32 {
        self.flags.iter().fold(0, |acc, f| acc | f.value)
    }

    /// The first member whose value is 0 (`VIR_DOMAIN_AFFECT_CURRENT`), if any.
    pub fn zero(&self) -> Option<&Flag> {
        self.flags.iter().find(|f| f.value == 0)
    }
}

/// A member of a set of flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// IDL name.
    pub idl_name: String,
    /// Rust name of the associated constant (`ACTIVE`).
    pub rust_name: String,
    /// Its bits.
    pub value: u32,
    /// The member as IDL text (`VIR_CONNECT_LIST_DOMAINS_ACTIVE = 0x1`).
    pub idl: String,
    /// The comment before it.
    pub comment: Option<Vec<String>>,
}

/// A union.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// IDL name of the discriminant.
    pub discriminant: String,
    /// Type of the discriminant.
    pub discriminant_ty: Discriminant,
    /// One entry per case label.
    pub arms: Vec<Arm>,
    /// The `default:` arm.
    pub default: Option<DefaultArm>,
}

/// The type of a union's discriminant.
#[derive(Debug, Clone, PartialEq)]
pub enum Discriminant {
    /// `int` (i32 on the Rust side).
    Int,
    /// `unsigned int` (u32).
    Unsigned,
    /// An enum (encoded as its i32 value).
    Enum(TypeRef),
}

impl Discriminant {
    /// The Rust type the discriminant is read as.
    pub fn rust_int(&self) -> &'static str {
        match self {
            Discriminant::Unsigned => "u32",
            Discriminant::Int | Discriminant::Enum(_) => "i32",
        }
    }
}

/// One case label of a union and the arm it selects.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// The label as written.
    pub label: String,
    /// The label's value.
    pub value: i64,
    /// Rust variant name.
    pub rust_name: String,
    /// IDL name of the arm's member (`None` for `void`).
    pub field: Option<String>,
    /// The arm's type (`None` for `void`).
    pub ty: Option<RType>,
    /// The arm as IDL text (`case VIR_TYPED_PARAM_INT: int i;`).
    pub idl: String,
}

/// The `default:` arm of a union.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultArm {
    /// Rust variant name (`Default`, or `Unknown` for a `void` arm).
    pub rust_name: String,
    /// IDL name of the arm's member (`None` for `void`).
    pub field: Option<String>,
    /// The arm's type (`None` for `void`).
    pub ty: Option<RType>,
    /// The arm as IDL text.
    pub idl: String,
}

/// A resolved Rust type.
#[derive(Debug, Clone, PartialEq)]
pub enum RType {
    /// `int`
    I32,
    /// `unsigned int`
    U32,
    /// `char` (an `int` on the wire, decoding refuses values outside `i8`)
    I8,
    /// `unsigned char` (an `unsigned int` on the wire, decoding refuses values outside `u8`)
    U8,
    /// `short` (an `int` on the wire, decoding refuses values outside `i16`)
    I16,
    /// `unsigned short` (an `unsigned int` on the wire, decoding refuses values outside `u16`)
    U16,
    /// `hyper`
    I64,
    /// `unsigned hyper`
    U64,
    /// `float`
    F32,
    /// `double`
    F64,
    /// `bool`
    Bool,
    /// A named type.
    Named(TypeRef),
    /// `T x[N]` for T other than opaque and char.
    Array(Box<RType>, Bound),
    /// `opaque x[N]`
    FixedOpaque(Bound),
    /// `char x[N]`
    FixedChars(Bound),
    /// `opaque x<N>`
    Opaque(Bound),
    /// `string x<N>`
    String(Bound),
    /// `char x<N>`
    Chars(Bound),
    /// `T x<N>`
    Vec(Box<RType>, Bound),
    /// `T *x`; `boxed` when the type is recursive through it.
    Option(Box<RType>, bool),
}

/// A reference to a type defined in some module.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeRef {
    /// The defining module.
    pub module: String,
    /// Its Rust name.
    pub rust_name: String,
    /// Its IDL name.
    pub idl_name: String,
}

/// An array size or bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// A number.
    Literal(u32),
    /// A constant.
    Const {
        /// The defining module.
        module: String,
        /// Its Rust name.
        rust_name: String,
        /// Its value.
        value: u32,
    },
    /// `<>`
    Unbounded,
}

impl Bound {
    /// The bound's value (`u32::MAX` when unbounded).
    pub fn value(&self) -> u32 {
        match self {
            Bound::Literal(v) | Bound::Const { value: v, .. } => *v,
            Bound::Unbounded => u32::MAX,
        }
    }
}

/// How a procedure is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcKind {
    /// Call and reply.
    Call,
    /// Sent by the server (`_msg`).
    Message,
    /// `@readstream`
    ReadStream,
    /// `@writestream`
    WriteStream,
}

impl ProcKind {
    /// The variant of `crate::proto::ProcedureKind`.
    pub fn variant(self) -> &'static str {
        match self {
            ProcKind::Call => "Call",
            ProcKind::Message => "Message",
            ProcKind::ReadStream => "ReadStream",
            ProcKind::WriteStream => "WriteStream",
        }
    }
}

/// Which packets of a procedure carry file descriptors (`@fds`, virtwire's own annotation:
/// libvirt's `.x` files leave this to hand-written code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fds {
    /// None.
    #[default]
    None,
    /// The call (CALL_WITH_FDS).
    Call,
    /// The reply (REPLY_WITH_FDS).
    Reply,
    /// Both.
    Both,
}

impl Fds {
    /// Parses the annotation's value.
    pub fn parse(s: &str) -> Option<Fds> {
        Some(match s {
            "call" => Fds::Call,
            "reply" => Fds::Reply,
            "both" => Fds::Both,
            _ => return None,
        })
    }

    /// The variant of `crate::proto::FdPassing`.
    pub fn variant(self) -> &'static str {
        match self {
            Fds::None => "None",
            Fds::Call => "Call",
            Fds::Reply => "Reply",
            Fds::Both => "Both",
        }
    }
}

/// A procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct Procedure {
    /// The enum member (`REMOTE_PROC_DOMAIN_GET_INFO`).
    pub member: String,
    /// The name without prefix (`DOMAIN_GET_INFO`).
    pub name: String,
    /// The procedure number.
    pub number: i32,
    /// Name of the marker type in `procs` (`DomainGetInfo`).
    pub marker: String,
    /// Name of the `ProcedureInfo` constant in `procs` (`DOMAIN_GET_INFO`).
    pub info_const: String,
    /// The `RawClient` method (`domain_get_info`).
    pub method: String,
    /// The arguments (or the message, for [`ProcKind::Message`]).
    pub args: Option<TypeRef>,
    /// The reply.
    pub ret: Option<TypeRef>,
    /// How it is used.
    pub kind: ProcKind,
    /// `@priority: high`.
    pub priority_high: bool,
    /// `@generate`.
    pub generate: Option<String>,
    /// `@sparseflag`.
    pub sparse_flag: Option<String>,
    /// `@fds`.
    pub fds: Fds,
    /// The annotation block.
    pub doc: Option<DocBlock>,
    /// The comment before the member.
    pub comment: Option<Vec<String>>,
}
