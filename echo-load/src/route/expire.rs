//! Time: requests that time out, a node gone silent, a client replaced after a timeout,
//! and what is left when the run ends.

use std::time::Instant;

use crate::fault::Fault;
use crate::history::Completion;

use super::Router;
use super::clients::Waiting;

impl Router {
    /// The requests timed out since the last call: when each fell due, and when it was
    /// given up.
    pub fn take_given_up(&mut self) -> Vec<(Instant, Instant)> {
        std::mem::take(&mut self.given_up)
    }

    /// Times out every request still outstanding when the run ends.
    pub fn expire_all(&mut self, now: Instant) {
        for c in self.clients.iter_mut() {
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
            if let Some(w) = self.clients.take_waiting(c) {
                self.tally.count().abandoned += 1;
                let (n, error) = (self.clients[c].node, "interrupted");
                self.completed(now, c, n, w.msg_id, Completion::Info { error });
            }
        }
    }

    /// Client `c`'s request ended with no definite outcome: as Jepsen does, its client
    /// is closed and a new one, with a new id, takes its place (the old id names no one
    /// any more: a late reply to it is undeliverable, as in Maelstrom's network).
    pub(super) fn replace(&mut self, c: usize) {
        self.skip_early(c);
        self.clients.replace(c, &self.names);
    }

    /// Times out every request written more than the timeout ago; a node that printed
    /// nothing in that time is reported as silent (once).
    pub fn expire(&mut self, now: Instant) {
        self.expire_at(now, false);
    }

    /// [`Router::expire`], or with `all`, every request that has a time it was sent.
    pub(super) fn expire_at(&mut self, now: Instant, all: bool) {
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
            let Some(mut w) = self.clients.take_waiting(c) else {
                continue;
            };
            let sent = w.sent;
            if w.note.is_none() && self.links[n].lost > 0 {
                w.note = Some(format!(
                    "{} printed on, but Maelstrom reads no more of its stdout (see above)",
                    self.names.of(n)
                ));
            }
            if w.written.is_none() {
                // It waited in front of the node's stdin all along: say why.
                let name = self.names.of(n);
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
            self.tally.timed_out(sent_at);
            self.tally.fault(Fault::TimedOut {
                client: self.clients[c].name.clone(),
                node: self.names.of(n).to_owned(),
                msg_id: w.msg_id,
                sent_at,
                note: w.note,
            });
            self.tally.count().timeouts += 1;
            let how = Completion::Info { error: "timeout" };
            self.completed(now, c, n, w.msg_id, how);
            self.replace(c);
        }
    }

    /// Reports node `n` as silent: what waits on it, and the oldest.
    pub(super) fn report_silent(&mut self, n: usize, now: Instant) {
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
            node: self.names.of(n).to_owned(),
            seconds: (now - self.links[n].last_line).as_secs_f64(),
            outstanding,
            oldest_client: oldest.name.clone(),
            oldest_msg_id: oldest.waiting.as_ref().map_or(0, |w| w.msg_id),
            oldest_sent_at: sent.saturating_duration_since(self.start).as_secs_f64(),
        };
        self.tally.fault(fault);
    }
}
