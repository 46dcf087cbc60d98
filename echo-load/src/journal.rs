//! The network's journal, as Maelstrom keeps one (net/journal.clj): how many messages
//! were sent and received, to and from clients and between servers (results.edn's
//! `:net`), and a window of the messages themselves for `messages.svg`.
//!
//! echo-load is the network: a message is sent when echo-load takes it (a request or an
//! init it writes, a line a node prints, a service's reply) and received when echo-load
//! hands it to its destination (a node's stdin, the client it answers, a service). A
//! line addressed to no one is sent and never received. The window is the run's first
//! [`WINDOW`] messages and, when [`Journal::keep_last`] asks, its last [`WINDOW`]: the
//! first cost one branch a message once full; the last a copy of each message into a
//! ring of reused buffers.

use std::collections::VecDeque;
use std::time::Instant;

/// How many messages each end of the window holds.
pub const WINDOW: usize = 1_000;

/// Messages sent and received, and how many messages there were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages sent.
    pub sends: u64,
    /// Messages received.
    pub recvs: u64,
}

/// One message of the window: when echo-load took it, and its line (without the `\n`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When it was taken.
    pub at: Instant,
    /// The message, as the line that carried it.
    pub line: Vec<u8>,
    /// Whether it reached its destination.
    pub delivered: bool,
}

/// The counts and the window.
#[derive(Debug, Default)]
pub struct Journal {
    /// Messages to or from a client (Maelstrom's `involves-client?`).
    clients: Traffic,
    /// Messages between nodes and services.
    servers: Traffic,
    /// The first [`WINDOW`] messages; always a prefix of the run's.
    first: Vec<Entry>,
    /// The last [`WINDOW`] messages after `first`, oldest first, when kept.
    last: VecDeque<Entry>,
    /// Whether `last` is kept.
    keep_last: bool,
    /// Messages in neither `first` nor `last`.
    skipped: u64,
}

impl Journal {
    /// Keeps the run's last messages too (a copy of each).
    pub fn keep_last(&mut self) {
        self.keep_last = true;
    }

    /// A message was taken at `at`: `line` (a `\n` at its end is not kept), to or from a
    /// client or not, and `delivered` to its destination or not.
    pub fn message(&mut self, at: Instant, line: &[u8], client: bool, delivered: bool) {
        let traffic = if client {
            &mut self.clients
        } else {
            &mut self.servers
        };
        traffic.sends += 1;
        traffic.recvs += u64::from(delivered);
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if self.first.len() < WINDOW {
            self.first.push(Entry {
                at,
                line: line.to_vec(),
                delivered,
            });
            return;
        }
        if !self.keep_last {
            self.skipped += 1;
            return;
        }
        // The ring's oldest buffer is reused for the newest message.
        let mut entry = if self.last.len() == WINDOW {
            self.skipped += 1;
            self.last.pop_front().unwrap_or_else(|| Entry {
                at,
                line: Vec::new(),
                delivered,
            })
        } else {
            Entry {
                at,
                line: Vec::with_capacity(line.len()),
                delivered,
            }
        };
        entry.at = at;
        entry.delivered = delivered;
        entry.line.clear();
        entry.line.extend_from_slice(line);
        self.last.push_back(entry);
    }

    /// Traffic to and from clients.
    pub fn clients(&self) -> Traffic {
        self.clients
    }

    /// Traffic between servers (nodes and services).
    pub fn servers(&self) -> Traffic {
        self.servers
    }

    /// The window: its first part, how many messages were not kept between the two, and
    /// its last part.
    pub fn window(&self) -> (&[Entry], u64, impl Iterator<Item = &Entry>) {
        (&self.first, self.skipped, self.last.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_message_and_keeps_both_ends_of_the_window() {
        let mut journal = Journal::default();
        journal.keep_last();
        let now = Instant::now();
        let total = 2 * WINDOW + 500;
        for i in 0..total {
            let line = format!("{{\"i\":{i}}}\n");
            journal.message(now, line.as_bytes(), i % 2 == 0, i % 3 != 0);
        }
        let sent = journal.clients().sends + journal.servers().sends;
        assert_eq!(sent, total as u64);
        let received = journal.clients().recvs + journal.servers().recvs;
        assert_eq!(received, (0..total).filter(|i| i % 3 != 0).count() as u64);
        let (first, skipped, last) = journal.window();
        let last: Vec<&Entry> = last.collect();
        assert_eq!(first.len(), WINDOW);
        assert_eq!(last.len(), WINDOW);
        assert_eq!(skipped, 500);
        assert_eq!(first[0].line, b"{\"i\":0}");
        assert_eq!(
            last[0].line,
            format!("{{\"i\":{}}}", WINDOW + 500).as_bytes()
        );
        assert_eq!(
            last[WINDOW - 1].line,
            format!("{{\"i\":{}}}", total - 1).as_bytes()
        );
    }

    #[test]
    fn without_the_last_part_the_rest_is_only_counted() {
        let mut journal = Journal::default();
        let now = Instant::now();
        for _ in 0..WINDOW + 7 {
            journal.message(now, b"{}", false, true);
        }
        let (first, skipped, last) = journal.window();
        assert_eq!((first.len(), skipped, last.count()), (WINDOW, 7, 0));
        assert_eq!(journal.servers().recvs, (WINDOW + 7) as u64);
    }
}
