//! echo-load's own speed: Maelstrom's echo workload, closed loop, against echo-node. The
//! driver must never be what limits a measurement of the node: with one node and 100
//! clients it should spend less CPU time a request than the node (the figures are in
//! PERFORMANCE.md). Criterion times runs of a fixed number of requests
//! (throughput in elements/s); after them, one longer run per flush mode prints
//! echo-load's summary with both CPU figures.
//!
//! A second group holds the history to its claim: the load of a run that keeps it (into
//! a run folder, as every run of up to `echo_load::KEPT_REQUESTS` requests
//! does) is within a few percent of one that does not, as the median ratio of alternated
//! pairs printed after it shows; the history is written after the load (the whole run
//! is timed with it), and the rest of the run's files by `echo_load::write`, timed on its
//! own.
//!
//! A third part holds the driver to one price for every node: alternated pairs of loads
//! against echo-node and against echo-load's `demo_node` example (serde_json's reply
//! layout: keys sorted, the body first), and the median ratio of the driver's CPU a
//! request between them.
//!
//! `cargo bench --bench load`

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use echo_load::Config;

const NODE: &str = env!("CARGO_BIN_EXE_echo-node");
const REQUESTS: u64 = 300_000;
/// The alternated pairs the history's cost is measured over.
const PAIRS: usize = 15;
/// The alternated pairs of the layouts' comparison, and the requests of each load.
const LAYOUT_PAIRS: usize = 7;
const LAYOUT_REQUESTS: u64 = 100_000;

fn config(flush: &str, requests: Option<u64>, seconds: u64) -> Config {
    Config {
        bin: PathBuf::from(NODE),
        node_args: vec!["--flush".into(), flush.into()],
        concurrency: 100,
        time_limit: Duration::from_secs(seconds),
        requests,
        // One node, n0 (as --node-count 1 names it), closed loop (--rate max).
        node_count: 1,
        first_node: 0,
        rate: None,
        ..Config::default()
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    let mut group = criterion.benchmark_group("echo-load");
    group.throughput(Throughput::Elements(REQUESTS));
    for flush in ["batch", "message"] {
        let c = config(flush, Some(REQUESTS), 60);
        group.bench_function(
            format!("1 node --flush {flush}, 100 clients, closed loop"),
            |b| {
                b.iter(|| {
                    let report = echo_load::run(&c).expect("run");
                    assert!(report.valid(), "{}", report.summary());
                    assert_eq!(report.counts.ok, REQUESTS);
                })
            },
        );
    }
    group.finish();
    let kept = echo_load::KEPT_REQUESTS;
    let mut group = criterion.benchmark_group("echo-load history");
    group.throughput(Throughput::Elements(kept));
    let out = std::env::temp_dir().join(format!("echo-load-bench-{}", std::process::id()));
    // The load alone (its window, as the report measures it), with the history and
    // without: the history's cost to the load's throughput.
    let load = |folder: Option<std::path::PathBuf>| {
        let c = Config {
            out: folder,
            ..config("batch", Some(kept), 60)
        };
        let report = echo_load::run(&c).expect("run");
        assert_eq!(report.counts.ok, kept);
        if c.out.is_some() {
            assert!(out.join("history.edn").is_file(), "the history is kept");
        }
        Duration::from_secs_f64(report.seconds)
    };
    for (name, folder) in [("not kept", None), ("kept", Some(out.clone()))] {
        group.bench_function(format!("the load, history {name}"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| load(folder.clone())).sum())
        });
    }
    // The whole run with its history written after the load, start and stop included.
    let c = Config {
        out: Some(out.clone()),
        ..config("batch", Some(kept), 60)
    };
    group.bench_function("the whole run, history kept and written", |b| {
        b.iter(|| echo_load::run(&c).expect("run"))
    });
    let c = Config {
        out: Some(out.clone()),
        ..config("batch", Some(kept), 60)
    };
    let report = echo_load::run(&c).expect("run");
    group.bench_function("the run's files written after it (echo_load::write)", |b| {
        b.iter(|| echo_load::write(&out, &report).expect("write"))
    });
    group.finish();
    // Side by side, as this machine's noise needs: pairs of loads, alternated, and the
    // median of their ratios.
    let mut ratios: Vec<f64> = (0..PAIRS)
        .map(|_| {
            let without = load(None).as_secs_f64();
            load(Some(out.clone())).as_secs_f64() / without
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "the load with its history kept / without, {PAIRS} alternated pairs of {kept} \
         requests: median {:.3} (range {:.3} to {:.3})\n",
        ratios[PAIRS / 2],
        ratios[0],
        ratios[PAIRS - 1]
    );
    let _ = std::fs::remove_dir_all(&out);
    layouts();
    criterion.final_summary();
    for flush in ["batch", "message"] {
        let report = echo_load::run(&config(flush, None, 5)).expect("run");
        print!("{}", report.summary());
        if let Some((driver, Some(node))) = report.cpu_per_request_us() {
            println!("driver CPU / node CPU per request: {:.2}\n", driver / node);
        }
    }
}

/// The driver's CPU a request against echo-node's reply layout and serde_json's, side by
/// side: every reply of either is known by comparing bytes with its node's layout.
fn layouts() {
    let serde_node = echo_test_support::demo_node();
    let cpu = |bin: &PathBuf, args: Vec<String>| {
        let c = Config {
            bin: bin.clone(),
            node_args: args,
            ..config("batch", Some(LAYOUT_REQUESTS), 60)
        };
        let report = echo_load::run(&c).expect("run");
        assert!(report.valid(), "{}", report.summary());
        report
            .cpu_per_request_us()
            .map_or(f64::NAN, |(driver, _)| driver)
    };
    let node = PathBuf::from(NODE);
    let mut pairs: Vec<(f64, f64)> = (0..LAYOUT_PAIRS)
        .map(|_| {
            let ours = cpu(&node, vec!["--flush".into(), "batch".into()]);
            (ours, cpu(&serde_node, Vec::new()))
        })
        .collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = median(pairs.iter().map(|(ours, serde)| serde / ours).collect());
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "driver CPU a request, {LAYOUT_PAIRS} alternated pairs of {LAYOUT_REQUESTS} requests: \
         echo-node's layout {:.2} us, serde_json's {:.2} us (medians); serde_json's / \
         echo-node's: median {ratio:.3}\n",
        median(pairs.iter().map(|p| p.0).collect()),
        median(pairs.iter().map(|p| p.1).collect()),
    );
}
