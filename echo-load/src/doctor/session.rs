//! One node, started for the doctor's questions: lines written to its stdin, its stdout
//! read a line at a time with a deadline, and its stderr kept to be shown. Its process
//! group is ended when the session is dropped.

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The most of a node's stderr kept: its last bytes.
const STDERR_KEPT: usize = 64 * 1024;

/// What came from the node's stdout by a deadline.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// A line, without its line end.
    Line(Vec<u8>),
    /// Bytes with no line end after them yet.
    Unended(Vec<u8>),
    /// Nothing at all.
    Nothing,
    /// Its stdout closed, with nothing after the last line.
    Closed,
}

/// A running node.
pub(super) struct Session {
    child: Child,
    /// `None` once closed.
    stdin: Option<ChildStdin>,
    /// What its stdout's reader thread reads, a read at a time; closed at its end.
    stdout: Receiver<Vec<u8>>,
    /// Read from stdout and not yet taken as a line.
    pending: Vec<u8>,
    /// Whether stdout has closed.
    closed: bool,
    /// The last of its stderr.
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    /// Starts `program` with `args`, in a process group of its own.
    pub(super) fn start(program: &Path, args: &[String]) -> io::Result<Self> {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn()?;
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (sender, receiver) = channel();
        if let Some(mut stdout) = stdout {
            std::thread::spawn(move || {
                let mut buf = vec![0; 64 * 1024];
                while let Ok(n @ 1..) = stdout.read(&mut buf) {
                    if sender.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            });
        }
        let kept = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut stderr) = stderr {
            let kept = Arc::clone(&kept);
            std::thread::spawn(move || {
                let mut buf = vec![0; 16 * 1024];
                while let Ok(n @ 1..) = stderr.read(&mut buf) {
                    let Ok(mut kept) = kept.lock() else { break };
                    kept.extend_from_slice(&buf[..n]);
                    let over = kept.len().saturating_sub(STDERR_KEPT);
                    kept.drain(..over);
                }
            });
        }
        Ok(Self {
            child,
            stdin,
            stdout: receiver,
            pending: Vec::new(),
            closed: false,
            stderr: kept,
        })
    }

    /// Writes `line` and its line end to the node's stdin.
    pub(super) fn send(&mut self, line: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()
    }

    /// Closes the node's stdin: the end of its input.
    pub(super) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line from the node's stdout, waited for until `deadline`.
    pub(super) fn next(&mut self, deadline: Instant) -> Next {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Next::Line(line);
            }
            if self.closed {
                return match std::mem::take(&mut self.pending) {
                    rest if rest.is_empty() => Next::Closed,
                    rest => Next::Unended(rest),
                };
            }
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(wait) {
                Ok(bytes) => self.pending.extend_from_slice(&bytes),
                Err(RecvTimeoutError::Disconnected) => self.closed = true,
                Err(RecvTimeoutError::Timeout) => {
                    return match self.pending.is_empty() {
                        true => Next::Nothing,
                        false => Next::Unended(self.pending.clone()),
                    };
                }
            }
        }
    }

    /// How the node ended, if it has.
    pub(super) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// How the node ended, waited for until `deadline`: for one whose stdout has just
    /// closed, which is most often its end.
    pub(super) fn exit_by(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// The last `lines` lines of the node's stderr.
    pub(super) fn stderr_tail(&self, lines: usize) -> Vec<String> {
        let Ok(kept) = self.stderr.lock() else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(&kept);
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..]
            .iter()
            .map(|l| (*l).to_owned())
            .collect()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stdin = None;
        #[cfg(unix)]
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
