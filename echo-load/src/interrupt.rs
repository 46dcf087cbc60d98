//! Ctrl-C, and its kin: SIGINT, SIGTERM and SIGHUP stop a run early. The first stops the
//! load: no more requests are sent, outstanding ones get a moment to be answered, every
//! node is ended (its whole process group), and the report of what ran is made, marked
//! interrupted. A second one ends everything at once: the nodes are killed and the
//! report is made of what there is. A third (if echo-load has not ended by then) ends it
//! as the signal would.
//!
//! The handlers (signal-hook's, async-signal-safe) write a byte to a self-pipe per
//! signal, which the loop waits on with the nodes' pipes and reads to count signals.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

/// The signals that stop a run, with their names.
pub const SIGNALS: [(i32, &str); 3] = [
    (signal_hook::consts::SIGINT, "SIGINT"),
    (signal_hook::consts::SIGTERM, "SIGTERM"),
    (signal_hook::consts::SIGHUP, "SIGHUP"),
];

/// The readiness token of the first signal's pipe; the others follow.
pub const FIRST_TOKEN: Token = Token(usize::MAX - 8);

/// The stop signals, caught for the length of a run.
#[derive(Debug)]
pub struct Interrupts {
    /// One per signal of [`SIGNALS`]: readable once that signal has come.
    wake: Vec<UnixStream>,
    /// Handlers to remove when the run ends.
    ids: Vec<signal_hook::SigId>,
    /// Set once two signals have come: a further one acts as if uncaught.
    armed: Arc<AtomicBool>,
    /// Set by the handlers when any signal comes: checked without a system call.
    arrived: Arc<AtomicBool>,
    /// Signals counted so far.
    count: usize,
    /// The first signal that came.
    first: Option<i32>,
}

/// How many stop signals have come: each later one asks for more haste.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Haste {
    /// None: run on.
    None,
    /// One: stop the load and end the nodes, giving outstanding requests a moment.
    Stop,
    /// Two or more: end everything now.
    Now,
}

impl Interrupts {
    /// Catches the stop signals (a third one of any ends the process as if uncaught).
    pub fn install() -> io::Result<Interrupts> {
        let mut wake = Vec::new();
        let mut ids = Vec::new();
        let armed = Arc::new(AtomicBool::new(false));
        let arrived = Arc::new(AtomicBool::new(false));
        for (signal, _) in SIGNALS {
            let (read, write) = crate::sys::self_pipe()?;
            // Order matters: once armed, the default action comes first.
            ids.push(signal_hook::flag::register_conditional_default(
                signal,
                Arc::clone(&armed),
            )?);
            ids.push(signal_hook::low_level::pipe::register(signal, write)?);
            ids.push(signal_hook::flag::register(signal, Arc::clone(&arrived))?);
            wake.push(read);
        }
        Ok(Interrupts {
            wake,
            ids,
            armed,
            arrived,
            count: 0,
            first: None,
        })
    }

    /// Adds the signals' pipes to what `registry` waits on, as [`FIRST_TOKEN`] on.
    pub fn register(&self, registry: &Registry) -> io::Result<()> {
        for (i, read) in self.wake.iter().enumerate() {
            let token = Token(FIRST_TOKEN.0 + i);
            registry.register(&mut SourceFd(&read.as_raw_fd()), token, Interest::READABLE)?;
        }
        Ok(())
    }

    /// Whether `token` is one of the signals' pipes.
    pub fn owns(token: Token) -> bool {
        (FIRST_TOKEN.0..FIRST_TOKEN.0 + SIGNALS.len()).contains(&token.0)
    }

    /// Counts the signals that have come (never blocks), and says what they ask. Costs
    /// no system call until a signal has come.
    pub fn haste(&mut self) -> Haste {
        if !self.arrived.load(Ordering::Relaxed) {
            return Haste::None;
        }
        for (read, (signal, _)) in self.wake.iter_mut().zip(SIGNALS) {
            let mut bytes = [0u8; 16];
            while let Ok(n @ 1..) = read.read(&mut bytes) {
                self.count += n;
                self.first.get_or_insert(signal);
            }
        }
        match self.count {
            0 => Haste::None,
            1 => Haste::Stop,
            _ => {
                self.armed.store(true, Ordering::SeqCst);
                Haste::Now
            }
        }
    }

    /// The first stop signal that came, if any.
    pub fn first(&self) -> Option<i32> {
        self.first
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// The name of stop signal `signal` (`SIGINT`).
pub fn name(signal: i32) -> &'static str {
    SIGNALS
        .iter()
        .find(|(s, _)| *s == signal)
        .map_or("a signal", |(_, name)| name)
}
