//! Property and differential tests: generated payloads and messages, and corrupted lines,
//! run through the node in-process; serde_json (tests/common/oracle.rs) is the oracle.

#![forbid(unsafe_code)]

mod common;

use std::collections::HashMap;
use std::io;

use echo_node::Flush;
use echo_node::{Config, Stats};
use proptest::prelude::*;
use serde_json::value::RawValue;

use common::check_reply_shape;
use common::oracle::check_stream;

/// A JSON value to render; strings carry how each character is written.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(Vec<(char, u8)>),
    Arr(Vec<J>),
    Obj(Vec<(Vec<(char, u8)>, J)>),
}

/// A tiny deterministic generator for rendering choices (whitespace, key order), so a
/// failing case shrinks with its seed.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn ws(&mut self) -> &'static str {
        if self.0 == 0 {
            return "";
        }
        const WS: [&str; 8] = ["", "", "", " ", "\t", "  ", " \r ", "\r\t "];
        WS[(self.next() % 8) as usize]
    }
}

/// Writes a string token: each character raw, or escaped in one of JSON's forms; now and
/// then (styles 250 and up) a lone surrogate escape before it, high or low, which RFC
/// 8259's grammar allows.
fn render_str(chars: &[(char, u8)], out: &mut String) {
    out.push('"');
    for &(c, style) in chars {
        if style >= 250 {
            let unit = 0xd800 + u32::from(style - 250) * 0x101;
            out.push_str(&format!("\\u{unit:04x}"));
        }
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '/' if style % 3 == 1 => Some("\\/"),
            _ => None,
        };
        let must_escape = c < '\u{20}' || c == '"' || c == '\\';
        match (style % 3, short) {
            (0, Some(s)) => out.push_str(s),
            (0, None) if !must_escape => out.push(c),
            (1, _) | (2, Some(_)) | (0, None) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if style % 2 == 0 {
                        out.push_str(&format!("\\u{unit:04x}"));
                    } else {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
            }
            (_, None) if !must_escape => out.push(c),
            _ => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push('"');
}

fn render(j: &J, ch: &mut Choices, out: &mut String) {
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => render_str(s, out),
        J::Arr(items) => {
            out.push('[');
            out.push_str(ch.ws());
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(ch.ws());
                    out.push(',');
                    out.push_str(ch.ws());
                }
                render(item, ch, out);
            }
            out.push_str(ch.ws());
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            out.push_str(ch.ws());
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    out.push_str(ch.ws());
                }
                render_str(k, out);
                out.push_str(ch.ws());
                out.push(':');
                out.push_str(ch.ws());
                render(v, ch, out);
                out.push_str(ch.ws());
            }
            out.push('}');
        }
    }
}

fn chars() -> impl Strategy<Value = Vec<(char, u8)>> {
    // any::<char>() covers every plane; a few ASCII specials are made more likely.
    let c = prop_oneof![
        4 => any::<char>(),
        1 => prop::sample::select(vec!['"', '\\', '/', '\n', '\u{0}', '\u{1f}', '\u{7f}', '\u{2028}', '😀', 'é']),
    ];
    prop::collection::vec((c, any::<u8>()), 0..12)
}

fn number() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop_oneof![4 => "0", 4 => "[1-9][0-9]{0,30}", 1 => "[1-9][0-9]{300,420}"],
        prop::option::of("[0-9]{1,25}"),
        prop::option::of((
            "[eE]",
            "[+-]?",
            prop_oneof![4 => "[0-9]{1,3}", 1 => "[0-9]{4,7}"],
        )),
    )
        .prop_map(|(neg, int, frac, exp)| {
            let mut n = String::new();
            if neg {
                n.push('-');
            }
            n.push_str(&int);
            if let Some(f) = frac {
                n.push('.');
                n.push_str(&f);
            }
            if let Some((e, sign, digits)) = exp {
                n.push_str(&format!("{e}{sign}{digits}"));
            }
            n
        })
}

fn json_value() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        number().prop_map(J::Num),
        chars().prop_map(J::Str),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Arr),
            prop::collection::vec((chars(), inner), 0..6).prop_map(J::Obj),
        ]
    })
}

/// Renders a key name with some of its characters escaped.
fn key(name: &str, ch: &mut Choices) -> String {
    let chars: Vec<(char, u8)> = name.chars().map(|c| (c, (ch.next() % 5) as u8)).collect();
    let mut out = String::new();
    render_str(&chars, &mut out);
    out
}

/// An echo request carrying `payload` (rendered), with members in a shuffled order,
/// extra members, escaped keys and whitespace, all chosen by `seed`.
fn echo_message(payload: &str, msg_id: u64, extra: &J, seed: u64) -> String {
    let mut ch = Choices(seed);
    let mut extra_text = String::new();
    render(extra, &mut ch, &mut extra_text);
    let mut body = vec![
        (key("type", &mut ch), "\"echo\"".to_string()),
        (key("msg_id", &mut ch), msg_id.to_string()),
        (key("echo", &mut ch), payload.to_string()),
        (key("extra", &mut ch), extra_text.clone()),
    ];
    let mut top = vec![
        (key("id", &mut ch), (seed % 1000).to_string()),
        (key("src", &mut ch), format!("\"c{}\"", seed % 7)),
        (key("dest", &mut ch), "\"n1\"".to_string()),
        (key("x-trace", &mut ch), extra_text),
    ];
    for members in [&mut body, &mut top] {
        for i in (1..members.len()).rev() {
            members.swap(i, (ch.next() % (i as u64 + 1)) as usize);
        }
    }
    let object = |members: &[(String, String)], ch: &mut Choices| {
        let mut s = String::from("{");
        for (i, (k, v)) in members.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!(
                "{}{k}{}:{}{v}{}",
                ch.ws(),
                ch.ws(),
                ch.ws(),
                ch.ws()
            ));
        }
        s.push('}');
        s
    };
    let body_text = object(&body, &mut ch);
    let body_index = top.len();
    top.push((key("body", &mut ch), body_text));
    top.swap(body_index, (ch.next() % (body_index as u64 + 1)) as usize);
    format!("{}{}{}", ch.ws(), object(&top, &mut ch), ch.ws())
}

/// Runs the node in-process on `input`; returns stdout.
fn run(input: &[u8], flush: Flush, max_line: usize) -> Vec<u8> {
    let config = Config {
        flush,
        max_line,
        quiet: true,
    };
    let mut out = Vec::new();
    echo_node::run(&config, input, &mut out, io::sink(), &mut Stats::default())
        .expect("in-memory run");
    out
}

fn raw_echo(reply: &str) -> String {
    let top: HashMap<String, &RawValue> = serde_json::from_str(reply).expect("reply object");
    let body: HashMap<String, &RawValue> =
        serde_json::from_str(top["body"].get()).expect("body object");
    body["echo"].get().to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every payload comes back byte for byte, in a reply of the right shape.
    #[test]
    fn payloads_come_back_byte_for_byte(
        cases in prop::collection::vec((json_value(), json_value(), any::<u64>()), 1..8),
        batch in any::<bool>(),
    ) {
        let mut input = String::new();
        let mut payloads = Vec::new();
        for (i, (payload, extra, seed)) in cases.iter().enumerate() {
            let mut text = String::new();
            render(payload, &mut Choices(*seed), &mut text);
            input.push_str(&echo_message(&text, i as u64 + 1, extra, *seed));
            input.push_str(if seed % 3 == 0 { "\r\n" } else { "\n" });
            payloads.push(text);
        }
        let flush = if batch { Flush::Batch } else { Flush::Message };
        let out = run(input.as_bytes(), flush, usize::MAX);
        let replies: Vec<&str> = std::str::from_utf8(&out).expect("UTF-8").lines().collect();
        prop_assert_eq!(replies.len(), payloads.len(), "{}", input);
        for (i, (reply, payload)) in replies.iter().zip(&payloads).enumerate() {
            let v = check_reply_shape(reply.as_bytes());
            prop_assert_eq!(&v["body"]["type"], "echo_ok");
            prop_assert_eq!(&v["body"]["in_reply_to"], &serde_json::json!(i + 1));
            prop_assert_eq!(&v["body"]["msg_id"], &serde_json::json!(i));
            prop_assert_eq!(&raw_echo(reply), payload);
        }
        // And serde_json agrees with the whole stream.
        if let Err(e) = check_stream(input.as_bytes(), usize::MAX, &out) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// One generated line: a message of some type with some fields, maybe corrupted.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let msg_id = prop_oneof![
        Just(None),
        (0u64..1000).prop_map(|n| Some(n.to_string())),
        Just(Some("-5".to_string())),
        Just(Some("123456789012345678901234567890".to_string())),
        Just(Some("1.0".to_string())),
        Just(Some("2e3".to_string())),
        Just(Some("\"7\"".to_string())),
        Just(Some("null".to_string())),
    ];
    let type_ = prop::sample::select(vec![
        "echo",
        "echo",
        "echo",
        "init",
        "read",
        "echo_ok",
        "error",
        "e\\u0063ho",
    ]);
    let corruption = prop_oneof![
        6 => Just(None),
        1 => (any::<prop::sample::Index>(), Just(0u8), Just(0u8)).prop_map(Some), // truncate
        1 => (any::<prop::sample::Index>(), Just(1u8), any::<u8>()).prop_map(Some), // replace
        1 => (any::<prop::sample::Index>(), Just(2u8), prop::sample::select(vec![0xff, 0xc3, 0x00, 0x01, b'"', b'\\', b'}', b',', b'\r', 0x0c])).prop_map(Some), // insert
        1 => (any::<prop::sample::Index>(), Just(3u8), Just(0u8)).prop_map(Some), // delete
    ];
    let in_reply_to = prop_oneof![
        6 => Just(None),
        1 => Just(Some("5")),
        1 => Just(Some("null")),
        1 => Just(Some("\"x\"")),
    ];
    (
        (type_, msg_id, in_reply_to),
        prop::option::of(json_value()),
        any::<bool>(),
        any::<u64>(),
        corruption,
    )
        .prop_map(
            |((type_, msg_id, in_reply_to), echo, good_init, seed, corruption)| {
                let mut ch = Choices(seed);
                let mut body = format!("{{\"type\":\"{type_}\"");
                if let Some(id) = msg_id {
                    body.push_str(&format!(",\"msg_id\":{id}"));
                }
                if let Some(id) = in_reply_to {
                    body.push_str(&format!(",{}:{id}", key("in_reply_to", &mut ch)));
                }
                if let Some(echo) = echo {
                    let mut text = String::new();
                    render(&echo, &mut ch, &mut text);
                    body.push_str(&format!(",{}:{text}", key("echo", &mut ch)));
                }
                if type_ == "init" {
                    body.push_str(if good_init {
                        ",\"node_id\":\"n1\",\"node_ids\":[\"n1\",\"n2\"]"
                    } else {
                        ",\"node_id\":\"n1\",\"node_ids\":[\"n1\",2]"
                    });
                }
                body.push('}');
                let mut line = format!(
                    "{{\"src\":\"c{}\",\"dest\":\"n1\",\"body\":{body}}}",
                    seed % 5
                )
                .into_bytes();
                if let Some((at, op, byte)) = corruption {
                    let i = at.index(line.len() + 1);
                    match op {
                        0 => line.truncate(i),
                        1 if i < line.len() => line[i] = byte,
                        2 => line.insert(i, byte),
                        3 if i < line.len() => {
                            line.remove(i);
                        }
                        _ => {}
                    }
                }
                line
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The node answers exactly the lines serde_json reads as answerable requests, with
    /// the replies serde_json's reading calls for.
    #[test]
    fn node_agrees_with_serde_json(
        lines in prop::collection::vec(line(), 1..12),
        separators in prop::collection::vec(prop::sample::select(vec!["\n", "\r\n", "\n\n", "\n  \n"]), 12),
        batch in any::<bool>(),
        max_line in prop_oneof![Just(usize::MAX), 40usize..400],
    ) {
        let mut input = Vec::new();
        for (line, sep) in lines.iter().zip(&separators) {
            input.extend_from_slice(line);
            input.extend_from_slice(sep.as_bytes());
        }
        if batch {
            input.pop(); // and a last line without a newline
        }
        let flush = if batch { Flush::Batch } else { Flush::Message };
        let out = run(&input, flush, max_line);
        if let Err(e) = check_stream(&input, max_line, &out) {
            return Err(TestCaseError::fail(format!("{e}\ninput:\n{}", String::from_utf8_lossy(&input))));
        }
    }
}

/// Runs `f` on a thread with a large stack (the oracle recurses once per nesting level).
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic");
}

#[test]
fn nesting_up_to_the_limit_is_echoed_and_beyond_it_rejected() {
    with_big_stack(|| {
        // The message adds two levels (top-level object, body), so payloads of up to
        // 1022 levels fit in simd-json's 1024.
        for depth in [100usize, 128, 129, 1000, 1022, 1023, 1100] {
            let payload = format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth));
            let input = format!(
                "{{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{{\"type\":\"echo\",\"msg_id\":1,\"echo\":{payload}}}}}\n"
            );
            let out = run(input.as_bytes(), Flush::Message, usize::MAX);
            assert_eq!(out.is_empty(), depth > 1022, "depth {depth}");
            check_stream(input.as_bytes(), usize::MAX, &out).expect("oracle agrees");
        }
    });
}

#[test]
fn numbers_of_any_size_are_echoed_byte_for_byte_anywhere() {
    let huge = "9".repeat(400);
    let cases = [
        "1.7976931348623157e308",
        "-1e308",
        "1e-400",
        "123456789012345678901234567890123456789",
        "1.7976931348623159e308",
        "1e400",
        "-1e400",
        "-1e309",
        &huge,
        "123456789012345678901234567890.5e999999",
        "[1e400,{\"k\":-1e400},\"\\u00e9\"]",
    ];
    for number in cases {
        // In the payload, in the body's other fields, and at the top level.
        let input = format!(
            "{{\"src\":\"c1\",\"dest\":\"n1\",\"x\":{number},\"body\":{{\"type\":\"echo\",\"msg_id\":1,\"echo\":{number},\"y\":{number}}}}}\n"
        );
        let out = run(input.as_bytes(), Flush::Message, usize::MAX);
        assert!(!out.is_empty(), "{number}");
        assert_eq!(
            raw_echo(std::str::from_utf8(&out).expect("utf-8").trim_end()),
            number
        );
        check_stream(input.as_bytes(), usize::MAX, &out).expect("oracle agrees");
    }
    // A msg_id of any size comes back digit for digit.
    let input = format!(
        "{{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{{\"type\":\"echo\",\"msg_id\":{huge},\"echo\":1e400}}}}\n"
    );
    let out = run(input.as_bytes(), Flush::Message, usize::MAX);
    assert!(String::from_utf8_lossy(&out).contains(&format!("\"in_reply_to\":{huge},")));
    check_stream(input.as_bytes(), usize::MAX, &out).expect("oracle agrees");
}
