//! Maelstrom's message frame, byte for byte as Maelstrom writes it (Cheshire's key order,
//! Maelstrom's own top-level `id`):
//!
//! ```text
//! {"id":0,"src":"c0","dest":"n1","body":{"type":"init","node_id":"n1","node_ids":["n1"],"msg_id":1}}
//! {"id":7,"src":"c2","dest":"n1","body":{"echo":"Please echo 35","type":"echo","msg_id":3}}
//! ```
//!
//! Names (`c2`, `n1`) are written without escaping: Maelstrom's are plain ASCII.

/// The JSON array of node names (`["n1","n2"]`) every init carries, made once.
pub fn node_ids<S: AsRef<str>>(all: &[S]) -> Vec<u8> {
    let mut ids = Vec::with_capacity(all.iter().map(|n| n.as_ref().len() + 3).sum::<usize>() + 2);
    ids.push(b'[');
    for (i, name) in all.iter().enumerate() {
        if i > 0 {
            ids.push(b',');
        }
        ids.push(b'"');
        ids.extend_from_slice(name.as_ref().as_bytes());
        ids.push(b'"');
    }
    ids.push(b']');
    ids
}

/// Appends the `init` Maelstrom sends `node` from `client` (a client of its own for each
/// node, `c0` for the first), with `msg_id` 1, listing `node_ids` (made by [`node_ids`]),
/// and its line end.
pub fn init(out: &mut Vec<u8>, id: u64, client: &str, node: &str, node_ids: &[u8]) {
    out.extend_from_slice(b"{\"id\":");
    decimal(out, id);
    out.extend_from_slice(b",\"src\":\"");
    out.extend_from_slice(client.as_bytes());
    out.extend_from_slice(b"\",\"dest\":\"");
    out.extend_from_slice(node.as_bytes());
    out.extend_from_slice(b"\",\"body\":{\"type\":\"init\",\"node_id\":\"");
    out.extend_from_slice(node.as_bytes());
    out.extend_from_slice(b"\",\"node_ids\":");
    out.extend_from_slice(node_ids);
    out.extend_from_slice(b",\"msg_id\":1}}\n");
}

/// Appends an `echo` request from `client` to `node` carrying `payload` (a JSON text),
/// and its line end.
pub fn echo_request(
    out: &mut Vec<u8>,
    id: u64,
    client: &[u8],
    node: &[u8],
    payload: &[u8],
    msg_id: u64,
) {
    out.extend_from_slice(b"{\"id\":");
    decimal(out, id);
    echo_head(out, client, node);
    echo_tail(out, payload, msg_id);
}

/// Appends the part of every `echo` request from `client` to `node` that is the same in
/// each (from `src` to the echo's key), for [`headed_echo_request`]: a driver makes it
/// once a client.
pub fn echo_head(out: &mut Vec<u8>, client: &[u8], node: &[u8]) {
    out.extend_from_slice(b",\"src\":\"");
    out.extend_from_slice(client);
    out.extend_from_slice(b"\",\"dest\":\"");
    out.extend_from_slice(node);
    out.extend_from_slice(b"\",\"body\":{\"echo\":");
}

/// [`echo_request`] with its client's and node's part made before by [`echo_head`]:
/// the same bytes, written after one reservation.
pub fn headed_echo_request(out: &mut Vec<u8>, id: u64, head: &[u8], payload: &[u8], msg_id: u64) {
    out.reserve(6 + 20 + head.len() + payload.len() + ECHO_TAIL.len() + 20 + 3);
    out.extend_from_slice(b"{\"id\":");
    decimal(out, id);
    out.extend_from_slice(head);
    echo_tail(out, payload, msg_id);
}

/// What follows the payload in an `echo` request, up to its `msg_id`.
const ECHO_TAIL: &[u8] = b",\"type\":\"echo\",\"msg_id\":";

/// Appends an `echo` request's payload and the rest of it, its line end included.
#[inline]
fn echo_tail(out: &mut Vec<u8>, payload: &[u8], msg_id: u64) {
    out.extend_from_slice(payload);
    out.extend_from_slice(ECHO_TAIL);
    decimal(out, msg_id);
    out.extend_from_slice(b"}}\n");
}

/// Appends a message from one node to another as Maelstrom's network delivers it: with
/// the network's own message `id` first, then `src` and `dest` (JSON string tokens, as
/// the sender printed them) and `body` (its JSON text, or `{}` for none), and its line
/// end. Maelstrom re-serializes the whole message; the parts' own bytes are kept, but for
/// what a strict reader must never be sent and Maelstrom's writer never sends: a control
/// character inside a string, which is escaped as that writer escapes it (see
/// [`escape_controls`]).
pub fn delivered(out: &mut Vec<u8>, id: u64, src: &[u8], dest: &[u8], body: Option<&[u8]>) {
    out.extend_from_slice(b"{\"id\":");
    decimal(out, id);
    out.extend_from_slice(b",\"src\":");
    escape_controls(out, src);
    out.extend_from_slice(b",\"dest\":");
    escape_controls(out, dest);
    out.extend_from_slice(b",\"body\":");
    escape_controls(out, body.unwrap_or(b"{}"));
    out.extend_from_slice(b"}\n");
}

/// Appends `json`, a JSON text (whose strings may hold control characters unescaped, as
/// Maelstrom's reader accepts them), with each control character (U+0000 to U+001F)
/// inside a string escaped as Maelstrom's JSON writer (Jackson, through cheshire) writes
/// it: `\b`, `\t`, `\n`, `\f` and `\r` by their short escapes, the rest as `\u00XX` in
/// upper-case hex. Whitespace between tokens, a tab say, is left as it is. Text with no
/// control character is copied as it is.
pub fn escape_controls(out: &mut Vec<u8>, json: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if !json.iter().any(|&b| b < 0x20) {
        out.extend_from_slice(json);
        return;
    }
    let (mut in_string, mut escape) = (false, false);
    for &b in json {
        if !in_string {
            in_string = b == b'"';
            out.push(b);
            continue;
        }
        if escape {
            escape = false;
            out.push(b);
            continue;
        }
        match b {
            b'\\' => {
                escape = true;
                out.push(b);
            }
            b'"' => {
                in_string = false;
                out.push(b);
            }
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x00..0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
}

/// Appends `n` in decimal (itoa: two digits a step, no division by ten a digit).
fn decimal(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_maelstroms_bytes() {
        let mut out = Vec::new();
        echo_request(&mut out, 7, b"c2", b"n1", br#""Please echo 35""#, 3);
        init(&mut out, 0, "c0", "n1", &node_ids(&["n1", "n2"]));
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "{\"id\":7,\"src\":\"c2\",\"dest\":\"n1\",\"body\":{\"echo\":\"Please echo 35\",\"type\":\"echo\",\"msg_id\":3}}\n\
             {\"id\":0,\"src\":\"c0\",\"dest\":\"n1\",\"body\":{\"type\":\"init\",\"node_id\":\"n1\",\"node_ids\":[\"n1\",\"n2\"],\"msg_id\":1}}\n"
        );
    }

    #[test]
    fn a_delivered_message_carries_the_networks_id() {
        let mut out = Vec::new();
        delivered(
            &mut out,
            12,
            br#""n1""#,
            br#""n2""#,
            Some(br#"{"type":"gossip"}"#),
        );
        delivered(&mut out, 13, br#""n2""#, br#""n1""#, None);
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "{\"id\":12,\"src\":\"n1\",\"dest\":\"n2\",\"body\":{\"type\":\"gossip\"}}\n\
             {\"id\":13,\"src\":\"n2\",\"dest\":\"n1\",\"body\":{}}\n"
        );
    }

    #[test]
    fn control_characters_in_strings_are_escaped_as_maelstroms_writer_does() {
        let mut out = Vec::new();
        escape_controls(
            &mut out,
            b"{\"a\t\":\t\"x\ty\x01\x1f\x08\x0c\\\"\\\\\x00\",\"b\":[\"\\t\"]}",
        );
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            r#"{"a\t":	"x\ty\u0001\u001F\b\f\"\\\u0000","b":["\t"]}"#
        );
        let mut out = Vec::new();
        delivered(
            &mut out,
            1,
            b"\"n\x011\"",
            br#""n2""#,
            Some(b"{\"t\":\"\x7f\xc3\xa9\"}"),
        );
        assert_eq!(
            out,
            b"{\"id\":1,\"src\":\"n\\u00011\",\"dest\":\"n2\",\"body\":{\"t\":\"\x7f\xc3\xa9\"}}\n"
        );
    }

    #[test]
    fn numbers_are_decimal() {
        for n in [0, 7, 10, 1234567890, u64::MAX] {
            let mut out = Vec::new();
            decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
