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
use crate::fault::{Ending, Fault};
use crate::interrupt::{Haste, Interrupts};
use crate::network::{Network, Parcel};
use crate::process::{GROW_PIPES_UP_TO, NodeProcess, describe};
use crate::progress::Progress;
use crate::receive::{Got, tail};
use crate::record::Recorder;
use crate::route::{Outcome, Router};
use crate::schedule::Schedule;
use crate::sys::{Alarm, ChildWatch};

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
        let mut progress = Progress::new(config.time_limit, config.progress);
        for n in 0..count {
            if self.haste() > Haste::None {
                progress.finish();
                return Ok(());
            }
            let name = self.router.names()[n].clone();
            let log = logs.join(format!("{name}.log"));
            let node = NodeProcess::spawn(
                &config.bin,
                &config.node_args,
                name,
                log,
                count <= GROW_PIPES_UP_TO,
            )?;
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
        let enough = |r: &Router| config.requests.is_some_and(|n| r.counts().sent >= n);
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
                while self.router.any_idle() && !enough(&self.router) {
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
                if !self.router.any_idle() && schedule.next_due().is_some_and(|d| d <= now) {
                    clients_busy = true;
                }
            }
            if sending && (now >= deadline || enough(&self.router)) {
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
        let end = Instant::now();
        if sending {
            ended = end.min(deadline);
            self.recorder.end_window(ended);
        }
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

    /// Writes what waits for the nodes, waits (until `until` at the latest, on the
    /// microsecond if `precise`) for any of them to be ready, and hands each complete
    /// stdout line to the router. A node whose
    /// stdout ends fails the run.
    fn pump(&mut self, until: Instant, precise: bool) {
        let now = Instant::now();
        // Held messages whose latency has passed join their node's stdin buffer; one
        // for a service reaches it, and its reply is held in turn.
        while let Some(parcel) = self.network.as_mut().and_then(|net| net.due(now)) {
            match parcel {
                Parcel::Node(k, bytes) => {
                    self.nodes[k].out.extend_from_slice(&bytes);
                    self.router.queued(k, bytes.len());
                    self.mark(k);
                }
                Parcel::Service(call) => {
                    if let Some((k, reply)) = self.router.serve(&call)
                        && let Some(net) = &mut self.network
                    {
                        net.hold(now, Parcel::Node(k, reply));
                    }
                }
            }
        }
        // Wake for the next one.
        let (until, precise) = match self.network.as_ref().and_then(Network::next_deadline) {
            Some(deadline) if deadline < until => (deadline, true),
            _ => (until, precise),
        };
        let mut to_write = std::mem::take(&mut self.to_write);
        for &n in &to_write {
            self.queued[n] = false;
            self.write(n, now);
        }
        to_write.clear();
        self.to_write = to_write;
        // Stdins that stay full: the router's clock on them runs (it ends a run whose
        // node stops reading), though nothing is written until they are writable.
        for i in 0..self.blocked.len() {
            let n = self.blocked[i];
            self.router.written(n, 0, self.nodes[n].out.len(), now);
        }
        let wait = until.saturating_duration_since(Instant::now());
        if precise {
            self.alarm.set(wait);
        }
        if let Err(e) = self.poll.poll(&mut self.events, Some(wait))
            && e.kind() != io::ErrorKind::Interrupted
        {
            std::thread::sleep(wait);
            return;
        }
        let now = Instant::now();
        // The events are moved out while they are handled, and back after (no allocation).
        let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
        for event in events.iter() {
            if event.token() == ALARM {
                self.alarm.clear();
                continue;
            }
            if Interrupts::owns(event.token()) {
                continue; // counted by `haste`, from the loop
            }
            if event.token() == CHILD {
                if let Some(watch) = &mut self.children {
                    watch.drain();
                }
                self.check_exits(now);
                continue;
            }
            let (n, stdin) = (event.token().0 / 2, event.token().0 % 2 == 1);
            if stdin {
                if let Some(i) = self.blocked.iter().position(|&b| b == n) {
                    self.blocked.swap_remove(i);
                }
                self.mark(n);
            } else {
                self.read(n);
            }
            if self.router.faults().ended() {
                break;
            }
        }
        self.events = events;
    }

    /// Writes what waits for node `n`'s stdin, as far as it takes it.
    fn write(&mut self, n: usize, now: Instant) {
        if self.nodes[n].stdin().is_none() {
            return;
        }
        match self.nodes[n].write_out() {
            Ok(bytes) => {
                let left = self.nodes[n].out.len();
                self.router.written(n, bytes, left, now);
                let blocked = self.blocked.iter().position(|&b| b == n);
                match (left > 0, blocked) {
                    (true, None) => self.blocked.push(n),
                    (false, Some(i)) => {
                        self.blocked.swap_remove(i);
                    }
                    _ => {}
                }
            }
            // It closed its stdin: if it ended, its stdout's end says so.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.nodes[n].close_stdin();
                self.router.closed(n);
            }
            // Maelstrom's stdin-thread stops at a write error too: what waits for the
            // node is dropped, and its requests time out.
            Err(_) => {
                self.nodes[n].close_stdin();
                self.router.closed(n);
            }
        }
    }

    /// Reads node `n`'s stdout until it is empty (readiness is reported on edges), and
    /// hands each line to the router. Each read's lines are timed when the read returns
    /// (how far their handling lags behind that is recorded: the bound on every reply
    /// time's error).
    fn read(&mut self, n: usize) {
        loop {
            if self.nodes[n].stdout_closed {
                return;
            }
            let node = &mut self.nodes[n];
            let got = node.lines.fill(&mut node.stdout);
            if matches!(got, Ok(Got::Empty)) {
                // Nothing new: every whole line before it was handled after its read.
                return;
            }
            let now = Instant::now();
            // The reader is moved out while its lines are handled (a line may go to any
            // node's stdin, this one's too), and back after: no line is copied but a
            // forwarded one.
            let mut lines = std::mem::take(&mut self.nodes[n].lines);
            loop {
                let number = lines.number + 1;
                let Some(line) = lines.next_line() else {
                    break;
                };
                if self.nodes[n].unread {
                    // Maelstrom reads no more of this node; its lines are drained and
                    // counted, so that it never blocks on a full stdout.
                    self.router.lost(n);
                    continue;
                }
                // A right reply in echo-node's layout is known by comparing bytes; any
                // other line is read in full.
                if let Some(Outcome::Answered { due, sent }) =
                    self.router.right_reply(n, number, line, now)
                {
                    self.recorder.answered(due, sent, now);
                    continue;
                }
                // Maelstrom reads stdout through Java's UTF-8 decoder, which makes each
                // malformed byte sequence U+FFFD; such a line is read as that decoder
                // would have it (checked once here, for every line).
                let repaired;
                let line = match std::str::from_utf8(line) {
                    Ok(_) => line,
                    Err(_) => {
                        repaired = String::from_utf8_lossy(line).into_owned();
                        repaired.as_bytes()
                    }
                };
                match self.router.line(n, number, line, now) {
                    Outcome::Done => {}
                    Outcome::StopReading => self.nodes[n].unread = true,
                    Outcome::Service(call) => match &mut self.network {
                        Some(net) => net.hold(now, Parcel::Service(call)),
                        None => {
                            if let Some((k, reply)) = self.router.serve(&call) {
                                self.send_to_node(k, now, |out| out.extend_from_slice(&reply));
                            }
                        }
                    },
                    Outcome::Forward(k, delivery) => {
                        self.send_to_node(k, now, |out| delivery.write(line, out));
                    }
                    Outcome::Answered { due, sent } => self.recorder.answered(due, sent, now),
                }
                if self.router.faults().ended() {
                    break;
                }
            }
            self.nodes[n].lines = lines;
            self.recorder.stamped(now, Instant::now());
            if self.router.faults().ended() {
                return;
            }
            let ending = match got {
                Ok(Got::Data) => continue,
                Ok(Got::Empty) => return,
                Ok(Got::Closed) => match self.nodes[n].lines.unterminated() {
                    0 => Ending::Closed,
                    bytes => Ending::MidLine(bytes),
                },
                Ok(Got::TooLong) => Ending::LineTooLong,
                Err(e) => Ending::Failed(e.to_string()),
            };
            return self.stdout_ended(n, ending, now);
        }
    }

    /// Sends node `k` a message from another node or a service, which `write` appends to
    /// a buffer: held for its latency under `--latency`, else queued on its stdin at once.
    fn send_to_node(&mut self, k: usize, now: Instant, write: impl FnOnce(&mut Vec<u8>)) {
        match &mut self.network {
            Some(net) => {
                let mut bytes = Vec::new();
                write(&mut bytes);
                net.hold(now, Parcel::Node(k, bytes));
            }
            None => {
                let out = &mut self.nodes[k].out;
                let before = out.len();
                write(out);
                let bytes = out.len() - before;
                self.router.queued(k, bytes);
                self.mark(k);
            }
        }
    }

    /// Node `n`'s stdout ended, or can be read no further: Maelstrom's stdout-thread would
    /// stop there, and the run goes on without it. If the process has ended too,
    /// Maelstrom would stop the test at teardown; if it ends later, SIGCHLD says so (and
    /// the end of the load looks again), so the loop never waits for it here.
    fn stdout_ended(&mut self, n: usize, ending: Ending, now: Instant) {
        let node = &mut self.nodes[n];
        node.stdout_closed = true;
        let _ = self
            .poll
            .registry()
            .deregister(&mut SourceFd(&node.stdout.as_raw_fd()));
        self.router.fault(Fault::StdoutEnded {
            node: node.name.clone(),
            ending,
            at: self.router.seconds_at(now),
        });
        self.check_exit(n, now);
    }

    /// Records, for every node that has exited since it was last looked at, that
    /// Maelstrom would stop the test (a node not alive at teardown). Looked at when a
    /// child process changes state, and at the end of the load.
    pub fn check_exits(&mut self, now: Instant) {
        for n in 0..self.nodes.len() {
            self.check_exit(n, now);
        }
    }

    /// [`Drive::check_exits`] for node `n`.
    fn check_exit(&mut self, n: usize, now: Instant) {
        let node = &mut self.nodes[n];
        if node.exit_seen() {
            return;
        }
        if let Some(status) = node.exited() {
            let fault = Fault::Exited {
                node: node.name.clone(),
                status: describe(status),
                at: self.router.seconds_at(now),
                stderr: tail(&node.log),
            };
            self.router.fault(fault);
        }
    }
}
