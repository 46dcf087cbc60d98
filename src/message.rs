//! Stage 2 of a message's path: parse a line into a [`Message`], a set of byte spans of
//! that line, or, for the request Maelstrom sends most, an [`EchoRequest`].
//!
//! simd-json validates the whole line (RFC 8259 grammar, UTF-8) and builds its tape; the
//! tape supplies the keys and the `type` already unescaped, so `{"\u0074ype":"echo"}` is
//! understood. The byte spans come from simd-json's stage-1 structural indexes, which are
//! positions in the line itself. Nothing is decoded that is later encoded again: `src`,
//! `msg_id` and the echo payload are spans of the original bytes, and the reply writes
//! those very bytes back.
//!
//! # The echo lane
//! An `echo` request laid out as Maelstrom lays one out (`id`, `src`, `dest`, then a
//! body of `echo`, `type` and `msg_id` in any order, the payload not an object or array)
//! has a tape of one shape. It is read at the known places of that shape, without a
//! [`Message`], and comes back as an [`EchoRequest`]: the four byte strings the reply
//! needs, which are the ones the general way would find (the unit tests read every test
//! line both ways and compare). Any other line, and a line read a second time with its
//! numbers made readable (below), goes the general way.
//!
//! # The one copy
//! simd-json unescapes strings *in place*: a string holding `\n` or `\u00e9` is
//! overwritten by its decoded form, and its original bytes are gone. A line without a
//! backslash (all of Maelstrom's own traffic) has nothing to unescape, so it is parsed
//! inside the line buffer and left untouched. A line with a backslash is parsed from a
//! reused scratch copy instead, so that the line itself, and with it every escape in the
//! payload, stays exactly as it arrived.
//!
//! # Lines simd-json rejects
//! When simd-json rejects a line, [`diagnosis::diagnose`] checks it against RFC 8259 and
//! names the first fault in plain words. If it finds none, the line is valid JSON that
//! simd-json refuses to read: a number beyond a double's range (`1e400`, a 400-digit
//! integer), which it cannot convert, or a lone surrogate escape (`"\ud800"`), which
//! it cannot decode. The node never needs a number's value or a string's text, only
//! their bytes, so the line is parsed once more from the scratch copy with every number
//! token overwritten by `0` and spaces and every lone surrogate escape by `\u0000` (same
//! lengths, so every span still points at the original bytes, which are what the reply
//! carries). Only such lines pay for the second parse; ordinary traffic never reaches
//! this path.

mod tape;

use std::fmt;

use simd_json::{Buffers, Tape};

use echo_wire::Span;
use echo_wire::json::{self, Unicode};

use crate::diagnosis::{self, Diagnosis};
use crate::line_buffer::PADDING;
use tape::{Echo, Raw, walk};

/// The request types this node answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestType {
    /// `init`: learn the node's id.
    Init,
    /// `echo`: send the payload back.
    Echo,
    /// Any other `type`: not supported.
    Other,
}

/// The body's `msg_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgId {
    /// No `msg_id` key.
    Absent,
    /// An integer (any size): the span of its digits, as `in_reply_to` will carry them.
    Integer(Span),
    /// Present but not an integer (a string, a fraction, `null`, ...).
    NotInteger(Span),
}

/// A message, as spans of the line it was parsed from. Every span of a JSON token covers
/// that token's exact bytes: string spans include the quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// The `src` string token.
    pub src: Span,
    /// The `dest` string token.
    pub dest: Span,
    /// What the body's `type` names.
    pub kind: RequestType,
    /// The body's `type` string token.
    pub type_: Span,
    /// The body's `msg_id`.
    pub msg_id: MsgId,
    /// The body's `echo` value, any JSON value.
    pub echo: Option<Span>,
    /// The body's `node_id`, when it is a string.
    pub node_id: Option<Span>,
    /// The body's `node_ids`, when it is an array of strings.
    pub node_ids: Option<Span>,
    /// True when the body has an `in_reply_to` key: the message is a response, whatever
    /// its `type`, and is never answered.
    pub response: bool,
}

/// An `echo` request laid out as Maelstrom lays one out, which the node answers with
/// `echo_ok`: what [`Parser`] reads without going through a [`Message`]. Each field is
/// the bytes of the line that the [`Message`]'s span would cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EchoRequest<'a> {
    /// The `src` string token.
    pub src: &'a [u8],
    /// The `dest` string token.
    pub dest: &'a [u8],
    /// The body's `msg_id`, an integer.
    pub msg_id: &'a [u8],
    /// The body's `echo` value: a string, number or literal.
    pub echo: &'a [u8],
}

/// A line, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// The request Maelstrom sends most: an `echo` in its own layout
    /// (`{"id":ID,"src":S,"dest":D,"body":{...}}`, the body's keys `echo`, `type` and
    /// `msg_id` in any order), `msg_id` an integer, and a payload that is not an
    /// object or array.
    Echo(EchoRequest<'a>),
    /// Any other message.
    Message(Message),
}

impl Parsed<'_> {
    /// The message, whichever way it was read, its spans in the line that starts at
    /// `line` and which it was parsed from. An [`EchoRequest`] has no `type` span: the
    /// message's is empty.
    #[cfg(test)]
    pub fn into_message(self, line: *const u8) -> Message {
        let span = |bytes: &[u8]| {
            let start = bytes.as_ptr() as usize - line as usize;
            Span::new(start, start + bytes.len())
        };
        match self {
            Parsed::Echo(echo) => Message {
                src: span(echo.src),
                dest: span(echo.dest),
                kind: RequestType::Echo,
                type_: Span { start: 0, end: 0 },
                msg_id: MsgId::Integer(span(echo.msg_id)),
                echo: Some(span(echo.echo)),
                node_id: None,
                node_ids: None,
                response: false,
            },
            Parsed::Message(message) => message,
        }
    }
}

/// Why a line is not a message.
#[derive(Debug)]
pub enum ParseError {
    /// The line is not valid JSON (or not UTF-8): where and why.
    Invalid(Diagnosis),
    /// Valid JSON that simd-json could not read even with its numbers blanked; cannot
    /// happen as far as the tests and the fuzzer know, and reported rather than hidden.
    Unreadable,
    /// Valid JSON, but not an object.
    NotAnObject,
    /// A mandatory field is missing.
    Missing(&'static str),
    /// A mandatory field has the wrong kind of value.
    Wrong {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// simd-json's tape and structural indexes disagree; cannot happen for a document
    /// simd-json accepted, and reported rather than trusted.
    Inconsistent,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Invalid(fault) => fault.fmt(f),
            ParseError::Unreadable => {
                f.write_str("valid JSON that the parser cannot read (please report)")
            }
            ParseError::NotAnObject => f.write_str("not a JSON object"),
            ParseError::Missing(field) => write!(f, "no `{field}` field"),
            ParseError::Wrong { field, expected } => write!(f, "`{field}` is not {expected}"),
            ParseError::Inconsistent => f.write_str("parser state inconsistent (please report)"),
        }
    }
}

impl std::error::Error for ParseError {}

/// A reusable parser: after the first few lines it allocates nothing.
pub struct Parser {
    /// simd-json's working memory, reused from line to line.
    buffers: Buffers,
    /// The tape, kept empty between lines so it can carry the `'static` lifetime;
    /// each parse gives it the lifetime of the line it parses (`Tape::reset`).
    tape: Tape<'static>,
    /// Where a line holding a backslash is copied to be parsed (see the module docs).
    scratch: Vec<u8>,
    /// The longest line parsed since the buffers were last made anew: simd-json's working
    /// memory grows with it (its string buffer to the line's length, its indexes with the
    /// line's structural characters), and cannot be asked its capacity.
    longest: usize,
}

/// The longest line whose parse leaves the parser at its usual size: what the line buffer
/// holds before it grows.
const USUAL_LINE: usize = crate::line_buffer::DEFAULT_CAPACITY;

/// The most tape entries (one for each value in a line) the parser keeps between lines:
/// a few thousand values, far more than any Maelstrom message has.
const USUAL_TAPE: usize = 4096;

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Parser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser")
            .field("scratch_capacity", &self.scratch.capacity())
            .finish_non_exhaustive()
    }
}

impl Parser {
    /// A parser with simd-json's default nesting limit (1024 levels).
    pub fn new() -> Self {
        Self {
            buffers: Buffers::new(4096),
            tape: Tape(Vec::new()),
            scratch: Vec::new(),
            longest: 0,
        }
    }

    /// If a line longer than 64 KiB (`USUAL_LINE`) or with more than 4,096 values
    /// (`USUAL_TAPE`) grew it, gives back all the memory it holds (simd-json's working memory, the tape, the
    /// scratch copy), and the next line starts afresh; true if it did. Otherwise does
    /// nothing, so ordinary lines never make it allocate.
    pub fn shrink(&mut self) -> bool {
        if self.longest <= USUAL_LINE
            && self.tape.0.capacity() <= USUAL_TAPE
            && self.scratch.capacity() <= USUAL_LINE + PADDING
        {
            return false;
        }
        *self = Self::new();
        true
    }

    /// [`Parser::parse_known`], the line searched for a backslash here.
    #[cfg(test)]
    pub fn parse<'a>(
        &mut self,
        padded: &'a mut [u8],
        len: usize,
    ) -> Result<Parsed<'a>, ParseError> {
        let has_backslash = padded
            .get(..len)
            .is_some_and(|line| memchr::memchr(b'\\', line).is_some());
        self.parse_known(padded, len, has_backslash)
    }

    /// [`Parser::parse`], every line read the general way, as a [`Message`].
    #[cfg(test)]
    pub fn parse_general(&mut self, padded: &mut [u8], len: usize) -> Result<Message, ParseError> {
        let has_backslash = padded
            .get(..len)
            .is_some_and(|line| memchr::memchr(b'\\', line).is_some());
        match self.parse_lane(padded, len, has_backslash, Lane::General)? {
            Parsed::Message(message) => Ok(message),
            Parsed::Echo(_) => Err(ParseError::Inconsistent),
        }
    }

    /// Parses `padded[..len]` as a message. `padded` must extend at least [`PADDING`]
    /// bytes past `len` (else [`ParseError::Inconsistent`]). The line's bytes are left as
    /// they were; padding bytes are read but never changed. The line is known to hold a
    /// backslash or not, as the line buffer tells ([`Line::has_backslash`](crate::line_buffer::Line::has_backslash)), which it
    /// then need not search for. `has_backslash` must be true for a line that holds one:
    /// such a line is parsed from a copy, and given false it would be parsed in place,
    /// where simd-json unescapes its strings over their original bytes.
    pub(crate) fn parse_known<'a>(
        &mut self,
        padded: &'a mut [u8],
        len: usize,
        has_backslash: bool,
    ) -> Result<Parsed<'a>, ParseError> {
        self.parse_lane(padded, len, has_backslash, Lane::Echo)
    }

    /// [`Parser::parse_known`], reading the line only the ways `lane` allows.
    #[inline(always)]
    fn parse_lane<'a>(
        &mut self,
        padded: &'a mut [u8],
        len: usize,
        has_backslash: bool,
        lane: Lane,
    ) -> Result<Parsed<'a>, ParseError> {
        if padded.len() < len.saturating_add(PADDING) {
            return Err(ParseError::Inconsistent);
        }
        self.longest = self.longest.max(len);
        let walked = if has_backslash {
            copy_padded(&mut self.scratch, &padded[..len]);
            let scratch = &mut self.scratch;
            parse_tape(&mut self.buffers, &mut self.tape, scratch, len, lane)
        } else {
            parse_tape(&mut self.buffers, &mut self.tape, padded, len, lane)
        };
        let line = &padded[..len];
        let raw = match walked {
            Ok(Walked::Echo(echo)) => return Ok(Parsed::Echo(echo.finish(line))),
            Ok(Walked::Raw(raw)) => raw,
            Err(Rejected::Message(e)) => return Err(e),
            Err(Rejected::Json) => {
                if let Some(fault) = diagnosis::diagnose(line) {
                    return Err(ParseError::Invalid(fault));
                }
                // Valid JSON that simd-json cannot read: a number beyond a double's range
                // or a lone surrogate escape. The line is parsed again from a copy with
                // both made readable (see the module docs), and read the general way, as
                // the tape can no longer tell an integer `msg_id` from one that was not;
                // the spans still point into the untouched line.
                copy_padded(&mut self.scratch, line);
                make_readable(&mut self.scratch[..len]);
                let scratch = &mut self.scratch;
                match parse_tape(
                    &mut self.buffers,
                    &mut self.tape,
                    scratch,
                    len,
                    Lane::General,
                ) {
                    Ok(Walked::Raw(raw)) => raw,
                    Ok(Walked::Echo(_)) | Err(Rejected::Json) => {
                        return Err(ParseError::Unreadable);
                    }
                    Err(Rejected::Message(e)) => return Err(e),
                }
            }
        };
        raw.finish(line).map(Parsed::Message)
    }
}

/// Why [`parse_tape`] gave up.
enum Rejected {
    /// simd-json rejected the line.
    Json,
    /// The line is JSON but not a message.
    Message(ParseError),
}

/// Which ways [`parse_tape`] may read a document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// As an [`Echo`] if it is one, else the general way.
    Echo,
    /// Only the general way.
    General,
}

/// What [`parse_tape`] read.
enum Walked {
    /// An echo request laid out as Maelstrom lays it out.
    Echo(Echo),
    /// Any other message, read the general way.
    Raw(Raw),
}

/// Runs simd-json on `input[..len]` (padded) and walks its tape: an echo request laid out
/// as Maelstrom lays it out comes back as an [`Echo`] (given [`Lane::Echo`]), any other
/// message as a [`Raw`]. `tape` is left empty, so that it can keep its `'static` lifetime
/// between lines.
///
/// Always inlined: with `fill_tape_padded` called from each of `parse`'s call sites, LLVM
/// keeps simd-json's stage 2 out of line, which callgrind counts as 20 fewer instructions
/// per message than with it inlined into this function.
#[inline(always)]
fn parse_tape(
    buffers: &mut Buffers,
    tape: &mut Tape<'static>,
    input: &mut [u8],
    len: usize,
    lane: Lane,
) -> Result<Walked, Rejected> {
    let mut filled = std::mem::replace(tape, Tape(Vec::new())).reset();
    let result = match simd_json::fill_tape_padded(input, len, buffers, &mut filled) {
        Ok(()) => {
            let (nodes, structurals) = (&filled.0[..], buffers.structural_indexes());
            let echo = match lane {
                Lane::Echo => Echo::read(nodes, structurals),
                Lane::General => None,
            };
            match echo {
                Some(echo) => Ok(Walked::Echo(echo)),
                None => walk(nodes, structurals)
                    .map(Walked::Raw)
                    .map_err(Rejected::Message),
            }
        }
        Err(_) => Err(Rejected::Json),
    };
    *tape = filled.reset();
    result
}

/// Makes `scratch` a copy of `line` followed by [`PADDING`] spaces, reusing its memory.
fn copy_padded(scratch: &mut Vec<u8>, line: &[u8]) {
    scratch.clear();
    scratch.extend_from_slice(line);
    scratch.resize(line.len() + PADDING, b' ');
}

/// Makes a valid line simd-json can read, keeping its length and every token's place:
/// each number token becomes `0` and spaces, and each lone surrogate escape (a `\uD800`
/// to `\uDBFF` not followed by a `\uDC00` to `\uDFFF`, or such a low one alone)
/// becomes `\u0000`. Strings, keys included, keep every other byte.
fn make_readable(line: &mut [u8]) {
    let mut i = 0;
    let mut in_string = false;
    while i < line.len() {
        match (in_string, line[i]) {
            (true, b'\\') => match json::unicode(line, i) {
                Some(Unicode::Lone) => {
                    line[i + 2..i + 6].copy_from_slice(b"0000");
                    i += 6;
                }
                Some(escape) => i += escape.bytes(),
                None => i += 2, // the escaped byte is never a quote that ends the string
            },
            (true, b'"') | (false, b'"') => {
                in_string = !in_string;
                i += 1;
            }
            (false, b'-' | b'0'..=b'9') => {
                let end = json::number(line, i).unwrap_or(i + 1);
                line[i] = b'0';
                line[i + 1..end].fill(b' ');
                i = end;
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests;
