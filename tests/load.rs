//! echo-load (the project's load driver) against echo-node, and against echo-node made
//! faulty: each run must get Maelstrom's verdict, for the right reason, in bounded time.
//! The driver is the one `echo-load` ships (`echo_load::run`); nothing here drives a node
//! on its own. Nodes written otherwise (as Maelstrom's demos are) are judged in
//! echo-load/tests/verdict.rs.
//!
//! The faulty nodes are echo-node behind a small `sh` script and a POSIX `sed` filter
//! that breaks one thing, run line at a time (GNU sed's `-u`, or `-l` elsewhere).
//! See the throughput with `cargo test --release --test load -- --nocapture`.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use echo_load::Kind;
use echo_load::PayloadKind;
use echo_load::Report;
use echo_load::{Config, Verdict};

const NODE: &str = env!("CARGO_BIN_EXE_echo-node");

fn config(bin: &Path, args: &[&str]) -> Config {
    Config {
        bin: bin.to_path_buf(),
        node_args: args.iter().map(|a| a.to_string()).collect(),
        concurrency: 10,
        time_limit: Duration::from_millis(1000),
        timeout: Duration::from_millis(1000),
        // One node, n0 (as --node-count 1 names it), closed loop (--rate max).
        node_count: 1,
        first_node: 0,
        rate: None,
        ..Config::default()
    }
}

/// Runs echo-load in bounded time, and prints its summary.
fn run(config: &Config) -> Report {
    let report = echo_test_support::run(config);
    println!("{}", report.summary());
    report
}

#[test]
fn echo_node_is_valid_in_both_modes_with_one_node_and_several_with_and_without_rate() {
    for flush in ["message", "batch"] {
        for nodes in [1, 3] {
            for rate in [None, Some(3000.0)] {
                let mut c = config(Path::new(NODE), &["--flush", flush]);
                c.node_count = nodes;
                c.concurrency = 4 * nodes;
                c.rate = rate;
                c.payload = if nodes == 1 {
                    PayloadKind::Mixed
                } else {
                    PayloadKind::Maelstrom
                };
                let report = run(&c);
                let what = format!("[{flush}, {nodes} nodes, rate {rate:?}]");
                assert!(report.valid(), "{what} {}", report.summary());
                let c = report.counts;
                assert_eq!((c.failed, c.timeouts, c.skipped), (0, 0, 0), "{what}");
                match rate {
                    Some(rate) => {
                        let expected = rate * report.seconds;
                        assert!(
                            (c.ok as f64 - expected).abs() <= 0.05 * expected + 10.0,
                            "{what} open loop sends at the rate: {} of {expected}",
                            c.ok
                        );
                        // On a busy machine a few may find every client still busy.
                        assert!(
                            report.never_sent() <= report.due / 100 + 5,
                            "{what} {}",
                            report.summary()
                        );
                    }
                    None => assert!(c.ok > 1000, "{what} {}", c.ok),
                }
            }
        }
    }
}

#[test]
fn results_json_plots_and_node_logs_are_written() {
    let dir = std::env::temp_dir().join(format!("echo-load-test-{}", std::process::id()));
    let mut c = config(Path::new(NODE), &["--stats"]);
    c.node_count = 2;
    c.out = Some(dir.clone());
    let report = run(&c);
    assert!(report.valid());
    echo_load::write(&dir, &report).expect("results.json and the plots");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).expect("results.json"))
            .expect("JSON");
    assert_eq!(results["valid"], true);
    assert_eq!(results["ok"], report.counts.ok);
    assert_eq!(results["verdict"], "maelstrom");
    for key in ["failed", "timeouts", "throughput", "seconds"] {
        assert!(results[key].is_number(), "{key}");
    }
    for key in ["min", "mean", "p50", "p90", "p99", "p999", "p9999", "max"] {
        assert!(results["latency_ms"][key].is_number(), "latency_ms.{key}");
    }
    for key in ["due", "sent", "never_sent"] {
        assert!(results["requests"][key].is_number(), "requests.{key}");
    }
    assert_eq!(results["skipped"]["total"], 0);
    assert_eq!(results["settings"]["nodes"], 2);
    assert_eq!(results["settings"]["timeout_ms"], 1000);
    for plot in ["latency.svg", "throughput.svg"] {
        let svg = std::fs::read_to_string(dir.join(plot)).expect(plot);
        let drawn = if plot == "latency.svg" {
            "<circle"
        } else {
            "<polyline"
        };
        assert!(svg.starts_with("<svg") && svg.contains(drawn), "{plot}");
        assert!(svg.contains("time since the load started"), "{plot}");
        assert!(svg.contains("answered"), "{plot} has a legend");
    }
    for node in ["n0", "n1"] {
        let log = std::fs::read_to_string(dir.join(format!("{node}.log"))).expect("node log");
        assert!(
            log.contains("requests/s"),
            "{node}'s --stats line is in its log: {log}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// sed's switch for line-at-a-time output: GNU's `-u`, or the BSDs' and macOS's `-l`.
fn sed() -> &'static str {
    let gnu = std::process::Command::new("sed")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if gnu { "sed -u" } else { "sed -l" }
}

/// A faulty node: a shell script around echo-node (`NODE` in it; `SED` is sed, line at a
/// time) that breaks one thing. Written into a temporary directory.
fn faulty(name: &str, script: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("echo-load-faulty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n{}\n",
            script.replace("NODE", NODE).replace("SED", sed())
        ),
    )
    .expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Runs `script` as the node; the run must be invalid, saying `reason`.
fn invalid(name: &str, script: &str, adjust: impl FnOnce(&mut Config), reason: &str) -> Report {
    let bin = faulty(name, script);
    let mut c = config(&bin, &[]);
    adjust(&mut c);
    let report = run(&c);
    let summary = report.summary();
    assert!(!report.valid(), "{name}: {summary}");
    assert!(
        summary.contains(reason),
        "{name}: expected {reason:?} in:\n{summary}"
    );
    report
}

#[test]
fn a_wrong_echo_fails_the_run() {
    invalid(
        "wrong-echo",
        r#"NODE "$@" | SED '20s/Please echo/Please echx/'"#,
        |_| {},
        "n0 stdout line 20: echo differs from what c",
    );
}

#[test]
fn an_integer_turned_float_fails_the_run() {
    invalid(
        "float",
        r#"NODE "$@" | SED 's/"echo":0,/"echo":0.0,/'"#,
        |c| c.payload = PayloadKind::Mixed,
        "sent 0, got 0.0",
    );
}

#[test]
fn a_wrong_in_reply_to_is_skipped_and_its_request_times_out_saying_why() {
    let report = invalid(
        "wrong-in-reply-to",
        r#"NODE "$@" | SED '30s/"in_reply_to":\([0-9]*\)/"in_reply_to":9\1/'"#,
        // The configuration's 1 s timeout: no right reply, on a busy machine, misses it;
        // the counts below are exact.
        |_| {},
        "which it has no request for, n0 stdout line 30)",
    );
    assert_eq!((report.counts.timeouts, report.counts.skipped), (1, 1));
}

#[test]
fn an_extra_key_fails_the_run() {
    invalid(
        "extra-key",
        r#"NODE "$@" | SED '30s/"type":"echo_ok"/"type":"echo_ok","extra":1/'"#,
        |_| {},
        r#"n0 stdout line 30: reply to c"#,
    );
    invalid(
        "extra-key-2",
        r#"NODE "$@" | SED '30s/"type":"echo_ok"/"type":"echo_ok","extra":1/'"#,
        |_| {},
        r#"is malformed: unexpected key "extra" in an echo_ok body (Maelstrom allows type, echo, in_reply_to, msg_id)"#,
    );
}

#[test]
fn an_error_reply_fails_the_run() {
    let report = invalid(
        "error-reply",
        r#"NODE "$@" | SED '30s/"type":"echo_ok","echo":.*,"in_reply_to"/"type":"error","code":13,"text":"boom","in_reply_to"/'"#,
        |_| {},
        r#"answered with error 13: "boom""#,
    );
    assert_eq!(report.counts.failed, 1);
}

#[test]
fn a_dropped_reply_is_a_timeout_and_fails_the_run() {
    let report = invalid(
        "dropped",
        r#"NODE "$@" | SED '30d'"#,
        |_| {}, // the 1 s timeout: the one timeout is the dropped reply's
        "timed out (1):",
    );
    assert_eq!(report.counts.timeouts, 1);
}

#[test]
fn a_garbage_stdout_line_stops_maelstrom_reading_the_node_and_its_requests_time_out() {
    let report = invalid(
        "garbage",
        "NODE \"$@\" | SED '25a\\\nhello from the node'",
        |c| c.time_limit = Duration::from_secs(3),
        "where Maelstrom stops reading a node's stdout:\n  not a Maelstrom message (1):\n    n0 stdout line 26: not a Maelstrom message: expected '{' at byte 1: hello from the node",
    );
    let summary = report.summary();
    assert!(report.counts.timeouts > 0, "{summary}");
    assert!(summary.contains("  lost after it: n0 "), "{summary}");
}

#[test]
fn a_message_to_no_such_node_stops_maelstrom_reading_the_node() {
    invalid(
        "undeliverable",
        r#"NODE "$@" | SED '25s/"dest":"c[0-9]*"/"dest":"n7"/'"#,
        |c| c.time_limit = Duration::from_secs(3),
        r#"n0 stdout line 25: dest "n7" is no node or client in the network"#,
    );
}

#[test]
fn a_crash_is_where_maelstrom_would_stop_the_test_saying_how_the_node_ended() {
    let report = invalid(
        "crash",
        r#"echo "about to crash" >&2; NODE "$@" | SED 40q; kill -s ABRT $$"#,
        |c| c.time_limit = Duration::from_secs(20),
        "Maelstrom would stop this test:\n  node not alive at the end (1):\n    n0 killed by signal 6 at ",
    );
    let summary = report.summary();
    assert!(
        summary.contains("before the run ended; its last stderr:\n      about to crash"),
        "{summary}"
    );
    assert_eq!(report.outcome(), Verdict::Aborted);
    assert!(summary.ends_with("valid? unknown: Maelstrom would stop this test\n"));
}

#[test]
fn a_node_that_dies_mid_line_is_where_maelstrom_would_stop_the_test() {
    let report = invalid(
        "mid-line",
        r#"NODE "$@" | SED 40q; printf '{"src":"n0"'; exit 3"#,
        |c| c.time_limit = Duration::from_secs(20),
        "n0: its stdout closed in the middle of a line (11 bytes) at ",
    );
    assert!(
        report.summary().contains("n0 exited with status 3 at "),
        "{}",
        report.summary()
    );
    assert_eq!(report.outcome(), Verdict::Aborted);
}

#[test]
fn a_hung_node_fails_the_run_in_bounded_time_as_silent() {
    let report = invalid(
        "hang",
        r#"NODE "$@" | SED 40q; exec sleep 60"#,
        |c| c.timeout = Duration::from_millis(500),
        // Its 10 requests were sent together; those that timed out before it had been
        // silent for the timeout are no longer outstanding when it is named.
        "n0 answered nothing for 0.5 s; ",
    );
    assert!(report.counts.timeouts >= 10, "{}", report.summary());
    assert!(
        report.summary().contains(" outstanding, oldest c"),
        "{}",
        report.summary()
    );
    // Maelstrom kills its nodes at the end of a run: lingering is only --strict's fault.
    assert_eq!(report.faults.count(Kind::Lingered), 0);
}

#[test]
fn a_node_that_never_answers_init_fails_the_run() {
    let bin = faulty("no-init", "exec sleep 60");
    let mut c = config(&bin, &[]);
    c.node_count = 2;
    let started = Instant::now();
    let report = echo_load::run(&c).expect("starts");
    // Init's 10 s, then the end: bounded, with room for a busy machine.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        report
            .summary()
            .contains("n0, n1 did not answer init with init_ok within 10 s"),
        "{}",
        report.summary()
    );
}
