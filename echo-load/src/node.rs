//! The node processes under test: started with piped stdin, stdout and stderr (the
//! driver's ends non-blocking, and on Linux grown to 1 MiB), written to and read from by
//! the driver's loop, and stopped at the end: stdin closed, a grace period, then killed.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::check::UniqueIds;
use crate::receive::{Got, Lines, Stderr};

/// One node process and the driver's state for it.
#[derive(Debug)]
pub struct Node {
    /// `n1`, `n2`, ...
    pub name: String,
    /// `"n1"`, as the `src` of its replies must read.
    pub token: Vec<u8>,
    child: Child,
    stdin: Option<ChildStdin>,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
    /// Requests not yet written to its stdin.
    pub out: Vec<u8>,
    pub lines: Lines,
    pub log: Stderr,
    /// The `msg_id`s its replies carried.
    pub msg_ids: UniqueIds,
    /// Its stdout and stderr reached end of file.
    pub stdout_closed: bool,
    pub stderr_closed: bool,
}

/// Makes the driver's end of a pipe non-blocking (it is the driver's alone) and, on
/// Linux, larger.
fn prepare(fd: impl AsFd) -> io::Result<()> {
    rustix::io::ioctl_fionbio(&fd, true)?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::pipe::fcntl_setpipe_size(&fd, 1 << 20);
    Ok(())
}

impl Node {
    /// Starts `bin args` as node `name`, its stderr copied to `log` if given.
    pub fn spawn(bin: &Path, args: &[String], name: String, log: Option<File>) -> io::Result<Node> {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot start {}: {e}", bin.display()))
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io::Error::other("stdio not piped"));
        };
        prepare(&stdin)?;
        prepare(&stdout)?;
        prepare(&stderr)?;
        Ok(Node {
            token: format!("\"{name}\"").into_bytes(),
            name,
            child,
            stdin: Some(stdin),
            stdout,
            stderr,
            out: Vec::with_capacity(1 << 20),
            lines: Lines::default(),
            log: Stderr::new(log),
            msg_ids: UniqueIds::default(),
            stdout_closed: false,
            stderr_closed: false,
        })
    }

    /// The driver's end of its stdin, while open.
    pub fn stdin(&self) -> Option<&ChildStdin> {
        self.stdin.as_ref()
    }

    /// Stops writing to it (it closed its stdin); what waits for it is dropped.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
        self.out.clear();
    }

    /// Writes as much of `out` as its stdin takes now.
    pub fn write_out(&mut self) -> io::Result<()> {
        let Some(stdin) = &mut self.stdin else {
            self.out.clear();
            return Ok(());
        };
        let mut written = 0;
        while written < self.out.len() {
            match stdin.write(&self.out[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.out.clear();
                    return Err(e);
                }
            }
        }
        self.out.drain(..written);
        Ok(())
    }

    /// Reads its stderr as far as it holds data.
    pub fn drain_stderr(&mut self) -> io::Result<()> {
        if !self.stderr_closed && self.log.drain(&mut self.stderr)? == Got::Closed {
            self.stderr_closed = true;
        }
        Ok(())
    }

    /// Whether it has exited, and how, without waiting.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Closes its stdin and waits up to `grace` for it to exit (draining stderr, so a
    /// node that logs as it ends is not held up), then kills it. Returns how it ended.
    pub fn stop(&mut self, grace: Duration) -> String {
        self.stdin = None;
        let until = Instant::now() + grace;
        loop {
            let _ = self.drain_stderr();
            if let Some(status) = self.exited() {
                return describe(status);
            }
            if Instant::now() >= until {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return format!(
                    "did not exit within {} s of its stdin closing; killed",
                    grace.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// "exited with status 1", "killed by signal 6".
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => format!("ended: {status}"),
    }
}
