//! The node processes under test: started with piped stdin, stdout and stderr (the
//! driver's ends non-blocking, and on Linux grown to 1 MiB), written to and read from by
//! the driver's loop, and stopped together at the end: stdins closed, a grace period,
//! then the ones still running killed (Maelstrom kills its nodes at the end of a run).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::receive::{Got, Lines, Stderr};

/// One node's process and the driver's buffers for it.
#[derive(Debug)]
pub struct NodeProcess {
    /// `n1`, `n2`, ...
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// The driver's end of its stdout (non-blocking).
    pub stdout: ChildStdout,
    /// The driver's end of its stderr (non-blocking).
    pub stderr: ChildStderr,
    /// Bytes not yet written to its stdin.
    pub out: Vec<u8>,
    /// Its stdout, cut into lines.
    pub lines: Lines,
    /// Its stderr, copied to its log.
    pub log: Stderr,
    /// Its stdout reached end of file.
    pub stdout_closed: bool,
    /// Its stderr reached end of file.
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

/// How a node ended once its stdin was closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// It exited by itself.
    Exited(ExitStatus),
    /// It was still running after the grace period, and was killed.
    Killed,
}

impl NodeProcess {
    /// Starts `bin args` as node `name`, its stderr copied to `log` if given.
    pub fn spawn(
        bin: &Path,
        args: &[String],
        name: String,
        log: Option<File>,
    ) -> io::Result<NodeProcess> {
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
        Ok(NodeProcess {
            name,
            child,
            stdin: Some(stdin),
            stdout,
            stderr,
            out: Vec::with_capacity(64 * 1024),
            lines: Lines::default(),
            log: Stderr::new(log),
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

    /// Writes as much of `out` as its stdin takes now; returns how many bytes.
    pub fn write_out(&mut self) -> io::Result<usize> {
        let Some(stdin) = &mut self.stdin else {
            self.out.clear();
            return Ok(0);
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
        Ok(written)
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
}

/// Closes every node's stdin and waits up to `grace` for them all to exit (draining their
/// stderr, so a node that logs as it ends is not held up), then kills the rest. Returns
/// how each ended.
pub fn stop_all(nodes: &mut [NodeProcess], grace: Duration) -> Vec<Stop> {
    for node in nodes.iter_mut() {
        node.stdin = None;
    }
    let until = Instant::now() + grace;
    let mut stops: Vec<Option<Stop>> = vec![None; nodes.len()];
    loop {
        let mut running = 0;
        for (node, stop) in nodes.iter_mut().zip(&mut stops) {
            if stop.is_some() {
                continue;
            }
            let _ = node.drain_stderr();
            match node.exited() {
                Some(status) => *stop = Some(Stop::Exited(status)),
                None => running += 1,
            }
        }
        if running == 0 {
            break;
        }
        if Instant::now() >= until {
            for (node, stop) in nodes.iter_mut().zip(&mut stops) {
                if stop.is_none() {
                    let _ = node.child.kill();
                    let _ = node.child.wait();
                    *stop = Some(Stop::Killed);
                }
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    stops
        .into_iter()
        .map(|s| s.unwrap_or(Stop::Killed))
        .collect()
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
