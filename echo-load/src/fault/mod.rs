//! What can go wrong in a run, as typed values: each fault knows its kind, whether it
//! makes Maelstrom's verdict invalid or only `--strict`'s, whether it ends the run, and
//! how to say itself in one line.
//!
//! [`Faults`] collects them: every fault is counted by kind, and the first few of each
//! kind are kept to be shown.

use crate::words::{bytes, plural};
use std::fmt;

/// The first bytes of a line, for a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt(pub String);

impl Excerpt {
    /// At most `limit` bytes of `bytes`, lossily decoded, with "..." if cut.
    pub fn of(bytes: &[u8], limit: usize) -> Self {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(limit)]);
        let more = if bytes.len() > limit { "..." } else { "" };
        Excerpt(format!("{text}{more}"))
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A line of a node's stdout: `n1 stdout line 20`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At {
    /// The node that printed it.
    pub node: String,
    /// Its 1-based line number.
    pub line: u64,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} stdout line {}", self.node, self.line)
    }
}

/// Why a client skipped a message addressed to it (Maelstrom's client skips any message
/// whose `in_reply_to` is not the `msg_id` it waits for: client.clj, `recv!`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// A second reply to a request already answered.
    Duplicate {
        /// The `in_reply_to` it carried.
        in_reply_to: u64,
    },
    /// A reply to another client's outstanding request, sent to this one.
    Misdirected {
        /// The client whose request it answers.
        owner: String,
        /// The `in_reply_to` it carried.
        in_reply_to: u64,
    },
    /// Anything else: an `in_reply_to` the client never sent, or none.
    Unsolicited {
        /// The `in_reply_to` token it carried, if any.
        in_reply_to: Option<String>,
    },
}

/// How a node's stdout ended mid-run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// At a line end.
    Closed,
    /// With this many bytes of an unfinished line.
    MidLine(usize),
    /// A read or write error.
    Failed(String),
    /// It printed a line longer than echo-load reads ([`crate::receive::MAX_LINE`]).
    LineTooLong,
}

/// Something that went wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    // Where Maelstrom stops reading a node's stdout: no failure of itself (the verdict
    // follows from the requests), but every later line of that node is lost.
    /// A stdout line that is not a Maelstrom message (not JSON, not an object with string
    /// `src` and `dest`, at most an integer `id`). Maelstrom's stdout-thread stops
    /// reading the node at such a line (process.clj, `parse-msg` throws).
    Unreadable {
        /// The line.
        at: At,
        /// Why it is not one.
        why: String,
        /// The line's first bytes.
        text: Excerpt,
    },
    /// A message to or from an id that is no node, no client and no service (net.clj,
    /// `validate-msg` asserts; the stdout-thread stops at the error).
    Undeliverable {
        /// The line.
        at: At,
        /// `src` or `dest`.
        field: &'static str,
        /// The id it names.
        id: String,
        /// The line's first bytes.
        text: Excerpt,
    },
    /// A node whose stdout ended while the run went on (its process may run on).
    StdoutEnded {
        /// The node (`n1`).
        node: String,
        /// How its stdout ended.
        ending: Ending,
        /// When, in seconds since the load started (negative: before it).
        at: f64,
    },

    // Where Maelstrom would stop the test rather than give a verdict.
    /// A node not alive at the end of the run: Maelstrom's teardown throws (process.clj,
    /// `stop-node!`: "crashed with exit status").
    Exited {
        /// The node (`n1`).
        node: String,
        /// How it ended ("exited with status 0").
        status: String,
        /// When echo-load saw it, in seconds since the load started (negative: before).
        at: f64,
        /// Its last stderr lines.
        stderr: String,
    },
    /// A node that answered init with something other than init_ok.
    BadInit {
        /// The line.
        at: At,
        /// Why it is not one.
        why: String,
        /// The line's first bytes.
        text: Excerpt,
    },
    /// Nodes that did not answer init in time.
    NoInit {
        /// The nodes.
        nodes: Vec<String>,
        /// How long it had, in seconds.
        seconds: u64,
    },
    /// A node whose stdin took no bytes for the timeout while requests waited for it.
    StoppedReading {
        /// The node (`n1`).
        node: String,
        /// Requests not wholly written to it.
        unsent: usize,
        /// Bytes that waited for its stdin (requests, and messages from other nodes):
        /// more than [`crate::route::MAX_WAITING`].
        waiting: u64,
    },

    // Failed operations: Maelstrom's echo checker fails the run for each; the run goes on.
    /// An echo_ok whose echo is not the value sent (Clojure equality on Jackson's reading).
    WrongEcho {
        /// The line.
        at: At,
        /// The client (`c3`).
        client: String,
        /// The request's `msg_id`.
        msg_id: u64,
        /// What was sent.
        sent: Excerpt,
        /// What came back.
        got: Excerpt,
        /// The client whose outstanding request this echo answers, if one does.
        owner: Option<String>,
    },
    /// The reply to a request, not under the echo_ok schema.
    Malformed {
        /// The line.
        at: At,
        /// The client (`c3`).
        client: String,
        /// The request's `msg_id`.
        msg_id: u64,
        /// Why it is not one.
        why: String,
        /// The line's first bytes.
        text: Excerpt,
    },
    /// An error reply (client.clj, `throw-errors!`).
    ErrorReply {
        /// The line.
        at: At,
        /// The client (`c3`).
        client: String,
        /// The request's `msg_id`.
        msg_id: u64,
        /// The error's `code`.
        code: String,
        /// The error's `text`.
        text: String,
    },
    /// A request not answered within the timeout of its client sending it.
    TimedOut {
        /// The client (`c3`).
        client: String,
        /// The node (`n1`).
        node: String,
        /// The request's `msg_id`.
        msg_id: u64,
        /// Seconds from the start of the load to when it was written.
        sent_at: f64,
        /// What the client skipped while it waited, if anything says why.
        note: Option<String>,
    },
    /// A node that printed nothing for the timeout while requests waited on it.
    Silent {
        /// The node (`n1`).
        node: String,
        /// For how long, in seconds.
        seconds: f64,
        /// Requests waiting on it.
        outstanding: usize,
        /// The client of the oldest of them.
        oldest_client: String,
        /// Its `msg_id`.
        oldest_msg_id: u64,
        /// When it was written, in seconds from the start of the load.
        oldest_sent_at: f64,
    },

    // Stricter than Maelstrom: faults only under --strict.
    /// A node's `msg_id` used twice.
    RepeatedMsgId {
        /// The line.
        at: At,
        /// The `msg_id` token.
        msg_id: String,
    },
    /// A message a client skipped.
    Skipped {
        /// The line.
        at: At,
        /// The client (`c3`).
        client: String,
        /// Why.
        why: Skip,
    },
    /// A reply that came from another node than the one asked.
    OtherNode {
        /// The line.
        at: At,
        /// The client (`c3`).
        client: String,
        /// The node the client asked.
        asked: String,
    },
    /// A node that did not exit within the grace period of its stdin closing (Maelstrom
    /// kills its nodes at the end of a run without asking).
    Lingered {
        /// The node (`n1`).
        node: String,
        /// How long it had, in seconds.
        seconds: u64,
    },
    /// A node that exited with a failure status or a signal after its stdin closed.
    BadExit {
        /// The node (`n1`).
        node: String,
        /// How it ended.
        status: String,
    },
}

/// The kinds of fault, in the order the summary lists them (and [`Kind::ALL`] holds them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// [`Fault::Exited`].
    Exited,
    /// [`Fault::BadInit`].
    BadInit,
    /// [`Fault::NoInit`].
    NoInit,
    /// [`Fault::Unreadable`].
    Unreadable,
    /// [`Fault::Undeliverable`].
    Undeliverable,
    /// [`Fault::StdoutEnded`].
    StdoutEnded,
    /// [`Fault::StoppedReading`].
    StoppedReading,
    /// [`Fault::Silent`].
    Silent,
    /// [`Fault::WrongEcho`].
    WrongEcho,
    /// [`Fault::Malformed`].
    Malformed,
    /// [`Fault::ErrorReply`].
    ErrorReply,
    /// [`Fault::TimedOut`].
    TimedOut,
    /// [`Fault::RepeatedMsgId`].
    RepeatedMsgId,
    /// [`Fault::Skipped`].
    Skipped,
    /// [`Fault::OtherNode`].
    OtherNode,
    /// [`Fault::Lingered`].
    Lingered,
    /// [`Fault::BadExit`].
    BadExit,
}

/// What a kind of fault does to a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Maelstrom would stop the test at it, with no verdict (db.clj, setup's init and
    /// teardown).
    Aborts,
    /// Maelstrom stops reading the node's stdout at it: no failure of itself, but its
    /// later lines are lost (process.clj, the stdout-thread).
    StopsReading,
    /// It fails Maelstrom's verdict.
    Fails,
    /// Only `--strict` fails a run for it.
    StrictOnly,
}

/// A kind of fault described: its name in results.json, its name in the summary, and
/// its class.
struct About {
    kind: Kind,
    name: &'static str,
    label: &'static str,
    class: Class,
}

/// Every kind of fault, described: one row a kind, in [`Kind`]'s order.
const KINDS: [About; 17] = [
    About {
        kind: Kind::Exited,
        name: "node_exited",
        label: "node not alive at the end",
        class: Class::Aborts,
    },
    About {
        kind: Kind::BadInit,
        name: "bad_init_reply",
        label: "bad init reply",
        class: Class::Aborts,
    },
    About {
        kind: Kind::NoInit,
        name: "no_init_reply",
        label: "no init reply",
        class: Class::Aborts,
    },
    About {
        kind: Kind::Unreadable,
        name: "unreadable_line",
        label: "not a Maelstrom message",
        class: Class::StopsReading,
    },
    About {
        kind: Kind::Undeliverable,
        name: "undeliverable_message",
        label: "undeliverable message",
        class: Class::StopsReading,
    },
    About {
        kind: Kind::StdoutEnded,
        name: "stdout_ended",
        label: "stdout ended",
        class: Class::StopsReading,
    },
    About {
        kind: Kind::StoppedReading,
        name: "stopped_reading",
        label: "fell too far behind on its stdin",
        class: Class::Fails,
    },
    About {
        kind: Kind::Silent,
        name: "silent_node",
        label: "silent node",
        class: Class::Fails,
    },
    About {
        kind: Kind::WrongEcho,
        name: "wrong_echo",
        label: "wrong echo",
        class: Class::Fails,
    },
    About {
        kind: Kind::Malformed,
        name: "malformed_reply",
        label: "malformed reply",
        class: Class::Fails,
    },
    About {
        kind: Kind::ErrorReply,
        name: "error_reply",
        label: "error reply",
        class: Class::Fails,
    },
    About {
        kind: Kind::TimedOut,
        name: "timed_out",
        label: "timed out",
        class: Class::Fails,
    },
    About {
        kind: Kind::RepeatedMsgId,
        name: "repeated_msg_id",
        label: "repeated msg_id",
        class: Class::StrictOnly,
    },
    About {
        kind: Kind::Skipped,
        name: "skipped_message",
        label: "skipped message",
        class: Class::StrictOnly,
    },
    About {
        kind: Kind::OtherNode,
        name: "reply_from_other_node",
        label: "reply from another node than the one asked",
        class: Class::StrictOnly,
    },
    About {
        kind: Kind::Lingered,
        name: "did_not_exit",
        label: "did not exit",
        class: Class::StrictOnly,
    },
    About {
        kind: Kind::BadExit,
        name: "bad_exit",
        label: "failed exit",
        class: Class::StrictOnly,
    },
];

impl Kind {
    /// Every kind, in order.
    pub const ALL: [Kind; 17] = {
        let mut all = [Kind::Exited; 17];
        let mut i = 0;
        while i < KINDS.len() {
            all[i] = KINDS[i].kind;
            i += 1;
        }
        all
    };

    fn about(self) -> &'static About {
        &KINDS[self as usize]
    }

    /// Its name in results.json.
    pub fn name(self) -> &'static str {
        self.about().name
    }

    /// Its name in the summary.
    pub fn label(self) -> &'static str {
        self.about().label
    }

    /// What it does to a run.
    pub fn class(self) -> Class {
        self.about().class
    }

    /// Maelstrom stops reading the node's stdout at it (see [`Class::StopsReading`]).
    pub fn stops_reading(self) -> bool {
        self.class() == Class::StopsReading
    }

    /// Maelstrom would stop the test at it (see [`Class::Aborts`]).
    pub fn aborts(self) -> bool {
        self.class() == Class::Aborts
    }

    /// Only `--strict` fails a run for it.
    pub fn strict_only(self) -> bool {
        self.class() == Class::StrictOnly
    }
}

impl Fault {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Fault::Unreadable { .. } => Kind::Unreadable,
            Fault::Undeliverable { .. } => Kind::Undeliverable,
            Fault::StdoutEnded { .. } => Kind::StdoutEnded,
            Fault::Exited { .. } => Kind::Exited,
            Fault::BadInit { .. } => Kind::BadInit,
            Fault::NoInit { .. } => Kind::NoInit,
            Fault::StoppedReading { .. } => Kind::StoppedReading,
            Fault::WrongEcho { .. } => Kind::WrongEcho,
            Fault::Malformed { .. } => Kind::Malformed,
            Fault::ErrorReply { .. } => Kind::ErrorReply,
            Fault::TimedOut { .. } => Kind::TimedOut,
            Fault::Silent { .. } => Kind::Silent,
            Fault::RepeatedMsgId { .. } => Kind::RepeatedMsgId,
            Fault::Skipped { .. } => Kind::Skipped,
            Fault::OtherNode { .. } => Kind::OtherNode,
            Fault::Lingered { .. } => Kind::Lingered,
            Fault::BadExit { .. } => Kind::BadExit,
        }
    }

    /// The node it is about, if one (the one named first).
    pub fn node(&self) -> Option<&str> {
        match self {
            Fault::Unreadable { at, .. }
            | Fault::Undeliverable { at, .. }
            | Fault::BadInit { at, .. }
            | Fault::WrongEcho { at, .. }
            | Fault::Malformed { at, .. }
            | Fault::ErrorReply { at, .. }
            | Fault::RepeatedMsgId { at, .. }
            | Fault::Skipped { at, .. }
            | Fault::OtherNode { at, .. } => Some(&at.node),
            Fault::StdoutEnded { node, .. }
            | Fault::Exited { node, .. }
            | Fault::StoppedReading { node, .. }
            | Fault::TimedOut { node, .. }
            | Fault::Silent { node, .. }
            | Fault::Lingered { node, .. }
            | Fault::BadExit { node, .. } => Some(node),
            Fault::NoInit { nodes, .. } => nodes.first().map(String::as_str),
        }
    }

    /// Whether the run stops at it: Maelstrom would stop the test, or echo-load cannot
    /// go on (a node 64 MiB behind on its stdin).
    pub fn ends_run(&self) -> bool {
        self.kind().aborts() || self.kind() == Kind::StoppedReading
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Duplicate { in_reply_to } => {
                write!(f, "a second reply to msg_id {in_reply_to}")
            }
            Skip::Misdirected { owner, in_reply_to } => {
                write!(f, "the reply to {owner}'s request (msg_id {in_reply_to})")
            }
            Skip::Unsolicited {
                in_reply_to: Some(id),
            } => {
                write!(f, "in_reply_to {id}, which it has no request for")
            }
            Skip::Unsolicited { in_reply_to: None } => f.write_str("a message with no in_reply_to"),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Unreadable { at, why, text } => {
                write!(f, "{at}: not a Maelstrom message: {why}: {text}")
            }
            Fault::Undeliverable {
                at,
                field,
                id,
                text,
            } => write!(
                f,
                "{at}: {field} {id:?} is no node or client in the network: {text}"
            ),
            Fault::StdoutEnded { node, ending, at } => {
                let what = match ending {
                    Ending::Closed => "its stdout closed".to_owned(),
                    Ending::MidLine(bytes) => {
                        format!("its stdout closed in the middle of a line ({bytes} bytes)")
                    }
                    Ending::Failed(e) => format!("its stdout failed ({e})"),
                    Ending::LineTooLong => format!(
                        "it printed a stdout line longer than {} MiB, more than echo-load \
                         reads (Maelstrom's reader stops strings at 20 million characters)",
                        crate::receive::MAX_LINE >> 20
                    ),
                };
                write!(f, "{node}: {what} at {at:.3} s")
            }
            Fault::Exited {
                node,
                status,
                at,
                stderr,
            } => {
                write!(f, "{node} {status} at {at:.3} s, before the run ended")?;
                if !stderr.is_empty() {
                    write!(f, "; its last stderr:\n{stderr}")?;
                }
                Ok(())
            }
            Fault::BadInit { at, why, text } => {
                write!(f, "{at}: not an init_ok to init: {why}: {text}")
            }
            Fault::NoInit { nodes, seconds } => write!(
                f,
                "{} did not answer init with init_ok within {seconds} s",
                nodes.join(", ")
            ),
            Fault::StoppedReading {
                node,
                unsent,
                waiting,
            } => write!(
                f,
                "{node} read its stdin far slower than messages came for it: {} waited, the \
                 most echo-load holds for one node; {} unsent",
                bytes(*waiting),
                plural(*unsent as u64, "request", "requests")
            ),
            Fault::WrongEcho {
                at,
                client,
                msg_id,
                owner: Some(owner),
                ..
            } => write!(
                f,
                "{at}: reply to {owner}'s request sent to {client} (whose msg_id {msg_id} it matched)"
            ),
            Fault::WrongEcho {
                at,
                client,
                msg_id,
                sent,
                got,
                owner: None,
            } => write!(
                f,
                "{at}: echo differs from what {client} sent in msg_id {msg_id}: sent {sent}, got {got}"
            ),
            Fault::Malformed {
                at,
                client,
                msg_id,
                why,
                text,
            } => write!(
                f,
                "{at}: reply to {client} msg_id {msg_id} is malformed: {why}: {text}"
            ),
            Fault::ErrorReply {
                at,
                client,
                msg_id,
                code,
                text,
            } => write!(
                f,
                "{at}: {client} msg_id {msg_id} answered with error {code}: {text:?}"
            ),
            Fault::TimedOut {
                client,
                node,
                msg_id,
                sent_at,
                note,
            } => {
                write!(
                    f,
                    "{client} msg_id {msg_id} to {node}, sent at {sent_at:.3} s, timed out"
                )?;
                if let Some(note) = note {
                    write!(f, " ({note})")?;
                }
                Ok(())
            }
            Fault::Silent {
                node,
                seconds,
                outstanding,
                oldest_client,
                oldest_msg_id,
                oldest_sent_at,
            } => write!(
                f,
                "{node} answered nothing for {seconds:.1} s; {} outstanding, oldest {oldest_client} msg_id {oldest_msg_id} sent at {oldest_sent_at:.3} s",
                plural(*outstanding as u64, "request", "requests")
            ),
            Fault::RepeatedMsgId { at, msg_id } => {
                write!(f, "{at}: msg_id {msg_id} used twice by {}", at.node)
            }
            Fault::Skipped { at, client, why } => {
                write!(f, "{at}: {client} skipped {why}")
            }
            Fault::OtherNode { at, client, asked } => write!(
                f,
                "{at}: reply to {client}, which asked {asked}, came from {}",
                at.node
            ),
            Fault::Lingered { node, seconds } => write!(
                f,
                "{node} did not exit within {seconds} s of its stdin closing; killed"
            ),
            Fault::BadExit { node, status } => {
                write!(f, "{node} {status} after its stdin closed")
            }
        }
    }
}

/// How many faults of each kind are kept to be shown.
pub const SHOWN: usize = 3;

/// The faults of a run: counted by kind, the first [`SHOWN`] of each kept.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    counts: [u64; Kind::ALL.len()],
    kept: Vec<Fault>,
    ended: bool,
}

impl Faults {
    /// Records `fault`.
    pub fn push(&mut self, fault: Fault) {
        let kind = fault.kind();
        self.counts[kind as usize] += 1;
        self.ended |= fault.ends_run();
        if self.counts[kind as usize] <= SHOWN as u64 {
            self.kept.push(fault);
        }
    }

    /// How many of `kind` there were.
    pub fn count(&self, kind: Kind) -> u64 {
        self.counts[kind as usize]
    }

    /// A fault that ends the run was recorded.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Whether any fault fails the run: Maelstrom's faults always, strict ones under
    /// `strict` (not where Maelstrom only stops reading a node: its lost lines fail the
    /// requests they answer).
    pub fn fail(&self, strict: bool) -> bool {
        Kind::ALL
            .iter()
            .any(|k| self.count(*k) > 0 && !k.stops_reading() && (strict || !k.strict_only()))
    }

    /// A fault at which Maelstrom would stop the test was recorded: the first.
    pub fn aborted(&self) -> Option<&Fault> {
        self.kept.iter().find(|f| f.kind().aborts())
    }

    /// The kept faults of `kind`, in the order they came.
    pub fn shown(&self, kind: Kind) -> impl Iterator<Item = &Fault> {
        self.kept.iter().filter(move |f| f.kind() == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> At {
        At {
            node: "n1".into(),
            line: 7,
        }
    }

    #[test]
    fn faults_are_counted_by_kind_and_the_first_few_kept() {
        let mut faults = Faults::default();
        for msg_id in 1..=5 {
            faults.push(Fault::TimedOut {
                client: "c1".into(),
                node: "n1".into(),
                msg_id,
                sent_at: 0.5,
                note: None,
            });
        }
        faults.push(Fault::RepeatedMsgId {
            at: at(),
            msg_id: "3".into(),
        });
        assert_eq!(faults.count(Kind::TimedOut), 5);
        assert_eq!(faults.shown(Kind::TimedOut).count(), SHOWN);
        assert!(!faults.ended());
        assert!(faults.fail(false));
        let mut strict_only = Faults::default();
        strict_only.push(Fault::RepeatedMsgId {
            at: at(),
            msg_id: "3".into(),
        });
        assert!(!strict_only.fail(false) && strict_only.fail(true));
        strict_only.push(Fault::NoInit {
            nodes: vec!["n1".into()],
            seconds: 10,
        });
        assert!(strict_only.ended());
    }

    #[test]
    fn faults_say_what_happened() {
        let cases = [
            (
                Fault::Skipped {
                    at: at(),
                    client: "c1".into(),
                    why: Skip::Misdirected {
                        owner: "c6".into(),
                        in_reply_to: 4,
                    },
                },
                "n1 stdout line 7: c1 skipped the reply to c6's request (msg_id 4)",
            ),
            (
                Fault::StoppedReading {
                    node: "n2".into(),
                    unsent: 0,
                    waiting: 64 << 20,
                },
                "n2 read its stdin far slower than messages came for it: 64.0 MiB waited, \
                 the most echo-load holds for one node; 0 requests unsent",
            ),
            (
                Fault::Silent {
                    node: "n2".into(),
                    seconds: 5.0,
                    outstanding: 10,
                    oldest_client: "c2".into(),
                    oldest_msg_id: 41,
                    oldest_sent_at: 0.25,
                },
                "n2 answered nothing for 5.0 s; 10 requests outstanding, oldest c2 msg_id 41 sent at 0.250 s",
            ),
        ];
        for (fault, text) in cases {
            assert_eq!(fault.to_string(), text);
        }
    }

    #[test]
    fn the_table_describes_each_kind_in_its_place() {
        for (i, about) in super::KINDS.iter().enumerate() {
            assert_eq!(about.kind as usize, i, "{:?}", about.kind);
        }
        let mut names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len(), "one name a kind");
    }
}
