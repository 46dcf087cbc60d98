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
//!   and the node hands it lines only while it has room; what stderr does not take is
//!   dropped, counted and reported. The inherited descriptor's flags (whose open file
//!   description the parent and other processes share) are never changed.
//! - When stdout and stderr are one destination (`2>&1`, one terminal), they take turns
//!   ([`Turn`]): a reply and a diagnostic never split each other.
//!
//! [`standard_streams`] opens all three.
//!
//! Portable: `poll(2)` and signals are POSIX, and behave the same on Linux and macOS.
//! Linux only, each with its portable counterpart written beside it: growing a pipe's
//! capacity (`F_SETPIPE_SZ`; elsewhere pipes keep the system's size, which costs
//! throughput, never correctness), opting out of transparent huge pages and sizing
//! mimalloc's first arena before anything allocates (elsewhere nothing to do), and
//! reading the peak memory from `/proc` (elsewhere `getrusage(2)`).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
    fn open(signals: Option<Signals>) -> io::Result<Stdin> {
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
    /// Shared with stderr's thread when both go to one destination: each whole
    /// `write_all` holds it.
    turn: Turn,
}

impl Stdout {
    /// stdout (a new descriptor for fd 1), unbuffered: the node does its own buffering.
    fn open() -> io::Result<Stdout> {
        let file = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        grow_pipe(&file);
        Ok(Stdout {
            file,
            turn: Turn::default(),
        })
    }
}

/// One write to `file`, waiting out EAGAIN (an inherited `O_NONBLOCK` descriptor).
fn write_waiting(mut file: &File, buf: &[u8]) -> io::Result<usize> {
    loop {
        match file.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait(file, PollFlags::OUT, None)?;
            }
            result => return result,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _turn = self.turn.take();
        write_waiting(&self.file, buf)
    }

    /// Writes all of `buf` in one turn: nothing of stderr's lands inside it.
    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        let _turn = self.turn.take();
        while !buf.is_empty() {
            match write_waiting(&self.file, buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// stderr, written by a thread of its own, so that the reply path never waits for it.
///
/// A write hands whole lines to the thread while its backlog ([`STDERR_BACKLOG`]) has
/// room. When it has none:
///
/// - if stderr is taking bytes (the thread is writing; a regular file always is), the
///   write waits for room, up to [`STALL`];
/// - if stderr is not taking bytes (the thread's `poll(2)` says it is not writable: a pipe
///   nobody drains, a terminal that has stopped reading), or the wait above ran out, the
///   lines are dropped and counted, and until the thread next writes, later ones too.
///
/// As soon as stderr takes bytes again, the thread itself writes a line that says how many
/// were dropped, whatever the node is doing. An inherited `O_NONBLOCK` stderr is waited on
/// (EAGAIN means "not now"); the descriptor's flags are never changed. A write never fails:
/// what stderr cannot take is counted in [`Diagnostics::dropped`]. Clones share the thread.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    shared: Arc<Backlog>,
    /// Set at the end of a run: until then a write with no room waits up to [`STALL`]
    /// while stderr takes bytes; after it, up to this instant, whatever stderr does.
    deadline: Option<Instant>,
}

/// The most bytes the stderr thread holds: a whole batch of diagnostics (the log hands
/// them over every [`crate::log::LOG_LIMIT`] bytes) and room to spare.
pub const STDERR_BACKLOG: usize = 32 * 1024;

/// How long a write waits for room while stderr is taking bytes (the thread is writing):
/// time for a thread writing a file to catch up, far less than a request's timeout.
pub const STALL: Duration = Duration::from_millis(100);

/// How long the node waits for stderr at the end of a run, in all: for what it holds, for
/// the `--stats` line and for its last words.
pub const EXIT_PATIENCE: Duration = Duration::from_secs(1);

/// What the node and its stderr thread share.
#[derive(Debug)]
struct Backlog {
    state: Mutex<Pending>,
    /// Signalled whenever `state` changes.
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Pending {
    /// Lines handed over and not yet taken by the thread. Invariant:
    /// `bytes.len() <= STDERR_BACKLOG`, and it holds whole lines.
    bytes: Vec<u8>,
    /// Lines the thread has taken and not yet written whole.
    writing_lines: u64,
    /// The thread is waiting for stderr to become writable.
    blocked: bool,
    /// A write waited [`STALL`] for room in vain; cleared when the thread writes.
    stalled: bool,
    /// stderr failed (closed, say): nothing more can be written.
    failed: bool,
    /// Lines dropped in all.
    dropped: u64,
    /// Lines dropped since the thread last reported it.
    unreported: u64,
}

impl Pending {
    /// Counts the lines in `bytes` (a last piece without `\n` is a line too) as dropped.
    fn drop_lines(&mut self, bytes: &[u8]) {
        let lines = lines_in(bytes);
        self.dropped += lines;
        self.unreported += lines;
    }

    /// Puts the drop report, if one is due, at the end of the backlog, where it has room:
    /// after the lines handed over before the drop, before any handed over after it.
    /// False if one is due and has no room.
    fn report_drops(&mut self) -> bool {
        if self.unreported == 0 {
            return true;
        }
        let mut report = [0u8; 96];
        let mut cursor = io::Cursor::new(&mut report[..]);
        // 96 bytes hold the words and any u64.
        let _ = writeln!(cursor, "echo-node: {} {DROPPED}", self.unreported);
        let len = cursor.position() as usize;
        if self.bytes.len() + len > STDERR_BACKLOG {
            return false;
        }
        self.bytes.extend_from_slice(&report[..len]);
        self.unreported = 0;
        true
    }

    /// Nothing waits to be written.
    fn idle(&self) -> bool {
        self.bytes.is_empty() && self.writing_lines == 0 && self.unreported == 0
    }
}

/// The lines in `bytes`, a last piece without `\n` counted as one.
fn lines_in(bytes: &[u8]) -> u64 {
    let full = memchr::memchr_iter(b'\n', bytes).count() as u64;
    full + u64::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

impl Diagnostics {
    /// A writer for `file` (any descriptor: a pipe, a file, a terminal) and its thread.
    pub fn spawn(file: File, turn: Turn) -> io::Result<Diagnostics> {
        let shared = Arc::new(Backlog {
            state: Mutex::new(Pending {
                bytes: Vec::with_capacity(STDERR_BACKLOG),
                ..Pending::default()
            }),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("stderr".into())
            .spawn(move || write_stderr(&file, &theirs, &turn))?;
        Ok(Diagnostics {
            shared,
            deadline: None,
        })
    }

    /// For the end of a run: from now on a write with no room waits for it up to
    /// `deadline`, whether or not stderr is taking bytes (no reply waits any more).
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
    }

    /// Waits until the thread has written everything handed to it (and its drop report),
    /// or `deadline` passes; returns how many lines it has still not written.
    pub fn settle(&self, deadline: Instant) -> u64 {
        let mut state = lock(&self.shared.state);
        while !state.failed && !state.idle() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = wait_changed(&self.shared.changed, state, left);
        }
        if state.failed {
            0 // counted in `dropped` already
        } else {
            lines_in(&state.bytes) + state.writing_lines
        }
    }

    /// Lines dropped so far because stderr did not take them.
    pub fn dropped(&self) -> u64 {
        lock(&self.shared.state).dropped
    }
}

/// Locks `state`, whether or not a thread panicked holding it (no code here panics while
/// holding it, and the counts stay consistent either way).
fn lock(state: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `changed` for up to `left`.
fn wait_changed<'a>(
    changed: &Condvar,
    state: MutexGuard<'a, Pending>,
    left: Duration,
) -> MutexGuard<'a, Pending> {
    match changed.wait_timeout(state, left) {
        Ok((state, _)) => state,
        Err(poisoned) => poisoned.into_inner().0,
    }
}

impl Write for Diagnostics {
    /// Hands over `buf` (whole lines) as the type's docs say; never fails, never blocks
    /// longer than [`STALL`] (or, at the end of a run, than the deadline).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let shared = &*self.shared;
        let mut state = lock(&shared.state);
        let mut rest = buf;
        let mut waited_since: Option<Instant> = None;
        while !rest.is_empty() {
            if state.failed {
                state.drop_lines(rest);
                break;
            }
            let room = if state.report_drops() {
                STDERR_BACKLOG - state.bytes.len()
            } else {
                0
            };
            let n = if rest.len() <= room {
                rest.len()
            } else {
                match memchr::memrchr(b'\n', &rest[..room]) {
                    Some(i) => i + 1,
                    // A line longer than the whole backlog goes in pieces.
                    None if state.bytes.is_empty() => room,
                    None => 0,
                }
            };
            if n > 0 {
                state.bytes.extend_from_slice(&rest[..n]);
                debug_assert!(state.bytes.len() <= STDERR_BACKLOG);
                shared.changed.notify_all();
                rest = &rest[n..];
                waited_since = None;
                continue;
            }
            let started = *waited_since.get_or_insert_with(Instant::now);
            let until = match self.deadline {
                Some(deadline) => deadline,
                None if state.blocked || state.stalled => started,
                None => started + STALL,
            };
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                if self.deadline.is_none() && !state.blocked {
                    state.stalled = true;
                }
                state.drop_lines(rest);
                break;
            }
            state = wait_changed(&shared.changed, state, left);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The stderr thread: takes what waits, writes it, and again, until stderr fails; once it
/// has written everything, it reports what was dropped, if anything was. When stdout
/// shares stderr's destination it holds the [`Turn`] for each whole batch, so no reply and
/// no diagnostic ever splits the other.
fn write_stderr(file: &File, shared: &Backlog, turn: &Turn) {
    // A pipe, socket or terminal is written in pieces that `poll(2)`'s "writable" promises
    // to take whole, so that a full one is seen as full (`blocked`) rather than waited on
    // inside `write(2)`. A regular file never stays full.
    let regular = file.metadata().is_ok_and(|m| m.is_file());
    let piece = if regular {
        STDERR_BACKLOG
    } else {
        rustix::pipe::PIPE_BUF
    };
    // Swapped with the backlog, never reallocated.
    let mut taken = Vec::with_capacity(STDERR_BACKLOG);
    loop {
        {
            let mut state = lock(&shared.state);
            while state.bytes.is_empty() && state.unreported == 0 {
                state = match shared.changed.wait(state) {
                    Ok(state) => state,
                    Err(poisoned) => poisoned.into_inner(),
                };
            }
            if state.bytes.is_empty() {
                state.report_drops();
            }
            std::mem::swap(&mut taken, &mut state.bytes);
            state.bytes.clear();
            state.writing_lines = lines_in(&taken);
            shared.changed.notify_all();
        }
        let _turn = turn.take();
        let mut written = 0;
        let failed = loop {
            if written == taken.len() {
                break false;
            }
            if !regular && !wait(file, PollFlags::OUT, Some(Duration::ZERO)).unwrap_or(true) {
                set(shared, |s| s.blocked = true);
                let _ = wait(file, PollFlags::OUT, None);
                set(shared, |s| s.blocked = false);
            }
            let end = taken.len().min(written + piece);
            match (&*file).write(&taken[written..end]) {
                Ok(0) => break true,
                Ok(n) => {
                    written += n;
                    let left = lines_in(&taken[written..]);
                    set(shared, |s| {
                        s.writing_lines = left;
                        s.stalled = false;
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Writable by `poll(2)`, yet EAGAIN: wait a moment rather than spin.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    set(shared, |s| s.blocked = true);
                    let _ = wait(file, PollFlags::OUT, Some(Duration::from_millis(10)));
                    set(shared, |s| s.blocked = false);
                }
                Err(_) => break true,
            }
        };
        if failed {
            let mut state = lock(&shared.state);
            state.failed = true;
            state.dropped += state.writing_lines + lines_in(&state.bytes);
            state.writing_lines = 0;
            state.bytes.clear();
            shared.changed.notify_all();
            return;
        }
    }
}

/// The drop report's words after its count.
const DROPPED: &str = "diagnostic lines dropped: stderr was not taking them";

/// Changes the shared state with `change` and says so.
fn set(shared: &Backlog, change: impl FnOnce(&mut Pending)) {
    change(&mut lock(&shared.state));
    shared.changed.notify_all();
}

/// Whose turn it is to write, when stdout and stderr go to one destination (`2>&1`, one
/// terminal, one file): each whole batch of replies, and each whole batch of diagnostics,
/// is written holding it, so neither lands inside the other. Where they go to different
/// places there is nothing to share and taking a turn costs nothing.
#[derive(Debug, Clone, Default)]
pub struct Turn(Option<Arc<Mutex<()>>>);

impl Turn {
    /// A turn shared by the holders of its clones.
    pub fn shared() -> Turn {
        Turn(Some(Arc::new(Mutex::new(()))))
    }

    /// Waits for the turn, if it is shared; it is held until the guard is dropped.
    fn take(&self) -> Option<MutexGuard<'_, ()>> {
        self.0
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// Whether `a` and `b` are one destination: the same file, pipe or socket (device and
/// inode), or the same terminal or other device (device number). Unknown counts as not.
fn same_destination(a: &File, b: &File) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let (Ok(a), Ok(b)) = (a.metadata(), b.metadata()) else {
        return false;
    };
    let device = |m: &std::fs::Metadata| m.file_type().is_char_device() && m.rdev() != 0;
    (a.dev() == b.dev() && a.ino() == b.ino()) || (device(&a) && device(&b) && a.rdev() == b.rdev())
}

/// stdin, stdout and stderr as the node uses them (see the module docs); when stdout and
/// stderr are one destination, they share a [`Turn`].
pub fn standard_streams(signals: Option<Signals>) -> io::Result<(Stdin, Stdout, Diagnostics)> {
    let input = Stdin::open(signals)?;
    let mut output = Stdout::open()?;
    let stderr = File::from(io::stderr().as_fd().try_clone_to_owned()?);
    let turn = if same_destination(&output.file, &stderr) {
        Turn::shared()
    } else {
        Turn::default()
    };
    output.turn = turn.clone();
    let diagnostics = Diagnostics::spawn(stderr, turn)?;
    Ok((input, output, diagnostics))
}

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

/// Sets up the process's memory before anything in it allocates (Linux; elsewhere there
/// is nothing to do): no transparent huge pages, and mimalloc's first arena sized for a
/// node.
///
/// mimalloc's arena is 2 MiB-aligned, so where THP is `always` the kernel backs the first
/// pages the heap touches with two 2 MiB huge pages: an idle node would then hold several
/// times the anonymous memory it uses (PERFORMANCE.md, "Memory", has what it holds; where
/// THP is `madvise`, mimalloc's `no_thp` feature already keeps it from asking).
///
/// mimalloc reserves its first arena at 1 GiB by default, and sets up that arena's
/// bookkeeping on its first allocation: about 150 KiB of pages an idle node touches and
/// then holds, for room it never uses (an idle node holds a few hundred KiB in all). A
/// node starts with [`ARENA_RESERVE_KIB`] instead, which `MIMALLOC_ARENA_RESERVE` in the
/// environment still overrides; mimalloc reserves more arenas as a node needs them, and
/// a block too large for one gets memory of its own.
///
/// Both settings count from before the first allocation, and Rust's runtime and
/// mimalloc's own constructor allocate before `main`, so they are made from
/// `.preinit_array`, which the dynamic loader runs before any constructor of the program.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[used]
// SAFETY: `.preinit_array` holds pointers to functions the loader calls, once each, with
// (argc, argv, envp) and the C ABI, before `main` and before any constructor: the entry is
// such a pointer, of that signature. The function ignores its arguments, makes one prctl
// system call through rustix's raw-syscall backend (no libc state, no allocation, no Rust
// runtime), ignores its result, and sets a mimalloc option's default (see
// `default_arena_reserve`), so nothing it does can observe that the runtime is not yet
// initialised.
#[unsafe(link_section = ".preinit_array")]
static BEFORE_ANY_ALLOCATION: extern "C" fn(i32, *const *const u8, *const *const u8) =
    before_any_allocation;

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" fn before_any_allocation(_argc: i32, _argv: *const *const u8, _envp: *const *const u8) {
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    default_arena_reserve();
}

/// The size, in KiB, of the first arena mimalloc reserves for a node: set on Linux
/// before anything allocates, unless `MIMALLOC_ARENA_RESERVE` in the environment says
/// otherwise (mimalloc's own default is 1 GiB).
pub const ARENA_RESERVE_KIB: i64 = 4 * 1024;

/// mimalloc 3's `mi_option_arena_reserve` (its place in `mi_option_e`, mimalloc.h), which
/// libmimalloc-sys names no constant for.
#[cfg(all(feature = "mimalloc", any(target_os = "linux", target_os = "android")))]
const MI_OPTION_ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;

/// Makes [`ARENA_RESERVE_KIB`] mimalloc's default first arena.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn default_arena_reserve() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_option_set_default` takes no pointer: it checks that the option is in
    // range and, unless the option was set already, writes its value into mimalloc's
    // static options table, which the loader has initialised before any code of the
    // program runs; it allocates nothing and calls nothing, so it may run before
    // mimalloc's own constructor. mimalloc reads the environment's
    // `MIMALLOC_ARENA_RESERVE`, if set, over this default when it first reads the option.
    unsafe {
        libmimalloc_sys::mi_option_set_default(
            MI_OPTION_ARENA_RESERVE,
            ARENA_RESERVE_KIB as std::ffi::c_long,
        )
    };
}

/// Gives the memory the allocator holds freed back to the system now, rather than when it
/// next allocates (which a node in its steady state never does). Called once the buffers
/// a line far larger than usual grew have shrunk back.
pub fn release_freed_memory() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_collect` takes no pointer and touches only mimalloc's own bookkeeping
    // (it frees and decommits memory no live allocation uses); mimalloc allows it from
    // any thread at any time, whether or not mimalloc is the global allocator. Without
    // it, what a huge line needed stays resident (tests/resources.rs checks it is not).
    unsafe {
        libmimalloc_sys::mi_collect(true)
    };
}

/// The most memory this process has had resident, in bytes.
///
/// Linux: `VmHWM` from `/proc/self/status`, the peak of this program image alone.
/// `getrusage(2)`'s `ru_maxrss` is not that on Linux: it survives `exec`, so a process
/// spawned by a large parent reports the parent's size (a node spawned by a benchmark that
/// holds its input in memory would report the benchmark's). Elsewhere `ru_maxrss`, which is in bytes on
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A file for a test, removed when dropped.
    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let path =
                std::env::temp_dir().join(format!("echo-node-{name}-{}", std::process::id()));
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn counts_lines_with_a_last_piece_as_one() {
        assert_eq!(lines_in(b""), 0);
        assert_eq!(lines_in(b"a\n"), 1);
        assert_eq!(lines_in(b"a\nb"), 2);
    }

    #[test]
    fn a_line_longer_than_the_backlog_is_written_whole_and_settles() {
        let scratch = Scratch::new("long-line");
        let file = File::create(&scratch.0).expect("a file");
        let mut stderr = Diagnostics::spawn(file, Turn::default()).expect("thread");
        let mut line = vec![b'x'; 3 * STDERR_BACKLOG];
        line.push(b'\n');
        stderr.write_all(&line).expect("never fails");
        stderr.write_all(b"after\n").expect("never fails");
        let deadline = Instant::now() + Duration::from_secs(5);
        assert_eq!(stderr.settle(deadline), 0, "all written");
        assert!(
            Instant::now() < deadline,
            "settled without waiting out the deadline"
        );
        assert_eq!(stderr.dropped(), 0);
        let written = std::fs::read(&scratch.0).expect("read back");
        assert_eq!(written, [&line[..], b"after\n"].concat());
    }

    #[test]
    fn a_pipe_nobody_reads_drops_at_once_then_reports_when_drained() {
        let (mut reader, writer) = io::pipe().expect("pipe");
        let mut stderr = Diagnostics::spawn(
            File::from(std::os::fd::OwnedFd::from(writer)),
            Turn::default(),
        )
        .expect("thread");
        let line = [b'y'; 99]
            .iter()
            .copied()
            .chain([b'\n'])
            .collect::<Vec<u8>>();
        let started = Instant::now();
        // Far more than the pipe and the backlog hold.
        for _ in 0..20_000 {
            stderr.write_all(&line).expect("never fails");
        }
        // A writer that waited for the pipe would wait forever (nothing reads it yet),
        // and one that waited a STALL a dropped line would take 20,000 of them: far past
        // this bound, which no busy machine or emulator reaches.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a full pipe costs the writer no waiting: {:?}",
            started.elapsed()
        );
        let dropped = stderr.dropped();
        assert!(dropped > 0, "some lines were dropped");
        // The pipe drains; nothing more is written, and the report still comes.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = vec![0; 1 << 16];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        assert_eq!(stderr.settle(Instant::now() + Duration::from_secs(10)), 0);
        let mut seen = Vec::new();
        while let Ok(piece) = rx.recv_timeout(Duration::from_millis(500)) {
            seen.extend_from_slice(&piece);
        }
        let text = String::from_utf8(seen).expect("ASCII");
        let written = text.lines().filter(|l| l.starts_with("yyy")).count() as u64;
        let reported: u64 = text
            .lines()
            .filter_map(|l| l.strip_prefix("echo-node: ")?.strip_suffix(DROPPED))
            .map(|n| n.trim().parse::<u64>().expect("a count"))
            .sum();
        assert_eq!(reported, dropped, "every drop reported");
        assert_eq!(written + dropped, 20_000, "every line written or dropped");
        assert!(
            text.lines().last().is_some_and(|l| l.ends_with(DROPPED)),
            "the last drop is reported once the pipe drains, with nothing more written"
        );
    }
}
