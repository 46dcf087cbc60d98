//! The check the fuzz target runs on each input, shared with `tests/fuzz_regressions.rs`
//! so every input the fuzzer ever found a bug with stays a test.
//!
//! Input layout: byte 0 picks the flush mode and `--max-line`, byte 1 the size of the
//! reads and the line buffer's starting capacity; the rest is the node's stdin.
#![allow(dead_code)]

use echo_node::Flush;
use echo_node::{Config, Stats};
use echo_node::{LineBuffer, Next};

use super::oracle::{check_stream, node_lines};

use echo_test_support::Chunked;

/// Runs one fuzz input; panics with a description if the node misbehaves.
pub fn check(data: &[u8]) {
    let [config, sizes, input @ ..] = data else {
        return;
    };
    let max_line = if config & 0x80 != 0 {
        usize::MAX
    } else {
        usize::from(config & 0x7e) * 4
    };
    let flush = if config & 1 == 0 {
        Flush::Message
    } else {
        Flush::Batch
    };
    let chunk = 1 + usize::from(sizes & 0x3f);
    let capacity = 1 + usize::from(sizes >> 6) * 16;

    // The line buffer alone, with a small buffer that has to roll and grow.
    let mut lines = LineBuffer::with_capacity(capacity, max_line);
    let mut reader = Chunked { data: input, chunk };
    let mut seen: Vec<Vec<u8>> = Vec::new();
    loop {
        match lines.next_line() {
            Next::Line(line) => seen.push(line.bytes().to_vec()),
            Next::TooLong { len, .. } => assert!(len > max_line as u64, "too long: {len}"),
            Next::NeedInput => lines.fill(&mut reader).expect("in-memory read"),
            Next::End => break,
        }
        assert!(lines.capacity() <= capacity.max(max_line.saturating_add(2)));
    }
    let expected: Vec<&[u8]> = node_lines(input, max_line);
    assert_eq!(seen, expected, "line buffer splits as specified");

    // The whole node, in-process, against the serde_json oracle.
    let config = Config {
        flush,
        max_line,
        quiet: false,
    };
    let mut out = Vec::new();
    let mut log = Vec::new();
    let reader = Chunked { data: input, chunk };
    echo_node::run(&config, reader, &mut out, &mut log, &mut Stats::default())
        .expect("in-memory run");
    if let Err(e) = check_stream(input, max_line, &out) {
        panic!("{e}\ninput: {:?}", String::from_utf8_lossy(input));
    }
    for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert!(line.starts_with(b"echo-node: line "), "diagnostic format");
    }
}
