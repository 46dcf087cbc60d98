//! `--history`: every operation, in the spirit of Maelstrom's `history.txt`, as JSON
//! lines in `history.jsonl`: a line when a client invokes a request, and one when it
//! completes, each with its time in nanoseconds since the load started:
//!
//! ```text
//! {"time":1520,"type":"invoke","f":"echo","process":"c1","node":"n1","msg_id":1,"value":"Please echo 35"}
//! {"time":41230,"type":"ok","f":"echo","process":"c1","node":"n1","msg_id":1,"value":"Please echo 35"}
//! ```
//!
//! `type` is Maelstrom's: `invoke`; `ok` (a reply; `"valid":false` when its echo is not
//! what was sent, as Maelstrom's checker would find); `fail` (an `error` reply, with its
//! `code`); `info` (no definite outcome: `"error":"timeout"`, `"malformed reply"`, or
//! `"interrupted"`). Lines are buffered and written as the run goes; nothing is kept in
//! memory.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a request takes in `history.jsonl` besides its payload, which each of its two
/// lines carries (invoked, and echoed), with the short names of a run of a few nodes and
/// clients: measured (echo-load's README, `--history`).
pub const BYTES_A_REQUEST: u64 = 185;

/// The largest history a run writes without `--history-large`: 1 GiB.
pub const LARGE: u64 = 1 << 30;

/// The rate a closed loop's history is sized for, unless `--requests` bounds it: more
/// than echo-load sends one node on the machine PERFORMANCE.md describes.
pub const CLOSED_LOOP_RATE: f64 = 1_500_000.0;

/// The size `config`'s history would have: the requests it sends at most (`--requests`,
/// else its rate over its time limit, [`CLOSED_LOOP_RATE`] for a closed loop), and their
/// bytes.
pub fn estimate(config: &crate::Config) -> (u64, u64) {
    let seconds = config.time_limit.as_secs_f64();
    let by_time = (config.rate.unwrap_or(CLOSED_LOOP_RATE) * seconds).ceil() as u64;
    let requests = config.requests.map_or(by_time, |n| n.min(by_time));
    let each = BYTES_A_REQUEST + 2 * config.payload.mean_len();
    (requests, requests.saturating_mul(each))
}

/// A run of up to this many requests keeps its history with no `--history`, when its
/// history would be at most [`KEPT_BYTES`].
pub const KEPT_REQUESTS: u64 = 100_000;

/// The largest history a run keeps with no `--history`: 64 MiB.
pub const KEPT_BYTES: u64 = 64 << 20;

/// Whether a run of `config` writes its history (`history.jsonl`, and from it
/// `history.txt`, `history.edn` and `timeline.html`): into its `out` folder, under
/// `--history`, or with no `--history` when [`estimate`] finds it small (at most
/// [`KEPT_REQUESTS`] requests and [`KEPT_BYTES`]).
pub fn kept(config: &crate::Config) -> bool {
    let (requests, bytes) = estimate(config);
    config.out.is_some() && (config.history || (requests <= KEPT_REQUESTS && bytes <= KEPT_BYTES))
}

/// Bytes of history gathered before each write.
const BUFFER: usize = 1 << 20;

/// How an operation completed.
#[derive(Debug, Clone, Copy)]
pub enum Completion<'a> {
    /// A reply whose echo is `value`, and whether it is the value sent.
    Ok {
        /// The echo, as the JSON text it was received as.
        value: &'a [u8],
        /// Whether it equals what was sent.
        valid: bool,
    },
    /// An `error` reply with this code (its JSON text).
    Fail {
        /// The code.
        code: &'a [u8],
    },
    /// No definite outcome, and why.
    Info {
        /// `timeout`, `malformed reply`, `interrupted`.
        error: &'static str,
    },
}

/// The history file being written: under a temporary name (`history.jsonl.tmp`), renamed
/// to its own once whole, so that it is whole or absent.
#[derive(Debug)]
pub struct History {
    out: BufWriter<File>,
    /// Its name once whole.
    path: PathBuf,
    /// Its name while written.
    tmp: PathBuf,
    /// Times count from here: the start of the load.
    start: Instant,
    /// The first write that failed; nothing more is written after it.
    failed: Option<io::Error>,
}

impl History {
    /// Creates (or truncates) `path` with `.tmp` added, to be renamed `path` by
    /// [`History::finish`].
    pub fn create(path: &Path) -> io::Result<History> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        Ok(History {
            out: BufWriter::with_capacity(BUFFER, File::create(&tmp)?),
            path: path.to_path_buf(),
            tmp,
            start: Instant::now(),
            failed: None,
        })
    }

    /// Times count from `start`.
    pub fn start(&mut self, start: Instant) {
        self.start = start;
    }

    /// Client `client` invoked request `msg_id` to `node`, carrying `value` (JSON text).
    pub fn invoke(&mut self, at: Instant, client: &str, node: &str, msg_id: u64, value: &[u8]) {
        self.line(at, "invoke", client, node, msg_id, |out| {
            out.write_all(b",\"value\":")?;
            out.write_all(value)
        });
    }

    /// Request `msg_id` of `client` completed, as `how`.
    pub fn complete(
        &mut self,
        at: Instant,
        client: &str,
        node: &str,
        msg_id: u64,
        how: Completion<'_>,
    ) {
        let kind = match how {
            Completion::Ok { .. } => "ok",
            Completion::Fail { .. } => "fail",
            Completion::Info { .. } => "info",
        };
        self.line(at, kind, client, node, msg_id, |out| match how {
            Completion::Ok { value, valid } => {
                out.write_all(b",\"value\":")?;
                out.write_all(value)?;
                if !valid {
                    out.write_all(b",\"valid\":false")?;
                }
                Ok(())
            }
            Completion::Fail { code } => {
                out.write_all(b",\"code\":")?;
                out.write_all(code)
            }
            Completion::Info { error } => write!(out, ",\"error\":\"{error}\""),
        });
    }

    /// Writes one line: the common fields, then `rest`.
    fn line(
        &mut self,
        at: Instant,
        kind: &str,
        client: &str,
        node: &str,
        msg_id: u64,
        rest: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    ) {
        if self.failed.is_some() {
            return;
        }
        let time = at.saturating_duration_since(self.start).as_nanos();
        let out = &mut self.out;
        let written = write!(
            out,
            "{{\"time\":{time},\"type\":\"{kind}\",\"f\":\"echo\",\"process\":\"{client}\",\
             \"node\":\"{node}\",\"msg_id\":{msg_id}"
        )
        .and_then(|()| rest(out))
        .and_then(|()| out.write_all(b"}\n"));
        if let Err(e) = written {
            self.failed = Some(e);
        }
    }

    /// Writes what is buffered and gives the file its name; or removes it, and returns
    /// the first error of the whole history, with the file's name.
    pub fn finish(mut self) -> Result<(), crate::report::OutputError> {
        let error = match self.failed.take() {
            Some(e) => Some(e),
            None => self
                .out
                .flush()
                .and_then(|()| std::fs::rename(&self.tmp, &self.path))
                .err(),
        };
        match error {
            None => Ok(()),
            Some(error) => {
                let _ = std::fs::remove_file(&self.tmp);
                Err(crate::report::OutputError::of(self.path, error))
            }
        }
    }
}
