//! echo-node: a Maelstrom echo node that copies nothing it does not have to.
//!
//! A message's path, one file a stage:
//!
//! 1. `line_buffer.rs`: read stdin into one reused buffer, cut it into lines with memchr.
//! 2. `message.rs`: parse a line in place with simd-json into byte spans of that line
//!    (`message/tape.rs` walks simd-json's tape into the spans; `diagnosis.rs` says why,
//!    when a line is not JSON).
//! 3. `node.rs`: decide the reply (one handler per message type), and `reply.rs`: append
//!    it to the output buffer, the echo payload as its original bytes (`reply/line.rs`
//!    copies a reply's parts into the buffer).
//! 4. `output.rs`: write the output buffer to stdout, per message or per batch.
//!
//! `log.rs` gathers the stderr diagnostics; [`sys`] holds the standard streams and all
//! that is platform-specific (waiting, signals, pipe sizes, peak memory); [`run`] wires
//! the stages together.
//!
//! What a user of the library needs is at the crate's root: [`Config`] (with [`Flush`])
//! and [`run`], which fills [`Stats`] and returns [`Error`]; the line buffer,
//! [`LineBuffer`] and [`Next`], for reading lines the node's way; and [`sys`], the
//! standard streams as the node uses them, which the `echo-node` command opens. The
//! stage modules are private: the tests, benches and fuzz targets hold each stage to its
//! claims through these, and the unit tests beside each file.

#![warn(missing_docs)]

mod diagnosis;
mod line_buffer;
mod log;
mod message;
mod node;
mod output;
mod reply;
pub mod sys;

use std::fmt;
use std::io::{self, Read, Write};

pub use line_buffer::{LineBuffer, Next};
pub use output::Flush;

use log::Log;
use node::{Handled, Protocol};
use output::Output;

/// The default `--max-line`: 64 MiB, so that no input can take the node above 2 GiB
/// (see the memory bound in GUIDE.md).
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// The `--max-line` values that can work: no message is shorter than 64 bytes that
/// could be answered, and simd-json reads no document of 4 GiB or more.
pub const MAX_LINE_RANGE: std::ops::RangeInclusive<usize> = 64..=(4095 << 20);

/// How a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// When replies are written.
    pub flush: Flush,
    /// Longest input line accepted, in bytes; longer lines are reported and skipped.
    pub max_line: usize,
    /// Do not report bad input lines on stderr.
    pub quiet: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            flush: Flush::Message,
            max_line: DEFAULT_MAX_LINE,
            quiet: false,
        }
    }
}

/// What a run has counted. Every input line counts in `lines` and in exactly one of
/// `requests`, `responses`, `bad_lines`, `too_long`, or none of them if it is blank.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Input lines read, every one: blank, bad and over-long lines included.
    pub lines: u64,
    /// Messages that are requests (no `in_reply_to`), answerable or not.
    pub requests: u64,
    /// Messages that are responses (their body has `in_reply_to`): dropped unanswered.
    pub responses: u64,
    /// `init_ok` and `echo_ok` replies made.
    pub replies: u64,
    /// `error` replies made.
    pub error_replies: u64,
    /// Replies of both kinds written to stdout: all that were made, but those in a write
    /// that failed (stdout closed, say).
    pub replies_written: u64,
    /// Requests that could not be answered (no integer `msg_id`).
    pub unanswered: u64,
    /// Lines that are not messages (not JSON, not UTF-8, no usable src/dest/body/type).
    pub bad_lines: u64,
    /// Lines longer than the limit, skipped.
    pub too_long: u64,
    /// Write calls made on stdout.
    pub writes: u64,
    /// Diagnostic lines dropped because stderr could not take them without blocking.
    pub diagnostics_dropped: u64,
}

impl Stats {
    /// Counts a line the protocol handled.
    pub fn count(&mut self, handled: Handled) {
        self.lines += 1;
        match handled {
            Handled::Blank => {}
            Handled::Bad => self.bad_lines += 1,
            Handled::Response => self.responses += 1,
            Handled::Unanswered => {
                self.requests += 1;
                self.unanswered += 1;
            }
            Handled::Replied => {
                self.requests += 1;
                self.replies += 1;
            }
            Handled::ErrorReplied => {
                self.requests += 1;
                self.error_replies += 1;
            }
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} lines, {} requests, {} responses, {} replies, {} error replies, \
             {} replies written, {} unanswered, {} bad lines, {} too long, {} writes, \
             {} diagnostics dropped",
            self.lines,
            self.requests,
            self.responses,
            self.replies,
            self.error_replies,
            self.replies_written,
            self.unanswered,
            self.bad_lines,
            self.too_long,
            self.writes,
            self.diagnostics_dropped
        )
    }
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum Error {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the replies failed (`BrokenPipe` when the reader closed its end).
    Write(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read(e) => write!(f, "reading stdin: {e}"),
            Error::Write(e) => write!(f, "writing stdout: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Runs a node until `input` ends: requests from `input`, replies to `output`,
/// diagnostics to `diagnostics` (see log.rs). Counts go to `stats` even when the run
/// fails. Whenever the node reads `input`, every reply to what it has read so far has
/// been written, every diagnostic handed to `diagnostics`, and every buffer that grew
/// past its usual capacity (for a line far longer or denser than usual) has returned to
/// it, its memory given back to the system.
///
/// ```
/// let input = concat!(
///     r#"{"id":0,"src":"c0","dest":"n0","body":{"type":"init","node_id":"n0","node_ids":["n0"],"msg_id":1}}"#,
///     "\n",
///     r#"{"id":1,"src":"c1","dest":"n0","body":{"echo":"Please echo 7","type":"echo","msg_id":1}}"#,
///     "\n",
/// );
/// let config = echo_node::Config {
///     flush: echo_node::Flush::Batch,
///     ..echo_node::Config::default()
/// };
/// let (mut replies, mut diagnostics) = (Vec::new(), Vec::new());
/// let mut stats = echo_node::Stats::default();
/// echo_node::run(&config, input.as_bytes(), &mut replies, &mut diagnostics, &mut stats)?;
/// assert_eq!(
///     String::from_utf8_lossy(&replies),
///     concat!(
///         r#"{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1,"msg_id":0}}"#,
///         "\n",
///         r#"{"src":"n0","dest":"c1","body":{"type":"echo_ok","echo":"Please echo 7","in_reply_to":1,"msg_id":1}}"#,
///         "\n",
///     )
/// );
/// assert_eq!((stats.requests, stats.replies), (2, 2));
/// assert!(diagnostics.is_empty());
/// # Ok::<(), echo_node::Error>(())
/// ```
#[inline(never)] // out of `main`: callgrind counts 9 fewer instructions a message
pub fn run<R, W, E>(
    config: &Config,
    mut input: R,
    output: W,
    diagnostics: E,
    stats: &mut Stats,
) -> Result<(), Error>
where
    R: Read,
    W: Write,
    E: Write,
{
    let mut lines = LineBuffer::new(config.max_line);
    let mut out = Output::new(output, config.flush);
    let mut log = Log::new(diagnostics, config.quiet);
    let mut node = Protocol::new();
    let result = loop {
        match lines.next_line() {
            Next::Line(line) => {
                let handled = node.handle(line, out.buffer(), &mut log);
                stats.count(handled);
                if let Err(e) = out.message_done(handled.replied()) {
                    break Err(Error::Write(e));
                }
                if config.flush == Flush::Message {
                    log.flush(); // diagnostics go out with the replies
                }
            }
            Next::TooLong { number, len } => {
                stats.lines += 1;
                stats.too_long += 1;
                log.line(
                    number,
                    format_args!(
                        "{len} bytes, longer than --max-line ({} bytes): skipped",
                        config.max_line
                    ),
                    b"",
                );
            }
            Next::NeedInput => {
                // Nothing may wait in a buffer while the node waits for input.
                if let Err(e) = out.flush() {
                    break Err(Error::Write(e));
                }
                log.flush();
                // Each shrinks only what grew past its usual capacity (a few comparisons
                // when nothing did); `|`, not `||`: every one is asked.
                if lines.shrink() | node.shrink() | out.shrink() {
                    sys::release_freed_memory();
                }
                if let Err(e) = lines.fill(&mut input) {
                    break Err(Error::Read(e));
                }
            }
            Next::End => break out.flush().map_err(Error::Write),
        }
    };
    stats.diagnostics_dropped = log.finish();
    stats.writes = out.writes();
    stats.replies_written = out.replies_written();
    result
}
