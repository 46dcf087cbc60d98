//! Stage 4: check each line a node prints, as Maelstrom would.
//!
//! [`parse_reply`] reads one stdout line: it must be one JSON object (RFC 8259, UTF-8)
//! under Maelstrom's closed schemas: the top level holds only `src`, `dest`, `body` and
//! `id`; an `echo_ok` body only `type`, `echo`, `in_reply_to` and `msg_id`; an `init_ok`
//! body only `type`, `in_reply_to` and `msg_id`; an `error` body only `type`, `code`,
//! `text`, `in_reply_to` and `msg_id`. The reader validates the whole line in one pass and
//! keeps byte spans of the fields, so a reply costs no allocation.
//!
//! [`same_value`] is Maelstrom's equality for the echo payload (Clojure's `=` on what
//! Jackson reads): an integer and a float are different values, integers compare exactly
//! at any size, floats as doubles, strings by their decoded text, arrays and objects
//! deeply. The payload's bytes equal to what was sent settle it at once; only different
//! bytes are parsed and compared as values.

use std::borrow::Cow;

/// The deepest nesting read in a reply.
const MAX_DEPTH: usize = 1024;

/// A range of byte positions in a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn of<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start..self.end]
    }
}

/// A reply's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    EchoOk,
    InitOk,
    Error,
}

/// A well-formed reply, as spans of its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The `src` string token (quotes included).
    pub src: Span,
    /// The `dest` string token (quotes included).
    pub dest: Span,
    pub kind: Kind,
    /// The `echo` value (`echo_ok` only).
    pub echo: Option<Span>,
    /// The `in_reply_to` integer token.
    pub in_reply_to: Span,
    /// The node's own `msg_id` integer token, if it sent one.
    pub msg_id: Option<Span>,
    /// The error `code` integer token (`error` only).
    pub code: Option<Span>,
}

/// Why a line is not a well-formed reply.
pub type Fault = String;

/// Reads `line` as a reply under Maelstrom's closed schemas.
pub fn parse_reply(line: &[u8]) -> Result<Reply, Fault> {
    std::str::from_utf8(line).map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    let mut r = Reader { line, i: 0 };
    let (mut src, mut dest, mut body) = (None, None, None);
    r.object(|r, key| {
        match &*key {
            "src" => src = Some(r.string_token()?),
            "dest" => dest = Some(r.string_token()?),
            "id" => {
                r.integer_token()?;
            }
            "body" => body = Some(r.body()?),
            other => {
                return Err(format!(
                    "unexpected top-level key {other:?} (Maelstrom allows src, dest, body, id)"
                ));
            }
        }
        Ok(())
    })?;
    r.ws();
    if r.i != line.len() {
        return Err(format!("trailing characters at byte {}", r.i + 1));
    }
    let src = src.ok_or("no src")?;
    let dest = dest.ok_or("no dest")?;
    let body = body.ok_or("no body")?;
    Ok(Reply { src, dest, ..body })
}

/// A one-pass validating reader over a line.
struct Reader<'a> {
    line: &'a [u8],
    /// Next byte to read; a valid sliceable index.
    i: usize,
}

impl<'a> Reader<'a> {
    fn ws(&mut self) {
        while self.i < self.line.len() && matches!(self.line[self.i], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.i += 1;
        }
    }

    fn fault<T>(&self, what: &str) -> Result<T, Fault> {
        Err(format!("{what} at byte {}", self.i + 1))
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.line.get(self.i).copied()
    }

    fn expect(&mut self, b: u8) -> Result<(), Fault> {
        if self.peek() != Some(b) {
            return self.fault(&format!("expected '{}'", b as char));
        }
        self.i += 1;
        Ok(())
    }

    /// Reads an object, calling `member` with each key (decoded) and the reader on its
    /// value, which `member` must read.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            let key = self.string_token()?;
            let key = decode_string(key.of(self.line))?;
            self.expect(b':')?;
            member(self, key)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.fault("expected ',' or '}'"),
            }
        }
    }

    /// Reads the body object.
    fn body(&mut self) -> Result<Reply, Fault> {
        let mut type_ = None;
        let mut reply = Reply {
            src: Span::default(),
            dest: Span::default(),
            kind: Kind::Error,
            echo: None,
            in_reply_to: Span::default(),
            msg_id: None,
            code: None,
        };
        let mut in_reply_to = None;
        let mut text = false;
        let mut unknown: Option<String> = None;
        self.object(|r, key| {
            match &*key {
                "type" => type_ = Some(decode_string(r.string_token()?.of(r.line))?.into_owned()),
                "echo" => reply.echo = Some(r.value(0)?),
                "in_reply_to" => in_reply_to = Some(r.integer_token()?),
                "msg_id" => reply.msg_id = Some(r.integer_token()?),
                "code" => reply.code = Some(r.integer_token()?),
                "text" => {
                    r.string_token()?;
                    text = true;
                }
                other => {
                    unknown.get_or_insert_with(|| other.to_owned());
                    r.value(0)?;
                }
            }
            Ok(())
        })?;
        let type_ = type_.ok_or("no type in the body")?;
        let (kind, allowed): (Kind, &str) = match type_.as_str() {
            "echo_ok" => (Kind::EchoOk, "type, echo, in_reply_to, msg_id"),
            "init_ok" => (Kind::InitOk, "type, in_reply_to, msg_id"),
            "error" => (Kind::Error, "type, code, text, in_reply_to, msg_id"),
            other => {
                return Err(format!(
                    "reply type {other:?} is not echo_ok, init_ok or error"
                ));
            }
        };
        let extra = match kind {
            Kind::EchoOk => unknown
                .or(reply.code.map(|_| "code".into()))
                .or(text.then(|| "text".into())),
            Kind::InitOk => unknown
                .or(reply.echo.map(|_| "echo".into()))
                .or(reply.code.map(|_| "code".into()))
                .or(text.then(|| "text".into())),
            Kind::Error => unknown.or(reply.echo.map(|_| "echo".into())),
        };
        if let Some(key) = extra {
            return Err(format!(
                "unexpected key {key:?} in a {type_} body (Maelstrom allows {allowed})"
            ));
        }
        if kind == Kind::EchoOk && reply.echo.is_none() {
            return Err("echo_ok without echo".into());
        }
        if kind == Kind::Error && reply.code.is_none() {
            return Err("error without code".into());
        }
        reply.kind = kind;
        reply.in_reply_to = in_reply_to.ok_or_else(|| format!("{type_} without in_reply_to"))?;
        Ok(reply)
    }

    /// Reads a string token; returns its span, quotes included.
    fn string_token(&mut self) -> Result<Span, Fault> {
        if self.peek() != Some(b'"') {
            return self.fault("expected a string");
        }
        let start = self.i;
        self.i += 1;
        loop {
            let Some(&b) = self.line.get(self.i) else {
                return self.fault("unterminated string");
            };
            match b {
                b'"' => {
                    self.i += 1;
                    return Ok(Span { start, end: self.i });
                }
                b'\\' => match self.line.get(self.i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                    Some(b'u')
                        if self
                            .line
                            .get(self.i + 2..self.i + 6)
                            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                    {
                        self.i += 6
                    }
                    _ => return self.fault("invalid escape"),
                },
                0..=0x1f => return self.fault("control character in a string"),
                _ => self.i += 1,
            }
        }
    }

    /// Reads a number token that must be an integer.
    fn integer_token(&mut self) -> Result<Span, Fault> {
        let span = self.value(0)?;
        let token = span.of(self.line);
        let integer = token
            .first()
            .is_some_and(|b| *b == b'-' || b.is_ascii_digit())
            && !token.iter().any(|b| b".eE".contains(b));
        if !integer {
            self.i = span.start;
            return self.fault("expected an integer");
        }
        Ok(span)
    }

    /// Reads any value; returns its span.
    fn value(&mut self, depth: usize) -> Result<Span, Fault> {
        if depth > MAX_DEPTH {
            return self.fault("nested too deep");
        }
        let Some(b) = self.peek() else {
            return self.fault("expected a value");
        };
        let start = self.i;
        match b {
            b'"' => return self.string_token(),
            b'{' => self.object(|r, _| r.value(depth + 1).map(drop))?,
            b'[' => {
                self.i += 1;
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.value(depth + 1)?;
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.fault("expected ',' or ']'"),
                        }
                    }
                }
            }
            b't' | b'f' | b'n' => {
                let word: &[u8] = match b {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !self.line[self.i..].starts_with(word) {
                    return self.fault("expected a value");
                }
                self.i += word.len();
            }
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return self.fault("expected a value"),
        }
        Ok(Span { start, end: self.i })
    }

    /// Reads a number token (RFC 8259 grammar).
    fn number(&mut self) -> Result<(), Fault> {
        let digits = |r: &mut Self| {
            let from = r.i;
            while r.line.get(r.i).is_some_and(u8::is_ascii_digit) {
                r.i += 1;
            }
            r.i > from
        };
        if self.line[self.i] == b'-' {
            self.i += 1;
        }
        match self.line.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return self.fault("invalid number"),
        }
        if self.line.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                return self.fault("invalid number");
            }
        }
        if matches!(self.line.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.line.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return self.fault("invalid number");
            }
        }
        Ok(())
    }
}

/// The text of a string token (quotes included): borrowed when it has no escapes.
pub fn decode_string(token: &[u8]) -> Result<Cow<'_, str>, Fault> {
    let inner = &token[1..token.len() - 1];
    if memchr::memchr(b'\\', inner).is_none() {
        return std::str::from_utf8(inner)
            .map(Cow::Borrowed)
            .map_err(|e| e.to_string());
    }
    serde_json::from_slice::<String>(token)
        .map(Cow::Owned)
        .map_err(|e| format!("invalid string: {e}"))
}

/// Parses an integer token as a u64, if it is one that fits.
pub fn integer_u64(token: &[u8]) -> Option<u64> {
    if token.len() > 1 && token[0] == b'0' {
        return None;
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// Maelstrom's equality of two JSON texts (see the module docs). Equal bytes are equal;
/// otherwise both are parsed and compared as values.
pub fn same_value(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => same(&a, &b),
        _ => false,
    }
}

fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => same_number(&a.to_string(), &b.to_string()),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        (a, b) => a == b,
    }
}

/// Jackson reads an integer as an exact integer (long or BigInteger) and anything with a
/// fraction or exponent as a double; Clojure's `=` never equates the two kinds.
fn same_number(a: &str, b: &str) -> bool {
    let is_float = |n: &str| n.contains(['.', 'e', 'E']);
    match (is_float(a), is_float(b)) {
        (false, false) => {
            let canonical = |n: &str| {
                let (negative, digits) = n.strip_prefix('-').map_or((false, n), |d| (true, d));
                let digits = digits.trim_start_matches('0');
                match digits {
                    "" => "0".to_owned(),
                    d if negative => format!("-{d}"),
                    d => d.to_owned(),
                }
            };
            canonical(a) == canonical(b)
        }
        (true, true) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

/// The `msg_id`s a node has used, to check that none repeats. A counter's ids (small and
/// dense) go in a bitmap; any others in sets.
#[derive(Debug, Default)]
pub struct UniqueIds {
    bits: Vec<u64>,
    sparse: std::collections::HashSet<u64>,
    other: std::collections::HashSet<Vec<u8>>,
}

/// Ids below this go in the bitmap (at most 8 MiB of it).
const DENSE: u64 = 1 << 26;

impl UniqueIds {
    /// Records the integer token `id`; false if it was seen before.
    pub fn insert(&mut self, id: &[u8]) -> bool {
        match integer_u64(id) {
            Some(n) if n < DENSE => {
                let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
                if self.bits.len() <= word {
                    self.bits.resize((word + 1).next_power_of_two(), 0);
                }
                let fresh = self.bits[word] & bit == 0;
                self.bits[word] |= bit;
                fresh
            }
            Some(n) => self.sparse.insert(n),
            None => self.other.insert(id.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(line: &str) -> Result<Reply, Fault> {
        parse_reply(line.as_bytes())
    }

    #[test]
    fn reads_an_echo_ok_in_any_key_order_and_whitespace() {
        let line = r#" { "body" : {"msg_id":3, "echo":{"a":[1,"x"]},"in_reply_to":12,"type":"echo_ok"} ,"dest":"c1","src":"n1","id":5 } "#;
        let r = reply(line).expect("well-formed");
        assert_eq!(r.kind, Kind::EchoOk);
        assert_eq!(r.src.of(line.as_bytes()), br#""n1""#);
        assert_eq!(r.dest.of(line.as_bytes()), br#""c1""#);
        assert_eq!(
            r.echo.map(|s| s.of(line.as_bytes())),
            Some(&br#"{"a":[1,"x"]}"#[..])
        );
        assert_eq!(integer_u64(r.in_reply_to.of(line.as_bytes())), Some(12));
        assert_eq!(r.msg_id.map(|s| s.of(line.as_bytes())), Some(&b"3"[..]));
    }

    #[test]
    fn closed_schemas_and_json_faults_are_named() {
        let cases = [
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":1,"in_reply_to":1},"x":1}"#,
                "unexpected top-level key \"x\"",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":1,"in_reply_to":1,"extra":2}}"#,
                "unexpected key \"extra\" in a echo_ok body",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"init_ok","echo":1,"in_reply_to":1}}"#,
                "unexpected key \"echo\" in a init_ok body",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","in_reply_to":1}}"#,
                "echo_ok without echo",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":1}}"#,
                "echo_ok without in_reply_to",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":1,"in_reply_to":1.0}}"#,
                "expected an integer",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo","echo":1,"in_reply_to":1}}"#,
                "is not echo_ok, init_ok or error",
            ),
            (
                r#"{"dest":"c1","body":{"type":"echo_ok","echo":1,"in_reply_to":1}}"#,
                "no src",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":1,"in_reply_to":1}} x"#,
                "trailing characters",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":01,"in_reply_to":1}}"#,
                "expected ',' or '}'",
            ),
            ("garbage", "expected '{'"),
            ("", "expected '{'"),
        ];
        for (line, fault) in cases {
            let got = reply(line).expect_err(line);
            assert!(got.contains(fault), "{line}: {got}");
        }
        assert!(
            parse_reply(b"{\"src\":\"\xff\"}")
                .expect_err("utf-8")
                .contains("invalid UTF-8")
        );
    }

    #[test]
    fn error_replies_are_read() {
        let r = reply(r#"{"src":"n1","dest":"c1","body":{"type":"error","code":13,"text":"boom","in_reply_to":4,"msg_id":0}}"#).expect("error");
        assert_eq!(r.kind, Kind::Error);
    }

    #[test]
    fn msg_ids_must_not_repeat() {
        let mut ids = UniqueIds::default();
        for id in ["0", "1", "70000000", "18446744073709551616", "-3"] {
            assert!(ids.insert(id.as_bytes()), "{id}");
        }
        for id in ["0", "1", "70000000", "18446744073709551616", "-3"] {
            assert!(!ids.insert(id.as_bytes()), "{id} again");
        }
    }

    #[test]
    fn maelstrom_equality() {
        for (a, b, equal) in [
            ("1", "1", true),
            ("1", "1.0", false),
            ("1.0", "1.00", true),
            ("1e2", "100.0", true),
            ("100", "1e2", false),
            ("-0", "0", true),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
                true,
            ),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567891",
                false,
            ),
            ("1e400", "2e400", true), // both read as Infinity by Jackson
            (r#""\u00e9""#, "\"\u{e9}\"", true),
            (
                r#"{"a":1,"b":[true,null]}"#,
                r#"{ "b" : [true,null], "a":1 }"#,
                true,
            ),
            (r#"{"a":1}"#, r#"{"a":1,"b":2}"#, false),
            ("[1,2]", "[2,1]", false),
            ("\"x\"", "\"y\"", false),
        ] {
            assert_eq!(same_value(a.as_bytes(), b.as_bytes()), equal, "{a} vs {b}");
        }
    }
}
