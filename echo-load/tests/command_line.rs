//! The command line, pinned: for each command line below, echo-load's exit status, stdout
//! and stderr, byte for byte, against `tests/command_line.txt`.
//!
//! Each runs in a folder of its own, where `node` is a script that exits 3 at once, and
//! with `PATH` the system's and the folder's `bin/`, which holds another, `pathnode`: a command line that parses starts a run that
//! Maelstrom would stop (exit 4), and what the parse made of it shows in the run's first
//! line (nodes and their arguments, clients, rate, payload, time). Of such a run's
//! stdout, only that line and the last (where its outputs went) are pinned: the rest is
//! as the nodes' exits fell in time, and a run's figures are pinned by `outputs.rs`. The
//! folder's path is `$TMP`, the version `VERSION`, and a run kept in the store has its
//! time masked.
//!
//! After a change meant to alter them, `ECHO_LOAD_PIN=write cargo test -p echo-load --test
//! command_line` writes them anew; the diff is then the change.

#![forbid(unsafe_code)]

mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_echo-load");

/// The command lines: a name, and the words after `echo-load`.
const CASES: &[(&str, &[&str])] = &[
    // What it says of itself.
    ("help", &["--help"]),
    ("help, short", &["-h"]),
    ("help with a word after it", &["--help", "extra"]),
    ("help of serve", &["serve", "--help"]),
    ("version", &["--version"]),
    ("version, short", &["-V"]),
    // Usage errors: what is missing, or not echo-load's.
    ("no words", &[]),
    ("--bin with no value", &["--bin"]),
    ("an option with no value", &["--bin", "./node", "--rate"]),
    ("an unknown option", &["--bin", "./node", "--bogus"]),
    ("an unknown short option", &["--bin", "./node", "-x"]),
    ("a word that is no option's", &["--bin", "./node", "stray"]),
    (
        "a node's option given to echo-load",
        &["--bin", "./node", "--flush", "batch"],
    ),
    (
        "another node's option",
        &["--bin", "./node", "--max-line=10"],
    ),
    (
        "--args before any --bin",
        &["--args", "-x", "--bin", "./node"],
    ),
    ("--args unclosed", &["--bin", "./node", "--args", "'a b"]),
    ("a command of Maelstrom's", &["demo"]),
    ("serve with an unknown option", &["serve", "--bogus"]),
    ("doctor with no node", &["doctor"]),
    ("doctor with two nodes", &["doctor", "./node", "./other"]),
    ("doctor with an unknown option", &["doctor", "--bogus"]),
    (
        "doctor of a file that is not there",
        &["doctor", "--bin", "./absent"],
    ),
    ("doctor of a name found nowhere", &["doctor", "absent"]),
    ("serve with a bad port", &["serve", "--port", "http"]),
    // Values out of range, or not values.
    ("a bad --rate", &["--bin", "./node", "--rate", "fast"]),
    ("a negative --rate", &["--bin", "./node", "--rate", "-1"]),
    (
        "a bad --node-count",
        &["--bin", "./node", "--node-count", "x"],
    ),
    ("--node-count 0", &["--bin", "./node", "--node-count", "0"]),
    (
        "a bad --concurrency",
        &["--bin", "./node", "--concurrency", "3x"],
    ),
    (
        "a --time-limit too long",
        &["--bin", "./node", "--time-limit", "1e30"],
    ),
    ("--timeout 0", &["--bin", "./node", "--timeout", "0"]),
    (
        "a bad --payload",
        &["--bin", "./node", "--payload", "bogus"],
    ),
    (
        "a bad --latency-dist",
        &["--bin", "./node", "--latency-dist", "bogus"],
    ),
    (
        "--nodes out of order",
        &["--bin", "./node", "--nodes", "n1,n3"],
    ),
    // The node's program.
    ("a node not on PATH", &["--bin", "no-such-node-anywhere"]),
    ("a node path that does not exist", &["--bin", "./missing"]),
    (
        "a node that is not executable",
        &["--bin", "./not-executable"],
    ),
    // Maelstrom's test command line.
    ("test with no workload", &["test", "--bin", "./node"]),
    (
        "test of another workload",
        &["test", "-w", "lin-kv", "--bin", "./node"],
    ),
    (
        "test of no workload there is",
        &["test", "-w", "bogus", "--bin", "./node"],
    ),
    (
        "--nemesis, refused",
        &["--bin", "./node", "--nemesis", "partition"],
    ),
    (
        "--nodes-file, refused",
        &["--bin", "./node", "--nodes-file", "nodes"],
    ),
    (
        "--leave-db-running, refused",
        &["--bin", "./node", "--leave-db-running"],
    ),
    (
        "--test-count above 1",
        &["--bin", "./node", "--test-count", "2"],
    ),
    (
        "--availability out of range",
        &["--bin", "./node", "--availability", "2"],
    ),
    (
        "--topology of none there is",
        &["--bin", "./node", "--topology", "bogus"],
    ),
    ("--key-count 0", &["--bin", "./node", "--key-count", "0"]),
    (
        "--nemesis-interval below 0",
        &["--bin", "./node", "--nemesis-interval", "-5"],
    ),
    // Options that do not go together.
    (
        "--history with two --bin",
        &["--bin", "./node", "--bin", "./node", "--history"],
    ),
    (
        "--capacity with --rounds",
        &["--bin", "./node", "--capacity", "--rounds", "2"],
    ),
    (
        "--p99-max without --capacity",
        &["--bin", "./node", "--p99-max", "5"],
    ),
    (
        "--capacity-repeats without --capacity",
        &["--bin", "./node", "--capacity-repeats", "2"],
    ),
    (
        "--capacity from --rate 0",
        &["--bin", "./node", "--capacity", "--rate", "0"],
    ),
    (
        "--capacity with --p99-max 0",
        &["--bin", "./node", "--capacity", "--p99-max", "0"],
    ),
    (
        "--rounds 0",
        &["--bin", "./node", "--bin", "./node", "--rounds", "0"],
    ),
    // Command lines that parse: a run starts.
    (
        "test -w echo, words and node options",
        &[
            "test",
            "-w",
            "echo",
            "--bin",
            "./node",
            "--node-count",
            "2",
            "word1",
            "word2",
            "--",
            "--flush",
            "batch",
            "--out",
            "o",
            "--quiet",
        ],
    ),
    (
        "Maelstrom's options with no effect here",
        &[
            "test",
            "--workload",
            "echo",
            "--bin",
            "./node",
            "--availability",
            "total",
            "--topology",
            "grid",
            "--log-net-send",
            "--no-ssh",
            "--username",
            "me",
            "--test-count",
            "1",
            "--node-count",
            "1",
            "--out",
            "o",
            "--quiet",
        ],
    ),
    (
        "-- ends echo-load's words",
        &[
            "--bin",
            "./node",
            "--node-count",
            "1",
            "--out",
            "o",
            "--quiet",
            "--",
            "--rate",
            "--",
            "x",
        ],
    ),
    (
        "a bare name that is a file in the current folder",
        &[
            "--bin",
            "node",
            "--node-count",
            "1",
            "--out",
            "o",
            "--quiet",
        ],
    ),
    (
        "a node found on PATH, with =VALUE forms",
        &[
            "--bin=pathnode",
            "--rate=max",
            "--node-count=1",
            "--concurrency=2",
            "--out=o",
            "--quiet",
        ],
    ),
    (
        "nodes named as Maelstrom names them",
        &[
            "-w",
            "echo",
            "--bin",
            "./node",
            "--node",
            "n1",
            "-n",
            "n2",
            "--rate",
            "0",
            "--payload",
            "string:10",
            "--time-limit",
            "0.5",
            "--out",
            "o",
            "--quiet",
        ],
    ),
    (
        "--args for a --bin",
        &[
            "--bin",
            "./node",
            "--args",
            "--a 'b c'",
            "--node-count",
            "1",
            "--out",
            "o",
            "--quiet",
            "--",
            "d",
        ],
    ),
    (
        "a run kept in the store",
        &["--bin", "./node", "--node-count", "1", "--quiet"],
    ),
];

#[test]
fn every_command_line_prints_and_exits_as_pinned() {
    let dir = std::env::temp_dir().join(format!("echo-load-command-line-{}", std::process::id()));
    let mut all = String::new();
    for (name, words) in CASES {
        // A folder of its own for each: a run leaves its files there.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        script(&dir.join("node"), "exit 3", 0o755);
        std::fs::create_dir_all(dir.join("bin")).expect("a folder");
        script(&dir.join("bin/pathnode"), "exit 3", 0o755);
        script(&dir.join("not-executable"), "exit 0", 0o644);
        let _ = write!(all, "{}", case(&dir, name, words));
    }
    let _ = std::fs::remove_dir_all(&dir);
    support::pinned("command_line.txt", &all, "what a command line printed");
}

/// Writes `body` as a shell script at `path`, with permissions `mode`.
fn script(path: &Path, body: &str, mode: u32) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("a script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Runs echo-load with `words` in `dir`: the case's record.
fn case(dir: &Path, name: &str, words: &[&str]) -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path =
        std::env::join_paths(std::iter::once(dir.join("bin")).chain(std::env::split_paths(&path)))
            .expect("a PATH");
    let out = Command::new(BIN)
        .current_dir(dir)
        .env("PATH", path)
        .args(words)
        .output()
        .expect("run echo-load");
    let dir = dir.to_str().expect("utf-8 path");
    let masked = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(dir, "$TMP")
            .replace(env!("CARGO_PKG_VERSION"), "VERSION")
    };
    let (stdout, stderr) = (masked(&out.stdout), masked(&out.stderr));
    // A run: its first line, and where its outputs went.
    let stdout = if out.status.code() == Some(4) {
        let lines: Vec<&str> = stdout.lines().collect();
        let first = lines.first().map(|l| l.to_string());
        let last = lines.last().map(|l| store_time_masked(l));
        first
            .into_iter()
            .chain(last)
            .map(|l| format!("{l}\n"))
            .collect()
    } else {
        stdout
    };
    let shown: Vec<String> = words.iter().map(|w| quoted(w)).collect();
    format!(
        "## {name}\n$ echo-load {}\nexit {:?}\n-- stdout\n{stdout}-- stderr\n{stderr}\n",
        shown.join(" "),
        out.status.code()
    )
}

/// `line`, with the time in a store's run folder (`store/echo/20261207T...`) masked.
fn store_time_masked(line: &str) -> String {
    match line.split_once("store/echo/") {
        Some((before, after)) => {
            let time: String = after
                .chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect();
            format!("{before}store/echo/{time}")
        }
        None => line.to_owned(),
    }
}

/// `word` as a shell would need it written.
fn quoted(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=./:,".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
