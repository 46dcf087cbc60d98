//! The protocol: what the node does with each parsed message. One handler per request
//! type, as in Maelstrom's Go demo node.
//!
//! | request | reply |
//! |---|---|
//! | `init` with `node_id` and `node_ids` | `init_ok`; the id becomes the `src` of all replies |
//! | `init` lacking either | `error` 12 (malformed-request) |
//! | `echo` with `echo` | `echo_ok` carrying the payload's exact bytes |
//! | `echo` without `echo` | `error` 12 |
//! | any other `type` | `error` 10 (not-supported) |
//!
//! A message whose body has `in_reply_to` is a response, whatever its `type`: it is
//! reported on stderr and dropped, never answered (not even with an error), and it never
//! changes the node's state.
//!
//! Every reply needs the request's `msg_id` for its `in_reply_to`: a request without one
//! (or with one that is not an integer) is reported on stderr and gets no reply. Before
//! `init`, replies are sent from the request's `dest`.

use std::io::Write;

use crate::line_buffer::Line;
use crate::log::Log;
use echo_wire::Span;

use crate::message::{Message, MsgId, Parsed, Parser, RequestType};
use crate::reply::{ErrorCode, Replier};

/// What became of a line, for whoever counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    /// A blank line: ignored.
    Blank,
    /// Not a message (not JSON, not an object, no usable `src`/`dest`/`body`/`type`).
    Bad,
    /// A response (its body has `in_reply_to`): dropped, never answered.
    Response,
    /// A request with no integer `msg_id`: nothing to answer it with.
    Unanswered,
    /// A request answered with `init_ok` or `echo_ok`.
    Replied,
    /// A request answered with an `error`.
    ErrorReplied,
}

impl Handled {
    /// Whether a reply (of either kind) was made.
    pub fn replied(self) -> bool {
        matches!(self, Handled::Replied | Handled::ErrorReplied)
    }
}

/// A node's state: its identity, its reply counter, and its reusable parser.
#[derive(Debug, Default)]
pub struct Protocol {
    /// This node's id as a JSON string token (quotes included), from `init`; empty
    /// before `init`.
    id: Vec<u8>,
    /// The cluster's node ids, the JSON array token `init` carried; empty before `init`.
    ids: Vec<u8>,
    parser: Parser,
    replier: Replier,
}

impl Protocol {
    /// A node that has not seen `init` yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives back the memory a line far longer or denser than usual left its parser
    /// holding; true if there was any (see [`Parser::shrink`]).
    pub fn shrink(&mut self) -> bool {
        self.parser.shrink()
    }

    /// This node's id as a JSON string token, once `init` has set it.
    #[cfg(test)]
    pub fn id(&self) -> Option<&[u8]> {
        (!self.id.is_empty()).then_some(&self.id[..])
    }

    /// The node ids `init` listed, as a JSON array token, once `init` has set them.
    #[cfg(test)]
    pub fn ids(&self) -> Option<&[u8]> {
        (!self.ids.is_empty()).then_some(&self.ids[..])
    }

    /// Handles one input line, appending its reply (if any) to `out` and its diagnostic
    /// (if any) to `log`; says what became of it.
    pub fn handle<E: Write>(
        &mut self,
        mut line: Line<'_>,
        out: &mut Vec<u8>,
        log: &mut Log<E>,
    ) -> Handled {
        let bytes = line.bytes();
        // A message's first byte is `{` (asked first: it settles every message at once).
        if bytes.first() != Some(&b'{') && bytes.iter().all(|b| b" \t\r\n".contains(b)) {
            return Handled::Blank; // blank lines are allowed and ignored
        }
        let number = line.number;
        let backslash = line.has_backslash();
        let (padded, len) = line.padded_mut();
        let parsed = match self.parser.parse_known(padded, len, backslash) {
            Ok(Parsed::Echo(echo)) => {
                self.answer_as(echo.dest);
                self.replier.echo_ok(out, echo.src, echo.msg_id, echo.echo);
                return Handled::Replied;
            }
            Ok(Parsed::Message(message)) => Ok(message),
            Err(e) => Err(e),
        };
        let bytes = &padded[..len];
        let message = match parsed {
            Ok(message) => message,
            Err(e) => {
                log.line(number, e, bytes);
                return Handled::Bad;
            }
        };
        if message.response {
            // Answering a response, even with an error, would start two nodes bouncing
            // errors at each other; it never changes the node's state either.
            log.line(
                number,
                "a response (it has in_reply_to): never answered, dropped",
                bytes,
            );
            return Handled::Response;
        }
        let in_reply_to = match message.msg_id {
            MsgId::Integer(span) => span.of(bytes),
            MsgId::Absent | MsgId::NotInteger(_) => {
                if message.kind == RequestType::Init {
                    self.remember(&message, bytes);
                }
                let why = match message.msg_id {
                    MsgId::Absent => "no msg_id, so no reply",
                    _ => "msg_id is not an integer, so no reply",
                };
                log.line(number, why, bytes);
                return Handled::Unanswered;
            }
        };
        let request = Request {
            message: &message,
            bytes,
            in_reply_to,
        };
        let answered = match message.kind {
            RequestType::Init => self.init(&request, out),
            RequestType::Echo => self.echo(&request, out),
            RequestType::Other => self.unsupported(&request, out),
        };
        match answered {
            Answer::Ok => Handled::Replied,
            Answer::Error(text) => {
                log.line(number, text, bytes);
                Handled::ErrorReplied
            }
        }
    }

    /// `init`: remember who we are, say `init_ok`.
    fn init(&mut self, request: &Request<'_>, out: &mut Vec<u8>) -> Answer {
        if !self.remember(request.message, request.bytes) {
            return self.error(
                request,
                out,
                ErrorCode::MalformedRequest,
                "init needs node_id (a string) and node_ids (an array of strings)",
            );
        }
        let dest = request.message.src.of(request.bytes);
        self.replier.init_ok(out, dest, request.in_reply_to);
        Answer::Ok
    }

    /// `echo`: send the payload back, byte for byte.
    fn echo(&mut self, request: &Request<'_>, out: &mut Vec<u8>) -> Answer {
        let Some(payload) = request.message.echo else {
            return self.error(
                request,
                out,
                ErrorCode::MalformedRequest,
                "echo needs an echo field",
            );
        };
        let dest = self.endpoints(request);
        self.replier
            .echo_ok(out, dest, request.in_reply_to, payload.of(request.bytes));
        Answer::Ok
    }

    /// Any other type: not supported.
    fn unsupported(&mut self, request: &Request<'_>, out: &mut Vec<u8>) -> Answer {
        let dest = self.endpoints(request);
        let type_name = request.message.type_.inner().of(request.bytes);
        self.replier.error(
            out,
            dest,
            request.in_reply_to,
            ErrorCode::NotSupported,
            "unsupported message type: ",
            type_name,
        );
        Answer::Error("unsupported message type: answered with error 10")
    }

    /// Replies with an error; `text` is plain ASCII with nothing to escape.
    fn error(
        &mut self,
        request: &Request<'_>,
        out: &mut Vec<u8>,
        code: ErrorCode,
        text: &'static str,
    ) -> Answer {
        let dest = self.endpoints(request);
        self.replier
            .error(out, dest, request.in_reply_to, code, text, b"");
        Answer::Error(text)
    }

    /// Takes the node's identity from an `init`, if it carries one; true if it did.
    fn remember(&mut self, message: &Message, bytes: &[u8]) -> bool {
        let (Some(id), Some(ids)) = (message.node_id, message.node_ids) else {
            return false;
        };
        set(&mut self.id, id, bytes);
        set(&mut self.ids, ids, bytes);
        self.replier.set_src(&self.id);
        true
    }

    /// The reply's `dest` (the request's `src`), its `src` made ready as
    /// [`Protocol::answer_as`] does.
    fn endpoints<'a>(&mut self, request: &Request<'a>) -> &'a [u8] {
        let message = request.message;
        self.answer_as(message.dest.of(request.bytes));
        message.src.of(request.bytes)
    }

    /// Makes `request_dest`, the `dest` of the request about to be answered, the
    /// reply's `src` if `init` has not yet set this node's `id`, which is every reply's
    /// `src` once it has.
    #[inline(always)]
    fn answer_as(&mut self, request_dest: &[u8]) {
        if self.id.is_empty() {
            self.replier.set_src(request_dest);
        }
    }
}

/// Replaces `field` with the bytes `span` covers in `bytes`, reusing its capacity.
fn set(field: &mut Vec<u8>, span: Span, bytes: &[u8]) {
    field.clear();
    field.extend_from_slice(span.of(bytes));
}

/// A parsed request that can be answered.
struct Request<'a> {
    message: &'a Message,
    /// The line the message's spans point into.
    bytes: &'a [u8],
    /// The request's `msg_id` token.
    in_reply_to: &'a [u8],
}

/// What a handler sent.
enum Answer {
    /// The `_ok` reply.
    Ok,
    /// An error reply, with what to log.
    Error(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_buffer::{LineBuffer, Next};

    /// Feeds `input` through a line buffer and `node`; returns stdout and stderr.
    fn feed(node: &mut Protocol, input: &str) -> (String, String) {
        feed_handled(node, input).0
    }

    /// As [`feed`], and what became of each line.
    fn feed_handled(node: &mut Protocol, input: &str) -> ((String, String), Vec<Handled>) {
        let mut lines = LineBuffer::new(1 << 20);
        let mut source = input.as_bytes();
        let mut out = Vec::new();
        let mut log = Log::new(Vec::new(), false);
        let mut handled = Vec::new();
        loop {
            match lines.next_line() {
                Next::Line(line) => handled.push(node.handle(line, &mut out, &mut log)),
                Next::NeedInput => lines.fill(&mut source).expect("in-memory read"),
                Next::TooLong { .. } => panic!("no long lines here"),
                Next::End => break,
            }
        }
        log.flush();
        let err = String::from_utf8(log.sink().clone()).expect("ASCII diagnostics");
        let out = String::from_utf8(out).expect("UTF-8 replies");
        ((out, err), handled)
    }

    #[test]
    fn init_stores_the_identity_and_every_reply_uses_it() {
        let mut node = Protocol::new();
        assert_eq!(node.id(), None);
        let (out, err) = feed(
            &mut node,
            r#"{"src":"c0","dest":"n2","body":{"type":"init","node_id":"n2","node_ids":["n1","n2"],"msg_id":1}}
{"src":"c1","dest":"n2","body":{"type":"echo","echo":[1],"msg_id":2}}
"#,
        );
        assert_eq!(node.id(), Some(&br#""n2""#[..]));
        assert_eq!(node.ids(), Some(&br#"["n1","n2"]"#[..]));
        assert_eq!(
            out,
            "{\"src\":\"n2\",\"dest\":\"c0\",\"body\":{\"type\":\"init_ok\",\"in_reply_to\":1,\"msg_id\":0}}\n\
             {\"src\":\"n2\",\"dest\":\"c1\",\"body\":{\"type\":\"echo_ok\",\"echo\":[1],\"in_reply_to\":2,\"msg_id\":1}}\n"
        );
        assert_eq!(err, "");
    }

    #[test]
    fn before_init_replies_come_from_the_request_dest() {
        let mut node = Protocol::new();
        let (out, _) = feed(
            &mut node,
            r#"{"src":"c1","dest":"n9","body":{"type":"echo","echo":"x","msg_id":4}}"#,
        );
        assert!(out.starts_with(r#"{"src":"n9","dest":"c1","#), "{out}");
        assert_eq!(node.id(), None);
    }

    #[test]
    fn errors_and_unanswerable_requests_are_logged_with_their_line() {
        let mut node = Protocol::new();
        let ((out, err), handled) = feed_handled(
            &mut node,
            r#"{"src":"c1","dest":"n1","body":{"type":"txn","msg_id":1}}
{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2}}

{"src":"c1","dest":"n1","body":{"type":"echo","echo":1}}
{"src":"c0","dest":"n1","body":{"type":"init","node_id":"n5","node_ids":["n5"],"msg_id":"x"}}
"#,
        );
        assert_eq!(
            handled,
            [
                Handled::ErrorReplied,
                Handled::ErrorReplied,
                Handled::Blank,
                Handled::Unanswered,
                Handled::Unanswered,
            ]
        );
        let replies: Vec<&str> = out.lines().collect();
        assert_eq!(replies.len(), 2);
        assert!(replies[0].contains(r#""code":10,"text":"unsupported message type: txn""#));
        assert!(replies[1].contains(r#""code":12,"text":"echo needs an echo field""#));
        assert_eq!(err.lines().count(), 4, "{err}");
        assert!(err.contains("line 1: unsupported message type"));
        assert!(err.contains("line 2: echo needs an echo field"));
        assert!(err.contains("line 4: no msg_id, so no reply"));
        assert!(err.contains("line 5: msg_id is not an integer"));
        // An init that cannot be answered still sets the identity.
        assert_eq!(node.id(), Some(&br#""n5""#[..]));
    }
}
