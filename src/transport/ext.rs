//! The ext transport: `command=` names a program, run without arguments (as libvirt does:
//! wrap arguments in a script); its stdin and stdout are the link to the daemon.

use super::BoxStream;
use super::process;
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};

pub(super) async fn connect(config: &Config) -> Result<BoxStream> {
    let command = config.command().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            "the ext transport needs the program to run in command=",
        )
    })?;
    tracing::debug!(command, "starting the ext transport's command");
    Ok(Box::new(process::spawn(
        command,
        std::iter::empty::<&str>(),
    )?))
}
