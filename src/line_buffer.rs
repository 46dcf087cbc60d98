//! Stage 1 of a message's path: cut the input into lines.
//!
//! [`LineBuffer`] owns one buffer. It reads the input into it in large chunks, finds line
//! ends with `memchr` (the same search tells whether a line holds a backslash, which
//! decides how it is parsed: [`Line::has_backslash`]), and hands each line out as a
//! mutable slice *of that buffer* (never a copy), followed by at least [`PADDING`] more
//! bytes of the same buffer, which is what simd-json needs to parse the line in place.
//!
//! A line's length never counts its line end, `\n` or `\r\n`.
//!
//! Policy for long lines: the buffer grows (doubling) while a line does not fit, up to
//! `max_line + 2` bytes (a line of `max_line` bytes, its `\r`, and one byte more to see
//! whether a `\n` follows). A line longer than `max_line` bytes is not held whole: its bytes
//! are dropped as they arrive, and [`Next::TooLong`] reports it once its end is seen, after
//! which the next line is handed out as usual. So memory stays bounded by `max_line` plus a
//! constant whatever the input holds. Once a long line has been handled, [`shrink`]
//! returns the buffer to its starting size (or to what the next line, already begun,
//! needs), so that the memory a node keeps does not depend on the longest line it ever
//! saw.
//!
//! [`shrink`]: LineBuffer::shrink
//!
//! The only bytes ever moved are the unfinished tail of the buffer, moved to its front
//! before the next read (as ripgrep's line buffer does): at most one partial line per read.

use std::io::{self, Read};

/// Bytes of the buffer that always follow a handed-out line (they may hold later lines,
/// or anything): simd-json's `fill_tape_padded` reads up to this far past a document.
pub const PADDING: usize = simd_json::INPUT_PADDING;

/// The data capacity a [`LineBuffer`] starts with, in bytes.
pub const DEFAULT_CAPACITY: usize = 64 * 1024;

/// One line, borrowed from the buffer.
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based number of this line in the input (blank and skipped lines count).
    pub number: u64,
    /// The line's bytes, then at least [`PADDING`] more bytes of the buffer.
    padded: &'a mut [u8],
    /// Length of the line: no `\n`, and no `\r` before it. Invariant:
    /// `len + PADDING <= padded.len()`.
    len: usize,
    /// Whether the line holds a `\` (found by the same search that found its end).
    backslash: bool,
}

impl<'a> Line<'a> {
    /// The line's bytes, without its line end.
    pub fn bytes(&self) -> &[u8] {
        &self.padded[..self.len]
    }

    /// The line and its padding, mutably, with the line's length: `padded[..len]` is the
    /// line and `padded.len() >= len + PADDING`. Whatever is written past `len` must be
    /// put back, as it may be the next line.
    pub fn padded_mut(&mut self) -> (&mut [u8], usize) {
        (self.padded, self.len)
    }

    /// Whether the line holds a backslash: known from the search for its end, which looks
    /// for a `\n` and a `\` at once until it finds the first `\`.
    pub fn has_backslash(&self) -> bool {
        self.backslash
    }
}

/// What [`LineBuffer::next_line`] found.
#[derive(Debug)]
pub enum Next<'a> {
    /// A complete line (or the last line of the input, which needs no `\n`).
    Line(Line<'a>),
    /// Line `number` was `len` bytes long, more than the limit; it has been skipped.
    TooLong {
        /// 1-based line number.
        number: u64,
        /// Its length in bytes, without the `\n`.
        len: u64,
    },
    /// No complete line is buffered: call [`LineBuffer::fill`].
    NeedInput,
    /// The input has ended and every line has been handed out.
    End,
}

/// A reusable buffer that reads input and splits it into lines.
///
/// ```
/// use echo_node::{LineBuffer, Next};
///
/// let mut input: &[u8] = b"first\r\nsecond\nlast";
/// let mut lines = LineBuffer::new(1024);
/// let mut seen = Vec::new();
/// loop {
///     match lines.next_line() {
///         Next::Line(line) => seen.push(String::from_utf8_lossy(line.bytes()).into_owned()),
///         Next::TooLong { .. } => unreachable!("no line is over 1024 bytes"),
///         Next::NeedInput => lines.fill(&mut input)?,
///         Next::End => break,
///     }
/// }
/// assert_eq!(seen, ["first", "second", "last"]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LineBuffer {
    /// The one buffer. Fully initialised; `buf.len()` is the data capacity plus
    /// [`PADDING`]. Invariant: `end + PADDING <= buf.len()`.
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out. Invariant: `pos <= scan <= end`.
    pos: usize,
    /// The newline search resumes here: `buf[pos..scan]` is known to hold no `\n`.
    /// Always a valid sliceable index, `pos <= scan <= end`.
    scan: usize,
    /// Whether `buf[pos..scan]` holds a `\`: until it does, the search for the line's end
    /// looks for a `\` too.
    backslash: bool,
    /// End of the bytes read so far. Invariant: `end + PADDING <= buf.len()`.
    end: usize,
    /// Longest line accepted, in bytes, not counting its `\n`.
    max_line: usize,
    /// Number of the last line handed out or skipped; 0 before the first.
    line_number: u64,
    /// True once the input has returned end of file.
    eof: bool,
    /// `Some(n)` while a line over `max_line` is being skipped: `n` bytes of it are gone.
    skipping: Option<u64>,
    /// While skipping: whether the last byte dropped was a `\r` (which is not part of the
    /// line's length if a `\n` follows it).
    skipped_cr: bool,
    /// The data capacity it started with, which [`shrink`](Self::shrink) returns to.
    initial: usize,
}

impl LineBuffer {
    /// A buffer that starts with [`DEFAULT_CAPACITY`] bytes and accepts lines of up to
    /// `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, max_line)
    }

    /// A buffer that starts with `capacity` bytes of data room (at least 1).
    pub fn with_capacity(capacity: usize, max_line: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            buf: vec![0; capacity + PADDING],
            pos: 0,
            scan: 0,
            backslash: false,
            end: 0,
            max_line,
            line_number: 0,
            eof: false,
            skipping: None,
            skipped_cr: false,
            initial: capacity,
        }
    }

    /// Gives back what a long line grew: if the buffer is larger than it started, it is
    /// made anew at the smallest of its starting capacity, doubled as often as needed, that
    /// holds the bytes not yet handed out (a line that has begun to arrive), and its
    /// memory goes back to the allocator. It does not shrink when that would save less
    /// than half and copy more than the starting capacity (a long line still arriving).
    /// True if it shrank.
    pub fn shrink(&mut self) -> bool {
        let capacity = self.capacity();
        if capacity <= self.initial {
            return false;
        }
        let needed = self.end - self.pos;
        let mut target = self.initial;
        while target < needed {
            target = target.saturating_mul(2);
        }
        if target >= capacity || (needed > self.initial && target > capacity / 2) {
            return false;
        }
        let mut buf = vec![0; target + PADDING];
        buf[..needed].copy_from_slice(&self.buf[self.pos..self.end]);
        self.buf = buf;
        self.scan -= self.pos;
        self.end = needed;
        self.pos = 0;
        self.check();
        true
    }

    /// The current data capacity in bytes (grows with long lines, never past
    /// `max_line + 2`, unless it started larger).
    pub fn capacity(&self) -> usize {
        self.buf.len() - PADDING
    }

    /// The next line from what is buffered, without reading. Returns
    /// [`Next::NeedInput`] when no complete line is buffered and the input has not ended.
    pub fn next_line(&mut self) -> Next<'_> {
        self.check();
        loop {
            let unseen = &self.buf[self.scan..self.end];
            if let Some(skipped) = self.skipping {
                if let Some(i) = memchr::memchr(b'\n', unseen) {
                    let cr = if i > 0 {
                        unseen[i - 1] == b'\r'
                    } else {
                        self.skipped_cr
                    };
                    self.skipping = None;
                    self.pos = self.scan + i + 1;
                    self.scan = self.pos;
                    return Next::TooLong {
                        number: self.line_number,
                        len: skipped + i as u64 - u64::from(cr),
                    };
                }
                if let Some(&last) = unseen.last() {
                    self.skipped_cr = last == b'\r';
                }
                let skipped = skipped + unseen.len() as u64;
                self.clear();
                if self.eof {
                    self.skipping = None;
                    return Next::TooLong {
                        number: self.line_number,
                        len: skipped - u64::from(self.skipped_cr),
                    };
                }
                self.skipping = Some(skipped);
                return Next::NeedInput;
            }

            let found = if self.backslash {
                memchr::memchr(b'\n', unseen)
            } else {
                match memchr::memchr2(b'\n', b'\\', unseen) {
                    Some(i) if unseen[i] == b'\\' => {
                        self.backslash = true;
                        self.scan += i + 1;
                        continue;
                    }
                    found => found,
                }
            };
            let line_end = match found {
                Some(i) => self.scan + i,
                None => {
                    self.scan = self.end;
                    let partial = &self.buf[self.pos..self.end];
                    // Longer than the limit even if its last byte is the `\r` of a CRLF.
                    let content = partial.len() - usize::from(partial.last() == Some(&b'\r'));
                    if content > self.max_line {
                        // Too long, and still no end in sight: drop it as it comes.
                        self.line_number += 1;
                        self.skipping = Some(0);
                        self.skipped_cr = false;
                        self.scan = self.pos;
                        self.backslash = false;
                        continue;
                    }
                    if !self.eof {
                        return Next::NeedInput;
                    }
                    if partial.is_empty() {
                        return Next::End;
                    }
                    self.end // the last line, with no `\n`
                }
            };
            let start = self.pos;
            self.pos = (line_end + 1).min(self.end);
            self.scan = self.pos;
            let backslash = std::mem::replace(&mut self.backslash, false);
            self.line_number += 1;
            let mut len = line_end - start;
            if len > 0 && self.buf[start + len - 1] == b'\r' {
                len -= 1;
            }
            if len > self.max_line {
                return Next::TooLong {
                    number: self.line_number,
                    len: len as u64,
                };
            }
            self.check();
            debug_assert!(
                start + len + PADDING <= self.buf.len(),
                "a line and its padding"
            );
            return Next::Line(Line {
                number: self.line_number,
                padded: &mut self.buf[start..],
                len,
                backslash,
            });
        }
    }

    /// Reads once from `input` into the buffer (retrying on `Interrupted`), first moving
    /// the unfinished line to the front and growing the buffer if that line fills it.
    /// After end of file, [`next_line`](Self::next_line) hands out the last line even
    /// without a `\n`.
    pub fn fill<R: Read + ?Sized>(&mut self, input: &mut R) -> io::Result<()> {
        if self.eof {
            return Ok(());
        }
        self.roll();
        if self.end == self.capacity() {
            self.grow();
        }
        let room = self.capacity();
        loop {
            match input.read(&mut self.buf[self.end..room]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    // A reader claiming more than it was given must not break the
                    // `end + PADDING <= buf.len()` invariant.
                    self.end += n.min(room - self.end);
                    self.check();
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Checks the invariants the fields' docs state (debug builds: the tests and the
    /// fuzzer).
    fn check(&self) {
        debug_assert!(
            self.pos <= self.scan && self.scan <= self.end,
            "pos {} <= scan {} <= end {}",
            self.pos,
            self.scan,
            self.end
        );
        debug_assert!(
            self.end + PADDING <= self.buf.len(),
            "end {} + padding <= {} bytes",
            self.end,
            self.buf.len()
        );
    }

    /// Forgets every buffered byte.
    fn clear(&mut self) {
        self.pos = 0;
        self.scan = 0;
        self.backslash = false;
        self.end = 0;
    }

    /// Moves the bytes not yet handed out to the front of the buffer.
    fn roll(&mut self) {
        if self.pos == 0 {
            return;
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.scan -= self.pos;
        self.end -= self.pos;
        self.pos = 0;
    }

    /// Doubles the data capacity, but not past what it takes to see that a line is longer
    /// than `max_line` (`max_line + 2` bytes, for a `\r` that may end it); always by at
    /// least one byte.
    fn grow(&mut self) {
        let capacity = self.capacity();
        let limit = self.max_line.saturating_add(2).max(capacity + 1);
        let new_capacity = capacity.saturating_mul(2).min(limit);
        self.buf.resize(new_capacity + PADDING, 0);
        self.check();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use echo_test_support::Chunked;

    #[derive(Debug, PartialEq)]
    enum Seen {
        Line(u64, Vec<u8>),
        TooLong(u64, u64),
    }

    fn collect(data: &[u8], chunk: usize, capacity: usize, max_line: usize) -> Vec<Seen> {
        let mut input = Chunked { data, chunk };
        let mut lines = LineBuffer::with_capacity(capacity, max_line);
        let mut seen = Vec::new();
        loop {
            match lines.next_line() {
                Next::Line(mut line) => {
                    let (padded, len) = line.padded_mut();
                    assert!(padded.len() >= len + PADDING, "padding invariant");
                    assert_eq!(
                        line.has_backslash(),
                        line.bytes().contains(&b'\\'),
                        "line {}",
                        line.number
                    );
                    seen.push(Seen::Line(line.number, line.bytes().to_vec()));
                }
                Next::TooLong { number, len } => seen.push(Seen::TooLong(number, len)),
                Next::NeedInput => lines.fill(&mut input).expect("in-memory read"),
                Next::End => break,
            }
            assert!(lines.capacity() <= capacity.max(max_line + 2));
        }
        seen
    }

    fn line(n: u64, s: &str) -> Seen {
        Seen::Line(n, s.as_bytes().to_vec())
    }

    /// Every line says whether it holds a backslash (`collect` checks each), through
    /// reads of every size, growth, a CRLF, an over-long line with one, and the last line.
    #[test]
    fn each_line_knows_whether_it_holds_a_backslash() {
        let data = b"a\\b\\c\nplain\r\n\\\n\n{\"x\":\"\\n\"}\r\nxxxxxxxxxxxx\\yyyy\nok\nlast\\";
        for chunk in 1..data.len() + 1 {
            let seen = collect(data, chunk, 4, 11);
            assert_eq!(seen.len(), 8, "{chunk}");
            assert_eq!(seen[5], Seen::TooLong(6, 17));
            assert_eq!(seen[7], line(8, "last\\"));
        }
    }

    #[test]
    fn splits_lines_across_read_boundaries() {
        let data = b"alpha\nbeta\ngamma delta\n";
        for chunk in 1..data.len() + 1 {
            assert_eq!(
                collect(data, chunk, 64, 100),
                vec![line(1, "alpha"), line(2, "beta"), line(3, "gamma delta")],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn last_line_without_newline_crlf_and_blank_lines() {
        let data = b"a\r\n\n\r\nb\rc\nlast";
        assert_eq!(
            collect(data, 3, 8, 100),
            vec![
                line(1, "a"),
                line(2, ""),
                line(3, ""),
                line(4, "b\rc"),
                line(5, "last")
            ]
        );
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert_eq!(collect(b"", 4, 8, 100), vec![]);
    }

    #[test]
    fn grows_for_a_line_longer_than_the_buffer() {
        let long = "x".repeat(1000);
        let data = format!("short\n{long}\nafter\n");
        assert_eq!(
            collect(data.as_bytes(), 7, 4, 5000),
            vec![line(1, "short"), line(2, &long), line(3, "after")]
        );
    }

    #[test]
    fn growth_stops_at_max_line_plus_two() {
        let mut lines = LineBuffer::with_capacity(4, 10);
        let mut input = Chunked {
            data: &[b'y'; 100],
            chunk: 100,
        };
        for _ in 0..10 {
            if let Next::NeedInput = lines.next_line() {
                lines.fill(&mut input).expect("in-memory read");
            }
        }
        assert_eq!(lines.capacity(), 12);
    }

    #[test]
    fn a_line_end_never_counts_in_a_line_length() {
        // Exactly max_line bytes before CRLF is kept, in every read size and buffer size;
        // one more is too long and reported without its CRLF.
        let data = b"0123456789\r\n01234567890\r\nabc\r\n0123456789\r";
        for chunk in 1..data.len() + 1 {
            for capacity in [1, 4, 11, 64] {
                assert_eq!(
                    collect(data, chunk, capacity, 10),
                    vec![
                        line(1, "0123456789"),
                        Seen::TooLong(2, 11),
                        line(3, "abc"),
                        line(4, "0123456789"),
                    ],
                    "chunk {chunk}, capacity {capacity}"
                );
            }
        }
        // A long CRLF line skipped as it arrives is also measured without its CRLF.
        let data = format!("{}\r\nok\n{}\r", "z".repeat(50), "w".repeat(30));
        assert_eq!(
            collect(data.as_bytes(), 3, 4, 10),
            vec![Seen::TooLong(1, 50), line(2, "ok"), Seen::TooLong(3, 30)]
        );
    }

    #[test]
    fn skips_a_line_over_the_limit_and_keeps_going() {
        let data = format!("ok\n{}\nnext\n{}", "z".repeat(50), "w".repeat(20));
        for chunk in [1, 3, 8, 100] {
            assert_eq!(
                collect(data.as_bytes(), chunk, 8, 10),
                vec![
                    line(1, "ok"),
                    Seen::TooLong(2, 50),
                    line(3, "next"),
                    Seen::TooLong(4, 20)
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_line_of_exactly_max_line_is_kept() {
        let data = b"0123456789\n01234567890\n";
        assert_eq!(
            collect(data, 2, 4, 10),
            vec![line(1, "0123456789"), Seen::TooLong(2, 11)]
        );
    }

    #[test]
    fn a_long_line_already_buffered_whole_is_skipped() {
        // The buffer is larger than max_line, so the line arrives complete.
        let data = b"abcdefghijkl\nok\n";
        assert_eq!(
            collect(data, 100, 64, 5),
            vec![Seen::TooLong(1, 12), line(2, "ok")]
        );
    }

    #[test]
    fn the_buffer_shrinks_back_once_a_long_line_is_handled() {
        let mut data = vec![b'q'; 100_000];
        data.extend_from_slice(b"\nfine\nnext");
        let mut input = Chunked {
            data: &data,
            chunk: 1 << 20,
        };
        let mut lines = LineBuffer::with_capacity(64, 1 << 20);
        while !matches!(lines.next_line(), Next::Line(_)) {
            lines.fill(&mut input).expect("in memory");
        }
        assert!(lines.capacity() >= 100_000);
        // "fine" and part of "next" are still buffered: they survive the shrink.
        assert!(lines.shrink());
        assert_eq!(lines.capacity(), 64);
        assert!(!lines.shrink(), "already at its starting size");
        let mut rest = Vec::new();
        loop {
            match lines.next_line() {
                Next::Line(line) => rest.push(line.bytes().to_vec()),
                Next::NeedInput => lines.fill(&mut input).expect("in memory"),
                Next::End => break,
                Next::TooLong { .. } => panic!("no line is too long"),
            }
        }
        assert_eq!(rest, vec![b"fine".to_vec(), b"next".to_vec()]);
    }

    #[test]
    fn a_shrink_keeps_a_begun_line_in_the_smallest_buffer_that_holds_it() {
        // A long line, then 300 bytes of the next one already read: the buffer shrinks to
        // 512 (64 doubled as often as 300 bytes need), not to 64, and not not at all.
        let mut data = vec![b'q'; 100_000];
        data.push(b'\n');
        data.extend_from_slice(&[b'r'; 300]);
        let mut input = Chunked {
            data: &data,
            chunk: 1 << 20,
        };
        let mut lines = LineBuffer::with_capacity(64, 1 << 20);
        while !matches!(lines.next_line(), Next::Line(_)) {
            lines.fill(&mut input).expect("in memory");
        }
        assert!(matches!(lines.next_line(), Next::NeedInput));
        assert!(lines.shrink());
        assert_eq!(lines.capacity(), 512);
        assert!(!lines.shrink(), "nothing more to give back");
        lines.fill(&mut input).expect("in memory");
        match lines.next_line() {
            Next::Line(line) => assert_eq!(line.bytes(), &[b'r'; 300][..]),
            other => panic!("the begun line survives the shrink: {other:?}"),
        }
        // Once it is handed out, the buffer returns to its starting size.
        assert!(lines.shrink());
        assert_eq!(lines.capacity(), 64);
    }

    #[test]
    fn a_long_line_still_arriving_is_not_copied_to_save_little() {
        let mut lines = LineBuffer::with_capacity(64, 1 << 20);
        let data = vec![b'q'; 1000];
        let mut input = Chunked {
            data: &data,
            chunk: 1 << 20,
        };
        while !matches!(lines.next_line(), Next::NeedInput) || lines.capacity() < 1000 {
            lines.fill(&mut input).expect("in memory");
        }
        // 1000 bytes of one line in a buffer of 1024: shrinking would save nothing.
        assert_eq!(lines.capacity(), 1024);
        assert!(!lines.shrink());
    }

    #[test]
    fn skipped_bytes_are_not_kept() {
        // 1 MiB line, 16-byte limit: the buffer never grows past 18 bytes (the limit, a
        // `\r`, and one byte to see the `\n`).
        let mut data = vec![b'q'; 1 << 20];
        data.extend_from_slice(b"\nfine\n");
        assert_eq!(
            collect(&data, 4096, 8, 16),
            vec![Seen::TooLong(1, 1 << 20), line(2, "fine")]
        );
    }

    #[test]
    fn interrupted_reads_are_retried_and_errors_returned() {
        struct Flaky(u32);
        impl Read for Flaky {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                self.0 += 1;
                match self.0 {
                    1 => Err(io::ErrorKind::Interrupted.into()),
                    2 => {
                        out[..2].copy_from_slice(b"a\n");
                        Ok(2)
                    }
                    _ => Err(io::Error::other("disk on fire")),
                }
            }
        }
        let mut lines = LineBuffer::with_capacity(16, 100);
        let mut input = Flaky(0);
        assert!(matches!(lines.next_line(), Next::NeedInput));
        lines.fill(&mut input).expect("interrupted is retried");
        assert!(matches!(lines.next_line(), Next::Line(l) if l.bytes() == b"a"));
        assert!(matches!(lines.next_line(), Next::NeedInput));
        let err = lines.fill(&mut input).expect_err("error is returned");
        assert_eq!(err.to_string(), "disk on fire");
    }
}
