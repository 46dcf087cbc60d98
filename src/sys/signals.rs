//! SIGTERM and SIGINT: caught, and seen by whoever waits for them.

use std::fmt;
use std::io;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;

/// The signals that stop the node gracefully.
pub const STOP_SIGNALS: [i32; 2] = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT];

/// The error [`Stdin`](super::Stdin) returns once a stop signal has arrived: every reply produced so
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

/// SIGTERM and SIGINT, caught: the first makes [`Stdin`](super::Stdin) stop the node once the replies
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

    /// The wake pipes, one per signal of [`STOP_SIGNALS`], in that order: for a wait on
    /// input or a stop signal.
    pub(super) fn wake(&self) -> &[UnixStream; 2] {
        &self.wake
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
