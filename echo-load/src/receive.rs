//! Stage 3: read what the nodes print: stdout cut into lines, stderr drained into a log.
//!
//! Both read from non-blocking pipes, as far as they hold data, whenever `poll` says so;
//! neither ever blocks the driver, and stderr is read as fast as a node writes it, so a
//! chatty node is never held up by the driver.

use std::fs::File;
use std::io::{self, Read, Write};

/// The longest stdout line accepted from a node.
pub const MAX_LINE: usize = 64 << 20;

/// A node's stdout, cut into lines.
#[derive(Debug)]
pub struct Lines {
    /// Bytes read; `buf[start..end]` not yet handed out.
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out; `start <= end <= buf.len()`.
    start: usize,
    /// End of the bytes read.
    end: usize,
    /// Number of the last line handed out (1-based).
    pub number: u64,
}

impl Default for Lines {
    /// An empty reader; it allocates its buffer on its first read.
    fn default() -> Self {
        Lines {
            buf: Vec::new(),
            start: 0,
            end: 0,
            number: 0,
        }
    }
}

/// The buffer a reader starts with.
const START: usize = 1 << 20;

/// What a read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    /// Some bytes, or none for now.
    Data,
    /// End of file: the node closed its stdout (it exited, most likely).
    Closed,
}

impl Lines {
    /// Reads what `source` holds now (never blocks on a non-blocking pipe).
    pub fn fill(&mut self, source: &mut impl Read) -> io::Result<Got> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.is_empty() {
            self.buf.resize(START, 0);
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_LINE {
                return Err(io::Error::other(format!(
                    "a stdout line longer than {} MiB",
                    MAX_LINE >> 20
                )));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match source.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(Got::Closed),
                Ok(n) => {
                    self.end += n;
                    return Ok(Got::Data);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Got::Data),
                Err(e) => return Err(e),
            }
        }
    }

    /// The next complete line, without its `\n`.
    pub fn next_line(&mut self) -> Option<&[u8]> {
        let i = memchr::memchr(b'\n', &self.buf[self.start..self.end])?;
        let line = &self.buf[self.start..self.start + i];
        self.start += i + 1;
        self.number += 1;
        Some(line)
    }

    /// Bytes of an unfinished last line.
    pub fn unfinished(&self) -> usize {
        self.end - self.start
    }
}

/// A node's stderr: copied to its log file (if any), the last few KiB kept to show when
/// the node fails.
#[derive(Debug)]
pub struct Stderr {
    file: Option<File>,
    tail: Vec<u8>,
    buf: Vec<u8>,
}

/// How much of a node's last stderr output is kept for failure messages.
const TAIL: usize = 4096;

impl Stderr {
    /// A reader copying to `file`, if any.
    pub fn new(file: Option<File>) -> Self {
        Stderr {
            file,
            tail: Vec::new(),
            buf: vec![0; 64 * 1024],
        }
    }

    /// Reads all `source` holds now; `Closed` once it is at end of file.
    pub fn drain(&mut self, source: &mut impl Read) -> io::Result<Got> {
        loop {
            match source.read(&mut self.buf) {
                Ok(0) => return Ok(Got::Closed),
                Ok(n) => {
                    let bytes = &self.buf[..n];
                    if let Some(file) = &mut self.file {
                        file.write_all(bytes)?;
                    }
                    self.tail.extend_from_slice(bytes);
                    if self.tail.len() > 2 * TAIL {
                        self.tail.drain(..self.tail.len() - TAIL);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Got::Data),
                Err(e) => return Err(e),
            }
        }
    }

    /// The last lines the node wrote on stderr, for a failure message.
    pub fn tail(&self) -> String {
        let start = self.tail.len().saturating_sub(TAIL);
        String::from_utf8_lossy(&self.tail[start..])
            .trim_end()
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out its data in pieces, then WouldBlock once, then EOF.
    struct Pieces(Vec<Vec<u8>>, bool);

    impl Read for Pieces {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                if !self.1 {
                    self.1 = true;
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                return Ok(0);
            }
            let piece = self.0.remove(0);
            out[..piece.len()].copy_from_slice(&piece);
            Ok(piece.len())
        }
    }

    #[test]
    fn lines_are_cut_across_reads() {
        let mut source = Pieces(
            vec![b"ab".to_vec(), b"c\nde\n".to_vec(), b"f".to_vec()],
            false,
        );
        let mut lines = Lines::default();
        let mut got = Vec::new();
        loop {
            let read = lines.fill(&mut source).expect("in memory");
            loop {
                let number = lines.number + 1;
                let Some(line) = lines.next_line() else { break };
                got.push((number, line.to_vec()));
            }
            if read == Got::Closed {
                break;
            }
        }
        assert_eq!(got, vec![(1, b"abc".to_vec()), (2, b"de".to_vec())]);
        assert_eq!(lines.unfinished(), 1);
    }

    #[test]
    fn stderr_keeps_its_tail() {
        let mut source = Pieces(vec![vec![b'x'; 10_000], b"\nlast words\n".to_vec()], false);
        let mut err = Stderr::new(None);
        assert_eq!(err.drain(&mut source).expect("in memory"), Got::Data);
        assert_eq!(err.drain(&mut source).expect("in memory"), Got::Closed);
        assert!(err.tail().ends_with("last words"));
        assert!(err.tail().len() <= TAIL);
    }
}
