//! The node's standard streams and the operating system: waiting on stdin, stdout and
//! stderr, signals, pipe sizes and peak memory. Everything that differs between platforms
//! is in this file; the rest of the node sees only `Read` and `Write`.
//!
//! - [`Stdin`] (stdin) waits with `poll(2)` for input *or* SIGTERM/SIGINT, so a signal
//!   stops the node even while it waits, and an inherited `O_NONBLOCK` stdin (EAGAIN) is
//!   waited on instead of failing.
//! - [`Stdout`] (stdout) waits with `poll(2)` when an inherited `O_NONBLOCK` stdout is
//!   full, instead of failing.
//! - [`Diagnostics`] (stderr) never blocks the node: a thread of its own writes stderr,
//!   and the node hands it bytes only while it has room, without setting `O_NONBLOCK` on
//!   the inherited descriptor (whose open file description the parent and other
//!   processes share). See [`crate::log`] for what happens to the rest.
//!
//! Portable: `poll(2)` and signals are POSIX, and behave the same on Linux and macOS.
//! Linux only, each with its portable counterpart written beside it: growing a pipe's
//! capacity (`F_SETPIPE_SZ`; elsewhere pipes keep the system's size, which costs
//! throughput, never correctness), opting out of transparent huge pages (elsewhere
//! nothing to do), and reading the peak memory from `/proc` (elsewhere `getrusage(2)`).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;

/// The signals that stop the node gracefully.
pub const STOP_SIGNALS: [i32; 2] = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT];

/// The error [`Stdin`] returns once a stop signal has arrived: every reply produced so
/// far has been written (the node writes its replies before it waits for input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped(pub i32);

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stopped by signal {}", self.0)
    }
}

impl std::error::Error for Stopped {}

impl Stopped {
    /// The stop signal behind `error`, if it is one.
    pub fn of(error: &io::Error) -> Option<Stopped> {
        error.get_ref()?.downcast_ref::<Stopped>().copied()
    }

    /// Ends the process as the signal would have if the node did not handle it, so the
    /// parent sees the conventional status (killed by SIGTERM, or by SIGINT).
    pub fn exit(self) -> io::Result<()> {
        signal_hook::low_level::emulate_default_handler(self.0)
    }
}

/// SIGTERM and SIGINT, caught: the first makes [`Stdin`] stop the node once the replies
/// produced so far are written; a second one ends the process at once, as if unhandled.
/// Clones share the same handlers: `main` keeps one, to honour a signal that came after
/// the input ended ([`Signals::received`]).
#[derive(Debug, Clone)]
pub struct Signals {
    /// One per signal of [`STOP_SIGNALS`], in that order: becomes readable when the signal
    /// arrives (signal-hook's handler writes the other end, non-blocking and
    /// async-signal-safe). A pipe per signal says which one came without another flag.
    /// Nothing reads them but [`Signals::received`], so a signal stays visible.
    wake: Arc<[UnixStream; 2]>,
}

impl Signals {
    /// Installs the handlers (with `SA_RESTART`, so no other call sees `EINTR`): for
    /// each signal, the default action if `armed` is already set (the second signal),
    /// then setting `armed`, then a byte to its wake pipe.
    pub fn install() -> io::Result<Signals> {
        let armed = Arc::new(AtomicBool::new(false));
        let catch = |signal| -> io::Result<UnixStream> {
            let (read, write) = UnixStream::pair()?;
            read.set_nonblocking(true)?;
            // Order matters: the second signal finds `armed` set by the first.
            signal_hook::flag::register_conditional_default(signal, Arc::clone(&armed))?;
            signal_hook::flag::register(signal, Arc::clone(&armed))?;
            signal_hook::low_level::pipe::register(signal, write)?;
            Ok(read)
        };
        let [term, int] = STOP_SIGNALS;
        Ok(Signals {
            wake: Arc::new([catch(term)?, catch(int)?]),
        })
    }

    /// The stop signal that has arrived, if one has (the first of [`STOP_SIGNALS`] whose
    /// wake pipe holds a byte). Never blocks.
    pub fn received(&self) -> Option<Stopped> {
        let mut fds = [
            PollFd::new(&self.wake[0], PollFlags::IN),
            PollFd::new(&self.wake[1], PollFlags::IN),
        ];
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        loop {
            match poll(&mut fds, Some(&zero)) {
                Ok(_) => break,
                Err(Errno::INTR) => continue,
                Err(_) => return None,
            }
        }
        fds.iter()
            .zip(STOP_SIGNALS)
            .find(|(fd, _)| fd.revents().contains(PollFlags::IN))
            .map(|(_, signal)| Stopped(signal))
    }
}

/// Waits until `fd` is ready for `events`, or `timeout` passes (`None`: no limit);
/// true if it is ready. A descriptor in error or hung up counts as ready: the read or
/// write that follows reports it.
fn wait(fd: impl AsFd, events: PollFlags, timeout: Option<Duration>) -> io::Result<bool> {
    let timeout = timeout.map(|t| Timespec {
        tv_sec: t.as_secs().try_into().unwrap_or(i64::MAX),
        tv_nsec: t.subsec_nanos().into(),
    });
    let mut fds = [PollFd::new(&fd, events)];
    loop {
        match poll(&mut fds, timeout.as_ref()) {
            Ok(n) => return Ok(n > 0),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// stdin, read in the node's large reads. See the module docs.
#[derive(Debug)]
pub struct Stdin {
    file: File,
    signals: Option<Signals>,
}

impl Stdin {
    /// stdin (a new descriptor for fd 0); with `signals`, a stop signal ends the wait.
    pub fn open(signals: Option<Signals>) -> io::Result<Stdin> {
        let file = File::from(io::stdin().as_fd().try_clone_to_owned()?);
        grow_pipe(&file);
        Ok(Stdin { file, signals })
    }
}

impl Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(signals) = &self.signals {
                let [term, int] = &*signals.wake;
                let mut fds = [
                    PollFd::new(&self.file, PollFlags::IN),
                    PollFd::new(term, PollFlags::IN),
                    PollFd::new(int, PollFlags::IN),
                ];
                match poll(&mut fds, None) {
                    Ok(_) => {}
                    // A signal came during the wait: no `revents` were filled in, and its
                    // wake pipe is readable now. Poll again rather than read a stdin that
                    // may be empty.
                    Err(Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                }
                for (fd, signal) in fds[1..].iter().zip(STOP_SIGNALS) {
                    if fd.revents().contains(PollFlags::IN) {
                        return Err(io::Error::other(Stopped(signal)));
                    }
                }
            }
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.signals.is_none() {
                        wait(&self.file, PollFlags::IN, None)?;
                    }
                }
                result => return result,
            }
        }
    }
}

/// stdout, written in whole replies or batches. See the module docs.
#[derive(Debug)]
pub struct Stdout {
    file: File,
}

impl Stdout {
    /// stdout (a new descriptor for fd 1), unbuffered: the node does its own buffering.
    pub fn open() -> io::Result<Stdout> {
        let file = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        grow_pipe(&file);
        Ok(Stdout { file })
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.file.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait(&self.file, PollFlags::OUT, None)?;
                }
                result => return result,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// stderr, written by a thread of its own, so that the reply path never waits for it: a
/// write hands bytes to the thread, or returns `WouldBlock` when the thread still holds
/// [`STDERR_BACKLOG`] bytes it could not write. Whatever stderr is (a pipe nobody drains,
/// a terminal that has stopped reading, a file on a stuck mount), only that thread waits.
/// The inherited descriptor is never made non-blocking. Clones share the thread.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    shared: Arc<Backlog>,
    /// How long a write may wait for room; zero on the reply path.
    patience: Duration,
}

/// The most bytes the stderr thread holds: a whole batch of diagnostics (the log writes
/// every 16 KiB) and room to spare.
pub const STDERR_BACKLOG: usize = 32 * 1024;

/// What the node and its stderr thread share.
#[derive(Debug)]
struct Backlog {
    state: Mutex<Pending>,
    /// Signalled whenever `state` changes.
    changed: Condvar,
}

#[derive(Debug)]
struct Pending {
    /// Bytes handed over and not yet taken by the thread; whole lines but for a line
    /// longer than the backlog. Invariant: `bytes.len() <= STDERR_BACKLOG`.
    bytes: Vec<u8>,
    /// The thread is writing what it took.
    writing: bool,
    /// Lines in what it is writing (lost, if stderr never takes them).
    writing_lines: u64,
    /// stderr failed (closed, say): nothing more can be written.
    failed: bool,
}

impl Diagnostics {
    /// stderr (a new descriptor for fd 2) and the thread that writes it.
    pub fn stderr() -> io::Result<Diagnostics> {
        let file = File::from(io::stderr().as_fd().try_clone_to_owned()?);
        let shared = Arc::new(Backlog {
            state: Mutex::new(Pending {
                bytes: Vec::with_capacity(STDERR_BACKLOG),
                writing: false,
                writing_lines: 0,
                failed: false,
            }),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("stderr".into())
            .spawn(move || write_stderr(file, &theirs))?;
        Ok(Diagnostics {
            shared,
            patience: Duration::ZERO,
        })
    }

    /// From now on, let each write wait up to `patience` for room (for the last words at
    /// exit, when no reply can be delayed any more).
    pub fn set_patience(&mut self, patience: Duration) {
        self.patience = patience;
    }

    /// Waits up to `patience` for the thread to have written everything handed to it;
    /// returns how many lines it still holds (or could not write), which are lost.
    pub fn settle(&self, patience: Duration) -> u64 {
        let deadline = std::time::Instant::now() + patience;
        let mut state = lock(&self.shared.state);
        while !state.failed && (state.writing || !state.bytes.is_empty()) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            state = match self.shared.changed.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        let waiting = memchr::memchr_iter(b'\n', &state.bytes).count() as u64;
        let writing = if state.writing {
            state.writing_lines
        } else {
            0
        };
        waiting + writing
    }
}

/// Locks `state`, whether or not a thread panicked holding it (no code here panics while
/// holding it, and the bytes stay consistent either way).
fn lock(state: &Mutex<Pending>) -> std::sync::MutexGuard<'_, Pending> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The stderr thread: takes what waits, writes it (blocking as long as stderr makes it),
/// and again, until stderr fails. Its buffer and the shared one are swapped, never
/// reallocated.
fn write_stderr(mut file: File, shared: &Backlog) {
    let mut taken = Vec::with_capacity(STDERR_BACKLOG);
    loop {
        {
            let mut state = lock(&shared.state);
            while state.bytes.is_empty() {
                state = match shared.changed.wait(state) {
                    Ok(state) => state,
                    Err(poisoned) => poisoned.into_inner(),
                };
            }
            std::mem::swap(&mut taken, &mut state.bytes);
            state.writing = true;
            state.writing_lines = memchr::memchr_iter(b'\n', &taken).count() as u64;
        }
        let written = file.write_all(&taken);
        taken.clear();
        let mut state = lock(&shared.state);
        state.writing = false;
        state.failed = written.is_err();
        shared.changed.notify_all();
        if state.failed {
            return;
        }
    }
}

impl Write for Diagnostics {
    /// Hands over as many whole lines of `buf` as the backlog has room for (a line longer
    /// than the whole backlog, in pieces); `WouldBlock` when there is no room, after
    /// waiting up to the patience for some.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let deadline = std::time::Instant::now() + self.patience;
        let mut state = lock(&self.shared.state);
        loop {
            if state.failed {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "stderr failed"));
            }
            let room = STDERR_BACKLOG - state.bytes.len();
            let n = if buf.len() <= room {
                buf.len()
            } else {
                match memchr::memrchr(b'\n', &buf[..room]) {
                    Some(i) => i + 1,
                    None if state.bytes.is_empty() => room,
                    None => 0,
                }
            };
            if n > 0 {
                state.bytes.extend_from_slice(&buf[..n]);
                debug_assert!(state.bytes.len() <= STDERR_BACKLOG);
                self.shared.changed.notify_all();
                return Ok(n);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            state = match self.shared.changed.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Waits up to [`EXIT_PATIENCE`] for the thread to have written everything handed to
    /// it. Only for the end of a run: nothing on the reply path calls it.
    fn flush(&mut self) -> io::Result<()> {
        self.settle(EXIT_PATIENCE);
        Ok(())
    }
}

/// How long the node waits for stderr at the end of a run, when no reply waits on it.
pub const EXIT_PATIENCE: Duration = Duration::from_secs(1);

/// The capacity asked for on stdin's and stdout's pipes (Linux's default is 64 KiB):
/// replies then go out without waiting for a slow reader, and Maelstrom's writes to us
/// block less (`benches/end_to_end.rs` runs the node behind pipes).
#[cfg(any(target_os = "linux", target_os = "android"))]
const PIPE_SIZE: usize = 1 << 20;

/// Grows `fd`'s pipe to [`PIPE_SIZE`], if it is a pipe. Best effort: a file or a
/// terminal, or a limit in /proc/sys/fs/pipe-max-size, leaves it as it is.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn grow_pipe(fd: impl AsFd) {
    let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE);
}

/// Other systems size their pipes themselves.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn grow_pipe(_fd: impl AsFd) {}

/// Opts the process out of transparent huge pages before anything in it allocates (Linux;
/// elsewhere there is nothing to do).
///
/// mimalloc's arena is 2 MiB-aligned, so where THP is `always` the kernel backs the first
/// pages the heap touches with two 2 MiB huge pages: an idle node then holds 4.2 MiB of
/// anonymous memory instead of under half a MiB (measured with RssAnon, THP `always`;
/// where THP is `madvise`, mimalloc's `no_thp` feature already keeps it from asking). The setting
/// counts from the first touch of a page on, and Rust's runtime and mimalloc's own
/// constructor allocate before `main`, so it is made from `.preinit_array`, which the
/// dynamic loader runs before any constructor of the program.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[used]
// SAFETY: `.preinit_array` holds pointers to functions the loader calls, once each, with
// (argc, argv, envp) and the C ABI, before `main` and before any constructor: the entry is
// such a pointer, of that signature. The function ignores its arguments, makes one prctl
// system call through rustix's raw-syscall backend (no libc state, no allocation, no Rust
// runtime), and ignores its result, so nothing it does can observe that the runtime is not
// yet initialised.
#[unsafe(link_section = ".preinit_array")]
static NO_HUGE_PAGES: extern "C" fn(i32, *const *const u8, *const *const u8) = no_huge_pages;

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" fn no_huge_pages(_argc: i32, _argv: *const *const u8, _envp: *const *const u8) {
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// Gives the memory the allocator holds freed back to the system now, rather than when it
/// next allocates (which a node in its steady state never does). Called once the buffers
/// a line far larger than usual grew have shrunk back.
pub fn release_freed_memory() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_collect` takes no pointer and touches only mimalloc's own bookkeeping
    // (it frees and decommits memory no live allocation uses); mimalloc allows it from
    // any thread at any time, whether or not mimalloc is the global allocator. Measured:
    // after a 60 MiB echo and 1,000 small ones, RssAnon 193,084 KiB without it.
    unsafe {
        libmimalloc_sys::mi_collect(true)
    };
}

/// The most memory this process has had resident, in bytes.
///
/// Linux: `VmHWM` from `/proc/self/status`, the peak of this program image alone.
/// `getrusage(2)`'s `ru_maxrss` is not that on Linux: it survives `exec`, so a process
/// spawned by a large parent reports the parent's size (measured: 97 MiB for a node spawned
/// by a benchmark holding its 98 MB input). Elsewhere `ru_maxrss`, which is in bytes on
/// macOS and iOS and in KiB on the BSDs.
pub fn peak_rss_bytes() -> Option<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let usage =
            nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF).ok()?;
        let max_rss = u64::try_from(usage.max_rss()).ok()?;
        if cfg!(any(target_os = "macos", target_os = "ios")) {
            Some(max_rss)
        } else {
            Some(max_rss * 1024)
        }
    }
}
