//! Stage 4's fast path: a reply read in one pass over its bytes, in any key order and
//! any JSON whitespace, when it can only be an `echo_ok` that every rule of the full
//! reading ([`crate::check`]) accepts. Whatever it is not sure of, it leaves to the full
//! reading: it returns `None`, and the line is read again from its start.
//!
//! It takes a line only if it has no backslash: with none, a string is its bytes from
//! one quote to the next, a key is compared as plain bytes, and no string needs
//! decoding. Every byte of the line is either matched against a constant (keys,
//! punctuation, `"echo_ok"`), read as digits or a name, or part of the echo, and each of
//! those readings refuses a backslash, so the line needs no search of its own for one.
//! The line must be exactly the envelope of net.clj's `Message` schema (`src`, `dest`,
//! `body`, optionally `id`, each once) and an `echo_ok` body of the reply's closed schema
//! (`type`, `echo`, `in_reply_to`, optionally `msg_id`, each once), its integers written
//! as plain digits, and nothing after the object but whitespace. Its bytes are not
//! checked as UTF-8 or as JSON values here: the caller compares the names with its own
//! and the echo with the bytes it sent, all valid UTF-8 and valid JSON, and a line whose
//! every other byte this reading has matched is then valid too.

/// The parts of a line [`read`] took: each a slice of the line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reply<'a> {
    /// What `src`'s string holds (between its quotes).
    pub(crate) src: &'a [u8],
    /// What `dest`'s string holds.
    pub(crate) dest: &'a [u8],
    /// The echo's value as written.
    pub(crate) echo: &'a [u8],
    /// Whether [`Reply::echo`] is already known to be the payload that `expected` gave
    /// for [`Reply::dest`] (`dest` came before the body); if not, the caller compares.
    pub(crate) echo_known: bool,
    /// `in_reply_to`, read from its digits.
    pub(crate) in_reply_to: u64,
    /// `in_reply_to`'s digits.
    in_reply_to_digits: &'a [u8],
    /// `msg_id`'s digits, if it has one.
    pub(crate) msg_id: Option<&'a [u8]>,
    /// The envelope's `id` digits, if it has one.
    id: Option<&'a [u8]>,
}

/// Reads `line` as a reply in one pass, or `None`: the full reading must decide.
/// `expected` gives the payload (a JSON text) that a `dest` waits for, if any: when
/// `dest` comes before the body, the echo is compared with it where it stands.
#[inline]
pub(crate) fn read<'a, 'p>(
    line: &'a [u8],
    expected: impl Fn(&[u8]) -> Option<&'p [u8]>,
) -> Option<Reply<'a>> {
    let mut r = Pass { rest: line };
    let (mut src, mut dest, mut body, mut id) = (None, None, None, None);
    r.open()?;
    loop {
        match r.key()? {
            b's' => once(&mut src, r.member(b"rc\"")?.string()?)?,
            b'd' => once(&mut dest, r.member(b"est\"")?.string()?)?,
            b'b' => {
                let payload = match dest {
                    Some(dest) => Some(expected(dest)?),
                    None => None,
                };
                once(&mut body, r.member(b"ody\"")?.body(payload)?)?;
            }
            b'i' => once(&mut id, r.member(b"d\"")?.digits()?)?,
            _ => return None,
        }
        if r.close()? {
            break;
        }
    }
    r.ws();
    if !r.rest.is_empty() {
        return None;
    }
    let body = body?;
    Some(Reply {
        src: src?,
        dest: dest?,
        echo: body.echo,
        echo_known: body.echo_known,
        in_reply_to: number(body.in_reply_to)?,
        in_reply_to_digits: body.in_reply_to,
        msg_id: body.msg_id,
        id,
    })
}

/// The number plain digits write, if it fits.
#[inline]
fn number(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A value of a reply that changes from one reply to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    Src,
    Dest,
    Echo,
    InReplyTo,
    MsgId,
    Id,
}

/// A node's reply layout, learnt from a reply [`read`] took: its bytes, but for the
/// values that change from one reply to the next (the holes). A reply that is those
/// bytes with new values in the holes is one [`read`] would take alike: the same keys
/// in the same order and the same whitespace, around a name, digits or an echo of the
/// same kinds. So a node that lays out every reply alike (every node seen does) costs
/// a comparison of bytes a reply, whatever its layout.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// The constant parts' bytes, one after another.
    bytes: Vec<u8>,
    /// Each constant part's end in `bytes` and the hole after it (`None` for the last
    /// part: the line's end). Empty: nothing learnt yet.
    parts: Vec<(usize, Option<Hole>)>,
}

impl Layout {
    /// Learns the layout of `line`, which [`read`] read as `reply`. Reuses its buffers:
    /// no allocation once they are as long as a node's replies need.
    pub(crate) fn learn(&mut self, line: &[u8], reply: &Reply<'_>) {
        let at = |part: &[u8]| part.as_ptr() as usize - line.as_ptr() as usize;
        let mut holes = [
            Some((reply.src, Hole::Src)),
            Some((reply.dest, Hole::Dest)),
            Some((reply.echo, Hole::Echo)),
            Some((reply.in_reply_to_digits, Hole::InReplyTo)),
            reply.msg_id.map(|m| (m, Hole::MsgId)),
            reply.id.map(|i| (i, Hole::Id)),
        ];
        holes.sort_by_key(|h| h.map(|(part, _)| at(part)));
        self.bytes.clear();
        self.parts.clear();
        let mut from = 0;
        for (part, hole) in holes.into_iter().flatten() {
            self.bytes.extend_from_slice(&line[from..at(part)]);
            self.parts.push((self.bytes.len(), Some(hole)));
            from = at(part) + part.len();
        }
        self.bytes.extend_from_slice(&line[from..]);
        self.parts.push((self.bytes.len(), None));
    }

    /// Reads `line` as a reply in this layout, as [`read`] would, or `None` (not this
    /// layout, or nothing learnt).
    #[inline]
    pub(crate) fn read<'a, 'p>(
        &self,
        line: &'a [u8],
        expected: impl Fn(&[u8]) -> Option<&'p [u8]>,
    ) -> Option<Reply<'a>> {
        if self.parts.is_empty() {
            return None;
        }
        let mut rest = line;
        let (mut src, mut dest, mut echo, mut echo_known) = (&[][..], None, &[][..], false);
        let (mut in_reply_to, mut msg_id, mut id) = (&[][..], None, None);
        let mut from = 0;
        for &(end, hole) in &self.parts {
            rest = take(rest, &self.bytes[from..end])?;
            from = end;
            let Some(hole) = hole else {
                break;
            };
            let mut r = Pass { rest };
            match hole {
                Hole::Src => src = r.name()?,
                Hole::Dest => dest = Some(r.name()?),
                Hole::InReplyTo => in_reply_to = r.digits()?,
                Hole::MsgId => msg_id = Some(r.digits()?),
                Hole::Id => id = Some(r.digits()?),
                Hole::Echo => match dest {
                    Some(dest) => {
                        let p = expected(dest)?;
                        echo = r.rest.get(..p.len()).filter(|v| same(v, p))?;
                        r.rest = &r.rest[p.len()..];
                        echo_known = true;
                    }
                    // Before `dest`: a string, compared by the caller.
                    None => echo = r.plain_string()?,
                },
            }
            rest = r.rest;
        }
        if !rest.is_empty() {
            return None;
        }
        Some(Reply {
            src,
            dest: dest?,
            echo,
            echo_known,
            in_reply_to: number(in_reply_to)?,
            in_reply_to_digits: in_reply_to,
            msg_id,
            id,
        })
    }
}

/// `rest` less `prefix`, if it starts with it.
#[inline]
fn take<'a>(rest: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, tail) = rest.split_at_checked(prefix.len())?;
    same(head, prefix).then_some(tail)
}

/// Whether `a` and `b` are the same bytes. Up to 32 bytes (a layout's parts, names, a
/// short echo) they are compared in at most four word loads a side, overlapping where
/// the length is not a multiple of the word, rather than in a call to `memcmp`, which
/// costs more than the comparison itself at these lengths.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        17..=32 => {
            (word8(a, 0) ^ word8(b, 0))
                | (word8(a, 8) ^ word8(b, 8))
                | (word8(a, n - 16) ^ word8(b, n - 16))
                | (word8(a, n - 8) ^ word8(b, n - 8))
                == 0
        }
        _ => a == b,
    }
}

/// The 8 bytes of `s` from `at` as a number (0 if `s` is shorter: never, where called).
#[inline]
fn word8(s: &[u8], at: usize) -> u64 {
    s.get(at..)
        .and_then(<[u8]>::first_chunk::<8>)
        .map_or(0, |w| u64::from_ne_bytes(*w))
}

/// The 4 bytes of `s` from `at` as a number (0 if `s` is shorter: never, where called).
#[inline]
fn word4(s: &[u8], at: usize) -> u32 {
    s.get(at..)
        .and_then(<[u8]>::first_chunk::<4>)
        .map_or(0, |w| u32::from_ne_bytes(*w))
}

/// What [`Pass::body`] read.
struct Body<'a> {
    echo: &'a [u8],
    echo_known: bool,
    in_reply_to: &'a [u8],
    msg_id: Option<&'a [u8]>,
}

/// Sets `slot` to `value` if it is empty: a key given twice is the full reading's.
#[inline]
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Whether `b` is JSON whitespace.
#[inline]
fn is_ws(b: u8) -> bool {
    // One comparison for the usual byte, which is none.
    b <= b' ' && matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// A pass over a line.
struct Pass<'a> {
    /// What is left of the line to read.
    rest: &'a [u8],
}

impl<'a> Pass<'a> {
    /// Skips JSON whitespace: called only where the next byte is not the one expected,
    /// so a line without whitespace costs one comparison a token.
    #[cold]
    fn ws(&mut self) {
        while let [b, rest @ ..] = self.rest
            && is_ws(*b)
        {
            self.rest = rest;
        }
    }

    /// `b`, after any whitespace: whether it came (and was taken).
    #[inline]
    fn eat(&mut self, b: u8) -> bool {
        if self.rest.first() != Some(&b) {
            self.ws();
        }
        match self.rest {
            [first, rest @ ..] if *first == b => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// An object's `{`.
    #[inline]
    fn open(&mut self) -> Option<()> {
        self.eat(b'{').then_some(())
    }

    /// A key's opening quote: the key's first byte, taken.
    #[inline]
    fn key(&mut self) -> Option<u8> {
        if !self.eat(b'"') {
            return None;
        }
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(*first)
    }

    /// The rest of a key (`rest`, its closing quote included) and its colon: the pass,
    /// at the member's value.
    #[inline]
    fn member(&mut self, rest: &[u8]) -> Option<&mut Self> {
        self.rest = self.rest.strip_prefix(rest)?;
        self.eat(b':').then_some(self)
    }

    /// After a member: `,` (`false`, another follows) or `}` (`true`, the object ends).
    #[inline]
    fn close(&mut self) -> Option<bool> {
        if !matches!(self.rest.first(), Some(b',' | b'}')) {
            self.ws();
        }
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        match b {
            b',' => Some(false),
            b'}' => Some(true),
            _ => None,
        }
    }

    /// A string with no backslash, as the bytes between its quotes.
    #[inline]
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let rest = self.rest;
        // Names are short: a loop is cheaper than a search's set-up.
        let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
        if rest[end] != b'"' {
            return None;
        }
        self.rest = &rest[end + 1..];
        Some(&rest[..end])
    }

    /// A name inside its quotes (the quotes are the layout's): up to the closing quote,
    /// no backslash.
    #[inline]
    fn name(&mut self) -> Option<&'a [u8]> {
        let end = self.rest.iter().position(|&b| b == b'"' || b == b'\\')?;
        let (name, rest) = self.rest.split_at(end);
        (rest[0] == b'"').then(|| {
            self.rest = rest;
            name
        })
    }

    /// A string token (quotes included) with no backslash.
    #[inline]
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        let inner = self.rest.strip_prefix(b"\"")?;
        let end = memchr::memchr2(b'"', b'\\', inner)?;
        if inner[end] != b'"' {
            return None;
        }
        let (token, rest) = self.rest.split_at(end + 2);
        self.rest = rest;
        Some(token)
    }

    /// A JSON integer's digits as Maelstrom's names write them: no sign, no leading zero.
    #[inline]
    fn digits(&mut self) -> Option<&'a [u8]> {
        if !self.rest.first().is_some_and(u8::is_ascii_digit) {
            self.ws();
        }
        let rest = self.rest;
        let end = rest
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(rest.len());
        if end == 0 || (rest[0] == b'0' && end > 1) {
            return None;
        }
        self.rest = &rest[end..];
        Some(&rest[..end])
    }

    /// The body of an `echo_ok`; `payload`, what its echo must be, if known.
    #[inline]
    fn body(&mut self, payload: Option<&[u8]>) -> Option<Body<'a>> {
        let (mut type_, mut echo, mut in_reply_to, mut msg_id) = (false, None, None, None);
        self.open()?;
        loop {
            match self.key()? {
                b't' if !type_ => {
                    type_ = true;
                    let at = self.member(b"ype\"")?;
                    if !at.eat(b'"') {
                        return None;
                    }
                    at.rest = at.rest.strip_prefix(b"echo_ok\"")?;
                }
                b'e' => {
                    let at = self.member(b"cho\"")?;
                    let value = match payload {
                        // Compared where it stands; what follows must end a value (a
                        // payload `1` is not the start of `12`), as `close` makes sure.
                        Some(p) => {
                            if at.rest.first() != p.first() {
                                at.ws();
                            }
                            let value = at.rest.get(..p.len()).filter(|v| *v == p)?;
                            at.rest = &at.rest[p.len()..];
                            value
                        }
                        None => {
                            at.ws();
                            at.value()?
                        }
                    };
                    once(&mut echo, value)?;
                }
                b'i' => once(&mut in_reply_to, self.member(b"n_reply_to\"")?.digits()?)?,
                b'm' => once(&mut msg_id, self.member(b"sg_id\"")?.digits()?)?,
                _ => return None,
            }
            if self.close()? {
                break;
            }
        }
        type_.then_some(())?;
        Some(Body {
            echo: echo?,
            echo_known: payload.is_some(),
            in_reply_to: in_reply_to?,
            msg_id,
        })
    }

    /// A value's bytes, up to the `,` or `}` that ends it (whitespace before that left
    /// out), keeping count of nested brackets and skipping strings; `None` at a
    /// backslash. It need not be valid: the caller takes it only if it is byte for byte
    /// one it knows.
    #[inline]
    fn value(&mut self) -> Option<&'a [u8]> {
        let all = self.rest;
        let (mut depth, mut i) = (0usize, 0);
        while let Some(&b) = all.get(i) {
            match b {
                b'"' => {
                    let end = i + 1 + memchr::memchr2(b'"', b'\\', all.get(i + 1..)?)?;
                    if all[end] != b'"' {
                        return None;
                    }
                    i = end;
                }
                b'\\' => return None,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => depth -= 1,
                b',' | b'}' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        self.rest = &all[i..];
        let mut end = i;
        while end > 0 && is_ws(all[end - 1]) {
            end -= 1;
        }
        (end > 0).then(|| &all[..end])
    }
}

#[cfg(test)]
mod tests;
