//! What to fix first, for a run that is not valid: each kind of mistake its faults show,
//! said once, in the node's terms, with what to change. It explains Maelstrom's verdict
//! and adds no rule: a valid run has none. Shown first in the summary, in `results.json`
//! (`diagnosis`) and first on the run's page.

use super::report::Report;
use crate::fault::{Ending, Fault, Kind};
use crate::words::plural;

/// What to change in a node that does not end its lines.
pub(crate) const END_EACH_LINE: &str =
    "Maelstrom reads a message when its line ends, so end each with a line end (\\n) and flush";

/// Why a node answers only once its input ends, and what to change.
pub(crate) const HELD_UNTIL_INPUT_ENDS: &str = "its output waits in a buffer (flush after \
    each message: Python `print(..., flush=True)`, Go `bufio.Writer.Flush`, C \
    `fflush(stdout)`), or it reads all of its input before answering (read and answer a \
    line at a time: Python `for line in sys.stdin`, not `readlines()`)";

/// The kinds of fault said, in the order their causes come: what stops Maelstrom
/// reading a node, then what stops the test, then failed requests.
const ORDER: [Kind; 12] = [
    Kind::Unreadable,
    Kind::Undeliverable,
    Kind::StdoutEnded,
    Kind::Exited,
    Kind::BadInit,
    Kind::NoInit,
    Kind::StoppedReading,
    Kind::Malformed,
    Kind::WrongEcho,
    Kind::ErrorReply,
    Kind::Silent,
    Kind::TimedOut,
];

impl Report {
    /// What to fix, a line each, the most telling first, and, when nothing was
    /// answered, the command that checks the node step by step; empty when the run is
    /// valid.
    pub(crate) fn diagnosis(&self) -> Vec<String> {
        let mut said = self.mistakes();
        if self.counts.ok == 0 && !said.is_empty() {
            let args = match &self.config.node_args[..] {
                [] => String::new(),
                args => format!(" -- {}", shell_words::join(args)),
            };
            said.push(format!(
                "`echo-load doctor --bin {}{args}` checks the node step by step: its start, \
                 the course's sample with each reply beside the one expected, then short runs",
                shell_words::quote(&self.config.bin.to_string_lossy())
            ));
        }
        said
    }

    /// What to fix, a line each, the most telling first; empty when the run is valid.
    pub(crate) fn mistakes(&self) -> Vec<String> {
        if self.valid() && self.faults.aborted().is_none() {
            return Vec::new();
        }
        let mut said = Vec::new();
        if let Some((from, to)) = &self.reply_to_a_node {
            let whom = if from == to { "itself" } else { "another node" };
            said.push(format!(
                "{from} sent a reply (a message with in_reply_to) to {to}, {whom}: a reply \
                 goes back to the request's src, the client that asked, and Maelstrom \
                 delivers this one to {to}"
            ));
        }
        for (node, bytes) in &self.unended {
            said.push(format!(
                "{node} printed {} that no line end followed: {END_EACH_LINE}",
                plural(*bytes as u64, "byte", "bytes")
            ));
        }
        if self.counts.ok == 0 {
            for (node, bytes) in &self.printed_after_input {
                said.push(format!(
                    "{node} answered nothing during the run, and printed {} once its stdin \
                     was closed at the end: {HELD_UNTIL_INPUT_ENDS}",
                    plural(*bytes, "byte", "bytes")
                ));
            }
        }
        for kind in ORDER {
            if let Some(fault) = self.faults.shown(kind).next()
                && let Some(line) = self.advice(fault)
                && !said.contains(&line)
            {
                said.push(line);
            }
        }
        said
    }

    /// What `fault` says to change, if it says anything more than the fault itself.
    /// One arm a kind of fault, read whole like the faults' own text (`fault/text.rs`).
    fn advice(&self, fault: &Fault) -> Option<String> {
        let line = match fault {
            Fault::Exited {
                node,
                status,
                stderr,
                ..
            } => {
                // A file that cannot be run (a Windows `\r` in its `#!` line, say) is
                // started by a shell or env that then ends: the file says why.
                if let Err(why) = crate::program::check(&self.config.bin) {
                    return Some(why);
                }
                let why = stderr
                    .lines()
                    .rev()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map_or(String::new(), |l| format!("; its stderr ends `{l}`"));
                format!(
                    "{node} {status} during the run{why}: a node runs until its stdin ends \
                     (Maelstrom stops a test whose node is not alive at its end)"
                )
            }
            Fault::NoInit { nodes, seconds } => {
                // Before any request, a skipped message was sent to an init's client.
                let skipped = if self.counts.skipped > 0 && self.counts.sent == 0 {
                    " (a message it sent init's client answered no init: its in_reply_to \
                     was missing or another msg_id)"
                } else {
                    ""
                };
                format!(
                    "{} did not answer init within {seconds} s{skipped}: a node answers init \
                     at once with {{\"type\":\"init_ok\",\"in_reply_to\":<init's msg_id>}} \
                     sent to init's src, on a line of its own, flushed",
                    nodes.join(", ")
                )
            }
            Fault::BadInit { at, why, .. } => format!(
                "{}'s answer to init is not an init_ok ({why}): the answer is \
                 {{\"type\":\"init_ok\",\"in_reply_to\":<init's msg_id>}}",
                at.node
            ),
            Fault::Unreadable { at, text, why } => {
                if text.0.trim_start().starts_with('{') {
                    format!(
                        "{} printed a line that is not a Maelstrom message ({why}), and \
                         Maelstrom reads nothing of {} after it",
                        at.node, at.node
                    )
                } else {
                    format!(
                        "{} printed `{text}` on stdout, and Maelstrom reads every stdout line \
                         as a message, stopping at one that is not: write logs to stderr",
                        at.node
                    )
                }
            }
            Fault::Undeliverable { at, field, id, .. } => format!(
                "{} sent a message whose {field} is \"{id}\", which is no node and no client: \
                 a reply goes to the request's src, from the node's own id (init's node_id)",
                at.node
            ),
            Fault::StdoutEnded { node, ending, .. } => match ending {
                Ending::MidLine(bytes) => format!(
                    "{node}'s stdout ended after {} with no line end: end each message with a \
                     line end (\\n)",
                    plural(*bytes as u64, "byte", "bytes")
                ),
                _ if self.faults.count(Kind::Exited) > 0 => return None,
                _ => format!("{node} closed its stdout while it ran: nothing of it was read after"),
            },
            Fault::StoppedReading { node, .. } => format!(
                "{node} stopped reading its stdin while requests waited: read each message as \
                 it comes, and answer it before reading on"
            ),
            Fault::WrongEcho { at, .. } => format!(
                "{} sent back an echo other than the request's: echo_ok carries the request's \
                 echo back as it came",
                at.node
            ),
            Fault::Malformed { at, why, .. } => format!(
                "{}'s reply to an echo is not Maelstrom's echo_ok ({why}): it holds type \
                 \"echo_ok\", echo, in_reply_to and, if any, an integer msg_id, no other key",
                at.node
            ),
            Fault::ErrorReply { at, code, .. } => format!(
                "{} answered echo with an error (code {code}): it answers echo with echo_ok",
                at.node
            ),
            Fault::TimedOut {
                node,
                note: Some(note),
                ..
            } if note.contains("skipped") => format!(
                "{node}'s reply answered no request ({note}): a reply's in_reply_to is the \
                 msg_id of the request it answers, and it goes to the client that sent it"
            ),
            Fault::TimedOut { node, .. } | Fault::Silent { node, .. } => {
                if self.counts.ok > 0 {
                    format!(
                        "{node} left {} unanswered within the timeout: it answered others, so \
                         look for replies lost or held up under load (writes from several \
                         threads at once, output not flushed after each line)",
                        plural(self.counts.timeouts, "request", "requests")
                    )
                } else {
                    format!(
                        "{node} answered no echo within the timeout: it answers each echo with \
                         an echo_ok to the request's src, in_reply_to its msg_id, on a line of \
                         its own, flushed"
                    )
                }
            }
            _ => return None,
        };
        Some(line)
    }
}
