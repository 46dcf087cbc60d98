//! Diagnostics for stderr: one line per bad input line, naming its line number.
//!
//! Lines are gathered in a reused buffer and written with the replies: after each line in
//! `--flush message`, with each batch in `--flush batch`, and whenever [`LOG_LIMIT`] bytes
//! wait. So a flood of bad input costs one write per batch, not one per line.
//!
//! Writing diagnostics never blocks the reply path and never stops the node. The sink may
//! refuse bytes (`WouldBlock`: stderr is a pipe that nobody drains; see
//! [`crate::sys::Diagnostics`]); what it refuses stays buffered, and while [`LOG_LIMIT`]
//! bytes are waiting, new lines are dropped and counted. As soon as stderr takes the
//! backlog, one more line says how many were dropped. A sink that fails outright
//! (stderr closed) loses its lines, counted the same way.

use std::fmt;
use std::io::{self, Write};

/// How many bytes of a bad line a diagnostic quotes.
pub const EXCERPT: usize = 96;

/// Diagnostics are written early once this many bytes wait, and new lines are dropped
/// while this many cannot be written; so the buffer (sized for this from the start) does
/// not grow.
pub const LOG_LIMIT: usize = 16 * 1024;

/// A buffered diagnostics writer.
#[derive(Debug)]
pub struct Log<E: Write> {
    /// Diagnostics not yet written: whole lines, except that the first may have been
    /// partly written already.
    buf: Vec<u8>,
    sink: E,
    /// When set, nothing is recorded.
    quiet: bool,
    /// Lines dropped in all.
    dropped: u64,
    /// Lines dropped since the last report of it.
    unreported: u64,
}

impl<E: Write> Log<E> {
    /// A log writing to `sink`; a `quiet` one writes nothing.
    pub fn new(sink: E, quiet: bool) -> Self {
        Self {
            buf: Vec::with_capacity(if quiet { 0 } else { LOG_LIMIT + 1024 }),
            sink,
            quiet,
            dropped: 0,
            unreported: 0,
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
        if self.buf.len() >= LOG_LIMIT {
            self.flush();
            if self.buf.len() >= LOG_LIMIT {
                self.dropped += 1;
                self.unreported += 1;
                return;
            }
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

    /// Writes what is recorded, as far as the sink takes it without blocking.
    pub fn flush(&mut self) {
        loop {
            if self.buf.is_empty() {
                if self.unreported == 0 {
                    return;
                }
                let _ = writeln!(
                    self.buf,
                    "echo-node: {} diagnostic lines dropped: stderr was not taking them",
                    self.unreported
                );
                self.unreported = 0;
            }
            match self.sink.write(&self.buf) {
                Ok(0) => return self.lose_all(),
                Ok(n) => {
                    self.buf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return self.lose_all(),
            }
        }
    }

    /// Drops every buffered line (counted), for a sink that will take nothing more.
    fn lose_all(&mut self) {
        let lines = memchr::memchr_iter(b'\n', &self.buf).count() as u64;
        self.dropped += lines;
        self.buf.clear();
    }

    /// At the end of a run: writes what the sink takes, lets it flush (a sink may wait
    /// there, as stderr's does for a bounded time) and writes again, counts the rest as
    /// dropped, and returns how many lines were dropped in all.
    pub fn finish(mut self) -> u64 {
        self.flush();
        if !self.buf.is_empty() || self.unreported > 0 {
            let _ = self.sink.flush();
            self.flush();
        }
        self.lose_all();
        self.dropped
    }

    /// The sink, for tests.
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

    /// A sink that takes `room` bytes, then refuses with `WouldBlock` until given more.
    #[derive(Default)]
    struct Stuck {
        taken: Vec<u8>,
        room: usize,
    }

    impl Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.room).min(100);
            self.taken.extend_from_slice(&buf[..n]);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_sink_costs_dropped_lines_reported_once_it_takes_more() {
        let mut log = Log::new(Stuck::default(), false);
        let mut recorded = 0;
        for n in 1..=2000 {
            log.line(n, "bad", b"0123456789");
            recorded += 1;
        }
        assert!(log.buf.len() < LOG_LIMIT + 1024, "the buffer stays bounded");
        assert!(log.dropped > 0);
        let dropped = log.dropped;
        // stderr drains: the backlog goes out whole, then the count.
        log.sink.room = usize::MAX;
        log.flush();
        let text = String::from_utf8(log.sink().taken.clone()).expect("ascii");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, recorded - dropped + 1);
        assert!(lines[0].starts_with("echo-node: line 1: bad"));
        assert_eq!(
            lines.last().copied(),
            Some(
                format!(
                    "echo-node: {dropped} diagnostic lines dropped: stderr was not taking them"
                )
                .as_str()
            )
        );
        assert_eq!(log.finish(), dropped);
    }

    #[test]
    fn a_partly_written_line_is_finished_before_anything_else() {
        let mut log = Log::new(
            Stuck {
                taken: Vec::new(),
                room: 30,
            },
            false,
        );
        log.line(1, "first diagnostic", b"");
        log.flush();
        assert_eq!(log.sink().taken.len(), 30);
        log.sink.room = usize::MAX;
        log.line(2, "second", b"");
        log.flush();
        assert_eq!(
            String::from_utf8(log.sink().taken.clone()).expect("ascii"),
            "echo-node: line 1: first diagnostic\necho-node: line 2: second\n"
        );
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
        log.line(3, "c", b"");
        assert_eq!(log.finish(), 3);
    }
}
