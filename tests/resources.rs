//! Resource bounds: whatever the input, the node's memory stays proportional to
//! `--max-line` (the line buffer grows by doubling up to `max_line + 1` bytes, and the
//! allocator keeps the smaller buffers it outgrew for a while: measured peak about
//! 2.5 x max-line + 6 MiB), never to the input, and the next valid message is answered.

mod common;

use std::io::{Read, Write};
use std::process::ChildStdin;
use std::thread;

use common::{INIT, check_reply_shape, echo_request, lines, spawn_node};

/// Runs the node with `args`, feeding stdin from `feed`; returns stdout, stderr line
/// count and the peak resident set in KiB (from wait4's rusage).
fn run_measured(
    args: &[&str],
    feed: impl FnOnce(ChildStdin) + Send + 'static,
) -> (Vec<u8>, usize, i64) {
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let mut child = spawn_node(args);
    let stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let feeder = thread::spawn(move || feed(stdin));
    let out = thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).expect("stdout");
        buf
    });
    let err = thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        let mut lines = 0;
        loop {
            match stderr.read(&mut buf).expect("stderr") {
                0 => return lines,
                n => lines += buf[..n].iter().filter(|&&b| b == b'\n').count(),
            }
        }
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; the pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "status {status}"
    );
    feeder.join().expect("feeder");
    (
        out.join().expect("stdout"),
        err.join().expect("stderr"),
        usage.ru_maxrss,
    )
}

#[test]
fn a_two_gigabyte_line_without_newline_is_skipped_in_bounded_memory() {
    const MAX_LINE_MIB: i64 = 4;
    let (stdout, stderr_lines, peak_kib) = run_measured(&["--max-line", "4M"], |mut stdin| {
        stdin.write_all(INIT.as_bytes()).expect("init");
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..2048 {
            stdin.write_all(&chunk).expect("2 GiB without a newline");
        }
        stdin.write_all(b"\n").expect("its end");
        stdin
            .write_all(echo_request(1, 1, 7, "\"after\"").as_bytes())
            .expect("next");
    });
    let replies = lines(&stdout);
    assert_eq!(replies.len(), 2, "init_ok and the echo after the long line");
    let v = check_reply_shape(replies[1]);
    assert_eq!(v["body"]["in_reply_to"], 7);
    assert_eq!(v["body"]["echo"], "after");
    assert_eq!(stderr_lines, 1, "the long line is reported once");
    assert!(
        peak_kib < (3 * MAX_LINE_MIB + 16) * 1024,
        "peak RSS {peak_kib} KiB for --max-line {MAX_LINE_MIB} MiB"
    );
}

#[test]
fn a_flood_of_invalid_lines_keeps_memory_flat_and_costs_no_later_message() {
    const FLOOD: usize = 1_000_000;
    let (stdout, stderr_lines, peak_kib) = run_measured(&[], |mut stdin| {
        stdin.write_all(INIT.as_bytes()).expect("init");
        let junk: Vec<u8> = b"{\"src\":\n".repeat(1000);
        for _ in 0..FLOOD / 1000 {
            stdin.write_all(&junk).expect("flood");
        }
        stdin
            .write_all(echo_request(1, 1, 9, "\"still here\"").as_bytes())
            .expect("next");
    });
    let replies = lines(&stdout);
    assert_eq!(replies.len(), 2);
    assert_eq!(check_reply_shape(replies[1])["body"]["echo"], "still here");
    assert_eq!(stderr_lines, FLOOD, "each invalid line reported");
    assert!(peak_kib < 32 * 1024, "peak RSS {peak_kib} KiB");
}
