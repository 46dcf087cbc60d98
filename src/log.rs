//! Diagnostics for stderr: one line per bad input line, naming its line number.
//!
//! Lines are gathered in a reused buffer and handed to the sink with the replies: after
//! each line in `--flush message`, with each batch in `--flush batch`, and whenever
//! [`LOG_LIMIT`] bytes wait. So a flood of bad input costs one hand-over per batch, not one
//! per line, and the log holds nothing while the node waits for input.
//!
//! The log itself never waits and never drops: the node's sink, [`crate::sys::Diagnostics`],
//! takes every line at once, and decides what stderr cannot take (dropped, counted and
//! reported there). A sink that fails (`Err`, including `WouldBlock`) loses the lines it
//! was handed, counted in what [`Log::finish`] returns.

use std::fmt;
use std::io::{self, Write};

/// How many bytes of a bad line a diagnostic quotes.
pub const EXCERPT: usize = 96;

/// Diagnostics are handed to the sink early once this many bytes wait; so the buffer
/// (sized for this from the start) does not grow.
pub const LOG_LIMIT: usize = 16 * 1024;

/// A buffered diagnostics writer.
#[derive(Debug)]
pub struct Log<E: Write> {
    /// Diagnostics not yet handed to the sink: whole lines. Empty after every flush.
    buf: Vec<u8>,
    sink: E,
    /// When set, nothing is recorded.
    quiet: bool,
    /// Lines the sink failed to take.
    lost: u64,
}

impl<E: Write> Log<E> {
    /// A log writing to `sink`; a `quiet` one writes nothing.
    pub fn new(sink: E, quiet: bool) -> Self {
        Self {
            buf: Vec::with_capacity(if quiet { 0 } else { LOG_LIMIT + 1024 }),
            sink,
            quiet,
            lost: 0,
        }
    }

    /// Records `echo-node: line N: WHAT`, then, if `line` is not empty, the start of the
    /// line, cut at [`EXCERPT`] bytes. Printable ASCII is kept as it is and every other
    /// byte escaped (`\xff`, `\n`), in `WHAT` too: a diagnostic is always one line of
    /// printable ASCII.
    pub fn line(&mut self, number: u64, what: impl fmt::Display, line: &[u8]) {
        if self.quiet {
            return;
        }
        let start = self.buf.len();
        // Writing into a Vec cannot fail.
        let _ = write!(self.buf, "echo-node: line {number}: {what}");
        if !self.buf[start..].iter().all(|&b| printable(b)) {
            let text = self.buf.split_off(start);
            escape_into(&mut self.buf, &text);
        }
        if !line.is_empty() {
            let cut = line.len().min(EXCERPT);
            self.buf.extend_from_slice(b": ");
            escape_into(&mut self.buf, &line[..cut]);
            if cut < line.len() {
                self.buf.extend_from_slice(b"...");
            }
        }
        self.buf.push(b'\n');
        if self.buf.len() >= LOG_LIMIT {
            self.flush();
        }
    }

    /// Hands everything recorded to the sink; what a failing sink does not take is lost.
    pub fn flush(&mut self) {
        let mut rest = &self.buf[..];
        while !rest.is_empty() {
            match self.sink.write(rest) {
                Ok(0) => break,
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.lost += memchr::memchr_iter(b'\n', rest).count() as u64;
        self.buf.clear();
    }

    /// At the end of a run: hands over what is recorded, and returns how many lines the
    /// sink failed to take in all.
    pub fn finish(mut self) -> u64 {
        self.flush();
        self.lost
    }

    /// The sink, for tests.
    #[cfg(test)]
    pub fn sink(&self) -> &E {
        &self.sink
    }
}

/// Bytes a diagnostic shows as they are.
fn printable(b: u8) -> bool {
    b == b' ' || b.is_ascii_graphic()
}

/// Appends `bytes` to `out`, printable ASCII as it is and every other byte escaped.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if printable(b) {
            out.push(b);
        } else {
            out.extend(std::ascii::escape_default(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_line_and_quotes_an_escaped_excerpt() {
        let mut log = Log::new(Vec::new(), false);
        log.line(7, "not valid JSON", b"{\"a\":\xff\n");
        log.line(8, "too long", &[b'x'; 200]);
        log.line(9, "odd \x1b[31m\u{e9}", b"");
        assert!(log.sink().is_empty(), "buffered until flush");
        log.flush();
        let text = String::from_utf8(log.sink().clone()).expect("ascii");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"echo-node: line 7: not valid JSON: {"a":\xff\n"#
        );
        assert_eq!(
            lines[1],
            format!("echo-node: line 8: too long: {}...", "x".repeat(EXCERPT))
        );
        assert_eq!(lines[2], r"echo-node: line 9: odd \x1b[31m\xc3\xa9");
    }

    #[test]
    fn quiet_records_nothing() {
        let mut log = Log::new(Vec::new(), true);
        log.line(1, "bad", b"x");
        log.flush();
        assert!(log.sink().is_empty());
    }

    #[test]
    fn a_failing_sink_loses_lines_without_stopping_anything() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut log = Log::new(Closed, false);
        log.line(1, "a", b"");
        log.line(2, "b", b"");
        log.flush();
        assert!(log.buf.is_empty(), "nothing is held once handed over");
        log.line(3, "c", b"");
        assert_eq!(log.finish(), 3);
    }
}
