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

use std::collections::{HashSet, VecDeque};

use std::time::{Duration, Instant};

use crate::check::{self, Schema, Type, integer_u64, same_value};
use crate::counts::Counts;
use crate::fault::{At, Excerpt, Fault, Faults, Skip};
use crate::history::{Completion, History};
use crate::journal::Journal;
use crate::quick;
use crate::send::{Payloads, Rng};
use crate::service::Services;

/// How many bytes of a line a fault quotes.
const QUOTE: usize = 200;

/// A logical client: synchronous, one request outstanding at a time, as Maelstrom's.
#[derive(Debug)]
pub struct Client {
    /// Maelstrom's client id: `c` and its number.
    pub name: String,
    /// Its number: the init clients have the first ones (`c0` for the first node, ...), the
    /// workload's clients the next, and a client that replaces one a new one.
    number: u64,
    /// Index of the node it sends to.
    pub node: usize,
    /// What each of its requests starts with after the network's id: always
    /// [`echo_wire::frame::echo_head`] of its name and its node's.
    head: Vec<u8>,
    /// Its next `msg_id` (Maelstrom's clients count from 1).
    next_msg_id: u64,
    /// Its outstanding request, if any.
    waiting: Option<Waiting>,
    /// Messages that came for it while it waited for nothing, naming a `msg_id` it has
    /// not sent yet, in the order they came: in Maelstrom they wait in its queue, and
    /// when it next waits it skips each until the first that answers (client.clj,
    /// `recv!`). At most [`EARLY`]; empty (no allocation) in a run without them.
    early: VecDeque<Early>,
}

/// The most messages a client keeps for requests it has not sent yet; past them, a
/// message for it is skipped at once (as it most likely would be: it would take a
/// reply for each of its next [`EARLY`] requests in order to use them).
pub const EARLY: usize = 64;

/// A message kept for a client's later request: where it came from, and the line.
#[derive(Debug)]
struct Early {
    node: usize,
    number: u64,
    in_reply_to: u64,
    line: Vec<u8>,
}

/// A client's outstanding request.
#[derive(Clone, Debug)]
struct Waiting {
    msg_id: u64,
    /// Index of its payload.
    payload: usize,
    /// When it fell due: latency counts from here.
    due: Instant,
    /// When its client sent it, handing it to the network: its timeout counts from here,
    /// however long it then waits to be written into the node's stdin (Maelstrom's
    /// client: `send!`, then `recv!` with the deadline).
    sent: Instant,
    /// When its last byte was written to the node's stdin.
    written: Option<Instant>,
    /// What the client skipped while it waited, to say why it timed out.
    note: Option<String>,
}

/// What was queued for one node's stdin and what of it was written: which requests are
/// wholly written (a timed-out request's message says whether it was; its timeout runs
/// from its client's send), and whether the stdin takes nothing while
/// bytes wait for it.
#[derive(Debug, Default)]
struct Stdin {
    /// Bytes ever queued. Invariant: `written <= queued`.
    queued: u64,
    /// Bytes ever written.
    written: u64,
    /// Requests not yet wholly written: (offset of their end in `queued`, client, its
    /// `msg_id`), in the order queued.
    pending: VecDeque<(u64, usize, u64)>,
    /// Since when it has taken nothing while bytes waited for it.
    stuck_since: Option<Instant>,
    /// It was reported for being [`MAX_WAITING`] behind (once is enough).
    stuck_reported: bool,
}

impl Stdin {
    /// `bytes` more were queued; the request of `(client, msg_id)` ends with them, if
    /// one does.
    fn queue(&mut self, bytes: usize, request: Option<(usize, u64)>) {
        self.queued += bytes as u64;
        if let Some((client, msg_id)) = request {
            self.pending.push_back((self.queued, client, msg_id));
        }
    }

    /// `bytes` more were written at `now`, and `left` wait: each request (client and
    /// `msg_id`) now wholly written is handed to `done`.
    fn wrote(&mut self, bytes: usize, left: usize, now: Instant, mut done: impl FnMut(usize, u64)) {
        debug_assert!(
            self.written + bytes as u64 <= self.queued,
            "more written than queued"
        );
        self.written = (self.written + bytes as u64).min(self.queued);
        while let Some(&(end, client, msg_id)) = self.pending.front() {
            if end > self.written {
                break;
            }
            self.pending.pop_front();
            done(client, msg_id);
        }
        if bytes > 0 || left == 0 {
            self.stuck_since = None;
        } else {
            self.stuck_since.get_or_insert(now);
        }
    }

    /// Bytes waiting, the first time they pass [`MAX_WAITING`]; `None` otherwise.
    fn too_far_behind(&mut self) -> Option<u64> {
        let waiting = self.queued - self.written;
        (waiting > MAX_WAITING as u64 && !self.stuck_reported).then(|| {
            self.stuck_reported = true;
            waiting
        })
    }

    /// It is closed: what waits is dropped.
    fn close(&mut self) {
        self.written = self.queued;
        self.pending.clear();
        self.stuck_since = None;
    }
}

/// The driver's state for one node's traffic.
#[derive(Debug)]
pub struct Link {
    /// Its stdin's bookkeeping.
    stdin: Stdin,
    /// Lines of its stdout after Maelstrom would have stopped reading it.
    lost: u64,
    /// When it last printed a stdout line.
    last_line: Instant,
    /// Its silence was reported.
    silent: bool,
    /// It answered init.
    pub initialised: bool,
    /// The `msg_id`s it used (kept under `--strict` only).
    ids: UniqueIds,
    /// The layout of its last reply the fast reading took.
    layout: quick::Layout,
}

/// What became of a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more to do (skipped, a fault recorded, or init answered).
    Done,
    /// To be written to node `k`'s stdin, as Maelstrom's network delivers it: the
    /// [`Delivery`] holds the line's parts, and the network's message id.
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
    /// The clients, the first numbered after the nodes' init clients.
    clients: Vec<Client>,
    /// Clients with no request outstanding, in the order they became idle.
    idle: VecDeque<usize>,
    /// For each workload client number (from the first after the init clients' on): the
    /// client it is, or [`CLOSED`] once it was replaced.
    slots: Vec<usize>,
    /// The number the next new client gets.
    next_client: u64,
    /// The driver's state for each node's traffic, in the order of [`Router::names`].
    links: Vec<Link>,
    /// The nodes' names, in order (a [`crate::config::Config`]'s are `n{first_node}`, then each
    /// one more: see [`Router::plain_names`]).
    names: Vec<String>,
    /// The number in the first node's name (`n0`: 0, `n1`: 1): node `k` is `names[k -
    /// first_node]`.
    first_node: usize,
    /// Whether every name is `n{first_node + k}`, as a [`crate::config::Config`]'s always are
    /// (a caller of [`Router::new`] may give others).
    plain_names: bool,
    /// `["n1","n2",...]`, as every init carries it.
    node_ids: Vec<u8>,
    payloads: Payloads,
    rng: Rng,
    /// Maelstrom's own message id, in every request's `id`.
    next_id: u64,
    timeout: Duration,
    strict: bool,
    /// The load started: times in faults are seconds from here.
    start: Instant,
    /// Requests outstanding.
    in_flight: usize,
    /// Nodes that answered init.
    initialised: usize,
    /// What the clients did.
    counts: Counts,
    /// What went wrong.
    faults: Faults,
    /// When (seconds into the load) each timed-out request was sent: the first
    /// [`MARKS`] of them, for the latency plot.
    timeout_marks: Vec<f64>,
    /// Every operation, under `--history`.
    history: Option<History>,
    /// See [`Router::take_answered_early`].
    answered_early: Option<(Instant, Instant)>,
    /// Requests timed out since [`Router::take_given_up`]: when each fell due, and when
    /// it was given up.
    given_up: Vec<(Instant, Instant)>,
    /// Maelstrom's services, which nodes may ask.
    services: Services,
    /// Every message's count, and a window of them.
    journal: Journal,
}

/// The most bytes echo-load holds for one node's stdin (requests and messages from other
/// nodes): past it, the node is failed for not reading, which bounds the driver's memory.
pub const MAX_WAITING: usize = 64 << 20;

/// A client number that no longer names a client: it was closed and replaced.
const CLOSED: usize = usize::MAX;

/// How many timeouts are marked on the latency plot.
pub const MARKS: usize = 4_000;

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
        let links = names
            .iter()
            .map(|_| Link {
                stdin: Stdin::default(),
                lost: 0,
                last_line: now,
                silent: false,
                initialised: false,
                ids: UniqueIds::default(),
                layout: quick::Layout::default(),
            })
            .collect();
        // Maelstrom's client ids count from c0: one init client a node, then the
        // workload's clients (client.clj, `open!`; db.clj, setup).
        let first = names.len() as u64;
        let first_node = names
            .first()
            .and_then(|n| n_index(n.as_bytes(), b'n'))
            .unwrap_or(0);
        let plain_names = names
            .iter()
            .enumerate()
            .all(|(k, name)| *name == format!("n{}", first_node + k));
        Router {
            slots: (0..clients).collect(),
            next_client: first + clients as u64,
            clients: (0..clients)
                .map(|k| {
                    let (number, node) = (first + k as u64, k % names.len());
                    let name = format!("c{number}");
                    Client {
                        head: head(&name, &names[node]),
                        name,
                        number,
                        node,
                        next_msg_id: 1,
                        waiting: None,
                        early: VecDeque::new(),
                    }
                })
                .collect(),
            idle: (0..clients).collect(),
            links,
            node_ids: echo_wire::frame::node_ids(&names),
            first_node,
            plain_names,
            names,
            payloads,
            rng: Rng::new(seed),
            next_id: 0,
            timeout,
            strict,
            start: now,
            in_flight: 0,
            initialised: 0,
            counts: Counts::default(),
            faults: Faults::default(),
            timeout_marks: Vec::new(),
            history: None,
            answered_early: None,
            given_up: Vec::new(),
            services: Services::new(seed),
            journal: Journal::default(),
        }
    }

    /// What the clients did so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// What went wrong so far.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// A fault found outside the router: a node's stdout ended, its process exited, it
    /// never answered init, or it did not exit cleanly at the end.
    pub fn fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// Requests outstanding.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The nodes that have not answered init.
    pub fn uninitialised(&self) -> Vec<String> {
        self.links
            .iter()
            .zip(&self.names)
            .filter(|(l, _)| !l.initialised)
            .map(|(_, n)| n.clone())
            .collect()
    }

    /// What the run's requests came to: the counts, the faults, and when each timed-out
    /// request (of the first [`MARKS`]) was sent, in seconds into the load. A message
    /// still kept for a request never sent is skipped now: its client never took it.
    pub fn finish(mut self) -> (Counts, Faults, Vec<f64>) {
        self.skip_all_early();
        (self.counts, self.faults, self.timeout_marks)
    }

    /// The node names, in order: `n{first_node}` on.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Queues node `n`'s init (from its own init client, `c` and `n`'s number, with
    /// `msg_id` 1) on `out`.
    pub fn init(&mut self, n: usize, out: &mut Vec<u8>) {
        let before = out.len();
        let client = format!("c{n}");
        echo_wire::frame::init(out, self.next_id, &client, &self.names[n], &self.node_ids);
        self.journal
            .message(Instant::now(), &out[before..], true, true);
        self.next_id += 1;
        self.links[n].stdin.queue(out.len() - before, None);
    }

    /// Every node answered init.
    pub fn initialised(&self) -> bool {
        self.initialised == self.links.len()
    }

    /// How many nodes answered init.
    pub fn initialised_count(&self) -> usize {
        self.initialised
    }

    /// The load starts now: times are measured from `start`, and a node's silence from
    /// here at the earliest.
    pub fn start_load(&mut self, start: Instant) {
        self.start = start;
        if let Some(history) = &mut self.history {
            history.start(start);
        }
        for link in &mut self.links {
            link.last_line = link.last_line.max(start);
        }
    }

    /// Records every operation into `history` from now on.
    pub fn keep_history(&mut self, history: History) {
        self.history = Some(history);
    }

    /// The network's journal: its counts, and its window of messages.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The journal, once the run is over.
    pub fn take_journal(&mut self) -> Journal {
        std::mem::take(&mut self.journal)
    }

    /// The history, to be finished, once the run is over.
    pub fn take_history(&mut self) -> Option<History> {
        self.history.take()
    }

    /// Records a completion of client `c`'s request `msg_id` to node `n`, if a history
    /// is kept.
    fn completed(&mut self, now: Instant, c: usize, n: usize, msg_id: u64, how: Completion<'_>) {
        if let Some(history) = &mut self.history {
            history.complete(now, self.clients[c].number, n, msg_id, how);
        }
    }

    /// A client is idle.
    pub fn any_idle(&self) -> bool {
        !self.idle.is_empty()
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
        let client = self.idle.pop_front()?;
        let payload = (self.rng.next_u64() % self.payloads.len() as u64) as usize;
        let c = &mut self.clients[client];
        let msg_id = c.next_msg_id;
        c.next_msg_id += 1;
        c.waiting = Some(Waiting {
            msg_id,
            payload,
            due,
            sent: now,
            written: None,
            note: None,
        });
        let n = c.node;
        let out = out_of(n);
        let before = out.len();
        echo_wire::frame::headed_echo_request(
            out,
            self.next_id,
            &c.head,
            self.payloads.get(payload),
            msg_id,
        );
        self.journal.message(now, &out[before..], true, true);
        self.next_id += 1;
        self.links[n]
            .stdin
            .queue(out.len() - before, Some((client, msg_id)));
        self.counts.sent += 1;
        self.in_flight += 1;
        if let Some(history) = &mut self.history {
            let value = self.payloads.get(payload);
            history.invoke(now, c.number, n, msg_id, value);
        }
        if !self.clients[client].early.is_empty() {
            self.early(client, now);
        }
        Some(n)
    }

    /// Client `c` now waits, with messages kept for it: it skips each until the first
    /// that answers its request, which is then its reply, right or wrong (client.clj,
    /// `recv!`); the rest stay for its next requests.
    fn early(&mut self, c: usize, now: Instant) {
        let Some(msg_id) = self.clients[c].waiting.as_ref().map(|w| w.msg_id) else {
            return;
        };
        while let Some(early) = self.clients[c].early.pop_front() {
            let Ok(message) = check::read_message(&early.line) else {
                continue; // read once already, when it came
            };
            let (n, number, line) = (early.node, early.number, &early.line[..]);
            if early.in_reply_to == msg_id {
                if let Outcome::Answered { due, sent } =
                    self.for_client(n, number, c, line, &message.body, now)
                {
                    self.answered_early = Some((due, sent));
                }
                return;
            }
            let at = At {
                node: self.names[n].clone(),
                line: number,
            };
            let token = message.body.in_reply_to.map(|s| s.of(line));
            self.skip(at, c, token, Some(early.in_reply_to), line, &message.body);
        }
    }

    /// The requests timed out since the last call: when each fell due, and when it was
    /// given up.
    pub fn take_given_up(&mut self) -> Vec<(Instant, Instant)> {
        std::mem::take(&mut self.given_up)
    }

    /// When a request [`Router::send`] just sent was at once answered by a message kept
    /// for it, its due and sent times (taken once).
    pub fn take_answered_early(&mut self) -> Option<(Instant, Instant)> {
        self.answered_early.take()
    }

    /// Every message still kept for a client's later request is skipped: its client
    /// never waited for it (the run ended, or the client was replaced).
    fn skip_early(&mut self, c: usize) {
        while let Some(early) = self.clients[c].early.pop_front() {
            let Ok(message) = check::read_message(&early.line) else {
                continue;
            };
            let at = At {
                node: self.names[early.node].clone(),
                line: early.number,
            };
            let line = &early.line[..];
            let token = message.body.in_reply_to.map(|s| s.of(line));
            self.skip(at, c, token, Some(early.in_reply_to), line, &message.body);
        }
    }

    /// Skips every message kept for a later request, at the end of the run.
    fn skip_all_early(&mut self) {
        for c in 0..self.clients.len() {
            self.skip_early(c);
        }
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
    /// [`MAX_WAITING`] bytes waiting for it, the run fails.
    pub fn queued(&mut self, n: usize, bytes: usize) {
        let stdin = &mut self.links[n].stdin;
        stdin.queue(bytes, None);
        if let Some(waiting) = stdin.too_far_behind() {
            let fault = Fault::StoppedReading {
                node: self.names[n].clone(),
                unsent: stdin.pending.len(),
                waiting,
            };
            self.faults.push(fault);
        }
    }

    /// Times out every request still outstanding when the run ends.
    pub fn expire_all(&mut self, now: Instant) {
        for c in &mut self.clients {
            if let Some(w) = &mut c.waiting
                && w.written.is_some()
            {
                w.note
                    .get_or_insert_with(|| "still outstanding when the run ended".into());
            }
        }
        self.expire_at(now, true);
    }

    /// Forgets every outstanding request, counting it as abandoned (the run was
    /// interrupted: it neither succeeded nor failed).
    pub fn abandon_all(&mut self) {
        let now = Instant::now();
        for c in 0..self.clients.len() {
            if let Some(w) = self.clients[c].waiting.take() {
                self.counts.abandoned += 1;
                self.in_flight -= 1;
                self.idle.push_back(c);
                let (n, error) = (self.clients[c].node, "interrupted");
                self.completed(now, c, n, w.msg_id, Completion::Info { error });
            }
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
            node: self.names[n].clone(),
            line: number,
        };
        let message = match check::read_message(line) {
            Ok(m) => m,
            Err(why) => {
                self.faults.push(Fault::Unreadable {
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
            self.faults.push(Fault::RepeatedMsgId {
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
            self.journal.message(now, line, false, false);
            self.faults.push(Fault::Undeliverable {
                at: at(),
                field: "src",
                id: crate::words::printable(&src, false).into_owned(),
                text: Excerpt::of(line, QUOTE),
            });
            return Outcome::StopReading;
        }
        let dest = check::decode_string(message.dest.of(line)).unwrap_or_default();
        if let Some(k) = self.node(&dest) {
            self.counts.forwarded += 1;
            let client = self.client(&src).is_some() || self.init_client(&src).is_some();
            self.journal.message(now, line, client, true);
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
            self.journal.message(now, line, true, true);
            return self.for_client(n, number, c, line, &message.body, now);
        }
        if let Some(k) = self.init_client(&dest) {
            self.journal.message(now, line, true, true);
            return self.for_init_client(n, number, k, line, &message.body);
        }
        if let Some(service) = Services::named(&dest) {
            self.journal.message(now, line, false, true);
            let body = message.body_span.map_or(&b"{}"[..], |b| b.of(line));
            return Outcome::Service(Call {
                service,
                node: self.node(&src),
                src: src.into_owned(),
                body: body.to_vec(),
            });
        }
        let client = dest.starts_with('c');
        self.journal.message(now, line, client, false);
        self.faults.push(Fault::Undeliverable {
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
            format!("\"{}\"", self.names[k]).as_bytes(),
            Some(&reply),
        );
        self.journal.message(Instant::now(), &message, false, true);
        self.next_id += 1;
        Some((k, message))
    }

    /// Client `c`'s request ended with no definite outcome: as Jepsen does, its client
    /// is closed and a new one, with a new id, takes its place (the old id names no one
    /// any more: a late reply to it is undeliverable, as in Maelstrom's network).
    fn replace(&mut self, c: usize) {
        self.skip_early(c);
        let first = self.names.len() as u64;
        let client = &mut self.clients[c];
        if let Some(slot) = self.slots.get_mut((client.number - first) as usize) {
            *slot = CLOSED;
        }
        client.number = self.next_client;
        client.name = format!("c{}", self.next_client);
        client.head = head(&client.name, &self.names[client.node]);
        client.next_msg_id = 1;
        self.next_client += 1;
        self.slots.push(c);
    }

    /// A line of node `n`'s stdout came after Maelstrom would have stopped reading it:
    /// lost.
    pub fn lost(&mut self, n: usize) {
        self.links[n].lost += 1;
    }

    /// Lines lost from each node's stdout after Maelstrom would have stopped reading it,
    /// by node, for the nodes that lost any.
    pub fn lost_lines(&self) -> Vec<(String, u64)> {
        self.links
            .iter()
            .zip(&self.names)
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
        let k = n_index(name.as_bytes(), b'n')?.checked_sub(self.first_node)?;
        self.names.get(k).is_some_and(|n| n == name).then_some(k)
    }

    /// The index of client `name`, if it is one (`c0`, which sends init, is not).
    fn client(&self, name: &str) -> Option<usize> {
        let k: usize = name.strip_prefix('c')?.parse().ok()?;
        let slot = *self.slots.get(k.checked_sub(self.names.len())?)?;
        (slot != CLOSED && self.clients[slot].name == name).then_some(slot)
    }

    /// The node whose init client `name` is, while that client is open (until the node
    /// answered init).
    fn init_client(&self, name: &str) -> Option<usize> {
        let k: usize = name.strip_prefix('c')?.parse().ok()?;
        (k < self.names.len() && format!("c{k}") == name && !self.links[k].initialised).then_some(k)
    }

    /// A message to `c0` before node `n` answered init: the init_ok, or skipped.
    fn for_init_client(
        &mut self,
        n: usize,
        number: u64,
        k: usize,
        line: &[u8],
        body: &check::Body,
    ) -> Outcome {
        if body.in_reply_to.map(|s| integer_u64(s.of(line))) != Some(Some(1)) {
            self.counts.skipped += 1;
            return Outcome::Done;
        }
        let fault = |why: String| Fault::BadInit {
            at: At {
                node: self.names[n].clone(),
                line: number,
            },
            why,
            text: Excerpt::of(line, QUOTE),
        };
        // Maelstrom's init is a plain RPC: an error reply throws, and of any other reply
        // only `type` is checked (db.clj, setup!).
        if body.type_of(line) == Type::Error {
            let f = fault("an error reply".into());
            self.faults.push(f);
        } else if body.type_of(line) != Type::InitOk {
            let f = fault("its type is not \"init_ok\"".into());
            self.faults.push(f);
        } else {
            // It answers node k's init, whichever node printed it: the client takes the
            // reply to its msg_id from anyone.
            self.links[k].initialised = true;
            self.initialised += 1;
        }
        Outcome::Done
    }

    /// A message node `n` addressed to client `c`.
    fn for_client(
        &mut self,
        n: usize,
        number: u64,
        c: usize,
        line: &[u8],
        body: &check::Body,
        now: Instant,
    ) -> Outcome {
        // Built only for a fault: a correct reply costs no allocation.
        let at = |names: &[String]| At {
            node: names[n].clone(),
            line: number,
        };
        let in_reply_to = body.in_reply_to.map(|s| s.of(line));
        let id = in_reply_to.and_then(integer_u64);
        let client = &mut self.clients[c];
        let matched = client
            .waiting
            .as_ref()
            .is_some_and(|w| Some(w.msg_id) == id);
        // It waits for nothing, and the message names a msg_id it will send: it waits in
        // the client's queue for then (client.clj, `recv!`; net.clj, `recv!`).
        if client.waiting.is_none()
            && let Some(id) = id
            && id >= client.next_msg_id
            && client.early.len() < EARLY
        {
            client.early.push_back(Early {
                node: n,
                number,
                in_reply_to: id,
                line: line.to_vec(),
            });
            return Outcome::Done;
        }
        if !matched {
            self.skip(at(&self.names), c, in_reply_to, id, line, body);
            return Outcome::Done;
        }
        let Some(waiting) = self.take_waiting(n, number, c) else {
            return Outcome::Done;
        };
        let msg_id = waiting.msg_id;
        let name = |clients: &[Client]| clients[c].name.clone();
        if body.type_of(line) == Type::Error {
            self.counts.failed += 1;
            let code = body.code.map_or(&b"null"[..], |s| s.of(line));
            self.completed(now, c, n, msg_id, Completion::Fail { code });
            let text = body
                .text
                .and_then(|s| check::decode_string(s.of(line)).ok())
                .map(|t| crate::words::printable(&t, false).into_owned())
                .unwrap_or_default();
            self.faults.push(Fault::ErrorReply {
                at: at(&self.names),
                client: name(&self.clients),
                msg_id,
                code: body
                    .code
                    .map(|s| String::from_utf8_lossy(s.of(line)).into_owned())
                    .unwrap_or_else(|| "(no code)".into()),
                text,
            });
            return Outcome::Done;
        }
        if let Err(why) = body.check(line, Schema::EchoOk) {
            self.counts.wrong += 1;
            self.counts.malformed += 1;
            let error = "malformed reply";
            self.completed(now, c, n, msg_id, Completion::Info { error });
            self.faults.push(Fault::Malformed {
                at: at(&self.names),
                client: name(&self.clients),
                msg_id,
                why: why.to_string(),
                text: Excerpt::of(line, QUOTE),
            });
            return Outcome::Done;
        }
        let sent = self.payloads.get(waiting.payload);
        let echo = body.echo.map(|s| s.of(line)).unwrap_or_default();
        if !same_value(sent, echo) {
            self.counts.wrong += 1;
            let sent = Excerpt::of(sent, 80);
            let how = Completion::Ok {
                value: echo,
                valid: false,
            };
            self.completed(now, c, n, msg_id, how);
            let (at, name) = (at(&self.names), name(&self.clients));
            let owner = self.owner_of(c, msg_id, Some(echo)).map(|o| {
                let owner = self.clients[o].name.clone();
                let note = format!("reply to {owner}'s request sent to {name}, {at}");
                if let Some(w) = &mut self.clients[o].waiting {
                    w.note.get_or_insert(note);
                }
                owner
            });
            self.faults.push(Fault::WrongEcho {
                at,
                client: name,
                msg_id,
                sent,
                got: Excerpt::of(echo, 80),
                owner,
            });
            return Outcome::Done;
        }
        self.answered(n, c, &waiting, echo, now)
    }

    /// Client `c`'s request is answered by a reply from node `n` (line `number`): it is
    /// idle again, and under `--strict` a reply from another node than the one asked is
    /// a fault. `None` if it waited for nothing.
    fn take_waiting(&mut self, n: usize, number: u64, c: usize) -> Option<Waiting> {
        let client = &mut self.clients[c];
        let waiting = client.waiting.take()?;
        let asked = client.node;
        self.idle.push_back(c);
        self.in_flight -= 1;
        if self.strict && asked != n {
            self.faults.push(Fault::OtherNode {
                at: At {
                    node: self.names[n].clone(),
                    line: number,
                },
                client: self.clients[c].name.clone(),
                asked: self.names[asked].clone(),
            });
        }
        Some(waiting)
    }

    /// Client `c`'s request, `waiting`, got its echo back, right, from node `n`.
    fn answered(
        &mut self,
        n: usize,
        c: usize,
        waiting: &Waiting,
        echo: &[u8],
        now: Instant,
    ) -> Outcome {
        self.counts.ok += 1;
        if self.history.is_some() {
            let how = Completion::Ok {
                value: echo,
                valid: true,
            };
            self.completed(now, c, n, waiting.msg_id, how);
        }
        Outcome::Answered {
            due: waiting.due,
            sent: waiting.written.unwrap_or(now),
        }
    }

    /// Reads `line`, from node `n`, as [`Router::line`] would, if it is a right reply that
    /// `quick::read` takes (any key order, any whitespace, no escape): from a node, to
    /// an open client waiting for its `in_reply_to`, with its echo the very bytes that
    /// client sent. Such a line meets every rule the full reading applies, and it is
    /// valid UTF-8 (every byte of it is matched ASCII but for the echo, which is), so it
    /// needs no check as text. `None`: the line is anything else, and [`Router::line`]
    /// reads it.
    pub fn right_reply(
        &mut self,
        n: usize,
        number: u64,
        line: &[u8],
        now: Instant,
    ) -> Option<Outcome> {
        // The client the echo was compared for, when `dest` came before the body.
        let found = std::cell::Cell::new(None);
        let expected = |dest: &[u8]| {
            let slot = self.waiting_client(dest)?;
            found.set(Some(slot));
            let waiting = self.clients[slot].waiting.as_ref()?;
            Some(self.payloads.get(waiting.payload))
        };
        // The node's layout first (a comparison of bytes), then a reading in one pass,
        // whose layout is learnt for the next reply.
        let (reply, learnt) = match self.links[n].layout.read(line, expected) {
            Some(reply) => (reply, true),
            None => {
                found.set(None);
                (quick::read(line, expected)?, false)
            }
        };
        let k = n_index(reply.src, b'n')?.checked_sub(self.first_node)?;
        // Names `n{first_node + k}` are known from their digits (no leading zero).
        if k >= self.names.len() || (!self.plain_names && self.names[k].as_bytes() != reply.src) {
            return None;
        }
        let slot = match found.get() {
            Some(slot) => slot,
            None => self.waiting_client(reply.dest)?,
        };
        let waiting = self.clients[slot].waiting.as_ref()?;
        if waiting.msg_id != reply.in_reply_to
            || (!reply.echo_known && !quick::same(self.payloads.get(waiting.payload), reply.echo))
        {
            return None;
        }
        if !learnt {
            self.links[n].layout.learn(line, &reply);
        }
        let (echo, msg_id) = (reply.echo, reply.msg_id);
        self.links[n].last_line = now;
        if self.strict
            && let Some(msg_id) = msg_id
            && !self.links[n].ids.insert(msg_id)
        {
            self.faults.push(Fault::RepeatedMsgId {
                at: At {
                    node: self.names[n].clone(),
                    line: number,
                },
                msg_id: String::from_utf8_lossy(msg_id).into_owned(),
            });
        }
        let waiting = self.take_waiting(n, number, slot)?;
        self.journal.message(now, line, true, true);
        Some(self.answered(n, slot, &waiting, echo, now))
    }

    /// The open client named `name` (as its bytes, `c12`), if it is one. A client's
    /// name is `c` and its number, and [`Router::slots`] maps each open number to its
    /// client: so digits with no leading zero that find an open slot are its name.
    #[inline]
    fn waiting_client(&self, name: &[u8]) -> Option<usize> {
        let number = n_index(name, b'c')?;
        let slot = *self.slots.get(number.checked_sub(self.names.len())?)?;
        debug_assert!(slot == CLOSED || self.clients[slot].name.as_bytes() == name);
        (slot != CLOSED).then_some(slot)
    }

    /// Client `c` skips a message that is not its reply: counted, classified, noted.
    fn skip(
        &mut self,
        at: At,
        c: usize,
        token: Option<&[u8]>,
        id: Option<u64>,
        line: &[u8],
        body: &check::Body,
    ) {
        self.counts.skipped += 1;
        let client = &self.clients[c];
        let waiting_for = client.waiting.as_ref().map(|w| w.msg_id);
        let echo = body.echo.map(|s| s.of(line));
        let why = match id {
            // Another client waits for this msg_id with this payload: it was theirs.
            Some(id) if let Some(o) = self.owner_of(c, id, echo) => Skip::Misdirected {
                owner: self.clients[o].name.clone(),
                in_reply_to: id,
            },
            Some(id) if id >= 1 && id < waiting_for.unwrap_or(client.next_msg_id) => {
                Skip::Duplicate { in_reply_to: id }
            }
            _ => Skip::Unsolicited {
                in_reply_to: token.map(|t| String::from_utf8_lossy(t).into_owned()),
            },
        };
        let name = self.clients[c].name.clone();
        match &why {
            Skip::Duplicate { .. } => self.counts.duplicate += 1,
            Skip::Misdirected { owner, .. } => {
                self.counts.misdirected += 1;
                let note = format!("reply to {owner}'s request sent to {name}, {at}");
                if let Some(o) = self.client(owner)
                    && let Some(w) = &mut self.clients[o].waiting
                {
                    w.note.get_or_insert(note);
                }
            }
            Skip::Unsolicited { .. } => {
                if let Some(w) = &mut self.clients[c].waiting {
                    w.note.get_or_insert(format!("{name} skipped {why}, {at}"));
                }
            }
        }
        if self.strict {
            self.faults.push(Fault::Skipped {
                at,
                client: name,
                why,
            });
        }
    }

    /// Another client than `c` waiting for `msg_id` with a payload equal to `echo`: the
    /// one a reply sent to `c` was meant for.
    fn owner_of(&self, c: usize, msg_id: u64, echo: Option<&[u8]>) -> Option<usize> {
        let echo = echo?;
        self.clients.iter().enumerate().position(|(k, o)| {
            k != c
                && o.waiting.as_ref().is_some_and(|w| {
                    w.msg_id == msg_id && same_value(self.payloads.get(w.payload), echo)
                })
        })
    }

    /// Times out every request written more than the timeout ago; a node that printed
    /// nothing in that time is reported as silent (once).
    pub fn expire(&mut self, now: Instant) {
        self.expire_at(now, false);
    }

    /// [`Router::expire`], or with `all`, every request that has a time it was sent.
    fn expire_at(&mut self, now: Instant, all: bool) {
        let timeout = self.timeout;
        let due = move |w: &Waiting| all || now.saturating_duration_since(w.sent) >= timeout;
        // First, silence, with every request still outstanding: a node is silent when it
        // printed nothing for the timeout and a request of it expires whose client skipped
        // nothing while it waited (a reply it could not take is not silence: the timeout's
        // note says what it was).
        for c in 0..self.clients.len() {
            let client = &self.clients[c];
            let n = client.node;
            // A node whose lines Maelstrom reads no more is not silent: it printed on.
            if client
                .waiting
                .as_ref()
                .is_some_and(|w| due(w) && w.note.is_none())
                && !self.links[n].silent
                && self.links[n].lost == 0
                && now.saturating_duration_since(self.links[n].last_line) >= self.timeout
            {
                self.links[n].silent = true;
                self.report_silent(n, now);
            }
        }
        for c in 0..self.clients.len() {
            let client = &self.clients[c];
            let Some(w) = &client.waiting else { continue };
            if !due(w) {
                continue;
            }
            let n = client.node;
            let stuck = self.links[n].stdin.stuck_since;
            let client = &mut self.clients[c];
            let Some(mut w) = client.waiting.take() else {
                continue;
            };
            let sent = w.sent;
            if w.note.is_none() && self.links[n].lost > 0 {
                w.note = Some(format!(
                    "{} printed on, but Maelstrom reads no more of its stdout (see above)",
                    self.names[n]
                ));
            }
            if w.written.is_none() {
                // It waited in front of the node's stdin all along: say why.
                let name = &self.names[n];
                w.note = Some(match stuck {
                    Some(since) => format!(
                        "never wholly written to {name}'s stdin, which had taken nothing \
                         for {:.1} s",
                        now.saturating_duration_since(since).as_secs_f64()
                    ),
                    None => format!("never wholly written to {name}'s stdin"),
                });
            }
            self.given_up.push((w.due, now));
            let sent_at = sent.saturating_duration_since(self.start).as_secs_f64();
            if self.timeout_marks.len() < MARKS {
                self.timeout_marks.push(sent_at);
            }
            self.faults.push(Fault::TimedOut {
                client: client.name.clone(),
                node: self.names[n].clone(),
                msg_id: w.msg_id,
                sent_at,
                note: w.note,
            });
            self.counts.timeouts += 1;
            let how = Completion::Info { error: "timeout" };
            self.completed(now, c, n, w.msg_id, how);
            self.replace(c);
            self.in_flight -= 1;
            self.idle.push_back(c);
        }
    }

    /// Reports node `n` as silent: what waits on it, and the oldest.
    fn report_silent(&mut self, n: usize, now: Instant) {
        let waiting = self
            .clients
            .iter()
            .filter(|c| c.node == n)
            .filter_map(|c| c.waiting.as_ref().map(|w| (w.sent, c)));
        let outstanding = waiting.clone().count();
        let Some((sent, oldest)) = waiting.min_by_key(|(s, _)| *s) else {
            return;
        };
        let fault = Fault::Silent {
            node: self.names[n].clone(),
            seconds: (now - self.links[n].last_line).as_secs_f64(),
            outstanding,
            oldest_client: oldest.name.clone(),
            oldest_msg_id: oldest.waiting.as_ref().map_or(0, |w| w.msg_id),
            oldest_sent_at: sent.saturating_duration_since(self.start).as_secs_f64(),
        };
        self.faults.push(fault);
    }
}

/// The `msg_id`s a node has used, to check that none repeats. A counter's ids (small and
/// dense) go in a bitmap; any others in sets.
#[derive(Debug, Default)]
pub struct UniqueIds {
    bits: Vec<u64>,
    sparse: HashSet<u64>,
    other: HashSet<Vec<u8>>,
}

/// Ids below this go in the bitmap (at most 8 MiB of it).
const DENSE: u64 = 1 << 26;

impl UniqueIds {
    /// Records the integer token `id`; false if it was seen before.
    pub fn insert(&mut self, id: &[u8]) -> bool {
        match integer_u64(id) {
            Some(n) if n < DENSE => {
                let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
                if self.bits.len() <= word {
                    self.bits.resize((word + 1).next_power_of_two(), 0);
                }
                let fresh = self.bits[word] & bit == 0;
                self.bits[word] |= bit;
                fresh
            }
            Some(n) => self.sparse.insert(n),
            None => self.other.insert(id.to_vec()),
        }
    }
}

/// The part of each of `client`'s requests to `node` that is the same in each.
fn head(client: &str, node: &str) -> Vec<u8> {
    let mut head = Vec::with_capacity(client.len() + node.len() + 32);
    echo_wire::frame::echo_head(&mut head, client.as_bytes(), node.as_bytes());
    head
}

/// `k` of a name `{prefix}{k}` (`n3`, `c12`), written as Maelstrom writes it (no leading
/// zero).
fn n_index(name: &[u8], prefix: u8) -> Option<usize> {
    let digits = name.strip_prefix(&[prefix])?;
    if digits.is_empty() || digits.len() > 19 || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    digits.iter().try_fold(0usize, |k, &d| {
        d.is_ascii_digit().then(|| k * 10 + (d - b'0') as usize)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Kind;
    use crate::send::PayloadKind;

    fn router(clients: usize, nodes: usize, strict: bool) -> (Router, Vec<Vec<u8>>) {
        let names = (0..nodes).map(|k| format!("n{k}")).collect();
        let mut r = Router::new(
            names,
            clients,
            Payloads::new(&PayloadKind::Maelstrom, 0),
            0,
            Duration::from_secs(5),
            strict,
        );
        let mut outs = vec![Vec::new(); nodes];
        for (n, out) in outs.iter_mut().enumerate() {
            r.init(n, out);
            let line = format!(
                r#"{{"src":"n{n}","dest":"c{n}","body":{{"type":"init_ok","in_reply_to":1}}}}"#
            );
            assert_eq!(r.line(n, 1, line.as_bytes(), Instant::now()), Outcome::Done);
        }
        assert!(r.initialised());
        for (n, out) in outs.iter_mut().enumerate() {
            r.written(n, out.len(), 0, Instant::now());
            out.clear();
        }
        (r, outs)
    }

    /// The echo of the request last queued in `out` (between `"echo":` and `,"type"`).
    fn echo_of(out: &[u8]) -> String {
        let text = String::from_utf8_lossy(out);
        let line = text.lines().last().unwrap_or_default();
        let start = line.find(r#""echo":"#).map_or(0, |i| i + 7);
        let end = line.find(r#","type""#).unwrap_or(line.len());
        line[start..end].to_owned()
    }

    #[test]
    fn replies_match_by_in_reply_to_from_any_node_with_repeated_msg_ids() {
        let (mut r, mut outs) = router(2, 2, false);
        let now = Instant::now();
        assert_eq!(r.send(now, now, |n| &mut outs[n]), Some(0));
        let echo = echo_of(&outs[0]);
        r.written(0, outs[0].len(), 0, now);
        // From n1, not n0 which was asked; msg_id copied from the request (as Go's demo).
        // The workload's first client is c2: c0 and c1 were the nodes' init clients.
        let reply = format!(
            r#"{{"src":"n1","dest":"c2","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":1,"msg_id":1}}}}"#
        );
        assert!(matches!(
            r.line(1, 2, reply.as_bytes(), now),
            Outcome::Answered { .. }
        ));
        assert_eq!(r.counts.ok, 1);
        assert!(!r.faults.fail(false));
        // The same reply again: skipped as a duplicate.
        assert_eq!(r.line(1, 3, reply.as_bytes(), now), Outcome::Done);
        assert_eq!((r.counts.skipped, r.counts.duplicate), (1, 1));
        assert!(!r.faults.fail(false));
    }

    #[test]
    fn a_timed_out_client_is_replaced_and_a_late_reply_to_it_is_undeliverable() {
        // One node (n0, whose init client was c0), one client: c1.
        let (mut r, mut outs) = router(1, 1, false);
        let t = Instant::now();
        r.send(t, t, |n| &mut outs[n]);
        let echo = echo_of(&outs[0]);
        r.written(0, outs[0].len(), 0, t);
        outs[0].clear();
        r.expire(t + Duration::from_secs(5));
        assert_eq!(r.counts.timeouts, 1);
        // Jepsen closes the client and opens a new one: c2, counting msg_ids from 1.
        r.send(t, t, |n| &mut outs[n]);
        let request = String::from_utf8_lossy(&outs[0]).into_owned();
        assert!(
            request.contains(r#""src":"c2""#) && request.contains(r#""msg_id":1}"#),
            "{request}"
        );
        // The late reply to c1: to no one, so Maelstrom stops reading n0.
        let late = format!(
            r#"{{"src":"n0","dest":"c1","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":1}}}}"#
        );
        assert_eq!(r.line(0, 2, late.as_bytes(), t), Outcome::StopReading);
    }

    #[test]
    fn strict_fails_what_maelstrom_lets_pass() {
        let (mut r, mut outs) = router(1, 2, true);
        let now = Instant::now();
        r.send(now, now, |n| &mut outs[n]);
        let echo = echo_of(&outs[0]);
        let reply = format!(
            r#"{{"src":"n1","dest":"c2","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":1,"msg_id":1}}}}"#
        );
        r.line(1, 2, reply.as_bytes(), now);
        r.line(1, 3, reply.as_bytes(), now);
        for kind in [
            crate::fault::Kind::OtherNode,
            crate::fault::Kind::Skipped,
            crate::fault::Kind::RepeatedMsgId,
        ] {
            assert_eq!(r.faults.count(kind), 1, "{kind:?}");
        }
        assert!(r.faults.fail(true) && !r.faults.fail(false));
    }

    #[test]
    fn node_to_node_messages_are_forwarded_and_unknown_ids_are_not() {
        let (mut r, _) = router(1, 3, false);
        let now = Instant::now();
        let to_n3 = br#"{"src":"n0","dest":"n2","body":{"type":"gossip","msg_id":7}}"#;
        let Outcome::Forward(2, delivery) = r.line(0, 2, to_n3, now) else {
            panic!("forwarded to n2");
        };
        let mut out = Vec::new();
        delivery.write(to_n3, &mut out);
        // Re-serialized with the network's id, as Maelstrom delivers it.
        let text = String::from_utf8(out).expect("UTF-8");
        let rest = text.strip_prefix(r#"{"id":"#).expect("the id first");
        let (id, rest) = rest.split_once(',').expect("an id");
        assert!(id.parse::<u64>().is_ok(), "{text}");
        assert_eq!(
            rest,
            "\"src\":\"n0\",\"dest\":\"n2\",\"body\":{\"type\":\"gossip\",\"msg_id\":7}}\n"
        );
        let to_n9 = br#"{"src":"n0","dest":"n9","body":{"type":"gossip"}}"#;
        // Maelstrom's stdout-thread stops at it: no failure of itself, nor the end.
        assert_eq!(r.line(0, 3, to_n9, now), Outcome::StopReading);
        assert!(!r.faults.ended() && !r.faults.fail(true));
        let text = r
            .faults
            .shown(crate::fault::Kind::Undeliverable)
            .next()
            .map(|f| f.to_string());
        assert!(
            text.as_deref().is_some_and(
                |t| t.starts_with(r#"n0 stdout line 3: dest "n9" is no node or client"#)
            ),
            "{text:?}"
        );
    }

    #[test]
    fn the_timeout_runs_from_the_send_and_a_misdirected_reply_is_named() {
        let (mut r, mut outs) = router(2, 1, false);
        let due = Instant::now();
        // c1's first request, answered; then c2's first (msg_id 1) and c1's second (2).
        r.send(due, due, |n| &mut outs[n]);
        let first = format!(
            r#"{{"src":"n0","dest":"c1","body":{{"type":"echo_ok","echo":{},"in_reply_to":1}}}}"#,
            echo_of(&outs[0])
        );
        r.written(0, outs[0].len(), 0, due);
        assert!(matches!(
            r.line(0, 2, first.as_bytes(), due),
            Outcome::Answered { .. }
        ));
        outs[0].clear();
        r.send(due, due, |n| &mut outs[n]);
        r.send(due, due, |n| &mut outs[n]);
        let echo = echo_of(&outs[0]);
        let before = r.links[0].stdin.written;
        // Written 3 s after they were sent: the 3 s count against their timeout.
        let written = due + Duration::from_secs(3);
        r.written(0, outs[0].len(), 0, written);
        assert_eq!(r.links[0].stdin.written - before, outs[0].len() as u64);
        // c1's reply (to msg_id 2) sent to c2, which waits for msg_id 1.
        let reply = format!(
            r#"{{"src":"n0","dest":"c2","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":2}}}}"#
        );
        r.line(0, 3, reply.as_bytes(), written);
        assert_eq!(r.counts.misdirected, 1);
        r.expire(due + Duration::from_millis(4_900));
        assert_eq!(r.counts.timeouts, 0);
        r.expire(due + Duration::from_secs(5));
        assert_eq!(r.counts.timeouts, 2);
        let texts: Vec<String> = r
            .faults
            .shown(crate::fault::Kind::TimedOut)
            .map(|f| f.to_string())
            .collect();
        assert!(
            texts[0].contains("c1 msg_id 2 to n0")
                && texts[0].contains("(reply to c1's request sent to c2, n0 stdout line 3)"),
            "{texts:?}"
        );
        // n1 printed its last line 2 s before: not silent for the timeout.
        assert_eq!(r.faults.count(crate::fault::Kind::Silent), 0);
    }

    #[test]
    fn a_request_behind_a_stdin_that_takes_nothing_times_out_saying_so() {
        let (mut r, mut outs) = router(1, 1, false);
        let t = Instant::now();
        r.send(t, t, |n| &mut outs[n]);
        r.written(0, 0, outs[0].len(), t);
        r.written(0, 0, outs[0].len(), t + Duration::from_secs(4));
        r.expire(t + Duration::from_secs(5));
        assert!(!r.faults.ended(), "no fault of its own, as in Maelstrom");
        let text = r
            .faults
            .shown(crate::fault::Kind::TimedOut)
            .next()
            .map(|f| f.to_string());
        assert_eq!(
            text.as_deref(),
            Some(
                "c1 msg_id 1 to n0, sent at 0.000 s, timed out (never wholly written to n0's \
                 stdin, which had taken nothing for 5.0 s)"
            )
        );
    }

    #[test]
    fn msg_ids_must_not_repeat() {
        let mut ids = UniqueIds::default();
        for id in ["0", "1", "70000000", "18446744073709551616", "-3"] {
            assert!(ids.insert(id.as_bytes()), "{id}");
        }
        for id in ["0", "1", "70000000", "18446744073709551616", "-3"] {
            assert!(!ids.insert(id.as_bytes()), "{id} again");
        }
    }

    /// A reply to client `c2`'s first request, its parts each as given, in one of the
    /// layouts nodes print: 0 echo-node's;
    /// 1 serde_json's maps (keys sorted, the body first); 2 rustengan's (`msg_id` first,
    /// the echo last); 3 with whitespace after each `:` and `,`, Maelstrom's `id` and
    /// no `msg_id`.
    fn laid_out(
        layout: u8,
        src: &str,
        dest: &str,
        echo: &str,
        in_reply_to: &str,
        msg_id: &str,
        tail: &str,
    ) -> String {
        match layout {
            0 => format!(
                r#"{{"src":{src},"dest":{dest},"body":{{"type":"echo_ok","echo":{echo},"in_reply_to":{in_reply_to},"msg_id":{msg_id}}}}}{tail}"#
            ),
            1 => format!(
                r#"{{"body":{{"echo":{echo},"in_reply_to":{in_reply_to},"msg_id":{msg_id},"type":"echo_ok"}},"dest":{dest},"src":{src}}}{tail}"#
            ),
            2 => format!(
                r#"{{"src":{src},"dest":{dest},"body":{{"msg_id":{msg_id},"in_reply_to":{in_reply_to},"type":"echo_ok","echo":{echo}}}}}{tail}"#
            ),
            _ => format!(
                r#"{{"id": 3, "src": {src}, "dest": {dest}, "body": {{"type": "echo_ok", "echo": {echo}, "in_reply_to": {in_reply_to}}}}}{tail}"#
            ),
        }
    }

    #[test]
    fn a_right_reply_in_any_layout_is_known_in_one_pass() {
        for (strict, layout) in [false, true]
            .into_iter()
            .flat_map(|s| (0..4).map(move |l| (s, l)))
        {
            let (mut r, mut outs) = router(1, 2, strict);
            let now = Instant::now();
            assert_eq!(r.send(now, now, |n| &mut outs[n]), Some(0));
            let echo = echo_of(&outs[0]);
            r.written(0, outs[0].len(), 0, now);
            let line = laid_out(layout, r#""n1""#, r#""c2""#, &echo, "1", "7", "");
            let outcome = r.right_reply(1, 2, line.as_bytes(), now);
            assert!(matches!(outcome, Some(Outcome::Answered { .. })), "{line}");
            assert_eq!(r.counts.ok, 1);
            // From n1, where n0 was asked: only --strict fails it, as the full reading does.
            assert_eq!(r.faults.count(Kind::OtherNode), u64::from(strict));
            // The same line again: the client waits for nothing; the full reading decides.
            assert_eq!(r.right_reply(1, 3, line.as_bytes(), now), None);
        }
    }

    #[test]
    fn names_out_of_the_plain_order_are_compared_whole() {
        let names = vec!["n1".to_owned(), "n3".to_owned()];
        let payloads = Payloads::new(&PayloadKind::Maelstrom, 1);
        let mut r = Router::new(names, 1, payloads, 1, Duration::from_secs(5), false);
        let mut outs = [Vec::new(), Vec::new()];
        let now = Instant::now();
        assert_eq!(r.send(now, now, |n| &mut outs[n]), Some(0));
        let echo = echo_of(&outs[0]);
        r.written(0, outs[0].len(), 0, now);
        // `n2` would be the second node were the names n1, n2: here it names none.
        let line = laid_out(0, r#""n2""#, r#""c2""#, &echo, "1", "7", "");
        assert_eq!(r.right_reply(0, 2, line.as_bytes(), now), None);
        let line = laid_out(0, r#""n1""#, r#""c2""#, &echo, "1", "7", "");
        assert!(r.right_reply(0, 2, line.as_bytes(), now).is_some());
    }

    /// `right` four times in five, else one of `wrong`.
    fn mostly(
        right: &'static str,
        wrong: Vec<&'static str>,
    ) -> impl proptest::strategy::Strategy<Value = &'static str> {
        use proptest::prelude::*;
        prop_oneof![4 => Just(right), 1 => proptest::sample::select(wrong)]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Whatever line the fast reading takes, the full reading takes alike: the same
        /// outcome, counts and faults.
        #[test]
        fn the_fast_reading_takes_only_what_the_full_reading_takes_alike(
            strict in proptest::bool::ANY,
            src in mostly(r#""n0""#, vec![r#""n1""#, r#""n2""#, r#""n01""#, r#""\u006e0""#, r#""n0"#, r#""c2""#]),
            dest in mostly(r#""c2""#, vec![r#""c3""#, r#""c02""#, r#""c1""#, r#""\u00632""#, r#""n0""#, r#""c2\"""#]),
            echo in mostly("same", vec!["other", "escaped", "spaced", "truncated", "number"]),
            in_reply_to in mostly("1", vec!["2", "01", "1.0", "-1", "1e0", "18446744073709551617"]),
            msg_id in mostly("1", vec!["0", "01", "-1", "1.5", "99999999999999999999999", "\"1\"", "1 "]),
            tail in mostly("", vec![" ", "x", "}", "\u{e9}"]),
            repeat in proptest::bool::ANY,
            layout in 0u8..4,
            learnt in proptest::bool::ANY,
        ) {
            let (mut fast, mut outs) = router(2, 2, strict);
            let (mut full, mut outs_full) = router(2, 2, strict);
            let now = Instant::now();
            proptest::prop_assert_eq!(fast.send(now, now, |n| &mut outs[n]), Some(0));
            proptest::prop_assert_eq!(full.send(now, now, |n| &mut outs_full[n]), Some(0));
            fast.written(0, outs[0].len(), 0, now);
            full.written(0, outs_full[0].len(), 0, now);
            let sent = echo_of(&outs[0]);
            let inner = &sent[1..sent.len() - 1];
            let echo = match echo {
                "same" => sent.clone(),
                "other" => format!("\"{inner}x\""),
                "escaped" => format!("\"\\u0050{}\"", &inner[1..]),
                "spaced" => format!(" {sent}"),
                "truncated" => sent[..sent.len() - 1].to_owned(),
                _ => "12".to_owned(),
            };
            let line = laid_out(layout, src, dest, &echo, in_reply_to, msg_id, tail);
            if learnt {
                // The node's layout, learnt from an earlier right reply in it.
                let earlier = laid_out(layout, r#""n1""#, r#""c9""#, r#""x""#, "30", "40", "");
                let reply = quick::read(earlier.as_bytes(), |_| Some(&b"\"x\""[..]));
                proptest::prop_assert!(reply.is_some(), "{}", earlier);
                if let Some(reply) = reply {
                    fast.links[0].layout.learn(earlier.as_bytes(), &reply);
                }
            }
            if repeat {
                // A msg_id this node used before, for --strict's check.
                let earlier = r#"{"src":"n0","dest":"n1","body":{"type":"x","msg_id":1}}"#;
                fast.line(0, 2, earlier.as_bytes(), now);
                full.line(0, 2, earlier.as_bytes(), now);
            }
            if let Some(outcome) = fast.right_reply(0, 3, line.as_bytes(), now) {
                let answered = matches!(outcome, Outcome::Answered { .. });
                proptest::prop_assert_eq!(Some(outcome), Some(full.line(0, 3, line.as_bytes(), now)), "{}", line);
                proptest::prop_assert_eq!(fast.counts, full.counts);
                for kind in Kind::ALL {
                    proptest::prop_assert_eq!(fast.faults.count(kind), full.faults.count(kind), "{:?}: {}", kind, line);
                }
                // Only a right reply: its echo the payload (whitespace before it aside),
                // nothing but whitespace after the object.
                proptest::prop_assert!(answered, "{}", line);
                proptest::prop_assert!(echo.trim_start() == sent && tail.trim().is_empty(), "{}", line);
            } else {
                // The fast reading changed nothing.
                proptest::prop_assert_eq!(fast.counts, full.counts);
            }
        }
    }
}
