//! The fast path: a right reply in a layout the node used before, known by comparing
//! bytes.

use std::time::Instant;

use crate::fault::{At, Fault};
use crate::quick;

use super::{Outcome, Router};

impl Router {
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
            let slot = self.clients.waiting_client(dest)?;
            found.set(Some(slot));
            let waiting = self.clients[slot].waiting.as_ref()?;
            Some(self.clients.payload(waiting.payload))
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
        // From a node, by its name.
        self.names.index(reply.src)?;
        let slot = match found.get() {
            Some(slot) => slot,
            None => self.clients.waiting_client(reply.dest)?,
        };
        let waiting = self.clients[slot].waiting.as_ref()?;
        if waiting.msg_id != reply.in_reply_to
            || (!reply.echo_known
                && !quick::same(self.clients.payload(waiting.payload), reply.echo))
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
            self.tally.fault(Fault::RepeatedMsgId {
                at: At {
                    node: self.names.of(n).to_owned(),
                    line: number,
                },
                msg_id: String::from_utf8_lossy(msg_id).into_owned(),
            });
        }
        let waiting = self.take_waiting(n, number, slot)?;
        self.tally.message(now, line, true, true);
        Some(self.answered(n, slot, &waiting, line, echo, now))
    }
}
