//! The clients: each one's request outstanding, and what came early for it.

use std::collections::VecDeque;
use std::time::Instant;

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
