//! The loop: one thread drives every node through non-blocking pipes and the OS's
//! readiness API (epoll on Linux, kqueue on macOS and the BSDs, through mio), so a turn
//! costs what is ready, not how many nodes are open. Each turn writes what waits for the
//! nodes' stdins, sends the requests that fell due, times out the overdue, waits for
//! output, and hands each stdout line to the [`Router`].

use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::config::{Config, INIT_TIMEOUT};
use crate::fault::Fault;
use crate::interrupt::{Haste, Interrupts};
use crate::network::Network;
use crate::process::{GROW_PIPES_UP_TO, NodeProcess};
use crate::progress::Progress;
use crate::record::Recorder;
use crate::route::Router;
use crate::schedule::Schedule;
use crate::sys::{Alarm, ChildWatch};
use spawner::Spawner;

/// How often overdue requests are looked for.
const EXPIRY_TICK: Duration = Duration::from_millis(20);

/// How long outstanding requests may still be answered once a stop signal has come.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(1);

/// While nodes start, the loop takes a turn (sends inits, reads init_oks) every this many.
const START_BATCH: usize = 16;

/// The alarm's readiness token (the nodes' are `2n` and `2n + 1`).
const ALARM: Token = Token(usize::MAX);

/// The longest the loop waits without a look at the clock: progress, stop signals and
/// the init deadline are seen at least this often.
const TICK: Duration = Duration::from_millis(100);

/// The readiness token of SIGCHLD's self-pipe: a child process changed state.
const CHILD: Token = Token(usize::MAX - 1);

/// The nodes, the router, and what the load measured.
pub struct Drive<'c> {
    /// What is run.
    pub config: &'c Config,
    /// The node processes, in order (the first named `n{first_node}`: see
    /// [`Config::first_node`]).
    pub nodes: Vec<NodeProcess>,
    /// Clients, routing and faults.
    pub router: Router,
    /// Latencies and throughput of the answered requests.
    pub recorder: Recorder,
    poll: Poll,
    events: Events,
    alarm: Alarm,
    /// Nodes with bytes to write to their stdin, each once.
    to_write: Vec<usize>,
    /// `queued[n]`: node `n` is in `to_write`.
    queued: Vec<bool>,
    /// Nodes whose stdin took less than they had; written again when it is writable.
    blocked: Vec<usize>,
    /// The stop signals (none if they could not be caught).
    pub interrupts: Option<Interrupts>,
    /// SIGCHLD (none if it could not be caught: exits are then seen when a node's stdout
    /// ends, and at the end of the load).
    children: Option<ChildWatch>,
    /// Messages between nodes held for their latency (`--latency`); none without it.
    network: Option<Network>,
}

/// How the load went, beyond what the router and recorder hold.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// The load window, in seconds: from its start to its time limit (or to where it
    /// stopped: a stop signal, a fault, `--requests`).
    pub seconds: f64,
    /// Requests that fell due (open loop: by the schedule; closed loop: the ones sent).
    pub due: u64,
    /// A request fell due while every client was busy: then requests waited for a
    /// client, not for the driver.
    pub clients_busy: bool,
}

/// Node `n`'s stdout and stdin as readiness tokens.
fn stdout_token(n: usize) -> Token {
    Token(2 * n)
}

fn stdin_token(n: usize) -> Token {
    Token(2 * n + 1)
}

impl<'c> Drive<'c> {
    /// A loop for `config`'s run, with no node started yet.
    pub fn new(config: &'c Config, router: Router, recorder: Recorder) -> io::Result<Self> {
        let count = config.node_count;
        let poll = Poll::new()?;
        let interrupts = Interrupts::install().ok();
        if let Some(interrupts) = &interrupts {
            interrupts.register(poll.registry())?;
        }
        Ok(Drive {
            network: Network::new(config.latency_ms, config.latency_dist, config.seed),
            children: ChildWatch::new(&poll, CHILD).ok(),
            interrupts,
            alarm: Alarm::new(&poll, ALARM),
            poll,
            config,
            nodes: Vec::with_capacity(count),
            router,
            recorder,
            events: Events::with_capacity(1024),
            to_write: Vec::with_capacity(count),
            queued: vec![false; count],
            blocked: Vec::new(),
        })
    }

    /// What the stop signals that have come ask for.
    pub fn haste(&mut self) -> Haste {
        self.interrupts
            .as_mut()
            .map_or(Haste::None, Interrupts::haste)
    }

    /// Starts the nodes, each sent its init as soon as it runs, their stderr into
    /// `logs/NAME.log`, and waits for every init_ok (at most [`INIT_TIMEOUT`] after the
    /// last node started). A stop signal ends the starting. An `Err` is a node that could
    /// not be started.
    pub fn start(&mut self, logs: &Path) -> io::Result<()> {
        let config = self.config;
        let count = config.node_count;
        let mut spawner = Spawner::new(
            &config.bin,
            &config.node_args,
            count <= GROW_PIPES_UP_TO,
            &self.router.names()[..count],
            logs,
        );
        let started = self.start_from(&mut spawner);
        // Nodes started and not yet taken (a stop signal, an error) are stopped with the
        // rest.
        self.nodes.extend(spawner.finish());
        started
    }

    /// [`Drive::start`], each node from `spawner`.
    fn start_from(&mut self, spawner: &mut Spawner) -> io::Result<()> {
        let config = self.config;
        let count = config.node_count;
        let mut progress = Progress::new(config.time_limit, config.progress);
        for n in 0..count {
            if self.haste() > Haste::None {
                progress.finish();
                return Ok(());
            }
            let node = match spawner.next() {
                Some(node) => node?,
                None => return Err(io::Error::other("the nodes' starter ended early")),
            };
            let registry = self.poll.registry();
            registry.register(
                &mut SourceFd(&node.stdout.as_raw_fd()),
                stdout_token(n),
                Interest::READABLE,
            )?;
            if let Some(stdin) = node.stdin() {
                registry.register(
                    &mut SourceFd(&stdin.as_raw_fd()),
                    stdin_token(n),
                    Interest::WRITABLE,
                )?;
            }
            self.nodes.push(node);
            self.router.init(n, &mut self.nodes[n].out);
            self.mark(n);
            if n % START_BATCH == START_BATCH - 1 {
                self.pump(Instant::now(), false);
            }
            progress.starting(
                n + 1,
                count,
                self.router.initialised_count(),
                Instant::now(),
            );
        }
        let deadline = Instant::now() + INIT_TIMEOUT;
        while !self.router.faults().ended() && !self.router.initialised() {
            if self.haste() > Haste::None {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                let nodes = self.router.uninitialised();
                self.router.fault(Fault::NoInit {
                    nodes,
                    seconds: INIT_TIMEOUT.as_secs(),
                });
                break;
            }
            progress.starting(count, count, self.router.initialised_count(), now);
            self.pump(deadline.min(now + TICK), false);
        }
        progress.finish();
        Ok(())
    }

    /// Runs the load from `start`.
    pub fn load(&mut self, start: Instant) -> Load {
        let config = self.config;
        self.router.start_load(start);
        self.recorder.start(start, config.time_limit);
        let deadline = start + config.time_limit;
        let mut schedule = Schedule::new(config.rate, start);
        let mut progress = Progress::new(config.time_limit, config.progress);
        let mut next_expiry = start;
        let mut sending = true;
        let mut ended = start;
        let mut clients_busy = false;
        // When a stop signal came: the outstanding requests get INTERRUPT_GRACE from here.
        let mut interrupted: Option<Instant> = None;
        loop {
            let now = Instant::now();
            match self.haste() {
                Haste::None => {}
                Haste::Stop if interrupted.is_none() => {
                    interrupted = Some(now);
                    if sending {
                        sending = false;
                        ended = now.min(deadline);
                        self.recorder.end_window(ended);
                    }
                }
                Haste::Stop => {}
                Haste::Now => {
                    self.router.abandon_all();
                    break;
                }
            }
            if interrupted.is_some_and(|at| now >= at + INTERRUPT_GRACE) {
                self.router.abandon_all();
                break;
            }
            // Open loop: every request that fell due before the deadline goes out, even
            // when the loop wakes just after it. Closed loop: none after the deadline.
            if sending && (now < deadline || schedule.is_open()) {
                let horizon = now.min(deadline - Duration::from_nanos(1));
                self.send_due(&mut schedule, horizon, now);
                if !self.router.any_idle() && schedule.next_due().is_some_and(|d| d <= now) {
                    clients_busy = true;
                }
            }
            if sending && (now >= deadline || self.enough()) {
                sending = false;
                ended = now.min(deadline);
                self.recorder.end_window(ended);
            }
            if now >= next_expiry {
                self.router.expire(now);
                self.count_given_up();
                next_expiry = now + EXPIRY_TICK;
            }
            if self.router.faults().ended() || (!sending && self.router.in_flight() == 0) {
                break;
            }
            // Every request was sent by `ended` and has had its timeout since: what is
            // still outstanding (behind a stdin that takes nothing, say) times out now.
            if !sending && now >= ended + 2 * config.timeout + EXPIRY_TICK {
                self.router.expire_all(now);
                self.count_given_up();
                break;
            }
            progress.tick(now - start, self.router.counts().ok, now);
            let mut wake = next_expiry.min(now + TICK);
            if let Some(at) = interrupted {
                wake = wake.min(at + INTERRUPT_GRACE);
            }
            if sending {
                wake = wake.min(deadline);
                if self.router.any_idle()
                    && let Some(due) = schedule.next_due()
                {
                    wake = wake.min(due);
                }
            }
            // Only an open loop, whose requests fall due by the clock, needs waking on
            // the microsecond; a closed loop saves the timer's system call.
            self.pump(wake, sending && schedule.is_open());
        }
        progress.finish();
        self.end_load(&schedule, start, (!sending).then_some(ended), clients_busy)
    }

    /// `--requests` were sent.
    fn enough(&self) -> bool {
        self.config
            .requests
            .is_some_and(|n| self.router.counts().sent >= n)
    }

    /// Has idle clients send the requests of `schedule` due by `horizon`, at `now`, while
    /// any client is idle and `--requests` were not all sent.
    fn send_due(&mut self, schedule: &mut Schedule, horizon: Instant, now: Instant) {
        while self.router.any_idle() && !self.enough() {
            let Some(due) = schedule.take_due(horizon) else {
                break;
            };
            let nodes = &mut self.nodes;
            if let Some(n) = self.router.send(due, now, |n| &mut nodes[n].out) {
                self.mark(n);
            }
            // A reply that came before its request answers it now it is sent.
            if let Some((due, sent)) = self.router.take_answered_early() {
                self.recorder.answered(due, sent, now);
            }
        }
    }

    /// The load that started at `start` is over; its window ended at `ended`, or, if
    /// it has not, ends now (at the time limit at the latest). What it came to.
    fn end_load(
        &mut self,
        schedule: &Schedule,
        start: Instant,
        ended: Option<Instant>,
        clients_busy: bool,
    ) -> Load {
        let config = self.config;
        let end = Instant::now();
        let ended = ended.unwrap_or_else(|| {
            let ended = end.min(start + config.time_limit);
            self.recorder.end_window(ended);
            ended
        });
        // What fell due by the schedule, but never more than `--requests` asked for.
        let due = match config.rate {
            Some(_) => schedule
                .due_by(ended)
                .min(config.requests.unwrap_or(u64::MAX)),
            None => self.router.counts().sent,
        };
        // Every request that fell due and was never sent counts in the latency, at what
        // it had waited by the end (the schedule's own times: no coordinated omission).
        let never_sent = due.saturating_sub(self.router.counts().sent);
        for (at, count) in schedule.untaken(never_sent) {
            self.recorder.unanswered_n(at, end, count);
        }
        // The load window: from the start to the time limit (or where the load stopped).
        let seconds = (ended - start).as_secs_f64();
        Load {
            seconds,
            due,
            clients_busy,
        }
    }

    /// Requests the router gave up on (timed out) enter the latency at what they waited.
    fn count_given_up(&mut self) {
        for (due, at) in self.router.take_given_up() {
            self.recorder.unanswered(due, at);
        }
    }

    /// Node `n` has bytes for its stdin.
    fn mark(&mut self, n: usize) {
        if !self.queued[n] {
            self.queued[n] = true;
            self.to_write.push(n);
        }
    }
}

mod pipes;
mod spawner;
