//! What each fault says: its line in the summary and in results.json.

use std::fmt;

use super::{Ending, Fault, Skip};
use crate::words::{bytes, plural};

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
    // One arm a kind of fault, each what the summary says of it: a match that reads
    // better whole than split (over 100 lines by design).
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
