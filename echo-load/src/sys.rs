//! What echo-load asks of the operating system, in one place: the pipes' size and mode,
//! the microsecond alarm, SIGCHLD's self-pipe, the limit on open files, and what the
//! process has used (CPU time, peak memory, descriptors).

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Interest, Poll, Token};

/// The size the driver's pipes to a node are grown to, where the system allows (Linux;
/// other systems size their pipes themselves).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const PIPE_SIZE: usize = 1 << 20;

/// A pipe for a signal handler to write into and the loop to wait on: both ends
/// non-blocking (a handler must never block, and the loop reads until it is empty).
pub fn self_pipe() -> io::Result<(UnixStream, UnixStream)> {
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    Ok((read, write))
}

/// Makes the driver's end of a pipe non-blocking (it is the driver's alone) and, on Linux,
/// when `grow`, [`PIPE_SIZE`] large.
pub fn prepare_pipe(fd: impl AsFd, grow: bool) -> io::Result<()> {
    rustix::io::ioctl_fionbio(&fd, true)?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if grow {
        let _ = rustix::pipe::fcntl_setpipe_size(&fd, PIPE_SIZE);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = grow;
    Ok(())
}

/// SIGCHLD, caught for the length of a run: its self-pipe becomes readable whenever a
/// child process changes state, and the nodes are then looked at (a node that exits
/// while its stdout stays open, held by a process it started, is seen at once).
pub struct ChildWatch {
    read: std::os::unix::net::UnixStream,
    id: signal_hook::SigId,
}

impl ChildWatch {
    /// Catches SIGCHLD into a self-pipe registered with `poll` as `token`.
    pub fn new(poll: &Poll, token: Token) -> io::Result<ChildWatch> {
        let (read, write) = self_pipe()?;
        let id = signal_hook::low_level::pipe::register(signal_hook::consts::SIGCHLD, write)?;
        poll.registry()
            .register(&mut SourceFd(&read.as_raw_fd()), token, Interest::READABLE)?;
        Ok(ChildWatch { read, id })
    }

    /// Empties the self-pipe.
    pub fn drain(&mut self) {
        use std::io::Read;
        let mut bytes = [0u8; 64];
        while let Ok(1..) = self.read.read(&mut bytes) {}
    }
}

impl Drop for ChildWatch {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.id);
    }
}

/// A wake-up on the microsecond. The readiness API waits in whole milliseconds, rounded
/// up, which would send an open loop's requests up to a millisecond late; a timer
/// descriptor among the ones waited on (Linux's timerfd) ends the wait when it should.
/// Elsewhere waits keep the millisecond rounding.
pub struct Alarm {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fd: Option<std::os::fd::OwnedFd>,
}

impl Alarm {
    /// An alarm registered with `poll` as `token` (none, if the timer cannot be made).
    pub fn new(poll: &Poll, token: Token) -> Self {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use rustix::time::{TimerfdClockId, TimerfdFlags, timerfd_create};
            let flags = TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC;
            let fd = timerfd_create(TimerfdClockId::Monotonic, flags)
                .ok()
                .filter(|fd| {
                    poll.registry()
                        .register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)
                        .is_ok()
                });
            Alarm { fd }
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (poll, token);
            Alarm {}
        }
    }

    /// Rings in `after`, unless that is a whole number of milliseconds (or none).
    pub fn set(&self, after: Duration) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(fd) = &self.fd
            && !after.subsec_nanos().is_multiple_of(1_000_000)
        {
            use rustix::time::{Itimerspec, TimerfdTimerFlags, Timespec, timerfd_settime};
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let value = Timespec {
                tv_sec: after.as_secs() as i64,
                tv_nsec: i64::from(after.subsec_nanos()),
            };
            let spec = Itimerspec {
                it_interval: zero,
                it_value: value,
            };
            let _ = timerfd_settime(fd, TimerfdTimerFlags::empty(), &spec);
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = after;
    }

    /// Takes its ring, so that it can ring again.
    pub fn clear(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(fd) = &self.fd {
            let mut count = [0u8; 8];
            let _ = rustix::io::read(fd, &mut count);
        }
    }
}

/// Descriptors a run holds besides its nodes': its stdio, the readiness queue, a log
/// file and a spawn's pipes while a node starts, and room to spare.
const DESCRIPTORS_BESIDES: u64 = 32;

/// Raises the soft limit on open files to the hard one, as servers and load tools do, and
/// checks that `nodes` nodes fit: two descriptors each (stdin and stdout). Where the hard
/// limit is "unlimited" and the system refuses it as a soft one (macOS caps it at its
/// per-process maximum), the largest of a few smaller values it takes.
pub fn descriptors(nodes: usize) -> Result<(), crate::error::Error> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let need = 2 * nodes as u64 + DESCRIPTORS_BESIDES;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return Ok(()); // nothing to go by: the spawns will say
    };
    // `rlim_t` is unsigned on Linux and macOS (where this conversion does nothing), signed
    // on the BSDs.
    #[allow(clippy::useless_conversion)]
    let as_u64 = |v| u64::try_from(v).unwrap_or(u64::MAX);
    let mut limit = as_u64(soft);
    for wanted in [hard, 1 << 20, 65_536, 24_576, 10_240] {
        if as_u64(wanted) <= limit || as_u64(wanted) > as_u64(hard) {
            continue;
        }
        if setrlimit(Resource::RLIMIT_NOFILE, wanted, hard).is_ok() {
            limit = as_u64(wanted);
            break;
        }
    }
    if need > limit {
        return Err(crate::error::Error::Descriptors { nodes, need, limit });
    }
    Ok(())
}

/// Catches SIGXFSZ for the rest of the process: past a file-size limit (`ulimit -f`), a
/// write then fails with `EFBIG`, which is reported as the write error it is (the summary
/// printed, exit 3), instead of the signal ending echo-load mid-write. A handler, not
/// `SIG_IGN`: the nodes, which would inherit an ignored signal across `exec`, keep the
/// default.
pub fn survive_file_size_limit() {
    let caught = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, caught);
}

/// Takes the lock of an `--out` folder, without waiting: `Ok(false)` when another
/// process holds it.
pub fn try_lock(file: &std::fs::File) -> io::Result<bool> {
    match rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether [`adopt_orphans`] made this process its descendants' reaper (Linux: elsewhere
/// there is no such means).
#[cfg(any(target_os = "linux", target_os = "android"))]
static ADOPTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes this process the reaper of its descendants' orphans (Linux's child subreaper,
/// `PR_SET_CHILD_SUBREAPER`): what a node starts and leaves behind, even in a session of
/// its own (`setsid`), becomes this process's child when its parent ends, and is killed
/// and reaped at the end of each run. For a program whose only children are the nodes it
/// runs
/// (echo-load's command); `false` where the system has no such means (macOS, the BSDs:
/// there a node's process group is all that is ended with it).
pub fn adopt_orphans() -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let adopted = rustix::process::set_child_subreaper(Some(rustix::process::getpid())).is_ok();
        ADOPTING.store(adopted, std::sync::atomic::Ordering::Relaxed);
        adopted
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    false
}

/// Under [`adopt_orphans`], once every node is reaped: kills every child this process has
/// left (each one something a node started, adopted when its parent ended) and reaps it,
/// until none is left, so nothing outlives the run and nothing is left a zombie.
pub fn end_orphans() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::process::{Pid, Signal, WaitOptions, kill_process, waitpid};
        if !ADOPTING.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let me = rustix::process::getpid().as_raw_nonzero().get();
        // A killed child's own children are adopted in turn: look again until none is
        // left (bounded: a fork bomb is not outrun forever).
        for _ in 0..100 {
            let Ok(all) = procfs::process::all_processes() else {
                return;
            };
            let children: Vec<Pid> = all
                .flatten()
                .filter_map(|p| p.stat().ok())
                .filter(|stat| stat.ppid == me)
                .filter_map(|stat| Pid::from_raw(stat.pid))
                .collect();
            if children.is_empty() {
                return;
            }
            for &pid in &children {
                let _ = kill_process(pid, Signal::KILL);
            }
            for pid in children {
                let _ = waitpid(Some(pid), WaitOptions::empty());
            }
        }
    }
}

/// How many descriptors this process has open (the entries of `/dev/fd`, less the one
/// reading it), if the system says.
pub fn open_descriptors() -> Option<u64> {
    let entries = std::fs::read_dir("/dev/fd").ok()?.count() as u64;
    Some(entries.saturating_sub(1))
}

/// This process's peak resident memory, in KiB. Linux: `VmHWM` from `/proc/self/status`,
/// this program image's own (`getrusage(2)`'s `ru_maxrss` survives `exec` there, and would
/// report a larger parent's size). Elsewhere `ru_maxrss`: KiB on the BSDs, bytes on macOS.
pub fn peak_rss_kib() -> Option<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        procfs::process::Process::myself()
            .ok()?
            .status()
            .ok()?
            .vmhwm
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let usage =
            nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF).ok()?;
        let max = u64::try_from(usage.max_rss()).ok()?;
        Some(if cfg!(target_vendor = "apple") {
            max / 1024
        } else {
            max
        })
    }
}

/// CPU time (user + system) this process has used.
pub fn cpu_self() -> Duration {
    cpu(nix::sys::resource::UsageWho::RUSAGE_SELF)
}

fn cpu(who: nix::sys::resource::UsageWho) -> Duration {
    nix::sys::resource::getrusage(who).map_or(Duration::ZERO, |u| {
        let t = |tv: nix::sys::time::TimeVal| {
            Duration::new(
                tv.tv_sec().max(0) as u64,
                (tv.tv_usec().max(0) as u32) * 1000,
            )
        };
        t(u.user_time()) + t(u.system_time())
    })
}
