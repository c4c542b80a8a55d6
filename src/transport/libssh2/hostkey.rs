//! The server's host key against a `known_hosts` file, as `known_hosts_verify` says.
//!
//! The file is read line by line: a line libssh2 cannot parse (a key type it does not know,
//! `@cert-authority`, …) is skipped rather than failing the whole file. A new key (accepted
//! by `known_hosts_verify=auto`, or with `normal` by the application's auth callback) is
//! appended as one line (`host key-type base64`, with `[host]:port` for ports other than 22),
//! leaving the rest of the file as it was.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use ssh2::{CheckResult, HashType, KnownHostFileKind, KnownHosts, Session};

use super::ask::{self, Verdict};
use super::{Plan, SSH_PORT, step_error};
use crate::config::KnownHostsVerify;
use crate::error::{Error, ErrorKind, Result};

/// Checks the host key of the `session` that `plan` opened.
pub(super) fn check(session: &Session, plan: &Plan) -> Result<()> {
    if plan.verify == KnownHostsVerify::Ignore {
        tracing::debug!(host = %plan.addr(), "known_hosts_verify=ignore: host key not checked");
        return Ok(());
    }
    let file = &plan.known_hosts;
    let (key, _) = session.host_key().ok_or_else(|| {
        Error::new(
            ErrorKind::Auth,
            format!("host key check: {} sent no host key", plan.addr()),
        )
    })?;
    let key = key.to_vec();
    let key_type = key_type(&key).unwrap_or("unknown").to_owned();
    let fingerprint = session
        .host_key_hash(HashType::Sha256)
        .map(|h| format!("SHA256:{}", base64(h).trim_end_matches('=')))
        .unwrap_or_default();
    let mut known = session.known_hosts().map_err(|e| {
        step_error(
            ErrorKind::Auth,
            "host key check: cannot set up the known hosts",
            e,
        )
    })?;
    let content = load(&mut known, file)?;
    let failed = |what: String| {
        Error::new(
            ErrorKind::Auth,
            format!("host key verification failed: {what}"),
        )
    };
    match known.check_port(&plan.host, plan.port, &key) {
        CheckResult::Match => Ok(()),
        CheckResult::Mismatch => Err(failed(format!(
            "the {key_type} key of {} ({fingerprint}) differs from the one recorded for it in \
             {}: someone may be intercepting the connection, or the host's key changed (remove \
             the old entry to accept the new key)",
            plan.addr(),
            file.display()
        ))),
        CheckResult::NotFound => {
            let unknown = || {
                format!(
                    "{} is not in {}{} (its {key_type} key is {fingerprint})",
                    plan.addr(),
                    file.display(),
                    if content.is_none() {
                        ", which does not exist"
                    } else {
                        ""
                    },
                )
            };
            let how = "add it there, or connect with known_hosts_verify=auto to accept and \
                       record it";
            let accepted_by = match (plan.verify, plan.callback.as_deref()) {
                (KnownHostsVerify::Auto, _) => "known_hosts_verify=auto",
                (_, None) => {
                    return Err(failed(format!(
                        "{}; there is no auth callback to ask whether to accept it: {how}",
                        unknown()
                    )));
                }
                // libvirt asks its auth callback
                (_, Some(callback)) => match ask::host_key(callback, plan, &fingerprint)? {
                    Verdict::Accept => "the auth callback",
                    Verdict::Refuse => {
                        return Err(failed(format!(
                            "{}, and the auth callback did not accept it",
                            unknown()
                        )));
                    }
                    Verdict::CannotAsk => {
                        return Err(failed(format!(
                            "{}; the auth callback takes no EchoPrompt questions, so it \
                             cannot be asked whether to accept it: {how}",
                            unknown()
                        )));
                    }
                },
            };
            let line = format!("{} {key_type} {}\n", entry_name(plan), base64(&key));
            append(file, content.as_deref(), &line)?;
            tracing::info!(
                host = %plan.addr(),
                %fingerprint,
                file = %file.display(),
                by = accepted_by,
                "accepted and recorded the unknown host key"
            );
            Ok(())
        }
        CheckResult::Failure => Err(failed(format!(
            "cannot check the key of {} against {}",
            plan.addr(),
            file.display()
        ))),
    }
}

/// Reads `file` into `known`, one line at a time; `None` when the file does not exist.
fn load(known: &mut KnownHosts, file: &Path) -> Result<Option<String>> {
    let content = match fs::read(file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::io(
                format!("host key check: cannot read {}", file.display()),
                e,
            ));
        }
    };
    for (n, line) in content.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Err(e) = known.read_str(line, KnownHostFileKind::OpenSSH) {
            tracing::debug!(
                file = %file.display(),
                line = n + 1,
                error = %e,
                "skipping a known_hosts line libssh2 does not understand"
            );
        }
    }
    Ok(Some(content))
}

/// The host's name in a known_hosts line: `host`, or `[host]:port` off port 22.
fn entry_name(plan: &Plan) -> String {
    if plan.port == SSH_PORT {
        plan.host.clone()
    } else {
        format!("[{}]:{}", plan.host, plan.port)
    }
}

/// Appends `line` to `file` (whose `content` was read before, `None` if it did not exist),
/// creating it and its folder if needed.
fn append(file: &Path, content: Option<&str>, line: &str) -> Result<()> {
    let io_error = |e| {
        Error::io(
            format!(
                "host key check: cannot add the host key to {}",
                file.display()
            ),
            e,
        )
    };
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_error)?;
    }
    let mut out = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .open(file)
        .map_err(io_error)?;
    let newline = content.is_some_and(|c| !c.is_empty() && !c.ends_with('\n'));
    let text = if newline {
        format!("\n{line}")
    } else {
        line.to_owned()
    };
    out.write_all(text.as_bytes()).map_err(io_error)
}

/// The key type at the start of an ssh public key blob (`ssh-ed25519`, `ssh-rsa`, …).
fn key_type(blob: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(blob.get(4..4usize.checked_add(len)?)?).ok()
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn key_type_from_the_blob() {
        let mut blob = 11u32.to_be_bytes().to_vec();
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&[0, 0, 0, 32]);
        assert_eq!(key_type(&blob), Some("ssh-ed25519"));
        assert_eq!(key_type(&[0, 0, 0, 9, b'x']), None);
        assert_eq!(key_type(&[]), None);
    }

    #[test]
    fn append_creates_the_file_and_keeps_lines_whole() {
        let dir = std::env::temp_dir().join(format!("virtwire-kh-{}", std::process::id()));
        let file = dir.join("sub").join("known_hosts");
        append(&file, None, "a ssh-ed25519 AAAA\n").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "a ssh-ed25519 AAAA\n");
        fs::write(&file, "x ssh-rsa BBBB").unwrap();
        append(&file, Some("x ssh-rsa BBBB"), "b ssh-ed25519 CCCC\n").unwrap();
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            "x ssh-rsa BBBB\nb ssh-ed25519 CCCC\n"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
