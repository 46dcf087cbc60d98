//! The network's journal, as Maelstrom keeps one (net/journal.clj): how many messages
//! were sent and received, to and from clients and between servers (results.edn's
//! `:net`), and the run's first messages themselves, for `messages.svg`.
//!
//! echo-load is the network: a message is sent when echo-load takes it (a request or an
//! init it writes, a line a node prints, a service's reply) and received when echo-load
//! hands it to its destination (a node's stdin, the client it answers, a service). A
//! line addressed to no one is sent and never received. The window is the run's first
//! [`WINDOW`] messages (a copy of each); once it is full, a message costs two counts
//! and a branch.

use std::time::Instant;

/// How many messages the window holds.
pub const WINDOW: usize = 2_000;

/// Messages sent and received.
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
}

impl Journal {
    /// A message was taken at `at`: `line` (a `\n` at its end is not kept), to or from a
    /// client or not, and `delivered` to its destination or not.
    #[inline]
    pub fn message(&mut self, at: Instant, line: &[u8], client: bool, delivered: bool) {
        let traffic = if client {
            &mut self.clients
        } else {
            &mut self.servers
        };
        traffic.sends += 1;
        traffic.recvs += u64::from(delivered);
        if self.first.len() < WINDOW {
            self.keep(at, line, delivered);
        }
    }

    /// Keeps a message of the window: a copy of its line.
    #[cold]
    #[inline(never)]
    fn keep(&mut self, at: Instant, line: &[u8], delivered: bool) {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        self.first.push(Entry {
            at,
            line: line.to_vec(),
            delivered,
        });
    }

    /// Traffic to and from clients.
    pub fn clients(&self) -> Traffic {
        self.clients
    }

    /// Traffic between servers (nodes and services).
    pub fn servers(&self) -> Traffic {
        self.servers
    }

    /// The window, and how many messages came after it.
    pub fn window(&self) -> (&[Entry], u64) {
        let all = self.clients.sends + self.servers.sends;
        (&self.first, all - self.first.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_message_and_keeps_the_first() {
        let mut journal = Journal::default();
        let now = Instant::now();
        let total = WINDOW + 500;
        for i in 0..total {
            let line = format!("{{\"i\":{i}}}\n");
            journal.message(now, line.as_bytes(), i % 2 == 0, i % 3 != 0);
        }
        let sent = journal.clients().sends + journal.servers().sends;
        assert_eq!(sent, total as u64);
        assert_eq!(journal.clients().sends, total.div_ceil(2) as u64);
        let received = journal.clients().recvs + journal.servers().recvs;
        assert_eq!(received, (0..total).filter(|i| i % 3 != 0).count() as u64);
        let (first, after) = journal.window();
        assert_eq!((first.len(), after), (WINDOW, 500));
        assert_eq!(first[0].line, b"{\"i\":0}");
        assert!(!first[0].delivered && first[1].delivered);
        assert_eq!(
            first[WINDOW - 1].line,
            format!("{{\"i\":{}}}", WINDOW - 1).as_bytes()
        );
    }
}
