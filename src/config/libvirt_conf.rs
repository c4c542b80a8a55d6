//! libvirt's client configuration file, `libvirt.conf`, and the choice of URI that
//! `virConnectOpen` makes from it.
//!
//! The file is `/etc/libvirt/libvirt.conf` for root and `$XDG_CONFIG_HOME/libvirt/libvirt.conf`
//! (by default `~/.config/libvirt/libvirt.conf`) for anyone else — one or the other, as in
//! libvirt. The keys the client uses:
//!
//! ```text
//! uri_default = "qemu:///system"
//! uri_aliases = [
//!   "hail=qemu+ssh://root@hail.cloud.example.com/system",
//!   "sleet=qemu+ssh://root@sleet.cloud.example.com/system",
//! ]
//! remote_mode = "legacy"    # default for the URI parameter mode=
//! remote_proxy = "netcat"   # default for proxy=
//! tls_priority = "NORMAL"   # default for tls_priority=
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use super::host::HostEnv;
use super::uri::Uri;
use crate::error::{Error, ErrorKind, Result};

/// The characters an alias name may contain.
fn is_alias_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The client settings read from `libvirt.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConf {
    uri_default: Option<String>,
    uri_aliases: Vec<String>,
    remote_mode: Option<String>,
    remote_proxy: Option<String>,
    tls_priority: Option<String>,
}

impl ClientConf {
    /// Where the current user's `libvirt.conf` is: the system file for root, the user's
    /// file for anyone else.
    pub fn default_path() -> PathBuf {
        Self::path_for(&HostEnv::current())
    }

    pub(crate) fn path_for(host: &HostEnv) -> PathBuf {
        if host.is_root() {
            PathBuf::from("/etc/libvirt/libvirt.conf")
        } else {
            host.user_config_dir().join("libvirt.conf")
        }
    }

    /// Reads [`default_path`](Self::default_path); a missing file gives empty settings.
    pub fn load() -> Result<ClientConf> {
        Self::load_from(&Self::default_path())
    }

    /// Reads the file at `path`; a missing file gives empty settings.
    pub fn load_from(path: &Path) -> Result<ClientConf> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(Error::io(format!("cannot read {}", path.display()), e));
            }
        };
        Self::parse(&text).map_err(|e| {
            Error::new(ErrorKind::Config, format!("invalid {}", path.display())).with_source(e)
        })
    }

    /// Parses the text of a `libvirt.conf`.
    pub fn parse(text: &str) -> Result<ClientConf> {
        let mut conf = ClientConf::default();
        for (key, value) in parse_entries(text)? {
            match key.as_str() {
                "uri_default" => conf.uri_default = Some(value.into_string(&key)?),
                "uri_aliases" => conf.uri_aliases = value.into_string_list(&key)?,
                "remote_mode" => conf.remote_mode = Some(value.into_string(&key)?),
                "remote_proxy" => conf.remote_proxy = Some(value.into_string(&key)?),
                "tls_priority" => conf.tls_priority = Some(value.into_string(&key)?),
                _ => {}
            }
        }
        Ok(conf)
    }

    /// `uri_default`.
    pub fn uri_default(&self) -> Option<&str> {
        self.uri_default.as_deref()
    }

    /// The `uri_aliases` entries, as written (`name=uri`).
    pub fn uri_aliases(&self) -> &[String] {
        &self.uri_aliases
    }

    /// `remote_mode`: the default for the URI parameter `mode`.
    pub fn remote_mode(&self) -> Option<&str> {
        self.remote_mode.as_deref()
    }

    /// `remote_proxy`: the default for the URI parameter `proxy`.
    pub fn remote_proxy(&self) -> Option<&str> {
        self.remote_proxy.as_deref()
    }

    /// `tls_priority`: the default for the URI parameter `tls_priority`.
    pub fn tls_priority(&self) -> Option<&str> {
        self.tls_priority.as_deref()
    }

    /// The URI the alias `name` stands for, if `uri_aliases` has it. A malformed entry is an
    /// error, as in libvirt.
    pub fn resolve_alias(&self, name: &str) -> Result<Option<&str>> {
        for entry in &self.uri_aliases {
            let (alias, uri) = entry.split_once('=').ok_or_else(|| {
                Error::config(format!(
                    "malformed 'uri_aliases' entry {entry:?}, expected 'alias=uri://host/path'"
                ))
            })?;
            if !alias.chars().all(is_alias_char) {
                return Err(Error::config(format!(
                    "malformed 'uri_aliases' entry {entry:?}, aliases may only contain \
                     'a-Z, 0-9, _, -, .'"
                )));
            }
            if alias == name {
                return Ok(Some(uri));
            }
        }
        Ok(None)
    }

    /// The URI string `virConnectOpen(name)` would use: `name`, else `default_env`
    /// (`LIBVIRT_DEFAULT_URI`), else `uri_default`; then resolved through `uri_aliases`.
    /// `None` when there is nothing at all (libvirt then probes).
    pub fn choose_uri(
        &self,
        name: Option<&str>,
        default_env: Option<&str>,
    ) -> Result<Option<String>> {
        let chosen = match name.filter(|n| !n.is_empty()) {
            // back compat, as libvirt: "xen" and "xen://" mean the local Xen
            Some(n) if n.eq_ignore_ascii_case("xen") || n == "xen://" => "xen:///system",
            Some(n) => n,
            None => match default_env.filter(|d| !d.is_empty()) {
                Some(d) => d,
                None => match self.uri_default() {
                    Some(d) => d,
                    None => return Ok(None),
                },
            },
        };
        let resolved = self.resolve_alias(chosen)?.unwrap_or(chosen);
        Ok(Some(resolved.to_owned()))
    }
}

/// Resolves the URI to open the way `virConnectOpen(name)` does: `name`, else the
/// environment variable `LIBVIRT_DEFAULT_URI`, else `uri_default` from `libvirt.conf`; an
/// alias from `uri_aliases` is replaced by its URI. With nothing at all the result is
/// `remote:///` (`remote:///session` for a user other than root): the daemon then chooses its
/// default driver, as when libvirt probes.
///
/// ```no_run
/// # fn demo() -> virtwire::Result<()> {
/// let uri = virtwire::config::resolve(Some("hail"))?; // an alias from libvirt.conf
/// let default = virtwire::config::resolve(None)?;     // LIBVIRT_DEFAULT_URI, uri_default, …
/// # Ok(()) }
/// ```
pub fn resolve(name: Option<&str>) -> Result<Uri> {
    let host = HostEnv::current();
    let conf = ClientConf::load_from(&ClientConf::path_for(&host))?;
    let env = std::env::var("LIBVIRT_DEFAULT_URI").ok();
    resolve_with(name, &conf, env.as_deref(), &host)
}

pub(crate) fn resolve_with(
    name: Option<&str>,
    conf: &ClientConf,
    default_env: Option<&str>,
    host: &HostEnv,
) -> Result<Uri> {
    let s = choose_with(name, conf, default_env, host)?;
    let uri: Uri = s.parse()?;
    check_missing_slash(&s, &uri)?;
    Ok(uri)
}

/// The text of the URI [`resolve_with`] parses (with a `user:password@` part still in it).
pub(crate) fn choose_with(
    name: Option<&str>,
    conf: &ClientConf,
    default_env: Option<&str>,
    host: &HostEnv,
) -> Result<String> {
    Ok(match conf.choose_uri(name, default_env)? {
        Some(s) => s,
        None if host.is_root() => "remote:///".to_owned(),
        None => "remote:///session".to_owned(),
    })
}

/// libvirt's hint for `qemu://system`, which names a host "system".
pub(crate) fn check_missing_slash(text: &str, uri: &Uri) -> Result<()> {
    let Some(host) = uri.host() else {
        return Ok(());
    };
    let mandates_path = matches!(uri.scheme(), "qemu" | "vbox" | "vz");
    if mandates_path && (host == "system" || host == "session") {
        return Err(Error::config(format!(
            "invalid URI {text} (maybe you want {}:///{host})",
            uri.scheme()
        )));
    }
    Ok(())
}

/// A value in libvirt's configuration file syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    String(String),
    Integer(i64),
    List(Vec<Value>),
}

impl Value {
    fn into_string(self, key: &str) -> Result<String> {
        match self {
            Value::String(s) => Ok(s),
            other => Err(Error::config(format!(
                "{key} must be a string, not {}",
                other.type_name()
            ))),
        }
    }

    fn into_string_list(self, key: &str) -> Result<Vec<String>> {
        match self {
            Value::List(items) => items.into_iter().map(|v| v.into_string(key)).collect(),
            other => Err(Error::config(format!(
                "{key} must be a list of strings, not {}",
                other.type_name()
            ))),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "a number",
            Value::List(_) => "a list",
        }
    }
}

/// Parses `name = value` entries separated by newlines or `;`, with `#` comments. Values:
/// `"string"`, `'string'`, `"""multi-line string"""`, integers, and `[lists, of, values]`.
fn parse_entries(text: &str) -> Result<Vec<(String, Value)>> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut entries = Vec::new();
    loop {
        p.skip_blanks_and_newlines();
        if p.at_end() {
            return Ok(entries);
        }
        let name = p.name()?;
        p.skip_blanks();
        p.expect('=')?;
        p.skip_blanks();
        let value = p.value()?;
        p.separator()?;
        entries.push((name, value));
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn error(&self, what: impl fmt::Display) -> Error {
        Error::config(format!("line {}: {what}", self.line))
    }

    fn skip_comment(&mut self) {
        while self.peek().is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    /// Spaces, tabs, carriage returns and comments, not newlines.
    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => {
                    self.bump();
                }
                '#' => self.skip_comment(),
                _ => return,
            }
        }
    }

    fn skip_blanks_and_newlines(&mut self) {
        loop {
            self.skip_blanks();
            match self.peek() {
                Some('\n') | Some(';') => {
                    self.bump();
                }
                _ => return,
            }
        }
    }

    fn expect(&mut self, want: char) -> Result<()> {
        match self.bump() {
            Some(c) if c == want => Ok(()),
            Some(c) => Err(self.error(format_args!("expected '{want}', found '{c}'"))),
            None => Err(self.error(format_args!("expected '{want}', found the end"))),
        }
    }

    fn separator(&mut self) -> Result<()> {
        self.skip_blanks();
        match self.peek() {
            None => Ok(()),
            Some('\n') | Some(';') => {
                self.bump();
                Ok(())
            }
            Some(c) => Err(self.error(format_args!("expected a separator, found '{c}'"))),
        }
    }

    fn name(&mut self) -> Result<String> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
            Some(c) => return Err(self.error(format_args!("expected a name, found '{c}'"))),
            None => return Err(self.error("expected a name")),
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.bump();
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    fn value(&mut self) -> Result<Value> {
        match self.peek() {
            Some('"') | Some('\'') => self.string().map(Value::String),
            Some('[') => self.list(),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.integer(),
            Some(c) => Err(self.error(format_args!("expected a value, found '{c}'"))),
            None => Err(self.error("expected a value, found the end")),
        }
    }

    fn string(&mut self) -> Result<String> {
        let quote = self.bump().unwrap_or('"');
        let triple = quote == '"' && self.chars[self.pos..].starts_with(&['"', '"']);
        if triple {
            self.pos += 2;
        }
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("unterminated string")),
                Some('\n') if !triple => return Err(self.error("unterminated string")),
                Some(c) if c == quote && !triple => return Ok(out),
                Some('"') if triple && self.chars[self.pos..].starts_with(&['"', '"']) => {
                    self.pos += 2;
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn integer(&mut self) -> Result<Value> {
        let start = self.pos;
        if matches!(self.peek(), Some('-') | Some('+')) {
            self.bump();
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse()
            .map(Value::Integer)
            .map_err(|_| self.error(format_args!("invalid number {text:?}")))
    }

    fn list(&mut self) -> Result<Value> {
        self.expect('[')?;
        let mut items = Vec::new();
        loop {
            self.skip_list_blanks();
            if self.peek() == Some(']') {
                self.bump();
                return Ok(Value::List(items));
            }
            items.push(self.value()?);
            self.skip_list_blanks();
            match self.bump() {
                Some(',') => {}
                Some(']') => return Ok(Value::List(items)),
                Some(c) => return Err(self.error(format_args!("expected ',' or ']', found '{c}'"))),
                None => return Err(self.error("unterminated list")),
            }
        }
    }

    /// Inside a list newlines are blanks too.
    fn skip_list_blanks(&mut self) {
        loop {
            self.skip_blanks();
            if self.peek() == Some('\n') {
                self.bump();
            } else {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_EXAMPLE: &str = r#"
# from libvirt's uri documentation
uri_aliases = [
  "hail=qemu+ssh://root@hail.cloud.example.com/system",
  "sleet=qemu+ssh://root@sleet.cloud.example.com/system",
]
uri_default = "qemu:///system" # trailing comment
remote_mode = 'legacy'; remote_proxy = "netcat"
keepalive_interval = 5
"#;

    fn root() -> HostEnv {
        HostEnv::default()
    }

    fn user() -> HostEnv {
        HostEnv::test_user()
    }

    #[test]
    fn parses_the_documented_example() {
        let c = ClientConf::parse(DOC_EXAMPLE).unwrap();
        assert_eq!(c.uri_default(), Some("qemu:///system"));
        assert_eq!(c.uri_aliases().len(), 2);
        assert_eq!(c.remote_mode(), Some("legacy"));
        assert_eq!(c.remote_proxy(), Some("netcat"));
        assert_eq!(c.tls_priority(), None);
    }

    #[test]
    fn triple_quoted_strings_span_lines() {
        let c = ClientConf::parse("uri_default = \"\"\"test:///\ndefault\"\"\"\n").unwrap();
        assert_eq!(c.uri_default(), Some("test:///\ndefault"));
    }

    #[test]
    fn syntax_and_type_errors_name_the_line() {
        for (text, want) in [
            ("uri_default = \"x", "line 1: unterminated string"),
            ("\nuri_default = qemu", "line 2: expected a value"),
            ("uri_default = 5", "uri_default must be a string"),
            (
                "uri_aliases = \"a=b\"",
                "uri_aliases must be a list of strings",
            ),
            ("uri_default = \"a\" \"b\"", "expected a separator"),
            ("= 1", "expected a name"),
        ] {
            let e = ClientConf::parse(text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn conf_file_depends_on_the_user() {
        assert_eq!(
            ClientConf::path_for(&root()),
            Path::new("/etc/libvirt/libvirt.conf")
        );
        assert_eq!(
            ClientConf::path_for(&user()),
            Path::new("/home/u/.config/libvirt/libvirt.conf")
        );
    }

    #[test]
    fn uri_choice_follows_virconnectopen() {
        let conf = ClientConf::parse(DOC_EXAMPLE).unwrap();
        let empty = ClientConf::default();
        type Case<'a> = (&'a ClientConf, Option<&'a str>, Option<&'a str>, &'a str);
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // explicit name wins, aliases apply to it
            (&conf, Some("test:///default"), Some("qemu:///x"), "test:///default"),
            (&conf, Some("hail"), None, "qemu+ssh://root@hail.cloud.example.com/system"),
            // empty name = no name: LIBVIRT_DEFAULT_URI, then uri_default
            (&conf, Some(""), Some("lxc:///system"), "lxc:///system"),
            (&conf, None, Some("sleet"), "qemu+ssh://root@sleet.cloud.example.com/system"),
            (&conf, None, Some(""), "qemu:///system"),
            (&conf, None, None, "qemu:///system"),
            // not an alias (characters outside the alias set): used as is
            (&conf, Some("hail.example"), None, "hail.example"),
            (&empty, Some("xen"), None, "xen:///system"),
            (&empty, Some("xen://"), None, "xen:///system"),
        ];
        for (c, name, env, want) in cases {
            let got = c.choose_uri(*name, *env).unwrap();
            assert_eq!(got.as_deref(), Some(*want), "{name:?} {env:?}");
        }
        assert_eq!(empty.choose_uri(None, None).unwrap(), None);
    }

    #[test]
    fn nothing_at_all_means_the_remote_driver() {
        let empty = ClientConf::default();
        let u = resolve_with(None, &empty, None, &root()).unwrap();
        assert_eq!(u.to_string(), "remote:///");
        let u = resolve_with(None, &empty, None, &user()).unwrap();
        assert_eq!(u.to_string(), "remote:///session");
        assert_eq!(u.daemon_name(), None);
    }

    #[test]
    fn malformed_aliases_are_errors() {
        let bad = ClientConf::parse("uri_aliases = [ \"no-equals\" ]").unwrap();
        assert!(bad.resolve_alias("x").is_err());
        let bad = ClientConf::parse("uri_aliases = [ \"a b=test:///default\" ]").unwrap();
        assert!(bad.resolve_alias("x").is_err());
        let ok = ClientConf::parse("uri_aliases = [ \"a.b-c_1=test:///default\" ]").unwrap();
        assert_eq!(
            ok.resolve_alias("a.b-c_1").unwrap(),
            Some("test:///default")
        );
    }

    #[test]
    fn missing_slash_gets_libvirts_hint() {
        let e =
            resolve_with(Some("qemu://system"), &ClientConf::default(), None, &root()).unwrap_err();
        assert!(
            e.to_string().contains("maybe you want qemu:///system"),
            "{e}"
        );
        assert!(resolve_with(Some("test://system"), &ClientConf::default(), None, &root()).is_ok());
    }

    #[test]
    fn missing_file_is_empty_settings() {
        let c = ClientConf::load_from(Path::new("/nonexistent/virtwire/libvirt.conf")).unwrap();
        assert_eq!(c, ClientConf::default());
    }
}
