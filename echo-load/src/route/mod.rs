//! Stage 5: clients, routing and timeouts: what happens to each message a node prints, by
//! Maelstrom's rules.
//!
//! - A message whose `dest` is a node goes to that node's stdin, as Maelstrom's network
//!   delivers it (net.clj, `send!`), re-serialized with the network's id; one to a
//!   service is answered as the service answers ([`crate::service`]); one to an id that
//!   is no node, no open client and no service cannot be delivered (net.clj,
//!   `validate-msg`), and Maelstrom reads no more of the node that printed it.
//! - A message to a client is that client's reply only if its `in_reply_to` is the
//!   `msg_id` the client waits for, from whichever node it comes; anything else is skipped
//!   (client.clj, `recv!`), counted, and, under `--strict`, a fault.
//! - A reply of type `error` fails its request (client.clj, `throw-errors!`); any other is
//!   checked against the echo_ok schema (`defrpc`), then its echo against the value sent
//!   (workload/echo.clj, `checker`).
//! - A request times out [`Config::timeout`](crate::config::Config) after its client sent it
//!   (client.clj: `send!`, then `recv!` with the deadline), however long it then waited
//!   to be written into the node's stdin; its client is then replaced by a new one.

use std::time::{Duration, Instant};

use crate::check;
use crate::counts::Counts;
use crate::fault::{At, Excerpt, Fault, Faults};
use crate::history::{Completion, History};
use crate::journal::Journal;
use crate::send::Payloads;
use crate::service::Services;

mod clients;
mod expire;
mod fast;
mod links;
mod names;
mod reply;
mod tally;

use clients::Clients;
use links::Links;
#[cfg(test)]
use links::UniqueIds;
use names::Names;
use tally::Tally;

/// How many bytes of a line a fault quotes.
const QUOTE: usize = 200;

/// What became of a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more to do (skipped, a fault recorded, or init answered).
    Done,
    /// To be written to node `k`'s stdin, as Maelstrom's network delivers it: the
    /// `Delivery` holds the line's parts, and the network's message id.
    Forward(usize, Delivery),
    /// Maelstrom would read no more of this node's stdout (the fault says why).
    StopReading,
    /// A message to a service, to be handed to it ([`Router::serve`]) once the network
    /// delivers it: at once, or after `--latency`, as Maelstrom delays messages to a
    /// service and their replies alike (net.clj, `latency-for`: no client is involved).
    Service(Call),
    /// A request answered correctly.
    Answered {
        /// When the request fell due.
        due: Instant,
        /// When it was written to its node.
        sent: Instant,
    },
}

/// A message from one node to another, as spans of the line it was printed on, and the
/// id Maelstrom's network gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The network's message id.
    pub id: u64,
    /// `src`'s string token.
    pub src: echo_wire::Span,
    /// `dest`'s string token.
    pub dest: echo_wire::Span,
    /// The body's value, if it has one (else `{}`).
    pub body: Option<echo_wire::Span>,
}

impl Delivery {
    /// Appends the delivered message, made of `line`'s parts, to `out`.
    pub fn write(&self, line: &[u8], out: &mut Vec<u8>) {
        echo_wire::frame::delivered(
            out,
            self.id,
            self.src.of(line),
            self.dest.of(line),
            self.body.map(|b| b.of(line)),
        );
    }
}

/// A node's message to a service, on its way there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The service's name.
    service: &'static str,
    /// Who sent it (its `src`), and the node that is, if one is: the reply goes there.
    src: String,
    node: Option<usize>,
    /// Its body, JSON text.
    body: Vec<u8>,
}

/// Clients, links and the rules between them.
pub struct Router {
    /// The clients, their requests, and the payloads they send.
    clients: Clients,
    /// The driver's state for each node's traffic, in the order of [`Router::names`].
    links: Links,
    /// The nodes' names, and how a node is known by its name.
    names: Names,
    /// Maelstrom's own message id, in every request's `id`.
    next_id: u64,
    timeout: Duration,
    strict: bool,
    /// The load started: times in faults are seconds from here.
    start: Instant,
    /// What the requests and messages came to: counts, faults, the history, the
    /// journal.
    tally: Tally,
    /// See [`Router::take_answered_early`].
    answered_early: Option<(Instant, Instant)>,
    /// Requests timed out since [`Router::take_given_up`]: when each fell due, and when
    /// it was given up.
    given_up: Vec<(Instant, Instant)>,
    /// Maelstrom's services, which nodes may ask.
    services: Services,
}

/// The most bytes echo-load holds for one node's stdin (requests and messages from other
/// nodes): past it, the node is failed for not reading, which bounds the driver's memory.
pub const MAX_WAITING: usize = 64 << 20;

impl Router {
    /// `clients` clients spread over `names.len()` nodes (client k sends to node k mod N).
    pub fn new(
        names: Vec<String>,
        clients: usize,
        payloads: Payloads,
        seed: u64,
        timeout: Duration,
        strict: bool,
    ) -> Self {
        let now = Instant::now();
        let names = Names::new(names);
        Router {
            clients: Clients::new(&names, clients, payloads, seed),
            links: Links::new(names.count(), now),
            names,
            next_id: 0,
            timeout,
            strict,
            start: now,
            tally: Tally::default(),
            answered_early: None,
            given_up: Vec::new(),
            services: Services::new(seed),
        }
    }

    /// What the clients did so far.
    pub fn counts(&self) -> &Counts {
        self.tally.counts()
    }

    /// What went wrong so far.
    pub fn faults(&self) -> &Faults {
        self.tally.faults()
    }

    /// A fault found outside the router: a node's stdout ended, its process exited, it
    /// never answered init, or it did not exit cleanly at the end.
    pub fn fault(&mut self, fault: Fault) {
        self.tally.fault(fault);
    }

    /// Requests outstanding.
    pub fn in_flight(&self) -> usize {
        self.clients.in_flight()
    }

    /// The nodes that have not answered init.
    pub fn uninitialised(&self) -> Vec<String> {
        (0..self.names.count())
            .filter(|&k| !self.links.is_initialised(k))
            .map(|k| self.names.of(k).to_owned())
            .collect()
    }

    /// What the run's requests came to: the counts, the faults, and when each timed-out
    /// request (of the first `MARKS`) was sent, in seconds into the load. A message
    /// still kept for a request never sent is skipped now: its client never took it.
    pub fn finish(mut self) -> (Counts, Faults, Vec<f64>) {
        self.skip_all_early();
        self.tally.finish()
    }

    /// The node names, in order: `n{first_node}` on.
    pub fn names(&self) -> &[String] {
        self.names.all()
    }

    /// Queues node `n`'s init (from its own init client, `c` and `n`'s number, with
    /// `msg_id` 1) on `out`.
    pub fn init(&mut self, n: usize, out: &mut Vec<u8>) {
        let before = out.len();
        let client = format!("c{n}");
        echo_wire::frame::init(
            out,
            self.next_id,
            &client,
            self.names.of(n),
            self.names.node_ids(),
        );
        self.tally
            .message(Instant::now(), &out[before..], true, true);
        self.next_id += 1;
        self.links[n].stdin.queue(out.len() - before, None);
    }

    /// Every node answered init.
    pub fn initialised(&self) -> bool {
        self.links.all_initialised()
    }

    /// How many nodes answered init.
    pub fn initialised_count(&self) -> usize {
        self.links.initialised()
    }

    /// The load starts now: times are measured from `start`, and a node's silence from
    /// here at the earliest.
    pub fn start_load(&mut self, start: Instant) {
        self.start = start;
        if let Some(history) = self.tally.history() {
            history.start(start);
        }
        self.links.start_load(start);
    }

    /// Records every operation into `history` from now on.
    pub fn keep_history(&mut self, history: History) {
        self.tally.keep_history(history);
    }

    /// The journal, once the run is over.
    pub fn take_journal(&mut self) -> Journal {
        self.tally.take_journal()
    }

    /// The history, to be finished, once the run is over.
    pub fn take_history(&mut self) -> Option<History> {
        self.tally.take_history()
    }

    /// Records a completion of client `c`'s request `msg_id` to node `n`, if a history
    /// is kept.
    fn completed(&mut self, now: Instant, c: usize, n: usize, msg_id: u64, how: Completion<'_>) {
        if let Some(history) = self.tally.history() {
            history.complete(now, self.clients[c].number, n, msg_id, how);
        }
    }

    /// A client is idle.
    pub fn any_idle(&self) -> bool {
        self.clients.any_idle()
    }

    /// Has the next idle client send, at `now`, a request that fell due at `due`, queued
    /// on its node's stdin buffer (`out_of(node)`); returns the node's index, or `None`
    /// when no client is idle.
    pub fn send<'o>(
        &mut self,
        due: Instant,
        now: Instant,
        out_of: impl FnOnce(usize) -> &'o mut Vec<u8>,
    ) -> Option<usize> {
        let (client, msg_id, payload) = self.clients.send(due, now)?;
        let c = &self.clients[client];
        let n = c.node;
        let out = out_of(n);
        let before = out.len();
        echo_wire::frame::headed_echo_request(
            out,
            self.next_id,
            &c.head,
            self.clients.payload(payload),
            msg_id,
        );
        self.tally.message(now, &out[before..], true, true);
        self.next_id += 1;
        self.links[n]
            .stdin
            .queue(out.len() - before, Some((client, msg_id)));
        self.tally.count().sent += 1;
        if let Some(history) = self.tally.history() {
            let value = self.clients.payload(payload);
            history.invoke(now, c.number, n, msg_id, value);
        }
        if !self.clients[client].early.is_empty() {
            self.early(client, now);
        }
        Some(n)
    }

    /// `bytes` more were written to node `n`'s stdin at `now`, and `left` wait for it:
    /// the requests now wholly written are marked so, and a stdin that takes nothing
    /// while bytes wait is noted, to say why requests behind it time out. (It is no fault
    /// of its own: in Maelstrom, messages wait in the network's queue, and only the
    /// requests' deadlines run.)
    pub fn written(&mut self, n: usize, bytes: usize, left: usize, now: Instant) {
        let clients = &mut self.clients;
        self.links[n]
            .stdin
            .wrote(bytes, left, now, |client, msg_id| {
                // The client may wait for a later request by now (an early reply answered
                // this one): only the request written is marked.
                if let Some(w) = &mut clients[client].waiting
                    && w.msg_id == msg_id
                {
                    w.written = Some(now);
                }
            });
    }

    /// `bytes` of a forwarded message were queued for node `n`'s stdin. Past
    /// `MAX_WAITING` bytes waiting for it, the run fails.
    pub fn queued(&mut self, n: usize, bytes: usize) {
        let stdin = &mut self.links[n].stdin;
        stdin.queue(bytes, None);
        if let Some(waiting) = stdin.too_far_behind() {
            let fault = Fault::StoppedReading {
                node: self.names.of(n).to_owned(),
                unsent: stdin.pending.len(),
                waiting,
            };
            self.tally.fault(fault);
        }
    }

    /// A node's stdin is closed: what waits for it is dropped, and its requests are never
    /// sent (they time out only if they were).
    pub fn closed(&mut self, n: usize) {
        self.links[n].stdin.close();
    }

    /// Handles stdout line `number` of node `n`, read at `now`.
    pub fn line(&mut self, n: usize, number: u64, line: &[u8], now: Instant) -> Outcome {
        self.links[n].last_line = now;
        let at = || At {
            node: self.names.of(n).to_owned(),
            line: number,
        };
        let message = match check::read_message(line) {
            Ok(m) => m,
            Err(why) => {
                self.tally.fault(Fault::Unreadable {
                    at: at(),
                    why: why.to_string(),
                    text: Excerpt::of(line, QUOTE),
                });
                return Outcome::StopReading;
            }
        };
        if self.strict
            && let Some(id) = message.body.msg_id
            && !self.links[n].ids.insert(id.of(line))
        {
            self.tally.fault(Fault::RepeatedMsgId {
                at: at(),
                msg_id: String::from_utf8_lossy(id.of(line)).into_owned(),
            });
        }
        let src = check::decode_string(message.src.of(line)).unwrap_or_default();
        if self.node(&src).is_none()
            && self.client(&src).is_none()
            && self.init_client(&src).is_none()
            && !Services::is_service(&src)
        {
            self.tally.message(now, line, false, false);
            self.tally.fault(Fault::Undeliverable {
                at: at(),
                field: "src",
                id: crate::words::printable(&src, false).into_owned(),
                text: Excerpt::of(line, QUOTE),
            });
            return Outcome::StopReading;
        }
        let dest = check::decode_string(message.dest.of(line)).unwrap_or_default();
        if let Some(k) = self.node(&dest) {
            self.tally.count().forwarded += 1;
            if message.body.in_reply_to.is_some()
                && let Some(from) = self.names.all().get(n)
            {
                self.tally.reply_to_a_node(from, &dest);
            }
            let client = self.client(&src).is_some() || self.init_client(&src).is_some();
            self.tally.message(now, line, client, true);
            let delivery = Delivery {
                id: self.next_id,
                src: message.src,
                dest: message.dest,
                body: message.body_span,
            };
            self.next_id += 1;
            return Outcome::Forward(k, delivery);
        }
        if let Some(c) = self.client(&dest) {
            self.tally.message(now, line, true, true);
            return self.for_client(n, number, c, line, &message.body, now);
        }
        if let Some(k) = self.init_client(&dest) {
            self.tally.message(now, line, true, true);
            return self.for_init_client(n, number, k, line, &message.body);
        }
        if let Some(service) = Services::named(&dest) {
            self.tally.message(now, line, false, true);
            let body = message.body_span.map_or(&b"{}"[..], |b| b.of(line));
            return Outcome::Service(Call {
                service,
                node: self.node(&src),
                src: src.into_owned(),
                body: body.to_vec(),
            });
        }
        let client = dest.starts_with('c');
        self.tally.message(now, line, client, false);
        self.tally.fault(Fault::Undeliverable {
            at: at(),
            field: "dest",
            id: crate::words::printable(&dest, false).into_owned(),
            text: Excerpt::of(line, QUOTE),
        });
        Outcome::StopReading
    }

    /// Hands `call` to its service: the service's reply, to go to node `k` through the
    /// network as any message does (`None`: the service answers nothing, or its reply
    /// is for no node).
    pub fn serve(&mut self, call: &Call) -> Option<(usize, Vec<u8>)> {
        let reply = self.services.handle(call.service, &call.src, &call.body)?;
        let k = call.node?;
        let mut message = Vec::with_capacity(reply.len() + 64);
        echo_wire::frame::delivered(
            &mut message,
            self.next_id,
            format!("\"{}\"", call.service).as_bytes(),
            format!("\"{}\"", self.names.of(k)).as_bytes(),
            Some(&reply),
        );
        self.tally.message(Instant::now(), &message, false, true);
        self.next_id += 1;
        Some((k, message))
    }

    /// A line of node `n`'s stdout came after Maelstrom would have stopped reading it:
    /// lost.
    pub fn lost(&mut self, n: usize) {
        self.links[n].lost += 1;
    }

    /// The first reply a node sent to a node: its sender and its `dest`.
    pub fn first_reply_to_a_node(&self) -> Option<(String, String)> {
        self.tally.first_reply_to_a_node()
    }

    /// Lines lost from each node's stdout after Maelstrom would have stopped reading it,
    /// by node, for the nodes that lost any.
    pub fn lost_lines(&self) -> Vec<(String, u64)> {
        self.links
            .iter()
            .zip(self.names.all())
            .filter(|(l, _)| l.lost > 0)
            .map(|(l, n)| (n.clone(), l.lost))
            .collect()
    }

    /// Seconds from the start of the load to `now` (negative before it).
    pub fn seconds_at(&self, now: Instant) -> f64 {
        if now >= self.start {
            (now - self.start).as_secs_f64()
        } else {
            -(self.start - now).as_secs_f64()
        }
    }

    /// The index of node `name`, if it is one.
    fn node(&self, name: &str) -> Option<usize> {
        self.names.index(name.as_bytes())
    }

    /// The index of client `name`, if it is one (`c0`, which sends init, is not).
    fn client(&self, name: &str) -> Option<usize> {
        self.clients.waiting_client(name.as_bytes())
    }

    /// The node whose init client `name` is, while that client is open (until the node
    /// answered init).
    fn init_client(&self, name: &str) -> Option<usize> {
        let k: usize = name.strip_prefix('c')?.parse().ok()?;
        (k < self.names.count() && format!("c{k}") == name && !self.links.is_initialised(k))
            .then_some(k)
    }
}

#[cfg(test)]
mod tests;
