//! Resource bounds: whatever the input, the node's memory stays proportional to
//! `--max-line` (the line buffer grows by doubling up to `max_line + 2` bytes; mimalloc
//! keeps the outgrown halves for a while, so the measured peak is 3 to 3.5 x max-line above
//! the baseline), never to the input, and the next valid message is answered.
//!
//! Peak memory is the node's own, as its `--stats` line gives it (VmHWM on Linux,
//! `getrusage(2)` elsewhere: see `sys.rs`), so nothing else (such as the test process it
//! was spawned from) is counted.
//! Under an emulator (`$ECHO_NODE_RUNNER`) the figure would be the emulator's: the bounds
//! are then not checked, and the test says so.

#![forbid(unsafe_code)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::ChildStdin;
use std::sync::mpsc;
use std::thread;

use common::{
    INIT, PATIENCE, check_reply_shape, echo_request, emulated, spawn_node, stats_peak_kib,
};

/// What a node said on stderr.
struct Said {
    /// Diagnostic lines about input lines.
    lines: u64,
    /// Diagnostic lines the node says it dropped (stderr not keeping up), in its reports.
    dropped: u64,
    /// Diagnostic lines dropped in all, from its `--stats` line.
    stats_dropped: Option<u64>,
    /// Its peak RSS in KiB, from its `--stats` line.
    peak_kib: Option<u64>,
}

/// Runs the node with `args` and `--stats`, feeding stdin from `feed`, until `replies`
/// replies have come and it has exited; returns them, what it said on stderr, and its
/// peak RSS in KiB (`None` under an emulator, whose figure is not the node's).
fn run_measured(
    args: &[&str],
    replies: usize,
    feed: impl FnOnce(&mut ChildStdin) + Send + 'static,
) -> (Vec<Vec<u8>>, Said, Option<u64>) {
    let mut child = spawn_node(&[args, &["--stats"]].concat());
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let feeder = thread::spawn(move || {
        feed(&mut stdin);
        stdin.flush().expect("flush");
    });
    let err = thread::spawn(move || {
        let mut said = Said {
            lines: 0,
            dropped: 0,
            stats_dropped: None,
            peak_kib: None,
        };
        for line in BufReader::new(&mut stderr).lines() {
            let line = line.expect("stderr is ASCII lines");
            if line.starts_with("echo-node: line ") {
                said.lines += 1;
            } else if let Some(n) = line.strip_prefix("echo-node: ").and_then(|rest| {
                rest.strip_suffix(" diagnostic lines dropped: stderr was not taking them")
            }) {
                said.dropped += n.parse::<u64>().expect("a count");
            } else if let Some(peak) = stats_peak_kib(&line) {
                said.peak_kib = Some(peak);
                said.stats_dropped = line
                    .split(" diagnostics dropped")
                    .next()
                    .and_then(|head| head.rsplit(' ').next()?.parse().ok());
            }
        }
        said
    });
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n') {
            if tx.send(line.expect("stdout")).is_err() {
                break;
            }
        }
    });
    let got: Vec<Vec<u8>> = (0..replies)
        .map(|_| rx.recv_timeout(PATIENCE).expect("reply"))
        .collect();
    feeder.join().expect("feeder");
    assert!(child.wait().expect("exit").success());
    reader.join().expect("reader");
    let said = err.join().expect("stderr");
    let peak = said.peak_kib.expect("--stats gives the peak RSS");
    (got, said, (!emulated()).then_some(peak))
}

/// The node's peak RSS on a short, ordinary session: the baseline the bounds add to.
fn baseline_kib() -> Option<u64> {
    run_measured(&[], 2, |stdin| {
        stdin.write_all(INIT.as_bytes()).expect("init");
        stdin
            .write_all(echo_request(1, 1, 1, "\"x\"").as_bytes())
            .expect("echo");
    })
    .2
}

#[test]
fn a_two_gigabyte_line_without_newline_is_skipped_in_bounded_memory() {
    const MAX_LINE_KIB: u64 = 4 * 1024;
    // Under an emulator, whose memory is not checked, 256 MiB (64 times --max-line): 2 GiB
    // read there takes minutes on a busy machine.
    let mib = if emulated() { 256 } else { 2048 };
    let (replies, said, peak_kib) = run_measured(&["--max-line", "4M"], 2, move |stdin| {
        stdin.write_all(INIT.as_bytes()).expect("init");
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..mib {
            stdin.write_all(&chunk).expect("2 GiB without a newline");
        }
        stdin.write_all(b"\n").expect("its end");
        stdin
            .write_all(echo_request(1, 1, 7, "\"after\"").as_bytes())
            .expect("next");
    });
    let v = check_reply_shape(&replies[1]);
    assert_eq!(v["body"]["in_reply_to"], 7);
    assert_eq!(v["body"]["echo"], "after");
    assert_eq!(said.lines, 1, "the long line is reported once");
    let (Some(peak_kib), Some(base)) = (peak_kib, baseline_kib()) else {
        println!("memory bound not checked: the node runs under an emulator");
        return;
    };
    // The buffer itself is max_line; growing to it by doubling copies the last half and
    // leaves the outgrown halves (max_line in all) with the allocator for a while.
    assert!(
        peak_kib < base + 5 * MAX_LINE_KIB,
        "peak RSS {peak_kib} KiB, baseline {base} KiB, --max-line {MAX_LINE_KIB} KiB"
    );
    println!("2 GiB line, --max-line 4M: peak RSS {peak_kib} KiB (baseline {base} KiB)");
}

#[test]
fn a_flood_of_invalid_lines_keeps_memory_flat_and_costs_no_later_message() {
    // Under an emulator, whose memory is not checked, a tenth: a million diagnoses there
    // take minutes on a busy machine.
    let flood: usize = if emulated() { 100_000 } else { 1_000_000 };
    let (replies, said, peak_kib) = run_measured(&[], 2, move |stdin| {
        stdin.write_all(INIT.as_bytes()).expect("init");
        let junk: Vec<u8> = b"{\"src\":\n".repeat(1000);
        for _ in 0..flood / 1000 {
            stdin.write_all(&junk).expect("flood");
        }
        stdin
            .write_all(echo_request(1, 1, 9, "\"still here\"").as_bytes())
            .expect("next");
    });
    assert_eq!(check_reply_shape(&replies[1])["body"]["echo"], "still here");
    // Each invalid line is reported, or counted among the dropped if this test's reader
    // fell behind (the node never waits for stderr while it answers).
    let dropped = said
        .stats_dropped
        .expect("--stats counts the dropped lines");
    assert!(dropped >= said.dropped, "the reports are among them");
    assert_eq!(
        said.lines + dropped,
        flood as u64,
        "each invalid line accounted for"
    );
    let (Some(peak_kib), Some(base)) = (peak_kib, baseline_kib()) else {
        println!("memory bound not checked: the node runs under an emulator");
        return;
    };
    // Diagnostics are written every 16 KiB, so the flood costs no memory.
    assert!(
        peak_kib < base + 512,
        "peak RSS {peak_kib} KiB, baseline {base} KiB"
    );
    println!("1M invalid lines: peak RSS {peak_kib} KiB (baseline {base} KiB)");
}

/// An idle node, after init and a few requests, holds at most 1 MiB of private memory:
/// what thousands of nodes on one machine cost each. Linux only: the figure is RssAnon
/// from /proc (elsewhere `--stats`' peak, checked above, stands in); not under an
/// emulator, whose memory is not the node's.
#[cfg(target_os = "linux")]
#[test]
fn an_idle_node_holds_at_most_1_mib_of_private_memory() {
    if emulated() {
        eprintln!("idle memory not measured under an emulator");
        return;
    }
    let anon_kib = idle_anon_kib(None);
    assert!(
        anon_kib <= 1024,
        "an idle node holds {anon_kib} KiB of private memory"
    );
}

/// The node's first mimalloc arena is sized for a node (sys.rs, `ARENA_RESERVE_KIB`), set
/// before anything allocates: an idle node holds less than one that mimalloc's default
/// 1 GiB arena serves (its bookkeeping alone is over 100 KiB of touched pages), and the
/// environment's `MIMALLOC_ARENA_RESERVE` still overrides it. Linux only (RssAnon, and
/// the setting is made from `.preinit_array`); not under an emulator.
#[cfg(all(target_os = "linux", feature = "mimalloc"))]
#[test]
fn the_first_arena_is_sized_for_a_node_and_the_environment_overrides_it() {
    if emulated() {
        eprintln!("idle memory not measured under an emulator");
        return;
    }
    let sized = idle_anon_kib(None);
    let default = idle_anon_kib(Some(("MIMALLOC_ARENA_RESERVE", "1GiB")));
    assert!(
        sized + 64 <= default,
        "an idle node holds {sized} KiB with its own first arena, {default} KiB with \
         mimalloc's 1 GiB one"
    );
}

/// RssAnon in KiB of a node, run with `env` set (and `MIMALLOC_ARENA_RESERVE` otherwise
/// unset), once it has answered init and 100 requests.
#[cfg(target_os = "linux")]
fn idle_anon_kib(env: Option<(&str, &str)>) -> u64 {
    let mut command = common::node_command();
    command.env_remove("MIMALLOC_ARENA_RESERVE");
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn echo-node");
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    stdin.write_all(INIT.as_bytes()).expect("init");
    for k in 0..100 {
        stdin
            .write_all(echo_request(k + 2, 1, k + 2, "\"Please echo 35\"").as_bytes())
            .expect("request");
    }
    stdin.flush().expect("flush");
    let mut replies = BufReader::new(stdout).lines();
    for _ in 0..101 {
        replies.next().expect("a reply").expect("read");
    }
    let anon_kib = status_kib(child.id(), "RssAnon");
    drop(stdin);
    let _ = child.wait();
    anon_kib
}

/// A KiB figure of process `pid` from /proc/PID/status (`VmRSS`, `RssAnon`: Linux).
#[cfg(target_os = "linux")]
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// After a 64 MiB line and a thousand ordinary messages, the node's resident memory is
/// back where it was: what it keeps does not depend on the longest line it ever saw. A
/// line over the limit (skipped as it arrives) and one within it (parsed, with a
/// backslash, so through the scratch copy), in both flush modes. Linux only (VmRSS);
/// not under an emulator.
#[cfg(target_os = "linux")]
#[test]
fn memory_returns_to_its_usual_size_after_a_64_mib_line() {
    if emulated() {
        eprintln!("resident memory not measured under an emulator");
        return;
    }
    for flush in common::FLUSH_MODES {
        for (what, args, payload_len) in [
            (
                "within --max-line",
                &["--max-line", "64M"][..],
                (64 << 20) - 200,
            ),
            ("over --max-line", &["--max-line", "1M"][..], 64 << 20),
        ] {
            let mut child = spawn_node(&[&["--flush", flush, "--quiet"], args].concat());
            let mut stdin = child.stdin.take().expect("piped");
            let mut replies = BufReader::new(child.stdout.take().expect("piped")).lines();
            stdin.write_all(INIT.as_bytes()).expect("init");
            stdin.flush().expect("flush");
            replies.next().expect("init_ok").expect("read");
            let before = status_kib(child.id(), "VmRSS");
            let payload = format!("\"\\n{}\"", "x".repeat(payload_len));
            let writer = thread::spawn(move || {
                stdin
                    .write_all(echo_request(2, 1, 2, &payload).as_bytes())
                    .expect("the long line");
                for k in 0..1000 {
                    stdin
                        .write_all(echo_request(k + 3, 1, k + 3, "\"Please echo 35\"").as_bytes())
                        .expect("request");
                }
                stdin
            });
            let answered = if what == "within --max-line" {
                1001
            } else {
                1000
            };
            for _ in 0..answered {
                replies.next().expect("a reply").expect("read");
            }
            let after = status_kib(child.id(), "VmRSS");
            drop(writer.join());
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                after <= before + 2048,
                "[{flush}, {what}] resident memory {before} KiB before the long line, {after} KiB after"
            );
        }
    }
}

/// RssAnon in KiB of a node once `feed` has sent what it sends and `replies` replies have
/// come back, then 1,000 ordinary requests more and their replies. `feed` gets the node's
/// stdin and a way to wait for the next reply. Linux only.
#[cfg(target_os = "linux")]
fn anon_kib_after(replies: usize, feed: impl FnOnce(&mut ChildStdin, &mut dyn FnMut())) -> u64 {
    let mut child = spawn_node(&["--quiet"]);
    let mut stdin = child.stdin.take().expect("piped");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).split(b'\n');
    let mut next_reply = || {
        lines.next().expect("a reply").expect("read");
    };
    stdin.write_all(INIT.as_bytes()).expect("init");
    stdin.flush().expect("flush");
    next_reply();
    feed(&mut stdin, &mut next_reply);
    for _ in 0..replies {
        next_reply();
    }
    for k in 0..1000 {
        stdin
            .write_all(echo_request(k + 100, 1, k + 100, "\"Please echo 35\"").as_bytes())
            .expect("request");
    }
    stdin.flush().expect("flush");
    for _ in 0..1000 {
        next_reply();
    }
    let anon = status_kib(child.id(), "RssAnon");
    drop(stdin);
    let _ = child.wait();
    anon
}

/// Whatever a line's size or shape, and whatever of the next line is already buffered
/// when it is done, every buffer that grew returns to its usual size and the memory goes
/// back to the system: RssAnon within 1 MiB of a node that never saw a large line. Linux
/// only (RssAnon); not under an emulator.
#[cfg(target_os = "linux")]
#[test]
fn memory_returns_after_any_line_whatever_follows_it() {
    if emulated() {
        eprintln!("resident memory not measured under an emulator");
        return;
    }
    let idle = anon_kib_after(0, |_, _| {});
    // An 8 MiB echo whose reply goes out while 100 KB of the next line (200 KB) wait in
    // the buffer; the rest of that line comes later.
    let big = echo_request(2, 1, 2, &format!("\"{}\"", "x".repeat(8 << 20)));
    let next = echo_request(3, 1, 3, &format!("\"{}\"", "z".repeat(200_000)));
    let (head, tail) = next.as_bytes().split_at(100_000);
    let (head, tail) = (head.to_vec(), tail.to_vec());
    let after_begun = anon_kib_after(1, move |stdin, next_reply| {
        stdin
            .write_all(&[big.as_bytes(), &head].concat())
            .expect("8 MiB and a half");
        stdin.flush().expect("flush");
        next_reply();
        thread::sleep(std::time::Duration::from_millis(200));
        stdin.write_all(&tail).expect("the rest");
    });
    // A dense line of exactly 1 MiB: every other byte a value, each a tape entry.
    let bare = echo_request(2, 1, 2, "[\"\\n\"]").len();
    let fill = (1 << 20) + 1 - bare;
    let payload = format!("[\"\\n\"{}{}]", ",0".repeat(fill / 2), " ".repeat(fill % 2));
    let dense = echo_request(2, 1, 2, &payload).into_bytes();
    assert_eq!(dense.len(), (1 << 20) + 1, "1 MiB and its newline");
    let after_dense = anon_kib_after(1, move |stdin, _| {
        stdin.write_all(&dense).expect("the dense line");
    });
    for (what, kib) in [
        ("an 8 MiB line with the next begun", after_begun),
        ("a dense 1 MiB line", after_dense),
    ] {
        assert!(
            kib <= idle + 1024,
            "after {what}: RssAnon {kib} KiB, an idle node's {idle} KiB"
        );
    }
}
