//! stderr, written by a thread of its own, so that the reply path never waits for it.
//! The thread starts with the first line handed over: a node that says nothing on stderr
//! never starts it.

use std::fs::File;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::event::PollFlags;

use super::platform::wait;
use super::turn::Turn;

/// stderr, written by a thread of its own, so that the reply path never waits for it.
///
/// The thread starts when the first line is handed over; if it cannot be started, that
/// line and every later one are dropped and counted. A write hands whole lines to the
/// thread while its backlog ([`STDERR_BACKLOG`]) has room. When it has none:
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
/// them over every `LOG_LIMIT` bytes, log.rs) and room to spare.
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
    /// stderr and its turn, until the first line handed over starts the thread that
    /// writes them.
    unstarted: Option<(File, Turn)>,
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
    /// A writer for `file` (any descriptor: a pipe, a file, a terminal); its thread
    /// starts with the first line handed over.
    pub fn new(file: File, turn: Turn) -> Diagnostics {
        let shared = Arc::new(Backlog {
            state: Mutex::new(Pending {
                unstarted: Some((file, turn)),
                ..Pending::default()
            }),
            changed: Condvar::new(),
        });
        Diagnostics {
            shared,
            deadline: None,
        }
    }

    /// Starts the thread, if it has not started, with the state locked as `state`; if it
    /// cannot be started, nothing can be written. Out of line: it runs for the first
    /// diagnostic only.
    #[cold]
    #[inline(never)]
    fn start(&self, state: &mut Pending) {
        let Some((file, turn)) = state.unstarted.take() else {
            return;
        };
        state.bytes.reserve_exact(STDERR_BACKLOG);
        let theirs = Arc::clone(&self.shared);
        let started = std::thread::Builder::new()
            .name("stderr".into())
            .spawn(move || write_stderr(&file, &theirs, &turn));
        if started.is_err() {
            state.failed = true;
        }
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
        if !buf.is_empty() && state.unstarted.is_some() {
            self.start(&mut state);
        }
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

#[cfg(test)]
mod tests;
