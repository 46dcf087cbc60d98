//! Sessions of several runs: a comparison of nodes (`--bin` more than once) and a capacity
//! search (`--capacity`), against the `demo_node` example made slower on purpose: a fixed
//! CPU cost a request (`--cost-us`), or at most R requests a second (`--max-rate`).

#![forbid(unsafe_code)]

mod support;

use std::time::Duration;

use echo_load::{Config, Verdict};
use support::demo_node;

fn config(args: &[&str]) -> Config {
    Config {
        bin: demo_node(),
        node_args: args.iter().map(|a| a.to_string()).collect(),
        time_limit: Duration::from_millis(500),
        timeout: Duration::from_millis(2000),
        concurrency: 1,
        // One node, n0 (as --node-count 1 names it), closed loop (--rate max).
        node_count: 1,
        first_node: 0,
        rate: None,
        ..Config::default()
    }
}

#[test]
fn a_node_slowed_on_purpose_compares_slower_by_the_ratio_its_cost_implies() {
    const COST_US: f64 = 500.0;
    let one_second = |args| Config {
        time_limit: echo_load::compare::ROUND_MIN,
        ..config(args)
    };
    let configs = [one_second(&[]), one_second(&["--cost-us", "500"])];
    let comparison = echo_load::compare(&configs, 3, false).expect("runs");
    let [fast, slow] = &comparison.nodes[..] else {
        panic!("two nodes")
    };
    assert!(fast.valid() && slow.valid(), "{}", comparison.summary());
    assert_eq!((fast.rounds.len(), slow.rounds.len()), (3, 3));
    // One client, closed loop: a request takes the fast node's time, plus at least the
    // cost (a busy wait by the clock, which a busy machine only lengthens). So the slow
    // node's throughput is at most the implied share of the fast one's, with room for
    // the rounds' noise; how far below it falls is the machine's, not the driver's.
    let base = fast.throughput().expect("valid").median;
    let implied = 1.0 / (1.0 + COST_US * 1e-6 * base);
    let ratio = slow.ratio(fast, |r| r.throughput).expect("both valid");
    assert!(
        ratio.median < 1.0 && ratio.median < 1.5 * implied,
        "ratio {ratio:?}, implied {implied}: {}",
        comparison.summary()
    );
    let summary = comparison.summary();
    assert!(
        summary.contains("demo_node --cost-us 500: 0.") && summary.contains("times demo_node's"),
        "{summary}"
    );
    let json = comparison.results_json();
    let entries = json["compare"].as_array().expect("compare");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["bin"], configs[0].bin.display().to_string());
    assert_eq!(
        entries[1]["node_args"],
        serde_json::json!(["--cost-us", "500"])
    );
    for entry in entries {
        assert_eq!(entry["valid"], true);
        assert_eq!(entry["rounds"], 3);
        assert!(entry["throughput_median"].as_f64().is_some_and(|t| t > 0.0));
        assert!(entry["throughput_spread"].as_f64().is_some());
        assert!(entry["p99_ms_median"].as_f64().is_some());
    }
}

#[test]
fn an_invalid_node_is_reported_invalid_and_never_as_a_speed() {
    let silent = Config {
        timeout: Duration::from_millis(300),
        time_limit: echo_load::compare::ROUND_MIN,
        ..config(&["--silent-after", "5"])
    };
    let valid = Config {
        time_limit: echo_load::compare::ROUND_MIN,
        ..config(&[])
    };
    let comparison = echo_load::compare(&[valid, silent], 2, false).expect("runs");
    let summary = comparison.summary();
    assert_eq!(comparison.outcome(), Verdict::Invalid, "{summary}");
    let silent = &comparison.nodes[1];
    assert!(!silent.valid() && silent.throughput().is_none());
    // It runs no more after its invalid round; the valid node runs every round.
    assert_eq!(
        (comparison.nodes[0].rounds.len(), silent.rounds.len()),
        (2, 1)
    );
    assert!(
        summary.contains("round 1 was invalid: no speed is given")
            && summary.contains("--silent-after 5: no ratio, it is not valid")
            && summary.contains("timed out"),
        "{summary}"
    );
    let json = comparison.results_json();
    assert_eq!(json["compare"][1]["valid"], false);
    assert!(json["compare"][1]["throughput_median"].is_null());
}

#[test]
fn an_open_loop_comparison_sets_latencies_side_by_side() {
    let open = |args: &[&str]| Config {
        rate: Some(200.0),
        concurrency: 4,
        ..config(args)
    };
    let comparison =
        echo_load::compare(&[open(&[]), open(&["--cost-us", "3000"])], 2, false).expect("runs");
    let summary = comparison.summary();
    let [fast, slow] = &comparison.nodes[..] else {
        panic!("two nodes")
    };
    // Each request costs the slow node at least 3 ms of the clock, however busy the
    // machine is: its p50, measured from each request's due time, cannot be less.
    let p50 = slow.p50_ms().expect("valid");
    assert!(p50.min >= 3.0, "{summary}");
    assert!(slow.ratio(fast, |r| r.p50_ms).is_some(), "{summary}");
    assert!(
        summary.contains("p50 ") && summary.contains(" times, p99 "),
        "{summary}"
    );
}

#[test]
fn a_paced_nodes_capacity_reproduces_and_is_never_above_its_pace() {
    // A node that answers at most 200 requests a second, 20 clients, 0.5 s steps of 3
    // runs each. A bound on p99 that a busy machine's scheduling cannot break: a step
    // fails above the node's pace once its backlog outgrows the clients and requests go
    // unsent, which no load can undo. So the capacity is never far above the pace, and
    // two searches in a row find it within 15% of each other (the figure itself, against
    // echo-node, lives in PERFORMANCE.md).
    const RATE: f64 = 200.0;
    let limited = Config {
        concurrency: 20,
        ..config(&["--max-rate", "200"])
    };
    let search = || echo_load::capacity(&limited, 100.0, 1000.0, 3, false).expect("runs");
    let (first, second) = (search(), search());
    let summary = format!("{}{}", first.summary(), second.summary());
    let (a, b) = (
        first.rate().expect("a capacity"),
        second.rate().expect("a capacity"),
    );
    assert!(a <= 1.5 * RATE && b <= 1.5 * RATE, "{summary}");
    assert!(a.max(b) / a.min(b) <= 1.15, "{a} and {b}: {summary}");
    for step in first.steps.iter().filter(|s| s.passed()) {
        assert_eq!((step.runs, step.passed_runs), (3, 3), "{summary}");
        assert!(step.offered <= 1.5 * RATE, "{summary}");
    }
    assert!(first.steps.iter().any(|s| !s.passed()), "{summary}");
    assert!(
        summary.contains("capacity: ") && summary.contains(", passed in 3 of 3 runs (p50 "),
        "{summary}"
    );
    let json = first.results_json();
    assert_eq!(json["capacity"]["rate"], a);
    assert_eq!(json["repeats"], 3);
    assert_eq!(
        json["capacity"]["steps"].as_array().map(Vec::len),
        Some(first.steps.len())
    );
}

#[test]
fn a_node_that_slows_every_round_is_said_to_drift() {
    // Each round starts the node anew, and each costs it four times more a request: 0,
    // 20, 80 and 320 ms (a busy wait by the clock, which a busy machine only lengthens),
    // so each round's throughput is below the one before whatever the machine does: its
    // delays would have to grow fourfold from one round to the next to hide it. The
    // summary names the trend instead of passing it off as a spread.
    let dir = std::env::temp_dir().join(format!("echo-load-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (count, script) = (dir.join("rounds"), dir.join("slower-each-round"));
    let _ = std::fs::remove_file(&count);
    let text = format!(
        "#!/bin/sh\nn=$(cat '{c}' 2>/dev/null || echo 0)\necho $((n + 1)) > '{c}'\n\
         case $n in 0) cost=0;; 1) cost=20000;; 2) cost=80000;; *) cost=320000;; esac\n\
         exec '{}' --cost-us $cost\n",
        demo_node().display(),
        c = count.display()
    );
    std::fs::write(&script, text).expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let slower = Config {
        bin: script,
        node_args: Vec::new(),
        time_limit: echo_load::compare::ROUND_MIN,
        ..config(&[])
    };
    let comparison = echo_load::compare(&[slower], 4, false).expect("runs");
    let _ = std::fs::remove_dir_all(&dir);
    let summary = comparison.summary();
    assert!(comparison.nodes[0].valid(), "{summary}");
    assert!(
        summary.contains("its throughput fell round after round")
            && summary.contains("a trend, not noise"),
        "{summary}"
    );
    let json = comparison.results_json();
    assert_eq!(json["compare"][0]["drift"]["way"], "falling", "{json}");
}

#[test]
fn a_session_that_cannot_run_says_why_before_any_run() {
    let missing = Config {
        bin: "/no/such/node".into(),
        ..config(&[])
    };
    for error in [
        echo_load::compare(&[config(&[]), missing.clone()], 2, false).err(),
        echo_load::compare(&[config(&[])], 0, false).err(),
        echo_load::capacity(&config(&[]), f64::NAN, 10.0, 1, false).err(),
        echo_load::capacity(&config(&[]), 100.0, 0.0, 1, false).err(),
        echo_load::capacity(&config(&[]), 100.0, 10.0, 0, false).err(),
        echo_load::capacity(&missing, 100.0, 10.0, 1, false).err(),
        // Options that make a session meaningless.
        echo_load::capacity(
            &Config {
                requests: Some(10),
                ..config(&[])
            },
            100.0,
            10.0,
            1,
            false,
        )
        .err(),
        echo_load::compare(&[config(&[]), config(&[])], 2, false).err(),
    ] {
        assert!(
            matches!(error, Some(echo_load::Error::Config(_))),
            "{error:?}"
        );
    }
}
