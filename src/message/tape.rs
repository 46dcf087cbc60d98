//! The tape walk: simd-json's tape and structural indexes of a parsed line, turned into the
//! byte spans of a [`Message`]. Stage 2 of a message's path with `message.rs`, which runs
//! simd-json and decides what to do when it refuses a line; this file reads what it
//! produced, without recursion and without reading the line's bytes but to trim a span's
//! trailing whitespace.
//!
//! Two ways: [`Echo::read`] takes the request Maelstrom sends most, an `echo` in
//! Maelstrom's own layout, whose tape has one shape, so that each span is at a known
//! index; [`walk`] reads any other message, key by key, whatever its layout.

use echo_wire::json;
use simd_json::{Node as TapeNode, StaticNode};

use echo_wire::Span;

use super::{EchoRequest, Message, MsgId, ParseError, RequestType};

/// A message as the walk finds it: span ends are the position of the next structural
/// character, so they may include trailing whitespace until [`Raw::finish`] trims it.
#[derive(Default)]
pub(crate) struct Raw {
    /// Each field: `None` if absent, else its span and whether it has the right kind.
    /// Later duplicates replace earlier ones, so kinds are judged once the walk is done.
    src: Option<(Span, bool)>,
    dest: Option<(Span, bool)>,
    /// `Some(true)` when the (last) `body` is an object.
    body: Option<bool>,
    kind: Option<(Span, Option<RequestType>)>,
    msg_id: Option<(Span, bool)>,
    echo: Option<Span>,
    node_id: Option<Span>,
    node_ids: Option<Span>,
    /// True when the (last) body has an `in_reply_to` key.
    in_reply_to: bool,
}

impl Raw {
    /// Checks that src, dest, body and type are there with the right kinds, and trims the
    /// whitespace that may follow each value off its span.
    pub(crate) fn finish(self, line: &[u8]) -> Result<Message, ParseError> {
        fn required<T>(
            field: Option<(T, bool)>,
            name: &'static str,
            expected: &'static str,
        ) -> Result<T, ParseError> {
            match field {
                None => Err(ParseError::Missing(name)),
                Some((_, false)) => Err(ParseError::Wrong {
                    field: name,
                    expected,
                }),
                Some((value, true)) => Ok(value),
            }
        }
        let src = required(self.src, "src", "a string")?;
        let dest = required(self.dest, "dest", "a string")?;
        required(self.body.map(|ok| ((), ok)), "body", "an object")?;
        let kind = required(
            self.kind
                .map(|(span, kind)| ((span, kind.unwrap_or(RequestType::Other)), kind.is_some())),
            "type",
            "a string",
        )?;
        let trim = |span: Span| trim(span, line);
        let msg_id = match self.msg_id {
            None => MsgId::Absent,
            Some((span, is_number)) => {
                let span = trim(span);
                if is_number && json::is_integer(span.of(line)) {
                    MsgId::Integer(span)
                } else {
                    MsgId::NotInteger(span)
                }
            }
        };
        Ok(Message {
            src: trim(src),
            dest: trim(dest),
            kind: kind.1,
            type_: trim(kind.0),
            msg_id,
            echo: self.echo.map(trim),
            node_id: self.node_id.map(trim),
            node_ids: self.node_ids.map(trim),
            response: self.in_reply_to,
        })
    }
}

/// Reads the routing fields and the body out of a parsed document, the general way:
/// whatever its layout.
#[inline(never)]
pub(crate) fn walk(nodes: &[TapeNode<'_>], structurals: &[u32]) -> Result<Raw, ParseError> {
    let mut raw = Raw::default();
    if !matches!(nodes.first(), Some(TapeNode::Object { .. })) {
        return Err(ParseError::NotAnObject);
    }
    let mut cursor = Cursor {
        nodes,
        structurals,
        node: 0,
        structural: 0,
    };
    cursor.members(|key, cursor| {
        match key {
            "src" => raw.src = Some(cursor.string()?),
            "dest" => raw.dest = Some(cursor.string()?),
            "body" => {
                // A repeated `body` replaces the earlier one, as in most JSON readers.
                (raw.kind, raw.msg_id, raw.echo, raw.node_id, raw.node_ids) =
                    (None, None, None, None, None);
                raw.in_reply_to = false;
                let is_object = matches!(cursor.peek()?, TapeNode::Object { .. });
                raw.body = Some(is_object);
                if is_object {
                    cursor.members(|key, cursor| body_member(&mut raw, key, cursor))?;
                } else {
                    cursor.pass()?;
                }
            }
            _ => cursor.pass()?,
        }
        Ok(())
    })?;
    Ok(raw)
}

/// An echo request laid out as Maelstrom lays one out:
/// `{"id":ID,"src":"S","dest":"D","body":{K:V,K:V,K:V}}`, `id` a number or absent, the
/// body's keys `echo`, `type` and `msg_id` once each in any order, `type` the string
/// `echo`, `msg_id` an integer, and the payload a string, number or literal. Such a tape
/// has one shape, so every structural character is at a known index, and what the general
/// walk would find (an echo request the node answers with `echo_ok`) follows from the
/// shape. Span ends are the next structural character's position, as in [`Raw`], until
/// [`Echo::finish`] trims them.
pub(crate) struct Echo {
    src: Span,
    dest: Span,
    echo: Span,
    msg_id: Span,
}

impl Echo {
    /// The request, if the tape has the shape above.
    #[inline(always)]
    pub(crate) fn read(nodes: &[TapeNode<'_>], structurals: &[u32]) -> Option<Echo> {
        use TapeNode::{Object, Static, String as Str};
        // `base`: where `{` is, or after `id`, the `,` that follows it; the layout
        // below is indexed from there.
        let (fields, base) = match nodes {
            [
                Object { len: 4, count: 14 },
                Str("id"),
                Static(_),
                fields @ ..,
            ] => (fields, 4),
            [Object { len: 3, count: 12 }, fields @ ..] => (fields, 0),
            _ => return None,
        };
        let [
            Str("src"),
            Str(_),
            Str("dest"),
            Str(_),
            Str("body"),
            Object { len: 3, count: 6 },
            Str(k1),
            v1,
            Str(k2),
            v2,
            Str(k3),
            v3,
        ] = fields
        else {
            return None;
        };
        // `{ "src" : S , "dest" : D , "body" : { K : V , K : V , K : V } }`
        let s: &[u32; 25] = structurals.get(base..base + 25)?.try_into().ok()?;
        let span = |at: usize| Span {
            start: s[at],
            end: s[at + 1],
        };
        // One bit a key; with three members, all three bits set means each key once.
        let (mut seen, mut echo, mut msg_id) = (0u8, 0, 0);
        for (key, value, at) in [(k1, v1, 14), (k2, v2, 18), (k3, v3, 22)] {
            match (*key, value) {
                ("type", Str("echo")) => seen |= 1,
                ("msg_id", Static(StaticNode::I64(_) | StaticNode::U64(_))) => {
                    seen |= 2;
                    msg_id = at;
                }
                ("echo", Str(_) | Static(_)) => {
                    seen |= 4;
                    echo = at;
                }
                _ => return None,
            }
        }
        if seen != 7 {
            return None;
        }
        Some(Echo {
            src: span(3),
            dest: span(7),
            echo: span(echo),
            msg_id: span(msg_id),
        })
    }

    /// The request, each value's bytes in `line` without the whitespace that may
    /// follow it.
    #[inline(always)]
    pub(crate) fn finish(self, line: &[u8]) -> EchoRequest<'_> {
        EchoRequest {
            src: trimmed(self.src, line),
            dest: trimmed(self.dest, line),
            msg_id: trimmed(self.msg_id, line),
            echo: trimmed(self.echo, line),
        }
    }
}

/// The bytes `span` covers in `line`, without the whitespace that may end them.
#[inline(always)]
fn trimmed(span: Span, line: &[u8]) -> &[u8] {
    let value = line
        .get(span.start as usize..span.end as usize)
        .unwrap_or_default();
    match value.last() {
        Some(last) if !json::is_whitespace(*last) => value, // as in every compact line
        _ => trim(span, line).of(line),
    }
}

/// `span` of `line` without the whitespace that may end it.
fn trim(span: Span, line: &[u8]) -> Span {
    let value = span.of(line);
    let kept = value
        .iter()
        .rposition(|b| !json::is_whitespace(*b))
        .map_or(0, |i| i + 1);
    Span {
        start: span.start,
        // `kept` is at most the span's length, so this stays within it.
        end: span.start + kept as u32,
    }
}

#[inline(always)]
fn body_member(raw: &mut Raw, key: &str, cursor: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
    match key {
        "type" => {
            let kind = match cursor.peek()? {
                TapeNode::String("echo") => Some(RequestType::Echo),
                TapeNode::String("init") => Some(RequestType::Init),
                TapeNode::String(_) => Some(RequestType::Other),
                _ => None,
            };
            raw.kind = Some((cursor.skip()?, kind));
        }
        "msg_id" => {
            let is_number = matches!(
                cursor.peek()?,
                TapeNode::Static(StaticNode::I64(_) | StaticNode::U64(_) | StaticNode::F64(_))
            );
            raw.msg_id = Some((cursor.skip()?, is_number));
        }
        "echo" => raw.echo = Some(cursor.skip()?),
        "in_reply_to" => {
            raw.in_reply_to = true;
            cursor.pass()?;
        }
        "node_id" => {
            let is_string = matches!(cursor.peek()?, TapeNode::String(_));
            let span = cursor.skip()?;
            raw.node_id = is_string.then_some(span);
        }
        "node_ids" => {
            let all_strings = match cursor.peek()? {
                TapeNode::Array { len, count } => {
                    // Only strings inside: one node per element, all strings.
                    len == count
                        && cursor
                            .nodes
                            .get(cursor.node + 1..cursor.node + 1 + count)
                            .is_some_and(|elems| {
                                elems.iter().all(|n| matches!(n, TapeNode::String(_)))
                            })
                }
                _ => false,
            };
            let span = cursor.skip()?;
            raw.node_ids = all_strings.then_some(span);
        }
        _ => cursor.pass()?,
    }
    Ok(())
}

/// A position in the tape and, in step with it, in the structural indexes. Every tape
/// node stands for exactly one structural character (`{`, `[`, a string's opening quote,
/// the first byte of a number or literal); the structural indexes also hold each `:`,
/// `,`, `}` and `]`, which have no node. The document is valid, so where those are
/// follows from the grammar, and the cursor never needs to read the line's bytes.
struct Cursor<'t, 'de> {
    nodes: &'t [TapeNode<'de>],
    structurals: &'t [u32],
    /// Index of the next node. A valid sliceable index into `nodes` or its length.
    node: usize,
    /// Index of the structural character of that node.
    structural: usize,
}

impl<'de> Cursor<'_, 'de> {
    #[inline(always)]
    fn peek(&self) -> Result<TapeNode<'de>, ParseError> {
        self.nodes
            .get(self.node)
            .copied()
            .ok_or(ParseError::Inconsistent)
    }

    #[inline(always)]
    fn position(&self, structural: usize) -> Result<u32, ParseError> {
        self.structurals
            .get(structural)
            .copied()
            .ok_or(ParseError::Inconsistent)
    }

    /// Steps over the value at the cursor and returns its span, which ends where the next
    /// structural character (a `,` or `}` of the enclosing object) is.
    #[inline(always)]
    fn skip(&mut self) -> Result<Span, ParseError> {
        let start = self.position(self.structural)?;
        self.pass()?;
        let end = self.position(self.structural)?;
        Ok(Span { start, end })
    }

    /// Steps over the value at the cursor, where nothing needs its span.
    #[inline(always)]
    fn pass(&mut self) -> Result<(), ParseError> {
        match self.peek()? {
            TapeNode::Object { .. } | TapeNode::Array { .. } => {
                let (nodes, structurals) = extent(&self.nodes[self.node..])?;
                self.node += nodes;
                self.structural += structurals;
            }
            _ => {
                self.node += 1;
                self.structural += 1;
            }
        }
        Ok(())
    }

    /// Steps over a value, returning its span and whether it is a string.
    #[inline(always)]
    fn string(&mut self) -> Result<(Span, bool), ParseError> {
        let is_string = matches!(self.peek()?, TapeNode::String(_));
        Ok((self.skip()?, is_string))
    }

    /// Calls `member` for each key of the object at the cursor, with the cursor on the
    /// key's value; `member` must step over that value. Leaves the cursor past the `}`.
    #[inline(always)]
    fn members(
        &mut self,
        mut member: impl FnMut(&'de str, &mut Self) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        let TapeNode::Object { len, .. } = self.peek()? else {
            return Err(ParseError::Inconsistent);
        };
        self.node += 1;
        self.structural += 1; // `{`
        for i in 0..len {
            let TapeNode::String(key) = self.peek()? else {
                return Err(ParseError::Inconsistent);
            };
            self.node += 1;
            self.structural += 2; // the key, `:`
            member(key, self)?;
            if i + 1 < len {
                self.structural += 1; // `,`
            }
        }
        self.structural += 1; // `}`
        Ok(())
    }
}

/// How many tape nodes and structural characters the value whose node is `nodes[0]`
/// spans, without recursion: containers hold `count` nodes, and each container adds its
/// closing bracket, its commas and (objects) its colons.
fn extent(nodes: &[TapeNode<'_>]) -> Result<(usize, usize), ParseError> {
    let count = match nodes.first() {
        Some(TapeNode::Object { count, .. } | TapeNode::Array { count, .. }) => *count,
        Some(_) => return Ok((1, 1)),
        None => return Err(ParseError::Inconsistent),
    };
    let subtree = nodes.get(..=count).ok_or(ParseError::Inconsistent)?;
    let mut structurals = subtree.len();
    for node in subtree {
        match *node {
            TapeNode::Object { len, .. } => structurals += len + len.saturating_sub(1) + 1,
            TapeNode::Array { len, .. } => structurals += len.saturating_sub(1) + 1,
            _ => {}
        }
    }
    Ok((subtree.len(), structurals))
}
