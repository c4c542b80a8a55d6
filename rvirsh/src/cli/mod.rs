//! Command definitions and their parsing, virsh's way.
//!
//! The parser is hand-written rather than built on a general argument parser (clap and
//! friends) because virsh's rules are its own and every message and help line must come out
//! byte for byte as virsh prints them: the required options of a command may be given
//! positionally in the order they are defined, `--opt=value` and `--opt value` both work, a
//! bare `--` makes the rest data, aliases may carry a value, `--help` anywhere turns the
//! command into `help COMMAND`, and a line holds several commands separated by `;` with
//! virsh's quoting. Help text, tab completion and the errors are all drawn from the same
//! tables ([`CmdDef`], [`OptDef`]).

pub mod help;
pub mod parse;

use crate::ctl::Ctl;

/// What a command's handler returns: `Ok` when it succeeded, else how it failed.
pub type CmdResult = Result<(), Fail>;

/// A command's handler. Commands run one at a time, so handlers are plain functions that
/// block on the connection's calls ([`Ctl::block_on`]).
pub type Handler = fn(&mut Ctl, &Cmd) -> CmdResult;

/// How a command failed.
#[derive(Debug)]
pub enum Fail {
    /// Its messages are printed already.
    Reported,
    /// A libvirt error, printed after the command's own messages (virsh's
    /// `vshReportError`).
    Lib(virtwire::Error),
    /// Failed with no cause to show: virsh prints libvirt's text for an error that was
    /// never set.
    Unknown,
}

impl From<virtwire::Error> for Fail {
    fn from(e: virtwire::Error) -> Self {
        Fail::Lib(e)
    }
}

/// The kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKind {
    /// A flag: present or not.
    Bool,
    /// A number (`<number>` in help).
    Int,
    /// A string (`<string>` in help).
    String,
    /// Required data, usually given positionally (`<name>` in help).
    Data,
    /// Every remaining argument (only last).
    Argv,
    /// Another name for the option named here; `"name=value"` makes a flag that sets that
    /// option to that value.
    Alias(&'static str),
}

/// The option must be given.
pub const REQ: u8 = 1;
/// The option is only taken with its `--name` (never positionally).
pub const REQ_OPT: u8 = 2;
/// An empty value is accepted.
pub const EMPTY_OK: u8 = 4;

/// One option of a command.
#[derive(Debug, Clone, Copy)]
pub struct OptDef {
    /// Its name, without `--`.
    pub name: &'static str,
    /// What it takes.
    pub kind: OptKind,
    /// [`REQ`], [`REQ_OPT`], [`EMPTY_OK`].
    pub flags: u8,
    /// The help line.
    pub help: &'static str,
}

impl OptDef {
    /// A flag.
    pub const fn flag(name: &'static str, help: &'static str) -> OptDef {
        OptDef {
            name,
            kind: OptKind::Bool,
            flags: 0,
            help,
        }
    }

    /// Required data, positional (a domain, a file, …).
    pub const fn data(name: &'static str, help: &'static str) -> OptDef {
        OptDef {
            name,
            kind: OptKind::Data,
            flags: REQ,
            help,
        }
    }

    /// An optional string, positional when no earlier positional option is still waiting.
    pub const fn string(name: &'static str, help: &'static str) -> OptDef {
        OptDef {
            name,
            kind: OptKind::String,
            flags: 0,
            help,
        }
    }

    /// An optional number, positional like [`string`](Self::string).
    pub const fn int(name: &'static str, help: &'static str) -> OptDef {
        OptDef {
            name,
            kind: OptKind::Int,
            flags: 0,
            help,
        }
    }

    /// A required number, positional.
    pub const fn int_req(name: &'static str, help: &'static str) -> OptDef {
        OptDef {
            name,
            kind: OptKind::Int,
            flags: REQ,
            help,
        }
    }

    /// The remaining arguments.
    pub const fn argv(name: &'static str, help: &'static str) -> OptDef {
        OptDef {
            name,
            kind: OptKind::Argv,
            flags: 0,
            help,
        }
    }

    /// Another name for `target` (`"target=value"`: a flag setting `target` to `value`).
    pub const fn alias(name: &'static str, target: &'static str) -> OptDef {
        OptDef {
            name,
            kind: OptKind::Alias(target),
            flags: 0,
            help: "",
        }
    }

    /// The same option, taken only with its `--name`.
    pub const fn named(mut self) -> OptDef {
        self.flags |= REQ_OPT;
        self
    }

    /// The same option, required.
    pub const fn required(mut self) -> OptDef {
        self.flags |= REQ;
        self
    }

    /// The same option, accepting an empty value.
    pub const fn empty_ok(mut self) -> OptDef {
        self.flags |= EMPTY_OK;
        self
    }

    /// Whether it must be given.
    pub fn is_required(&self) -> bool {
        self.flags & REQ != 0
    }

    /// Whether a bare argument may fill it.
    pub fn is_positional(&self) -> bool {
        !matches!(self.kind, OptKind::Bool | OptKind::Alias(_)) && self.flags & REQ_OPT == 0
    }
}

/// The command needs no connection (help, connect, …).
pub const NOCONNECT: u8 = 1;
/// The command is another name for one listed elsewhere: left out of `help`'s lists.
pub const ALIAS: u8 = 2;

/// One command.
#[derive(Debug, Clone, Copy)]
pub struct CmdDef {
    /// Its name.
    pub name: &'static str,
    /// Its options, in virsh's order (which is also the order positional values fill them).
    pub opts: &'static [OptDef],
    /// One line on what it does.
    pub help: &'static str,
    /// The longer description (`""`: none).
    pub desc: &'static str,
    /// What runs it.
    pub handler: Handler,
    /// [`NOCONNECT`], [`ALIAS`].
    pub flags: u8,
}

/// A group of commands as `help` lists them.
#[derive(Debug)]
pub struct Group {
    /// The group's title.
    pub name: &'static str,
    /// The word `help KEYWORD` takes.
    pub keyword: &'static str,
    /// Its commands, in the order `help` lists them.
    pub cmds: Vec<&'static CmdDef>,
}

/// A parsed command: its definition and the options given, in order.
#[derive(Debug)]
pub struct Cmd {
    /// The command.
    pub def: &'static CmdDef,
    /// `(option, value)`; flags have an empty value.
    pub opts: Vec<(&'static OptDef, String)>,
}

impl Cmd {
    /// Whether option `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.opts.iter().any(|(o, _)| o.name == name)
    }

    /// The value of option `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.opts
            .iter()
            .find(|(o, _)| o.name == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of an ARGV option.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.opts
            .iter()
            .filter(|(o, _)| o.name == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}
