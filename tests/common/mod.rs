//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses its own subset

pub mod fuzz_check;
pub mod oracle;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{LazyLock, mpsc};
use std::time::Duration;

use echo_wire::frame;

use serde_json::Value;

/// The node binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_echo-node");

/// Names a command that runs the node binary for the tests, as words separated by
/// spaces, the binary's path appended: `qemu-aarch64 -L /usr/aarch64-linux-gnu` runs an
/// aarch64 build on an x86_64 machine (.ci/run does this). Unset: the binary runs itself.
pub const RUNNER_VAR: &str = "ECHO_NODE_RUNNER";

/// Both flush modes, as command-line values.
pub const FLUSH_MODES: [&str; 2] = ["message", "batch"];

/// The one place tests start the node from: the binary, through `$ECHO_NODE_RUNNER` if set.
pub fn node_command() -> Command {
    let runner = std::env::var(RUNNER_VAR).unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(BIN);
            command
        }
        None => Command::new(BIN),
    }
}

/// How long a test waits for what a right node always does (a reply, a report on stderr, an
/// exit): a bound no busy machine or emulator reaches. A node that is wrong (blocked on a
/// stream nobody drains, a reply lost) never does it at all, so the bound decides nothing
/// but how long such a node takes to fail the test. A test that asserts how *soon*
/// something happens says so and gives its own bound, with its reason.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// True when the node runs under an emulator (`$ECHO_NODE_RUNNER`): its memory figures
/// are then the emulator's, and tests of memory bounds say so and skip.
pub fn emulated() -> bool {
    std::env::var(RUNNER_VAR).is_ok_and(|r| !r.trim().is_empty())
}

/// The node's peak RSS in KiB, from the `--stats` line on its stderr (VmHWM on Linux,
/// `getrusage(2)` elsewhere).
pub fn stats_peak_kib(stderr: &str) -> Option<u64> {
    let after = stderr.rsplit_once("peak RSS ")?.1;
    let mib: f64 = after.split_whitespace().next()?.parse().ok()?;
    Some((mib * 1024.0) as u64)
}

/// Starts the node with `args` and stdin, stdout and stderr all piped.
pub fn spawn_node(args: &[&str]) -> Child {
    node_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn echo-node")
}

/// Runs the node on `input` with `args`, returning its exit status and output.
pub fn run_node(args: &[&str], input: &[u8]) -> Output {
    let mut child = spawn_node(args);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The node may stop reading early (that is what some tests check).
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait for echo-node");
    writer.join().expect("writer thread");
    output
}

/// Parses one JSON value with every number's digits kept (integer and float differ), and
/// lone surrogate escapes read as the oracle reads them ([`oracle::unlone`]).
pub fn json(bytes: &[u8]) -> Value {
    let text = std::str::from_utf8(bytes)
        .map(oracle::unlone)
        .unwrap_or_else(|e| panic!("not UTF-8 ({e}): {}", String::from_utf8_lossy(bytes)));
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes));
    })
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Checks that a reply line is what Maelstrom's closed schemas accept: top level holds
/// src, dest, body (and maybe id); the body holds exactly its type's keys.
pub fn check_reply_shape(line: &[u8]) -> Value {
    let v = json(line);
    let top = keys(&v);
    assert!(
        ["src", "dest", "body"].iter().all(|k| top.contains(k)),
        "missing top-level keys: {v}"
    );
    assert!(
        top.iter()
            .all(|k| ["src", "dest", "body", "id"].contains(k)),
        "extra top-level keys: {v}"
    );
    assert!(v["src"].is_string() && v["dest"].is_string(), "{v}");
    let body = &v["body"];
    let expected: &[&str] = match body["type"].as_str() {
        Some("echo_ok") => &["echo", "in_reply_to", "msg_id", "type"],
        Some("init_ok") => &["in_reply_to", "msg_id", "type"],
        Some("error") => &["code", "in_reply_to", "msg_id", "text", "type"],
        other => panic!("unexpected reply type {other:?}: {v}"),
    };
    assert_eq!(keys(body), expected.iter().copied().collect(), "{v}");
    assert!(
        matches!(&body["in_reply_to"], Value::Number(n) if !n.to_string().contains(['.', 'e', 'E'])),
        "in_reply_to is an integer: {v}"
    );
    assert!(body["msg_id"].is_u64(), "{v}");
    v
}

/// Splits output into lines, requiring each to end with `\n`.
pub fn lines(output: &[u8]) -> Vec<&[u8]> {
    if output.is_empty() {
        return Vec::new();
    }
    assert_eq!(output.last(), Some(&b'\n'), "output ends with a newline");
    output[..output.len() - 1].split(|&b| b == b'\n').collect()
}

/// A Maelstrom echo request from client `c{client}` to n1, in Maelstrom's own bytes
/// (`echo_wire::frame`, the frame echo-load sends).
pub fn echo_request(id: u64, client: u64, msg_id: u64, payload: &str) -> String {
    let mut out = Vec::new();
    let client = format!("c{client}");
    frame::echo_request(
        &mut out,
        id,
        client.as_bytes(),
        b"n1",
        payload.as_bytes(),
        msg_id,
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// Maelstrom's init for node n1, alone in its cluster (`echo_wire::frame`).
pub static INIT: LazyLock<String> = LazyLock::new(|| {
    let mut out = Vec::new();
    frame::init(&mut out, 0, "c0", "n1", &frame::node_ids(&["n1"]));
    String::from_utf8_lossy(&out).into_owned()
});

/// Reads replies from `stdout` on a thread, handing each line over a channel.
pub fn replies(stdout: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n') {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A pipe whose both ends are `O_NONBLOCK`, as `pipe2(O_NONBLOCK)` makes them.
pub fn nonblocking_pipe() -> (std::io::PipeReader, std::io::PipeWriter) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    rustix::io::ioctl_fionbio(&reader, true).expect("O_NONBLOCK");
    rustix::io::ioctl_fionbio(&writer, true).expect("O_NONBLOCK");
    (reader, writer)
}

/// The counter named `name` (one word or more, as `--stats` prints it: `replies`,
/// `replies written`, `diagnostics dropped`) in a `--stats` line: the number before it.
pub fn stat(stderr: &str, name: &str) -> u64 {
    stderr
        .match_indices(name)
        .find_map(|(at, _)| {
            let after = &stderr[at + name.len()..];
            if !after.starts_with([',', ' ']) {
                return None;
            }
            stderr[..at]
                .strip_suffix(' ')?
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("--stats has {name}: {stderr}"))
}
