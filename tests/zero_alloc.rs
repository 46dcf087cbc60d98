//! After warm-up, handling a message allocates nothing: counted with a global allocator
//! that counts every allocation made in this test binary.

use std::io::{self, Read};

use echo_node::Flush;
use echo_node::{Config, Stats};
use echo_test_support::{Counting, allocations};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Serves `rounds` copies of `block` in reads of at most 8 KiB, and records the
/// allocation count when the warm-up rounds have been served.
struct Input<'a> {
    block: &'a [u8],
    offset: usize,
    round: u64,
    rounds: u64,
    warm_up: u64,
    count_at_warm_up: Option<u64>,
}

impl Read for Input<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.offset == self.block.len() {
            self.offset = 0;
            self.round += 1;
            if self.round == self.warm_up {
                self.count_at_warm_up = Some(allocations());
            }
        }
        if self.round == self.rounds {
            return Ok(0);
        }
        let n = out.len().min(8192).min(self.block.len() - self.offset);
        out[..n].copy_from_slice(&self.block[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

#[test]
fn no_allocation_per_message_after_warm_up() {
    // One block: every path a message can take (echo with and without escapes, nested
    // payloads, init, errors, unanswerable, invalid, blank, CRLF).
    let mut init = Vec::new();
    echo_wire::frame::init(
        &mut init,
        0,
        "c0",
        "n1",
        &echo_wire::frame::node_ids(&["n1", "n2"]),
    );
    let init = String::from_utf8_lossy(&init);
    let lines = [
        init.trim_end(),
        r#"{"id":7,"src":"c2","dest":"n1","body":{"echo":"Please echo 35","type":"echo","msg_id":3}}"#,
        r#"{"src":"c2","dest":"n1","body":{"echo":"esc\"aped \u00e9\n","type":"echo","msg_id":4}}"#,
        r#"{"src":"c3","dest":"n1","body":{"echo":{"a":[1,2.5,{"b":null}],"c":"日本"},"type":"echo","msg_id":5}}"#,
        r#"{"src":"c3","dest":"n1","body":{"type":"read","msg_id":6}}"#,
        r#"{"src":"c3","dest":"n1","body":{"type":"echo","msg_id":7}}"#,
        r#"{"src":"c3","dest":"n1","body":{"type":"echo","echo":1,"msg_id":"8"}}"#,
        r#"{"src":"c3","dest":"n1","body":{"type":"echo","echo":1}}"#,
        r#"not json at all"#,
        r#"{"src":"c3","dest":"n1","body":{"type":"echo","echo":01,"msg_id":9}}"#,
        r#"[1,2,3]"#,
        "",
        "{\"src\":\"c4\",\"dest\":\"n1\",\"body\":{\"echo\":\"crlf\",\"type\":\"echo\",\"msg_id\":10}}\r",
    ];
    let block = lines.join("\n") + "\n";
    let per_round = 7; // lines above that get a reply (5 ok, 2 errors)
    let (warm_up, rounds) = (1_000, 1_000 + 100_000 / per_round + 1);
    for flush in [Flush::Message, Flush::Batch] {
        let mut input = Input {
            block: block.as_bytes(),
            offset: 0,
            round: 0,
            rounds,
            warm_up,
            count_at_warm_up: None,
        };
        let config = Config {
            flush,
            ..Config::default()
        };
        let mut stats = Stats::default();
        let mut replies = Counter(0);
        echo_node::run(&config, &mut input, &mut replies, io::sink(), &mut stats)
            .expect("in-memory run");
        let after = allocations();
        let before = input.count_at_warm_up.expect("warm-up reached");
        let measured = (rounds - warm_up) * per_round;
        assert!(measured >= 100_000);
        assert_eq!(
            stats.replies + stats.error_replies,
            rounds * per_round,
            "{flush:?}"
        );
        assert!(replies.0 > 0);
        assert_eq!(
            after - before,
            0,
            "{flush:?}: allocations while handling {measured} messages after warm-up"
        );
    }
}

/// A sink that counts the bytes written to it.
struct Counter(u64);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
