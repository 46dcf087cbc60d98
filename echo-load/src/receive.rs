//! Stage 3: read what the nodes print. Each node's stdout is cut into lines in one buffer
//! that grows with the longest line it holds and shrinks back once that line is handled;
//! each node's stderr goes straight to its log file, which the driver reads only to
//! quote a failing node's last words.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// The longest stdout line accepted from a node.
pub const MAX_LINE: usize = 64 << 20;

/// The buffer a reader starts with, and shrinks back to.
const START: usize = 16 << 10;

/// A buffer larger than this is shrunk back to [`START`] once it holds nothing.
const SHRINK_ABOVE: usize = 64 << 10;

/// A node's stdout, cut into lines.
#[derive(Debug, Default)]
pub struct Lines {
    /// Bytes read; `buf[start..end]` not yet handed out. Empty until the first read.
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out; `start <= end <= buf.len()`.
    start: usize,
    /// End of the bytes read.
    end: usize,
    /// Number of the last line handed out (1-based).
    pub number: u64,
    /// The source has ended: a last line needs no line end.
    closed: bool,
    /// The length of the last line, handed out at the end with no line end (0: none).
    unterminated: usize,
    /// The last line handed out ended with a `\r` that was the last byte read: a `\n`
    /// that comes first in the next read ends nothing (it is that line's `\r\n`).
    skip_lf: bool,
}

/// What a read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    /// Some bytes; there may be more.
    Data,
    /// Nothing for now: the pipe is empty (a non-blocking read would block).
    Empty,
    /// End of file: the node closed its stdout (it exited, most likely).
    Closed,
    /// A line longer than [`MAX_LINE`] has begun: it is not read.
    TooLong,
}

impl Lines {
    /// Reads once from `source` (never blocks on a non-blocking pipe), making room first:
    /// handed-out bytes are dropped, and a full buffer doubles, up to [`MAX_LINE`].
    pub fn fill(&mut self, source: &mut impl Read) -> io::Result<Got> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > SHRINK_ABOVE {
                self.buf = Vec::new();
            }
        } else if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.is_empty() {
            self.buf.resize(START, 0);
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_LINE {
                return Ok(Got::TooLong);
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match source.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.closed = true;
                    return Ok(Got::Closed);
                }
                Ok(n) => {
                    self.end += n;
                    debug_assert!(self.end <= self.buf.len(), "a read within the buffer");
                    return Ok(Got::Data);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Got::Empty),
                Err(e) => return Err(e),
            }
        }
    }

    /// The next complete line, without its line end.
    pub fn next_line(&mut self) -> Option<&[u8]> {
        debug_assert!(self.start <= self.end && self.end <= self.buf.len());
        if self.skip_lf && self.start < self.end {
            self.skip_lf = false;
            if self.buf[self.start] == b'\n' {
                self.start += 1;
            }
        }
        let rest = &self.buf[self.start..self.end];
        // A line ends at `\n`, `\r` or `\r\n`, as Java's `BufferedReader.readLine` has
        // it, and is whole as soon as its end is read (readLine returns at a `\r`, and
        // skips a `\n` that comes next); the last one at the end of the stream needs none.
        let (len, end) = match memchr::memchr2(b'\n', b'\r', rest) {
            Some(i) if rest[i] == b'\n' => (i, i + 1),
            Some(i) if i + 1 < rest.len() => (i, i + 1 + usize::from(rest[i + 1] == b'\n')),
            // A `\r` last: the line is whole; a `\n` first in the next read is its own.
            Some(i) => {
                self.skip_lf = true;
                (i, i + 1)
            }
            None if self.closed && !rest.is_empty() => {
                self.unterminated = rest.len();
                (rest.len(), rest.len())
            }
            None => return None,
        };
        let start = self.start;
        self.start += end;
        self.number += 1;
        Some(&self.buf[start..start + len])
    }

    /// Bytes read and not handed out: once every line has been taken, the start of one
    /// that no line end has followed yet.
    pub fn pending(&self) -> usize {
        self.end - self.start
    }

    /// The length of the last line, if the stream ended in the middle of it (it was
    /// handed out without a line end).
    pub fn unterminated(&self) -> usize {
        self.unterminated
    }

    /// Bytes the buffer holds now, used or not.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }
}

/// How much of a node's last stderr output a failure message quotes.
const TAIL: u64 = 4096;

/// Shows each node's stderr as it comes (`--log-stderr`, as Maelstrom's): a thread of its
/// own reads what was added to each node's log every [`FOLLOW_EVERY`] and writes each
/// whole line to echo-load's stderr after the node's id (`n0: ...`). Off the request path:
/// the loop never waits for it. Dropping it shows what is left and ends the thread.
#[derive(Debug)]
pub struct Follow {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How often [`Follow`] looks at the logs.
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

impl Follow {
    /// Follows `logs`: each node's id and its log file (which may not exist yet).
    pub fn start(logs: Vec<(String, std::path::PathBuf)>) -> Follow {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let theirs = std::sync::Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("log-stderr".into())
            .spawn(move || {
                let mut read = vec![0u64; logs.len()];
                loop {
                    let last = theirs.load(Ordering::Relaxed);
                    for ((name, path), done) in logs.iter().zip(&mut read) {
                        show_new_lines(name, path, done);
                    }
                    if last {
                        return;
                    }
                    std::thread::sleep(FOLLOW_EVERY);
                }
            })
            .ok();
        Follow { stop, thread }
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Writes the whole lines `path` gained past byte `done` to stderr, each after `name`,
/// and moves `done` past them.
fn show_new_lines(name: &str, path: &Path, done: &mut u64) {
    use std::io::Write;
    let Ok(mut file) = File::open(path) else {
        return;
    };
    if file.seek(SeekFrom::Start(*done)).is_err() {
        return;
    }
    let mut added = Vec::new();
    if file.read_to_end(&mut added).is_err() {
        return;
    }
    let Some(end) = memchr::memrchr(b'\n', &added) else {
        return;
    };
    let mut text = Vec::with_capacity(end + 64);
    for line in added[..end].split(|&b| b == b'\n') {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(b": ");
        // Escaped: a node's bytes never act on the terminal.
        let line = String::from_utf8_lossy(line);
        text.extend_from_slice(crate::words::printable(&line, false).as_bytes());
        text.push(b'\n');
    }
    let _ = io::stderr().write_all(&text);
    *done += end as u64 + 1;
}

/// The last `lines` lines a node wrote to its log (of its last 4 KiB), each cut at 200
/// bytes, for a failure message.
pub fn last_lines(log: &Path, lines: usize) -> Vec<String> {
    let text = tail(log);
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|l| match l.char_indices().nth(200) {
            Some((cut, _)) => format!("{}...", &l[..cut]),
            None => (*l).to_owned(),
        })
        .collect()
}

/// The last lines a node wrote to its log (at most 4 KiB of them), for a failure message.
pub fn tail(log: &Path) -> String {
    let mut text = Vec::new();
    if let Ok(mut file) = File::open(log) {
        let len = file.metadata().map_or(0, |m| m.len());
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(TAIL)));
        let _ = file.read_to_end(&mut text);
    }
    String::from_utf8_lossy(&text).trim_end().to_owned()
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
            let n = piece.len().min(out.len());
            out[..n].copy_from_slice(&piece[..n]);
            if n < piece.len() {
                self.0.insert(0, piece[n..].to_vec());
            }
            Ok(n)
        }
    }

    fn read_all(lines: &mut Lines, source: &mut Pieces) -> Vec<(u64, Vec<u8>)> {
        let mut got = Vec::new();
        loop {
            let read = lines.fill(source).expect("in memory");
            loop {
                let number = lines.number + 1;
                let Some(line) = lines.next_line() else { break };
                got.push((number, line.to_vec()));
            }
            if read == Got::Closed {
                return got;
            }
        }
    }

    #[test]
    fn lines_are_cut_across_reads() {
        let mut source = Pieces(
            vec![b"ab".to_vec(), b"c\nde\n".to_vec(), b"f".to_vec()],
            false,
        );
        let mut lines = Lines::default();
        let got = read_all(&mut lines, &mut source);
        // The last line needs no line end, as Java's readLine has it.
        assert_eq!(
            got,
            vec![
                (1, b"abc".to_vec()),
                (2, b"de".to_vec()),
                (3, b"f".to_vec())
            ]
        );
        assert_eq!(lines.unterminated(), 1);
    }

    #[test]
    fn a_line_ends_at_lf_cr_or_crlf_even_across_reads() {
        let mut source = Pieces(
            vec![
                b"a\rb\r".to_vec(),
                b"\nc\r\n\rd".to_vec(),
                b"\ne\r".to_vec(),
            ],
            false,
        );
        let mut lines = Lines::default();
        let got: Vec<Vec<u8>> = read_all(&mut lines, &mut source)
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(
            got,
            [&b"a"[..], b"b", b"c", b"", b"d", b"e"].map(<[u8]>::to_vec)
        );
        assert_eq!(lines.unterminated(), 0, "the last line ended with its \\r");
    }

    #[test]
    fn a_line_ended_by_a_lone_cr_is_whole_before_any_later_byte() {
        // The node's last reply ends with `\r` and nothing follows while it waits: the
        // line is handed out at once, as Java's readLine returns it (process.clj).
        let mut lines = Lines::default();
        let mut source = Pieces(vec![b"x\r".to_vec()], false);
        assert_eq!(lines.fill(&mut source).expect("in memory"), Got::Data);
        assert_eq!(lines.next_line(), Some(&b"x"[..]));
        assert_eq!(lines.fill(&mut source).expect("in memory"), Got::Empty);
        assert_eq!(lines.next_line(), None);
        // The `\n` that then comes is that line's `\r\n`, not an empty line.
        let mut source = Pieces(vec![b"\ny\n".to_vec()], false);
        lines.fill(&mut source).expect("in memory");
        assert_eq!(lines.next_line(), Some(&b"y"[..]));
        assert_eq!(lines.next_line(), None);
        assert_eq!(lines.number, 2);
    }

    #[test]
    fn the_buffer_grows_for_a_long_line_and_shrinks_back_after_it() {
        let mut lines = Lines::default();
        // 1 MiB of a line, not yet ended: the buffer grows to hold it.
        let mut source = Pieces(vec![vec![b'x'; 1 << 20]], false);
        while lines.fill(&mut source).expect("in memory") == Got::Data {}
        assert!(lines.next_line().is_none());
        assert!(lines.capacity() > 1 << 20, "{}", lines.capacity());
        // Its end, and one more line: both handed out, and the next read starts small.
        let mut rest = Pieces(vec![b"\nnext\n".to_vec()], false);
        let got = read_all(&mut lines, &mut rest);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].1.len(), &got[1].1[..]), (1 << 20, &b"next"[..]));
        assert_eq!(lines.capacity(), START);
    }

    #[test]
    fn a_log_is_quoted_by_its_tail() {
        let path = std::env::temp_dir().join(format!("echo-load-tail-{}", std::process::id()));
        let mut text = vec![b'x'; 10_000];
        text.extend_from_slice(b"\nlast words\n");
        std::fs::write(&path, &text).expect("write");
        let tail = tail(&path);
        let _ = std::fs::remove_file(&path);
        assert!(tail.ends_with("last words"), "{tail}");
        assert!(tail.len() <= TAIL as usize);
        assert_eq!(super::tail(Path::new("/nonexistent/log")), "");
    }
}
