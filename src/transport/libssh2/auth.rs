//! ssh user authentication with the `sshauth` methods, in order, as libvirt's in-process ssh
//! clients do.

use std::fmt;

use ssh2::{KeyboardInteractivePrompt, Prompt, Session};

use super::{Plan, step_error};
use crate::error::{Error, ErrorKind, Result};

/// libvirt's default `sshauth`.
const DEFAULT_METHODS: &str = "agent,privkey,password,keyboard-interactive";

/// An `sshauth` method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    /// The keys of the ssh agent at `SSH_AUTH_SOCK`.
    Agent,
    /// A private key file: `keyfile=`, else the default keys.
    Privkey,
    /// The password.
    Password,
    /// Keyboard-interactive, answered with the password.
    KeyboardInteractive,
}

impl Method {
    /// The name in `sshauth`.
    fn name(self) -> &'static str {
        match self {
            Method::Agent => "agent",
            Method::Privkey => "privkey",
            Method::Password => "password",
            Method::KeyboardInteractive => "keyboard-interactive",
        }
    }

    /// The ssh protocol's name for the method.
    fn protocol_name(self) -> &'static str {
        match self {
            Method::Agent | Method::Privkey => "publickey",
            Method::Password => "password",
            Method::KeyboardInteractive => "keyboard-interactive",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses `sshauth` (default: agent, privkey, password, keyboard-interactive): names
/// separated by commas, any case.
pub(super) fn parse_methods(sshauth: Option<&str>) -> Result<Vec<Method>> {
    sshauth
        .unwrap_or(DEFAULT_METHODS)
        .split(',')
        .map(|name| match name.trim().to_ascii_lowercase().as_str() {
            "agent" => Ok(Method::Agent),
            "privkey" => Ok(Method::Privkey),
            "password" => Ok(Method::Password),
            "keyboard-interactive" => Ok(Method::KeyboardInteractive),
            _ => Err(Error::new(
                ErrorKind::Config,
                format!(
                    "invalid ssh authentication method {name:?} in sshauth= (should be \
                     agent, privkey, password or keyboard-interactive)"
                ),
            )),
        })
        .collect()
}

/// Authenticates `session` as `plan.user`, trying `plan.methods` in turn; the error says
/// what each one did.
pub(super) fn authenticate(session: &Session, plan: &Plan) -> Result<()> {
    let offered = match session.auth_methods(&plan.user) {
        Ok(list) => list.to_owned(),
        // the server let us in without authentication
        Err(_) if session.authenticated() => return Ok(()),
        Err(e) => {
            return Err(step_error(
                ErrorKind::Auth,
                format!(
                    "ssh authentication as {}: cannot get the server's methods",
                    plan.who()
                ),
                e,
            ));
        }
    };
    if session.authenticated() {
        return Ok(());
    }
    let offered_list: Vec<&str> = offered.split(',').map(str::trim).collect();
    let mut notes = Vec::new();
    for &method in &plan.methods {
        if !offered_list.contains(&method.protocol_name()) {
            notes.push(format!("{method}: not offered by the server"));
            continue;
        }
        let outcome = match method {
            Method::Agent => agent(session, plan),
            Method::Privkey => privkey(session, plan),
            Method::Password => password(session, plan),
            Method::KeyboardInteractive => keyboard_interactive(session, plan),
        };
        match outcome {
            Ok(()) if session.authenticated() => {
                tracing::debug!(%method, to = %plan.who(), "ssh authentication succeeded");
                return Ok(());
            }
            // partial success: the server wants another method as well
            Ok(()) => notes.push(format!("{method}: accepted, but more is required")),
            Err(note) => notes.push(format!("{method}: {note}")),
        }
    }
    Err(Error::new(
        ErrorKind::Auth,
        format!(
            "ssh authentication as {} failed ({}); the server accepts: {}",
            plan.who(),
            notes.join("; "),
            if offered.is_empty() {
                "nothing"
            } else {
                &offered
            },
        ),
    ))
}

/// Why a method did not get us in.
type Outcome = std::result::Result<(), String>;

fn agent(session: &Session, plan: &Plan) -> Outcome {
    if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|s| s.is_empty()) {
        return Err("no agent (SSH_AUTH_SOCK is not set)".to_owned());
    }
    let mut agent = session.agent().map_err(|e| e.message().to_owned())?;
    agent
        .connect()
        .map_err(|e| format!("cannot reach the agent: {}", e.message()))?;
    let outcome = (|| {
        agent
            .list_identities()
            .map_err(|e| format!("cannot list the agent's keys: {}", e.message()))?;
        let keys = agent
            .identities()
            .map_err(|e| format!("cannot list the agent's keys: {}", e.message()))?;
        if keys.is_empty() {
            return Err("the agent has no keys".to_owned());
        }
        for key in &keys {
            if agent.userauth(&plan.user, key).is_ok() {
                return Ok(());
            }
        }
        Err(format!(
            "the server accepted none of the agent's {} key(s)",
            keys.len()
        ))
    })();
    let _ = agent.disconnect();
    outcome
}

fn privkey(session: &Session, plan: &Plan) -> Outcome {
    if plan.keyfiles.is_empty() {
        return Err(
            "no key file (no keyfile=, and none of ~/.ssh/id_ecdsa, id_ed25519, id_rsa exists)"
                .to_owned(),
        );
    }
    let mut notes = Vec::new();
    for key in &plan.keyfiles {
        if plan.keyfile_given && !key.exists() {
            notes.push(format!("{}: no such file", key.display()));
            continue;
        }
        // the password doubles as the passphrase of an encrypted key
        match session.userauth_pubkey_file(&plan.user, None, key, plan.password.as_deref()) {
            Ok(()) => return Ok(()),
            Err(e) => notes.push(format!("{}: {}", key.display(), e.message())),
        }
    }
    Err(notes.join(", "))
}

const NO_PASSWORD: &str = "no password given (in the URI as user:password@host, or with \
                           ConfigBuilder::password)";

fn password(session: &Session, plan: &Plan) -> Outcome {
    let password = plan.password.as_deref().ok_or(NO_PASSWORD)?;
    session
        .userauth_password(&plan.user, password)
        .map_err(|e| e.message().to_owned())
}

fn keyboard_interactive(session: &Session, plan: &Plan) -> Outcome {
    let password = plan.password.as_deref().ok_or(NO_PASSWORD)?;
    let mut prompter = Answers {
        user: &plan.user,
        password,
    };
    session
        .userauth_keyboard_interactive(&plan.user, &mut prompter)
        .map_err(|e| e.message().to_owned())
}

/// Answers keyboard-interactive prompts: hidden ones (a password) with the password, echoed
/// ones (a user name) with the user name.
struct Answers<'a> {
    user: &'a str,
    password: &'a str,
}

impl KeyboardInteractivePrompt for Answers<'_> {
    fn prompt<'b>(
        &mut self,
        _username: &str,
        _instructions: &str,
        prompts: &[Prompt<'b>],
    ) -> Vec<String> {
        prompts
            .iter()
            .map(|p| if p.echo { self.user } else { self.password }.to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn sshauth_parsing() {
        assert_eq!(
            parse_methods(None).unwrap(),
            [
                Method::Agent,
                Method::Privkey,
                Method::Password,
                Method::KeyboardInteractive
            ]
        );
        assert_eq!(
            parse_methods(Some("Password, PRIVKEY")).unwrap(),
            [Method::Password, Method::Privkey]
        );
        for bad in ["", "privkey,", "publickey", "agent,none"] {
            let e = parse_methods(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
        }
    }

    #[test]
    fn prompts_get_the_password_or_the_user() {
        let mut a = Answers {
            user: "u",
            password: "pw",
        };
        let prompts = [
            Prompt {
                text: Cow::Borrowed("Password: "),
                echo: false,
            },
            Prompt {
                text: Cow::Borrowed("Login: "),
                echo: true,
            },
        ];
        assert_eq!(a.prompt("u", "", &prompts), ["pw", "u"]);
    }
}
