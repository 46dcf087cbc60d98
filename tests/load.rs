//! echo-load (the project's load driver) against echo-node, and against deliberately
//! faulty nodes: each run must get the right verdict, for the right reason, in bounded
//! time. The driver is the one `echo-load` ships (`echo_load::run`); nothing here drives
//! a node on its own.
//!
//! The faulty nodes are echo-node behind a small `sh` and GNU `sed -u` filter (which reads
//! line by line; awk would wait for a full input block) that breaks one thing.
//! See the throughput with `cargo test --release --test load -- --nocapture`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use echo_load::Config;
use echo_load::report::Report;
use echo_load::send::PayloadKind;

const NODE: &str = env!("CARGO_BIN_EXE_echo-node");

fn config(bin: &Path, args: &[&str]) -> Config {
    Config {
        bin: bin.to_path_buf(),
        node_args: args.iter().map(|a| a.to_string()).collect(),
        concurrency: 10,
        time_limit: Duration::from_millis(1000),
        timeout: Duration::from_millis(1000),
        ..Config::default()
    }
}

/// Runs echo-load; checks the run ended within time-limit + timeout + a few seconds.
fn run(config: &Config) -> Report {
    let started = Instant::now();
    let report = echo_load::run(config).expect("the run starts");
    let bound = config.time_limit + config.timeout + Duration::from_secs(4);
    assert!(
        started.elapsed() < bound,
        "run took {:?}",
        started.elapsed()
    );
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
                assert_eq!((report.failed, report.timeouts), (0, 0), "{what}");
                match rate {
                    Some(rate) => {
                        let expected = rate * report.seconds;
                        assert!(
                            (report.ok as f64 - expected).abs() <= 0.05 * expected + 10.0,
                            "{what} open loop sends at the rate: {} of {expected}",
                            report.ok
                        );
                    }
                    None => assert!(report.ok > 1000, "{what} {}", report.ok),
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
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).expect("results.json"))
            .expect("JSON");
    assert_eq!(results["valid"], true);
    assert_eq!(results["ok"], report.ok);
    for key in ["failed", "timeouts", "throughput"] {
        assert!(results[key].is_number(), "{key}");
    }
    for key in ["p50", "p90", "p99", "p999", "max"] {
        assert!(results["latency_ms"][key].is_number(), "latency_ms.{key}");
    }
    for plot in ["latency.svg", "throughput.svg"] {
        let svg = std::fs::read_to_string(dir.join(plot)).expect(plot);
        let drawn = if plot == "latency.svg" {
            "<circle"
        } else {
            "<polyline"
        };
        assert!(svg.starts_with("<svg") && svg.contains(drawn), "{plot}");
    }
    for node in ["n1", "n2"] {
        let log = std::fs::read_to_string(dir.join(format!("{node}.log"))).expect("node log");
        assert!(
            log.contains("requests/s"),
            "{node}'s --stats line is in its log: {log}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A faulty node: a shell script around echo-node (`NODE` in it) that breaks one
/// thing. Written into a temporary directory.
fn faulty(name: &str, script: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("echo-load-faulty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/bin/sh\n{}\n", script.replace("NODE", NODE)),
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
    assert!(!report.valid(), "{name}: {}", report.summary());
    let failure = report.failure.clone().unwrap_or_default();
    let said = format!("{failure} {}", report.summary());
    assert!(
        said.contains(reason),
        "{name}: expected {reason:?} in:\n{said}"
    );
    report
}

#[test]
fn a_wrong_echo_fails_the_run() {
    invalid(
        "wrong-echo",
        r#"NODE "$@" | sed -u '20s/Please echo/Please echx/'"#,
        |_| {},
        "n1 stdout line 20: echo differs from what c",
    );
}

#[test]
fn an_integer_turned_float_fails_the_run() {
    invalid(
        "float",
        r#"NODE "$@" | sed -u '0,/"echo":0,/s//"echo":0.0,/'"#,
        |c| c.payload = PayloadKind::Mixed,
        "echo differs",
    );
}

#[test]
fn a_dropped_reply_is_a_timeout_and_fails_the_run() {
    let report = invalid(
        "dropped",
        r#"NODE "$@" | sed -u '30d'"#,
        |c| c.timeout = Duration::from_millis(300),
        "timed out 1",
    );
    assert_eq!(report.timeouts, 1);
}

#[test]
fn a_garbage_stdout_line_fails_the_run_at_once() {
    invalid(
        "garbage",
        r#"NODE "$@" | sed -u '25a hello from the node'"#,
        |c| c.time_limit = Duration::from_secs(20),
        "n1 stdout line 26: expected '{' at byte 1: hello from the node",
    );
}

#[test]
fn a_crash_fails_the_run_saying_how_the_node_ended() {
    invalid(
        "crash",
        r#"echo "about to crash" >&2; NODE "$@" | sed -u 40q; kill -s ABRT $$"#,
        |c| c.time_limit = Duration::from_secs(20),
        "n1: its stdout closed; killed by signal 6; its last stderr:\nabout to crash",
    );
}

#[test]
fn a_node_that_dies_mid_line_fails_the_run_saying_so() {
    invalid(
        "mid-line",
        r#"NODE "$@" | sed -u 40q; printf '{"src":"n1"'; exit 3"#,
        |c| c.time_limit = Duration::from_secs(20),
        "n1: its stdout closed in the middle of a line (11 bytes); exited with status 3",
    );
}

#[test]
fn a_hung_node_fails_the_run_in_bounded_time() {
    let report = invalid(
        "hang",
        r#"NODE "$@" | sed -u 40q; exec sleep 60"#,
        |c| c.timeout = Duration::from_millis(500),
        "did not exit within 2 s of its stdin closing; killed",
    );
    assert!(report.timeouts > 0, "its clients timed out");
}

#[test]
fn a_node_that_never_answers_init_fails_the_run() {
    let bin = faulty("no-init", "exec sleep 60");
    let mut c = config(&bin, &[]);
    c.node_count = 2;
    let started = Instant::now();
    let report = echo_load::run(&c).expect("starts");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(
        report.failure.as_deref(),
        Some("n1, n2 did not answer init with init_ok within 10 s")
    );
}

#[test]
fn a_one_second_stall_under_rate_shows_in_the_percentiles() {
    let bin = faulty("stall", r#"NODE "$@" | sed -u '500e sleep 1'"#);
    let mut c = config(&bin, &[]);
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
