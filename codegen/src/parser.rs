//! Recursive-descent parser: tokens to [`ast::Spec`](crate::ast::Spec). Stops at the first
//! error, which carries the file, line and column of the offending token.

use crate::ast::{
    Declaration, Definition, DefinitionKind, DocBlock, EnumMember, Shape, Spec, TypeSpec, Union,
    UnionArm, Value,
};
use crate::error::{Error, Pos};
use crate::lexer::{Token, TokenKind, lex};

/// Words that cannot name a type, member or constant.
const RESERVED: &[&str] = &[
    "bool",
    "case",
    "char",
    "const",
    "default",
    "double",
    "enum",
    "float",
    "hyper",
    "int",
    "long",
    "opaque",
    "program",
    "quadruple",
    "short",
    "string",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "version",
    "void",
];

/// Parses the contents `src` of the file named `file`.
pub fn parse(file: &str, src: &str) -> Result<Spec, Error> {
    let lexed = lex(file, src)?;
    let mut parser = Parser {
        file,
        tokens: lexed.tokens,
        i: 0,
    };
    let definitions = parser.definitions()?;
    Ok(Spec {
        file: file.to_owned(),
        comment: lexed.file_comment,
        definitions,
    })
}

/// Splits the lines of a `/** … */` block into annotations and free text.
pub fn doc_block(pos: Pos, lines: &[String]) -> DocBlock {
    let mut block = DocBlock {
        pos,
        ..DocBlock::default()
    };
    for line in lines {
        match line.strip_prefix('@') {
            Some(tag) => {
                let (key, value) = tag.split_once(':').unwrap_or((tag, ""));
                block
                    .tags
                    .push((key.trim().to_owned(), value.trim().to_owned()));
            }
            None => block.text.push(line.clone()),
        }
    }
    while block.text.last().is_some_and(|l| l.is_empty()) {
        block.text.pop();
    }
    block
}

struct Parser<'a> {
    file: &'a str,
    tokens: Vec<Token>,
    i: usize,
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Ident(s) => format!("`{s}`"),
        TokenKind::Number { text, .. } => format!("number `{text}`"),
        TokenKind::Str(text) => format!("string {text:?}"),
        TokenKind::Punct(c) => format!("`{c}`"),
        TokenKind::Doc(_) => "a `/** */` block".to_owned(),
        TokenKind::Eof => "end of file".to_owned(),
    }
}

impl Parser<'_> {
    /// Consumes `/** */` blocks at the cursor; returns the last one.
    fn take_doc(&mut self) -> Option<DocBlock> {
        let mut last = None;
        while let TokenKind::Doc(lines) = &self.tokens[self.i].kind {
            last = Some(doc_block(self.tokens[self.i].pos, lines));
            self.i += 1;
        }
        last
    }

    fn peek(&mut self) -> &Token {
        self.take_doc();
        &self.tokens[self.i]
    }

    fn next(&mut self) -> Token {
        self.take_doc();
        let t = self.tokens[self.i].clone();
        if t.kind != TokenKind::Eof {
            self.i += 1;
        }
        t
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> Error {
        Error::at(self.file, pos, message)
    }

    fn unexpected(&self, token: &Token, wanted: &str) -> Error {
        self.error(
            token.pos,
            format!("expected {wanted}, found {}", describe(&token.kind)),
        )
    }

    fn is_punct(&mut self, c: char) -> bool {
        self.peek().kind == TokenKind::Punct(c)
    }

    fn is_word(&mut self, w: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(s) if s == w)
    }

    fn eat_punct(&mut self, c: char) -> bool {
        let found = self.is_punct(c);
        if found {
            self.next();
        }
        found
    }

    fn expect_punct(&mut self, c: char) -> Result<Pos, Error> {
        let t = self.next();
        if t.kind == TokenKind::Punct(c) {
            Ok(t.pos)
        } else {
            Err(self.unexpected(&t, &format!("`{c}`")))
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<(), Error> {
        let t = self.next();
        match &t.kind {
            TokenKind::Ident(s) if s == w => Ok(()),
            _ => Err(self.unexpected(&t, &format!("`{w}`"))),
        }
    }

    /// A name that is not a reserved word.
    fn identifier(&mut self, what: &str) -> Result<(String, Pos), Error> {
        let t = self.next();
        match &t.kind {
            TokenKind::Ident(s) if !RESERVED.contains(&s.as_str()) => Ok((s.clone(), t.pos)),
            _ => Err(self.unexpected(&t, what)),
        }
    }

    fn value(&mut self) -> Result<Value, Error> {
        let t = self.next();
        match &t.kind {
            TokenKind::Number { value, text } => Ok(Value::Number {
                value: *value,
                text: text.clone(),
            }),
            TokenKind::Ident(name) if !RESERVED.contains(&name.as_str()) => Ok(Value::Name {
                name: name.clone(),
                pos: t.pos,
            }),
            _ => Err(self.unexpected(&t, "a number or a constant name")),
        }
    }

    fn definitions(&mut self) -> Result<Vec<Definition>, Error> {
        let mut defs = Vec::new();
        loop {
            let doc = self.take_doc();
            let t = self.tokens[self.i].clone();
            if t.kind == TokenKind::Eof {
                return Ok(defs);
            }
            let comment = t.comment.clone().or(doc.as_ref().map(|d| d.text.clone()));
            let mut def = self.definition()?;
            def.comment = comment.filter(|c| !c.is_empty());
            def.doc = doc;
            if def.has_tag("flags") && !matches!(def.kind, DefinitionKind::Enum(_)) {
                let pos = def.doc.as_ref().map_or(def.pos, |d| d.pos);
                return Err(self.error(pos, "`@flags` marks an enum, not this definition"));
            }
            if matches!(&def.kind, DefinitionKind::Enum(m) if m.is_empty()) && !def.has_tag("flags")
            {
                return Err(self.error(
                    def.pos,
                    "an enum needs a member (only a `@flags` set may be empty)",
                ));
            }
            defs.push(def);
        }
    }

    fn definition(&mut self) -> Result<Definition, Error> {
        let t = self.next();
        let TokenKind::Ident(word) = &t.kind else {
            return Err(self.unexpected(&t, "a definition"));
        };
        let def = match word.as_str() {
            "const" => self.const_def()?,
            "typedef" => self.typedef()?,
            "enum" => self.enum_def()?,
            "struct" => self.struct_def()?,
            "union" => self.union_def()?,
            "program" => return Err(self.error(t.pos, "`program` definitions are not supported")),
            _ => return Err(self.unexpected(&t, "a definition")),
        };
        self.expect_punct(';')?;
        Ok(def)
    }

    fn definition_of(name: (String, Pos), kind: DefinitionKind) -> Definition {
        Definition {
            name: name.0,
            pos: name.1,
            comment: None,
            doc: None,
            kind,
        }
    }

    fn const_def(&mut self) -> Result<Definition, Error> {
        let name = self.identifier("a constant name")?;
        self.expect_punct('=')?;
        if let TokenKind::Str(text) = &self.peek().kind {
            let text = text.clone();
            self.next();
            return Ok(Self::definition_of(name, DefinitionKind::StringConst(text)));
        }
        let value = self.value()?;
        Ok(Self::definition_of(name, DefinitionKind::Const(value)))
    }

    fn typedef(&mut self) -> Result<Definition, Error> {
        let decl = self.declaration()?;
        let Some(name) = decl.name.clone() else {
            return Err(self.error(decl.pos, "`typedef void` is not supported"));
        };
        Ok(Definition {
            name,
            pos: decl.pos,
            comment: None,
            doc: None,
            kind: DefinitionKind::Typedef(decl),
        })
    }

    fn enum_def(&mut self) -> Result<Definition, Error> {
        let name = self.identifier("an enum name")?;
        self.expect_punct('{')?;
        let mut members = Vec::new();
        loop {
            let doc = self.take_doc();
            // An empty body is refused in `definitions` unless the enum is a `@flags` set.
            if self.is_punct('}') {
                break;
            }
            members.push(self.enum_member(doc)?);
            if !self.eat_punct(',') {
                break;
            }
        }
        self.expect_punct('}')?;
        Ok(Self::definition_of(name, DefinitionKind::Enum(members)))
    }

    fn enum_member(&mut self, doc: Option<DocBlock>) -> Result<EnumMember, Error> {
        let comment = self.tokens[self.i].comment.clone();
        let (name, pos) = self.identifier("an enum member name")?;
        self.expect_punct('=')?;
        let value = self.value()?;
        Ok(EnumMember {
            name,
            pos,
            value,
            comment,
            doc,
        })
    }

    fn struct_def(&mut self) -> Result<Definition, Error> {
        let name = self.identifier("a struct name")?;
        self.expect_punct('{')?;
        let mut fields = Vec::new();
        loop {
            // Before `is_punct`, which would skip the block.
            let doc = self.take_doc();
            if !fields.is_empty() && self.is_punct('}') {
                break;
            }
            let mut decl = self.declaration()?;
            decl.flags = self.member_flags(doc)?;
            if decl.name.is_none() {
                return Err(self.error(decl.pos, "a struct member cannot be `void`"));
            }
            self.expect_punct(';')?;
            fields.push(decl);
        }
        self.expect_punct('}')?;
        Ok(Self::definition_of(name, DefinitionKind::Struct(fields)))
    }

    /// The flags type a struct member's `/** @flags: NAME */` block names. Other annotations
    /// mean nothing on a member; `@flags` without a name is an error.
    fn member_flags(&self, doc: Option<DocBlock>) -> Result<Option<(String, Pos)>, Error> {
        let Some(doc) = doc else { return Ok(None) };
        let Some((_, name)) = doc.tags.iter().find(|(k, _)| k == "flags") else {
            return Ok(None);
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(self.error(
                doc.pos,
                "`@flags` on a struct member names one flags enum: `/** @flags: NAME */`",
            ));
        }
        Ok(Some((name.clone(), doc.pos)))
    }

    fn union_def(&mut self) -> Result<Definition, Error> {
        let name = self.identifier("a union name")?;
        self.expect_word("switch")?;
        self.expect_punct('(')?;
        let discriminant = self.declaration()?;
        if discriminant.name.is_none() || discriminant.shape != Shape::Scalar {
            return Err(self.error(
                discriminant.pos,
                "expected a scalar discriminant declaration",
            ));
        }
        self.expect_punct(')')?;
        self.expect_punct('{')?;
        let mut arms = Vec::new();
        let mut default = None;
        while self.is_word("case") {
            arms.push(self.union_arm()?);
        }
        if self.is_word("default") {
            self.next();
            self.expect_punct(':')?;
            default = Some(self.declaration()?);
            self.expect_punct(';')?;
        }
        if arms.is_empty() && default.is_none() {
            let t = self.next();
            return Err(self.unexpected(&t, "`case` or `default`"));
        }
        if !self.is_punct('}') {
            let t = self.next();
            let wanted = if default.is_some() {
                "`}` (the `default` arm comes last)"
            } else {
                "`case`, `default` or `}`"
            };
            return Err(self.unexpected(&t, wanted));
        }
        self.expect_punct('}')?;
        Ok(Self::definition_of(
            name,
            DefinitionKind::Union(Union {
                discriminant,
                arms,
                default,
            }),
        ))
    }

    fn union_arm(&mut self) -> Result<UnionArm, Error> {
        let mut labels = Vec::new();
        while self.is_word("case") {
            self.next();
            labels.push(self.value()?);
            self.expect_punct(':')?;
        }
        let decl = self.declaration()?;
        self.expect_punct(';')?;
        Ok(UnionArm { labels, decl })
    }

    fn type_spec(&mut self) -> Result<(TypeSpec, Pos), Error> {
        let t = self.next();
        let TokenKind::Ident(word) = &t.kind else {
            return Err(self.unexpected(&t, "a type"));
        };
        let ty = match word.as_str() {
            "unsigned" => self.unsigned()?,
            "int" => TypeSpec::Int,
            "hyper" => TypeSpec::Hyper,
            "float" => TypeSpec::Float,
            "double" => TypeSpec::Double,
            "bool" => TypeSpec::Bool,
            "char" => TypeSpec::Char,
            "opaque" => TypeSpec::Opaque,
            "string" => TypeSpec::String,
            "void" => TypeSpec::Void,
            "struct" | "enum" | "union" => self.tagged_name(word)?,
            "short" => TypeSpec::Short,
            "long" | "quadruple" => {
                return Err(self.error(t.pos, format!("type `{word}` is not supported")));
            }
            w if RESERVED.contains(&w) => return Err(self.unexpected(&t, "a type")),
            _ => TypeSpec::Named(word.clone()),
        };
        Ok((ty, t.pos))
    }

    fn unsigned(&mut self) -> Result<TypeSpec, Error> {
        let ty = if self.is_word("int") {
            TypeSpec::UnsignedInt
        } else if self.is_word("hyper") {
            TypeSpec::UnsignedHyper
        } else if self.is_word("char") {
            TypeSpec::UnsignedChar
        } else if self.is_word("short") {
            TypeSpec::UnsignedShort
        } else if self.is_word("long") {
            let t = self.next();
            return Err(self.error(t.pos, "`unsigned long` is not supported"));
        } else {
            return Ok(TypeSpec::UnsignedInt);
        };
        self.next();
        Ok(ty)
    }

    /// `struct foo` / `enum foo` / `union foo` used as a type name (no inline bodies).
    fn tagged_name(&mut self, keyword: &str) -> Result<TypeSpec, Error> {
        if self.is_punct('{') {
            let pos = self.peek().pos;
            return Err(self.error(
                pos,
                format!("inline `{keyword}` definitions are not supported"),
            ));
        }
        let (name, _) = self.identifier("a type name")?;
        Ok(TypeSpec::Named(name))
    }

    fn declaration(&mut self) -> Result<Declaration, Error> {
        let (ty, ty_pos) = self.type_spec()?;
        if ty == TypeSpec::Void {
            return Ok(Declaration {
                name: None,
                pos: ty_pos,
                ty,
                ty_pos,
                shape: Shape::Scalar,
                flags: None,
            });
        }
        let optional = self.eat_punct('*');
        let (name, _) = self.identifier("a name")?;
        let shape = if optional {
            Shape::Optional
        } else if self.eat_punct('[') {
            let n = self.value()?;
            self.expect_punct(']')?;
            Shape::Fixed(n)
        } else if self.eat_punct('<') {
            let n = if self.is_punct('>') {
                None
            } else {
                Some(self.value()?)
            };
            self.expect_punct('>')?;
            Shape::Variable(n)
        } else {
            Shape::Scalar
        };
        check_shape(&ty, &shape).map_err(|m| self.error(ty_pos, m))?;
        Ok(Declaration {
            name: Some(name),
            pos: ty_pos,
            ty,
            ty_pos,
            shape,
            flags: None,
        })
    }
}

fn check_shape(ty: &TypeSpec, shape: &Shape) -> Result<(), &'static str> {
    match (ty, shape) {
        (TypeSpec::Opaque, Shape::Scalar | Shape::Optional) => {
            Err("`opaque` needs a size: `opaque x[N]` or `opaque x<N>`")
        }
        (TypeSpec::String, Shape::Variable(_)) => Ok(()),
        (TypeSpec::String, _) => Err("`string` needs a bound: `string x<N>` or `string x<>`"),
        _ => Ok(()),
    }
}
