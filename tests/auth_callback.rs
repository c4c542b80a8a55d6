//! The application's callback supplies the credentials (virConnectOpenAuth).
mod common;

use std::sync::{Arc, Mutex};

use common::Sandbox;
use virtwire::ErrorKind;
use virtwire::config::{CallbackError, Config, Credential, CredentialType, StaticCredentials};

#[tokio::test]
async fn credentials_from_a_callback_on_each_transport() {
    let sb = Sandbox::get();
    let empty = std::path::PathBuf::from(sb.dir()).join("auth-empty.conf");
    std::fs::write(&empty, "").unwrap();
    let uris = [
        format!(
            "test+unix:///default?socket={}&authfile={}",
            sb.sasl_socket(),
            empty.display()
        ),
        format!(
            "test+tcp://127.0.0.1:{}/default?authfile={}",
            sb.sasl_tcp_port(),
            empty.display()
        ),
        format!(
            "test+tls://localhost:{}/default?pkipath={}&authfile={}",
            sb.sasl_tls_port(),
            sb.pki(),
            empty.display()
        ),
    ];
    for uri in &uris {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&asked);
        let (user, pass) = (sb.sasl_user().to_owned(), sb.sasl_password().to_owned());
        let cb = move |creds: &mut [Credential]| -> Result<(), CallbackError> {
            for c in creds.iter_mut() {
                log.lock().unwrap().push(c.kind());
                match c.kind() {
                    CredentialType::AuthName => c.set_result(user.as_str()),
                    CredentialType::Passphrase => c.set_result(pass.as_str()),
                    _ => {}
                }
            }
            Ok(())
        };
        let client = Config::builder()
            .uri(uri.as_str())
            .auth_callback(Arc::new(cb))
            .build()
            .unwrap()
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{uri}: {e:?}"));
        assert!(
            !client
                .list_all_domains(Default::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            *asked.lock().unwrap(),
            vec![CredentialType::AuthName, CredentialType::Passphrase]
        );

        let wrong = Arc::new(StaticCredentials::new(sb.sasl_user(), "wrong"));
        let err = Config::builder()
            .uri(uri.as_str())
            .auth_callback(wrong)
            .build()
            .unwrap()
            .connect()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{uri}: {err:?}");
    }
}
