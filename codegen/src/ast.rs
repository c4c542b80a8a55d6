//! The syntax tree of one `.x` file, as written (names unresolved, constants unevaluated).

use crate::error::Pos;

/// One parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The file name given to the parser.
    pub file: String,
    /// The file's opening comment, when it stands apart from the first definition.
    pub comment: Option<Vec<String>>,
    /// The definitions, in file order.
    pub definitions: Vec<Definition>,
}

/// A top-level definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The defined name.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// The comment right before the definition.
    pub comment: Option<Vec<String>>,
    /// The `/** … */` block right before the definition (`@flags` marks a flags enum).
    pub doc: Option<DocBlock>,
    /// What is defined.
    pub kind: DefinitionKind,
}

impl Definition {
    /// Whether the definition carries the annotation `@key`.
    pub fn has_tag(&self, key: &str) -> bool {
        self.doc
            .as_ref()
            .is_some_and(|d| d.tags.iter().any(|(k, _)| k == key))
    }
}

/// What a definition defines.
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionKind {
    /// `const NAME = value;`
    Const(Value),
    /// `const NAME = "text";`: a string, never a bound, case label or enum value.
    StringConst(String),
    /// `typedef declaration;` (the declaration's name is the definition's name).
    Typedef(Declaration),
    /// `enum NAME { members };` (a set of flags when marked `@flags`).
    Enum(Vec<EnumMember>),
    /// `struct NAME { declarations };` (never empty).
    Struct(Vec<Declaration>),
    /// `union NAME switch (…) { … };`
    Union(Union),
}

/// A member of an enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumMember {
    /// The member's name.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// Its value.
    pub value: Value,
    /// The plain comment right before it.
    pub comment: Option<Vec<String>>,
    /// The `/** … */` block right before it, when there is one.
    pub doc: Option<DocBlock>,
}

/// A `/** … */` block: `@key: value` annotations and free text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocBlock {
    /// Where the block starts.
    pub pos: Pos,
    /// The lines that are not annotations (blank lines kept as empty strings).
    pub text: Vec<String>,
    /// The `@key: value` lines, in order, key without `@`, value trimmed.
    pub tags: Vec<(String, String)>,
}

/// A constant operand: a literal or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An integer literal.
    Number {
        /// Its value.
        value: i128,
        /// Its spelling.
        text: String,
    },
    /// A constant or enum member name.
    Name {
        /// The name.
        name: String,
        /// Where it is.
        pos: Pos,
    },
}

impl Value {
    /// The value as written.
    pub fn text(&self) -> &str {
        match self {
            Value::Number { text, .. } => text,
            Value::Name { name, .. } => name,
        }
    }
}

/// A type specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeSpec {
    /// `int`
    Int,
    /// `unsigned int` or bare `unsigned`
    UnsignedInt,
    /// `hyper`
    Hyper,
    /// `unsigned hyper`
    UnsignedHyper,
    /// `short` (four bytes on the wire, like `int`)
    Short,
    /// `unsigned short` (four bytes on the wire, like `unsigned int`)
    UnsignedShort,
    /// `float`
    Float,
    /// `double`
    Double,
    /// `bool`
    Bool,
    /// `char` (four bytes on the wire)
    Char,
    /// `unsigned char` (four bytes on the wire)
    UnsignedChar,
    /// `opaque` (only in arrays)
    Opaque,
    /// `string` (only in variable arrays)
    String,
    /// `void` (only as a whole declaration)
    Void,
    /// A type defined by name.
    Named(String),
}

/// How a declaration's type is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// `T x`
    Scalar,
    /// `T *x`
    Optional,
    /// `T x[N]`
    Fixed(Value),
    /// `T x<N>`, or `T x<>` (`None`)
    Variable(Option<Value>),
}

/// A declaration: a struct member, union arm, typedef or union discriminant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The declared name; `None` for `void`.
    pub name: Option<String>,
    /// Where the declaration starts.
    pub pos: Pos,
    /// The element type.
    pub ty: TypeSpec,
    /// Where the type is named.
    pub ty_pos: Pos,
    /// Scalar, optional or array.
    pub shape: Shape,
    /// For a struct member, the flags type named by a `/** @flags: NAME */` block right before
    /// it, and where that block is.
    pub flags: Option<(String, Pos)>,
}

/// The body of a union.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Union {
    /// The discriminant (`int type`, `unsigned int kind`, `some_enum e`).
    pub discriminant: Declaration,
    /// The `case` arms in order.
    pub arms: Vec<UnionArm>,
    /// The `default:` arm.
    pub default: Option<Declaration>,
}

/// One or more `case` labels sharing a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionArm {
    /// The labels (at least one).
    pub labels: Vec<Value>,
    /// What the arm holds (possibly `void`).
    pub decl: Declaration,
}
