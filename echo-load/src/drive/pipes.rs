//! A turn's reads and writes: what waits is written to the nodes' stdins, the loop waits
//! for any node to be ready, each stdout line goes to the router, and a node's exit or
//! ended stdout is noted.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Instant;

use mio::Events;
use mio::unix::SourceFd;

use crate::fault::{Ending, Fault};
use crate::interrupt::Interrupts;
use crate::network::{Network, Parcel};
use crate::process::describe;
use crate::receive::{Got, tail};
use crate::route::Outcome;

use super::{ALARM, CHILD, Drive};

impl Drive<'_> {
    /// Writes what waits for the nodes, waits (until `until` at the latest, on the
    /// microsecond if `precise`) for any of them to be ready, and hands each complete
    /// stdout line to the router. A node whose
    /// stdout ends fails the run.
    pub(super) fn pump(&mut self, until: Instant, precise: bool) {
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
