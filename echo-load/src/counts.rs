//! What the clients did, counted: the router keeps the counts, the report reads them.

/// Counts of what the clients did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests taken by a client (queued for a node).
    pub sent: u64,
    /// Requests answered correctly.
    pub ok: u64,
    /// Requests answered with an error.
    pub failed: u64,
    /// Requests answered with a wrong or malformed reply.
    pub wrong: u64,
    /// Of those, the malformed replies (no definite outcome: Maelstrom's client throws).
    pub malformed: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Messages skipped by the client they were addressed to.
    pub skipped: u64,
    /// Of those, second replies to requests already answered.
    pub duplicate: u64,
    /// Of those, replies to another client's request.
    pub misdirected: u64,
    /// Messages forwarded from one node to another.
    pub forwarded: u64,
    /// Of those, replies (with `in_reply_to`) from a node to a node.
    pub replies_to_nodes: u64,
    /// Requests still outstanding when the run was interrupted: neither answered nor
    /// timed out.
    pub abandoned: u64,
}
