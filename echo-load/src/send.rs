//! Stage 2: what is sent. Payloads are made once, up front, into a table; a request is
//! Maelstrom's own bytes around one of them (`echo_wire::frame`, the frame the tests
//! write too), appended to the node's output buffer with no allocation.
//!
//! The wire shape is Maelstrom's (Cheshire's key order, top-level integer `id`):
//!
//! ```text
//! {"id":7,"src":"c2","dest":"n1","body":{"echo":"Please echo 35","type":"echo","msg_id":3}}
//! ```

use std::fmt;
use std::str::FromStr;

/// What the requests carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadKind {
    /// Maelstrom's own: the string "Please echo N", N in 0..127.
    Maelstrom,
    /// A string of exactly this many bytes (printable ASCII).
    String(usize),
    /// Every kind of JSON value: objects, arrays, escapes, unicode, numbers in every
    /// notation, literals.
    Mixed,
}

impl PayloadKind {
    /// A payload's mean length as JSON text, in bytes.
    pub fn mean_len(&self) -> u64 {
        match self {
            // "Please echo N", quoted, N from 0 to 127: 14 bytes and 1 to 3 digits.
            PayloadKind::Maelstrom => 14 + (10 + 2 * 90 + 3 * 28) / 128,
            PayloadKind::String(n) => *n as u64 + 2,
            PayloadKind::Mixed => {
                MIXED.iter().map(|p| p.len() as u64).sum::<u64>() / MIXED.len() as u64
            }
        }
    }
}

impl FromStr for PayloadKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "maelstrom" => Ok(PayloadKind::Maelstrom),
            "mixed" => Ok(PayloadKind::Mixed),
            _ => match text.strip_prefix("string:").map(str::parse::<u64>) {
                Some(Ok(n)) if n <= MAX_STRING_PAYLOAD as u64 => {
                    Ok(PayloadKind::String(n as usize))
                }
                Some(Ok(n)) => Err(format!(
                    "'{text}': a string of {n} bytes is more than echo-load reads back in a \
                     reply; string:BYTES takes 0 to {MAX_STRING_PAYLOAD}"
                )),
                Some(Err(_)) => Err(format!(
                    "'{text}': string:BYTES takes a whole number of bytes, 0 to {MAX_STRING_PAYLOAD}"
                )),
                None => Err(format!(
                    "'{text}' is not a payload: expected maelstrom, mixed or string:BYTES"
                )),
            },
        }
    }
}

impl fmt::Display for PayloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadKind::Maelstrom => f.write_str("maelstrom"),
            PayloadKind::String(n) => write!(f, "string:{n}"),
            PayloadKind::Mixed => f.write_str("mixed"),
        }
    }
}

/// The longest `string:BYTES` payload: its reply, a line of Maelstrom's envelope around
/// it, must fit in what echo-load reads back (`MAX_LINE`), as its
/// request must in echo-node's default `--max-line` (the same 64 MiB).
pub const MAX_STRING_PAYLOAD: usize = crate::receive::MAX_LINE - 1024;

/// At most this many bytes of `string:BYTES` payloads are made up front: 16 different
/// strings where they are short, fewer (at least one) where they are long.
const STRING_TABLE_BYTES: usize = 256 << 20;

/// The mixed payloads: each a JSON text, together covering every kind of value.
const MIXED: &[&str] = &[
    r#""Please echo 35""#,
    r#"{"user":{"name":"Zo\u00eb \"Z\" \u00dcnal","tags":["\u03b1","β","\n\t\/"]},"ok":true,"none":null}"#,
    r#"[0,-0,1,-1,12345678901234567890123,-98765432109876543210]"#,
    r#"[1.0,-2.50,3e10,1E-7,-2.5e+3,6.02214076E23,0.1,1e400,-1e400,1e-400]"#,
    r#""\ud83d\ude00 😀 日本語 \u0000\u001f\\""#,
    r#"[[],{},[[[{"deep":[[["x"]]]}]]],"",{"":""}]"#,
    "true",
    "false",
    "null",
    "0",
    "-0.0",
    "123456789012345678901234567890.5e-5",
    r#"{"a":{"b":{"c":{"d":{"e":[1,{"f":"g"}]}}}}}"#,
    r#""\"quoted\" \\ back\\slash \/ \b\f\n\r\t""#,
];

/// The payloads requests cycle through.
#[derive(Clone, Debug)]
pub struct Payloads {
    table: Vec<Vec<u8>>,
}

impl Payloads {
    /// The table for `kind`; `seed` varies the string contents.
    pub fn new(kind: &PayloadKind, seed: u64) -> Self {
        let table =
            match kind {
                PayloadKind::Maelstrom => (0..128)
                    .map(|n| format!("\"Please echo {n}\"").into_bytes())
                    .collect(),
                PayloadKind::String(size) => {
                    const ALPHABET: &[u8] =
                        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.";
                    let copies = (STRING_TABLE_BYTES / size.max(&1)).clamp(1, 16) as u64;
                    (0..copies)
                        .map(|k| {
                            let mut rng = Rng::new(seed ^ (k + 1));
                            let mut s = Vec::with_capacity(size + 2);
                            s.push(b'"');
                            s.extend((0..*size).map(|_| {
                                ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize]
                            }));
                            s.push(b'"');
                            s
                        })
                        .collect()
                }
                PayloadKind::Mixed => MIXED.iter().map(|p| p.as_bytes().to_vec()).collect(),
            };
        Payloads { table }
    }

    /// How many payloads there are: never none, for every kind has payloads.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Payload `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        &self.table[i % self.table.len()]
    }
}

/// xorshift64*: a small deterministic generator for `--seed`.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_payload_is_valid_json_of_its_kind() {
        let maelstrom = Payloads::new(&PayloadKind::Maelstrom, 0);
        assert_eq!(maelstrom.len(), 128);
        assert_eq!(maelstrom.get(35), br#""Please echo 35""#);
        let strings = Payloads::new(&PayloadKind::String(1000), 9);
        for i in 0..strings.len() {
            assert_eq!(strings.get(i).len(), 1002);
        }
        let mixed = Payloads::new(&PayloadKind::Mixed, 0);
        let mut kinds = std::collections::BTreeSet::new();
        for i in 0..mixed.len() {
            let v: serde_json::Value = serde_json::from_slice(mixed.get(i)).expect("valid JSON");
            kinds.insert(match v {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "bool",
                serde_json::Value::Number(_) => "number",
                serde_json::Value::String(_) => "string",
                serde_json::Value::Array(_) => "array",
                serde_json::Value::Object(_) => "object",
            });
        }
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        for kind in ["maelstrom", "mixed", "string:64"] {
            assert_eq!(kind.parse::<PayloadKind>().expect(kind).to_string(), kind);
        }
        assert!("string:x".parse::<PayloadKind>().is_err());
    }
}
