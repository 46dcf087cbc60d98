//! The doctor's second step: the course's sample transcript (tests/transcripts'
//! echo-sample: an init, then an echo), each reply compared with the one expected as
//! Maelstrom compares JSON (values; key order and spacing free), and each difference
//! named in words, with what to change.

use std::time::Duration;

use serde_json::Value;

use super::{Finding, Mark};
use crate::check;

/// The sample: each request, and the reply the course expects to it.
pub(super) const SAMPLE: [(&str, &str); 2] = [
    (
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#,
        r#"{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1, "msg_id": 0}}"#,
    ),
    (
        r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":"hello"}}"#,
        r#"{"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "hello", "in_reply_to": 2, "msg_id": 1}}"#,
    ),
];

/// How long each reply is waited for, as the course's checker waits.
pub(super) const WAIT: Duration = Duration::from_millis(5000);

/// What a line the node printed is, read as Maelstrom reads it.
pub(super) enum Reading {
    /// A message: what it says, judged against the reply expected.
    Message(Vec<Finding>),
    /// Not a message (a log line, say): why, and what to change. Maelstrom would not
    /// take it as the reply; the reply may still come.
    NotMessage(Finding),
}

/// Reads `got`, a line the node printed after `request`, against `expected`.
pub(super) fn read(request: &str, expected: &str, got: &[u8]) -> Reading {
    let text = String::from_utf8_lossy(got);
    if std::str::from_utf8(got).is_err() {
        return Reading::NotMessage(Finding::fix(
            "printed a line that is not UTF-8: Maelstrom reads a node's stdout as UTF-8 text",
        ));
    }
    if let Err(e) = check::read_message(got) {
        let why = if text.trim_start().starts_with('{') {
            format!("printed a line that is not a Maelstrom message: {e}")
        } else {
            "printed a line that is not a message: Maelstrom reads every line on stdout as \
             one. Write logs to stderr (Python: `print(..., file=sys.stderr)`; Go: \
             `log.Println`; JavaScript: `console.error`; Rust: `eprintln!`)"
                .to_owned()
        };
        return Reading::NotMessage(Finding::fix(why));
    }
    let escaped = check::escape_controls(got);
    let parsed = serde_json::Deserializer::from_slice(&escaped)
        .into_iter::<Value>()
        .next();
    let (Some(Ok(got)), Ok(request), Ok(expected)) = (
        parsed,
        serde_json::from_str::<Value>(request),
        serde_json::from_str::<Value>(expected),
    ) else {
        return Reading::NotMessage(Finding::fix("printed a line that cannot be read as JSON"));
    };
    Reading::Message(differences(&request, &expected, &got))
}

/// `value` as compact JSON.
fn shown(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// What differs between the reply `got` and the `expected` one to `request`, in words;
/// one Ok finding when nothing does.
fn differences(request: &Value, expected: &Value, got: &Value) -> Vec<Finding> {
    let mut found = envelope(request, expected, got);
    match got.get("body").and_then(Value::as_object) {
        Some(body) => found.extend(body_differences(request, expected, body)),
        None => found.push(Finding::fix(format!(
            "has no body object: a reply's body is an object, here {}",
            shown(&expected["body"])
        ))),
    }
    if found.iter().all(|f| f.mark != Mark::Fix) {
        let kind = expected["body"]["type"].as_str().unwrap_or("");
        found.insert(0, Finding::ok(format!("{kind} as expected")));
    }
    found
}

/// What differs in the reply's envelope: its keys, `src` and `dest`.
fn envelope(request: &Value, expected: &Value, got: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    let node = &expected["src"];
    let asker = &request["src"];
    // Keys beside src, dest, body and id never reach here: `check::read_message` refuses
    // them first, as net.clj's Message schema does.
    match got.get("src") {
        Some(src) if check::same(src, node) => {}
        Some(src) => found.push(Finding::fix(format!(
            "src is {}: a reply's src is the node's own id, {}, which init named (its \
             node_id)",
            shown(src),
            shown(node)
        ))),
        None => found.push(Finding::fix(format!(
            "has no src: a reply's src is the node's own id, {}, which init named",
            shown(node)
        ))),
    }
    match got.get("dest") {
        Some(dest) if check::same(dest, asker) => {}
        Some(dest) if check::same(dest, node) => found.push(Finding::fix(format!(
            "dest is {}, the node itself: a reply goes back to the request's src, {}",
            shown(dest),
            shown(asker)
        ))),
        Some(dest) => found.push(Finding::fix(format!(
            "dest is {}: a reply goes back to the request's src, {}",
            shown(dest),
            shown(asker)
        ))),
        None => found.push(Finding::fix(format!(
            "has no dest: a reply goes back to the request's src, {}",
            shown(asker)
        ))),
    }
    found
}

/// What differs in the reply's body: its `type`, `in_reply_to`, `echo`, `msg_id` and
/// keys.
fn body_differences(
    request: &Value,
    expected: &Value,
    body: &serde_json::Map<String, Value>,
) -> Vec<Finding> {
    let mut found = Vec::new();
    let kind = expected["body"]["type"].as_str().unwrap_or("");
    let asked = request["body"]["type"].as_str().unwrap_or("");
    // Whether Maelstrom holds the reply to a schema: an echo_ok, not an init_ok.
    let schema = kind == "echo_ok";
    match body.get("type") {
        Some(t) if check::same(t, &expected["body"]["type"]) => {}
        Some(t) => found.push(Finding::fix(format!(
            "body.type is {}: the reply to {asked} is {kind}",
            shown(t)
        ))),
        None => found.push(Finding::fix(format!(
            "body has no type: the reply to {asked} is {kind}"
        ))),
    }
    let id = &request["body"]["msg_id"];
    match body.get("in_reply_to") {
        Some(r) if check::same(r, id) => {}
        Some(r) => found.push(Finding::fix(format!(
            "body.in_reply_to is {}: it is the request's msg_id, {}",
            shown(r),
            shown(id)
        ))),
        None => found.push(Finding::fix(format!(
            "body has no in_reply_to: a reply names the request it answers by its msg_id, \
             here {}",
            shown(id)
        ))),
    }
    if let Some(echo) = expected["body"].get("echo") {
        match body.get("echo") {
            Some(e) if check::same(e, echo) => {}
            Some(e) => found.push(Finding::fix(format!(
                "body.echo is {}: echo_ok carries the request's echo back as it came, {}",
                shown(e),
                shown(echo)
            ))),
            None => found.push(Finding::fix(format!(
                "body has no echo: echo_ok carries the request's echo back, {}",
                shown(echo)
            ))),
        }
    }
    let own = &expected["body"]["msg_id"];
    match body.get("msg_id") {
        Some(m) if check::same(m, own) => {}
        Some(m) if m.is_u64() || m.is_i64() => found.push(Finding::note(format!(
            "body.msg_id is {}: the course's sample numbers the node's own messages from 0, \
             so it expects {}; Maelstrom only asks for an integer",
            shown(m),
            shown(own)
        ))),
        Some(m) if schema => found.push(Finding::fix(format!(
            "body.msg_id is {}: a msg_id is an integer",
            shown(m)
        ))),
        Some(m) => found.push(Finding::note(format!(
            "body.msg_id is {}: a msg_id is an integer; Maelstrom checks only an {kind}'s \
             type",
            shown(m)
        ))),
        None => found.push(Finding::note(format!(
            "body has no msg_id: the course's sample numbers the node's own messages from \
             0, so it expects {}; Maelstrom does not ask for one",
            shown(own)
        ))),
    }
    // An echo_ok's schema allows only the keys of the expected reply (msg_id optional)
    // and no other (client.clj, `defrpc`); of an init_ok, only its type is checked
    // (db.clj, `setup!`), so another key there differs from the sample, no more.
    let allowed: Vec<&str> = expected["body"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for key in body.keys().filter(|k| !allowed.contains(&k.as_str())) {
        found.push(if schema {
            Finding::fix(format!(
                "body has a key `{key}` that Maelstrom's {kind} does not allow: it holds {} \
                 only",
                allowed.join(", ")
            ))
        } else {
            Finding::note(format!(
                "body has a key `{key}` that the course's sample does not; Maelstrom checks \
                 only an {kind}'s type"
            ))
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixes(request: &str, expected: &str, got: &str) -> Vec<String> {
        match read(request, expected, got.as_bytes()) {
            Reading::Message(found) => found
                .into_iter()
                .filter(|f| f.mark == Mark::Fix)
                .map(|f| f.text)
                .collect(),
            Reading::NotMessage(f) => vec![f.text],
        }
    }

    #[test]
    fn the_sample_is_the_transcript_the_node_is_tested_with() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/transcripts");
        let (Ok(input), Ok(output)) = (
            std::fs::read_to_string(dir.join("echo-sample.in")),
            std::fs::read_to_string(dir.join("echo-sample.out")),
        ) else {
            return; // outside the repository (a published package): nothing to hold to
        };
        let sample_in: Vec<&str> = SAMPLE.iter().map(|(i, _)| *i).collect();
        let sample_out: Vec<&str> = SAMPLE.iter().map(|(_, o)| *o).collect();
        assert_eq!(input.lines().collect::<Vec<_>>(), sample_in);
        assert_eq!(output.lines().collect::<Vec<_>>(), sample_out);
    }

    #[test]
    fn each_difference_is_named_with_what_to_change() {
        let [(init, init_ok), (echo, echo_ok)] = SAMPLE;
        assert!(fixes(init, init_ok, init_ok).is_empty());
        // Key order and spacing are free; the node's own msg_id is only a note.
        let fine =
            r#"{"body":{"in_reply_to":2,"echo":"hello","type":"echo_ok"},"dest":"c1","src":"n1"}"#;
        assert!(fixes(echo, echo_ok, fine).is_empty());
        match read(echo, echo_ok, fine.as_bytes()) {
            Reading::Message(found) => assert!(
                found
                    .iter()
                    .any(|f| f.mark == Mark::Note && f.text.contains("msg_id")),
                "{found:?}"
            ),
            Reading::NotMessage(f) => panic!("{f:?}"),
        }
        let to_itself =
            r#"{"src":"n1","dest":"n1","body":{"type":"echo_ok","echo":"hello","in_reply_to":2}}"#;
        assert_eq!(
            fixes(echo, echo_ok, to_itself),
            [r#"dest is "n1", the node itself: a reply goes back to the request's src, "c1""#]
        );
        let no_reply_to = r#"{"src":"n1","dest":"c0","body":{"type":"init_ok"}}"#;
        assert!(fixes(init, init_ok, no_reply_to)[0].contains("no in_reply_to"));
        let changed =
            r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"HELLO","in_reply_to":2}}"#;
        assert!(fixes(echo, echo_ok, changed)[0].contains("as it came"));
        let float = r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"hello","in_reply_to":2.0}}"#;
        assert!(fixes(echo, echo_ok, float)[0].contains("in_reply_to is 2.0"));
        let log = fixes(init, init_ok, "starting node");
        assert!(log[0].contains("stderr"), "{log:?}");
        // A key beside the schema's: refused in an echo_ok, only a difference from the
        // sample in an init_ok, whose type alone Maelstrom checks.
        let extra = r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"hello","in_reply_to":2,"ok":true}}"#;
        assert!(fixes(echo, echo_ok, extra)[0].contains("`ok`"));
        let extra = r#"{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1,"ok":true,"msg_id":"a"}}"#;
        assert!(fixes(init, init_ok, extra).is_empty());
        match read(init, init_ok, extra.as_bytes()) {
            Reading::Message(found) => assert!(
                found.iter().filter(|f| f.mark == Mark::Note).count() == 2
                    && found.iter().any(|f| f.text.contains("`ok`")),
                "{found:?}"
            ),
            Reading::NotMessage(f) => panic!("{f:?}"),
        }
    }
}
