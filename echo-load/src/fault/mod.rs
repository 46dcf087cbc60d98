//! What can go wrong in a run, as typed values: each fault knows its kind, whether it
//! makes Maelstrom's verdict invalid or only `--strict`'s, whether it ends the run, and
//! how to say itself in one line.
//!
//! [`Faults`] collects them: every fault is counted by kind, and the first few of each
//! kind are kept to be shown.

use std::fmt;

mod text;

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
    /// It printed a line longer than echo-load reads (`MAX_LINE`).
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
        /// more than `MAX_WAITING`.
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

/// Writes the kinds of fault from their table (the `kinds!` rows below): [`Kind`],
/// [`Kind::ALL`], each kind's name, label and class, and [`Fault::kind`].
macro_rules! kinds {
    ($($variant:ident, $name:literal, $label:literal, $class:ident;)*) => {
        /// The kinds of fault, in the order the summary lists them (and [`Kind::ALL`]
        /// holds them): one a [`Fault`] variant, of the same name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Kind {
            $(
                #[doc = concat!("[`Fault::", stringify!($variant), "`].")]
                $variant,
            )*
        }

        impl Kind {
            /// Every kind, in order.
            pub const ALL: [Kind; [$(Kind::$variant),*].len()] = [$(Kind::$variant),*];

            /// Its name in results.json.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$variant => $name,)*
                }
            }

            /// Its name in the summary.
            pub fn label(self) -> &'static str {
                match self {
                    $(Kind::$variant => $label,)*
                }
            }

            /// What it does to a run.
            pub fn class(self) -> Class {
                match self {
                    $(Kind::$variant => Class::$class,)*
                }
            }
        }

        impl Fault {
            /// Its kind.
            pub fn kind(&self) -> Kind {
                match self {
                    $(Fault::$variant { .. } => Kind::$variant,)*
                }
            }
        }
    };
}

// Every kind of fault, one row a kind, in the order the summary lists them: its variant
// (of `Fault` and `Kind` alike), its name in results.json, its label in the summary, and
// its class. A new kind is a `Fault` variant and a row here, then the matches the
// compiler points at (`Fault::node`, the messages).
kinds! {
    Exited, "node_exited", "node not alive at the end", Aborts;
    BadInit, "bad_init_reply", "bad init reply", Aborts;
    NoInit, "no_init_reply", "no init reply", Aborts;
    Unreadable, "unreadable_line", "not a Maelstrom message", StopsReading;
    Undeliverable, "undeliverable_message", "undeliverable message", StopsReading;
    StdoutEnded, "stdout_ended", "stdout ended", StopsReading;
    StoppedReading, "stopped_reading", "fell too far behind on its stdin", Fails;
    Silent, "silent_node", "silent node", Fails;
    WrongEcho, "wrong_echo", "wrong echo", Fails;
    Malformed, "malformed_reply", "malformed reply", Fails;
    ErrorReply, "error_reply", "error reply", Fails;
    TimedOut, "timed_out", "timed out", Fails;
    RepeatedMsgId, "repeated_msg_id", "repeated msg_id", StrictOnly;
    Skipped, "skipped_message", "skipped message", StrictOnly;
    OtherNode, "reply_from_other_node", "reply from another node than the one asked", StrictOnly;
    Lingered, "did_not_exit", "did not exit", StrictOnly;
    BadExit, "bad_exit", "failed exit", StrictOnly;
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

impl Kind {
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

/// How many faults of each kind are kept to be shown.
pub const SHOWN: usize = 3;

/// The faults of a run: counted by kind, the first `SHOWN` of each kept.
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
mod tests;
