//! EDN, the notation Clojure and Jepsen write Maelstrom's files in: values, keys,
//! strings, floats and error words, with which the report writes `results.edn` and
//! [`crate::history`] the history's pieces (`history.edn`, `history.txt`).
//!
//! JSON values become EDN values: strings, numbers as their exact digits, `true`,
//! `false`, `nil`, vectors, and maps whose keys are keywords where a key reads as one
//! (`{:echo "..."}`, as Maelstrom keywordises a body's keys) and strings where not.

use std::fmt::Write as _;

use serde_json::Value;

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

/// A float as EDN reads one: always with a point or an exponent.
pub fn float(x: f64) -> String {
    let text = format!("{x}");
    if text.contains(['.', 'e', 'E']) || !x.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

/// `json` (one JSON value's text, as a node or echo-load wrote it) as EDN onto `out`:
/// a string with no escapes, a number, `true` and `false` are the same text in EDN;
/// anything else is read and written as [`value`] writes it, a control character written
/// raw inside a string (which Maelstrom's reader takes) read as if escaped (text that is
/// not JSON is kept as an EDN string of it).
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
    let mut escaped = Vec::new();
    let read = if json.iter().any(|&b| b < 0x20) {
        echo_wire::frame::escape_controls(&mut escaped, json);
        &escaped[..]
    } else {
        json
    };
    match serde_json::from_slice::<Value>(read) {
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
        // A control character a node wrote raw inside a string, as Maelstrom reads it.
        assert_eq!(edn("{\"echo\":\"a\tb\"}"), r#"{:echo "a\tb"}"#);
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
