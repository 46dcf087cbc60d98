//! The clients: which are idle, which number names which, each one's request
//! outstanding and what came early for it, and the payloads they send.

use std::collections::VecDeque;
use std::ops::{Index, IndexMut};
use std::time::Instant;

use crate::check::same_value;
use crate::send::{Payloads, Rng};

use super::names::{Names, head, n_index};

/// A client number that no longer names a client: it was closed and replaced.
const CLOSED: usize = usize::MAX;

/// The workload's clients, by index (`clients[c]`): an index names the same place for
/// the whole run, and a client replaced after a timeout takes its predecessor's place.
pub(super) struct Clients {
    /// The clients, the first numbered after the nodes' init clients.
    all: Vec<Client>,
    /// Clients with no request outstanding, in the order they became idle. Invariant: it
    /// holds each client whose `waiting` is `None` once, and no other, so the requests
    /// outstanding are `all.len() - idle.len()`.
    idle: VecDeque<usize>,
    /// For each workload client number from `first` on: the client it is, or [`CLOSED`]
    /// once it was replaced. Invariant: an open number's client has that number.
    slots: Vec<usize>,
    /// The first workload client's number: the init clients' (one a node) come before
    /// it. The next new client's is `first + slots.len()`.
    first: u64,
    /// What the requests carry, and the draw of each request's payload.
    payloads: Payloads,
    rng: Rng,
}

impl Clients {
    /// `count` clients spread over the nodes of `names` (client k sends to node k mod
    /// N), numbered after the nodes' init clients, sending `payloads` drawn by `seed`.
    pub(super) fn new(names: &Names, count: usize, payloads: Payloads, seed: u64) -> Self {
        // Maelstrom's client ids count from c0: one init client a node, then the
        // workload's clients (client.clj, `open!`; db.clj, setup).
        let first = names.count() as u64;
        Clients {
            all: (0..count)
                .map(|k| {
                    let (number, node) = (first + k as u64, k % names.count());
                    let name = format!("c{number}");
                    Client {
                        head: head(&name, names.of(node)),
                        name,
                        number,
                        node,
                        next_msg_id: 1,
                        waiting: None,
                        early: VecDeque::new(),
                    }
                })
                .collect(),
            idle: (0..count).collect(),
            slots: (0..count).collect(),
            first,
            payloads,
            rng: Rng::new(seed),
        }
    }

    /// How many clients there are.
    pub(super) fn len(&self) -> usize {
        self.all.len()
    }

    /// The clients, by index.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Client> + Clone {
        self.all.iter()
    }

    /// The clients, by index, to change.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.all.iter_mut()
    }

    /// A client is idle.
    pub(super) fn any_idle(&self) -> bool {
        !self.idle.is_empty()
    }

    /// Requests outstanding.
    pub(super) fn in_flight(&self) -> usize {
        self.all.len() - self.idle.len()
    }

    /// The next idle client sends a request, due at `due`, at `now`: its index, the
    /// request's `msg_id` and its payload's index; `None` when no client is idle.
    pub(super) fn send(&mut self, due: Instant, now: Instant) -> Option<(usize, u64, usize)> {
        let client = self.idle.pop_front()?;
        let payload = (self.rng.next_u64() % self.payloads.len() as u64) as usize;
        let c = &mut self.all[client];
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
        Some((client, msg_id, payload))
    }

    /// Client `c`'s request, which it waits for no more: it is idle again. `None` if it
    /// waited for nothing.
    #[inline]
    pub(super) fn take_waiting(&mut self, c: usize) -> Option<Waiting> {
        let waiting = self.all[c].waiting.take()?;
        self.idle.push_back(c);
        Some(waiting)
    }

    /// Payload `k`'s JSON text.
    #[inline]
    pub(super) fn payload(&self, k: usize) -> &[u8] {
        self.payloads.get(k)
    }

    /// The open client named `name` (as its bytes, `c12`), if it is one (an init client
    /// is not). A client's name is `c` and its number, and [`Clients::slots`] maps each open number to its
    /// client: so digits with no leading zero that find an open slot are its name.
    #[inline]
    pub(super) fn waiting_client(&self, name: &[u8]) -> Option<usize> {
        let number = n_index(name, b'c')?;
        let slot = *self.slots.get(number.checked_sub(self.first as usize)?)?;
        debug_assert!(slot == CLOSED || self.all[slot].name.as_bytes() == name);
        (slot != CLOSED).then_some(slot)
    }

    /// Client `c` is closed and a new one, with the next number and `msg_id`s from 1
    /// again, takes its place, sending to the same node (of `names`).
    pub(super) fn replace(&mut self, c: usize, names: &Names) {
        let client = &mut self.all[c];
        if let Some(slot) = self.slots.get_mut((client.number - self.first) as usize) {
            *slot = CLOSED;
        }
        client.number = self.first + self.slots.len() as u64;
        client.name = format!("c{}", client.number);
        client.head = head(&client.name, names.of(client.node));
        client.next_msg_id = 1;
        self.slots.push(c);
    }

    /// Another client than `c` waiting for `msg_id` with a payload equal to `echo`: the
    /// one a reply sent to `c` was meant for.
    pub(super) fn owner_of(&self, c: usize, msg_id: u64, echo: Option<&[u8]>) -> Option<usize> {
        let echo = echo?;
        self.all.iter().enumerate().position(|(k, o)| {
            k != c
                && o.waiting.as_ref().is_some_and(|w| {
                    w.msg_id == msg_id && same_value(self.payloads.get(w.payload), echo)
                })
        })
    }
}

impl Index<usize> for Clients {
    type Output = Client;

    #[inline]
    fn index(&self, c: usize) -> &Client {
        &self.all[c]
    }
}

impl IndexMut<usize> for Clients {
    #[inline]
    fn index_mut(&mut self, c: usize) -> &mut Client {
        &mut self.all[c]
    }
}

/// A logical client: synchronous, one request outstanding at a time, as Maelstrom's.
#[derive(Debug)]
pub struct Client {
    /// Maelstrom's client id: `c` and its number.
    pub name: String,
    /// Its number: the init clients have the first ones (`c0` for the first node, ...), the
    /// workload's clients the next, and a client that replaces one a new one.
    pub(super) number: u64,
    /// Index of the node it sends to.
    pub node: usize,
    /// What each of its requests starts with after the network's id: always
    /// [`echo_wire::frame::echo_head`] of its name and its node's.
    pub(super) head: Vec<u8>,
    /// Its next `msg_id` (Maelstrom's clients count from 1).
    pub(super) next_msg_id: u64,
    /// Its outstanding request, if any.
    pub(super) waiting: Option<Waiting>,
    /// Messages that came for it while it waited for nothing, naming a `msg_id` it has
    /// not sent yet, in the order they came: in Maelstrom they wait in its queue, and
    /// when it next waits it skips each until the first that answers (client.clj,
    /// `recv!`). At most [`EARLY`]; empty (no allocation) in a run without them.
    pub(super) early: VecDeque<Early>,
}

impl Client {
    /// Keeps a message for a later request, from node `n`'s line `number`, if the client
    /// waits for nothing and the message's `in_reply_to`, `id`, names a `msg_id` it will
    /// send: it waits in the client's queue for then (client.clj, `recv!`; net.clj,
    /// `recv!`), up to [`EARLY`] of them. False: it was not kept.
    pub(super) fn keep_early(
        &mut self,
        id: Option<u64>,
        n: usize,
        number: u64,
        line: &[u8],
    ) -> bool {
        let Some(id) = id else {
            return false;
        };
        if self.waiting.is_some() || id < self.next_msg_id || self.early.len() >= EARLY {
            return false;
        }
        self.early.push_back(Early {
            node: n,
            number,
            in_reply_to: id,
            line: line.to_vec(),
        });
        true
    }
}

/// The most messages a client keeps for requests it has not sent yet; past them, a
/// message for it is skipped at once (as it most likely would be: it would take a
/// reply for each of its next [`EARLY`] requests in order to use them).
pub const EARLY: usize = 64;

/// A message kept for a client's later request: where it came from, and the line.
#[derive(Debug)]
pub(super) struct Early {
    pub(super) node: usize,
    pub(super) number: u64,
    pub(super) in_reply_to: u64,
    pub(super) line: Vec<u8>,
}

/// A client's outstanding request.
#[derive(Clone, Debug)]
pub(super) struct Waiting {
    pub(super) msg_id: u64,
    /// Index of its payload.
    pub(super) payload: usize,
    /// When it fell due: latency counts from here.
    pub(super) due: Instant,
    /// When its client sent it, handing it to the network: its timeout counts from here,
    /// however long it then waits to be written into the node's stdin (Maelstrom's
    /// client: `send!`, then `recv!` with the deadline).
    pub(super) sent: Instant,
    /// When its last byte was written to the node's stdin.
    pub(super) written: Option<Instant>,
    /// What the client skipped while it waited, to say why it timed out.
    pub(super) note: Option<String>,
}
