//! The node processes under test: started with piped stdin and stdout (the driver's ends
//! non-blocking) and their stderr going straight to a log file, which the driver does not
//! keep open: two descriptors a node. Stopped together at the end: stdins closed, a grace
//! period, then the ones still running killed (Maelstrom kills its nodes at the end of a
//! run).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::receive::Lines;

/// One node's process and the driver's buffers for it.
#[derive(Debug)]
pub struct NodeProcess {
    /// Its name: `n` and its number (`n0`, `n1`, ... or `n1`, `n2`, ...: see
    /// [`crate::config::Config::first_node`]).
    pub name: String,
    child: Child,
    /// The driver's end of its stdin (non-blocking), while open.
    stdin: Option<File>,
    /// The driver's end of its stdout (non-blocking).
    pub stdout: File,
    /// Bytes not yet written to its stdin.
    pub out: Vec<u8>,
    /// Its stdout, cut into lines.
    pub lines: Lines,
    /// Its stderr's file.
    pub log: PathBuf,
    /// Its stdout reached end of file.
    pub stdout_closed: bool,
    /// Its process group was killed once it had exited, or with it.
    group_ended: bool,
    /// Its stdout reached end of file while it was drained at the end of the run.
    drained: bool,
    /// Maelstrom would read no more of its stdout: its lines are drained and counted as
    /// lost.
    pub unread: bool,
    /// Bytes it printed once its stdin was closed at the end of the run (drained, not
    /// read as messages): what a node whose output waits in a buffer, or that reads all
    /// of its input before answering, prints only then.
    pub printed_after_input: u64,
}

/// Nodes up to this many get 1 MiB pipes (on Linux): a large run would use up the
/// per-user budget for pipe memory (`/proc/sys/fs/pipe-user-pages-soft`) in a few dozen.
pub const GROW_PIPES_UP_TO: usize = 16;

/// A buffer with more room than this is given back once written out.
const OUT_KEEP: usize = 64 << 10;

/// How a node ended once its stdin was closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// It exited by itself.
    Exited(ExitStatus),
    /// It was still running after the grace period, and was killed.
    Killed,
}

/// A node's process just started, with the driver's ends of its stdin and stdout.
#[derive(Debug)]
pub struct Launched {
    /// The process.
    pub child: Child,
    /// The driver's end of its stdin (non-blocking).
    pub stdin: OwnedFd,
    /// The driver's end of its stdout (non-blocking).
    pub stdout: OwnedFd,
}

/// Starts `bin args` in a process group of its own, its stdin and stdout pipes whose
/// driver's ends are non-blocking, its stderr written to `log` (created or truncated).
/// `grow_pipes`: ask for 1 MiB pipes (Linux).
pub fn launch(bin: &Path, args: &[String], log: &Path, grow_pipes: bool) -> io::Result<Launched> {
    let stderr = File::create(log)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", log.display())))?;
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(bin)
        .args(args)
        // Its own process group: what it starts is ended with it, and a terminal's
        // Ctrl-C reaches echo-load alone, which ends the run in order.
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| {
            // Why, in the file's own terms, where they say more than the system.
            let why = crate::program::check(bin)
                .err()
                .map_or(String::new(), |why| format!(": {why}"));
            io::Error::new(
                e.kind(),
                format!("cannot start {}: {e}{why}", bin.display()),
            )
        })?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(io::Error::other("stdio not piped"));
    };
    crate::sys::prepare_pipe(&stdin, grow_pipes)?;
    crate::sys::prepare_pipe(&stdout, grow_pipes)?;
    Ok(Launched {
        child,
        stdin: stdin.into(),
        stdout: stdout.into(),
    })
}

impl NodeProcess {
    /// Node `name`, its stderr in `log`, as [`launch`] started it.
    pub fn new(name: String, log: PathBuf, launched: Launched) -> NodeProcess {
        NodeProcess {
            name,
            child: launched.child,
            stdin: Some(File::from(launched.stdin)),
            stdout: File::from(launched.stdout),
            out: Vec::new(),
            lines: Lines::default(),
            log,
            stdout_closed: false,
            group_ended: false,
            drained: false,
            unread: false,
            printed_after_input: 0,
        }
    }

    /// The driver's end of its stdin, while open.
    pub fn stdin(&self) -> Option<&File> {
        self.stdin.as_ref()
    }

    /// Stops writing to it (it closed its stdin); what waits for it is dropped.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
        self.out = Vec::new();
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
        if self.out.is_empty() && self.out.capacity() > OUT_KEEP {
            self.out = Vec::new();
        }
        Ok(written)
    }

    /// Whether it has exited, and how, without waiting. Once it has, whatever it
    /// started and left running (its process group) is killed.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.try_wait().ok().flatten()?;
        if !self.group_ended {
            // Right after the leader is reaped its id cannot have been reused yet.
            self.kill_group();
            self.group_ended = true;
        }
        Some(status)
    }

    /// The CPU time the node's process has used so far, all its threads, where the system
    /// says without waiting for it; `None` elsewhere, or once it has ended. Linux: the
    /// nanoseconds each live thread ran (`/proc/PID/task/*/schedstat`), or, where that is
    /// not kept, the process's clock ticks of 10 ms (`/proc/PID/stat`).
    pub fn cpu(&self) -> Option<Duration> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let pid = self.child.id();
            if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
                let mut ns = 0u64;
                let mut any = false;
                for task in tasks.flatten() {
                    let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
                        continue;
                    };
                    if let Some(n) = text
                        .split_whitespace()
                        .next()
                        .and_then(|n| n.parse::<u64>().ok())
                    {
                        ns += n;
                        any = true;
                    }
                }
                if any {
                    return Some(Duration::from_nanos(ns));
                }
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // Fields after the command's closing parenthesis: state is the 3rd field,
            // utime and stime the 14th and 15th.
            let rest = stat.rsplit_once(')')?.1;
            let mut fields = rest.split_whitespace().skip(11);
            let utime: u64 = fields.next()?.parse().ok()?;
            let stime: u64 = fields.next()?.parse().ok()?;
            // In clock ticks, USER_HZ: 100 a second on every Linux architecture Rust runs.
            Some(Duration::from_millis((utime + stime) * 10))
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        None
    }

    /// Reads and drops whatever its stdout holds now, without waiting (the run is over:
    /// a node that writes on after its stdin closes must not block on a full pipe, and
    /// be blamed for not exiting).
    fn drain_stdout(&mut self) {
        use std::io::Read;
        if self.stdout_closed || self.drained {
            return;
        }
        let mut scratch = [0u8; 16 << 10];
        loop {
            match self.stdout.read(&mut scratch) {
                Ok(0) => {
                    self.drained = true;
                    return;
                }
                Ok(n) => self.printed_after_input += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return, // empty for now (or unreadable: nothing to drain)
            }
        }
    }

    /// Whether its exit has been seen (by [`NodeProcess::exited`] or a kill).
    pub fn exit_seen(&self) -> bool {
        self.group_ended
    }

    /// Kills the node and everything in its process group, and reaps it.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        self.kill_group();
        let status = self.child.wait().ok();
        self.group_ended = true;
        status
    }

    /// SIGKILL to the node's process group (it leads one: see [`launch`]).
    fn kill_group(&self) {
        use nix::sys::signal::{Signal, killpg};
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = killpg(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// Closes every node's stdin and waits up to `grace` for them all to exit, then kills the
/// rest, each with its process group; `hurry` cuts the grace short when it says so (a
/// second Ctrl-C). Returns how each ended.
pub fn stop_all(
    nodes: &mut [NodeProcess],
    grace: Duration,
    hurry: &mut dyn FnMut() -> bool,
) -> Vec<Stop> {
    for node in nodes.iter_mut() {
        node.stdin = None;
    }
    let until = Instant::now() + grace;
    let mut stops: Vec<Option<Stop>> = vec![None; nodes.len()];
    let mut running: Vec<usize> = (0..nodes.len()).collect();
    loop {
        for &n in &running {
            nodes[n].drain_stdout();
        }
        running.retain(|&n| match nodes[n].exited() {
            Some(status) => {
                stops[n] = Some(Stop::Exited(status));
                false
            }
            None => true,
        });
        if running.is_empty() {
            break;
        }
        if Instant::now() >= until || hurry() {
            for &n in &running {
                nodes[n].kill();
                stops[n] = Some(Stop::Killed);
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
