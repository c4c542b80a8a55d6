//! libvirt's TLS files: where they are and what is in them.
//!
//! | files | root (or no user files) | other users | `pkipath=DIR` |
//! |---|---|---|---|
//! | CA certificate | `/etc/pki/CA/cacert.pem` | `~/.pki/libvirt/cacert.pem` | `DIR/cacert.pem` |
//! | CRL (optional) | `/etc/pki/CA/cacrl.pem` | `~/.pki/libvirt/cacrl.pem` | `DIR/cacrl.pem` |
//! | client certificate | `/etc/pki/libvirt/clientcert.pem` | `~/.pki/libvirt/clientcert.pem` | `DIR/clientcert.pem` |
//! | client key | `/etc/pki/libvirt/private/clientkey.pem` | `~/.pki/libvirt/clientkey.pem` | `DIR/clientkey.pem` |
//!
//! For a user other than root, each user file that is missing falls back to the system one
//! (certificate and key as a pair), as in libvirt. The CA certificate must exist; the client
//! certificate and key are optional but go together.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::config::host::HostEnv;
use crate::error::{Error, Result};

const SYSTEM_CACERT: &str = "/etc/pki/CA/cacert.pem";
const SYSTEM_CACRL: &str = "/etc/pki/CA/cacrl.pem";
const SYSTEM_CLIENTCERT: &str = "/etc/pki/libvirt/clientcert.pem";
const SYSTEM_CLIENTKEY: &str = "/etc/pki/libvirt/private/clientkey.pem";

/// The files a TLS connection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PkiFiles {
    pub cacert: PathBuf,
    pub cacrl: Option<PathBuf>,
    /// Client certificate and key.
    pub identity: Option<(PathBuf, PathBuf)>,
}

/// Finds the files for `pkipath` (or libvirt's defaults for `host`'s user).
pub(crate) fn locate(
    pkipath: Option<&Path>,
    host: &HostEnv,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<PkiFiles> {
    let (mut cacert, mut cacrl, mut identity) = (None, None, None);
    let dir = match pkipath {
        Some(dir) => Some(dir.to_owned()),
        None if !host.is_root() => Some(host.user_pki_dir()),
        None => None,
    };
    if let Some(dir) = &dir {
        cacert = Some(dir.join("cacert.pem")).filter(|p| pkipath.is_some() || exists(p));
        cacrl = Some(dir.join("cacrl.pem")).filter(|p| exists(p));
        let pair = (dir.join("clientcert.pem"), dir.join("clientkey.pem"));
        identity = match pkipath {
            Some(_) => check_pair(pair, exists)?,
            // user files: only a complete pair counts, else the system's
            None => Some(pair).filter(|(c, k)| exists(c) && exists(k)),
        };
    }
    if pkipath.is_none() {
        cacert = cacert.or_else(|| Some(PathBuf::from(SYSTEM_CACERT)));
        cacrl = cacrl.or_else(|| Some(PathBuf::from(SYSTEM_CACRL)).filter(|p| exists(p)));
        if identity.is_none() {
            let pair = (SYSTEM_CLIENTCERT.into(), SYSTEM_CLIENTKEY.into());
            identity = check_pair(pair, exists)?;
        }
    }
    let cacert = cacert.unwrap_or_default();
    if !exists(&cacert) {
        return Err(Error::config(format!(
            "CA certificate {} does not exist",
            cacert.display()
        )));
    }
    Ok(PkiFiles {
        cacert,
        cacrl,
        identity,
    })
}

/// Both files, neither, or an error naming the one that is missing.
fn check_pair(
    (cert, key): (PathBuf, PathBuf),
    exists: &dyn Fn(&Path) -> bool,
) -> Result<Option<(PathBuf, PathBuf)>> {
    match (exists(&cert), exists(&key)) {
        (true, true) => Ok(Some((cert, key))),
        (false, false) => Ok(None),
        (false, true) => Err(Error::config(format!(
            "certificate {} does not exist, but key {} does",
            cert.display(),
            key.display()
        ))),
        (true, false) => Err(Error::config(format!(
            "key {} does not exist, but certificate {} does",
            key.display(),
            cert.display()
        ))),
    }
}

/// Every certificate in a PEM file (at least one).
pub(crate) fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| pem_error(what, path, e))?;
    if certs.is_empty() {
        return Err(Error::config(format!(
            "{what} {} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// Every CRL in a PEM file.
pub(crate) fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    CertificateRevocationListDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| pem_error("CA revocation list", path, e))
}

/// The private key in a PEM file (PKCS#1, PKCS#8 or SEC1).
pub(crate) fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_error("private key", path, e))
}

fn pem_error(what: &str, path: &Path, e: rustls_pki_types::pem::Error) -> Error {
    Error::config(format!("cannot read the {what} {}", path.display())).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> HostEnv {
        HostEnv::default()
    }

    fn user() -> HostEnv {
        HostEnv::test_user()
    }

    fn locate_with(pkipath: Option<&str>, host: &HostEnv, present: &[&str]) -> Result<PkiFiles> {
        let exists = |p: &Path| present.iter().any(|q| Path::new(q) == p);
        locate(pkipath.map(Path::new), host, &exists)
    }

    fn files(ca: &str, crl: Option<&str>, id: Option<(&str, &str)>) -> PkiFiles {
        PkiFiles {
            cacert: ca.into(),
            cacrl: crl.map(Into::into),
            identity: id.map(|(c, k)| (c.into(), k.into())),
        }
    }

    const SYS_ALL: &[&str] = &[
        SYSTEM_CACERT,
        SYSTEM_CACRL,
        SYSTEM_CLIENTCERT,
        SYSTEM_CLIENTKEY,
    ];

    #[test]
    fn root_uses_the_system_files() {
        let got = locate_with(None, &root(), SYS_ALL).unwrap();
        let want = files(
            SYSTEM_CACERT,
            Some(SYSTEM_CACRL),
            Some((SYSTEM_CLIENTCERT, SYSTEM_CLIENTKEY)),
        );
        assert_eq!(got, want);
        let got = locate_with(None, &root(), &[SYSTEM_CACERT]).unwrap();
        assert_eq!(got, files(SYSTEM_CACERT, None, None));
    }

    #[test]
    fn users_fall_back_to_system_files_one_by_one() {
        let u = "/home/u/.pki/libvirt";
        let ucert = format!("{u}/clientcert.pem");
        let ukey = format!("{u}/clientkey.pem");
        let uca = format!("{u}/cacert.pem");
        // user CA + system identity
        let got = locate_with(None, &user(), &[&uca, SYSTEM_CLIENTCERT, SYSTEM_CLIENTKEY]).unwrap();
        assert_eq!(
            got,
            files(&uca, None, Some((SYSTEM_CLIENTCERT, SYSTEM_CLIENTKEY)))
        );
        // user identity + system CA
        let got = locate_with(None, &user(), &[SYSTEM_CACERT, &ucert, &ukey]).unwrap();
        assert_eq!(got, files(SYSTEM_CACERT, None, Some((&ucert, &ukey))));
        // half a user pair does not count
        let got = locate_with(None, &user(), &[SYSTEM_CACERT, &ucert]).unwrap();
        assert_eq!(got, files(SYSTEM_CACERT, None, None));
    }

    #[test]
    fn pkipath_overrides_the_folder() {
        let all = [
            "/p/cacert.pem",
            "/p/cacrl.pem",
            "/p/clientcert.pem",
            "/p/clientkey.pem",
        ];
        let got = locate_with(Some("/p"), &user(), &all).unwrap();
        let want = files(
            "/p/cacert.pem",
            Some("/p/cacrl.pem"),
            Some(("/p/clientcert.pem", "/p/clientkey.pem")),
        );
        assert_eq!(got, want);
        // no fallback to the system's files from pkipath
        let mut present = vec!["/p/cacert.pem"];
        present.extend(SYS_ALL);
        let got = locate_with(Some("/p"), &root(), &present).unwrap();
        assert_eq!(got, files("/p/cacert.pem", None, None));
    }

    #[test]
    fn missing_files_are_named() {
        let e = locate_with(Some("/p"), &root(), SYS_ALL).unwrap_err();
        assert!(
            e.to_string().contains("/p/cacert.pem does not exist"),
            "{e}"
        );
        let e = locate_with(None, &root(), &[]).unwrap_err();
        assert!(e.to_string().contains(SYSTEM_CACERT), "{e}");
        let e =
            locate_with(Some("/p"), &root(), &["/p/cacert.pem", "/p/clientkey.pem"]).unwrap_err();
        assert!(
            e.to_string()
                .contains("certificate /p/clientcert.pem does not exist"),
            "{e}"
        );
        let e = locate_with(None, &root(), &[SYSTEM_CACERT, SYSTEM_CLIENTCERT]).unwrap_err();
        assert!(
            e.to_string().contains("does not exist, but certificate"),
            "{e}"
        );
    }
}
