//! stderr on every kind of stream (issue 22): whatever stderr is, and whatever shares its
//! destination, the node's stdout carries only whole replies, no diagnostic is lost that
//! stderr would take, drops are reported as soon as stderr takes bytes again, exit waits
//! for stderr at most about a second, and `--stats` counts what reached stdout.

#![forbid(unsafe_code)]

mod common;

use std::io::{Read, Write};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    FLUSH_MODES, INIT, PATIENCE, check_reply_shape, echo_request, node_command, nonblocking_pipe,
    replies, stat,
};

/// The drop report's words after its count.
const DROPPED: &str = " diagnostic lines dropped: stderr was not taking them";

/// The diagnostics in `text` about input lines, and the drops its reports count.
fn reported_and_dropped(text: &str) -> (u64, u64) {
    let reported = text
        .lines()
        .filter(|l| l.starts_with("echo-node: line "))
        .count() as u64;
    let dropped = text
        .lines()
        .filter_map(|l| l.strip_prefix("echo-node: ")?.strip_suffix(DROPPED))
        .map(|n| n.parse::<u64>().expect("a count"))
        .sum();
    (reported, dropped)
}

/// Reads all of `stream` on a thread, in pieces of at most `piece` bytes with `pause`
/// after each: a reader slower than the node.
fn read_slowly(
    mut stream: impl Read + Send + 'static,
    piece: usize,
    pause: Duration,
) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = vec![0; piece];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return all,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
            thread::sleep(pause);
        }
    })
}

/// stdout and stderr on one pipe (`2>&1`) or one terminal, read slower than the node
/// writes, or on one file: every line is a whole reply or a whole diagnostic, never one inside the other,
/// in both flush modes.
#[test]
fn a_diagnostic_never_lands_inside_a_reply_on_a_shared_destination() {
    const ROUNDS: u64 = 300;
    for flush in FLUSH_MODES {
        for destination in ["pipe", "terminal", "file"] {
            let mut command = node_command();
            command.args(["--flush", flush]).stdin(Stdio::piped());
            let path = std::env::temp_dir().join(format!(
                "echo-node-shared-{flush}-{}.txt",
                std::process::id()
            ));
            let reader = if destination == "pipe" {
                let (reader, writer) = std::io::pipe().expect("pipe");
                command
                    .stdout(writer.try_clone().expect("dup"))
                    .stderr(writer);
                Some(reader)
            } else {
                let file = std::fs::File::create(&path).expect("a file");
                command.stdout(file.try_clone().expect("dup")).stderr(file);
                None
            };
            let mut child = command.spawn().expect("spawn");
            drop(command); // its copies of the destination
            let mut stdin = child.stdin.take().expect("piped");
            let feeder = thread::spawn(move || {
                stdin.write_all(INIT.as_bytes()).expect("init");
                let payload = format!("\"{}\"", "y".repeat(12_000));
                for i in 1..=ROUNDS {
                    stdin
                        .write_all(echo_request(i, 1, i, &payload).as_bytes())
                        .expect("echo");
                    stdin.write_all(b"this is not json\n").expect("bad line");
                }
            });
            let slow = reader.map(|r| read_slowly(r, 4096, Duration::from_micros(300)));
            feeder.join().expect("feeder");
            assert!(child.wait().expect("exit").success());
            let all = match slow {
                Some(reader) => reader.join().expect("reader"),
                None => std::fs::read(&path).expect("the file"),
            };
            let _ = std::fs::remove_file(&path);
            let (mut replies, mut diagnostics) = (0, 0);
            for line in all.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    continue;
                }
                if line.starts_with(b"echo-node: ") {
                    assert!(
                        line.iter().all(|&b| b == b' ' || b.is_ascii_graphic())
                            && !line.windows(6).any(|w| w == b"\"src\":"),
                        "[{flush}, {destination}] a reply inside a diagnostic: {}",
                        String::from_utf8_lossy(&line[..line.len().min(300)])
                    );
                    diagnostics += 1;
                } else {
                    check_reply_shape(line);
                    replies += 1;
                }
            }
            assert_eq!(
                replies,
                ROUNDS + 1,
                "[{flush}, {destination}] every reply, whole"
            );
            assert_eq!(
                diagnostics, ROUNDS,
                "[{flush}, {destination}] every diagnostic, whole"
            );
        }
    }
}

/// Sends the node its init, `bad` lines that are no JSON (a diagnostic each), and an
/// echo; returns once both replies have come, the stdin still open.
fn flood(child: &mut std::process::Child, bad: usize) -> std::process::ChildStdin {
    let mut stdin = child.stdin.take().expect("piped");
    let rx = replies(child.stdout.take().expect("piped"));
    stdin.write_all(INIT.as_bytes()).expect("init");
    stdin
        .write_all(&b"{\"not\": json}\n".repeat(bad))
        .expect("bad lines");
    stdin
        .write_all(echo_request(1, 1, 7, "\"through\"").as_bytes())
        .expect("echo");
    stdin.flush().expect("flush");
    for _ in 0..2 {
        check_reply_shape(&rx.recv_timeout(PATIENCE).expect("a reply"));
    }
    stdin
}

/// An inherited `O_NONBLOCK` stderr that is full for a while is waited on: later
/// diagnostics, the drop report and the `--stats` line all arrive.
#[test]
fn a_nonblocking_stderr_is_waited_on_not_given_up() {
    let (err_reader, err_writer) = nonblocking_pipe();
    rustix::io::ioctl_fionbio(&err_reader, false).expect("the test's end blocks");
    let mut child = node_command()
        .arg("--stats")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(err_writer)
        .spawn()
        .expect("spawn");
    // About 1.5 MB of diagnostics into a pipe nobody reads yet: stderr says EAGAIN.
    let mut stdin = flood(&mut child, 20_000);
    let drain = read_slowly(err_reader, 1 << 16, Duration::ZERO);
    thread::sleep(Duration::from_millis(200));
    stdin.write_all(b"one more bad line\n").expect("bad line");
    drop(stdin);
    assert!(child.wait().expect("exit").success());
    let text = String::from_utf8(drain.join().expect("stderr")).expect("ASCII");
    let (reported, dropped) = reported_and_dropped(&text);
    assert!(
        text.lines()
            .any(|l| l.starts_with("echo-node: line 20003: ")),
        "the last diagnostic arrives: {}",
        &text[text.len().saturating_sub(300)..]
    );
    assert_eq!(reported + dropped, 20_001, "each one written or counted");
    assert_eq!(
        stat(&text, "diagnostics dropped"),
        dropped,
        "--stats agrees"
    );
}

/// A regular file on stderr always takes bytes: no diagnostic is dropped, however fast
/// they come.
#[test]
fn a_file_on_stderr_gets_every_diagnostic() {
    let path = std::env::temp_dir().join(format!("echo-node-stderr-{}.txt", std::process::id()));
    let file = std::fs::File::create(&path).expect("a file for stderr");
    let mut child = node_command()
        .arg("--stats")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("piped");
    stdin
        .write_all(&b"{\"not\": json}\n".repeat(3000))
        .expect("bad lines");
    drop(stdin);
    assert!(child.wait().expect("exit").success());
    let text = std::fs::read_to_string(&path).expect("stderr's file");
    let _ = std::fs::remove_file(&path);
    assert_eq!(reported_and_dropped(&text), (3000, 0));
    assert_eq!(stat(&text, "diagnostics dropped"), 0);
}

/// Once a full stderr drains, the drop report comes at once, though no input arrives.
#[test]
fn the_drop_report_comes_when_stderr_drains_not_with_the_next_input() {
    let mut child = common::spawn_node(&[]);
    let stderr = child.stderr.take().expect("piped"); // not read, for now
    let stdin = flood(&mut child, 50_000);
    // stdin stays open and silent while stderr drains.
    let (tx, lines) = std::sync::mpsc::channel();
    thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + PATIENCE;
    let report = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.ends_with(DROPPED) => break line,
            Ok(_) => {}
            Err(_) => panic!("no drop report within {PATIENCE:?} of stderr draining"),
        }
    };
    assert!(report.starts_with("echo-node: "), "{report}");
    drop(stdin);
    assert!(child.wait().expect("exit").success());
}

/// From the end of input to exit, a stderr that never takes a byte costs about a second
/// in all: with `--stats`, with stdout closed, in both flush modes, and on SIGTERM.
#[test]
fn exit_waits_for_a_stuck_stderr_about_a_second_in_all() {
    for flush in FLUSH_MODES {
        for (what, close_stdout, signal) in [
            ("stdout open", false, false),
            ("stdout closed", true, false),
            ("SIGTERM", false, true),
        ] {
            let (err_reader, err_writer) = std::io::pipe().expect("pipe");
            let mut child = node_command()
                .args(["--flush", flush, "--stats"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(err_writer)
                .spawn()
                .expect("spawn");
            let mut stdin = child.stdin.take().expect("piped");
            let stdout = child.stdout.take().expect("piped");
            stdin.write_all(INIT.as_bytes()).expect("init");
            // Fills stderr's pipe, which nobody reads, and more.
            stdin
                .write_all(&b"{\"not\": json}\n".repeat(20_000))
                .expect("bad lines");
            stdin
                .write_all(echo_request(1, 1, 7, "\"x\"").as_bytes())
                .expect("echo");
            stdin.flush().expect("flush");
            let rx = replies(stdout);
            for _ in 0..2 {
                check_reply_shape(&rx.recv_timeout(PATIENCE).expect("a reply"));
            }
            if close_stdout {
                drop(rx); // the reader thread ends at its next line: stdout closes
                stdin
                    .write_all(echo_request(2, 1, 8, "\"x\"").as_bytes())
                    .expect("echo");
                stdin
                    .write_all(echo_request(3, 1, 9, "\"x\"").as_bytes())
                    .expect("echo");
                thread::sleep(Duration::from_millis(200));
            }
            let started = Instant::now();
            if signal {
                let pid = nix::unistd::Pid::from_raw(child.id() as i32);
                nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
            } else {
                drop(stdin);
            }
            let status = child.wait().expect("exit");
            let took = started.elapsed();
            drop(err_reader);
            // How soon, so a bound of its own: the node gives stderr one second in all
            // (EXIT_PATIENCE), where one that waited a second a write would take at least
            // two (the drop report and the --stats line): 1.8 s leaves a busy machine
            // 0.8 s and still tells the two apart.
            assert!(
                took < Duration::from_millis(1800),
                "[{flush}, {what}] exit took {took:?} ({status:?})"
            );
        }
    }
}

/// `replies written` counts only replies that reached stdout: none, when stdout is closed
/// before the batch goes out.
#[test]
fn replies_written_counts_what_reached_stdout() {
    let mut child = node_command()
        .args(["--flush", "batch", "--stats"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // closed before anything is written
    let mut input = INIT.to_string();
    for i in 1..=10 {
        input.push_str(&echo_request(i, 1, i, "\"x\""));
    }
    let mut stdin = child.stdin.take().expect("piped");
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let output = child.wait_with_output().expect("exit");
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stat(&text, "replies"), 11, "made: {text}");
    assert_eq!(stat(&text, "replies written"), 0, "written: {text}");
}

#[test]
fn the_stderr_thread_starts_with_the_first_diagnostic() {
    // A node that says nothing on stderr runs one thread; its first diagnostic starts the
    // thread that writes stderr, and the diagnostic arrives.
    let threads =
        |pid: u32| std::fs::read_dir(format!("/proc/{pid}/task")).map(|tasks| tasks.count());
    if common::emulated() || threads(std::process::id()).is_err() {
        return; // Linux's /proc counts the node's own threads
    }
    let mut child = common::spawn_node(&[]);
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let got = replies(child.stdout.take().expect("stdout"));
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    stdin.write_all(INIT.as_bytes()).expect("init");
    stdin.flush().expect("flush");
    check_reply_shape(&got.recv_timeout(PATIENCE).expect("init_ok"));
    assert_eq!(threads(pid).expect("its threads"), 1);
    stdin.write_all(b"not json\n").expect("a bad line");
    stdin.flush().expect("flush");
    let mut said = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut said).expect("its diagnostic");
    assert!(said.starts_with("echo-node: line 2: "), "{said}");
    assert_eq!(threads(pid).expect("its threads"), 2);
    drop(stdin);
    assert!(child.wait().expect("exit").success());
}
