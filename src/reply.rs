//! Stage 3 of a message's path: append a reply, as one line of JSON, to the output buffer.
//!
//! Every reply has the same frame, filled in one place (the `reply!` macro, like the
//! `Reply` helper of Maelstrom's Go demo node):
//!
//! ```text
//! {"src":SRC,"dest":DEST,"body":{"type":"TYPE"<fields>,"in_reply_to":M,"msg_id":K}}\n
//! ```
//!
//! `SRC`, `DEST` and `M` are copied from the request's own bytes (string tokens with
//! their quotes, the `msg_id` number token), so they need no escaping and keep every digit.
//! `K` is the node's own counter: 0 for the first reply, then one more for each reply.
//! `{"src":SRC,"dest":` is made once for each `SRC` ([`Replier::set_src`]), and the end
//! from `,"msg_id":` on is kept as the bytes it is ([`Tail`]), so that a reply is a few
//! parts copied end to end (`reply/line.rs`).

mod line;

use line::append;

/// Appends one reply line to `out` (a `&mut Vec<u8>`) from `replier` (a `&mut
/// Replier`), from the `src` it last set: `dest` must be a JSON string token and
/// `in_reply_to` a JSON integer token, as found in a parsed request; `body` is the body's
/// opening up to its type's own fields (`,"body":{"type":"TYPE"`, made by `body!` so that
/// it is one constant to copy), and the `fields` that follow are those fields' bytes,
/// end to end, starting with `,`.
macro_rules! reply {
    ($replier:expr, $out:expr, $dest:expr, $in_reply_to:expr, $body:expr $(, $field:expr)* $(,)?) => {{
        let replier: &mut Replier = $replier;
        const IN_REPLY_TO: &[u8] = b",\"in_reply_to\":";
        let (head, tail) = (&replier.head[..], replier.tail.bytes());
        let (dest, in_reply_to): (&[u8], &[u8]) = ($dest, $in_reply_to);
        let body: &[u8] = $body;
        let len = head.len()
            + dest.len()
            + body.len()
            $(+ $field.len())*
            + IN_REPLY_TO.len()
            + in_reply_to.len()
            + tail.len();
        append($out, len, |line| {
            line.put(head);
            line.put(dest);
            line.put(body);
            $(line.put($field);)*
            line.put(IN_REPLY_TO);
            line.put(in_reply_to);
            line.put(tail);
        });
        replier.tail.increment();
    }};
}

/// The opening of a reply's body as one constant: `,"body":{"type":"TYPE"`, and with a
/// second argument, the key of the type's first field and its colon (`,"echo":`).
macro_rules! body {
    ($type:literal) => {
        concat!(",\"body\":{\"type\":\"", $type, "\"").as_bytes()
    };
    ($type:literal, $field:literal) => {
        concat!(",\"body\":{\"type\":\"", $type, "\",\"", $field, "\":").as_bytes()
    };
}

/// Builds replies and numbers them.
#[derive(Debug, Default)]
pub struct Replier {
    /// Every reply's opening, `{"src":SRC,"dest":`, for the `src` last set by
    /// [`Replier::set_src`]; empty until then.
    head: Vec<u8>,
    /// Every reply's ending, with the `msg_id` the next reply gets.
    tail: Tail,
}

impl Replier {
    /// A replier whose first reply has `msg_id` 0.
    #[cfg(test)]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many replies have been built.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        std::str::from_utf8(self.tail.digits())
            .ok()
            .and_then(|digits| digits.parse().ok())
            .unwrap_or(u64::MAX)
    }

    /// Makes `src`, a JSON string token, the `src` of every reply from now on.
    pub fn set_src(&mut self, src: &[u8]) {
        self.head.clear();
        self.head.extend_from_slice(b"{\"src\":");
        self.head.extend_from_slice(src);
        self.head.extend_from_slice(b",\"dest\":");
    }

    /// `init_ok`.
    pub fn init_ok(&mut self, out: &mut Vec<u8>, dest: &[u8], in_reply_to: &[u8]) {
        reply!(self, out, dest, in_reply_to, body!("init_ok"));
    }

    /// `echo_ok` carrying `payload`, which must be one JSON value's bytes.
    pub fn echo_ok(&mut self, out: &mut Vec<u8>, dest: &[u8], in_reply_to: &[u8], payload: &[u8]) {
        reply!(
            self,
            out,
            dest,
            in_reply_to,
            body!("echo_ok", "echo"),
            payload
        );
    }

    /// An `error` reply with Maelstrom error `code`. Its text is `text`, then
    /// `detail`, which must be the inside of a JSON string token (its bytes between the
    /// quotes, escapes and all), so it can be placed inside a string as it is.
    pub fn error(
        &mut self,
        out: &mut Vec<u8>,
        dest: &[u8],
        in_reply_to: &[u8],
        code: ErrorCode,
        text: &str,
        detail: &[u8],
    ) {
        let mut code_digits = itoa::Buffer::new();
        reply!(
            self,
            out,
            dest,
            in_reply_to,
            body!("error", "code"),
            code_digits.format(code as u16).as_bytes(),
            b",\"text\":\"",
            text.as_bytes(),
            detail,
            b"\"",
        );
    }
}

/// The end of every reply, `,"msg_id":K}}\n`, with `K` the `msg_id` the next reply
/// gets, kept as the decimal digits it carries: numbering a reply is one copy and, nine
/// times in ten, one byte added to.
#[derive(Debug)]
struct Tail {
    /// The ending, right-aligned: it is `text[first..]`, and every byte before `first`
    /// is unused.
    text: [u8; TAIL_ROOM],
    /// Where the ending starts: `first + KEY.len() < TAIL_ROOM - END.len()`, and the
    /// digits between the two do not start with `0` unless `0` is the only one.
    first: usize,
}

/// The bytes before the count.
const KEY: &[u8] = b",\"msg_id\":";
/// The bytes after it.
const END: &[u8] = b"}}\n";
/// Room for the ending with a count of 27 digits, more than a node numbering a billion
/// replies a second would reach in a billion years.
const TAIL_ROOM: usize = 40;

impl Default for Tail {
    fn default() -> Self {
        let mut text = [0; TAIL_ROOM];
        let first = TAIL_ROOM - END.len() - 1 - KEY.len();
        text[first..first + KEY.len()].copy_from_slice(KEY);
        text[TAIL_ROOM - END.len() - 1] = b'0';
        text[TAIL_ROOM - END.len()..].copy_from_slice(END);
        Self { text, first }
    }
}

impl Tail {
    /// The ending's bytes.
    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        &self.text[self.first..]
    }

    /// The count's digits.
    #[cfg(test)]
    fn digits(&self) -> &[u8] {
        &self.text[self.first + KEY.len()..TAIL_ROOM - END.len()]
    }

    /// Adds one to the count; at 27 nines it stays there.
    #[inline(always)]
    fn increment(&mut self) {
        let digits = self.first + KEY.len()..TAIL_ROOM - END.len();
        if self.first == 0 && self.text[digits.clone()].iter().all(|&d| d == b'9') {
            return;
        }
        for i in digits.rev() {
            let digit = &mut self.text[i];
            if *digit != b'9' {
                *digit += 1;
                return;
            }
            *digit = b'0';
        }
        // Every digit was a 9 and is now a 0: the key moves one place to the left and a
        // 1 goes where its end was. `first` is above 0, as 27 nines returned above.
        self.first -= 1;
        self.text
            .copy_within(self.first + 1..self.first + 1 + KEY.len(), self.first);
        self.text[self.first + KEY.len()] = b'1';
    }
}

/// The Maelstrom error codes this node sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum ErrorCode {
    /// The request's type is not one this node supports.
    NotSupported = 10,
    /// The request lacks a field its type needs.
    MalformedRequest = 12,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).expect("reply is JSON")
    }

    #[test]
    fn frames_and_numbers_replies() {
        let mut out = Vec::new();
        let mut r = Replier::new();
        r.set_src(b"\"n1\"");
        r.init_ok(&mut out, b"\"c0\"", b"1");
        r.echo_ok(&mut out, b"\"c1\"", b"2", br#"{"x":[1.0,"\u00e9"]}"#);
        let text = std::str::from_utf8(&out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                r#"{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1,"msg_id":0}}"#,
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":{"x":[1.0,"\u00e9"]},"in_reply_to":2,"msg_id":1}}"#,
            ]
        );
        assert!(text.ends_with('\n'));
        assert_eq!(r.count(), 2);
    }

    #[test]
    fn error_reply_is_valid_json_with_escaped_detail() {
        let mut out = Vec::new();
        let mut r = Replier::new();
        r.set_src(b"\"n1\"");
        r.error(
            &mut out,
            b"\"c\\\"3\"",
            b"18446744073709551616",
            ErrorCode::NotSupported,
            "unsupported message type: ",
            br#"b\"a\u0000d"#,
        );
        let v = json(out.strip_suffix(b"\n").expect("newline"));
        assert_eq!(v["dest"], "c\"3");
        assert_eq!(v["body"]["code"], 10);
        assert_eq!(v["body"]["text"], "unsupported message type: b\"a\u{0}d");
        assert_eq!(v["body"]["in_reply_to"].to_string(), "18446744073709551616");
        assert_eq!(v["body"]["msg_id"], 0);
    }

    #[test]
    fn the_count_carries_into_a_new_digit_and_stops_at_the_last_one() {
        let mut tail = Tail::default();
        for n in 0..=10_000u32 {
            let expected = format!(",\"msg_id\":{n}}}}}\n");
            assert_eq!(tail.bytes(), expected.as_bytes());
            tail.increment();
        }
        let nines = |digits: usize| {
            let mut tail = Tail {
                first: TAIL_ROOM - END.len() - digits - KEY.len(),
                ..Tail::default()
            };
            tail.text[tail.first..tail.first + KEY.len()].copy_from_slice(KEY);
            tail.text[tail.first + KEY.len()..TAIL_ROOM - END.len()].fill(b'9');
            tail
        };
        let mut tail = nines(26);
        tail.increment();
        let expected = format!(",\"msg_id\":1{}}}}}\n", "0".repeat(26));
        assert_eq!(tail.bytes(), expected.as_bytes());
        let mut tail = nines(27);
        tail.increment();
        assert_eq!(tail.bytes(), nines(27).bytes());
    }
}
