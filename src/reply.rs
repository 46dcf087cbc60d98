//! Stage 3 of a message's path: append a reply, as one line of JSON, to the output buffer.
//!
//! Every reply has the same frame, filled in one place ([`Replier::reply`], like the
//! `Reply` helper of Maelstrom's Go demo node):
//!
//! ```text
//! {"src":SRC,"dest":DEST,"body":{"type":"TYPE"<fields>,"in_reply_to":M,"msg_id":K}}\n
//! ```
//!
//! `SRC`, `DEST` and `M` are copied from the request's own bytes (string tokens with
//! their quotes, the `msg_id` number token), so they need no escaping and keep every digit.
//! `K` is the node's own counter: 0 for the first reply, then one more for each reply.

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
    /// The `msg_id` the next reply gets.
    next_msg_id: u64,
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
        self.next_msg_id
    }

    /// Appends one reply line to `out`. `src` and `dest` must be JSON string tokens and
    /// `in_reply_to` a JSON integer token, as found in a parsed request; `body` is the
    /// body's opening up to its type's own fields (`,"body":{"type":"TYPE"`, made by
    /// `body!` so that it is one constant to copy), and `fields` appends those fields,
    /// each starting with `,`.
    #[inline(always)]
    pub fn reply(
        &mut self,
        out: &mut Vec<u8>,
        src: &[u8],
        dest: &[u8],
        in_reply_to: &[u8],
        body: &'static [u8],
        fields: impl FnOnce(&mut Vec<u8>),
    ) {
        out.extend_from_slice(b"{\"src\":");
        out.extend_from_slice(src);
        out.extend_from_slice(b",\"dest\":");
        out.extend_from_slice(dest);
        out.extend_from_slice(body);
        fields(out);
        out.extend_from_slice(b",\"in_reply_to\":");
        out.extend_from_slice(in_reply_to);
        out.extend_from_slice(b",\"msg_id\":");
        out.extend_from_slice(itoa::Buffer::new().format(self.next_msg_id).as_bytes());
        out.extend_from_slice(b"}}\n");
        self.next_msg_id += 1;
    }

    /// `init_ok`.
    pub fn init_ok(&mut self, out: &mut Vec<u8>, src: &[u8], dest: &[u8], in_reply_to: &[u8]) {
        self.reply(out, src, dest, in_reply_to, body!("init_ok"), |_| {});
    }

    /// `echo_ok` carrying `payload`, which must be one JSON value's bytes.
    pub fn echo_ok(
        &mut self,
        out: &mut Vec<u8>,
        src: &[u8],
        dest: &[u8],
        in_reply_to: &[u8],
        payload: &[u8],
    ) {
        // Room for the whole reply at once: a large payload then costs its size once in
        // the buffer, not up to twice through doubling (and is a no-op once warm).
        out.reserve(payload.len() + src.len() + dest.len() + in_reply_to.len() + 96);
        self.reply(
            out,
            src,
            dest,
            in_reply_to,
            body!("echo_ok", "echo"),
            |out| {
                out.extend_from_slice(payload);
            },
        );
    }

    /// An `error` reply with Maelstrom error `code`. Its text is `text`, then
    /// `detail`, which must be the inside of a JSON string token (its bytes between the
    /// quotes, escapes and all), so it can be placed inside a string as it is.
    #[allow(clippy::too_many_arguments)]
    pub fn error(
        &mut self,
        out: &mut Vec<u8>,
        src: &[u8],
        dest: &[u8],
        in_reply_to: &[u8],
        code: ErrorCode,
        text: &str,
        detail: &[u8],
    ) {
        self.reply(out, src, dest, in_reply_to, body!("error", "code"), |out| {
            out.extend_from_slice(itoa::Buffer::new().format(code as u16).as_bytes());
            out.extend_from_slice(b",\"text\":\"");
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(detail);
            out.push(b'"');
        });
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
        r.init_ok(&mut out, b"\"n1\"", b"\"c0\"", b"1");
        r.echo_ok(
            &mut out,
            b"\"n1\"",
            b"\"c1\"",
            b"2",
            br#"{"x":[1.0,"\u00e9"]}"#,
        );
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
        r.error(
            &mut out,
            b"\"n1\"",
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
}
