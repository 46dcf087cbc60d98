//! The command line's unit tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use echo_load::Config;
use proptest::prelude::*;

use super::flags::{Does, FLAGS};
use super::given::{Command, find_program, parse_concurrency};
use super::parse::{parse, split_at_separator};
use super::usage::usage;

/// The command `words` ask for.
fn parse_args(words: Vec<OsString>) -> Result<Command, String> {
    parse(words).map(|(command, _)| command)
}

fn args(words: &[&str]) -> Vec<OsString> {
    words.iter().map(OsString::from).collect()
}

#[test]
fn the_help_states_the_ranges_the_code_checks() {
    for range in [
        format!(
            "{} to {}",
            echo_load::NODE_COUNT.start(),
            echo_load::NODE_COUNT.end()
        ),
        format!("1 to {}", echo_load::CONCURRENCY.end()),
        format!("{} to", echo_load::RATE.start()),
        echo_load::TIME_LIMIT_TEXT
            .trim_end_matches(" seconds")
            .to_owned(),
        format!("1 to {}", echo_load::TIMEOUT.end().as_millis()),
        format!("0 to {}", echo_load::MAX_STRING_PAYLOAD),
    ] {
        assert!(usage().contains(&range), "--help says {range}");
    }
}

fn run_of(words: &[&str]) -> Config {
    match parse_args(args(words)) {
        Ok(Command::Run(config)) => config,
        Ok(_) => panic!("{words:?}: not a run"),
        Err(e) => panic!("{words:?}: {e}"),
    }
}

#[test]
fn with_no_options_the_run_is_maelstroms() {
    // `maelstrom test -w echo --bin BIN`: Jepsen's nodes n1..n5, one client a node,
    // 5 requests a second, 60 s, 5 s timeouts.
    for words in [
        &["--bin", "/bin/sh"][..],
        &["test", "-w", "echo", "--bin", "/bin/sh"],
        &["test", "--workload=echo", "--bin", "/bin/sh"],
    ] {
        let c = run_of(words);
        assert_eq!((c.node_count, c.first_node, c.concurrency), (5, 1, 5));
        assert_eq!(c.rate, Some(5.0));
        assert_eq!(c.time_limit, Duration::from_secs(60));
        assert_eq!(c.timeout, Duration::from_millis(5000));
    }
    // The help says the same.
    for default in [
        "[default: Jepsen's five nodes, n1..n5]",
        "[default: 1n]",
        "[default: 5, Maelstrom's]",
        "[default: 60, Jepsen's]",
        "[default: 5000, Maelstrom's]",
    ] {
        assert!(usage().contains(default), "{default}");
    }
}

#[test]
fn a_maelstrom_command_line_runs_as_maelstrom_would_run_it() {
    let c = run_of(&[
        "test",
        "-w",
        "echo",
        "--bin",
        "/bin/sh",
        "--node-count",
        "3",
        "--time-limit",
        "20",
        "--rate",
        "100",
        "--concurrency",
        "2n",
        "--log-net-send",
        "--availability",
        "total",
        "--test-count",
        "1",
        "word",
        "--",
        "after",
    ]);
    assert_eq!((c.node_count, c.first_node, c.concurrency), (3, 0, 6));
    assert_eq!(
        (c.rate, c.time_limit),
        (Some(100.0), Duration::from_secs(20))
    );
    // Maelstrom's `test` passes its other words to the node (core.clj, `add-args`).
    assert_eq!(c.node_args, ["word", "after"]);
    // The tutorial's --nodes n1, and Jepsen's --node, name the nodes.
    let c = run_of(&["test", "-w", "echo", "--bin", "/bin/sh", "--nodes", "n1"]);
    assert_eq!((c.node_count, c.first_node, c.concurrency), (1, 1, 1));
    let c = run_of(&["--bin", "/bin/sh", "-n", "n2", "--node", "n3"]);
    assert_eq!((c.node_count, c.first_node), (2, 2));
    // --node-count overrides them.
    let c = run_of(&["--bin", "/bin/sh", "--nodes", "n1,n2", "--node-count", "4"]);
    assert_eq!((c.node_count, c.first_node), (4, 0));
    // `--rate max` is the closed loop; `--rate 0` a run with no requests.
    assert_eq!(run_of(&["--bin", "/bin/sh", "--rate", "max"]).rate, None);
    assert_eq!(run_of(&["--bin", "/bin/sh", "--rate", "0"]).rate, Some(0.0));
}

#[test]
fn maelstroms_options_that_do_not_apply_are_named_never_unknown() {
    let maelstroms = FLAGS
        .iter()
        .filter(|f| matches!(f.does, Does::NoEffect(..) | Does::Refused(_)));
    for flag in maelstroms {
        let mut words = vec!["--bin", "/bin/sh"];
        let option = format!("--{}", flag.long);
        words.push(&option);
        if flag.value.is_some() {
            words.push("x");
        }
        match parse(args(&words)) {
            Ok((_, notes)) => assert!(
                notes.len() == 1 && notes[0].contains(&option) && notes[0].contains("no effect"),
                "{option}: {notes:?}"
            ),
            Err(e) => assert!(e.starts_with(&format!("{option}: ")), "{option}: {e}"),
        }
        assert!(usage().contains(&option), "--help names {option}");
    }
    // Without `test`, a stray word is still a mistake; Maelstrom's other commands
    // are named as such.
    let e = parse_args(args(&["demo"])).err().unwrap_or_default();
    assert!(e.contains("'demo' is a command of Maelstrom's"), "{e}");
    // `serve` is echo-load's too: the store over HTTP, on 127.0.0.1 unless told.
    match parse_args(args(&["serve", "--port", "0", "--store", "s"])) {
        Ok(Command::Serve(store, addr)) => {
            assert_eq!(store, PathBuf::from("s"));
            assert_eq!(addr.to_string(), "127.0.0.1:0");
        }
        _ => panic!("serve parses"),
    }
    assert!(parse_args(args(&["serve", "--bin", "x"])).is_err());
    // `doctor` takes the node by --bin or as its one word, and the node's arguments
    // after `--`.
    for words in [
        &["doctor", "--bin", "./n", "--", "-x"][..],
        &["doctor", "./n", "--", "-x"],
    ] {
        match parse_args(args(words)) {
            Ok(Command::Doctor(bin, node_args)) => {
                assert_eq!(
                    (bin.to_str(), node_args),
                    (Some("./n"), vec!["-x".to_owned()])
                );
            }
            _ => panic!("doctor parses: {words:?}"),
        }
    }
    let e = parse_args(args(&["test", "--bin", "/bin/sh"]))
        .err()
        .unwrap_or_default();
    assert!(e.contains("runs lin-kv when -w names no workload"), "{e}");
}

#[test]
fn a_history_that_could_pass_a_gib_asks_for_history_large() {
    let words = [
        "--bin",
        "/bin/sh",
        "--history",
        "--out",
        "/tmp/x",
        "--rate",
        "max",
        "--time-limit",
        "10",
    ];
    let e = parse_args(args(&words)).err().unwrap_or_default();
    assert!(
        e.contains("--history: this run's would be about 3.0 GiB (15,000,000 requests")
            && e.contains("give --history-large"),
        "{e}"
    );
    let mut larger = words.to_vec();
    larger.push("--history-large");
    assert!(run_of(&larger).history_large);
    // Bounded by --requests, or a rate, it is small.
    let mut bounded = words.to_vec();
    bounded.extend(["--requests", "1000000"]);
    assert!(!run_of(&bounded).history_large);
    assert!(parse_args(args(&["--bin", "/bin/sh", "--history", "--out", "/tmp/x"])).is_ok());
}

#[test]
fn concurrency_takes_jepsens_notation() {
    assert_eq!(parse_concurrency("1n", 5), Some(5));
    assert_eq!(parse_concurrency("3n", 2), Some(6));
    assert_eq!(parse_concurrency("50", 5), Some(50));
    assert_eq!(parse_concurrency("0", 5), Some(0));
    assert_eq!(parse_concurrency("xn", 5), None);
    assert_eq!(parse_concurrency("99999999999999999999n", 5), None);
}

#[test]
fn the_node_arguments_start_after_the_first_separator_that_is_no_value() {
    let (own, node) = split_at_separator(args(&["--out", "--", "--bin", "x", "--", "-a", "--"]));
    assert_eq!(own, args(&["--out", "--", "--bin", "x"]));
    assert_eq!(node, args(&["-a", "--"]));
}

#[test]
fn words_a_user_can_type_are_usage_errors_that_name_the_option() {
    for (words, says) in [
        (
            &["--time-limit", "1e19"][..],
            "--time-limit: 1e19 is out of range: 0.001 to 1000000 seconds",
        ),
        (&["--time-limit", "-1"], "--time-limit: -1 is out of range"),
        (
            &["--node-count", "9223372036854775808"],
            "--node-count: 9223372036854775808 is out of range: 1 to 100000",
        ),
        (
            &["--node-count", "200000"],
            "--node-count: 200000 is out of range: 1 to 100000",
        ),
        (
            &["--rate", "1e-300"],
            "--rate: 1e-300 is out of range: 0 (no requests), or 0.001 to 100000000 requests a second",
        ),
        (&["--rate", "fast"], "--rate: 'fast' is neither a number"),
        (
            &["-w", "lin-kv"],
            "echo-load runs Maelstrom's echo workload only",
        ),
        (
            &["--workload", "echoes"],
            "no workload of Maelstrom's is called so",
        ),
        (
            &["--nemesis", "partition"],
            "--nemesis: echo-load injects no faults",
        ),
        (&["--test-count", "3"], "give --rounds 3"),
        (
            &["--nodes", "n1,n3"],
            "--nodes: 'n3': echo-load names nodes",
        ),
        (&["--nodes", "a,b"], "--nodes: 'a'"),
        (
            &["--capacity", "--rate", "max"],
            "--capacity: --rate gives the rate",
        ),
        (&["--rate", "NaN"], "--rate: NaN is out of range"),
        (
            &["--concurrency", "1000000000"],
            "--concurrency: 1000000000 is out of range",
        ),
        (
            &["--payload", "string:10000000000"],
            "--payload: 'string:10000000000': a string of",
        ),
        (
            &["--timeout", "0"],
            "--timeout: 0 is out of range: 1 to 3600000 ms",
        ),
        (
            &["extra", "--quiet"],
            "unexpected word 'extra': the node's arguments go after '--'",
        ),
        (
            &["--flush", "batch"],
            "'--flush' is an option of the node, not of echo-load",
        ),
        (&["-V", "extra"], "unexpected word 'extra'"),
        (&["--help", "extra"], "unexpected word 'extra'"),
    ] {
        let mut all = args(&["--bin", "/bin/sh"]);
        all.extend(args(words));
        match parse_args(all) {
            Err(e) => assert!(e.contains(says), "{words:?}: {e}"),
            Ok(_) => panic!("{words:?} was taken"),
        }
    }
    match parse_args(args(&["--bin"])) {
        Err(e) => assert_eq!(e, "--bin: missing its value"),
        Ok(_) => panic!("--bin with no value was taken"),
    }
}

#[test]
fn a_bare_name_is_found_on_path() {
    let found = find_program(Path::new("sh")).expect("sh is on PATH");
    assert!(
        found.is_absolute() && found.ends_with("sh"),
        "{}",
        found.display()
    );
    let missing = find_program(Path::new("no-such-program-here")).expect_err("not found");
    assert!(
        missing.contains("no file of that name in the current folder, and no such program on PATH"),
        "{missing}"
    );
    assert_eq!(find_program(Path::new("./x")), Ok(PathBuf::from("./x")));
    // A bare name that is a file in the current folder (the tests run in the package's)
    // is that file, as Maelstrom takes it.
    assert_eq!(
        find_program(Path::new("Cargo.toml")),
        Ok(PathBuf::from("./Cargo.toml"))
    );
}

/// Words a user may type: options, numbers of every size and sign, and stray words.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            FLAGS
                .iter()
                .filter(|f| f.value.is_some())
                .map(|f| format!("--{}", f.long))
                .chain(
                    [
                        "--strict",
                        "--quiet",
                        "--capacity",
                        "--bin",
                        "--help",
                        "-V",
                        "--",
                        "--flush",
                        "extra",
                        "3n",
                        "0n",
                        "string:",
                        "mixed",
                        "maelstrom",
                        "NaN",
                        "inf",
                        "-inf",
                        "-0",
                        "1e19",
                        "1e-300",
                        "1e308",
                        "18446744073709551616",
                        "9223372036854775808",
                        "string:99999999999",
                        "/bin/sh",
                    ]
                    .map(str::to_owned),
                )
                .collect::<Vec<_>>()
        ),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        "[a-z0-9:.-]{0,12}",
    ]
}

/// A config that starts: every number fits what the run computes with it.
fn check(config: &Config) -> Result<(), TestCaseError> {
    prop_assert!(config.check().is_ok());
    let later = config.time_limit + 2 * config.timeout + Duration::from_secs(60);
    prop_assert!(std::time::Instant::now().checked_add(later).is_some());
    // A rate of 0 sends nothing (the schedule never divides by it).
    if let Some(rate) = config.rate.filter(|r| *r > 0.0) {
        prop_assert!(Duration::try_from_secs_f64(1.0 / rate).is_ok());
    }
    prop_assert!(config.node_count.checked_mul(2).is_some());
    Ok(())
}

proptest! {
    /// Any command line is a usage error, help, the version, or a run whose every
    /// number fits what the run computes with it.
    #[test]
    fn a_command_line_is_a_usage_error_or_a_run_that_can_start(
        words in prop::collection::vec(word(), 0..10)
    ) {
        let mut all = args(&["--bin", "/bin/sh"]);
        all.extend(words.iter().map(OsString::from));
        match parse_args(all) {
            Err(e) => prop_assert!(!e.is_empty()),
            Ok(Command::Help | Command::Version) => {}
            // `serve` and `doctor` are commands only as the first word.
            Ok(Command::Serve(..)) => prop_assert!(false, "serve after --bin"),
            Ok(Command::Doctor(..)) => prop_assert!(false, "doctor after --bin"),
            Ok(Command::Run(config)) => check(&config)?,
            Ok(Command::Compare(configs, rounds)) => {
                prop_assert!(echo_load::compare::ROUNDS_RANGE.contains(&rounds));
                for config in &configs {
                    check(config)?;
                }
            }
            Ok(Command::Capacity(config, start, p99_max, repeats)) => {
                check(&Config { rate: Some(start), ..config })?;
                prop_assert!(echo_load::capacity::P99_MAX_RANGE.contains(&p99_max));
                prop_assert!(echo_load::capacity::REPEATS_RANGE.contains(&repeats));
            }
        }
    }
}

#[test]
fn maelstroms_values_are_checked_as_maelstrom_checks_them() {
    for (option, value, valid) in [
        ("--availability", "total", true),
        ("--availability", "0.99", true),
        ("--availability", "1/2", true),
        ("--availability", "1", true),
        ("--availability", "2", false),
        ("--availability", "-0.1", false),
        ("--availability", "x", false),
        ("--topology", "grid", true),
        ("--topology", "tree4", true),
        ("--topology", "bogus", false),
        ("--key-count", "3", true),
        ("--key-count", "0", false),
        ("--max-txn-length", "-1", false),
        ("--max-writes-per-key", "2.5", false),
        ("--nemesis-interval", "0.5", true),
        ("--nemesis-interval", "-5", false),
        ("--nemesis-interval", "0", false),
    ] {
        let result = parse(args(&["--bin", "/bin/sh", option, value]));
        match result {
            Ok((_, notes)) => assert!(valid, "{option} {value}: taken, {notes:?}"),
            Err(e) => assert!(
                !valid && e.starts_with(&format!("{option}: '{value}': must be")),
                "{option} {value}: {e}"
            ),
        }
    }
}
