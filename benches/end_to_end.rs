//! End to end: 1,000,000 Maelstrom-shaped requests streamed through a process (stdin
//! from a file, stdout a pipe drained by the bench), for:
//!
//! - `echo-node --flush message` and `echo-node --flush batch` (the release binary);
//! - `cat` moving the same bytes: the floor of any process in a pipe;
//! - `write-per-line`: a process that writes each input line back with one write(2): the
//!   syscall floor of flushing per message;
//! - `conventional`: a line reader + serde_json::Value + one write per reply.
//!
//! The last two are this bench binary itself, run again as a helper. After the timings it
//! prints the peak RSS of `echo-node` on the same stream, in both flush modes (from its
//! `--stats`).
//!
//! `cargo bench --bench end_to_end`

#![forbid(unsafe_code)]

mod support;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, Throughput};

const HELPER: &str = "ECHO_NODE_BENCH_HELPER";
const NODE: &str = env!("CARGO_BIN_EXE_echo-node");
const REQUESTS: u64 = 1_000_000;

fn main() {
    if let Ok(helper) = std::env::var(HELPER) {
        let result = match helper.as_str() {
            "write-per-line" => write_per_line(),
            "conventional" => conventional(),
            other => Err(io::Error::other(format!("unknown helper {other}"))),
        };
        if let Err(e) = result {
            eprintln!("helper {helper}: {e}");
            std::process::exit(1);
        }
        return;
    }
    let input = input_file();
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    end_to_end(&mut criterion, &input);
    criterion.final_summary();
    for flush in ["message", "batch"] {
        match peak_rss_kib(&input, flush) {
            Ok(kib) => {
                println!("peak RSS, echo-node --flush {flush}, {REQUESTS} requests: {kib} KiB")
            }
            Err(e) => println!("peak RSS, echo-node --flush {flush}: not measured ({e})"),
        }
    }
}

/// The request stream, written once under the target directory.
fn input_file() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("end_to_end_requests.jsonl");
    let (_, payload) = support::PAYLOADS[0];
    let data = support::requests(REQUESTS, payload);
    if std::fs::read(&path).ok().as_deref() != Some(&data[..]) {
        std::fs::write(&path, &data).expect("write the request stream");
    }
    path
}

/// Runs `command` with `input` on stdin, drains its stdout, and returns how many lines
/// it wrote.
fn stream(command: &mut Command, input: &Path) -> u64 {
    let mut child = command
        .stdin(File::open(input).expect("open the request stream"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("piped");
    let mut buf = vec![0u8; 256 * 1024];
    let mut lines = 0u64;
    loop {
        match stdout.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("reading the process's stdout: {e}"),
        }
    }
    assert!(child.wait().expect("wait").success());
    lines
}

fn helper(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    command.env(HELPER, name);
    command
}

fn end_to_end(c: &mut Criterion, input: &Path) {
    let bytes = std::fs::metadata(input).expect("stat").len();
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::ElementsAndBytes {
        elements: REQUESTS + 1,
        bytes,
    });
    type MakeCommand = fn() -> Command;
    let runs: [(&str, MakeCommand); 5] = [
        ("cat", || Command::new("cat")),
        ("echo-node --flush batch", || {
            let mut c = Command::new(NODE);
            c.args(["--flush", "batch"]);
            c
        }),
        ("write-per-line", || helper("write-per-line")),
        ("echo-node --flush message", || {
            let mut c = Command::new(NODE);
            c.args(["--flush", "message"]);
            c
        }),
        ("conventional", || helper("conventional")),
    ];
    for (name, command) in runs {
        group.bench_function(name, |b| {
            b.iter(|| {
                let lines = stream(&mut command(), input);
                assert_eq!(lines, REQUESTS + 1, "{name}: one line out per line in");
            })
        });
    }
    group.finish();
}

/// One write(2) per input line, of the line itself.
fn write_per_line() -> io::Result<()> {
    let mut out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let mut input = BufReader::with_capacity(64 * 1024, io::stdin().lock());
    let mut line = Vec::new();
    while input.read_until(b'\n', &mut line)? > 0 {
        out.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

/// The conventional node: lines in, serde_json::Value, one write per reply (Rust's
/// stdout is line-buffered).
fn conventional() -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut input = BufReader::with_capacity(64 * 1024, io::stdin().lock());
    let mut node = support::Conventional::default();
    let mut line = Vec::new();
    while input.read_until(b'\n', &mut line)? > 0 {
        node.handle(&line, &mut out)?;
        line.clear();
    }
    Ok(())
}

/// Peak resident memory of one `echo-node` run over the stream, in KiB, as the node's
/// own `--stats` line gives it (VmHWM on Linux, `getrusage(2)` elsewhere; nothing of the
/// process that spawned it is counted).
fn peak_rss_kib(input: &Path, flush: &str) -> io::Result<u64> {
    let output = Command::new(NODE)
        .args(["--flush", flush, "--stats"])
        .stdin(File::open(input)?)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mib: f64 = stderr
        .rsplit_once("peak RSS ")
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no peak RSS in --stats: {stderr}")))?;
    Ok((mib * 1024.0) as u64)
}
