//! Thousands of nodes on one machine: the run of jepsen-io/maelstrom issue #33, which
//! Maelstrom itself cannot make (a thread per node and per client), as echo-load makes it:
//! 5,000 echo-node processes, one client each, 5,000 requests/s in all, for 30 s. Prints
//! echo-load's summary (latency, start and stop times, the driver's descriptors and peak
//! memory) and, on Linux, the nodes' memory sampled halfway through the load.
//!
//! `cargo bench --bench nodes` (`ECHO_LOAD_NODES=N` and `ECHO_LOAD_SECONDS=S` to change
//! the size). It needs about 2 descriptors a node: echo-load raises its soft limit to the
//! hard one, and says so before starting if that is not enough.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Duration;

use echo_load::Config;

const NODE: &str = env!("CARGO_BIN_EXE_echo-node");

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter this bench ignores.
    let nodes = setting("ECHO_LOAD_NODES", 5000) as usize;
    let seconds = setting("ECHO_LOAD_SECONDS", 30);
    let config = Config {
        bin: PathBuf::from(NODE),
        node_count: nodes,
        first_node: 0,
        concurrency: nodes,
        rate: Some(nodes as f64),
        time_limit: Duration::from_secs(seconds),
        ..Config::default()
    };
    let sampler = std::thread::spawn(move || {
        // Halfway through the load, after the nodes have started.
        std::thread::sleep(Duration::from_secs(seconds / 2) + start_allowance(nodes));
        nodes_memory()
    });
    let started = std::time::Instant::now();
    let report = match echo_load::run(&config) {
        Ok(report) => report,
        Err(e) => {
            println!("nodes bench: {e}");
            return;
        }
    };
    let wall = started.elapsed();
    print!("{}", report.summary());
    println!(
        "wall time {:.1} s for a {seconds} s load ({:.1} s beyond it)",
        wall.as_secs_f64(),
        wall.as_secs_f64() - seconds as f64
    );
    match sampler.join() {
        Ok(Some((count, pss, anon))) => println!(
            "nodes' memory halfway: {count} echo-node processes, Pss {:.0} MiB in all ({:.0} KiB each), of it anonymous {:.0} KiB each",
            pss as f64 / 1024.0,
            pss as f64 / count.max(1) as f64,
            anon as f64 / count.max(1) as f64
        ),
        _ => println!("nodes' memory: not measured here (Linux's /proc only)"),
    }
}

/// About how long the nodes take to start (measured: 1.6 ms a node on 2 cores).
fn start_allowance(nodes: usize) -> Duration {
    Duration::from_micros(1_600 * nodes as u64)
}

/// (processes, Pss KiB, Pss_Anon KiB) of every running echo-node whose parent is this
/// process, from /proc (Linux).
fn nodes_memory() -> Option<(u64, u64, u64)> {
    let me = std::process::id().to_string();
    let mut total = (0, 0, 0);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let dir = entry.path();
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: the fields after the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1).unwrap_or_default();
        if ppid != me || !head.ends_with("(echo-node") {
            continue;
        }
        let Ok(rollup) = std::fs::read_to_string(dir.join("smaps_rollup")) else {
            continue;
        };
        let field = |name: &str| {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        total.0 += 1;
        total.1 += field("Pss:");
        total.2 += field("Pss_Anon:");
    }
    Some(total)
}
