//! Maelstrom's files in EDN, the notation Clojure and Jepsen write: `results.edn` (the
//! checker's results, in the shape `maelstrom test -w echo` leaves them), and the
//! pieces of the history as Jepsen keeps it (`history.edn`, an operation map a line;
//! `history.txt`, its columns), which [`crate::history`] writes.
//!
//! JSON values become EDN values: strings, numbers as their exact digits, `true`,
//! `false`, `nil`, vectors, and maps whose keys are keywords where a key reads as one
//! (`{:echo "..."}`, as Maelstrom keywordises a body's keys) and strings where not.

use std::fmt::Write as _;

use serde_json::Value;

use crate::report::Report;

/// Writes `value` as EDN onto `out`.
pub fn value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Its digits as read (serde_json's arbitrary precision): any size of integer,
        // and a float's exponent (`1e+400`), which EDN reads as a float.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                self::value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                key(out, k);
                out.push(' ');
                self::value(out, v);
            }
            out.push('}');
        }
    }
}

/// A map's key: a keyword where `name` reads as one, else a string.
pub fn key(out: &mut String, name: &str) {
    if is_keyword(name) {
        out.push(':');
        out.push_str(name);
    } else {
        string(out, name);
    }
}

/// Whether `:name` reads back as the keyword `name`: a letter or one of `*+!-_?<>=` first
/// (a `-` or `+` not followed by a digit), then those, digits and `.`.
fn is_keyword(name: &str) -> bool {
    let bytes = name.as_bytes();
    let first_ok = |b: u8| b.is_ascii_alphabetic() || b"*+!-_?<>=".contains(&b);
    let rest_ok = |b: u8| b.is_ascii_alphanumeric() || b"*+!-_?<>=.".contains(&b);
    match bytes {
        [] => false,
        [b'-' | b'+', d, ..] if d.is_ascii_digit() => false,
        [first, rest @ ..] => first_ok(*first) && rest.iter().all(|b| rest_ok(*b)),
    }
}

/// `s` as an EDN string: `"` and `\` escaped, and the controls as `\n`, `\t`, `\r` or
/// `\uXXXX`.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `results.edn`: the checkers' results as Maelstrom composes them (core.clj: `:perf`,
/// `:timeline`, `:exceptions`, `:stats`, `:net`, `:workload`, and `:valid?` over all),
/// and echo-load's own figures (`results.json`'s) under `:echo-load`.
pub fn results(report: &Report) -> String {
    let c = &report.counts;
    // An operation is invoked when its request is written; it completes `:ok` (a reply,
    // right or wrong: the workload's checker judges its value), `:fail` (an error
    // reply), or `:info` (no definite outcome: a timeout, a malformed reply, a run
    // interrupted).
    let ok = c.ok + c.wrong - c.malformed;
    let fail = c.failed;
    let info = c.malformed + c.timeouts + c.abandoned;
    let count = ok + fail + info;
    // Jepsen's stats checker: each f is valid when some of its operations were ok.
    let stats_valid = count == 0 || ok > 0;
    let valid = if report.faults.aborted().is_some() {
        ":unknown"
    } else if report.valid() {
        "true"
    } else {
        "false"
    };
    let op_stats = |out: &mut String| {
        let _ = write!(
            out,
            ":count {count}, :ok-count {ok}, :fail-count {fail}, :info-count {info}"
        );
    };
    let mut s = String::new();
    s.push_str(
        "{:perf {:latency-graph {:valid? true}, :rate-graph {:valid? true}, :valid? true},\n",
    );
    s.push_str(" :timeline {:valid? true},\n :exceptions {:valid? true},\n");
    let _ = write!(s, " :stats {{:valid? {stats_valid}, ");
    op_stats(&mut s);
    s.push_str(", :by-f {");
    if count > 0 {
        let _ = write!(s, ":echo {{:valid? {}, ", ok > 0);
        op_stats(&mut s);
        s.push('}');
    }
    s.push_str("}},\n");
    let journal = &report.journal;
    let (clients, servers) = (journal.clients(), journal.servers());
    let invoked = c.sent;
    let traffic = |out: &mut String, sends: u64, recvs: u64, per_op: bool| {
        let _ = write!(
            out,
            "{{:send-count {sends}, :recv-count {recvs}, :msg-count {sends}"
        );
        if per_op && invoked > 0 {
            let _ = write!(
                out,
                ", :msgs-per-op {}",
                float(sends as f64 / invoked as f64)
            );
        }
        out.push('}');
    };
    s.push_str(" :net {:stats {:all ");
    traffic(
        &mut s,
        clients.sends + servers.sends,
        clients.recvs + servers.recvs,
        true,
    );
    s.push_str(",\n               :clients ");
    traffic(&mut s, clients.sends, clients.recvs, false);
    s.push_str(",\n               :servers ");
    traffic(&mut s, servers.sends, servers.recvs, true);
    s.push_str("},\n       :valid? true},\n");
    let errors: Vec<String> = crate::fault::Kind::ALL
        .into_iter()
        .filter(|k| !k.strict_only() || report.config.strict)
        .flat_map(|k| report.faults.shown(k))
        .map(|f| f.to_string())
        .collect();
    let _ = write!(s, " :workload {{:valid? {valid}, :errors (");
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        string(&mut s, e);
    }
    s.push_str(")},\n :echo-load ");
    value(&mut s, &report.results_json());
    let _ = writeln!(s, ",\n :valid? {valid}}}");
    s
}

/// A float as EDN reads one: always with a point or an exponent.
fn float(x: f64) -> String {
    let text = format!("{x}");
    if text.contains(['.', 'e', 'E']) || !x.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

/// `json` (one JSON value's text, as a node or echo-load wrote it) as EDN onto `out`:
/// a string with no escapes, a number, `true` and `false` are the same text in EDN;
/// anything else is read and written as [`value`] writes it (text that is not JSON is
/// kept as an EDN string of it).
pub fn json_text(out: &mut String, json: &[u8]) {
    let plain_string = json.len() >= 2
        && json[0] == b'"'
        && json[json.len() - 1] == b'"'
        && !json[1..json.len() - 1]
            .iter()
            .any(|&b| b == b'\\' || b == b'"' || b < 0x20);
    let plain_number = !json.is_empty()
        && json
            .iter()
            .all(|b| b.is_ascii_digit() || b"-+.eE".contains(b))
        && json.iter().any(u8::is_ascii_digit)
        && !json.starts_with(b"+");
    if (plain_string || plain_number || json == b"true" || json == b"false")
        && let Ok(text) = std::str::from_utf8(json)
    {
        out.push_str(text);
        return;
    }
    match serde_json::from_slice::<Value>(json) {
        Ok(v) => value(out, &v),
        Err(_) => string(out, &String::from_utf8_lossy(json)),
    }
}

/// An operation's error word as a keyword, Jepsen's way (`malformed reply`:
/// `:malformed-reply`).
pub fn error_word(out: &mut String, word: &str) {
    let word = word.replace(' ', "-");
    if is_keyword(&word) {
        out.push(':');
        out.push_str(&word);
    } else {
        string(out, &word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edn_of(json: &str) -> String {
        let mut s = String::new();
        value(&mut s, &serde_json::from_str(json).unwrap());
        s
    }

    #[test]
    fn json_values_become_edn_values() {
        assert_eq!(edn_of("null"), "nil");
        assert_eq!(edn_of(r#""a\"b\\c\n\u0001""#), r#""a\"b\\c\n\u0001""#);
        assert_eq!(edn_of("[1,-0,2.5,1e400]"), "[1 -0 2.5 1e+400]");
        assert_eq!(
            edn_of(r#"{"echo":"x","in_reply_to":1,"a b":true,"-1":false}"#),
            // serde_json's map, in its order: the keys sorted.
            r#"{"-1" false, "a b" true, :echo "x", :in_reply_to 1}"#
        );
        assert_eq!(
            edn_of("123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
    }

    #[test]
    fn keywords_are_only_names_that_read_back_as_one() {
        for yes in ["echo", "msg_id", "valid?", "a.b", "-x", "send-count"] {
            assert!(is_keyword(yes), "{yes}");
        }
        for no in ["", "1a", "-1", "a b", "a:b", "a/b", "é", "#x"] {
            assert!(!is_keyword(no), "{no}");
        }
    }

    #[test]
    fn json_text_is_written_as_the_edn_value_it_is() {
        let edn = |json: &str| {
            let mut s = String::new();
            json_text(&mut s, json.as_bytes());
            s
        };
        assert_eq!(edn(r#""Please echo 3""#), r#""Please echo 3""#);
        assert_eq!(edn(r#""a\u0041\/""#), r#""aA/""#);
        assert_eq!(edn("-1.5e3"), "-1.5e3");
        assert_eq!(edn("null"), "nil");
        assert_eq!(edn(r#"{"k":[1,2]}"#), "{:k [1 2]}");
        assert_eq!(edn("not json"), r#""not json""#);
        let mut p = String::new();
        error_word(&mut p, "malformed reply");
        error_word(&mut p, "a:b");
        assert_eq!(p, r#":malformed-reply"a:b""#);
    }

    #[test]
    fn floats_always_read_as_floats() {
        assert_eq!(float(2.0), "2.0");
        assert_eq!(float(2.5), "2.5");
    }
}
