//! The one way the crate runs ffmpeg and ffprobe: stdin closed, a wall-clock deadline, killed on
//! timeout, on the job's cancellation and on drop, stdout read by the caller piece by piece and
//! stderr drained alongside into a bounded tail kept for diagnostics.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::tool::Tool;

/// How much of a tool's stderr is kept: its last lines say why it failed.
const STDERR_TAIL_BYTES: usize = 2048;

/// A running tool.
pub(crate) struct Subprocess {
    tool: Tool,
    child: Child,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    tail: Tail,
    started: Instant,
    deadline: Instant,
    cancel: CancellationToken,
}

impl Subprocess {
    /// Starts `tool` with `args`; it must finish within `timeout` (see [`Subprocess::extend`])
    /// and is killed when `cancel` fires. With `stdout` false its output is discarded.
    pub(crate) fn spawn(
        tool: Tool,
        args: &[OsString],
        timeout: Duration,
        cancel: &CancellationToken,
        stdout: bool,
    ) -> Result<Self> {
        Self::spawn_program(
            tool,
            OsStr::new(tool.program()),
            args,
            timeout,
            cancel,
            stdout,
        )
    }

    /// [`Subprocess::spawn`] with the program named explicitly.
    fn spawn_program(
        tool: Tool,
        program: &OsStr,
        args: &[OsString],
        timeout: Duration,
        cancel: &CancellationToken,
        stdout: bool,
    ) -> Result<Self> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(if stdout {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| Error::Spawn { tool, source })?;
        let started = Instant::now();
        Ok(Subprocess {
            tool,
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            tail: Tail::default(),
            started,
            deadline: started + timeout,
            cancel: cancel.clone(),
        })
    }

    /// Moves the deadline to `timeout` after the start (a run that makes progress earns time).
    pub(crate) fn extend(&mut self, timeout: Duration) {
        self.deadline = self.deadline.max(self.started + timeout);
    }

    /// Reads the next piece of stdout into `buf`; 0 at its end.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut scratch = [0u8; 512];
        loop {
            let event = {
                let Some(stdout) = self.stdout.as_mut() else {
                    return Ok(0);
                };
                tokio::select! {
                    biased;
                    () = self.cancel.cancelled() => Event::Stop(Stop::Cancelled),
                    () = tokio::time::sleep_until(self.deadline) => Event::Stop(Stop::Deadline),
                    read = stdout.read(buf) => Event::Stdout(read),
                    read = read_some(&mut self.stderr, &mut scratch) => Event::Stderr(read),
                }
            };
            match event {
                Event::Stop(stop) => return Err(self.stop(stop).await),
                Event::Stdout(read) => return read.map_err(Error::Io),
                Event::Stderr(read) => self.tail.take(&mut self.stderr, read, &scratch),
                Event::Exited(_) => {}
            }
        }
    }

    /// Waits for the tool to exit (stdout not read any further is discarded) and checks its
    /// status: a failure is [`Error::Undecodable`] with the status and the stderr tail.
    pub(crate) async fn finish(mut self) -> Result<()> {
        self.stdout = None;
        let mut scratch = [0u8; 512];
        loop {
            let event = tokio::select! {
                biased;
                () = self.cancel.cancelled() => Event::Stop(Stop::Cancelled),
                () = tokio::time::sleep_until(self.deadline) => Event::Stop(Stop::Deadline),
                read = read_some(&mut self.stderr, &mut scratch) => Event::Stderr(read),
                status = self.child.wait(), if self.stderr.is_none() => Event::Exited(status),
            };
            match event {
                Event::Stop(stop) => return Err(self.stop(stop).await),
                Event::Stderr(read) => self.tail.take(&mut self.stderr, read, &scratch),
                Event::Exited(status) => {
                    let status = status.map_err(Error::Io)?;
                    return if status.success() {
                        Ok(())
                    } else {
                        Err(self.undecodable(&status.to_string()))
                    };
                }
                Event::Stdout(_) => {}
            }
        }
    }

    /// Kills the tool: the caller gave up on it (too long, bad output).
    pub(crate) async fn abandon(mut self) {
        self.kill().await;
    }

    /// The error for a run whose output is unusable: `why`, then what the tool said last.
    pub(crate) fn undecodable(&self, why: &str) -> Error {
        let tail = self.tail.text();
        Error::Undecodable {
            tool: self.tool,
            detail: if tail.is_empty() {
                why.to_owned()
            } else {
                format!("{why}: {tail}")
            },
        }
    }

    async fn stop(&mut self, stop: Stop) -> Error {
        self.kill().await;
        match stop {
            Stop::Cancelled => Error::Cancelled { tool: self.tool },
            Stop::Deadline => Error::TimedOut {
                tool: self.tool,
                after: self.deadline - self.started,
            },
        }
    }

    async fn kill(&mut self) {
        if let Err(error) = self.child.kill().await {
            // Already gone: nothing is left to stop.
            tracing::debug!(tool = %self.tool, %error, "kill after exit");
        }
    }
}

enum Stop {
    Cancelled,
    Deadline,
}

/// What woke a wait on the tool.
enum Event {
    Stop(Stop),
    Stdout(std::io::Result<usize>),
    Stderr(std::io::Result<usize>),
    Exited(std::io::Result<std::process::ExitStatus>),
}

/// Reads from stderr while it is open; pends forever once it is closed, so a `select!` branch
/// on it goes quiet.
async fn read_some(stderr: &mut Option<ChildStderr>, buf: &mut [u8]) -> std::io::Result<usize> {
    match stderr {
        Some(s) => s.read(buf).await,
        None => std::future::pending().await,
    }
}

/// The last [`STDERR_TAIL_BYTES`] of a tool's stderr.
#[derive(Default)]
struct Tail(VecDeque<u8>);

impl Tail {
    /// Keeps what a stderr read returned; closes `stderr` at its end or on a read error.
    fn take(&mut self, stderr: &mut Option<ChildStderr>, read: std::io::Result<usize>, buf: &[u8]) {
        match read {
            Ok(0) | Err(_) => *stderr = None,
            Ok(n) => {
                self.0.extend(&buf[..n]);
                let excess = self.0.len().saturating_sub(STDERR_TAIL_BYTES);
                self.0.drain(..excess);
            }
        }
    }

    fn text(&self) -> String {
        let (a, b) = self.0.as_slices();
        let bytes = [a, b].concat();
        String::from_utf8_lossy(&bytes)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    use super::*;

    /// A shell script standing in for a tool.
    fn script(dir: &tempfile::TempDir, body: &str) -> PathBuf {
        let path = dir.path().join("tool");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    fn run(path: &Path, timeout: Duration, cancel: &CancellationToken) -> Subprocess {
        Subprocess::spawn_program(Tool::Ffmpeg, path.as_os_str(), &[], timeout, cancel, true)
            .expect("spawn")
    }

    async fn drain(mut p: Subprocess) -> Result<(Vec<u8>, Subprocess)> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = p.read(&mut buf).await?;
            if n == 0 {
                return Ok((out, p));
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[tokio::test]
    async fn a_hung_tool_is_killed_at_its_deadline() {
        let dir = tempfile::tempdir().expect("dir");
        let sleeper = script(&dir, "exec sleep 600");
        let p = run(
            &sleeper,
            Duration::from_millis(300),
            &CancellationToken::new(),
        );
        let pid = p.child.id().expect("pid");
        let err = drain(p).await.err().expect("must time out");
        assert!(
            matches!(err, Error::TimedOut { tool: Tool::Ffmpeg, after } if after == Duration::from_millis(300)),
            "{err:?}"
        );
        // Killed and reaped: the process is gone.
        assert!(!PathBuf::from(format!("/proc/{pid}")).exists());
    }

    #[tokio::test]
    async fn a_cancelled_job_kills_its_tool() {
        let dir = tempfile::tempdir().expect("dir");
        let sleeper = script(&dir, "exec sleep 600");
        let cancel = CancellationToken::new();
        let p = run(&sleeper, Duration::from_secs(600), &cancel);
        let pid = p.child.id().expect("pid");
        cancel.cancel();
        let err = p.finish().await.expect_err("must be cancelled");
        assert!(
            matches!(err, Error::Cancelled { tool: Tool::Ffmpeg }),
            "{err:?}"
        );
        assert!(!PathBuf::from(format!("/proc/{pid}")).exists());
    }

    #[tokio::test]
    async fn a_missing_tool_is_named() {
        let err = Subprocess::spawn_program(
            Tool::Ffprobe,
            OsStr::new("/nonexistent/ffprobe"),
            &[],
            Duration::from_secs(1),
            &CancellationToken::new(),
            false,
        )
        .err()
        .expect("cannot spawn");
        assert!(matches!(
            err,
            Error::Spawn {
                tool: Tool::Ffprobe,
                ..
            }
        ));
        assert!(err.to_string().contains("ffprobe"));
    }

    #[tokio::test]
    async fn stderr_is_kept_as_a_bounded_tail_and_failure_is_undecodable() {
        let dir = tempfile::tempdir().expect("dir");
        // 1 MB of diagnostics, then the reason, then a failing exit.
        let noisy = script(
            &dir,
            "head -c 1000000 /dev/zero | tr '\\0' x >&2; echo 'the real reason' >&2; echo out; exit 3",
        );
        let p = run(&noisy, Duration::from_secs(60), &CancellationToken::new());
        let (out, p) = drain(p).await.expect("stdout");
        assert_eq!(out, b"out\n");
        assert!(p.tail.0.len() <= STDERR_TAIL_BYTES);
        let err = p.finish().await.expect_err("exit 3 fails");
        let Error::Undecodable { detail, .. } = &err else {
            panic!("{err:?}");
        };
        assert!(detail.contains("exit status: 3"), "{detail}");
        assert!(detail.ends_with("the real reason"), "{detail}");
        assert!(detail.len() < STDERR_TAIL_BYTES + 100);
    }

    #[tokio::test]
    async fn progress_extends_the_deadline() {
        let dir = tempfile::tempdir().expect("dir");
        let quick = script(&dir, "echo done");
        let mut p = run(&quick, Duration::ZERO, &CancellationToken::new());
        p.extend(Duration::from_secs(60));
        let (out, p) = drain(p).await.expect("extended deadline");
        assert_eq!(out, b"done\n");
        p.finish().await.expect("exit 0");
    }
}
