//! A token's place in a line, as both programs keep it: two byte positions.

/// A range of byte positions in a line. Positions fit in 32 bits: echo-node's parser
/// (simd-json) takes no document of 4 GiB or more, and echo-load reads no line longer
/// than 64 MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte. Invariant: `start <= end`.
    pub end: u32,
}

impl Span {
    /// The span from `start` to `end` (`start <= end`, both under 4 GiB: a span past that
    /// is a bug, which debug builds stop on; release builds clamp it to `u32::MAX`).
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(
            start <= end && end <= u32::MAX as usize,
            "span {start}..{end}"
        );
        let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        Span {
            start: at(start),
            end: at(end),
        }
    }

    /// Where it starts, as an index.
    pub fn start(&self) -> usize {
        self.start as usize
    }

    /// The bytes of `line` this span covers. A span that does not lie within `line` is a
    /// bug: debug builds (the tests, the fuzzer) stop on it; release builds give an
    /// empty slice rather than crash the node.
    pub fn of<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        debug_assert!(
            self.start <= self.end && self.end as usize <= line.len(),
            "span {self:?} outside a line of {} bytes",
            line.len()
        );
        line.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// The span without its first and last byte: a string token without its quotes. A
    /// span shorter than two bytes has no quotes to drop: a bug, which debug builds stop
    /// on (release builds give an empty span).
    pub fn inner(&self) -> Span {
        debug_assert!(
            self.start + 2 <= self.end,
            "span {self:?} is not a string token"
        );
        Span {
            start: (self.start + 1).min(self.end),
            end: self.end.saturating_sub(1).max(self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Span;

    #[test]
    fn a_span_gives_its_bytes_and_a_string_token_its_inside() {
        let line = br#"{"a":"xy"}"#;
        let token = Span::new(5, 9);
        assert_eq!(token.of(line), br#""xy""#);
        assert_eq!(token.inner().of(line), b"xy");
        assert_eq!(token.start(), 5);
    }
}
