//! JSON's lexical grammar (RFC 8259, sections 2, 6 and 7), one token at a time.
//!
//! Each reader takes a line and the index of a token's first byte, and returns the index
//! just past the token, or the [`TokenError`] that stops it: where, and what is wrong in plain
//! words. The structure around tokens (objects, arrays, nesting) is the caller's: the
//! node's diagnosis and the driver's reply checker walk it each their own way.
//!
//! Strings take any `\u` escape of four hex digits, lone surrogates (`\ud800`) included:
//! the grammar has them, and Jackson, Maelstrom's reader, takes them.

/// The deepest nesting echo-node and echo-load read: 1024 levels, the top-level value
/// being level 1 (simd-json's limit, which the node's parser has).
pub const MAX_DEPTH: usize = 1024;

/// What stops a token: its byte index in the line, and what is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenError {
    /// Byte index of the fault (the line's length for "unexpected end of line").
    pub at: usize,
    /// What is wrong, in plain words (printable ASCII).
    pub what: &'static str,
}

fn fault<T>(at: usize, what: &'static str) -> Result<T, TokenError> {
    Err(TokenError { at, what })
}

/// JSON's four whitespace bytes: space, tab, line feed, carriage return.
pub fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first byte at or after `i` that is not whitespace (or the line's
/// length).
pub fn skip_whitespace(line: &[u8], mut i: usize) -> usize {
    while line.get(i).copied().is_some_and(is_whitespace) {
        i += 1;
    }
    i
}

/// Reads the string token that starts at `line[start] == b'"'`; returns the index just
/// past its closing quote.
pub fn string(line: &[u8], start: usize) -> Result<usize, TokenError> {
    scan_string(line, start, false)
}

/// [`string`], but a control character (U+0000 to U+001F) may stand in the string
/// unescaped, as Maelstrom's JSON reader allows (cheshire's default factory turns on
/// Jackson's `ALLOW_UNQUOTED_CONTROL_CHARS`).
pub fn string_allowing_controls(line: &[u8], start: usize) -> Result<usize, TokenError> {
    scan_string(line, start, true)
}

/// Reads a string token, with or without unescaped control characters.
fn scan_string(line: &[u8], start: usize, controls: bool) -> Result<usize, TokenError> {
    debug_assert_eq!(line.get(start), Some(&b'"'));
    let mut i = start + 1;
    loop {
        let Some(&b) = line.get(i) else {
            return fault(i, "unexpected end of line in a string");
        };
        match b {
            b'"' => return Ok(i + 1),
            b'\\' => match line.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    if hex4(line, i + 2).is_none() {
                        return fault(i, "invalid \\u escape (four hex digits must follow)");
                    }
                    i += 6;
                }
                None => return fault(i, "unexpected end of line in a string"),
                Some(_) => return fault(i, "invalid escape in a string"),
            },
            0..=0x1f if !controls => {
                return fault(i, "control character in a string (it must be escaped)");
            }
            _ => i += 1,
        }
    }
}

/// Reads the number token that starts at `line[start]` (a `-` or a digit); returns the
/// index just past it.
pub fn number(line: &[u8], start: usize) -> Result<usize, TokenError> {
    let digit = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    if line.get(i) == Some(&b'-') {
        i += 1;
    }
    match line.get(i) {
        Some(b'0') => {
            i += 1;
            if digit(i) {
                return fault(i, "invalid number (no leading zeros)");
            }
        }
        Some(b'1'..=b'9') => {
            while digit(i) {
                i += 1;
            }
        }
        _ => return fault(i, "invalid number (a digit must follow '-')"),
    }
    if line.get(i) == Some(&b'.') {
        i += 1;
        if !digit(i) {
            return fault(i, "invalid number (a digit must follow '.')");
        }
        while digit(i) {
            i += 1;
        }
    }
    if matches!(line.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(line.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit(i) {
            return fault(i, "invalid number (the exponent needs digits)");
        }
        while digit(i) {
            i += 1;
        }
    }
    Ok(i)
}

/// Reads the literal (`true`, `false` or `null`) that starts at `line[start]`; returns
/// the index just past it.
pub fn literal(line: &[u8], start: usize) -> Result<usize, TokenError> {
    let word: &[u8] = match line.get(start) {
        Some(b't') => b"true",
        Some(b'f') => b"false",
        Some(b'n') => b"null",
        _ => return fault(start, "expected a value"),
    };
    if !line[start..].starts_with(word) {
        return fault(
            start,
            "expected a value (true, false and null are lowercase words)",
        );
    }
    Ok(start + word.len())
}

/// Whether a number token is an integer: no fraction, no exponent (Jackson reads it as
/// a long or a BigInteger, not a double).
pub fn is_integer(token: &[u8]) -> bool {
    token
        .first()
        .is_some_and(|b| *b == b'-' || b.is_ascii_digit())
        && !token.iter().any(|b| b".eE".contains(b))
}

/// The value of the four hex digits at `line[at..at + 4]`, if they are four hex digits.
pub fn hex4(line: &[u8], at: usize) -> Option<u32> {
    let digits = line.get(at..at + 4)?;
    digits
        .iter()
        .try_fold(0u32, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
}

/// A `\u` escape, as it stands in a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unicode {
    /// One escape of a character in the Basic Multilingual Plane (6 bytes).
    Single,
    /// A high and a low surrogate escape, together one character (12 bytes).
    Pair,
    /// A surrogate escape with no other half beside it (6 bytes): valid under the
    /// grammar, but no character.
    Lone,
}

impl Unicode {
    /// How many bytes of the line it takes.
    pub fn bytes(self) -> usize {
        match self {
            Unicode::Pair => 12,
            Unicode::Single | Unicode::Lone => 6,
        }
    }
}

/// The `\u` escape at `line[at]` (its backslash), if there is a valid one.
pub fn unicode(line: &[u8], at: usize) -> Option<Unicode> {
    if line.get(at..at + 2) != Some(b"\\u") {
        return None;
    }
    let unit = hex4(line, at + 2)?;
    let low = |u: u32| (0xdc00..0xe000).contains(&u);
    Some(match unit {
        0xd800..0xdc00 if line.get(at + 6..at + 8) == Some(b"\\u") => match hex4(line, at + 8) {
            Some(next) if low(next) => Unicode::Pair,
            _ => Unicode::Lone,
        },
        0xd800..0xe000 => Unicode::Lone,
        _ => Unicode::Single,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token reader.
    type Read = fn(&[u8], usize) -> Result<usize, TokenError>;

    #[test]
    fn tokens_end_where_they_should() {
        let cases: &[(&str, Read, usize)] = &[
            (r#""abc" x"#, string, 5),
            (r#""\"\\\/\b\f\n\r\t\u00e9" x"#, string, 24),
            (r#""\ud800" x"#, string, 8),
            (r#""\udc00\ud800" x"#, string, 14),
            ("-0.5e+10,", number, 8),
            ("0]", number, 1),
            ("123456789012345678901234567890 ", number, 30),
            ("true,", literal, 4),
            ("false]", literal, 5),
            ("null", literal, 4),
        ];
        for &(text, read, end) in cases {
            assert_eq!(read(text.as_bytes(), 0), Ok(end), "{text}");
        }
    }

    #[test]
    fn faults_say_what_and_where() {
        let cases: &[(&str, Read, usize, &str)] = &[
            (r#""abc"#, string, 4, "unexpected end of line in a string"),
            (r#""\x""#, string, 1, "invalid escape in a string"),
            (
                r#""\u12g4""#,
                string,
                1,
                "invalid \\u escape (four hex digits must follow)",
            ),
            (
                "\"a\tb\"",
                string,
                2,
                "control character in a string (it must be escaped)",
            ),
            ("01", number, 1, "invalid number (no leading zeros)"),
            ("-x", number, 1, "invalid number (a digit must follow '-')"),
            ("1.", number, 2, "invalid number (a digit must follow '.')"),
            (
                "1e+",
                number,
                3,
                "invalid number (the exponent needs digits)",
            ),
            ("True", literal, 0, "expected a value"),
            (
                "tru",
                literal,
                0,
                "expected a value (true, false and null are lowercase words)",
            ),
        ];
        for &(text, read, at, what) in cases {
            assert_eq!(
                read(text.as_bytes(), 0),
                Err(TokenError { at, what }),
                "{text}"
            );
        }
    }

    #[test]
    fn long_strings_are_read_many_bytes_at_a_time_to_the_same_ends_and_faults() {
        let plain = "x".repeat(1000);
        let ok = format!("\"{plain}\\n{plain}\" rest");
        assert_eq!(string(ok.as_bytes(), 0), Ok(2 * 1000 + 4));
        let control = format!("\"{plain}\u{1}{plain}\"");
        let fault = string(control.as_bytes(), 0).expect_err("a control character");
        assert_eq!(
            (fault.at, fault.what),
            (1001, "control character in a string (it must be escaped)")
        );
        assert_eq!(
            string_allowing_controls(control.as_bytes(), 0),
            Ok(control.len())
        );
        let open = format!("\"{plain}");
        assert_eq!(
            string(open.as_bytes(), 0).expect_err("unterminated").at,
            open.len()
        );
        let bad = format!("\"{plain}\\q\"");
        assert_eq!(string(bad.as_bytes(), 0).expect_err("bad escape").at, 1001);
    }

    #[test]
    fn unicode_escapes_are_told_apart() {
        assert_eq!(unicode(br"\u00e9", 0), Some(Unicode::Single));
        assert_eq!(unicode(br"\ud83d\ude00", 0), Some(Unicode::Pair));
        assert_eq!(unicode(br"\ud83d", 0), Some(Unicode::Lone));
        assert_eq!(unicode(br"\ud83d\u0041", 0), Some(Unicode::Lone));
        assert_eq!(unicode(br"\udc00\ud800", 0), Some(Unicode::Lone));
        assert_eq!(unicode(br"\uDFFF", 0), Some(Unicode::Lone));
        assert_eq!(unicode(br"\u12g4", 0), None);
        assert_eq!(unicode(br"\n", 0), None);
        assert_eq!(Unicode::Pair.bytes(), 12);
    }

    #[test]
    fn whitespace_is_json_s_four_bytes() {
        assert_eq!(skip_whitespace(b" \t\r\n x", 0), 5);
        assert!(!is_whitespace(0x0b) && !is_whitespace(0x0c));
        assert!(is_integer(b"-12") && !is_integer(b"1.0") && !is_integer(b"1e2"));
    }
}
