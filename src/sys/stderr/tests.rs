//! The stderr writer's unit tests.

use std::io::Read;

use super::*;

/// A file for a test, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("echo-node-{name}-{}", std::process::id()));
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn counts_lines_with_a_last_piece_as_one() {
    assert_eq!(lines_in(b""), 0);
    assert_eq!(lines_in(b"a\n"), 1);
    assert_eq!(lines_in(b"a\nb"), 2);
}

#[test]
fn a_line_longer_than_the_backlog_is_written_whole_and_settles() {
    let scratch = Scratch::new("long-line");
    let file = File::create(&scratch.0).expect("a file");
    let mut stderr = Diagnostics::new(file, Turn::default());
    let mut line = vec![b'x'; 3 * STDERR_BACKLOG];
    line.push(b'\n');
    stderr.write_all(&line).expect("never fails");
    stderr.write_all(b"after\n").expect("never fails");
    let deadline = Instant::now() + Duration::from_secs(5);
    assert_eq!(stderr.settle(deadline), 0, "all written");
    assert!(
        Instant::now() < deadline,
        "settled without waiting out the deadline"
    );
    assert_eq!(stderr.dropped(), 0);
    let written = std::fs::read(&scratch.0).expect("read back");
    assert_eq!(written, [&line[..], b"after\n"].concat());
}

#[test]
fn a_pipe_nobody_reads_drops_at_once_then_reports_when_drained() {
    let (mut reader, writer) = io::pipe().expect("pipe");
    let mut stderr = Diagnostics::new(
        File::from(std::os::fd::OwnedFd::from(writer)),
        Turn::default(),
    );
    let line = [b'y'; 99]
        .iter()
        .copied()
        .chain([b'\n'])
        .collect::<Vec<u8>>();
    let started = Instant::now();
    // Far more than the pipe and the backlog hold.
    for _ in 0..20_000 {
        stderr.write_all(&line).expect("never fails");
    }
    // A writer that waited for the pipe would wait forever (nothing reads it yet),
    // and one that waited a STALL a dropped line would take 20,000 of them: far past
    // this bound, which no busy machine or emulator reaches.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a full pipe costs the writer no waiting: {:?}",
        started.elapsed()
    );
    let dropped = stderr.dropped();
    assert!(dropped > 0, "some lines were dropped");
    // The pipe drains; nothing more is written, and the report still comes.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0; 1 << 16];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    assert_eq!(stderr.settle(Instant::now() + Duration::from_secs(10)), 0);
    let mut seen = Vec::new();
    while let Ok(piece) = rx.recv_timeout(Duration::from_millis(500)) {
        seen.extend_from_slice(&piece);
    }
    let text = String::from_utf8(seen).expect("ASCII");
    let written = text.lines().filter(|l| l.starts_with("yyy")).count() as u64;
    let reported: u64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("echo-node: ")?.strip_suffix(DROPPED))
        .map(|n| n.trim().parse::<u64>().expect("a count"))
        .sum();
    assert_eq!(reported, dropped, "every drop reported");
    assert_eq!(written + dropped, 20_000, "every line written or dropped");
    assert!(
        text.lines().last().is_some_and(|l| l.ends_with(DROPPED)),
        "the last drop is reported once the pipe drains, with nothing more written"
    );
}
