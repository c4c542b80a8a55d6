//! Questions to the application, from the session thread: its auth callback (libvirt's
//! `virConnectAuth`) and libvirt's auth.conf, asked what libvirt's in-process ssh clients ask
//! them, with the same prompts.
//!
//! | question | auth.conf | callback credential |
//! |---|---|---|
//! | the ssh password | `[auth-ssh-HOST]` (else `[auth-ssh-default]`), key `password` | `Passphrase` or `NoEchoPrompt`: `Enter USER's password for HOST` |
//! | a private key's passphrase | — | `Passphrase` or `NoEchoPrompt`: `Passphrase for key 'FILE'` |
//! | keyboard-interactive prompts | — | `NoEchoPrompt` (or `Passphrase`) / `EchoPrompt`: the server's prompts |
//! | an unknown host key | — | `EchoPrompt`: `Accept SSH host key with hash '…' for host 'HOST:PORT' (y/n)?` |
//!
//! Of `Passphrase` and `NoEchoPrompt`, the one that comes first in the callback's
//! [`credential_types`](AuthCallback::credential_types) is used, as in libvirt. The callback
//! runs on the session thread, so it may block; an error (or a panic) of the callback ends the
//! authentication with an [`ErrorKind::Auth`] error.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use super::Plan;
use crate::config::{AuthCallback, AuthConfig, Credential, CredentialType, SecretString};
use crate::error::{Error, ErrorKind, Result};

/// The credential types that carry a hidden answer (a password, a passphrase).
const HIDDEN: &[CredentialType] = &[CredentialType::Passphrase, CredentialType::NoEchoPrompt];

/// The auth.conf service of the ssh transports.
const SERVICE: &str = "ssh";

/// Asks `callback` for `creds` (`what` names the question in errors).
pub(super) fn ask(callback: &dyn AuthCallback, creds: &mut [Credential], what: &str) -> Result<()> {
    match catch_unwind(AssertUnwindSafe(|| callback.fill(creds))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Error::new(
            ErrorKind::Auth,
            format!("the authentication callback failed to answer {what}"),
        )
        .with_source(e)),
        Err(_) => Err(Error::new(
            ErrorKind::Auth,
            format!("the authentication callback panicked when asked {what}"),
        )),
    }
}

/// The first type of the callback's list that is one of `wanted` (libvirt's choice).
pub(super) fn accepted(
    callback: &dyn AuthCallback,
    wanted: &[CredentialType],
) -> Option<CredentialType> {
    callback
        .credential_types()
        .iter()
        .copied()
        .find(|t| wanted.contains(t))
}

/// The hidden-answer type the callback takes, if any.
pub(super) fn hidden_type(callback: &dyn AuthCallback) -> Option<CredentialType> {
    accepted(callback, HIDDEN)
}

/// Asks the callback one hidden question; `Ok(None)` when it does not take such questions or
/// leaves the answer unset.
fn ask_hidden(
    callback: &dyn AuthCallback,
    prompt: String,
    challenge: Option<&str>,
    what: &str,
) -> Result<Option<SecretString>> {
    let Some(kind) = hidden_type(callback) else {
        return Ok(None);
    };
    let mut cred = Credential::new(kind, prompt);
    if let Some(challenge) = challenge {
        cred = cred.with_challenge(challenge);
    }
    let mut creds = [cred];
    ask(callback, &mut creds, what)?;
    Ok(creds[0].result().cloned())
}

/// Why nobody gave a hidden answer, once the callback (if any) was asked.
pub(super) fn why_unanswered(plan: &Plan) -> &'static str {
    match plan.callback.as_deref() {
        None => "no auth callback to ask",
        Some(cb) if hidden_type(cb).is_none() => {
            "the auth callback takes neither Passphrase nor NoEchoPrompt questions"
        }
        Some(_) => "the auth callback gave none",
    }
}

/// The password known without asking anyone: the URI's or the configuration's, else the one
/// auth.conf has for service `ssh` and the host. An unreadable or inconsistent auth.conf is an
/// error, as for SASL.
pub(super) fn known_password(plan: &Plan) -> Result<Option<SecretString>> {
    if let Some(password) = &plan.password {
        return Ok(Some(SecretString::new(password.as_str())));
    }
    let Some(path) = &plan.authfile else {
        return Ok(None);
    };
    let conf = AuthConfig::load(path)?;
    Ok(conf
        .lookup(SERVICE, &plan.host, "password")?
        .map(SecretString::new))
}

/// The ssh password, as libvirt's `virAuthGetPasswordPath` finds it: [`known_password`], else
/// the callback's answer. `Ok(None)` when nobody gave one.
pub(super) fn password(plan: &Plan) -> Result<Option<SecretString>> {
    if let Some(password) = known_password(plan)? {
        return Ok(Some(password));
    }
    let Some(callback) = plan.callback.as_deref() else {
        return Ok(None);
    };
    ask_hidden(
        callback,
        format!("Enter {}'s password for {}", plan.user, plan.host),
        Some(&plan.host),
        "the ssh password question",
    )
}

/// Where the password was looked for, for the message when there is none.
pub(super) fn password_sources(plan: &Plan) -> String {
    let file = match &plan.authfile {
        Some(path) => format!(
            "none in {} for [auth-{SERVICE}-{}]",
            path.display(),
            plan.host
        ),
        None => "no auth.conf".to_owned(),
    };
    format!(
        "no password (none in the URI or the configuration, {file}, and {})",
        why_unanswered(plan)
    )
}

/// The passphrase of the private key `key`, from the callback. `Ok(None)` when there is no
/// callback or it gave none.
pub(super) fn passphrase(plan: &Plan, key: &Path) -> Result<Option<SecretString>> {
    let Some(callback) = plan.callback.as_deref() else {
        return Ok(None);
    };
    ask_hidden(
        callback,
        format!("Passphrase for key '{}'", key.display()),
        None,
        "the key passphrase question",
    )
}

/// What the callback said about an unknown host key.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Accept it (`y` or `yes`).
    Accept,
    /// Anything else, or no answer.
    Refuse,
    /// The callback does not take [`CredentialType::EchoPrompt`] questions.
    CannotAsk,
}

/// Asks `callback` whether to accept the unknown host key with `fingerprint`.
pub(super) fn host_key(
    callback: &dyn AuthCallback,
    plan: &Plan,
    fingerprint: &str,
) -> Result<Verdict> {
    if accepted(callback, &[CredentialType::EchoPrompt]).is_none() {
        return Ok(Verdict::CannotAsk);
    }
    let question = Credential::new(
        CredentialType::EchoPrompt,
        format!(
            "Accept SSH host key with hash '{fingerprint}' for host '{}:{}' (y/n)?",
            plan.host, plan.port
        ),
    )
    .with_challenge(plan.addr())
    .with_default("n");
    let mut creds = [question];
    ask(callback, &mut creds, "whether to accept the host key")?;
    let yes = creds[0].result().is_some_and(|answer| {
        let answer = answer.expose().trim();
        answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes")
    });
    Ok(if yes {
        Verdict::Accept
    } else {
        Verdict::Refuse
    })
}

/// A keyboard-interactive prompt as libvirt shows it: without the trailing colon (and
/// blanks), which callbacks usually add themselves.
pub(super) fn prompt_text(text: &str) -> &str {
    let text = text.trim_end();
    text.strip_suffix(':').unwrap_or(text).trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CallbackError;

    #[test]
    fn prompts_lose_their_colon() {
        assert_eq!(prompt_text("Password: "), "Password");
        assert_eq!(prompt_text("Verification code:"), "Verification code");
        assert_eq!(prompt_text("Token"), "Token");
    }

    #[test]
    fn callback_errors_and_panics_are_auth_errors() {
        let failing = |_: &mut [Credential]| -> std::result::Result<(), CallbackError> {
            Err("no tty".into())
        };
        let mut creds = [Credential::new(CredentialType::EchoPrompt, "q")];
        let e = ask(&failing, &mut creds, "the question").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(
            e.to_string().contains("failed to answer the question"),
            "{e}"
        );
        assert!(std::error::Error::source(&e).is_some());

        let panicking =
            |_: &mut [Credential]| -> std::result::Result<(), CallbackError> { panic!("oops") };
        let e = ask(&panicking, &mut creds, "the question").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.to_string().contains("panicked"), "{e}");
    }

    #[test]
    fn the_callbacks_order_picks_the_hidden_type() {
        struct Only(&'static [CredentialType]);
        impl AuthCallback for Only {
            fn credential_types(&self) -> &[CredentialType] {
                self.0
            }
            fn fill(&self, _: &mut [Credential]) -> std::result::Result<(), CallbackError> {
                Ok(())
            }
        }
        use CredentialType::*;
        assert_eq!(
            hidden_type(&Only(&[NoEchoPrompt, Passphrase])),
            Some(NoEchoPrompt)
        );
        assert_eq!(
            hidden_type(&Only(&[AuthName, Passphrase])),
            Some(Passphrase)
        );
        assert_eq!(hidden_type(&Only(&[AuthName, EchoPrompt])), None);
    }
}
