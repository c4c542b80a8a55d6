//! ssh user authentication with the `sshauth` methods, in order, as libvirt's in-process ssh
//! clients do. Passwords and passphrases come from the URI or the configuration, libvirt's
//! auth.conf and the application's auth callback (see [`super::ask`]).

use std::fmt;
use std::path::Path;

use ssh2::{KeyboardInteractivePrompt, Prompt, Session};

use super::{Plan, ask, step_error};
use crate::config::{AuthCallback, Credential, CredentialType};
use crate::error::{Error, ErrorKind, Result};

/// libssh2's `LIBSSH2_ERROR_FILE`: the private key file cannot be read, which is what an
/// encrypted key without (or with a wrong) passphrase gives.
const LIBSSH2_ERROR_FILE: libc::c_int = -16;

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
    /// Keyboard-interactive: hidden prompts answered with the password, else by the callback.
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
            Err(Failed::Note(note)) => notes.push(format!("{method}: {note}")),
            Err(Failed::Abort(e)) => return Err(e),
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
enum Failed {
    /// The method failed (the next one is tried); what happened.
    Note(String),
    /// Authentication cannot go on: the callback gave up, auth.conf is broken.
    Abort(Error),
}

impl From<String> for Failed {
    fn from(note: String) -> Failed {
        Failed::Note(note)
    }
}

impl From<&str> for Failed {
    fn from(note: &str) -> Failed {
        Failed::Note(note.to_owned())
    }
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed::Abort(e)
    }
}

type Outcome = std::result::Result<(), Failed>;

fn agent(session: &Session, plan: &Plan) -> Outcome {
    if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|s| s.is_empty()) {
        return Err("no agent (SSH_AUTH_SOCK is not set)".into());
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
    outcome.map_err(Failed::Note)
}

fn privkey(session: &Session, plan: &Plan) -> Outcome {
    if plan.keyfiles.is_empty() {
        return Err(
            "no key file (no keyfile=, and none of ~/.ssh/id_ecdsa, id_ed25519, id_rsa exists)"
                .into(),
        );
    }
    let mut notes = Vec::new();
    for key in &plan.keyfiles {
        if plan.keyfile_given && !key.exists() {
            notes.push(format!("{}: no such file", key.display()));
            continue;
        }
        match key_file(session, plan, key)? {
            Ok(()) => return Ok(()),
            Err(note) => notes.push(format!("{}: {note}", key.display())),
        }
    }
    Err(notes.join(", ").into())
}

/// Authenticates with one key file: with the password as its passphrase, if there is one
/// (else none); when libssh2 cannot open the key that way (it is encrypted), with the
/// passphrase the callback gives, as libvirt does. The outer error aborts authentication.
fn key_file(session: &Session, plan: &Plan, key: &Path) -> Result<std::result::Result<(), String>> {
    let first = match session.userauth_pubkey_file(&plan.user, None, key, plan.password.as_deref())
    {
        Ok(()) => return Ok(Ok(())),
        Err(e) => e,
    };
    if first.code() != ssh2::ErrorCode::Session(LIBSSH2_ERROR_FILE) {
        return Ok(Err(first.message().to_owned()));
    }
    let Some(passphrase) = ask::passphrase(plan, key)? else {
        return Ok(Err(format!(
            "{} (an encrypted key? no passphrase: {})",
            first.message(),
            ask::why_unanswered(plan)
        )));
    };
    Ok(session
        .userauth_pubkey_file(&plan.user, None, key, Some(passphrase.expose()))
        .map_err(|e| {
            format!(
                "{} (with the passphrase the auth callback gave)",
                e.message()
            )
        }))
}

fn password(session: &Session, plan: &Plan) -> Outcome {
    let password = ask::password(plan)?.ok_or_else(|| ask::password_sources(plan))?;
    session
        .userauth_password(&plan.user, password.expose())
        .map_err(|e| e.message().to_owned())?;
    Ok(())
}

fn keyboard_interactive(session: &Session, plan: &Plan) -> Outcome {
    let password = ask::known_password(plan)?;
    if password.is_none() && plan.callback.is_none() {
        return Err(ask::password_sources(plan).into());
    }
    let mut prompter = Answers {
        user: &plan.user,
        password: password.as_ref().map(|p| p.expose()),
        callback: plan.callback.as_deref(),
        failure: None,
    };
    let result = session.userauth_keyboard_interactive(&plan.user, &mut prompter);
    if let Some(e) = prompter.failure {
        return Err(Failed::Abort(e));
    }
    result.map_err(|e| e.message().to_owned())?;
    Ok(())
}

/// Answers keyboard-interactive prompts: hidden ones with the password known without asking
/// (URI, configuration, auth.conf), the others with the callback's answers (all in one call,
/// as libvirt asks them: `EchoPrompt` for echoed prompts, `NoEchoPrompt` or `Passphrase` for
/// hidden ones, the server's instructions as the challenge); an echoed prompt left unanswered
/// gets the user name, a hidden one an empty answer.
struct Answers<'a> {
    user: &'a str,
    password: Option<&'a str>,
    callback: Option<&'a dyn AuthCallback>,
    /// The callback failed: authentication stops after this round.
    failure: Option<Error>,
}

impl KeyboardInteractivePrompt for Answers<'_> {
    fn prompt<'b>(
        &mut self,
        _username: &str,
        instructions: &str,
        prompts: &[Prompt<'b>],
    ) -> Vec<String> {
        let mut answers: Vec<Option<String>> = prompts
            .iter()
            .map(|p| self.password.filter(|_| !p.echo).map(str::to_owned))
            .collect();
        if let (Some(callback), None) = (self.callback, &self.failure) {
            let echo = ask::accepted(callback, &[CredentialType::EchoPrompt]);
            let hidden = ask::hidden_type(callback);
            let mut asked = Vec::new();
            let mut creds = Vec::new();
            for (i, p) in prompts.iter().enumerate() {
                let kind = if p.echo { echo } else { hidden };
                let (None, Some(kind)) = (&answers[i], kind) else {
                    continue;
                };
                let mut cred = Credential::new(kind, ask::prompt_text(&p.text));
                if !instructions.trim().is_empty() {
                    cred = cred.with_challenge(instructions.trim());
                }
                creds.push(cred);
                asked.push(i);
            }
            if !creds.is_empty() {
                match ask::ask(callback, &mut creds, "the keyboard-interactive prompts") {
                    Ok(()) => {
                        for (i, cred) in asked.into_iter().zip(&creds) {
                            answers[i] = cred.result().map(|s| s.expose().to_owned());
                        }
                    }
                    Err(e) => self.failure = Some(e),
                }
            }
        }
        prompts
            .iter()
            .zip(answers)
            .map(|(p, answer)| {
                answer.unwrap_or_else(|| {
                    if p.echo {
                        self.user.to_owned()
                    } else {
                        String::new()
                    }
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CallbackError;
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

    fn prompts() -> [Prompt<'static>; 2] {
        [
            Prompt {
                text: Cow::Borrowed("Password: "),
                echo: false,
            },
            Prompt {
                text: Cow::Borrowed("Login: "),
                echo: true,
            },
        ]
    }

    #[test]
    fn prompts_get_the_password_or_the_user() {
        let mut a = Answers {
            user: "u",
            password: Some("pw"),
            callback: None,
            failure: None,
        };
        assert_eq!(a.prompt("u", "", &prompts()), ["pw", "u"]);
    }

    /// Answers every question (`typed` when echoed, `secret` when hidden) and notes it.
    #[derive(Default)]
    struct Recording(std::sync::Mutex<Vec<(CredentialType, String)>>);

    impl AuthCallback for Recording {
        fn fill(&self, creds: &mut [Credential]) -> std::result::Result<(), CallbackError> {
            for c in creds {
                self.0
                    .lock()
                    .unwrap()
                    .push((c.kind(), c.prompt().to_owned()));
                let answer = if c.kind() == CredentialType::EchoPrompt {
                    "typed"
                } else {
                    "secret"
                };
                c.set_result(answer);
            }
            Ok(())
        }
    }

    #[test]
    fn prompts_go_to_the_callback() {
        let recording = Recording::default();
        let log = &recording.0;
        let mut a = Answers {
            user: "u",
            password: None,
            callback: Some(&recording),
            failure: None,
        };
        assert_eq!(a.prompt("u", "Two steps", &prompts()), ["secret", "typed"]);
        assert!(a.failure.is_none());
        assert_eq!(
            *log.lock().unwrap(),
            [
                (CredentialType::Passphrase, "Password".to_owned()),
                (CredentialType::EchoPrompt, "Login".to_owned())
            ]
        );
        // a known password answers the hidden prompt; the callback gets the rest
        log.lock().unwrap().clear();
        let mut a = Answers {
            user: "u",
            password: Some("pw"),
            callback: Some(&recording),
            failure: None,
        };
        assert_eq!(a.prompt("u", "", &prompts()), ["pw", "typed"]);
        assert_eq!(log.lock().unwrap().len(), 1);
        // a failing callback: empty answers, the failure kept
        let failing =
            |_: &mut [Credential]| -> std::result::Result<(), CallbackError> { Err("gone".into()) };
        let mut a = Answers {
            user: "u",
            password: None,
            callback: Some(&failing),
            failure: None,
        };
        assert_eq!(a.prompt("u", "", &prompts()), ["", "u"]);
        assert_eq!(a.failure.unwrap().kind(), ErrorKind::Auth);
    }
}
