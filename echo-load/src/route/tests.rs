//! The router: every rule, the fast path held to the full reading.

use super::*;
use crate::fault::Kind;
use crate::quick;
use crate::send::PayloadKind;

fn router(clients: usize, nodes: usize, strict: bool) -> (Router, Vec<Vec<u8>>) {
    let names = (0..nodes).map(|k| format!("n{k}")).collect();
    let mut r = Router::new(
        names,
        clients,
        Payloads::new(&PayloadKind::Maelstrom, 0),
        0,
        Duration::from_secs(5),
        strict,
    );
    let mut outs = vec![Vec::new(); nodes];
    for (n, out) in outs.iter_mut().enumerate() {
        r.init(n, out);
        let line = format!(
            r#"{{"src":"n{n}","dest":"c{n}","body":{{"type":"init_ok","in_reply_to":1}}}}"#
        );
        assert_eq!(r.line(n, 1, line.as_bytes(), Instant::now()), Outcome::Done);
    }
    assert!(r.initialised());
    for (n, out) in outs.iter_mut().enumerate() {
        r.written(n, out.len(), 0, Instant::now());
        out.clear();
    }
    (r, outs)
}

/// The echo of the request last queued in `out` (between `"echo":` and `,"type"`).
fn echo_of(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let line = text.lines().last().unwrap_or_default();
    let start = line.find(r#""echo":"#).map_or(0, |i| i + 7);
    let end = line.find(r#","type""#).unwrap_or(line.len());
    line[start..end].to_owned()
}

#[test]
fn replies_match_by_in_reply_to_from_any_node_with_repeated_msg_ids() {
    let (mut r, mut outs) = router(2, 2, false);
    let now = Instant::now();
    assert_eq!(r.send(now, now, |n| &mut outs[n]), Some(0));
    let echo = echo_of(&outs[0]);
    r.written(0, outs[0].len(), 0, now);
    // From n1, not n0 which was asked; msg_id copied from the request (as Go's demo).
    // The workload's first client is c2: c0 and c1 were the nodes' init clients.
    let reply = format!(
        r#"{{"src":"n1","dest":"c2","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":1,"msg_id":1}}}}"#
    );
    assert!(matches!(
        r.line(1, 2, reply.as_bytes(), now),
        Outcome::Answered { .. }
    ));
    assert_eq!(r.counts().ok, 1);
    assert!(!r.faults().fail(false));
    // The same reply again: skipped as a duplicate.
    assert_eq!(r.line(1, 3, reply.as_bytes(), now), Outcome::Done);
    assert_eq!((r.counts().skipped, r.counts().duplicate), (1, 1));
    assert!(!r.faults().fail(false));
}

#[test]
fn a_timed_out_client_is_replaced_and_a_late_reply_to_it_is_undeliverable() {
    // One node (n0, whose init client was c0), one client: c1.
    let (mut r, mut outs) = router(1, 1, false);
    let t = Instant::now();
    r.send(t, t, |n| &mut outs[n]);
    let echo = echo_of(&outs[0]);
    r.written(0, outs[0].len(), 0, t);
    outs[0].clear();
    r.expire(t + Duration::from_secs(5));
    assert_eq!(r.counts().timeouts, 1);
    // Jepsen closes the client and opens a new one: c2, counting msg_ids from 1.
    r.send(t, t, |n| &mut outs[n]);
    let request = String::from_utf8_lossy(&outs[0]).into_owned();
    assert!(
        request.contains(r#""src":"c2""#) && request.contains(r#""msg_id":1}"#),
        "{request}"
    );
    // The late reply to c1: to no one, so Maelstrom stops reading n0.
    let late = format!(
        r#"{{"src":"n0","dest":"c1","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":1}}}}"#
    );
    assert_eq!(r.line(0, 2, late.as_bytes(), t), Outcome::StopReading);
}

#[test]
fn strict_fails_what_maelstrom_lets_pass() {
    let (mut r, mut outs) = router(1, 2, true);
    let now = Instant::now();
    r.send(now, now, |n| &mut outs[n]);
    let echo = echo_of(&outs[0]);
    let reply = format!(
        r#"{{"src":"n1","dest":"c2","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":1,"msg_id":1}}}}"#
    );
    r.line(1, 2, reply.as_bytes(), now);
    r.line(1, 3, reply.as_bytes(), now);
    for kind in [
        crate::fault::Kind::OtherNode,
        crate::fault::Kind::Skipped,
        crate::fault::Kind::RepeatedMsgId,
    ] {
        assert_eq!(r.faults().count(kind), 1, "{kind:?}");
    }
    assert!(r.faults().fail(true) && !r.faults().fail(false));
}

#[test]
fn node_to_node_messages_are_forwarded_and_unknown_ids_are_not() {
    let (mut r, _) = router(1, 3, false);
    let now = Instant::now();
    let to_n3 = br#"{"src":"n0","dest":"n2","body":{"type":"gossip","msg_id":7}}"#;
    let Outcome::Forward(2, delivery) = r.line(0, 2, to_n3, now) else {
        panic!("forwarded to n2");
    };
    let mut out = Vec::new();
    delivery.write(to_n3, &mut out);
    // Re-serialized with the network's id, as Maelstrom delivers it.
    let text = String::from_utf8(out).expect("UTF-8");
    let rest = text.strip_prefix(r#"{"id":"#).expect("the id first");
    let (id, rest) = rest.split_once(',').expect("an id");
    assert!(id.parse::<u64>().is_ok(), "{text}");
    assert_eq!(
        rest,
        "\"src\":\"n0\",\"dest\":\"n2\",\"body\":{\"type\":\"gossip\",\"msg_id\":7}}\n"
    );
    let to_n9 = br#"{"src":"n0","dest":"n9","body":{"type":"gossip"}}"#;
    // Maelstrom's stdout-thread stops at it: no failure of itself, nor the end.
    assert_eq!(r.line(0, 3, to_n9, now), Outcome::StopReading);
    assert!(!r.faults().ended() && !r.faults().fail(true));
    let text = r
        .faults()
        .shown(crate::fault::Kind::Undeliverable)
        .next()
        .map(|f| f.to_string());
    assert!(
        text.as_deref()
            .is_some_and(|t| t.starts_with(r#"n0 stdout line 3: dest "n9" is no node or client"#)),
        "{text:?}"
    );
}

#[test]
fn the_timeout_runs_from_the_send_and_a_misdirected_reply_is_named() {
    let (mut r, mut outs) = router(2, 1, false);
    let due = Instant::now();
    // c1's first request, answered; then c2's first (msg_id 1) and c1's second (2).
    r.send(due, due, |n| &mut outs[n]);
    let first = format!(
        r#"{{"src":"n0","dest":"c1","body":{{"type":"echo_ok","echo":{},"in_reply_to":1}}}}"#,
        echo_of(&outs[0])
    );
    r.written(0, outs[0].len(), 0, due);
    assert!(matches!(
        r.line(0, 2, first.as_bytes(), due),
        Outcome::Answered { .. }
    ));
    outs[0].clear();
    r.send(due, due, |n| &mut outs[n]);
    r.send(due, due, |n| &mut outs[n]);
    let echo = echo_of(&outs[0]);
    let before = r.links[0].stdin.written;
    // Written 3 s after they were sent: the 3 s count against their timeout.
    let written = due + Duration::from_secs(3);
    r.written(0, outs[0].len(), 0, written);
    assert_eq!(r.links[0].stdin.written - before, outs[0].len() as u64);
    // c1's reply (to msg_id 2) sent to c2, which waits for msg_id 1.
    let reply = format!(
        r#"{{"src":"n0","dest":"c2","body":{{"type":"echo_ok","echo":{echo},"in_reply_to":2}}}}"#
    );
    r.line(0, 3, reply.as_bytes(), written);
    assert_eq!(r.counts().misdirected, 1);
    r.expire(due + Duration::from_millis(4_900));
    assert_eq!(r.counts().timeouts, 0);
    r.expire(due + Duration::from_secs(5));
    assert_eq!(r.counts().timeouts, 2);
    let texts: Vec<String> = r
        .faults()
        .shown(crate::fault::Kind::TimedOut)
        .map(|f| f.to_string())
        .collect();
    assert!(
        texts[0].contains("c1 msg_id 2 to n0")
            && texts[0].contains("(reply to c1's request sent to c2, n0 stdout line 3)"),
        "{texts:?}"
    );
    // n1 printed its last line 2 s before: not silent for the timeout.
    assert_eq!(r.faults().count(crate::fault::Kind::Silent), 0);
}

#[test]
fn a_request_behind_a_stdin_that_takes_nothing_times_out_saying_so() {
    let (mut r, mut outs) = router(1, 1, false);
    let t = Instant::now();
    r.send(t, t, |n| &mut outs[n]);
    r.written(0, 0, outs[0].len(), t);
    r.written(0, 0, outs[0].len(), t + Duration::from_secs(4));
    r.expire(t + Duration::from_secs(5));
    assert!(!r.faults().ended(), "no fault of its own, as in Maelstrom");
    let text = r
        .faults()
        .shown(crate::fault::Kind::TimedOut)
        .next()
        .map(|f| f.to_string());
    assert_eq!(
        text.as_deref(),
        Some(
            "c1 msg_id 1 to n0, sent at 0.000 s, timed out (never wholly written to n0's \
             stdin, which had taken nothing for 5.0 s)"
        )
    );
}

#[test]
fn msg_ids_must_not_repeat() {
    let mut ids = UniqueIds::default();
    for id in ["0", "1", "70000000", "18446744073709551616", "-3"] {
        assert!(ids.insert(id.as_bytes()), "{id}");
    }
    for id in ["0", "1", "70000000", "18446744073709551616", "-3"] {
        assert!(!ids.insert(id.as_bytes()), "{id} again");
    }
}

/// A reply to client `c2`'s first request, its parts each as given, in one of the
/// layouts nodes print: 0 echo-node's;
/// 1 serde_json's maps (keys sorted, the body first); 2 rustengan's (`msg_id` first,
/// the echo last); 3 with whitespace after each `:` and `,`, Maelstrom's `id` and
/// no `msg_id`.
fn laid_out(
    layout: u8,
    src: &str,
    dest: &str,
    echo: &str,
    in_reply_to: &str,
    msg_id: &str,
    tail: &str,
) -> String {
    match layout {
        0 => format!(
            r#"{{"src":{src},"dest":{dest},"body":{{"type":"echo_ok","echo":{echo},"in_reply_to":{in_reply_to},"msg_id":{msg_id}}}}}{tail}"#
        ),
        1 => format!(
            r#"{{"body":{{"echo":{echo},"in_reply_to":{in_reply_to},"msg_id":{msg_id},"type":"echo_ok"}},"dest":{dest},"src":{src}}}{tail}"#
        ),
        2 => format!(
            r#"{{"src":{src},"dest":{dest},"body":{{"msg_id":{msg_id},"in_reply_to":{in_reply_to},"type":"echo_ok","echo":{echo}}}}}{tail}"#
        ),
        _ => format!(
            r#"{{"id": 3, "src": {src}, "dest": {dest}, "body": {{"type": "echo_ok", "echo": {echo}, "in_reply_to": {in_reply_to}}}}}{tail}"#
        ),
    }
}

#[test]
fn a_right_reply_in_any_layout_is_known_in_one_pass() {
    for (strict, layout) in [false, true]
        .into_iter()
        .flat_map(|s| (0..4).map(move |l| (s, l)))
    {
        let (mut r, mut outs) = router(1, 2, strict);
        let now = Instant::now();
        assert_eq!(r.send(now, now, |n| &mut outs[n]), Some(0));
        let echo = echo_of(&outs[0]);
        r.written(0, outs[0].len(), 0, now);
        let line = laid_out(layout, r#""n1""#, r#""c2""#, &echo, "1", "7", "");
        let outcome = r.right_reply(1, 2, line.as_bytes(), now);
        assert!(matches!(outcome, Some(Outcome::Answered { .. })), "{line}");
        assert_eq!(r.counts().ok, 1);
        // From n1, where n0 was asked: only --strict fails it, as the full reading does.
        assert_eq!(r.faults().count(Kind::OtherNode), u64::from(strict));
        // The same line again: the client waits for nothing; the full reading decides.
        assert_eq!(r.right_reply(1, 3, line.as_bytes(), now), None);
    }
}

#[test]
fn names_out_of_the_plain_order_are_compared_whole() {
    let names = vec!["n1".to_owned(), "n3".to_owned()];
    let payloads = Payloads::new(&PayloadKind::Maelstrom, 1);
    let mut r = Router::new(names, 1, payloads, 1, Duration::from_secs(5), false);
    let mut outs = [Vec::new(), Vec::new()];
    let now = Instant::now();
    assert_eq!(r.send(now, now, |n| &mut outs[n]), Some(0));
    let echo = echo_of(&outs[0]);
    r.written(0, outs[0].len(), 0, now);
    // `n2` would be the second node were the names n1, n2: here it names none.
    let line = laid_out(0, r#""n2""#, r#""c2""#, &echo, "1", "7", "");
    assert_eq!(r.right_reply(0, 2, line.as_bytes(), now), None);
    let line = laid_out(0, r#""n1""#, r#""c2""#, &echo, "1", "7", "");
    assert!(r.right_reply(0, 2, line.as_bytes(), now).is_some());
}

/// `right` four times in five, else one of `wrong`.
fn mostly(
    right: &'static str,
    wrong: Vec<&'static str>,
) -> impl proptest::strategy::Strategy<Value = &'static str> {
    use proptest::prelude::*;
    prop_oneof![4 => Just(right), 1 => proptest::sample::select(wrong)]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
    /// Whatever line the fast reading takes, the full reading takes alike: the same
    /// outcome, counts and faults.
    #[test]
    fn the_fast_reading_takes_only_what_the_full_reading_takes_alike(
        strict in proptest::bool::ANY,
        src in mostly(r#""n0""#, vec![r#""n1""#, r#""n2""#, r#""n01""#, r#""\u006e0""#, r#""n0"#, r#""c2""#]),
        dest in mostly(r#""c2""#, vec![r#""c3""#, r#""c02""#, r#""c1""#, r#""\u00632""#, r#""n0""#, r#""c2\"""#]),
        echo in mostly("same", vec!["other", "escaped", "spaced", "truncated", "number"]),
        in_reply_to in mostly("1", vec!["2", "01", "1.0", "-1", "1e0", "18446744073709551617"]),
        msg_id in mostly("1", vec!["0", "01", "-1", "1.5", "99999999999999999999999", "\"1\"", "1 "]),
        tail in mostly("", vec![" ", "x", "}", "\u{e9}"]),
        repeat in proptest::bool::ANY,
        layout in 0u8..4,
        learnt in proptest::bool::ANY,
    ) {
        let (mut fast, mut outs) = router(2, 2, strict);
        let (mut full, mut outs_full) = router(2, 2, strict);
        let now = Instant::now();
        proptest::prop_assert_eq!(fast.send(now, now, |n| &mut outs[n]), Some(0));
        proptest::prop_assert_eq!(full.send(now, now, |n| &mut outs_full[n]), Some(0));
        fast.written(0, outs[0].len(), 0, now);
        full.written(0, outs_full[0].len(), 0, now);
        let sent = echo_of(&outs[0]);
        let inner = &sent[1..sent.len() - 1];
        let echo = match echo {
            "same" => sent.clone(),
            "other" => format!("\"{inner}x\""),
            "escaped" => format!("\"\\u0050{}\"", &inner[1..]),
            "spaced" => format!(" {sent}"),
            "truncated" => sent[..sent.len() - 1].to_owned(),
            _ => "12".to_owned(),
        };
        let line = laid_out(layout, src, dest, &echo, in_reply_to, msg_id, tail);
        if learnt {
            // The node's layout, learnt from an earlier right reply in it.
            let earlier = laid_out(layout, r#""n1""#, r#""c9""#, r#""x""#, "30", "40", "");
            let reply = quick::read(earlier.as_bytes(), |_| Some(&b"\"x\""[..]));
            proptest::prop_assert!(reply.is_some(), "{}", earlier);
            if let Some(reply) = reply {
                fast.links[0].layout.learn(earlier.as_bytes(), &reply);
            }
        }
        if repeat {
            // A msg_id this node used before, for --strict's check.
            let earlier = r#"{"src":"n0","dest":"n1","body":{"type":"x","msg_id":1}}"#;
            fast.line(0, 2, earlier.as_bytes(), now);
            full.line(0, 2, earlier.as_bytes(), now);
        }
        if let Some(outcome) = fast.right_reply(0, 3, line.as_bytes(), now) {
            let answered = matches!(outcome, Outcome::Answered { .. });
            proptest::prop_assert_eq!(Some(outcome), Some(full.line(0, 3, line.as_bytes(), now)), "{}", line);
            proptest::prop_assert_eq!(fast.counts(), full.counts());
            for kind in Kind::ALL {
                proptest::prop_assert_eq!(fast.faults().count(kind), full.faults().count(kind), "{:?}: {}", kind, line);
            }
            // Only a right reply: its echo the payload (whitespace before it aside),
            // nothing but whitespace after the object.
            proptest::prop_assert!(answered, "{}", line);
            proptest::prop_assert!(echo.trim_start() == sent && tail.trim().is_empty(), "{}", line);
        } else {
            // The fast reading changed nothing.
            proptest::prop_assert_eq!(fast.counts(), full.counts());
        }
    }
}

#[test]
fn a_client_is_known_by_its_name_as_maelstrom_writes_it_and_no_other() {
    // One node: its init client is c0, the workload's are c1 and c2.
    let (r, _) = router(2, 1, false);
    assert_eq!(r.client("c1"), Some(0));
    assert_eq!(r.client("c2"), Some(1));
    for other in ["c01", "c+1", "c", "c0", "c3", "n1", "c99999999999999999999"] {
        assert_eq!(r.client(other), None, "{other}");
    }
}
