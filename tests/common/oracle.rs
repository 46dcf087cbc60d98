//! A second, independent reading of the contract, with serde_json as the JSON parser:
//! for an input stream, the replies the node must send. The differential tests and the
//! fuzz target compare the node against it.
//!
//! Where simd-json and serde_json differ, the node's documented behaviour is encoded here:
//! - nesting: the node accepts documents nested up to 1024 levels (the top-level object is
//!   level 1), serde_json only 128 by default; the oracle parses without that limit.
//! - numbers: none; a number beyond a double's range (`1e400`) is valid JSON to both
//!   (serde_json keeps its digits with arbitrary_precision).
//! - lone surrogate escapes (`"\ud800"`): valid JSON under RFC 8259's grammar, which the
//!   node answers byte for byte, and which serde_json refuses. The oracle reads a line,
//!   and the node's replies, with each lone surrogate escape `\uD800`-`\uDFFF` turned
//!   into the private-use `\uF000`-`\uF7FF` ([`unlone`]): the same length, so raw bytes
//!   still compare.
#![allow(dead_code)]

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// The node's nesting limit (simd-json's default).
pub const MAX_DEPTH: usize = 1024;

/// One reply the node must send.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The whole reply, as a JSON value.
    pub reply: Value,
    /// For `echo_ok`: the payload's exact bytes.
    pub echo_raw: Option<String>,
}

/// The protocol state the oracle tracks.
#[derive(Debug, Default)]
pub struct Oracle {
    node_id: Option<Value>,
    next_msg_id: u64,
}

fn parse<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = T::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Deepest nesting of arrays and objects, counting only brackets outside strings.
pub fn depth(text: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn is_integer(v: &Value) -> bool {
    matches!(v, Value::Number(n) if !n.to_string().contains(['.', 'e', 'E']))
}

/// `text` with every lone surrogate escape (one not part of a high-low pair) turned into
/// a private-use escape 0x1800 higher: same length, same bytes elsewhere.
pub fn unlone(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let unit = |at: usize| {
        let hex = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
        u32::from_str_radix(hex, 16).ok()
    };
    let surrogate =
        |u: Option<u32>, range: std::ops::Range<u32>| u.is_some_and(|u| range.contains(&u));
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        let paired = surrogate(unit(i + 2), 0xd800..0xdc00)
            && bytes.get(i + 6..i + 8) == Some(b"\\u")
            && surrogate(unit(i + 8), 0xdc00..0xe000);
        if paired {
            i += 12;
            continue;
        }
        if let Some(u) = unit(i + 2).filter(|u| (0xd800..0xe000).contains(u)) {
            out[i + 2..i + 6].copy_from_slice(format!("{:04x}", u + 0x1800).as_bytes());
        }
        i += 6;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

impl Oracle {
    /// The reply to one line (its line end removed), if the node must send one.
    pub fn expect(&mut self, line: &[u8]) -> Option<Expected> {
        let text = unlone(std::str::from_utf8(line).ok()?);
        let text = text.as_str();
        if text.trim_matches([' ', '\t', '\r', '\n']).is_empty() || depth(line) > MAX_DEPTH {
            return None;
        }
        let v: Value = parse(text)?;
        let (src, dest, body) = (v.get("src")?, v.get("dest")?, v.get("body")?);
        if !src.is_string() || !dest.is_string() || !body.is_object() {
            return None;
        }
        let type_ = body.get("type")?.as_str()?;
        if body.get("in_reply_to").is_some() {
            return None; // a response: never answered, changes nothing
        }
        let init_ok = type_ == "init"
            && body.get("node_id").is_some_and(Value::is_string)
            && body
                .get("node_ids")
                .and_then(Value::as_array)
                .is_some_and(|ids| ids.iter().all(Value::is_string));
        if init_ok {
            self.node_id = body.get("node_id").cloned();
        }
        let msg_id = body.get("msg_id").filter(|m| is_integer(m))?;
        let mut reply_body = match type_ {
            "init" if init_ok => json!({"type": "init_ok"}),
            "init" => json!({"type": "error", "code": 12,
                "text": "init needs node_id (a string) and node_ids (an array of strings)"}),
            "echo" => match body.get("echo") {
                Some(echo) => json!({"type": "echo_ok", "echo": echo}),
                None => json!({"type": "error", "code": 12, "text": "echo needs an echo field"}),
            },
            other => json!({"type": "error", "code": 10,
                "text": format!("unsupported message type: {other}")}),
        };
        reply_body["in_reply_to"] = msg_id.clone();
        reply_body["msg_id"] = json!(self.next_msg_id);
        self.next_msg_id += 1;
        let echo_raw = if reply_body["type"] == "echo_ok" {
            let top: HashMap<String, &RawValue> = parse(text)?;
            let body: HashMap<String, &RawValue> = parse(top.get("body")?.get())?;
            Some(body.get("echo")?.get().to_owned())
        } else {
            None
        };
        let reply_src = self.node_id.clone().unwrap_or_else(|| dest.clone());
        Some(Expected {
            reply: json!({"src": reply_src, "dest": src, "body": reply_body}),
            echo_raw,
        })
    }
}

/// Splits `input` into lines as the node does: on `\n`, the last line needing none, one
/// `\r` before the `\n` removed; lines longer than `max_line` (after that removal: a line
/// end never counts) are dropped.
pub fn node_lines(input: &[u8], max_line: usize) -> Vec<&[u8]> {
    let mut pieces: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
        .into_iter()
        .map(|p| p.strip_suffix(b"\r").unwrap_or(p))
        .filter(|p| p.len() <= max_line)
        .collect()
}

/// Checks the node's whole `output` for `input` against the oracle.
pub fn check_stream(input: &[u8], max_line: usize, output: &[u8]) -> Result<(), String> {
    let mut oracle = Oracle::default();
    let expected: Vec<(usize, Expected)> = node_lines(input, max_line)
        .into_iter()
        .enumerate()
        .filter_map(|(i, line)| oracle.expect(line).map(|e| (i + 1, e)))
        .collect();
    if !output.is_empty() && output.last() != Some(&b'\n') {
        return Err("output does not end with a newline".into());
    }
    let got: Vec<&[u8]> = if output.is_empty() {
        Vec::new()
    } else {
        output[..output.len() - 1].split(|&b| b == b'\n').collect()
    };
    if got.len() != expected.len() {
        return Err(format!(
            "{} replies, oracle expects {} (for lines {:?})\noutput:\n{}",
            got.len(),
            expected.len(),
            expected.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            String::from_utf8_lossy(output)
        ));
    }
    for (reply, (line, want)) in got.iter().zip(&expected) {
        let text = std::str::from_utf8(reply).map_err(|e| format!("reply not UTF-8: {e}"))?;
        let text = unlone(text);
        let text = text.as_str();
        let value: Value = parse(text).ok_or_else(|| format!("reply is not JSON: {text}"))?;
        if value != want.reply {
            return Err(format!("line {line}:\n got  {value}\n want {}", want.reply));
        }
        if let Some(raw) = &want.echo_raw {
            let top: HashMap<String, &RawValue> = parse(text).ok_or("reply top level")?;
            let body: HashMap<String, &RawValue> =
                parse(top.get("body").ok_or("no body")?.get()).ok_or("reply body")?;
            let echo = body.get("echo").ok_or("no echo")?.get();
            if echo != raw {
                return Err(format!(
                    "line {line}: echo bytes differ:\n got  {echo}\n want {raw}"
                ));
            }
        }
    }
    Ok(())
}
