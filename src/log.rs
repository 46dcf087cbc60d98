//! Diagnostics for stderr: one line per bad input line, naming its line number.
//!
//! Lines are gathered in a reused buffer and written when the replies are (before the
//! node waits for input), so a flood of bad input costs one write per batch, not one per
//! line. Failing to write a diagnostic never stops the node.

use std::fmt;
use std::io::Write;

/// How many bytes of a bad line a diagnostic quotes.
pub const EXCERPT: usize = 96;

/// Diagnostics are written early once this many bytes wait, so a flood of bad lines
/// keeps the buffer (sized for this from the start) from growing.
pub const LOG_LIMIT: usize = 16 * 1024;

/// A buffered diagnostics writer.
#[derive(Debug)]
pub struct Log<E: Write> {
    /// Diagnostics not yet written.
    buf: Vec<u8>,
    sink: E,
    /// When set, nothing is recorded.
    quiet: bool,
}

impl<E: Write> Log<E> {
    /// A log writing to `sink`; a `quiet` one writes nothing.
    pub fn new(sink: E, quiet: bool) -> Self {
        Self {
            buf: Vec::with_capacity(if quiet { 0 } else { LOG_LIMIT + 1024 }),
            sink,
            quiet,
        }
    }

    /// Records `echo-node: line N: WHAT`, then, if `line` is not empty, the start of the
    /// line: printable ASCII as it is, other bytes escaped (`\xff`, `\n`), cut at
    /// [`EXCERPT`] bytes. So a diagnostic is always one line of ASCII.
    pub fn line(&mut self, number: u64, what: impl fmt::Display, line: &[u8]) {
        if self.quiet {
            return;
        }
        // Writing into a Vec cannot fail.
        let _ = write!(self.buf, "echo-node: line {number}: {what}");
        if !line.is_empty() {
            let cut = line.len().min(EXCERPT);
            let more = if cut < line.len() { "..." } else { "" };
            self.buf.extend_from_slice(b": ");
            for &b in &line[..cut] {
                if b == b' ' || b.is_ascii_graphic() {
                    self.buf.push(b);
                } else {
                    self.buf.extend(std::ascii::escape_default(b));
                }
            }
            self.buf.extend_from_slice(more.as_bytes());
        }
        self.buf.push(b'\n');
        if self.buf.len() >= LOG_LIMIT {
            self.flush();
        }
    }

    /// Writes what is recorded; errors writing diagnostics are ignored.
    pub fn flush(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.sink.write_all(&self.buf);
            let _ = self.sink.flush();
            self.buf.clear();
        }
    }

    /// The sink, for tests.
    pub fn sink(&self) -> &E {
        &self.sink
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
    }

    #[test]
    fn quiet_records_nothing() {
        let mut log = Log::new(Vec::new(), true);
        log.line(1, "bad", b"x");
        log.flush();
        assert!(log.sink().is_empty());
    }
}
