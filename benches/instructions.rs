//! The callgrind guard: echo-node's instructions a message, counted by callgrind (which
//! the machine's load does not change) over `init` and 100,000 Maelstrom echo requests,
//! in both flush modes, and held to the targets below. The input is the end-to-end
//! bench's request stream cut to its first 100,001 lines, so the count is the one
//! PERFORMANCE.md's "Instructions per message" gives.
//!
//! `cargo bench --bench instructions`: prints each count, and exits 1 if a target is
//! missed. The targets are for simd-json's AVX2 code (x86_64); elsewhere the counts are
//! printed and not judged, and without valgrind nothing is measured.

#![forbid(unsafe_code)]

mod support;

use std::fs::File;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

const NODE: &str = env!("CARGO_BIN_EXE_echo-node");

/// `init` and then this many requests.
const REQUESTS: u64 = 100_000;

/// The most instructions a message, start-up and exit included, for each flush mode.
const TARGETS: [(&str, u64); 2] = [("batch", 2_700), ("message", 2_850)];

fn main() -> ExitCode {
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("instructions: valgrind is not installed here; nothing measured");
        return ExitCode::SUCCESS;
    }
    let version = Command::new(NODE).arg("--version").output();
    let simd = version
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    let judged = simd.contains("AVX2");
    let input = Path::new(env!("CARGO_TARGET_TMPDIR")).join("instructions_requests.jsonl");
    let (_, payload) = support::PAYLOADS[0];
    if let Err(e) = std::fs::write(&input, support::requests(REQUESTS, payload)) {
        println!("instructions: cannot write {}: {e}", input.display());
        return ExitCode::FAILURE;
    }
    let messages = REQUESTS + 1;
    let mut missed = false;
    for (flush, target) in TARGETS {
        let total = match count(&input, flush) {
            Ok(total) => total,
            Err(e) => {
                println!("instructions, --flush {flush}: not measured: {e}");
                return ExitCode::FAILURE;
            }
        };
        let each = total / messages;
        let verdict = match (judged, each <= target) {
            (false, _) => "not judged: the target is for AVX2".to_string(),
            (true, true) => format!("within the target of {target}"),
            (true, false) => {
                missed = true;
                format!("OVER the target of {target}")
            }
        };
        println!(
            "instructions, echo-node --flush {flush} ({simd}): {total} for {messages} \
             messages, {each} a message, {verdict}"
        );
    }
    if missed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the node under callgrind on `input` and returns the instructions it counted.
fn count(input: &Path, flush: &str) -> Result<u64, String> {
    let out_file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("callgrind.{flush}"));
    let stdin = File::open(input).map_err(|e| e.to_string())?;
    let run = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .args([NODE, "--flush", flush])
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&run.stderr);
    if !run.status.success() {
        return Err(format!("valgrind failed: {stderr}"));
    }
    // `==PID== Collected : 267988959`, callgrind's total of the counted event (Ir).
    stderr
        .lines()
        .find_map(|line| line.split_once("Collected :").map(|(_, n)| n.trim()))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no instruction count in valgrind's output: {stderr}"))
}
