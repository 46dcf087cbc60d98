//! The store and what each run keeps in it, read as its users read it: results.edn and
//! history.edn with an EDN reader (edn-format, from crates.io), the folders of a
//! comparison and a capacity search.

mod support;

use support::{named_folder, run_in};

use std::path::PathBuf;

use edn_format::{Keyword, Value};

/// A new empty folder for a test.
fn folder(name: &str) -> PathBuf {
    support::empty_folder("store", name)
}

/// `map[:key]`.
fn get<'a>(map: &'a Value, key: &str) -> &'a Value {
    match map {
        Value::Map(m) => m
            .get(&Value::Keyword(Keyword::from_name(key)))
            .unwrap_or_else(|| panic!("no :{key} in {map}")),
        other => panic!("not a map: {other}"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Integer(n) => *n,
        other => panic!("not an integer: {other}"),
    }
}

#[test]
fn a_run_with_no_out_is_kept_in_the_store_with_maelstroms_files() {
    let cwd = folder("run");
    let (status, stdout) = run_in(&cwd, &["--time-limit", "0.5", "--rate", "40"]);
    assert_eq!(status, Some(0), "{stdout}");
    let run = named_folder(&cwd, &stdout);
    assert!(run.starts_with(cwd.join("store/echo")), "{}", run.display());
    let latest = std::fs::canonicalize(cwd.join("store/latest")).expect("store/latest");
    assert_eq!(latest, std::fs::canonicalize(&run).expect("run folder"));
    for file in [
        "results.json",
        "results.edn",
        "history.jsonl",
        "history.edn",
        "history.txt",
        "timeline.html",
        "messages.svg",
        "latency.svg",
        "latency-quantiles.svg",
        "throughput.svg",
        "index.html",
        "n1.log",
    ] {
        assert!(run.join(file).is_file(), "{file} in {}", run.display());
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("results.json")).unwrap()).unwrap();
    let sent = json["requests"]["sent"].as_i64().unwrap();
    assert!(sent > 0);
    let text = std::fs::read_to_string(run.join("results.edn")).unwrap();
    let edn = edn_format::parse_str(&text).expect("results.edn is EDN");
    assert_eq!(get(&edn, "valid?"), &Value::Boolean(true));
    let stats = get(&edn, "stats");
    assert_eq!(int(get(stats, "count")), sent);
    assert_eq!(int(get(stats, "ok-count")), sent);
    assert_eq!(int(get(stats, "fail-count")), 0);
    assert_eq!(int(get(stats, "info-count")), 0);
    assert_eq!(int(get(get(get(stats, "by-f"), "echo"), "ok-count")), sent);
    // Five inits and their replies, and each request and its reply: all to or from a
    // client, and none between servers.
    let net = get(get(&edn, "net"), "stats");
    let messages = 2 * (sent + 5);
    for part in ["all", "clients"] {
        let p = get(net, part);
        assert_eq!(int(get(p, "send-count")), messages, "{part}");
        assert_eq!(int(get(p, "recv-count")), messages, "{part}");
        assert_eq!(int(get(p, "msg-count")), messages, "{part}");
    }
    assert_eq!(int(get(get(net, "servers"), "send-count")), 0);
    let Value::Float(per_op) = get(get(net, "all"), "msgs-per-op") else {
        panic!("msgs-per-op is a float");
    };
    assert!((per_op.into_inner() - messages as f64 / sent as f64).abs() < 1e-9);
    assert_eq!(get(get(&edn, "workload"), "valid?"), &Value::Boolean(true));
    assert_eq!(
        get(get(&edn, "availability"), "valid?"),
        &Value::Boolean(true)
    );
    assert_eq!(int(get(get(&edn, "echo-load"), "ok")), sent);
    // The history: an invocation and a completion a request, each a map of Jepsen's keys.
    let history = std::fs::read_to_string(run.join("history.edn")).unwrap();
    let ops: Vec<Value> = history
        .lines()
        .map(|l| edn_format::parse_str(l).expect("an operation map"))
        .collect();
    assert_eq!(ops.len() as i64, 2 * sent);
    for (i, op) in ops.iter().enumerate() {
        assert_eq!(int(get(op, "index")), i as i64);
        assert_eq!(get(op, "f"), &Value::Keyword(Keyword::from_name("echo")));
        let kind = get(op, "type");
        assert!(
            [Keyword::from_name("invoke"), Keyword::from_name("ok")]
                .iter()
                .any(|k| kind == &Value::Keyword(k.clone())),
            "{op}"
        );
        // An invocation's value is the payload sent; a completion's, as Maelstrom's
        // history records it and its echo checker reads it (`(:echo (:value op))`), the
        // reply's body.
        let payload = if kind == &Value::Keyword(Keyword::from_name("ok")) {
            assert_eq!(
                get(get(op, "value"), "type"),
                &Value::String("echo_ok".into()),
                "{op}"
            );
            int(get(get(op, "value"), "in_reply_to"));
            get(get(op, "value"), "echo")
        } else {
            get(op, "value")
        };
        assert!(
            matches!(payload, Value::String(s) if s.starts_with("Please echo ")),
            "{op}"
        );
        int(get(op, "process"));
        int(get(op, "time"));
    }
    let txt = std::fs::read_to_string(run.join("history.txt")).unwrap();
    assert_eq!(txt.lines().count() as i64, 2 * sent);
    let first: Vec<&str> = txt.lines().next().unwrap().split('\t').collect();
    assert_eq!(&first[1..3], [":invoke", ":echo"]);
    let svg = std::fs::read_to_string(run.join("messages.svg")).unwrap();
    assert_eq!(
        svg.matches("<g class=\"message\">").count() as i64,
        messages
    );
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn an_invalid_run_says_false_and_why_in_results_edn() {
    let cwd = folder("invalid");
    let out = cwd.join("out");
    let (status, stdout) = run_in(
        &cwd,
        &[
            "--time-limit",
            "0.3",
            "--rate",
            "40",
            "--out",
            out.to_str().unwrap(),
            "--timeout",
            "100",
            "--availability",
            "total",
            "--",
            "--silent-after",
            "2",
        ],
    );
    assert_eq!(status, Some(1), "{stdout}");
    assert!(
        stdout.contains("requests succeeded (") && stdout.contains("under --availability total"),
        "{stdout}"
    );
    let edn = edn_format::parse_str(&std::fs::read_to_string(out.join("results.edn")).unwrap())
        .expect("EDN");
    assert_eq!(get(&edn, "valid?"), &Value::Boolean(false));
    let workload = get(&edn, "workload");
    assert_eq!(get(workload, "valid?"), &Value::Boolean(false));
    let Value::List(errors) = get(workload, "errors") else {
        panic!("errors is a list");
    };
    assert!(!errors.is_empty());
    // Maelstrom's availability checker: the fraction of invoked requests that were ok,
    // below `total`.
    let availability = get(&edn, "availability");
    assert_eq!(get(availability, "valid?"), &Value::Boolean(false));
    assert!(
        matches!(get(availability, "ok-fraction"), Value::Float(f) if f.into_inner() < 1.0),
        "{availability}"
    );
    assert!(
        !cwd.join("store").exists(),
        "--out keeps the run out of the store"
    );
    // A node that exits mid-run: Maelstrom would stop the test with no verdict.
    let (status, stdout) = run_in(
        &cwd,
        &[
            "--node-count",
            "1",
            "--time-limit",
            "0.3",
            "--rate",
            "40",
            "--",
            "--exit-after",
            "3",
        ],
    );
    assert_eq!(status, Some(4), "{stdout}");
    let run = named_folder(&cwd, &stdout);
    let edn = edn_format::parse_str(&std::fs::read_to_string(run.join("results.edn")).unwrap())
        .expect("EDN");
    assert_eq!(
        get(&edn, "valid?"),
        &Value::Keyword(Keyword::from_name("unknown"))
    );
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn a_comparison_and_a_capacity_search_keep_each_run_in_a_folder_of_its_own() {
    let cwd = folder("sessions");
    let node = support::demo_node();
    let node = node.to_str().unwrap();
    let (status, stdout) = run_in(
        &cwd,
        &[
            "--bin",
            node,
            "--rounds",
            "2",
            "--time-limit",
            "0.3",
            "--rate",
            "30",
        ],
    );
    assert_eq!(status, Some(0), "{stdout}");
    let search = named_folder(&cwd, &stdout);
    for file in ["results.json", "compare.svg", "index.html"] {
        assert!(search.join(file).is_file(), "{file}");
    }
    for run in [
        "round-1-bin-1",
        "round-1-bin-2",
        "round-2-bin-1",
        "round-2-bin-2",
    ] {
        for file in ["results.edn", "index.html", "messages.svg", "n1.log"] {
            assert!(search.join(run).join(file).is_file(), "{run}/{file}");
        }
    }
    let page = std::fs::read_to_string(search.join("index.html")).unwrap();
    assert!(page.contains("round-2-bin-2/index.html"), "{page}");
    let (status, stdout) = run_in(&cwd, support::QUICK_CAPACITY);
    assert!(matches!(status, Some(0 | 1)), "{stdout}");
    let search = named_folder(&cwd, &stdout);
    assert!(search.join("capacity.svg").is_file());
    assert!(search.join("step-1-run-1").join("results.edn").is_file());
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn no_history_keeps_the_rest_of_the_run_and_no_history() {
    let cwd = folder("no-history");
    let (status, stdout) = run_in(
        &cwd,
        &["--time-limit", "0.3", "--rate", "20", "--no-history"],
    );
    assert_eq!(status, Some(0), "{stdout}");
    let run = named_folder(&cwd, &stdout);
    assert!(run.join("results.edn").is_file() && run.join("index.html").is_file());
    for file in [
        "history.jsonl",
        "history.edn",
        "history.txt",
        "timeline.html",
    ] {
        assert!(!run.join(file).exists(), "{file} with --no-history");
    }
    let (status, _) = run_in(&cwd, &["--history", "--no-history"]);
    assert_eq!(
        status,
        Some(2),
        "--history and --no-history is a usage error"
    );
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn a_store_link_that_is_a_folder_is_named_and_leaves_no_phantom_run() {
    let node = support::demo_node();
    let echo_load = |cwd: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_echo-load"))
            .current_dir(cwd)
            .arg("--bin")
            .arg(&node)
            .args([
                "--quiet",
                "--node-count",
                "1",
                "--time-limit",
                "0.2",
                "--rate",
                "20",
            ])
            .output()
            .expect("run echo-load")
    };
    // store/current a folder (a store copied with its links followed): no run, the
    // path named, and no empty run folder left for the front page to list.
    let cwd = folder("current-a-folder");
    std::fs::create_dir_all(cwd.join("store/current")).expect("a folder");
    let out = echo_load(&cwd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("store/current: not a link"),
        "names the path: {stderr}"
    );
    let runs = std::fs::read_dir(cwd.join("store/echo")).map_or(0, |d| d.count());
    assert_eq!(runs, 0, "no run folder left");
    // store/latest a folder: the run is kept and judged, and the link it could not
    // make is an output not written, status 3.
    let cwd = folder("latest-a-folder");
    std::fs::create_dir_all(cwd.join("store/latest")).expect("a folder");
    let out = echo_load(&cwd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("store/latest: not a link"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid? true"));
}
