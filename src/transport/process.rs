//! A child process as the link (ssh and ext transports): its stdin and stdout are the byte
//! stream, its stderr is kept to explain a failure.
//!
//! When the child ends the connection — stdout reaches end-of-file, or writing to stdin
//! fails — the stream waits a moment for the child to exit and for the rest of its stderr,
//! then decides: if the child failed (non-zero exit) or never sent a byte, the read or write
//! fails with an error that quotes the child's stderr (`ssh: connect to host … port 22:
//! Connection refused`); otherwise it is an ordinary end-of-file. Dropping the stream kills
//! the child.

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::time::Sleep;

use crate::error::{Error, Result};

/// How much of the child's stderr is kept (the last bytes).
const STDERR_KEEP: usize = 8192;
/// How long to wait for the child's exit status and last words once it ended the link.
const EXIT_GRACE: Duration = Duration::from_secs(2);

type WaitFuture = Pin<Box<dyn Future<Output = io::Result<ExitStatus>> + Send>>;

/// Starts `program` with `args`, its stdin/stdout piped as the link and stderr captured.
pub(crate) fn spawn<I, S>(program: &str, args: I) -> Result<ChildStream>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::io(format!("cannot run {program:?}"), e))?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        unreachable!("all three pipes were requested");
    };
    Ok(ChildStream {
        label: program.to_owned(),
        stdin: Some(stdin),
        stdout,
        stderr: Some(stderr),
        stderr_tail: Vec::new(),
        child: Some(child),
        ending: None,
        outcome: None,
        got_data: false,
    })
}

/// Why the link ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Eof,
    WriteFailed,
}

/// Waiting for the child's exit and the end of its stderr.
struct Ending {
    trigger: Trigger,
    wait: Option<WaitFuture>,
    status: Option<ExitStatus>,
    deadline: Pin<Box<Sleep>>,
}

/// The verdict once the child ended the link: `None` for a clean end-of-file.
type Outcome = Option<(io::ErrorKind, String)>;

/// A child process's stdin/stdout as one `AsyncRead + AsyncWrite`.
pub(crate) struct ChildStream {
    label: String,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: Option<ChildStderr>,
    stderr_tail: Vec<u8>,
    child: Option<Child>,
    ending: Option<Ending>,
    outcome: Option<Outcome>,
    got_data: bool,
}

impl ChildStream {
    /// Moves whatever stderr has into `stderr_tail`; `true` once stderr is closed.
    fn drain_stderr(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(stderr) = self.stderr.as_mut() else {
            return true;
        };
        let mut chunk = [0u8; 1024];
        loop {
            let mut buf = ReadBuf::new(&mut chunk);
            match Pin::new(&mut *stderr).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => break,
                Poll::Ready(Ok(())) => keep_tail(&mut self.stderr_tail, buf.filled()),
                Poll::Ready(Err(_)) => break,
                Poll::Pending => return false,
            }
        }
        self.stderr = None;
        true
    }

    fn start_ending(&mut self, trigger: Trigger) {
        if self.ending.is_some() || self.outcome.is_some() {
            return;
        }
        let wait = self.child.take().map(|mut child| {
            // The future owns the child: dropping the stream still kills it.
            Box::pin(async move { child.wait().await }) as WaitFuture
        });
        self.ending = Some(Ending {
            trigger,
            wait,
            status: None,
            deadline: Box::pin(tokio::time::sleep(EXIT_GRACE)),
        });
    }

    /// Drives the ending to its verdict.
    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        if let Some(outcome) = &self.outcome {
            return Poll::Ready(outcome.clone());
        }
        let stderr_done = self.drain_stderr(cx);
        let Some(ending) = self.ending.as_mut() else {
            return Poll::Ready(None);
        };
        let exited = match ending.wait.as_mut().map(|w| w.as_mut().poll(cx)) {
            Some(Poll::Ready(res)) => Some(res.ok()),
            _ => None,
        };
        if let Some(status) = exited {
            ending.status = status;
            ending.wait = None;
        }
        let settled = stderr_done && ending.wait.is_none();
        if !settled && ending.deadline.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let outcome = self.verdict();
        self.ending = None;
        self.outcome = Some(outcome.clone());
        Poll::Ready(outcome)
    }

    fn verdict(&self) -> Outcome {
        let ending = self.ending.as_ref()?;
        let failed_exit = ending.status.is_some_and(|s| !s.success());
        let failed = failed_exit || !self.got_data || ending.trigger == Trigger::WriteFailed;
        if !failed {
            return None;
        }
        let kind = match ending.trigger {
            Trigger::Eof => io::ErrorKind::UnexpectedEof,
            Trigger::WriteFailed => io::ErrorKind::BrokenPipe,
        };
        Some((kind, self.failure_message(ending.status)))
    }

    fn failure_message(&self, status: Option<ExitStatus>) -> String {
        let mut msg = format!("{} ended the connection", self.label);
        if let Some(status) = status {
            msg.push_str(&format!(" ({status})"));
        }
        let said = String::from_utf8_lossy(&self.stderr_tail);
        let said = said.trim();
        if said.is_empty() {
            msg.push_str(" without an error message");
        } else {
            msg.push_str(": ");
            msg.push_str(said);
        }
        msg
    }
}

/// Appends `new` to `tail`, keeping the last [`STDERR_KEEP`] bytes.
fn keep_tail(tail: &mut Vec<u8>, new: &[u8]) {
    tail.extend_from_slice(new);
    if tail.len() > STDERR_KEEP {
        let cut = tail.len() - STDERR_KEEP;
        tail.drain(..cut);
    }
}

fn outcome_error(outcome: Outcome, fallback: &str) -> io::Error {
    match outcome {
        Some((kind, msg)) => io::Error::new(kind, msg),
        None => io::Error::new(io::ErrorKind::BrokenPipe, fallback.to_owned()),
    }
}

impl AsyncRead for ChildStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.ending.is_none() && this.outcome.is_none() {
            // keep stderr flowing so the child never blocks on it
            this.drain_stderr(cx);
            let before = buf.filled().len();
            ready!(Pin::new(&mut this.stdout).poll_read(cx, buf))?;
            if buf.filled().len() > before {
                this.got_data = true;
                return Poll::Ready(Ok(()));
            }
            this.start_ending(Trigger::Eof);
        }
        match ready!(this.poll_outcome(cx)) {
            None => Poll::Ready(Ok(())),
            Some((kind, msg)) => Poll::Ready(Err(io::Error::new(kind, msg))),
        }
    }
}

impl AsyncWrite for ChildStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.ending.is_none() && this.outcome.is_none() {
            let Some(stdin) = this.stdin.as_mut() else {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the link was shut down for writing",
                )));
            };
            match ready!(Pin::new(stdin).poll_write(cx, buf)) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    this.start_ending(Trigger::WriteFailed);
                }
                other => return Poll::Ready(other),
            }
        }
        let outcome = ready!(this.poll_outcome(cx));
        let fallback = format!("{} closed its input", this.label);
        Poll::Ready(Err(outcome_error(outcome, &fallback)))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(stdin) = this.stdin.as_mut() {
            ready!(Pin::new(stdin).poll_shutdown(cx))?;
        }
        // dropping the pipe is what tells the child we are done
        this.stdin = None;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn sh(script: &str) -> ChildStream {
        spawn("sh", ["-c", script]).unwrap()
    }

    #[tokio::test]
    async fn echoes_through_the_child() {
        let mut s = sh("exec cat");
        s.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        s.shutdown().await.unwrap();
        let mut rest = Vec::new();
        assert_eq!(s.read_to_end(&mut rest).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn early_eof_reports_stderr_and_status() {
        let mut s = sh("echo 'nc: unix connect failed: No such file' >&2; exit 3");
        let mut buf = [0u8; 4];
        let e = s.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let msg = e.to_string();
        assert!(msg.contains("No such file"), "{msg}");
        assert!(msg.contains("exit status: 3"), "{msg}");
        // the verdict sticks
        assert!(s.read(&mut buf).await.is_err());
    }

    #[tokio::test]
    async fn clean_end_after_data_is_plain_eof() {
        let mut s = sh("echo 'a warning' >&2; printf x");
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"x");
    }

    #[tokio::test]
    async fn failing_exit_after_data_is_an_error() {
        let mut s = sh("printf x; echo boom >&2; exit 1");
        let mut out = Vec::new();
        let e = s.read_to_end(&mut out).await.unwrap_err();
        assert!(e.to_string().contains("boom"), "{e}");
    }

    #[tokio::test]
    async fn writing_to_a_dead_child_reports_its_stderr() {
        let mut s = sh("exec 0<&-; echo 'Host key verification failed.' >&2; exit 255");
        // 1 MiB cannot fit in the pipe: the write fails once the child has closed its end,
        // however late that happens (no sleep needed)
        let big = vec![0u8; 1 << 20];
        let e = s.write_all(&big).await.unwrap_err();
        assert!(
            e.to_string().contains("Host key verification failed"),
            "{e}"
        );
    }

    #[test]
    fn stderr_tail_is_bounded() {
        let mut tail = Vec::new();
        keep_tail(&mut tail, &vec![b'a'; STDERR_KEEP]);
        keep_tail(&mut tail, b"end");
        assert_eq!(tail.len(), STDERR_KEEP);
        assert!(tail.ends_with(b"end"));
    }

    #[tokio::test]
    async fn missing_program_is_an_io_error() {
        let e = spawn("/nonexistent/virtwire-ssh", ["x"]).err().unwrap();
        assert_eq!(e.kind(), crate::error::ErrorKind::Io);
    }
}
