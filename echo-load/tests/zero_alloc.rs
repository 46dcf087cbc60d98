//! The driver's per-request path allocates nothing once warm: queueing a request, its
//! write, and reading, routing and checking its reply (a counting global allocator), read
//! in full or by the fast reading of echo-node's layout.

use std::time::{Duration, Instant};

use echo_load::PayloadKind;
use echo_load::test_util::{Outcome, Payloads, Router};
use echo_test_support::{Counting, allocations};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_request_and_its_reply_allocate_nothing() {
    let names = vec!["n0".to_owned(), "n1".to_owned()];
    let mut router = Router::new(
        names,
        4,
        Payloads::new(&PayloadKind::Mixed, 0),
        0,
        Duration::from_secs(5),
        false,
    );
    let mut outs: Vec<Vec<u8>> = (0..2).map(|_| Vec::with_capacity(1 << 16)).collect();
    let mut reply = Vec::with_capacity(1 << 12);
    for (n, out) in outs.iter_mut().enumerate() {
        router.init(n, out);
        router.written(n, out.len(), 0, Instant::now());
        out.clear();
        let init_ok = format!(
            r#"{{"src":"n{n}","dest":"c{n}","body":{{"type":"init_ok","in_reply_to":1}}}}"#
        );
        router.line(n, 1, init_ok.as_bytes(), Instant::now());
    }
    let mut answered = 0;
    let mut round = |router: &mut Router, outs: &mut Vec<Vec<u8>>, reply: &mut Vec<u8>| {
        let now = Instant::now();
        let Some(n) = router.send(now, now, |n| &mut outs[n]) else {
            return;
        };
        router.written(n, outs[n].len(), 0, now);
        // The node's reply, echo-node's shape: the request's bytes rearranged.
        let request = &outs[n][..outs[n].len() - 1];
        // Where the value of `key` starts.
        let field =
            |key: &str| memchr::memmem::find(request, key.as_bytes()).map_or(0, |i| i + key.len());
        let src_at = field(r#""src":""#);
        let src_end = src_at + memchr::memchr(b'"', &request[src_at..]).unwrap_or(0);
        let echo_at = field(r#""echo":"#);
        let echo_end = memchr::memmem::rfind(request, br#","type":"echo""#).unwrap_or(echo_at);
        let id_at = field(r#""msg_id":"#);
        let id_end = request.len() - 2;
        reply.clear();
        reply.extend_from_slice(br#"{"src":"n"#);
        reply.push(b'0' + n as u8);
        reply.extend_from_slice(br#"","dest":""#);
        reply.extend_from_slice(&request[src_at..src_end]);
        reply.extend_from_slice(br#"","body":{"type":"echo_ok","echo":"#);
        reply.extend_from_slice(&request[echo_at..echo_end]);
        reply.extend_from_slice(br#","in_reply_to":"#);
        reply.extend_from_slice(&request[id_at..id_end]);
        reply.extend_from_slice(br#","msg_id":7}}"#);
        outs[n].clear();
        // Every other reply read in full, the rest by the fast reading of that layout.
        let outcome = if answered % 2 == 0 {
            router.right_reply(n, 2, reply, now)
        } else {
            Some(router.line(n, 2, reply, now))
        };
        if matches!(outcome, Some(Outcome::Answered { .. })) {
            answered += 1;
        }
    };
    for _ in 0..1_000 {
        round(&mut router, &mut outs, &mut reply);
    }
    let before = allocations();
    for _ in 0..10_000 {
        round(&mut router, &mut outs, &mut reply);
    }
    let allocations = allocations() - before;
    assert_eq!(answered, 11_000, "every reply was taken as correct");
    assert!(!router.faults().fail(false));
    assert_eq!(
        allocations, 0,
        "allocations over 10,000 requests and replies"
    );
}
