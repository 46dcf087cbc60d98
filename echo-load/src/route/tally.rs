//! The router's record keeping: what the clients did, what went wrong, when the requests
//! that timed out were sent, the history of every operation (when one is kept) and the
//! network's journal.

use std::time::Instant;

use crate::counts::Counts;
use crate::fault::{Fault, Faults};
use crate::history::History;
use crate::journal::Journal;

/// How many timeouts are marked on the latency plot.
pub const MARKS: usize = 4_000;

/// What a run's requests and messages came to, as the router records it.
#[derive(Default)]
pub struct Tally {
    /// What the clients did.
    counts: Counts,
    /// What went wrong.
    faults: Faults,
    /// When (seconds into the load) each timed-out request was sent: the first
    /// [`MARKS`] of them, for the latency plot.
    timeout_marks: Vec<f64>,
    /// Every operation, under `--history`.
    history: Option<History>,
    /// Every message's count, and a window of them.
    journal: Journal,
    /// The first reply (a message with `in_reply_to`) a node sent to a node: its
    /// sender and its `dest`. Maelstrom delivers it; an echo node that sends one most
    /// often meant it for the request's `src`.
    reply_to_a_node: Option<(String, String)>,
}

impl Tally {
    /// What the clients did so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// What the clients did, to count one more thing they did.
    #[inline]
    pub fn count(&mut self) -> &mut Counts {
        &mut self.counts
    }

    /// What went wrong so far.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Something went wrong.
    pub fn fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// Node `from` sent a reply to node `to` (see [`Tally::reply_to_a_node`]): the
    /// first is kept.
    #[cold]
    pub fn reply_to_a_node(&mut self, from: &str, to: &str) {
        self.counts.replies_to_nodes += 1;
        if self.reply_to_a_node.is_none() {
            self.reply_to_a_node = Some((from.to_owned(), to.to_owned()));
        }
    }

    /// The first reply a node sent to a node: its sender and its `dest`.
    pub fn first_reply_to_a_node(&self) -> Option<(String, String)> {
        self.reply_to_a_node.clone()
    }

    /// A request sent `sent_at` seconds into the load timed out: marked on the latency
    /// plot, if it is among the first [`MARKS`].
    pub fn timed_out(&mut self, sent_at: f64) {
        if self.timeout_marks.len() < MARKS {
            self.timeout_marks.push(sent_at);
        }
    }

    /// A message was taken at `at` (see [`Journal::message`]).
    #[inline]
    pub fn message(&mut self, at: Instant, line: &[u8], client: bool, delivered: bool) {
        self.journal.message(at, line, client, delivered);
    }

    /// The journal, once the run is over.
    pub fn take_journal(&mut self) -> Journal {
        std::mem::take(&mut self.journal)
    }

    /// Records every operation into `history` from now on.
    pub fn keep_history(&mut self, history: History) {
        self.history = Some(history);
    }

    /// Whether a history is kept.
    #[inline]
    pub fn keeps_history(&self) -> bool {
        self.history.is_some()
    }

    /// The history, to record an operation in, if one is kept.
    #[inline]
    pub fn history(&mut self) -> Option<&mut History> {
        self.history.as_mut()
    }

    /// The history, to be finished, once the run is over.
    pub fn take_history(&mut self) -> Option<History> {
        self.history.take()
    }

    /// What the run's requests came to: the counts, the faults, and when each timed-out
    /// request (of the first [`MARKS`]) was sent, in seconds into the load.
    pub fn finish(self) -> (Counts, Faults, Vec<f64>) {
        (self.counts, self.faults, self.timeout_marks)
    }
}
