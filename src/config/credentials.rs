//! Credentials: what an authentication method asks for, and the application's callback that
//! supplies what libvirt's `auth.conf` does not (libvirt's `virConnectAuth`).

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroize;

use super::auth_conf::AuthConfig;
use crate::error::{Error, ErrorKind, Result};

/// A kind of credential, numbered as libvirt's `virConnectCredentialType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialType {
    /// `VIR_CRED_USERNAME`: the identity to act as (SASL's authorization id); auth.conf key
    /// `username`.
    Username,
    /// `VIR_CRED_AUTHNAME`: the identity to authenticate as; auth.conf key `authname`.
    AuthName,
    /// `VIR_CRED_LANGUAGE`: an RFC 1766 language code.
    Language,
    /// `VIR_CRED_CNONCE`: a client-supplied nonce.
    Cnonce,
    /// `VIR_CRED_PASSPHRASE`: the password; auth.conf key `password`. Secret.
    Passphrase,
    /// `VIR_CRED_ECHOPROMPT`: a challenge answered with a visible response.
    EchoPrompt,
    /// `VIR_CRED_NOECHOPROMPT`: a challenge answered with a hidden response. Secret.
    NoEchoPrompt,
    /// `VIR_CRED_REALM`: the authentication realm; auth.conf key `realm`.
    Realm,
    /// `VIR_CRED_EXTERNAL`: an externally managed credential (polkit agents).
    External,
}

impl CredentialType {
    /// Every type, in libvirt's order: what [`AuthCallback::credential_types`] accepts by
    /// default.
    pub const ALL: &'static [CredentialType] = &[
        CredentialType::Username,
        CredentialType::AuthName,
        CredentialType::Language,
        CredentialType::Cnonce,
        CredentialType::Passphrase,
        CredentialType::EchoPrompt,
        CredentialType::NoEchoPrompt,
        CredentialType::Realm,
        CredentialType::External,
    ];

    /// libvirt's number for the type (`VIR_CRED_USERNAME` = 1 … `VIR_CRED_EXTERNAL` = 9).
    pub fn to_i32(self) -> i32 {
        match self {
            CredentialType::Username => 1,
            CredentialType::AuthName => 2,
            CredentialType::Language => 3,
            CredentialType::Cnonce => 4,
            CredentialType::Passphrase => 5,
            CredentialType::EchoPrompt => 6,
            CredentialType::NoEchoPrompt => 7,
            CredentialType::Realm => 8,
            CredentialType::External => 9,
        }
    }

    /// True for the types whose values are secret (never shown by `Debug`).
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            CredentialType::Passphrase | CredentialType::NoEchoPrompt
        )
    }

    /// The key that holds this credential in an auth.conf `[credentials-NAME]` group, as
    /// libvirt's remote driver reads it.
    pub fn auth_conf_key(self) -> Option<&'static str> {
        match self {
            CredentialType::Username => Some("username"),
            CredentialType::AuthName => Some("authname"),
            CredentialType::Passphrase => Some("password"),
            CredentialType::Realm => Some("realm"),
            _ => None,
        }
    }
}

/// A password, passphrase or hidden answer: never shown by `Debug`, overwritten in memory when
/// dropped (zeroize). The only type virtwire keeps such strings in (not to be confused with
/// libvirt's secret objects, [`crate::Secret`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> SecretString {
        SecretString(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> SecretString {
        SecretString(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> SecretString {
        SecretString(s.to_owned())
    }
}

/// One credential asked of an [`AuthCallback`], like libvirt's `virConnectCredential`: what is
/// asked ([`kind`](Self::kind), [`prompt`](Self::prompt), [`challenge`](Self::challenge),
/// [`default_result`](Self::default_result)) and the answer
/// ([`set_result`](Self::set_result)).
pub struct Credential {
    kind: CredentialType,
    prompt: String,
    challenge: Option<String>,
    default: Option<String>,
    result: Option<SecretString>,
}

impl Credential {
    /// A credential of `kind` with the text shown to a person.
    pub fn new(kind: CredentialType, prompt: impl Into<String>) -> Credential {
        Credential {
            kind,
            prompt: prompt.into(),
            challenge: None,
            default: None,
            result: None,
        }
    }

    /// Adds the challenge (e.g. the host the credential is for).
    pub fn with_challenge(mut self, challenge: impl Into<String>) -> Credential {
        self.challenge = Some(challenge.into());
        self
    }

    /// Adds a suggested answer.
    pub fn with_default(mut self, default: impl Into<String>) -> Credential {
        self.default = Some(default.into());
        self
    }

    /// What is asked for.
    pub fn kind(&self) -> CredentialType {
        self.kind
    }

    /// The text to show a person ("Please enter your password").
    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// Extra context for the question, when there is any (the host's name).
    pub fn challenge(&self) -> Option<&str> {
        self.challenge.as_deref()
    }

    /// A suggested answer, when there is one (the user name of the URI for
    /// [`CredentialType::AuthName`]). It is not used unless the callback sets it.
    pub fn default_result(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// Answers the question.
    pub fn set_result(&mut self, value: impl Into<SecretString>) {
        self.result = Some(value.into());
    }

    /// The answer, once set.
    pub fn result(&self) -> Option<&SecretString> {
        self.result.as_ref()
    }

    fn take_result(&mut self) -> Option<SecretString> {
        self.result.take()
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let result: Option<&dyn fmt::Debug> = match &self.result {
            None => None,
            Some(s) if self.kind.is_secret() => Some(s),
            Some(s) => Some(&s.0),
        };
        f.debug_struct("Credential")
            .field("kind", &self.kind)
            .field("prompt", &self.prompt)
            .field("challenge", &self.challenge)
            .field("default", &self.default)
            .field("result", &result)
            .finish()
    }
}

/// The error an [`AuthCallback`] returns to give up; it becomes the `source()` of the
/// [`ErrorKind::Auth`] error the connection fails with.
pub type CallbackError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Supplies the credentials that libvirt's `auth.conf` does not, like the callback of
/// libvirt's `virConnectAuth`.
///
/// The callback is synchronous and never runs on a runtime worker: SASL calls it on tokio's
/// blocking thread pool (`spawn_blocking`), the libssh2 and libssh transports on the
/// connection's own ssh thread. So it may block: prompt on a terminal, wait for a dialog. To
/// await something async from it, use `tokio::runtime::Handle::block_on` on a handle captured
/// beforehand. SASL calls it at most once per connection attempt, with every credential the
/// chosen mechanism still needs. The in-process ssh transports call it before that, once per
/// question, as libvirt's do: whether to accept an unknown host key (one
/// [`CredentialType::EchoPrompt`], answered `y` or `yes` to accept), the ssh password or a
/// key's passphrase (one [`CredentialType::Passphrase`] or [`CredentialType::NoEchoPrompt`],
/// whichever comes first in [`credential_types`](Self::credential_types)), the prompts of
/// keyboard-interactive authentication (all of them at once).
///
/// Closures `Fn(&mut [Credential]) -> Result<(), CallbackError>` are callbacks; so is
/// [`StaticCredentials`].
///
/// ```
/// use virtwire::config::{AuthCallback, CallbackError, Credential, CredentialType};
///
/// let ask = |creds: &mut [Credential]| -> Result<(), CallbackError> {
///     for c in creds {
///         match c.kind() {
///             CredentialType::AuthName => c.set_result("alice"),
///             CredentialType::Passphrase => c.set_result(std::env::var("PASS")?),
///             _ => {}
///         }
///     }
///     Ok(())
/// };
/// # fn check(_: &dyn AuthCallback) {}
/// # check(&ask);
/// ```
pub trait AuthCallback: Send + Sync + 'static {
    /// The credential types this callback answers (libvirt's `credtype` list); others are not
    /// asked of it. By default, all of them.
    fn credential_types(&self) -> &[CredentialType] {
        CredentialType::ALL
    }

    /// Answers `creds` with [`Credential::set_result`]. A credential left unanswered makes the
    /// authentication fail with a clear error when the mechanism needs it; an `Err` aborts it.
    fn fill(&self, creds: &mut [Credential]) -> Result<(), CallbackError>;
}

impl<F> AuthCallback for F
where
    F: Fn(&mut [Credential]) -> Result<(), CallbackError> + Send + Sync + 'static,
{
    fn fill(&self, creds: &mut [Credential]) -> Result<(), CallbackError> {
        self(creds)
    }
}

/// A callback with fixed answers: an authentication name and a password (and, optionally,
/// an authorization name).
#[derive(Clone)]
pub struct StaticCredentials {
    authname: String,
    password: SecretString,
    username: Option<String>,
}

impl StaticCredentials {
    /// Authenticates as `authname` with `password`.
    pub fn new(
        authname: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> StaticCredentials {
        StaticCredentials {
            authname: authname.into(),
            password: password.into(),
            username: None,
        }
    }

    /// Also answers [`CredentialType::Username`] (the identity to act as).
    pub fn with_username(mut self, username: impl Into<String>) -> StaticCredentials {
        self.username = Some(username.into());
        self
    }
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("authname", &self.authname)
            .field("password", &self.password)
            .field("username", &self.username)
            .finish()
    }
}

impl AuthCallback for StaticCredentials {
    fn fill(&self, creds: &mut [Credential]) -> Result<(), CallbackError> {
        for c in creds {
            match c.kind() {
                CredentialType::AuthName => c.set_result(self.authname.as_str()),
                CredentialType::Passphrase | CredentialType::NoEchoPrompt => {
                    c.set_result(self.password.clone())
                }
                CredentialType::Username => {
                    if let Some(u) = &self.username {
                        c.set_result(u.as_str());
                    }
                }
                _ => {
                    if let Some(d) = c.default_result().map(str::to_owned) {
                        c.set_result(d);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Where credentials come from during one authentication: the auth.conf entry for the host
/// first (as libvirt does), then the application's callback.
pub(crate) struct CredentialSource {
    pub host: String,
    pub config: Option<AuthConfig>,
    pub callback: Option<Arc<dyn AuthCallback>>,
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialSource")
            .field("host", &self.host)
            .field("config", &self.config)
            .field("callback", &self.callback.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl CredentialSource {
    /// Answers `wanted`: each from auth.conf when it has the credential for the host, the rest
    /// from the callback (those of a type it accepts). Returns the answers in the same order;
    /// `None` where nobody answered.
    pub async fn gather(&self, mut wanted: Vec<Credential>) -> Result<Vec<Option<SecretString>>> {
        let mut answers: Vec<Option<SecretString>> = Vec::with_capacity(wanted.len());
        for c in &wanted {
            let from_file = match (&self.config, c.kind.auth_conf_key()) {
                (Some(conf), Some(key)) => conf.lookup("libvirt", &self.host, key)?,
                _ => None,
            };
            answers.push(from_file.map(SecretString::new));
        }
        let Some(callback) = &self.callback else {
            return Ok(answers);
        };
        let accepted = callback.credential_types();
        let ask: Vec<usize> = (0..wanted.len())
            .filter(|&i| answers[i].is_none() && accepted.contains(&wanted[i].kind))
            .collect();
        if ask.is_empty() {
            return Ok(answers);
        }
        let mut asked: Vec<Credential> = Vec::with_capacity(ask.len());
        for &i in ask.iter().rev() {
            asked.push(wanted.swap_remove(i));
        }
        asked.reverse();
        let callback = Arc::clone(callback);
        let (asked, outcome) = tokio::task::spawn_blocking(move || {
            let mut asked = asked;
            let outcome = callback.fill(&mut asked);
            (asked, outcome)
        })
        .await
        .map_err(|e| {
            Error::new(ErrorKind::Auth, "the authentication callback panicked").with_source(e)
        })?;
        outcome.map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                "the authentication callback failed to collect the credentials",
            )
            .with_source(e)
        })?;
        for (i, mut c) in ask.into_iter().zip(asked) {
            answers[i] = c.take_result();
        }
        Ok(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let s = StaticCredentials::new("alice", "hunter2").with_username("bob");
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"), "{shown}");

        let mut c = Credential::new(CredentialType::Passphrase, "Password");
        c.set_result("hunter2");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let mut c = Credential::new(CredentialType::AuthName, "Name");
        c.set_result("alice");
        assert!(format!("{c:?}").contains("alice"));
        assert_eq!(
            format!("{:?}", SecretString::new("x")),
            "SecretString(<redacted>)"
        );
    }

    #[test]
    fn numbers_match_libvirt() {
        let nums: Vec<i32> = CredentialType::ALL.iter().map(|t| t.to_i32()).collect();
        assert_eq!(nums, (1..=9).collect::<Vec<_>>());
    }

    fn wanted() -> Vec<Credential> {
        vec![
            Credential::new(CredentialType::AuthName, "name"),
            Credential::new(CredentialType::Passphrase, "password"),
        ]
    }

    #[tokio::test]
    async fn file_first_then_callback() {
        let conf = AuthConfig::parse(
            "[credentials-x]\nauthname=fromfile\n[auth-libvirt-h]\ncredentials=x\n",
            "test",
        )
        .unwrap();
        let src = CredentialSource {
            host: "h".into(),
            config: Some(conf),
            callback: Some(Arc::new(StaticCredentials::new("fromcb", "pw"))),
        };
        let got = src.gather(wanted()).await.unwrap();
        assert_eq!(got[0].as_ref().unwrap().expose(), "fromfile");
        assert_eq!(got[1].as_ref().unwrap().expose(), "pw");
    }

    #[tokio::test]
    async fn callback_only_gets_its_types_and_errors_are_auth_errors() {
        struct OnlyPass;
        impl AuthCallback for OnlyPass {
            fn credential_types(&self) -> &[CredentialType] {
                &[CredentialType::Passphrase]
            }
            fn fill(&self, creds: &mut [Credential]) -> Result<(), CallbackError> {
                assert_eq!(creds.len(), 1);
                creds[0].set_result("pw");
                Ok(())
            }
        }
        let src = CredentialSource {
            host: "h".into(),
            config: None,
            callback: Some(Arc::new(OnlyPass)),
        };
        let got = src.gather(wanted()).await.unwrap();
        assert!(got[0].is_none());
        assert_eq!(got[1].as_ref().unwrap().expose(), "pw");

        let failing = |_: &mut [Credential]| -> Result<(), CallbackError> { Err("no tty".into()) };
        let src = CredentialSource {
            host: "h".into(),
            config: None,
            callback: Some(Arc::new(failing)),
        };
        let err = src.gather(wanted()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(std::error::Error::source(&err).is_some());
    }
}
