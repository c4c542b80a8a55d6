//! libvirt connection URIs: `driver[+transport]://[user@][host][:port]/[path][?params]`.
//!
//! What the client must know from a URI: which transport to open and where, and the name to
//! send to the daemon in CONNECT_OPEN, which is the URI without the transport and without the
//! parameters meant for the client (`test+unix:///default?socket=/s` reaches the daemon as
//! `test:///default`).
//!
//! Examples from libvirt's documentation, all accepted here:
//!
//! | URI | means |
//! |---|---|
//! | `qemu:///system` | the local system daemon, unix socket |
//! | `xen+ssh://rjones@towada/system` | host `towada` through ssh as `rjones` |
//! | `xen://towada/system?no_verify=1` | TLS to `towada`, server certificate not checked |
//! | `qemu+unix:///system?socket=/opt/libvirt/run/libvirt/libvirt-sock` | a non-standard socket |
//! | `test+tcp://localhost:5000/default` | plain TCP on port 5000, test driver |
//! | `qemu+ext:///system?command=/opt/openssh/bin/ssh` | an external command as the link |

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::error::{Error, Result};

/// How the client reaches the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// A local unix socket.
    Unix,
    /// Plain TCP (port 16509).
    Tcp,
    /// TLS over TCP (port 16514).
    Tls,
    /// The system `ssh` binary, running a proxy on the remote host.
    Ssh,
    /// In-process SSH (libssh2).
    Libssh2,
    /// In-process SSH, libvirt's `libssh` transport: virtwire serves it with the same code as
    /// [`Transport::Libssh2`] (the libssh2 library), with the same URI parameters.
    Libssh,
    /// An external command whose stdin/stdout is the link.
    Ext,
}

impl Transport {
    /// The name used in URIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Unix => "unix",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Ssh => "ssh",
            Transport::Libssh2 => "libssh2",
            Transport::Libssh => "libssh",
            Transport::Ext => "ext",
        }
    }

    /// The default port, for the transports that have one (tcp 16509, tls 16514).
    pub fn default_port(self) -> Option<u16> {
        match self {
            Transport::Tcp => Some(16509),
            Transport::Tls => Some(16514),
            _ => None,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "unix" => Transport::Unix,
            "tcp" => Transport::Tcp,
            "tls" => Transport::Tls,
            "ssh" => Transport::Ssh,
            "libssh2" => Transport::Libssh2,
            "libssh" => Transport::Libssh,
            "ext" => Transport::Ext,
            _ => return None,
        })
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Query parameters that configure the client and are not passed to the daemon (libvirt
/// matches them case-insensitively).
pub const CLIENT_PARAMS: &[&str] = &[
    "name",
    "command",
    "socket",
    "auth",
    "sshauth",
    "netcat",
    "keyfile",
    "pkipath",
    "known_hosts",
    "known_hosts_verify",
    "tls_priority",
    "mode",
    "proxy",
    "no_sanity",
    "no_verify",
    "no_tty",
    "authfile",
];

/// Client parameters that libvirt keeps in the URI it hands to `virt-ssh-helper`.
const HELPER_PARAMS: &[&str] = &["mode", "socket"];

/// True when `key` is one of [`CLIENT_PARAMS`].
pub fn is_client_param(key: &str) -> bool {
    CLIENT_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(key))
}

/// A parsed connection URI.
///
/// A password in the URI (`user:secret@host`) is not kept here: [`Config`](super::Config)
/// takes it, and neither `Display` nor `Debug` of a `Uri` can show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Uri {
    scheme: String,
    driver: String,
    transport: Option<Transport>,
    user: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    path: String,
    params: Vec<(String, String)>,
    fragment: Option<String>,
    /// The URI as the `url` crate normalised it, without the password: what `Display` shows.
    /// Rebuilding it from the decoded parts cannot be exact (a `%2F` or `%40` decoded, a URI
    /// without `//`); this text parses back to the same `Uri`.
    text: String,
}

impl Uri {
    /// The hypervisor driver (`qemu`, `test`, `remote`, …), lower case.
    pub fn driver(&self) -> &str {
        &self.driver
    }

    /// The whole scheme as written, lower case (`qemu+ssh`).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The transport named in the scheme, if any.
    pub fn explicit_transport(&self) -> Option<Transport> {
        self.transport
    }

    /// The transport to use: the one named, else TLS when a host is given, else unix.
    pub fn transport(&self) -> Transport {
        match (self.transport, &self.host) {
            (Some(t), _) => t,
            (None, Some(_)) => Transport::Tls,
            (None, None) => Transport::Unix,
        }
    }

    /// The user name before `@`.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The host, without brackets for IPv6 addresses.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The host to connect to: the URI's, else `localhost` (as libvirt does for
    /// `qemu+tcp:///system`).
    pub fn host_or_localhost(&self) -> &str {
        self.host.as_deref().unwrap_or("localhost")
    }

    /// The port, when given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path (`/system`, `/session`, `/default`, …), possibly empty.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The fragment after `#`, if any (passed on to the daemon).
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.as_deref()
    }

    /// All query parameters, decoded, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The value of the last query parameter named `key` (case-insensitive, like libvirt).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// True when the boolean parameter `key` is set to a non-zero value. Lenient: use
    /// [`Config`](super::Config) for libvirt's strict integer parsing.
    pub fn flag(&self, key: &str) -> bool {
        self.param(key).is_some_and(|v| v != "0" && !v.is_empty())
    }

    /// The name to send to the daemon in CONNECT_OPEN: `name=` when given; none for the
    /// `remote` driver (the daemon picks its default); otherwise the URI without transport,
    /// user, host, port and client parameters.
    pub fn daemon_name(&self) -> Option<String> {
        if let Some(name) = self.param("name") {
            return Some(name.to_owned());
        }
        if self.driver == "remote" {
            return None;
        }
        Some(self.format_local(&[]))
    }

    /// The URI `virt-ssh-helper` gets on the remote host: like
    /// [`daemon_name`](Self::daemon_name), but keeping `mode` and `socket` (libvirt does the
    /// same, so the helper picks the same daemon).
    pub fn helper_uri(&self) -> String {
        if let Some(name) = self.param("name") {
            return name.to_owned();
        }
        self.format_local(HELPER_PARAMS)
    }

    /// `driver://path?params#fragment`: client parameters dropped except those in `keep`.
    fn format_local(&self, keep: &[&str]) -> String {
        let mut name = format!("{}://{}", self.driver, encode_path(&self.path));
        let mut sep = '?';
        for (k, v) in &self.params {
            let kept = keep.iter().any(|p| p.eq_ignore_ascii_case(k));
            if is_client_param(k) && !kept {
                continue;
            }
            name.push(sep);
            sep = '&';
            name.push_str(&encode_component(k));
            name.push('=');
            name.push_str(&encode_component(v));
        }
        if let Some(frag) = &self.fragment {
            name.push('#');
            name.push_str(&encode_component(frag));
        }
        name
    }

    /// Parses `s`, also returning the password of `user:password@host` when there is one.
    pub(crate) fn parse_with_password(s: &str) -> Result<(Uri, Option<String>)> {
        let url = url::Url::parse(s)
            .map_err(|e| Error::config(format!("invalid connection URI {s:?}")).with_source(e))?;
        let password = url.password().map(decode_component).transpose()?;
        Ok((Uri::from_url(s, &url)?, password))
    }

    fn from_url(s: &str, url: &url::Url) -> Result<Uri> {
        let scheme = url.scheme().to_ascii_lowercase();
        let (driver, transport) = match scheme.split_once('+') {
            Some((d, t)) => {
                let t = Transport::parse(t).ok_or_else(|| {
                    Error::config(format!(
                        "unknown transport {t:?} in URI {s:?} \
                         (should be tls|unix|ssh|ext|tcp|libssh2|libssh)"
                    ))
                })?;
                (d.to_owned(), Some(t))
            }
            None => (scheme.clone(), None),
        };
        if driver.is_empty() {
            return Err(Error::config(format!("URI {s:?} names no driver")));
        }
        let host = parse_host(url)?;
        if let (Some(Transport::Unix), Some(h)) = (transport, &host) {
            return Err(Error::config(format!(
                "using a unix socket and remote server {h:?} is not supported"
            )));
        }
        let mut shown = url.clone();
        // fails only for URIs that cannot have a password (no host)
        let _ = shown.set_password(None);
        let user = match url.username() {
            "" => None,
            u => Some(decode_component(u)?),
        };
        Ok(Uri {
            scheme,
            driver,
            transport,
            user,
            host,
            port: url.port(),
            path: decode_component(url.path())?,
            params: parse_params(url.query().unwrap_or(""))?,
            fragment: url.fragment().map(decode_component).transpose()?,
            text: shown.into(),
        })
    }
}

fn parse_host(url: &url::Url) -> Result<Option<String>> {
    Ok(match url.host() {
        None => None,
        Some(url::Host::Domain("")) => None,
        Some(url::Host::Domain(d)) => Some(decode_component(d)?),
        Some(url::Host::Ipv4(a)) => Some(a.to_string()),
        Some(url::Host::Ipv6(a)) => Some(a.to_string()),
    })
}

/// Characters escaped in query keys and values.
const QUERY_ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Characters escaped in the path.
const PATH_ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, QUERY_ESCAPE).to_string()
}

fn encode_path(s: &str) -> String {
    utf8_percent_encode(s, PATH_ESCAPE).to_string()
}

fn decode_component(s: &str) -> Result<String> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::config(format!("URI component {s:?} is not UTF-8 once decoded")))
}

/// Parses `key=value&key2=value2` (libvirt also accepts `;` as a separator).
fn parse_params(query: &str) -> Result<Vec<(String, String)>> {
    query
        .split(['&', ';'])
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode_component(k)?, decode_component(v)?))
        })
        .collect()
}

impl FromStr for Uri {
    type Err = Error;

    /// Parses a URI; a password in it is dropped (use [`Config`](super::Config) to keep it).
    fn from_str(s: &str) -> Result<Self> {
        Uri::parse_with_password(s).map(|(uri, _)| uri)
    }
}

impl fmt::Display for Uri {
    /// The URI as parsed (normalised by the WHATWG URL rules), without its password; it parses
    /// back to an equal `Uri`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uri({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    /// Found by the `config_text` fuzz target: a URI without `//`, or whose decoded parts
    /// (`%2F`, `%40`, `%3A`, `%23`) mean something else when written back, did not parse back
    /// to the same `Uri` from its `Display`.
    #[test]
    fn display_parses_back_to_the_same_uri() {
        for s in [
            "qemu:sqemu:sysystem",
            "qemu:////a//b",
            "qemu:/.//x",
            "qemu:///a/x%2F..%2Fb",
            "test+ssh://us%40er%3Ax@host:22/p%3Fq?a%26b=c%3Dd;e#f%23g",
            "test+tcp://[::1]:99/default",
            "test+tcp://a%20b/x",
            "qemu+ssh://user:secret@host/system",
        ] {
            let u = uri(s);
            let shown = u.to_string();
            assert_eq!(uri(&shown), u, "{s} shown as {shown}");
            assert_eq!(uri(&shown).to_string(), shown, "{s}");
            assert!(!shown.contains("secret"), "{shown}");
        }
    }

    #[test]
    fn unix_socket_uri_reaches_the_daemon_without_transport_or_socket() {
        let u = uri("test+unix:///default?socket=/tmp/x/libvirt-sock");
        assert_eq!(u.driver(), "test");
        assert_eq!(u.transport(), Transport::Unix);
        assert_eq!(u.param("socket"), Some("/tmp/x/libvirt-sock"));
        assert_eq!(u.daemon_name().as_deref(), Some("test:///default"));
    }

    #[test]
    fn per_test_node_file_path_is_kept() {
        let u = uri("test+unix:///tmp/n/node.xml?socket=/s");
        assert_eq!(u.daemon_name().as_deref(), Some("test:///tmp/n/node.xml"));
    }

    #[test]
    fn default_transport_depends_on_host() {
        assert_eq!(uri("qemu:///system").transport(), Transport::Unix);
        assert_eq!(uri("qemu://host/system").transport(), Transport::Tls);
        let u = uri("qemu+ssh://root@[::1]:2222/system?keyfile=/k&foo=b%20r");
        assert_eq!(u.transport(), Transport::Ssh);
        assert_eq!(u.user(), Some("root"));
        assert_eq!(u.host(), Some("::1"));
        assert_eq!(u.port(), Some(2222));
        assert_eq!(u.daemon_name().as_deref(), Some("qemu:///system?foo=b%20r"));
    }

    #[test]
    fn name_param_and_remote_driver() {
        assert_eq!(
            uri("remote+tcp://h/?name=qemu:///system")
                .daemon_name()
                .as_deref(),
            Some("qemu:///system")
        );
        assert_eq!(uri("remote+tcp://h/").daemon_name(), None);
        assert_eq!(uri("remote:///").daemon_name(), None);
    }

    /// The examples of libvirt's uri.html and remote.html: transport, user, host, port, and
    /// the name the daemon receives.
    #[test]
    fn libvirt_documented_examples() {
        use Transport::*;
        type Case<'a> = (
            &'a str,
            Transport,
            Option<&'a str>,
            Option<&'a str>,
            Option<u16>,
            Option<&'a str>,
        );
        #[rustfmt::skip]
        let cases: &[Case] = &[
            ("test:///default", Unix, None, None, None, Some("test:///default")),
            ("test:///path/to/host/definitions", Unix, None, None, None,
             Some("test:///path/to/host/definitions")),
            ("qemu:///system", Unix, None, None, None, Some("qemu:///system")),
            ("qemu:///session", Unix, None, None, None, Some("qemu:///session")),
            ("xen:///system", Unix, None, None, None, Some("xen:///system")),
            ("xen+ssh://rjones@towada/system", Ssh, Some("rjones"), Some("towada"), None,
             Some("xen:///system")),
            ("xen://towada/system", Tls, None, Some("towada"), None, Some("xen:///system")),
            ("xen://towada/system?no_verify=1", Tls, None, Some("towada"), None,
             Some("xen:///system")),
            ("qemu://compute1.libvirt.org/system", Tls, None, Some("compute1.libvirt.org"), None,
             Some("qemu:///system")),
            ("qemu+unix:///system?socket=/opt/libvirt/run/libvirt/libvirt-sock", Unix, None, None,
             None, Some("qemu:///system")),
            ("test+tcp://localhost:5000/default", Tcp, None, Some("localhost"), Some(5000),
             Some("test:///default")),
            ("qemu+libssh2://user@host/system?known_hosts=/home/user/.ssh/known_hosts", Libssh2,
             Some("user"), Some("host"), None, Some("qemu:///system")),
            ("qemu+libssh://user@host/system?known_hosts=/home/user/.ssh/known_hosts", Libssh,
             Some("user"), Some("host"), None, Some("qemu:///system")),
            ("qemu+ssh://host/system?command=/opt/openssh/bin/ssh", Ssh, None, Some("host"), None,
             Some("qemu:///system")),
            ("qemu+ext:///system?command=/opt/openssh/bin/ssh", Ext, None, None, None,
             Some("qemu:///system")),
            ("qemu+ssh://user@host/system?netcat=/opt/netcat/bin/nc&keyfile=/root/.ssh/example_key",
             Ssh, Some("user"), Some("host"), None, Some("qemu:///system")),
            ("qemu+tls://host/system?tls_priority=NORMAL:-VERS-SSL3.0&pkipath=/tmp/pki/client",
             Tls, None, Some("host"), None, Some("qemu:///system")),
            ("qemu:///system?mode=direct", Unix, None, None, None, Some("qemu:///system")),
            ("qemu+ssh://host/system?proxy=native&no_tty=1", Ssh, None, Some("host"), None,
             Some("qemu:///system")),
            ("qemu+ssh://root@[2001:db8::1]:2222/system", Ssh, Some("root"), Some("2001:db8::1"),
             Some(2222), Some("qemu:///system")),
            ("qemu+tcp:///system", Tcp, None, None, None, Some("qemu:///system")),
            ("remote://host/", Tls, None, Some("host"), None, None),
            ("qemu+tls://host/system?name=qemu:///embed&auth=sasl", Tls, None, Some("host"), None,
             Some("qemu:///embed")),
        ];
        for (s, transport, user, host, port, name) in cases {
            let u = uri(s);
            assert_eq!(u.transport(), *transport, "{s}");
            assert_eq!(u.user(), *user, "{s}");
            assert_eq!(u.host(), *host, "{s}");
            assert_eq!(u.port(), *port, "{s}");
            assert_eq!(u.daemon_name().as_deref(), *name, "{s}");
        }
        assert_eq!(uri("qemu+tcp:///system").host_or_localhost(), "localhost");
        assert_eq!(Tcp.default_port(), Some(16509));
        assert_eq!(Tls.default_port(), Some(16514));
        assert_eq!(Ssh.default_port(), None);
    }

    #[test]
    fn bad_uris_are_config_errors() {
        for s in [
            "",
            "no-scheme",
            "qemu+carrier-pigeon:///system",
            "+unix:///x",
            "qemu+unix://host/system",
        ] {
            let e = s.parse::<Uri>().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config, "{s}");
        }
    }

    #[test]
    fn transport_and_params_are_case_insensitive() {
        let u = uri("QEMU+SSH://host/system?No_Verify=1&SOCKET=/s&Foo=1");
        assert_eq!(u.driver(), "qemu");
        assert_eq!(u.transport(), Transport::Ssh);
        assert_eq!(u.param("socket"), Some("/s"));
        assert!(u.flag("no_verify"));
        assert_eq!(u.daemon_name().as_deref(), Some("qemu:///system?Foo=1"));
    }

    #[test]
    fn helper_uri_keeps_mode_and_socket() {
        let u = uri("qemu+ssh://h/system?mode=legacy&keyfile=/k&socket=/s&x=y");
        assert_eq!(u.helper_uri(), "qemu:///system?mode=legacy&socket=/s&x=y");
        assert_eq!(u.daemon_name().as_deref(), Some("qemu:///system?x=y"));
    }

    #[test]
    fn path_and_fragment_are_escaped_for_the_daemon() {
        let u = uri("test+unix:///tmp/a%20b.xml?socket=/s#frag");
        assert_eq!(u.path(), "/tmp/a b.xml");
        assert_eq!(u.fragment(), Some("frag"));
        assert_eq!(
            u.daemon_name().as_deref(),
            Some("test:///tmp/a%20b.xml#frag")
        );
    }

    #[test]
    fn password_is_taken_out_and_never_displayed() {
        let (u, pw) = Uri::parse_with_password("qemu+tcp://bob:s3cret@h/system").unwrap();
        assert_eq!(pw.as_deref(), Some("s3cret"));
        assert_eq!(u.user(), Some("bob"));
        assert!(!u.to_string().contains("s3cret"));
        assert!(!format!("{u:?}").contains("s3cret"));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "qemu:///system",
            "qemu+ssh://root@[2001:db8::1]:2222/system?keyfile=/k",
            "test+tcp://localhost:5000/default",
            "xen://towada/system?no_verify=1",
        ] {
            assert_eq!(uri(s).to_string(), s);
            assert_eq!(uri(&uri(s).to_string()), uri(s));
        }
    }
}
