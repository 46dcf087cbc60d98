//! The loop: one thread drives every node through non-blocking pipes and `poll(2)`. Each
//! turn writes what waits for the nodes' stdins, sends the requests that fell due, times
//! out the overdue, waits for output, and hands each stdout line to the [`Router`].

use std::io;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::fault::{Ending, Fault};
use crate::node::{NodeProcess, describe};
use crate::receive::Got;
use crate::report::{Progress, Recorder};
use crate::route::{Outcome, Router};
use crate::schedule::Schedule;
use crate::{Config, INIT_TIMEOUT};

/// How often overdue requests are looked for.
const EXPIRY_TICK: Duration = Duration::from_millis(20);

/// The nodes, the router, and what the load measured.
pub struct Drive<'c> {
    /// What is run.
    pub config: &'c Config,
    /// The node processes, in order (`n1` first).
    pub nodes: Vec<NodeProcess>,
    /// Clients, routing and faults.
    pub router: Router,
    /// Latencies and throughput of the answered requests.
    pub recorder: Recorder,
}

/// How the load went, beyond what the router and recorder hold.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Seconds from the start of the load to the last reply (or the time limit, if later).
    pub seconds: f64,
    /// Requests that fell due (open loop: by the schedule; closed loop: the ones sent).
    pub due: u64,
}

impl Drive<'_> {
    /// Sends every node its init and waits for every init_ok, at most [`INIT_TIMEOUT`].
    pub fn init(&mut self) {
        for n in 0..self.nodes.len() {
            self.router.init(n, &mut self.nodes[n].out);
        }
        let deadline = Instant::now() + INIT_TIMEOUT;
        while !self.router.faults.ended() && !self.router.initialised() {
            if Instant::now() >= deadline {
                let nodes = self
                    .router
                    .links
                    .iter()
                    .zip(self.router.names())
                    .filter(|(l, _)| !l.initialised)
                    .map(|(_, n)| n.clone())
                    .collect();
                self.router.faults.push(Fault::NoInit {
                    nodes,
                    seconds: INIT_TIMEOUT.as_secs(),
                });
                return;
            }
            self.pump(deadline);
        }
    }

    /// Runs the load from `start`.
    pub fn load(&mut self, start: Instant) -> Load {
        let config = self.config;
        self.router.start_load(start);
        self.recorder.start(start);
        let deadline = start + config.time_limit;
        let mut schedule = Schedule::new(config.rate, start);
        let mut progress = Progress::new(config.time_limit, config.progress);
        let mut next_expiry = start;
        let mut sending = true;
        let mut ended = start;
        let enough = |r: &Router| config.requests.is_some_and(|n| r.counts.sent >= n);
        loop {
            let now = Instant::now();
            if sending && (now >= deadline || enough(&self.router)) {
                sending = false;
                ended = now.min(deadline);
            }
            if sending {
                while self.router.any_idle() && !enough(&self.router) {
                    let Some(due) = schedule.take_due(now) else {
                        break;
                    };
                    let nodes = &mut self.nodes;
                    self.router.send(due, |n| &mut nodes[n].out);
                }
            }
            if now >= next_expiry {
                self.router.expire(now);
                next_expiry = now + EXPIRY_TICK;
            }
            if self.router.faults.ended() || (!sending && self.router.in_flight == 0) {
                break;
            }
            // Every request was sent by `ended` and has had its timeout since (a stdin
            // that takes nothing for that long ends the run on its own).
            if !sending && now >= ended + 2 * config.timeout + EXPIRY_TICK {
                self.router.expire_all();
                break;
            }
            progress.tick(now - start, self.router.counts.ok, now);
            let mut wake = next_expiry.min(now + Duration::from_millis(100));
            if sending {
                wake = wake.min(deadline);
                if self.router.any_idle()
                    && let Some(due) = schedule.next_due()
                {
                    wake = wake.min(due);
                }
            }
            self.pump(wake);
        }
        progress.finish();
        if sending {
            ended = Instant::now().min(deadline);
        }
        let due = match config.rate {
            Some(_) => schedule.due_by(ended),
            None => self.router.counts.sent,
        };
        // Throughput counts until the last reply (or the time limit, if that came later).
        let seconds = (ended.max(self.recorder.last_answer()) - start).as_secs_f64();
        Load { seconds, due }
    }

    /// Writes what waits for the nodes, waits (until `until` at the latest) for any of
    /// them to have output, and hands each complete stdout line to the router. A node
    /// whose stdout ends fails the run.
    fn pump(&mut self, until: Instant) {
        let now = Instant::now();
        for n in 0..self.nodes.len() {
            if self.nodes[n].stdin().is_none() {
                continue;
            }
            match self.nodes[n].write_out() {
                Ok(bytes) => self.router.written(n, bytes, self.nodes[n].out.len(), now),
                // It closed its stdin: if it ended, its stdout's end says so below.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    self.nodes[n].close_stdin();
                    self.router.closed(n);
                }
                Err(e) => self.node_ended(n, Ending::Failed(format!("its stdin: {e}"))),
            }
        }
        let wait = until.saturating_duration_since(Instant::now());
        let timeout = Timespec {
            tv_sec: wait.as_secs() as i64,
            tv_nsec: i64::from(wait.subsec_nanos()),
        };
        let ready = {
            let mut fds = Vec::with_capacity(3 * self.nodes.len());
            for node in &self.nodes {
                if !node.stdout_closed {
                    fds.push(PollFd::new(&node.stdout, PollFlags::IN));
                }
                if !node.stderr_closed {
                    fds.push(PollFd::new(&node.stderr, PollFlags::IN));
                }
                if let Some(stdin) = node.stdin()
                    && !node.out.is_empty()
                {
                    fds.push(PollFd::new(stdin, PollFlags::OUT));
                }
            }
            if fds.is_empty() {
                std::thread::sleep(wait);
                return;
            }
            poll(&mut fds, Some(&timeout)).unwrap_or(1)
        };
        if ready == 0 {
            return;
        }
        let now = Instant::now();
        for n in 0..self.nodes.len() {
            if let Err(e) = self.nodes[n].drain_stderr() {
                self.node_ended(n, Ending::Failed(format!("its stderr: {e}")));
            }
            if self.nodes[n].stdout_closed {
                continue;
            }
            let node = &mut self.nodes[n];
            let got = node.lines.fill(&mut node.stdout);
            // The reader is moved out while its lines are handled (a line may go to any
            // node's stdin, this one's too), and back after: no line is copied but a
            // forwarded one.
            let mut lines = std::mem::take(&mut self.nodes[n].lines);
            loop {
                let number = lines.number + 1;
                let Some(line) = lines.next_line() else {
                    break;
                };
                match self.router.line(n, number, line, now) {
                    Outcome::Done => {}
                    Outcome::Forward(k) => {
                        let out = &mut self.nodes[k].out;
                        out.extend_from_slice(line);
                        out.push(b'\n');
                        self.router.queued(k, line.len() + 1);
                    }
                    Outcome::Answered { due, sent } => self.recorder.answered(due, sent, now),
                }
                if self.router.faults.ended() {
                    break;
                }
            }
            self.nodes[n].lines = lines;
            match got {
                Ok(Got::Data) => {}
                Ok(Got::Closed) => {
                    let node = &mut self.nodes[n];
                    node.stdout_closed = true;
                    let ending = match node.lines.unfinished() {
                        0 => Ending::Closed,
                        bytes => Ending::MidLine(bytes),
                    };
                    self.node_ended(n, ending);
                }
                Err(e) => self.node_ended(n, Ending::Failed(format!("its stdout: {e}"))),
            }
        }
    }

    /// Fails the run because node `n` went away mid-run.
    fn node_ended(&mut self, n: usize, ending: Ending) {
        if self.router.faults.ended() {
            return;
        }
        let node = &mut self.nodes[n];
        // Give a crashing process a moment to be reaped, to say how it ended.
        let mut status = None;
        for _ in 0..50 {
            status = node.exited();
            if status.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = node.drain_stderr();
        self.router.faults.push(Fault::Ended {
            node: node.name.clone(),
            ending,
            status: status.map_or_else(|| "still running".to_owned(), describe),
            stderr: node.log.tail(),
        });
    }
}
