//! line_buffer.rs's unit tests.

use super::*;

use echo_test_support::Chunked;

#[derive(Debug, PartialEq)]
enum Seen {
    Line(u64, Vec<u8>),
    TooLong(u64, u64),
}

fn collect(data: &[u8], chunk: usize, capacity: usize, max_line: usize) -> Vec<Seen> {
    let mut input = Chunked { data, chunk };
    let mut lines = LineBuffer::with_capacity(capacity, max_line);
    let mut seen = Vec::new();
    loop {
        match lines.next_line() {
            Next::Line(mut line) => {
                let (padded, len) = line.padded_mut();
                assert!(padded.len() >= len + PADDING, "padding invariant");
                assert_eq!(
                    line.has_backslash(),
                    line.bytes().contains(&b'\\'),
                    "line {}",
                    line.number
                );
                seen.push(Seen::Line(line.number, line.bytes().to_vec()));
            }
            Next::TooLong { number, len } => seen.push(Seen::TooLong(number, len)),
            Next::NeedInput => lines.fill(&mut input).expect("in-memory read"),
            Next::End => break,
        }
        assert!(lines.capacity() <= capacity.max(max_line + 2));
    }
    seen
}

fn line(n: u64, s: &str) -> Seen {
    Seen::Line(n, s.as_bytes().to_vec())
}

/// Every line says whether it holds a backslash (`collect` checks each), through
/// reads of every size, growth, a CRLF, an over-long line with one, and the last line.
#[test]
fn each_line_knows_whether_it_holds_a_backslash() {
    let data = b"a\\b\\c\nplain\r\n\\\n\n{\"x\":\"\\n\"}\r\nxxxxxxxxxxxx\\yyyy\nok\nlast\\";
    for chunk in 1..data.len() + 1 {
        let seen = collect(data, chunk, 4, 11);
        assert_eq!(seen.len(), 8, "{chunk}");
        assert_eq!(seen[5], Seen::TooLong(6, 17));
        assert_eq!(seen[7], line(8, "last\\"));
    }
}

#[test]
fn splits_lines_across_read_boundaries() {
    let data = b"alpha\nbeta\ngamma delta\n";
    for chunk in 1..data.len() + 1 {
        assert_eq!(
            collect(data, chunk, 64, 100),
            vec![line(1, "alpha"), line(2, "beta"), line(3, "gamma delta")],
            "chunk {chunk}"
        );
    }
}

#[test]
fn last_line_without_newline_crlf_and_blank_lines() {
    let data = b"a\r\n\n\r\nb\rc\nlast";
    assert_eq!(
        collect(data, 3, 8, 100),
        vec![
            line(1, "a"),
            line(2, ""),
            line(3, ""),
            line(4, "b\rc"),
            line(5, "last")
        ]
    );
}

#[test]
fn empty_input_has_no_lines() {
    assert_eq!(collect(b"", 4, 8, 100), vec![]);
}

#[test]
fn grows_for_a_line_longer_than_the_buffer() {
    let long = "x".repeat(1000);
    let data = format!("short\n{long}\nafter\n");
    assert_eq!(
        collect(data.as_bytes(), 7, 4, 5000),
        vec![line(1, "short"), line(2, &long), line(3, "after")]
    );
}

#[test]
fn growth_stops_at_max_line_plus_two() {
    let mut lines = LineBuffer::with_capacity(4, 10);
    let mut input = Chunked {
        data: &[b'y'; 100],
        chunk: 100,
    };
    for _ in 0..10 {
        if let Next::NeedInput = lines.next_line() {
            lines.fill(&mut input).expect("in-memory read");
        }
    }
    assert_eq!(lines.capacity(), 12);
}

#[test]
fn a_line_end_never_counts_in_a_line_length() {
    // Exactly max_line bytes before CRLF is kept, in every read size and buffer size;
    // one more is too long and reported without its CRLF.
    let data = b"0123456789\r\n01234567890\r\nabc\r\n0123456789\r";
    for chunk in 1..data.len() + 1 {
        for capacity in [1, 4, 11, 64] {
            assert_eq!(
                collect(data, chunk, capacity, 10),
                vec![
                    line(1, "0123456789"),
                    Seen::TooLong(2, 11),
                    line(3, "abc"),
                    line(4, "0123456789"),
                ],
                "chunk {chunk}, capacity {capacity}"
            );
        }
    }
    // A long CRLF line skipped as it arrives is also measured without its CRLF.
    let data = format!("{}\r\nok\n{}\r", "z".repeat(50), "w".repeat(30));
    assert_eq!(
        collect(data.as_bytes(), 3, 4, 10),
        vec![Seen::TooLong(1, 50), line(2, "ok"), Seen::TooLong(3, 30)]
    );
}

#[test]
fn skips_a_line_over_the_limit_and_keeps_going() {
    let data = format!("ok\n{}\nnext\n{}", "z".repeat(50), "w".repeat(20));
    for chunk in [1, 3, 8, 100] {
        assert_eq!(
            collect(data.as_bytes(), chunk, 8, 10),
            vec![
                line(1, "ok"),
                Seen::TooLong(2, 50),
                line(3, "next"),
                Seen::TooLong(4, 20)
            ],
            "chunk {chunk}"
        );
    }
}

#[test]
fn a_line_of_exactly_max_line_is_kept() {
    let data = b"0123456789\n01234567890\n";
    assert_eq!(
        collect(data, 2, 4, 10),
        vec![line(1, "0123456789"), Seen::TooLong(2, 11)]
    );
}

#[test]
fn a_long_line_already_buffered_whole_is_skipped() {
    // The buffer is larger than max_line, so the line arrives complete.
    let data = b"abcdefghijkl\nok\n";
    assert_eq!(
        collect(data, 100, 64, 5),
        vec![Seen::TooLong(1, 12), line(2, "ok")]
    );
}

#[test]
fn the_buffer_shrinks_back_once_a_long_line_is_handled() {
    let mut data = vec![b'q'; 100_000];
    data.extend_from_slice(b"\nfine\nnext");
    let mut input = Chunked {
        data: &data,
        chunk: 1 << 20,
    };
    let mut lines = LineBuffer::with_capacity(64, 1 << 20);
    while !matches!(lines.next_line(), Next::Line(_)) {
        lines.fill(&mut input).expect("in memory");
    }
    assert!(lines.capacity() >= 100_000);
    // "fine" and part of "next" are still buffered: they survive the shrink.
    assert!(lines.shrink());
    assert_eq!(lines.capacity(), 64);
    assert!(!lines.shrink(), "already at its starting size");
    let mut rest = Vec::new();
    loop {
        match lines.next_line() {
            Next::Line(line) => rest.push(line.bytes().to_vec()),
            Next::NeedInput => lines.fill(&mut input).expect("in memory"),
            Next::End => break,
            Next::TooLong { .. } => panic!("no line is too long"),
        }
    }
    assert_eq!(rest, vec![b"fine".to_vec(), b"next".to_vec()]);
}

#[test]
fn a_shrink_keeps_a_begun_line_in_the_smallest_buffer_that_holds_it() {
    // A long line, then 300 bytes of the next one already read: the buffer shrinks to
    // 512 (64 doubled as often as 300 bytes need), not to 64, and not not at all.
    let mut data = vec![b'q'; 100_000];
    data.push(b'\n');
    data.extend_from_slice(&[b'r'; 300]);
    let mut input = Chunked {
        data: &data,
        chunk: 1 << 20,
    };
    let mut lines = LineBuffer::with_capacity(64, 1 << 20);
    while !matches!(lines.next_line(), Next::Line(_)) {
        lines.fill(&mut input).expect("in memory");
    }
    assert!(matches!(lines.next_line(), Next::NeedInput));
    assert!(lines.shrink());
    assert_eq!(lines.capacity(), 512);
    assert!(!lines.shrink(), "nothing more to give back");
    lines.fill(&mut input).expect("in memory");
    match lines.next_line() {
        Next::Line(line) => assert_eq!(line.bytes(), &[b'r'; 300][..]),
        other => panic!("the begun line survives the shrink: {other:?}"),
    }
    // Once it is handed out, the buffer returns to its starting size.
    assert!(lines.shrink());
    assert_eq!(lines.capacity(), 64);
}

#[test]
fn a_long_line_still_arriving_is_not_copied_to_save_little() {
    let mut lines = LineBuffer::with_capacity(64, 1 << 20);
    let data = vec![b'q'; 1000];
    let mut input = Chunked {
        data: &data,
        chunk: 1 << 20,
    };
    while !matches!(lines.next_line(), Next::NeedInput) || lines.capacity() < 1000 {
        lines.fill(&mut input).expect("in memory");
    }
    // 1000 bytes of one line in a buffer of 1024: shrinking would save nothing.
    assert_eq!(lines.capacity(), 1024);
    assert!(!lines.shrink());
}

#[test]
fn skipped_bytes_are_not_kept() {
    // 1 MiB line, 16-byte limit: the buffer never grows past 18 bytes (the limit, a
    // `\r`, and one byte to see the `\n`).
    let mut data = vec![b'q'; 1 << 20];
    data.extend_from_slice(b"\nfine\n");
    assert_eq!(
        collect(&data, 4096, 8, 16),
        vec![Seen::TooLong(1, 1 << 20), line(2, "fine")]
    );
}

#[test]
fn interrupted_reads_are_retried_and_errors_returned() {
    struct Flaky(u32);
    impl Read for Flaky {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.0 += 1;
            match self.0 {
                1 => Err(io::ErrorKind::Interrupted.into()),
                2 => {
                    out[..2].copy_from_slice(b"a\n");
                    Ok(2)
                }
                _ => Err(io::Error::other("disk on fire")),
            }
        }
    }
    let mut lines = LineBuffer::with_capacity(16, 100);
    let mut input = Flaky(0);
    assert!(matches!(lines.next_line(), Next::NeedInput));
    lines.fill(&mut input).expect("interrupted is retried");
    assert!(matches!(lines.next_line(), Next::Line(l) if l.bytes() == b"a"));
    assert!(matches!(lines.next_line(), Next::NeedInput));
    let err = lines.fill(&mut input).expect_err("error is returned");
    assert_eq!(err.to_string(), "disk on fire");
}
