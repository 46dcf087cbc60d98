//! The history: every operation, in the spirit of Maelstrom's `history.txt`, as JSON
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
//! `"interrupted"`). Each operation is held in memory as it happens (a copy of its few
//! bytes), and the lines are written once the load is over (or whenever 64 MiB are
//! held): off the load's path. The history written by default, and `history.edn`,
//! `history.txt` and `timeline.html` made from it, are in
//! [`Config::keeps_history`](crate::config::Config::keeps_history).

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

/// A run of up to this many requests keeps its history with no `--history`, when its
/// history would be at most `KEPT_BYTES`.
pub const KEPT_REQUESTS: u64 = 100_000;

/// The largest history a run keeps with no `--history`: 64 MiB.
pub const KEPT_BYTES: u64 = 64 << 20;

/// The most a history holds in memory (its operations and their bytes) before it is
/// written out: a history of up to about this size (every one
/// [`Config::keeps_history`](crate::config::Config::keeps_history) with no
/// `--history`) is written after the load, none of it during it.
const HELD: usize = 64 << 20;

/// How an operation completed.
#[derive(Debug, Clone, Copy)]
pub enum Completion<'a> {
    /// A reply whose echo is `value`, and whether it is the value sent.
    Ok {
        /// The echo, as the JSON text it was received as.
        value: &'a [u8],
        /// The reply's body, as the JSON text it was received as: what Maelstrom's
        /// client returns, and its history records as the operation's value.
        body: &'a [u8],
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

/// What an operation's line says besides its common fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `invoke`, with the value sent.
    Invoke,
    /// `ok`, with the echo; `valid` false when it is not the value sent.
    Ok { valid: bool },
    /// `fail`, with the error's code.
    Fail,
    /// `info`, with why.
    Info,
}

/// One operation, held until it is written: its client (`c` and this number), its node
/// (an index into [`History::nodes`]), and its value, code or error, `bytes` long from
/// `from` in [`History::held`], followed there (an `ok`) by the reply's body, `body`
/// long.
#[derive(Debug, Clone, Copy)]
struct Op {
    at: Instant,
    kind: Kind,
    msg_id: u64,
    client: u64,
    from: usize,
    node: u32,
    bytes: u32,
    body: u32,
}

/// The history: each operation held in memory as it happens (a copy of its few bytes),
/// and written into a temporary file (`history.jsonl.tmp`) once the load is over, or
/// whenever 64 MiB are held; renamed to its own name once whole, so that it is
/// whole or absent.
#[derive(Debug)]
pub struct History {
    /// `history.jsonl`, `history.edn` and `history.txt`, each with its name once whole
    /// and its name while written; each opened at its first write (a history held in
    /// memory holds no descriptor).
    files: [(Option<BufWriter<File>>, PathBuf, PathBuf); 3],
    /// The next operation's index (history.edn's `:index`).
    index: u64,
    /// A line of history.edn and one of history.txt, as they are made.
    lines: (String, String),
    /// Times count from here: the start of the load.
    start: Instant,
    /// The operations not yet written, in order.
    ops: Vec<Op>,
    /// The nodes' names, by index.
    nodes: Vec<String>,
    /// Their bytes.
    held: Vec<u8>,
    /// The first write that failed; nothing more is written after it.
    failed: Option<io::Error>,
}

impl History {
    /// Creates (or truncates) `history.jsonl`, `history.edn` and `history.txt` in `dir`,
    /// each with `.tmp` added, to be renamed by [`History::finish`]; room is made for
    /// the operations of `requests` requests at once (up to 64 MiB), so that holding
    /// them never moves what is held during the load. `nodes` names the nodes by index.
    pub fn create(dir: &Path, requests: u64, nodes: &[String]) -> io::Result<History> {
        // Each is created now, so that one that cannot be fails the run before it starts.
        let file = |name: &str| -> io::Result<(Option<BufWriter<File>>, PathBuf, PathBuf)> {
            let path = dir.join(name);
            let tmp = dir.join(format!("{name}.tmp"));
            File::create(&tmp)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", tmp.display())))?;
            Ok((None, path, tmp))
        };
        Ok(History {
            files: [
                file("history.jsonl")?,
                file("history.edn")?,
                file("history.txt")?,
            ],
            index: 0,
            lines: (String::new(), String::new()),
            start: Instant::now(),
            ops: Vec::with_capacity((2 * requests as usize).min(HELD / std::mem::size_of::<Op>())),
            nodes: nodes.to_vec(),
            // A Maelstrom payload: about 16 bytes.
            held: Vec::with_capacity((2 * 16 * requests as usize).min(HELD)),
            failed: None,
        })
    }

    /// Times count from `start`.
    pub fn start(&mut self, start: Instant) {
        self.start = start;
    }

    /// Client `c{client}` invoked request `msg_id` to node `node` (its index), carrying
    /// `value` (JSON text).
    pub fn invoke(&mut self, at: Instant, client: u64, node: usize, msg_id: u64, value: &[u8]) {
        self.hold(at, Kind::Invoke, client, node, msg_id, (value, &[]));
    }

    /// Request `msg_id` of client `c{client}` to node `node` completed, as `how`.
    pub fn complete(
        &mut self,
        at: Instant,
        client: u64,
        node: usize,
        msg_id: u64,
        how: Completion<'_>,
    ) {
        let (kind, bytes, body) = match how {
            Completion::Ok { value, body, valid } => (Kind::Ok { valid }, value, body),
            Completion::Fail { code } => (Kind::Fail, code, &[][..]),
            Completion::Info { error } => (Kind::Info, error.as_bytes(), &[][..]),
        };
        self.hold(at, kind, client, node, msg_id, (bytes, body));
    }

    /// Holds one operation, its value, code or error and (an ok's) the reply's body;
    /// writes what is held once it passes [`HELD`].
    fn hold(
        &mut self,
        at: Instant,
        kind: Kind,
        client: u64,
        node: usize,
        msg_id: u64,
        (rest, body): (&[u8], &[u8]),
    ) {
        let from = self.held.len();
        self.held.extend_from_slice(rest);
        self.held.extend_from_slice(body);
        self.ops.push(Op {
            at,
            kind,
            msg_id,
            from,
            client,
            node: node as u32,
            bytes: rest.len() as u32,
            body: body.len() as u32,
        });
        if self.held.len() + self.ops.len() * std::mem::size_of::<Op>() > HELD {
            self.write_held();
        }
    }

    /// Writes every operation held, and lets them go.
    fn write_held(&mut self) {
        if self.failed.is_none() && !self.ops.is_empty() {
            for (out, _, tmp) in &mut self.files {
                if out.is_none() {
                    match std::fs::OpenOptions::new().append(true).open(&*tmp) {
                        Ok(file) => *out = Some(BufWriter::with_capacity(1 << 20, file)),
                        Err(e) => {
                            self.failed = Some(e);
                            break;
                        }
                    }
                }
            }
        }
        if self.failed.is_none()
            && let [(Some(jsonl), ..), (Some(edn), ..), (Some(txt), ..)] = &mut self.files
        {
            for op in &self.ops {
                let written =
                    write_op(jsonl, self.start, op, &self.held, &self.nodes).and_then(|()| {
                        let (e, t) = &mut self.lines;
                        jepsen_lines(e, t, self.index, self.start, op, &self.held);
                        self.index += 1;
                        edn.write_all(e.as_bytes())?;
                        txt.write_all(t.as_bytes())
                    });
                if let Err(e) = written {
                    self.failed = Some(e);
                    break;
                }
            }
        }
        self.ops.clear();
        self.held.clear();
    }

    /// Writes what is held and gives the files their names; or removes them, and
    /// returns the first error of the whole history, with the first file's name.
    pub fn finish(mut self) -> Result<(), crate::files::OutputError> {
        self.write_held();
        let mut error = self.failed.take();
        for (out, path, tmp) in &mut self.files {
            if error.is_none() {
                let flushed = out.as_mut().map_or(Ok(()), Write::flush);
                error = flushed.and_then(|()| std::fs::rename(&*tmp, &*path)).err();
            }
        }
        match error {
            None => Ok(()),
            Some(error) => {
                for (_, path, tmp) in &self.files {
                    let _ = std::fs::remove_file(tmp);
                    let _ = std::fs::remove_file(path);
                }
                let path = self.files[0].1.clone();
                Err(crate::files::OutputError::of(path, error))
            }
        }
    }
}

/// Makes `op`'s line of history.edn (Jepsen's operation map) in `edn` and of
/// history.txt (its columns: process, type, f, value, error) in `txt`.
fn jepsen_lines(
    edn: &mut String,
    txt: &mut String,
    index: u64,
    start: Instant,
    op: &Op,
    held: &[u8],
) {
    use crate::edn::{error_word, json_text};
    use std::fmt::Write as _;
    let rest = &held[op.from..op.from + op.bytes as usize];
    let end = op.from + op.bytes as usize;
    // An ok's value is the reply's body, as Maelstrom's history records it (workload/
    // echo.clj's `invoke!` keeps what client.clj's `rpc!` returns); an invoke's the value
    // sent.
    let value_text = match op.kind {
        Kind::Ok { .. } if op.body > 0 => &held[end..end + op.body as usize],
        _ => rest,
    };
    let kind = match op.kind {
        Kind::Invoke => ":invoke",
        Kind::Ok { .. } => ":ok",
        Kind::Fail => ":fail",
        Kind::Info => ":info",
    };
    let time = op.at.saturating_duration_since(start).as_nanos();
    edn.clear();
    edn.push_str("{:type ");
    edn.push_str(kind);
    edn.push_str(", :f :echo");
    // The value's and the error's EDN are made once, in the map, and copied from there
    // into the columns.
    let value = matches!(op.kind, Kind::Invoke | Kind::Ok { .. }).then(|| {
        edn.push_str(", :value ");
        let from = edn.len();
        json_text(edn, value_text);
        from..edn.len()
    });
    // Jepsen's processes are numbers: a client's is the number in its id (c5: 5).
    let _ = write!(
        edn,
        ", :process {}, :time {time}, :index {index}",
        op.client
    );
    let error = matches!(op.kind, Kind::Fail | Kind::Info).then(|| {
        edn.push_str(", :error ");
        let from = edn.len();
        if op.kind == Kind::Fail {
            json_text(edn, rest);
        } else {
            error_word(edn, &String::from_utf8_lossy(rest));
        }
        from..edn.len()
    });
    edn.push_str("}\n");
    txt.clear();
    let _ = write!(txt, "{}\t{kind}\t:echo\t", op.client);
    txt.push_str(value.map_or("nil", |r| &edn[r]));
    if let Some(r) = error {
        txt.push('\t');
        txt.push_str(&edn[r]);
    }
    txt.push('\n');
}

/// Writes `value`, JSON as Maelstrom reads it, as JSON every reader takes: a control
/// character written raw inside a string (which Maelstrom's reader accepts, and strict
/// readers such as Python's and jq refuse) is written escaped, as Maelstrom's writer
/// escapes it (`\t`, `\u0001`).
fn write_strict(out: &mut impl Write, value: &[u8]) -> io::Result<()> {
    out.write_all(&crate::check::escape_controls(value))
}

/// Writes `op`'s line (its bytes in `held`), its time counted from `start`.
fn write_op(
    out: &mut impl Write,
    start: Instant,
    op: &Op,
    held: &[u8],
    nodes: &[String],
) -> io::Result<()> {
    let rest = &held[op.from..op.from + op.bytes as usize];
    let node = nodes
        .get(op.node as usize)
        .map_or(&b"?"[..], |n| n.as_bytes());
    let time = op.at.saturating_duration_since(start).as_nanos();
    let kind = match op.kind {
        Kind::Invoke => "invoke",
        Kind::Ok { .. } => "ok",
        Kind::Fail => "fail",
        Kind::Info => "info",
    };
    write!(
        out,
        "{{\"time\":{time},\"type\":\"{kind}\",\"f\":\"echo\",\"process\":\"c{}",
        op.client
    )?;
    out.write_all(b"\",\"node\":\"")?;
    out.write_all(node)?;
    write!(out, "\",\"msg_id\":{}", op.msg_id)?;
    match op.kind {
        Kind::Invoke | Kind::Ok { .. } => {
            out.write_all(b",\"value\":")?;
            write_strict(out, rest)?;
            if op.kind == (Kind::Ok { valid: false }) {
                out.write_all(b",\"valid\":false")?;
            }
        }
        Kind::Fail => {
            out.write_all(b",\"code\":")?;
            write_strict(out, rest)?;
        }
        Kind::Info => {
            out.write_all(b",\"error\":\"")?;
            out.write_all(rest)?;
            out.write_all(b"\"")?;
        }
    }
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(value: &str) -> String {
        let mut out = Vec::new();
        write_strict(&mut out, value.as_bytes()).expect("a Vec takes it");
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }

    #[test]
    fn a_raw_control_character_in_a_string_is_written_escaped() {
        assert_eq!(strict("\"a\tb\""), "\"a\\tb\"");
        assert_eq!(strict("\"\0\""), "\"\\u0000\"");
        // Whitespace between tokens stays; an escaped quote does not end the string.
        assert_eq!(
            strict("{\"k\":\t[\"x\\\"\n\", 1]}"),
            "{\"k\":\t[\"x\\\"\\n\", 1]}"
        );
        // Nothing to do: the same bytes.
        assert_eq!(strict("\"Please echo 5\""), "\"Please echo 5\"");
        for value in [
            "\"a\tb\"",
            "{\"k\":\t[\"x\\\"\n\", 1]}",
            "[\"\\\\\", \"\u{1f}\"]",
        ] {
            let written = strict(value);
            assert!(
                serde_json::from_str::<serde_json::Value>(&written).is_ok(),
                "{written:?} is JSON"
            );
        }
    }
}
