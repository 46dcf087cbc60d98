//! Maelstrom's verdict against nodes no rule of this project shaped: the `demo_node`
//! example is written the way Maelstrom's demo nodes are (a JSON map, the request body
//! copied into the reply, so `msg_id`s repeat), and its switches make it do what other
//! correct nodes do (replies out of order, forwarded to another node that answers the
//! client, stderr chatter) or break one rule. Each correct behaviour must be valid under
//! Maelstrom's verdict; each fault must fail the run naming that fault.

#![forbid(unsafe_code)]

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::demo_node;

use echo_load::Kind;
use echo_load::{Config, Verdict};
use echo_test_support::run;

fn config(args: &[&str]) -> Config {
    Config {
        bin: demo_node(),
        node_args: args.iter().map(|a| a.to_string()).collect(),
        concurrency: 10,
        time_limit: Duration::from_millis(800),
        timeout: Duration::from_millis(1000),
        // One node, n0 (as --node-count 1 names it), closed loop (--rate max).
        node_count: 1,
        first_node: 0,
        rate: None,
        ..Config::default()
    }
}

#[test]
fn a_demo_style_node_is_valid_at_every_concurrency_and_node_count() {
    for (nodes, concurrency) in [(1, 1), (1, 10), (3, 30), (5, 5), (5, 10)] {
        for rate in [None, Some(2000.0)] {
            let mut c = config(&[]);
            c.node_count = nodes;
            c.concurrency = concurrency;
            c.rate = rate;
            let report = run(&c);
            let what = format!("{nodes} nodes, {concurrency} clients, rate {rate:?}");
            assert!(report.valid(), "{what}: {}", report.summary());
            assert!(report.counts.ok > 100, "{what}: {}", report.summary());
        }
    }
}

#[test]
fn out_of_order_forwarded_and_chatty_nodes_are_valid() {
    for (args, nodes) in [
        (&["--delay-us", "3000"][..], 1),
        (&["--forward"], 3),
        (&["--forward", "--delay-us", "500"], 2),
        (&["--chatter"], 2),
    ] {
        let mut c = config(args);
        c.node_count = nodes;
        let report = run(&c);
        assert!(report.valid(), "{args:?}: {}", report.summary());
        assert!(report.counts.ok > 100, "{args:?}: {}", report.summary());
        if args.contains(&"--forward") {
            // Two node-to-node messages a request: the forward and its forward_ok (the
            // last few forward_oks may still be on their way when the run ends).
            let (forwarded, sent) = (report.counts.forwarded, report.counts.sent);
            assert!(
                forwarded <= 2 * sent && forwarded + 10 >= 2 * sent,
                "{args:?}: {forwarded} forwarded for {sent} sent"
            );
        }
    }
}

#[test]
fn strict_fails_what_maelstrom_lets_pass_and_says_so() {
    let mut c = config(&["--forward"]);
    c.node_count = 2;
    let lenient = run(&c);
    assert!(lenient.valid(), "{}", lenient.summary());
    assert!(lenient.summary().contains("; Maelstrom's verdict\n"));
    c.strict = true;
    let strict = run(&c);
    assert!(!strict.valid(), "{}", strict.summary());
    let summary = strict.summary();
    assert!(summary.contains("--strict verdict"), "{summary}");
    assert!(
        summary.contains("failures stricter than Maelstrom:"),
        "{summary}"
    );
    assert!(strict.faults.count(Kind::RepeatedMsgId) > 0, "{summary}");
    assert!(strict.faults.count(Kind::OtherNode) > 0, "{summary}");
    assert!(
        summary.contains(", which asked n0, came from n1")
            || summary.contains(", which asked n1, came from n0"),
        "{summary}"
    );
}

#[test]
fn a_duplicate_reply_is_skipped_and_counted_and_only_strict_fails_it() {
    let mut c = config(&["--duplicate-at", "20"]);
    let report = run(&c);
    assert!(report.valid(), "{}", report.summary());
    assert_eq!(
        (report.counts.skipped, report.counts.duplicate),
        (1, 1),
        "{}",
        report.summary()
    );
    assert!(report.summary().contains("skipped messages: 1 duplicate"));
    assert_eq!(report.results_json()["skipped"]["duplicate"], 1);
    c.strict = true;
    let strict = run(&c);
    assert!(!strict.valid());
    assert!(
        strict
            .summary()
            .contains("skipped a second reply to msg_id"),
        "{}",
        strict.summary()
    );
}

#[test]
fn a_reply_sent_to_the_wrong_client_is_named() {
    let report = run(&config(&["--misdirect-at", "30"]));
    assert!(!report.valid());
    let summary = report.summary();
    // Whether the client it went to skipped it (it waited for another msg_id) or took it
    // (its own msg_id was the same), the reason names both clients.
    assert!(
        summary.contains("'s request sent to c1") || summary.contains("'s request sent to c2"),
        "{summary}"
    );
}

#[test]
fn a_node_that_reads_but_stops_answering_is_named() {
    let report = run(&config(&["--silent-after", "50"]));
    assert!(!report.valid());
    let summary = report.summary();
    assert!(
        summary.contains("n0 answered nothing for 1.0 s; ")
            && summary.contains(" requests outstanding, oldest c"),
        "{summary}"
    );
    assert_eq!(report.counts.timeouts, 10, "{summary}");
    // The first few timed-out requests are listed, with client, msg_id and when sent.
    assert!(
        summary.contains("timed out (10, first 3 shown):"),
        "{summary}"
    );
    assert!(summary.contains(" to n0, sent at 0."), "{summary}");
}

#[test]
fn a_node_that_stops_reading_its_stdin_gets_its_requests_timed_out_saying_why() {
    // Requests of 600 kB: two of them fill any pipe, so most are never written. As in
    // Maelstrom, that is no fault of its own: the requests behind it time out.
    let mut c = config(&["--stop-reading-after", "3"]);
    c.payload = "string:600000".parse().expect("payload");
    let report = run(&c);
    assert!(!report.valid());
    let summary = report.summary();
    assert!(
        summary.contains(
            "timed out (never wholly written to n0's stdin, which had taken nothing for "
        ),
        "{summary}"
    );
    assert_eq!(report.faults.count(Kind::StoppedReading), 0, "{summary}");
}

#[test]
fn a_node_that_exits_mid_run_is_where_maelstrom_would_stop_the_test() {
    let report = run(&config(&["--exit-after", "40"]));
    assert!(!report.valid());
    assert_eq!(report.outcome(), Verdict::Aborted);
    assert!(
        report.summary().contains("n0 exited with status 3 at "),
        "{}",
        report.summary()
    );
}

/// sed, unbuffered: GNU's `-u`, or the BSDs' and macOS's `-l`.
fn sed() -> &'static str {
    let gnu = Command::new("sed")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if gnu { "sed -u" } else { "sed -l" }
}

/// The sed expression that answers Maelstrom's echo requests.
const SED_ECHO: &str = r#"s/^{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{"echo":\(.*\),"type":"echo","msg_id":\([0-9]*\)}}$/{"src":"\2","dest":"\1","body":{"type":"echo_ok","echo":\3,"in_reply_to":\4}}/"#;

#[test]
fn a_node_that_exits_with_status_0_after_its_last_reply_is_where_maelstrom_would_stop() {
    // Every request answered, then the node exits 0 before the run ends: Maelstrom's
    // teardown finds it dead and stops the test.
    let mut c = config(&[]);
    c.bin = sh_node(
        "exits-after-40",
        &format!("exec {} -e '{SED_ECHO}' -e 40q", sed()),
    );
    c.concurrency = 1;
    c.requests = Some(40);
    let report = run(&c);
    let summary = report.summary();
    assert_eq!(report.counts.ok, 40, "{summary}");
    assert_eq!(report.outcome(), Verdict::Aborted, "{summary}");
    assert!(summary.contains("n0 exited with status 0 at "), "{summary}");
    assert!(summary.ends_with("valid? unknown: Maelstrom would stop this test\n"));
}

#[test]
fn a_node_that_exits_while_a_child_holds_its_stdout_is_seen_at_once() {
    // The node exits; the child it leaves holds its stdout open, so no end of stdout
    // says so. Maelstrom finds it dead at teardown.
    let mut c = config(&[]);
    c.bin = sh_node("forks-and-exits", "sleep 30 &\nexit 0");
    c.time_limit = Duration::from_secs(10);
    let started = Instant::now();
    let report = run(&c);
    let summary = report.summary();
    assert_eq!(report.outcome(), Verdict::Aborted, "{summary}");
    assert!(summary.contains("n0 exited with status 0 at "), "{summary}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "seen when it exited, not at the end of the run: {summary}"
    );
}

#[test]
fn over_driving_says_so_and_is_valid_when_every_request_is_answered() {
    let mut c = config(&[]);
    c.concurrency = 1;
    c.rate = Some(1_000_000.0);
    c.time_limit = Duration::from_millis(1500);
    // A sent request is answered at once; the timeout is short only so that what waits
    // in echo-load is far longer than it.
    c.timeout = Duration::from_millis(500);
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(report.never_sent() > 0, "{summary}");
    assert_eq!(report.due, report.counts.sent + report.never_sent());
    assert!(
        summary.contains("warning: the asked rate was not sustained: 1000000 requests/s asked, "),
        "{summary}"
    );
    // Requests waited in echo-load far longer than the timeout, and none timed out.
    assert!(report.latency_ms(0.9) > 500.0, "{summary}");
    assert!(summary.contains("waited in echo-load before sending, ms: p50 "));
    let json = report.results_json();
    assert_eq!(json["requests"]["never_sent"], report.never_sent());
}

#[test]
fn a_one_second_stall_under_rate_shows_in_the_percentiles() {
    let mut c = config(&["--pause-at", "500", "1000"]);
    c.rate = Some(1000.0);
    c.time_limit = Duration::from_secs(3);
    c.timeout = Duration::from_secs(5);
    let report = run(&c);
    assert!(
        report.valid(),
        "a stall under the timeout is still valid: {}",
        report.summary()
    );
    // A third of the requests fell due during or just after the stall: measured from when
    // they fell due, not from when the stalled clients could send them.
    assert!(report.max_ms() >= 900.0, "max {}", report.max_ms());
    assert!(
        report.latency_ms(0.9) >= 200.0,
        "p90 {}",
        report.latency_ms(0.9)
    );
    assert!(
        report.latency_ms(0.5) < 200.0,
        "p50 {}",
        report.latency_ms(0.5)
    );
}

#[test]
fn five_hundred_nodes_run_in_bounded_descriptors_and_memory() {
    let dir = std::env::temp_dir().join(format!("echo-load-500-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_echo-load"))
        .args(["--bin", demo_node().to_str().expect("utf-8 path")])
        .args([
            "--node-count",
            "500",
            "--concurrency",
            "1n",
            "--rate",
            "1000",
        ])
        .args(["--time-limit", "2", "--quiet", "--out"])
        .arg(&dir)
        .output()
        .expect("run echo-load");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{summary}");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).expect("results.json"))
            .expect("JSON");
    let logs = std::fs::read_dir(&dir).expect("out").count();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(results["valid"], true);
    assert_eq!(results["ok"], 2000, "{summary}");
    // A run this size keeps its history: results.json and .edn, four pictures, three
    // history files, timeline.html and index.html.
    assert_eq!(
        logs,
        500 + 1 + 11,
        "a log a node, the folder's lock and the run's eleven files"
    );
    // Two descriptors a node (its stdin and stdout), and a few of the driver's own.
    let descriptors = results["driver"]["descriptors"].as_u64().expect("counted");
    assert!(descriptors <= 2 * 500 + 16, "{descriptors} descriptors");
    // At most 128 KiB a node, the driver's own baseline included.
    let kib = results["driver"]["peak_rss_kib"]
        .as_u64()
        .expect("measured");
    assert!(kib <= 500 * 128, "{kib} KiB for 500 nodes");
}

/// A node in `sh`: answers init (from c0, msg_id 1), then runs `then`.
fn sh_node(name: &str, then: &str) -> PathBuf {
    sh_node_with(name, "", then)
}

/// [`sh_node`], running `before` first (after reading init, before answering it).
fn sh_node_with(name: &str, before: &str, then: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("echo-load-verdict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    let script = format!(
        "#!/bin/sh\nread -r line\n{before}\nprintf '{{\"src\":\"n0\",\"dest\":\"c0\",\"body\":{{\"type\":\"init_ok\",\"in_reply_to\":1}}}}\\n'\n{then}\n"
    );
    std::fs::write(&path, script).expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn a_node_that_closes_its_stdin_is_said_to_have_never_been_written_to() {
    let mut c = config(&[]);
    c.bin = sh_node_with("closes-stdin", "exec 0<&-", "exec sleep 30");
    c.concurrency = 1;
    let report = run(&c);
    let summary = report.summary();
    assert!(!report.valid());
    assert!(
        summary.contains("never wholly written to n0's stdin"),
        "{summary}"
    );
    for fault in report.faults.shown(Kind::Silent) {
        let echo_load::Fault::Silent { seconds, .. } = fault else {
            continue;
        };
        assert!(
            *seconds < 10.0,
            "silent for {seconds} s in a short run: {summary}"
        );
    }
}

#[test]
fn a_node_whose_replies_are_skipped_is_not_said_to_answer_nothing() {
    let mut c = config(&[]);
    // Each request answered with in_reply_to 1.0: Maelstrom's client skips it.
    c.bin = sh_node(
        "float-reply",
        &format!(
            "exec {} -e '{}'",
            sed(),
            SED_ECHO.replace(r#"\4}}/"#, r#"\4.0}}/"#)
        ),
    );
    c.concurrency = 1;
    let report = run(&c);
    let summary = report.summary();
    assert!(!report.valid());
    assert_eq!(report.faults.count(Kind::Silent), 0, "{summary}");
    assert!(
        summary.contains("skipped in_reply_to 1.0, which it has no request for"),
        "{summary}"
    );
}

#[test]
fn a_node_whose_lines_maelstrom_reads_no_more_is_not_said_to_answer_nothing() {
    // It first sends to a node that does not exist (Maelstrom reads no more of it), then
    // answers every request: its requests time out, for what it printed went unread,
    // not because it printed nothing.
    let mut c = config(&[]);
    c.bin = sh_node(
        "unread-replies",
        &format!(
            "printf '{{\"src\":\"n0\",\"dest\":\"n9\",\"body\":{{\"type\":\"x\"}}}}\\n'\nexec {} -e '{}'",
            sed(),
            SED_ECHO
        ),
    );
    c.concurrency = 1;
    c.timeout = Duration::from_millis(300);
    let report = run(&c);
    let summary = report.summary();
    assert!(!report.valid(), "{summary}");
    assert_eq!(report.faults.count(Kind::Silent), 0, "{summary}");
    assert!(!summary.contains("answered nothing"), "{summary}");
    assert!(
        summary.contains("n0 printed on, but Maelstrom reads no more of its stdout"),
        "{summary}"
    );
}

#[test]
fn a_run_cut_short_does_not_blame_the_clients_for_the_rate() {
    // One client and a 300 ms stall: requests fall due that it cannot send; then the
    // node exits, which ends the run.
    let mut c = config(&["--pause-at", "10", "300", "--exit-after", "12"]);
    c.rate = Some(200.0);
    c.concurrency = 1;
    c.time_limit = Duration::from_secs(2);
    let report = run(&c);
    let summary = report.summary();
    assert!(!report.valid() && report.never_sent() > 0, "{summary}");
    assert!(!summary.contains("not sustained"), "{summary}");
}

#[test]
fn a_node_at_fault_is_quoted_by_its_last_stderr_lines() {
    let report = run(&config(&["--silent-after", "5", "--chatter"]));
    let summary = report.summary();
    assert!(!report.valid());
    assert!(
        summary.contains("what the nodes at fault last wrote on stderr:\n  n0: "),
        "{summary}"
    );
    assert_eq!(report.stderr.len(), 1);
    assert!(report.stderr[0].1.len() <= 5, "a few lines");
}

#[test]
fn a_node_that_uses_maelstroms_services_is_answered_by_them() {
    // Each echo waits for lin-kv's write_ok; lin-tso is asked too. Where Maelstrom's
    // services were undeliverable, every request would time out.
    let mut c = config(&["--kv"]);
    c.node_count = 2;
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(report.counts.ok > 10, "{summary}");
}

#[test]
fn latency_delays_messages_between_nodes_and_never_those_of_clients() {
    // Forwarded: each request takes one node-to-node hop, delayed 50 ms; the client's own
    // messages are not.
    let mut c = config(&["--forward"]);
    c.node_count = 2;
    c.latency_ms = 50;
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(report.latency_ms(0.0) >= 50.0, "{summary}");
    // Minimums only (a loaded machine can make anything slower, nothing faster): one hop
    // delayed, not two; and without forwarding, none at all.
    assert!(
        report.latency_ms(0.0) < 100.0,
        "one hop, not two: {summary}"
    );
    let mut c = config(&[]);
    c.latency_ms = 50;
    let report = run(&c);
    assert!(report.latency_ms(0.0) < 50.0, "{}", report.summary());
}

#[test]
fn latency_delays_a_call_to_a_service_both_ways() {
    // Each echo waits for lin-kv's write_ok: the write and its reply are each delayed
    // (net.clj's latency-for: no client is involved), so no request is answered in under
    // two latencies (a lower bound: a busy machine only adds to it).
    let mut c = config(&["--kv"]);
    c.latency_ms = 60;
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(report.latency_ms(0.0) >= 120.0, "two hops: {summary}");
}

#[test]
fn a_reply_that_comes_before_its_request_answers_it() {
    // After its 3rd reply the node sends one naming the client's next msg_id, with a
    // wrong echo. The client waits for nothing then: Maelstrom keeps the message in its
    // queue, and the client takes it as the reply to its next request (client.clj,
    // recv!), so the run is invalid; dropping it would pass the node.
    for rate in [None, Some(50.0)] {
        let mut c = config(&["--early-at", "3"]);
        c.concurrency = 1;
        c.rate = rate;
        c.time_limit = Duration::from_millis(400);
        let report = run(&c);
        let summary = report.summary();
        assert!(!report.valid(), "{rate:?}: {summary}");
        assert_eq!(report.counts.wrong, 1, "{rate:?}: {summary}");
        assert!(summary.contains("\"early\""), "{rate:?}: {summary}");
        // The right reply to that request, which came after, is skipped.
        assert!(report.counts.skipped >= 1, "{rate:?}: {summary}");
    }
}

#[test]
fn lines_ended_by_a_lone_cr_are_read_at_once() {
    // Every line the node prints ends with \r alone: each is whole as soon as it is read
    // (Java's readLine), or the last reply of a run would wait for a byte that never
    // comes, and a closed loop would stall on every request.
    let mut c = config(&["--cr"]);
    c.concurrency = 1;
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(report.counts.ok > 50, "{summary}");
}

#[test]
fn a_control_character_a_node_sends_another_reaches_it_escaped() {
    // n0 sends n1 a string holding a raw TAB, which Maelstrom reads; its writer escapes
    // it, so n1, which exits on any line a strict JSON reader refuses, runs on.
    let mut c = config(&["--gossip-control"]);
    c.node_count = 2;
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(report.counts.forwarded >= 2, "{summary}");
}

#[test]
fn every_due_request_counts_in_the_latency_answered_or_not() {
    // Half the requests are answered at once, the rest never (the node goes silent):
    // each timed-out one enters the latency at what it had waited when given up, so p99
    // is no less than the timeout, where the answered alone would say under a millisecond.
    let mut c = config(&["--silent-after", "50"]);
    c.rate = Some(100.0);
    c.concurrency = 200;
    c.time_limit = Duration::from_secs(1);
    c.timeout = Duration::from_millis(300);
    let report = run(&c);
    let summary = report.summary();
    assert!(!report.valid(), "{summary}");
    assert!(report.counts.timeouts >= 40, "{summary}");
    assert!(report.latency_ms(0.99) >= 300.0, "{summary}");
    assert!(
        summary.contains("latency from the schedule, ms: ")
            && summary.contains("never answered, each at what it had waited when given up"),
        "{summary}"
    );
    let json = report.results_json();
    assert_eq!(json["unanswered_in_latency"], report.counts.timeouts);
    assert_eq!(json["latency_from"], "schedule");
}

#[test]
fn a_node_slower_than_the_rate_shows_its_backlog_in_p99() {
    // 200 requests a second offered to a node that answers 50, through one client: the
    // backlog grows all run, and so does what a request waits, sent or not (a never-sent
    // one counts at what it had waited by the end). p99 grows with the run's length, at
    // least as the backlog does (a busy machine only adds to it).
    for seconds in [1, 2] {
        let mut c = config(&["--max-rate", "50"]);
        c.rate = Some(200.0);
        c.concurrency = 1;
        c.time_limit = Duration::from_secs(seconds);
        c.timeout = Duration::from_secs(5);
        let report = run(&c);
        let summary = report.summary();
        assert!(report.never_sent() > 0, "{summary}");
        assert!(
            report.latency_ms(0.99) >= 400.0 * seconds as f64,
            "{seconds} s: {summary}"
        );
    }
}

#[test]
fn each_figure_is_named_for_what_it_measures() {
    // Closed loop: the latency is service time from each client's send. The rates are
    // three figures: offered (open loop only), sent, and throughput over the replies
    // within the load window, not the drain after it.
    let mut c = config(&["--max-rate", "100"]);
    c.concurrency = 10;
    c.time_limit = Duration::from_secs(1);
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(
        summary.contains("service time from each client's send, ms: ")
            && !summary.contains("latency from the schedule")
            && summary.contains("rates: sent ")
            && summary.contains("(replies within the 1.00 s load window)")
            && !summary.contains("offered"),
        "{summary}"
    );
    let json = report.results_json();
    let in_window = json["replies_in_window"].as_u64().expect("counted");
    assert!(
        in_window < report.counts.ok,
        "the drain is not the load's: {summary}"
    );
    let throughput = json["throughput"].as_f64().expect("measured");
    assert!((throughput - in_window as f64 / report.seconds).abs() < 1e-6);
    assert_eq!(json["latency_from"], "send");
    // Open loop: the latency from the schedule and the service time from the write, and
    // the offered rate, each on its own line.
    c.rate = Some(50.0);
    let summary = run(&c).summary();
    assert!(
        summary.contains("rates: offered 50 requests/s (the schedule), sent ")
            && summary.contains("latency from the schedule, ms: ")
            && summary.contains("service time from the write, ms: ")
            && summary.contains("reply times taken at each read of a node's stdout, each within"),
        "{summary}"
    );
}

#[test]
fn what_maelstrom_reads_and_passes_passes() {
    // init_ok with an extra key and a string msg_id (only its type is checked); replies
    // ending in \r\n with text after the JSON (cheshire reads one value); and, after the
    // last reply, a stray debug line (Maelstrom stops reading the node there, but nothing
    // is left to answer).
    let dir = std::env::temp_dir().join(format!("echo-load-verdict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("maelstrom-passes");
    let script = format!(
        r#"#!/bin/sh
read -r line
printf '{{"src":"n0","dest":"c0","body":{{"type":"init_ok","in_reply_to":1,"msg_id":"x","extra":true}}}}\n'
exec {sed} -e '{SED_ECHO}' -e 's/$/ trailing\r/' -e '20a\
debug: all done'
"#,
        sed = sed()
    );
    std::fs::write(&path, script).expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut c = config(&[]);
    c.bin = path;
    c.concurrency = 1;
    c.requests = Some(20);
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert_eq!(report.counts.ok, 20, "{summary}");
}

#[test]
fn a_malformed_utf8_byte_is_read_as_u_fffd_and_makes_a_wrong_echo() {
    // Every reply's echo has a byte that is no UTF-8: Maelstrom's decoder reads U+FFFD
    // there, so the line is a message (no reading stops), with a wrong echo.
    let mut c = config(&[]);
    c.bin = sh_node(
        "bad-utf8",
        &format!(
            "bad=$(printf '\\377')\nexec {} -e '{SED_ECHO}' -e \"s/Please/Pl${{bad}}ase/\"",
            sed()
        ),
    );
    c.concurrency = 1;
    c.requests = Some(5);
    let report = run(&c);
    let summary = report.summary();
    assert_eq!(report.counts.wrong, 5, "{summary}");
    assert_eq!(report.faults.count(Kind::Unreadable), 0, "{summary}");
    assert!(summary.contains('\u{fffd}'), "{summary}");
}

#[test]
fn messages_between_nodes_have_no_deadline() {
    // n0 sends n1 2 MB of gossip (far more than a pipe holds), then answers echoes; n1
    // reads nothing for 1.5 s, three timeouts long. Only node-to-node bytes wait for it,
    // and those have no deadline in Maelstrom: the run is valid.
    let dir = std::env::temp_dir().join(format!("echo-load-verdict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("slow-gossip");
    let pad = "x".repeat(80);
    let script = format!(
        r#"#!/bin/sh
read -r line
case "$line" in *'"node_id":"n0"'*) me=0 ;; *) me=1 ;; esac
printf '{{"src":"n%s","dest":"c%s","body":{{"type":"init_ok","in_reply_to":1}}}}\n' "$me" "$me"
if [ "$me" = 1 ]; then sleep 1.5; exec cat > /dev/null; fi
yes '{{"src":"n0","dest":"n1","body":{{"type":"gossip","pad":"{pad}"}}}}' | head -20000
exec {} -e '{SED_ECHO}'
"#,
        sed()
    );
    std::fs::write(&path, script).expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut c = config(&[]);
    c.bin = path;
    c.node_count = 2;
    c.concurrency = 1; // to n0 alone
    c.timeout = Duration::from_secs(2);
    c.time_limit = Duration::from_secs(2);
    let report = run(&c);
    let summary = report.summary();
    assert!(report.valid(), "{summary}");
    assert!(report.counts.forwarded >= 20_000, "{summary}");
}
