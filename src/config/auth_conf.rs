//! libvirt's client authentication file, `auth.conf`.
//!
//! ```text
//! [credentials-sandbox]
//! authname=alice
//! password=secret123
//!
//! [auth-libvirt-myhost]
//! credentials=sandbox
//!
//! [auth-libvirt-default]
//! credentials=sandbox
//! ```
//!
//! Which file (libvirt's `virAuthGetConfigFilePathURI`): `$LIBVIRT_AUTH_FILE` when set, else
//! the URI's `authfile=` parameter, else `$XDG_CONFIG_HOME/libvirt/auth.conf`
//! (`~/.config/libvirt/auth.conf`) when readable, else `/etc/libvirt/auth.conf` when readable.
//!
//! Lookup (libvirt's `virAuthConfigLookup`, service `libvirt` for the daemon's SASL): group
//! `auth-libvirt-HOST` (HOST: the URI's host, `localhost` for a URI without one), else
//! `auth-libvirt-default`; its `credentials=NAME` names the group `credentials-NAME`, whose
//! keys `authname`, `password`, `username`, `realm` answer the SASL prompts. The libssh2 and
//! libssh transports look up the ssh password the same way with service `ssh`
//! (`[auth-ssh-HOST]`, else `[auth-ssh-default]`; key `password`), as libvirt's
//! `virAuthGetPasswordPath` does.
//!
//! Syntax (libvirt's `virkeyfile.c`): `[group]` lines, `key=value` lines (keys are letters and
//! digits, no space before `=`; the value is everything after `=` up to the end of the line),
//! comments starting with `#` or `;`, blank lines. A group or key given twice is an error.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::credentials::SecretString;
use super::host::HostEnv;
use crate::error::{Error, ErrorKind, Result};

/// libvirt refuses auth files larger than this (`MAX_CONFIG_FILE_SIZE`).
const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// A parsed auth.conf. `Debug` shows the file's name and group names, never values.
#[derive(Clone)]
pub struct AuthConfig {
    path: String,
    groups: HashMap<String, HashMap<String, SecretString>>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut groups: Vec<&String> = self.groups.keys().collect();
        groups.sort();
        f.debug_struct("AuthConfig")
            .field("path", &self.path)
            .field("groups", &groups)
            .finish()
    }
}

fn syntax(path: &str, line: usize, what: &str) -> Error {
    Error::new(ErrorKind::Config, format!("{path}:{line}: {what}"))
}

impl AuthConfig {
    /// Reads and parses the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<AuthConfig> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let read_err = |e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot read the auth file {shown}"),
            )
            .with_source(e)
        };
        let meta = std::fs::metadata(path).map_err(read_err)?;
        if meta.len() > MAX_FILE_SIZE {
            return Err(Error::new(
                ErrorKind::Config,
                format!("the auth file {shown} is larger than {MAX_FILE_SIZE} bytes"),
            ));
        }
        let bytes = std::fs::read(path).map_err(read_err)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("the auth file {shown} is not UTF-8"),
            )
            .with_source(e)
        })?;
        Self::parse(&text, &shown)
    }

    /// Parses `text`; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<AuthConfig> {
        let mut groups: HashMap<String, HashMap<String, SecretString>> = HashMap::new();
        let mut current: Option<String> = None;
        // libvirt ends a line at '\n' or '\r'
        for (i, line) in text.split(['\n', '\r']).enumerate() {
            let n = i + 1;
            let Some(first) = line.chars().next() else {
                continue;
            };
            if first == '[' {
                let Some(end) = line.find(']') else {
                    return Err(syntax(
                        path,
                        n,
                        "cannot find end of group name, expected ']'",
                    ));
                };
                let name = &line[1..end];
                if !name.is_ascii() {
                    return Err(syntax(path, n, "group names must be ASCII"));
                }
                if !line[end + 1..].chars().all(|c| c == ' ' || c == '\t') {
                    return Err(syntax(path, n, "expected newline after the group name"));
                }
                if groups.contains_key(name) {
                    return Err(syntax(path, n, &format!("duplicate group '{name}'")));
                }
                groups.insert(name.to_owned(), HashMap::new());
                current = Some(name.to_owned());
            } else if first.is_ascii_alphanumeric() {
                let key_end = line
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(line.len());
                if !line[key_end..].starts_with('=') {
                    return Err(syntax(path, n, "expected end of value name, expected '='"));
                }
                let Some(group) = current.as_ref().and_then(|g| groups.get_mut(g)) else {
                    return Err(syntax(path, n, "value found before first group"));
                };
                let key = &line[..key_end];
                if group.contains_key(key) {
                    return Err(syntax(path, n, &format!("duplicate key '{key}'")));
                }
                group.insert(key.to_owned(), SecretString::new(&line[key_end + 1..]));
            } else if first == '#' || first == ';' || line.chars().all(|c| c == ' ' || c == '\t') {
                // a comment or a blank line
                continue;
            } else {
                return Err(syntax(path, n, "unexpected statement"));
            }
        }
        Ok(AuthConfig {
            path: path.to_owned(),
            groups,
        })
    }

    /// The file's name, as given to [`load`](Self::load) or [`parse`](Self::parse).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The credential `credname` (`authname`, `password`, `username`, `realm`) for `service`
    /// (`libvirt` for the daemon) on `host`, following libvirt's rules (see the module docs).
    /// `Ok(None)` when the file has no entry; an error when an entry is incomplete.
    pub fn lookup(&self, service: &str, host: &str, credname: &str) -> Result<Option<&str>> {
        let mut auth_group = format!("auth-{service}-{host}");
        if !self.groups.contains_key(&auth_group) {
            auth_group = format!("auth-{service}-default");
        }
        let Some(group) = self.groups.get(&auth_group) else {
            return Ok(None);
        };
        let Some(cred_name) = group.get("credentials") else {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "Missing item 'credentials' in group '{auth_group}' in '{}'",
                    self.path
                ),
            ));
        };
        let cred_group = format!("credentials-{}", cred_name.expose());
        let Some(creds) = self.groups.get(&cred_group) else {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "Missing group '{cred_group}' referenced from group '{auth_group}' in '{}'",
                    self.path
                ),
            ));
        };
        Ok(creds.get(credname).map(SecretString::expose))
    }
}

/// The auth file libvirt's client would read for a connection whose URI has `authfile`
/// (the value of its `authfile=` parameter, if any): see the module docs. `None` when there
/// is none.
pub fn default_path(authfile: Option<&str>) -> Option<PathBuf> {
    default_path_for(authfile.map(Path::new))
}

/// Like [`default_path`], with `authfile=` as a path (as [`Config::authfile`] gives it).
///
/// [`Config::authfile`]: super::Config::authfile
pub(crate) fn default_path_for(authfile: Option<&Path>) -> Option<PathBuf> {
    path_from(
        std::env::var_os("LIBVIRT_AUTH_FILE").map(PathBuf::from),
        authfile,
        Some(HostEnv::current().user_config_dir()),
        |p| std::fs::File::open(p).is_ok(),
    )
}

fn path_from(
    env: Option<PathBuf>,
    authfile: Option<&Path>,
    user_config: Option<PathBuf>,
    readable: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(env) = env.filter(|p| !p.as_os_str().is_empty()) {
        return Some(env);
    }
    if let Some(file) = authfile {
        return Some(file.to_owned());
    }
    let candidates = user_config
        .map(|d| d.join("auth.conf"))
        .into_iter()
        .chain([PathBuf::from("/etc/libvirt/auth.conf")]);
    candidates.into_iter().find(|p| readable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# client credentials
[credentials-sandbox]
authname=alice
password= spaced secret=with=equals

; more
[credentials-other]
authname=bob

[auth-libvirt-localhost]
credentials=sandbox

[auth-libvirt-default]
credentials=other
";

    #[test]
    fn lookup_follows_libvirt() {
        let c = AuthConfig::parse(SAMPLE, "auth.conf").unwrap();
        assert_eq!(
            c.lookup("libvirt", "localhost", "authname").unwrap(),
            Some("alice")
        );
        // the value is everything after '=' to the end of the line
        assert_eq!(
            c.lookup("libvirt", "localhost", "password").unwrap(),
            Some(" spaced secret=with=equals")
        );
        // other hosts fall back to auth-libvirt-default
        assert_eq!(
            c.lookup("libvirt", "elsewhere", "authname").unwrap(),
            Some("bob")
        );
        assert_eq!(c.lookup("libvirt", "elsewhere", "password").unwrap(), None);
        // another service has no entry
        assert_eq!(c.lookup("ssh", "localhost", "authname").unwrap(), None);
        // the ssh transports' service
        let ssh = AuthConfig::parse(
            "[credentials-r]\npassword=pw\n[auth-ssh-h]\ncredentials=r\n",
            "auth.conf",
        )
        .unwrap();
        assert_eq!(ssh.lookup("ssh", "h", "password").unwrap(), Some("pw"));
        assert_eq!(ssh.lookup("ssh", "other", "password").unwrap(), None);
        assert_eq!(ssh.lookup("libvirt", "h", "password").unwrap(), None);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("alice") && !shown.contains("secret"),
            "{shown}"
        );
    }

    #[test]
    fn incomplete_entries_are_errors() {
        let c = AuthConfig::parse("[auth-libvirt-h]\nfoo=bar\n", "f").unwrap();
        let e = c.lookup("libvirt", "h", "authname").unwrap_err();
        assert!(e.to_string().contains("Missing item 'credentials'"), "{e}");
        let c = AuthConfig::parse("[auth-libvirt-h]\ncredentials=x\n", "f").unwrap();
        let e = c.lookup("libvirt", "h", "authname").unwrap_err();
        assert!(e.to_string().contains("credentials-x"), "{e}");
    }

    #[test]
    fn syntax_errors() {
        for (text, what) in [
            ("authname=x\n", "before first group"),
            ("[g\n", "expected ']'"),
            ("[g]\nkey = x\n", "expected '='"),
            ("[g]\n=x\n", "unexpected statement"),
            ("[g]\n[g]\n", "duplicate group"),
            ("[g]\na=1\na=2\n", "duplicate key"),
            ("[g] x\n", "expected newline"),
            ("[g]\n  x\n", "unexpected statement"),
        ] {
            let e = AuthConfig::parse(text, "f").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.to_string().contains(what), "{text:?}: {e}");
        }
        // CR line ends, no final newline, blank lines with spaces
        let c = AuthConfig::parse(
            "[credentials-a]\r\nauthname=x\r\n  \n[auth-libvirt-default]\ncredentials=a",
            "f",
        )
        .unwrap();
        assert_eq!(c.lookup("libvirt", "any", "authname").unwrap(), Some("x"));
    }

    #[test]
    fn which_file() {
        let none = |_: &Path| false;
        let all = |_: &Path| true;
        let env = Some(PathBuf::from("/env/auth.conf"));
        let user = Some(PathBuf::from("/home/u/.config/libvirt"));
        // the environment wins over authfile=
        assert_eq!(
            path_from(
                env.clone(),
                Some(Path::new("/uri/auth.conf")),
                user.clone(),
                none
            ),
            env
        );
        assert_eq!(
            path_from(None, Some(Path::new("/uri/auth.conf")), user.clone(), all),
            Some(PathBuf::from("/uri/auth.conf"))
        );
        assert_eq!(
            path_from(None, None, user.clone(), all),
            Some(PathBuf::from("/home/u/.config/libvirt/auth.conf"))
        );
        assert_eq!(
            path_from(None, None, user.clone(), |p: &Path| p.starts_with("/etc")),
            Some(PathBuf::from("/etc/libvirt/auth.conf"))
        );
        assert_eq!(path_from(None, None, user, none), None);
        assert_eq!(
            path_from(Some(PathBuf::new()), None, None, none),
            None,
            "an empty LIBVIRT_AUTH_FILE counts as unset"
        );
    }

    #[test]
    fn load_reads_files() {
        let dir = std::env::temp_dir().join(format!("virtwire-authfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("auth.conf");
        std::fs::write(&f, SAMPLE).unwrap();
        let c = AuthConfig::load(&f).unwrap();
        assert_eq!(
            c.lookup("libvirt", "localhost", "authname").unwrap(),
            Some("alice")
        );
        let e = AuthConfig::load(dir.join("missing.conf")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
