//! The state of a session (virsh's `vshControl`): the connection, the global options, and
//! the runtime that the commands' calls run on.

use std::future::Future;
use std::io::Write;

use virtwire::Client;
use virtwire::config::Config;

use crate::cli::{Cmd, CmdResult, Fail, NOCONNECT};
use crate::output;

/// One rvirsh session.
pub struct Ctl {
    rt: tokio::runtime::Runtime,
    conn: Option<Client>,
    /// The URI to connect to (`-c`, `VIRSH_DEFAULT_CONNECT_URI`, `connect`); `None`: libvirt's
    /// default (`LIBVIRT_DEFAULT_URI`, then `uri_default` in libvirt.conf).
    pub connname: Option<String>,
    /// The URI of the open connection, as it was opened.
    pub uri: Option<String>,
    /// Connect read-only (`-r`).
    pub readonly: bool,
    /// `-q`: no informational messages.
    pub quiet: bool,
    /// `-d LEVEL`.
    pub debug: u8,
    /// The console's escape sequence (`-e`, default `^]`).
    pub escape: String,
    /// In the interactive shell (until `quit`).
    pub interactive: bool,
    /// `-t`: print how long each command took.
    pub timing: bool,
    /// `-k`, `-K`: keepalive interval (seconds, 0: off) and count.
    pub keepalive: Option<(u32, u32)>,
}

impl Ctl {
    /// A session with nothing connected yet.
    pub fn new() -> std::io::Result<Ctl> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        Ok(Ctl {
            rt,
            conn: None,
            connname: None,
            uri: None,
            readonly: false,
            quiet: false,
            debug: 0,
            escape: "^]".to_string(),
            interactive: false,
            timing: false,
            keepalive: None,
        })
    }

    /// Runs `fut` (a call on the connection) to completion.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    /// Opens the connection to `connname`, replacing any open one.
    pub fn connect(&mut self) -> Result<(), virtwire::Error> {
        let mut config = Config::resolve(self.connname.as_deref())?;
        config.set_read_only(self.readonly);
        if let Some((interval, count)) = self.keepalive {
            config.set_keepalive((interval > 0).then(|| virtwire::KeepaliveConfig {
                interval: std::time::Duration::from_secs(u64::from(interval)),
                count,
            }));
        }
        let client = self.rt.block_on(config.connect())?;
        self.conn = Some(client);
        // what `uri` prints: the URI as opened, as libvirt's client reports it
        self.uri = Some(config.uri().to_string());
        Ok(())
    }

    /// Connects to `name` (`None`: the default URI), keeping the open connection when
    /// that fails (virsh's `connect`).
    pub fn reconnect(
        &mut self,
        name: Option<String>,
        readonly: bool,
    ) -> Result<(), virtwire::Error> {
        let old = (
            self.conn.take(),
            self.uri.take(),
            self.connname.clone(),
            self.readonly,
        );
        self.connname = name.or(old.2.clone());
        self.readonly = readonly;
        match self.connect() {
            Ok(()) => {
                if let Some(client) = old.0 {
                    let _ = self.rt.block_on(client.close());
                }
                Ok(())
            }
            Err(e) => {
                (self.conn, self.uri, self.connname, self.readonly) = old;
                Err(e)
            }
        }
    }

    /// Closes the connection, if one is open.
    pub fn disconnect(&mut self) {
        if let Some(client) = self.conn.take() {
            let _ = self.rt.block_on(client.close());
        }
    }

    /// The open connection (connecting first when there is none), or the failure reported
    /// as virsh reports it.
    pub fn conn(&mut self) -> Result<Client, Fail> {
        if self.conn.is_none() {
            if let Err(e) = self.connect() {
                self.error("failed to connect to the hypervisor");
                return Err(Fail::Lib(e));
            }
        }
        Ok(self.conn.clone().expect("connected just above"))
    }

    /// Writes `text` to standard output.
    pub fn print(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
    }

    /// Writes informational `text`, unless `-q` was given (virsh's `vshPrintExtra`).
    pub fn print_extra(&self, text: &str) {
        if !self.quiet {
            self.print(text);
        }
    }

    /// Prints `error: MSG` on standard error (after what standard output holds).
    pub fn error(&self, msg: &str) {
        output::error(msg);
    }

    /// Prints `msg` as an error and hands `e` back, to be reported after it.
    pub fn fail(&self, msg: &str, e: virtwire::Error) -> Fail {
        self.error(msg);
        Fail::Lib(e)
    }

    /// Runs parsed commands in order as virsh does: each one's failure is reported, a blank
    /// line follows each command (unless `-q`), and the result is the last command's.
    pub fn run(&mut self, cmds: &[Cmd]) -> bool {
        let mut ok = true;
        for cmd in cmds {
            let started = std::time::Instant::now();
            let result: CmdResult = if cmd.def.flags & NOCONNECT == 0 && self.conn.is_none() {
                self.conn().map(|_| ())
            } else {
                Ok(())
            };
            let result = result.and_then(|()| (cmd.def.handler)(self, cmd));
            ok = result.is_ok();
            if let Err(f) = result {
                output::report(&f);
            }
            if matches!(cmd.def.name, "quit" | "exit") {
                return ok;
            }
            if self.timing {
                self.print(&format!(
                    "\n(Time: {:.3} ms)\n\n",
                    started.elapsed().as_secs_f64() * 1000.0
                ));
            } else {
                // virsh ends every command with a newline (echo relies on it)
                self.print_extra("\n");
            }
        }
        let _ = std::io::stdout().flush();
        ok
    }
}
