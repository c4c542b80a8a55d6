//! What the client reads from its own process and machine to pick files and sockets: the
//! effective user, the home folder and the XDG folders, as libvirt's client does.

use std::path::{Path, PathBuf};

/// The process's view of the machine, captured once so that the choices made from it can be
/// tested with any values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HostEnv {
    /// The effective user id (`0` = root: system daemon, system files).
    pub euid: u32,
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$XDG_RUNTIME_DIR`.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
    /// `$XDG_CACHE_HOME`.
    pub xdg_cache_home: Option<PathBuf>,
}

impl HostEnv {
    /// The current process's values.
    pub fn current() -> HostEnv {
        HostEnv {
            euid: effective_uid(),
            home: env_path("HOME"),
            xdg_runtime_dir: env_path("XDG_RUNTIME_DIR"),
            xdg_config_home: env_path("XDG_CONFIG_HOME"),
            xdg_cache_home: env_path("XDG_CACHE_HOME"),
        }
    }

    /// True for root, who uses the system daemon and the system files.
    pub fn is_root(&self) -> bool {
        self.euid == 0
    }

    /// The home folder (`$HOME`, else `/`).
    pub fn home_dir(&self) -> PathBuf {
        self.home.clone().unwrap_or_else(|| PathBuf::from("/"))
    }

    /// libvirt's per-user configuration folder: `$XDG_CONFIG_HOME/libvirt`, by default
    /// `~/.config/libvirt`.
    pub fn user_config_dir(&self) -> PathBuf {
        self.xdg_base(&self.xdg_config_home, ".config")
            .join("libvirt")
    }

    /// libvirt's per-user runtime folder, where session daemons put their sockets:
    /// `$XDG_RUNTIME_DIR/libvirt`, else `$XDG_CACHE_HOME/libvirt` (`~/.cache/libvirt`).
    pub fn user_runtime_dir(&self) -> PathBuf {
        match &self.xdg_runtime_dir {
            Some(dir) => dir.join("libvirt"),
            None => self
                .xdg_base(&self.xdg_cache_home, ".cache")
                .join("libvirt"),
        }
    }

    /// libvirt's per-user PKI folder, `~/.pki/libvirt`.
    pub fn user_pki_dir(&self) -> PathBuf {
        self.home_dir().join(".pki").join("libvirt")
    }

    /// An XDG base folder: the variable when it holds an absolute path, else `~/default`.
    fn xdg_base(&self, var: &Option<PathBuf>, default: &str) -> PathBuf {
        match var {
            Some(dir) if dir.is_absolute() => dir.clone(),
            _ => self.home_dir().join(default),
        }
    }
}

#[cfg(test)]
impl HostEnv {
    /// A user other than root (uid 1000, home /home/u, no XDG variables), for tests.
    pub(crate) fn test_user() -> HostEnv {
        HostEnv {
            euid: 1000,
            home: Some("/home/u".into()),
            ..HostEnv::default()
        }
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() }
}

/// True when `path` exists (following symlinks), as libvirt's `virFileExists`.
pub(crate) fn exists(path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> HostEnv {
        HostEnv::test_user()
    }

    #[test]
    fn defaults_under_home() {
        let h = user();
        assert_eq!(h.user_config_dir(), Path::new("/home/u/.config/libvirt"));
        assert_eq!(h.user_runtime_dir(), Path::new("/home/u/.cache/libvirt"));
        assert_eq!(h.user_pki_dir(), Path::new("/home/u/.pki/libvirt"));
    }

    #[test]
    fn xdg_variables_win() {
        let h = HostEnv {
            xdg_runtime_dir: Some("/run/user/1000".into()),
            xdg_config_home: Some("/cfg".into()),
            ..user()
        };
        assert_eq!(h.user_config_dir(), Path::new("/cfg/libvirt"));
        assert_eq!(h.user_runtime_dir(), Path::new("/run/user/1000/libvirt"));
    }

    #[test]
    fn relative_xdg_config_home_is_ignored() {
        let h = HostEnv {
            xdg_config_home: Some("rel".into()),
            ..user()
        };
        assert_eq!(h.user_config_dir(), Path::new("/home/u/.config/libvirt"));
    }
}
