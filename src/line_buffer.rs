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
    /// A buffer that starts with `DEFAULT_CAPACITY` bytes and accepts lines of up to
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
mod tests;
