//! Stage 2's error path: why a line is not valid JSON, in plain words, and where.
//!
//! simd-json says *that* a line is invalid, but its error kinds read like parser internals
//! and its positions are often not where the problem is. When it rejects a line, the node
//! runs [`diagnose`], a small RFC 8259 checker that walks the line once and stops at the
//! first byte that cannot be JSON: its answer is what the diagnostic says. It runs only on
//! lines simd-json rejected, so ordinary traffic never pays for it, and it allocates nothing.
//!
//! The tokens (strings, numbers, literals, whitespace) are read by `echo_wire::json`, the
//! one lexical grammar echo-load's reply checker reads them with too; this file walks
//! the structure around them.
//!
//! [`diagnose`] finding no fault means the line *is* valid JSON that simd-json could not
//! parse (a number beyond a double's range, a lone surrogate escape); see `message.rs`
//! for what happens then.

use std::fmt;

use echo_wire::json;

pub use echo_wire::json::MAX_DEPTH;

/// The first fault in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// 1-based byte column of the fault (one past the end for "unexpected end of line").
    pub column: usize,
    /// What is wrong, in plain words (printable ASCII).
    pub what: &'static str,
}

impl From<json::TokenError> for Diagnosis {
    fn from(f: json::TokenError) -> Self {
        Diagnosis {
            column: f.at + 1,
            what: f.what,
        }
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not valid JSON: {} at column {}", self.what, self.column)
    }
}

/// What the checker expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Any value (after `:`, after `,` in an array, at the start).
    Value,
    /// A value or `]` (just after `[`).
    ValueOrClose,
    /// A key or `}` (just after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// `:` after a key.
    Colon,
    /// `,` or the end of the enclosing container, or the end of the line at top level.
    AfterValue,
}

/// The first fault that makes `line` not valid JSON (RFC 8259, nested at most
/// [`MAX_DEPTH`] levels; lone surrogate escapes are valid, as the RFC's grammar has them),
/// or `None` if it is valid JSON.
pub fn diagnose(line: &[u8]) -> Option<Diagnosis> {
    check(line).err()
}

/// A fault at byte index `at`.
fn fault<T>(at: usize, what: &'static str) -> Result<T, Diagnosis> {
    Err(Diagnosis {
        column: at + 1,
        what,
    })
}

// A state machine (what is expected next, the containers open), which reads better
// whole than split (over 100 lines by design).
fn check(line: &[u8]) -> Result<(), Diagnosis> {
    if line.starts_with("\u{feff}".as_bytes()) {
        return fault(0, "a byte-order mark (U+FEFF) before the message");
    }
    if let Err(e) = std::str::from_utf8(line) {
        return fault(e.valid_up_to(), "invalid UTF-8");
    }
    // One bit per open container, 1 for an object; MAX_DEPTH bits in all.
    let mut objects = [0u64; MAX_DEPTH / 64];
    let mut depth = 0usize;
    let in_object = |objects: &[u64; MAX_DEPTH / 64], depth: usize| {
        depth > 0 && objects[(depth - 1) / 64] & (1 << ((depth - 1) % 64)) != 0
    };
    let mut expect = Expect::Value;
    let mut i = 0;
    loop {
        i = json::skip_whitespace(line, i);
        let Some(&b) = line.get(i) else {
            return if depth == 0 && expect == Expect::AfterValue {
                Ok(())
            } else if line.iter().copied().all(json::is_whitespace) {
                fault(i, "no value on the line")
            } else {
                fault(i, "unexpected end of line")
            };
        };
        match expect {
            Expect::Value | Expect::ValueOrClose => match b {
                b'{' | b'[' => {
                    if depth == MAX_DEPTH {
                        return fault(i, "nested deeper than 1024 levels");
                    }
                    let bit = 1u64 << (depth % 64);
                    if b == b'{' {
                        objects[depth / 64] |= bit;
                        expect = Expect::KeyOrClose;
                    } else {
                        objects[depth / 64] &= !bit;
                        expect = Expect::ValueOrClose;
                    }
                    depth += 1;
                    i += 1;
                }
                b']' if expect == Expect::ValueOrClose => {
                    depth -= 1;
                    expect = Expect::AfterValue;
                    i += 1;
                }
                b'"' => {
                    i = json::string(line, i).map_err(Diagnosis::from)?;
                    expect = Expect::AfterValue;
                }
                b'-' | b'0'..=b'9' => {
                    i = json::number(line, i).map_err(Diagnosis::from)?;
                    expect = Expect::AfterValue;
                }
                b't' | b'f' | b'n' => {
                    i = json::literal(line, i).map_err(Diagnosis::from)?;
                    expect = Expect::AfterValue;
                }
                _ => return fault(i, "expected a value"),
            },
            Expect::KeyOrClose | Expect::Key => match b {
                b'"' => {
                    i = json::string(line, i).map_err(Diagnosis::from)?;
                    expect = Expect::Colon;
                }
                b'}' if expect == Expect::KeyOrClose => {
                    depth -= 1;
                    expect = Expect::AfterValue;
                    i += 1;
                }
                _ if expect == Expect::KeyOrClose => {
                    return fault(i, "expected a key (a string in double quotes) or '}'");
                }
                _ => return fault(i, "expected a key (a string in double quotes)"),
            },
            Expect::Colon => {
                if b != b':' {
                    return fault(i, "expected ':' after the key");
                }
                expect = Expect::Value;
                i += 1;
            }
            Expect::AfterValue => {
                if depth == 0 {
                    return fault(i, "trailing characters after the message");
                }
                let object = in_object(&objects, depth);
                match (b, object) {
                    (b',', true) => expect = Expect::Key,
                    (b',', false) => expect = Expect::Value,
                    (b'}', true) | (b']', false) => {
                        depth -= 1;
                        expect = Expect::AfterValue;
                    }
                    (_, true) => return fault(i, "expected ',' or '}'"),
                    (_, false) => return fault(i, "expected ',' or ']'"),
                }
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str) -> Option<(usize, &'static str)> {
        diagnose(line.as_bytes()).map(|f| (f.column, f.what))
    }

    #[test]
    fn valid_json_has_no_fault() {
        for line in [
            r#"{"src":"c1","dest":"n1","body":{"type":"echo","echo":[1,-2.5e+3,true,false,null,{}]}}"#,
            r#" { "a" : [ ] , "b" : "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00" } "#,
            "[]",
            "0",
            "-0.0e-0",
            "1e400",
            "\"日本\"",
            // Lone surrogates: valid under RFC 8259's grammar.
            r#"["\ud800","\udc00","\ud800\u0041","\udbff\ud800","x\uDFFFy"]"#,
        ] {
            assert_eq!(check(line), None, "{line}");
        }
    }

    #[test]
    fn each_fault_is_named_at_its_column() {
        let cases: &[(&str, usize, &str)] = &[
            ("hello", 1, "expected a value"),
            (r#"{"a":}"#, 6, "expected a value"),
            ("{", 2, "unexpected end of line"),
            ("", 1, "no value on the line"),
            (r#"{"a":1} x"#, 9, "trailing characters after the message"),
            (r#"{"a":1 "b":2}"#, 8, "expected ',' or '}'"),
            ("[1 2]", 4, "expected ',' or ']'"),
            (
                "{a:1}",
                2,
                "expected a key (a string in double quotes) or '}'",
            ),
            (
                r#"{"a":1,}"#,
                8,
                "expected a key (a string in double quotes)",
            ),
            (r#"{"a" 1}"#, 6, "expected ':' after the key"),
            ("[-]", 3, "invalid number (a digit must follow '-')"),
            ("[01]", 3, "invalid number (no leading zeros)"),
            ("[1.]", 4, "invalid number (a digit must follow '.')"),
            ("[1e+]", 5, "invalid number (the exponent needs digits)"),
            (
                "[\"a\tb\"]",
                4,
                "control character in a string (it must be escaped)",
            ),
            (r#"["\x"]"#, 3, "invalid escape in a string"),
            (
                r#"["\u12g4"]"#,
                3,
                "invalid \\u escape (four hex digits must follow)",
            ),
            (r#"["abc"#, 6, "unexpected end of line in a string"),
            (
                "\u{feff}{}",
                1,
                "a byte-order mark (U+FEFF) before the message",
            ),
            (
                "[tru]",
                2,
                "expected a value (true, false and null are lowercase words)",
            ),
        ];
        for &(line, column, what) in cases {
            assert_eq!(check(line), Some((column, what)), "{line:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_found_where_it_starts() {
        assert_eq!(
            diagnose(b"{\"a\":\"\xc3\x28\"}").map(|f| (f.column, f.what)),
            Some((7, "invalid UTF-8"))
        );
    }

    #[test]
    fn nesting_is_limited_to_1024_levels() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(check(&ok), None);
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            check(&deep),
            Some((MAX_DEPTH + 1, "nested deeper than 1024 levels"))
        );
        // Objects and arrays mixed past 64 levels keep their kinds straight.
        let mixed = format!("{}1{}", "{\"k\":[".repeat(100), "]}".repeat(100));
        assert_eq!(check(&mixed), None);
        let wrong = format!("{}1{}", "{\"k\":[".repeat(100), "}]".repeat(100));
        assert_eq!(check(&wrong).map(|f| f.1), Some("expected ',' or ']'"));
    }

    #[test]
    fn the_message_is_one_line_of_printable_ascii() {
        let f = diagnose(b"{\"a\":-\x1b[31mX}").expect("invalid");
        let text = f.to_string();
        assert_eq!(
            text,
            "not valid JSON: invalid number (a digit must follow '-') at column 7"
        );
        assert!(text.bytes().all(|b| b == b' ' || b.is_ascii_graphic()));
    }
}
