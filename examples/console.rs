//! Attach the terminal to a domain's console, as `virsh console` does; `^]` leaves.
//!
//! ```sh
//! cargo run --example console -- 'qemu+unix:///system?socket=/run/libvirt/libvirt-sock' GUEST
//! ```

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtwire::Client;
use virtwire::flags::DomainConsoleFlags;

/// The byte `^]` sends.
const ESCAPE: u8 = 0x1d;

/// Puts the terminal on stdin in raw mode (when it is one) and restores it when dropped.
struct RawTerminal(Option<libc::termios>);

impl RawTerminal {
    fn enter() -> Self {
        // SAFETY: termios calls on stdin with a zeroed struct they fill in.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::isatty(0) != 1 || libc::tcgetattr(0, &mut saved) != 0 {
                return RawTerminal(None);
            }
            let mut raw = saved;
            libc::cfmakeraw(&mut raw);
            libc::tcsetattr(0, libc::TCSANOW, &raw);
            RawTerminal(Some(saved))
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            // SAFETY: restores the settings read in `enter`.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, saved) };
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(uri), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: console URI DOMAIN".into());
    };
    let client = Client::connect(&uri).await?;
    let dom = client.lookup_domain_by_name(&name).await?;
    let console = dom
        .open_console(None, DomainConsoleFlags::default())
        .await?;
    eprintln!("Connected to domain '{name}'\r\nEscape character is ^]\r");
    let (mut from_guest, mut to_guest) = tokio::io::split(console);
    let _raw = RawTerminal::enter();

    let mut output = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        let mut buf = [0u8; 4096];
        loop {
            match from_guest.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if stdout.write_all(&buf[..n]).await.is_err() || stdout.flush().await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 1024];
    loop {
        // the guest's side ending (the domain stopped) ends the session too
        let n = tokio::select! {
            n = stdin.read(&mut buf) => n?,
            _ = &mut output => break,
        };
        if n == 0 {
            break;
        }
        let input = &buf[..n];
        let end = input.iter().position(|&b| b == ESCAPE);
        to_guest.write_all(&input[..end.unwrap_or(n)]).await?;
        if end.is_some() {
            break;
        }
    }
    output.abort();
    drop(_raw);
    eprintln!();
    // dropping the console aborts the stream on the daemon
    client.close().await?;
    Ok(())
}
