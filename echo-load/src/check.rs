//! Stage 4: read each line a node prints, as Maelstrom reads it.
//!
//! [`read_message`] reads one stdout line: it must be one JSON object (RFC 8259, UTF-8)
//! with a string `src` and `dest`, an object `body` and at most an integer `id` beside
//! them (net.clj's `Message` schema). The body is read loosely, as spans of the keys a
//! reply may hold, so the caller can apply Maelstrom's rules in its order: route by
//! `dest`, match by `in_reply_to`, and only then [`Body::check`] the reply's closed schema
//! (client.clj, `defrpc`). One pass over the line, and no allocation unless a key or
//! `type` has escapes. Its tokens are read by `echo_wire::json`, the one lexical grammar
//! the node's diagnostics read them with too.
//!
//! [`same_value`] is Maelstrom's equality for the echo payload (Clojure's `=` on what
//! Jackson reads): an integer and a float are different values, integers compare exactly
//! at any size, floats as doubles, strings by their decoded text, arrays and objects
//! deeply. The payload's bytes equal to what was sent settle it at once; only different
//! bytes are parsed and compared as values.

use std::borrow::Cow;

use echo_wire::{Span, json};

/// The deepest nesting read in a reply: a body's values are read from depth 0 (the
/// top-level object around them is not counted).
use echo_wire::json::MAX_DEPTH;

/// A message's type, as a reply's `type` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// `"echo_ok"`.
    EchoOk,
    /// `"init_ok"`.
    InitOk,
    /// `"error"`.
    Error,
    /// Any other string, or not a string.
    Other,
}

/// A Maelstrom message, as spans of its line: its envelope checked, its body read loosely
/// (which keys it has, as spans of their values), so the caller can apply Maelstrom's
/// rules in Maelstrom's order: route by `dest`, match by `in_reply_to`, then the reply's
/// schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// The `src` string token (quotes included).
    pub src: Span,
    /// The `dest` string token (quotes included).
    pub dest: Span,
    /// Its body's reserved and reply keys.
    pub body: Body,
    /// Its body's value, when it has one that is not `null` (an object).
    pub body_span: Option<Span>,
}

/// The keys of a body that matter to a reply, each the span of its value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Body {
    /// `type`.
    pub type_: Option<Span>,
    /// `in_reply_to`.
    pub in_reply_to: Option<Span>,
    /// `msg_id`.
    pub msg_id: Option<Span>,
    /// `echo`.
    pub echo: Option<Span>,
    /// `code` (an error's).
    pub code: Option<Span>,
    /// `text` (an error's).
    pub text: Option<Span>,
    /// The first key that is none of the above (its string token).
    pub other: Option<Span>,
}

/// Which reply schema to check a body against (client.clj, `defrpc`: the RPC's keys plus
/// `in_reply_to`, an integer, and an optional integer `msg_id`; no other key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// `{type: "echo_ok", echo: any}` (workload/echo.clj).
    EchoOk,
    /// `{type: "init_ok"}`.
    InitOk,
}

/// Why a line is not what Maelstrom reads, in words (with the byte it went wrong at,
/// where there is one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError(String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

/// What the reader below works with; made a [`ReadError`] where it leaves this module.
type Fault = String;

/// Reads `line` (UTF-8: the caller has made it so) as a Maelstrom message, as
/// process.clj's `parse-msg` does with cheshire: one JSON object, whatever follows it on
/// the line ignored, holding only `src` and `dest` (strings), `body` (an object; missing or
/// `null`, an empty one) and optionally `id` (an integer), as net.clj's `Message` schema
/// requires.
pub fn read_message(line: &[u8]) -> Result<Message, ReadError> {
    read(line).map_err(ReadError)
}

fn read(line: &[u8]) -> Result<Message, Fault> {
    let mut r = Reader {
        line,
        i: 0,
        key: Span::new(0, 0),
    };
    let (mut src, mut dest, mut body, mut body_span) = (None, None, None, None);
    r.object(|r, key| {
        match key {
            b"src" => src = Some(r.string_token()?),
            b"dest" => dest = Some(r.string_token()?),
            b"id" => {
                r.integer_token()?;
            }
            b"body" if r.peek() == Some(b'n') => {
                // `null`: an empty body, as keywordize-keys-1 makes of it.
                r.value(0)?;
                body = Some(Body::default());
                body_span = None;
            }
            b"body" => {
                let start = r.i;
                body = Some(r.body()?);
                body_span = Some(Span::new(start, r.i));
            }
            other => {
                return Err(format!(
                    "unexpected top-level key {:?} (Maelstrom allows src, dest, body, id)",
                    String::from_utf8_lossy(other)
                ));
            }
        }
        Ok(())
    })?;
    // cheshire's parse-string reads one value; what follows it is never looked at.
    Ok(Message {
        src: src.ok_or("no src")?,
        dest: dest.ok_or("no dest")?,
        body: body.unwrap_or_default(),
        body_span,
    })
}

impl Body {
    /// What its `type` says.
    pub fn type_of(&self, line: &[u8]) -> Type {
        let Some(token) = self.type_.map(|s| s.of(line)) else {
            return Type::Other;
        };
        if string_is(token, "echo_ok") {
            Type::EchoOk
        } else if string_is(token, "init_ok") {
            Type::InitOk
        } else if string_is(token, "error") {
            Type::Error
        } else {
            Type::Other
        }
    }

    /// Checks it against `schema`'s closed map.
    pub fn check(&self, line: &[u8], schema: Schema) -> Result<(), ReadError> {
        self.closed(line, schema).map_err(ReadError)
    }

    fn closed(&self, line: &[u8], schema: Schema) -> Result<(), Fault> {
        let (name, allowed, type_) = match schema {
            Schema::EchoOk => ("echo_ok", "type, echo, in_reply_to, msg_id", Type::EchoOk),
            Schema::InitOk => ("init_ok", "type, in_reply_to, msg_id", Type::InitOk),
        };
        let Some(token) = self.type_.map(|s| s.of(line)) else {
            return Err("no type in the body".into());
        };
        if self.type_of(line) != type_ {
            return Err(format!(
                "type is {}, not {name}",
                String::from_utf8_lossy(token)
            ));
        }
        let extra = self
            .other
            .map(|s| String::from_utf8_lossy(s.of(line)).into_owned())
            .or(self.code.map(|_| "\"code\"".into()))
            .or(self.text.map(|_| "\"text\"".into()))
            .or((schema == Schema::InitOk && self.echo.is_some()).then(|| "\"echo\"".into()));
        if let Some(key) = extra {
            return Err(format!(
                "unexpected key {key} in an {name} body (Maelstrom allows {allowed})"
            ));
        }
        if schema == Schema::EchoOk && self.echo.is_none() {
            return Err("echo_ok without echo".into());
        }
        match self.in_reply_to.map(|s| s.of(line)) {
            None => return Err(format!("{name} without in_reply_to")),
            Some(t) if !is_integer(t) => return Err("in_reply_to is not an integer".into()),
            Some(_) => {}
        }
        if let Some(t) = self.msg_id.map(|s| s.of(line))
            && !is_integer(t)
        {
            return Err("msg_id is not an integer".into());
        }
        Ok(())
    }
}

/// Whether a JSON value token is an integer (Jackson reads it as a long or a BigInteger).
pub use echo_wire::json::is_integer;

/// Whether the string token `token` (quotes included) reads as `text`; any other value is
/// not. No allocation unless the token has escapes.
pub fn string_is(token: &[u8], text: &str) -> bool {
    if token.len() < 2 || token[0] != b'"' {
        return false;
    }
    let inner = &token[1..token.len() - 1];
    if memchr::memchr(b'\\', inner).is_none() {
        return inner == text.as_bytes();
    }
    decode_string(token).is_ok_and(|s| s == text)
}

/// A one-pass validating reader over a line.
struct Reader<'a> {
    line: &'a [u8],
    /// Next byte to read; a valid sliceable index.
    i: usize,
    /// The token of the key whose value is being read.
    key: Span,
}

impl<'a> Reader<'a> {
    fn ws(&mut self) {
        self.i = json::skip_whitespace(self.line, self.i);
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

    /// Reads an object, calling `member` with each key and the reader on its value, which
    /// `member` must read. A key without escapes is handed over as its bytes; one with
    /// escapes, decoded (rare, and the only allocation here).
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, &[u8]) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            let key = self.string_token()?;
            self.key = key;
            let token = key.of(self.line);
            let inner = &token[1..token.len() - 1];
            self.expect(b':')?;
            if memchr::memchr(b'\\', inner).is_none() {
                member(self, inner)?;
            } else {
                let decoded = decode(token)?;
                member(self, decoded.as_bytes())?;
            }
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

    /// Reads the body object, keeping the spans of the keys a reply may have.
    fn body(&mut self) -> Result<Body, Fault> {
        if self.peek() != Some(b'{') {
            return self.fault("body is not an object");
        }
        let mut body = Body::default();
        self.object(|r, key| {
            let value = r.value(0)?;
            let slot = match key {
                b"type" => &mut body.type_,
                b"in_reply_to" => &mut body.in_reply_to,
                b"msg_id" => &mut body.msg_id,
                b"echo" => &mut body.echo,
                b"code" => &mut body.code,
                b"text" => &mut body.text,
                _ => {
                    body.other.get_or_insert(r.key);
                    return Ok(());
                }
            };
            *slot = Some(value);
            Ok(())
        })?;
        Ok(body)
    }

    /// Reads a string token; returns its span, quotes included.
    fn string_token(&mut self) -> Result<Span, Fault> {
        if self.peek() != Some(b'"') {
            return self.fault("expected a string");
        }
        let start = self.i;
        // Maelstrom's reader takes control characters unescaped in a string.
        self.i = json::string_allowing_controls(self.line, start).map_err(|f| self.lexical(f))?;
        Ok(Span::new(start, self.i))
    }

    /// A fault of the lexical grammar, in this reader's words.
    fn lexical(&self, f: json::TokenError) -> Fault {
        format!("{} at byte {}", f.what, f.at + 1)
    }

    /// Reads a number token that must be an integer.
    fn integer_token(&mut self) -> Result<Span, Fault> {
        let span = self.value(0)?;
        if !is_integer(span.of(self.line)) {
            self.i = span.start();
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
                self.i = json::literal(self.line, self.i).map_err(|f| self.lexical(f))?;
            }
            b'-' | b'0'..=b'9' => {
                self.i = json::number(self.line, self.i).map_err(|f| self.lexical(f))?;
            }
            _ => return self.fault("expected a value"),
        }
        Ok(Span::new(start, self.i))
    }
}

/// The text of a string token (quotes included): borrowed when it has no escapes.
pub fn decode_string(token: &[u8]) -> Result<Cow<'_, str>, ReadError> {
    decode(token).map_err(ReadError)
}

fn decode(token: &[u8]) -> Result<Cow<'_, str>, Fault> {
    let inner = &token[1..token.len() - 1];
    if memchr::memchr(b'\\', inner).is_none() {
        return std::str::from_utf8(inner)
            .map(Cow::Borrowed)
            .map_err(|e| e.to_string());
    }
    serde_json::from_slice::<String>(&escape_controls(token))
        .map(Cow::Owned)
        .map_err(|e| format!("invalid string: {e}"))
}

/// `json` with every control character inside a string escaped as Maelstrom's writer
/// escapes it (`\t`, `\u0001`: [`echo_wire::frame::escape_controls`]), for a parser that
/// wants them escaped: Maelstrom's reader takes them as they are. Borrowed when there are
/// none.
pub fn escape_controls(json: &[u8]) -> Cow<'_, [u8]> {
    if !json.iter().any(|&b| b < 0x20) {
        return Cow::Borrowed(json);
    }
    let mut out = Vec::with_capacity(json.len() + 16);
    echo_wire::frame::escape_controls(&mut out, json);
    Cow::Owned(out)
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
        serde_json::from_slice::<serde_json::Value>(&escape_controls(a)),
        serde_json::from_slice::<serde_json::Value>(&escape_controls(b)),
    ) {
        (Ok(a), Ok(b)) => same(&a, &b),
        _ => false,
    }
}

/// Maelstrom's equality of two parsed JSON values (see [`same_value`]).
pub fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
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

#[cfg(test)]
mod tests;
