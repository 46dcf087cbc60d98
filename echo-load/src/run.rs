//! One whole run: the nodes started and initialised, the load, the teardown and the
//! stop, and the report made of what every stage saw; a comparison's or a capacity
//! search's runs, each kept in a folder of its own.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::drive::{Drive, Load};
use crate::error::Error;
use crate::fault::{self, Fault};
use crate::files::OutputError;
use crate::history;
use crate::interrupt::{Haste, Interrupts as Interrupt};
use crate::out_dir::{prepare_out, scratch_dir};
use crate::output;
use crate::output::Report;
use crate::process::{NodeProcess, Stop, describe, stop_all};
use crate::receive;
use crate::record::Recorder;
use crate::route::Router;
use crate::send::Payloads;
use crate::sys;

/// How long after the load the nodes are checked to be alive, as Maelstrom's teardown
/// does once the clients have closed.
pub const TEARDOWN_AFTER: Duration = Duration::from_millis(50);

/// How long the nodes have to exit once their stdins are closed at the end of a run.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Starts the nodes, initialises them, runs the workload, stops them and reports. An
/// `Err` is a run that could not start (the configuration is not usable, the descriptors
/// it needs are more than the limit, a node could not be started, `--out` could not be
/// made ready); everything the nodes do wrong is in the report. With `config.out`, the
/// nodes' logs are written there (an earlier run's outputs there are removed first);
/// [`write`](crate::write()) adds `results.json` and the plots.
///
/// It raises this process's soft limit on open files to the hard limit (two descriptors
/// a node), as servers and load tools do.
///
/// ```
/// # // An echo node in sed (GNU sed's -u, BSD's -l): init -> init_ok, echo -> echo_ok.
/// # let echo_node = ["-c".to_owned(), r#"if sed --version >/dev/null 2>&1; then u=-u; else u=-l; fi; exec sed $u -e 's/^{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{"type":"init",.*"msg_id":\([0-9]*\)}}$/{"src":"\2","dest":"\1","body":{"type":"init_ok","in_reply_to":\3}}/' -e 's/^{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{"echo":\(.*\),"type":"echo","msg_id":\([0-9]*\)}}$/{"src":"\2","dest":"\1","body":{"type":"echo_ok","echo":\3,"in_reply_to":\4}}/'"#.to_owned()];
/// let config = echo_load::Config {
///     bin: "/bin/sh".into(), // with `echo_node`: `sh -c` and a sed script
///     node_args: echo_node.to_vec(),
///     concurrency: 4,
///     time_limit: std::time::Duration::from_millis(300),
///     node_count: 1, // n0, as `--node-count 1` names it
///     first_node: 0,
///     rate: None, // closed loop: `--rate max`
///     ..echo_load::Config::default() // Maelstrom's defaults
/// };
/// let report = echo_load::run(&config)?;
/// assert!(report.valid(), "{}", report.summary());
/// assert!(report.counts.ok > 0);
/// # Ok::<(), echo_load::Error>(())
/// ```
pub fn run(config: &Config) -> Result<Report, Error> {
    config.check()?;
    if config.history && config.out.is_none() {
        return Err(Error::Config(
            "--history: needs --out DIR, where history.jsonl is written".into(),
        ));
    }
    run_checked(config)
}

/// [`run`], for a configuration [`Config::check`] has passed.
pub(crate) fn run_checked(config: &Config) -> Result<Report, Error> {
    sys::descriptors(config.node_count)?;
    if let Some(dir) = &config.out {
        prepare_out(dir).map_err(Error::Out)?;
    }
    // The nodes' stderr goes to files: in --out, or in a folder of the run's own.
    let (logs, scratch) = match &config.out {
        Some(dir) => (dir.clone(), false),
        None => (scratch_dir()?, true),
    };
    let router = new_router(config)?;
    let follow = config.log_stderr.then(|| {
        let logs = router
            .names()
            .iter()
            .map(|n| (n.clone(), logs.join(format!("{n}.log"))))
            .collect();
        receive::Follow::start(logs)
    });
    let mut drive = Drive::new(config, router, Recorder::new(config.seed))?;
    let starting = Instant::now();
    if let Err(e) = drive.start(&logs) {
        stop_all(&mut drive.nodes, Duration::ZERO, &mut || true);
        sys::end_orphans();
        if scratch {
            let _ = std::fs::remove_dir_all(&logs);
        }
        return Err(e.into());
    }
    let start_seconds = starting.elapsed().as_secs_f64();
    let descriptors = sys::open_descriptors();
    let (load, driver_cpu, nodes_cpu) = load(&mut drive);
    // Maelstrom's teardown finds every node alive, or stops the test. It comes after the
    // last operation, the clients closed: a node exiting right after its last reply is
    // given that moment to be seen.
    if !drive.router.faults().ended() {
        std::thread::sleep(TEARDOWN_AFTER);
    }
    drive.check_exits(Instant::now());
    let stopping = Instant::now();
    let mut interrupts = drive.interrupts.take();
    let mut haste = || interrupts.as_mut().map_or(Haste::None, Interrupt::haste);
    // A second stop signal ends the nodes at once.
    let stops = stop_all(&mut drive.nodes, EXIT_GRACE, &mut || haste() == Haste::Now);
    let interrupted = interrupts.as_ref().and_then(Interrupt::first);
    drop(interrupts); // the signals act as usual again
    // What the nodes started and left behind (in a session of its own, or once its node
    // ended), where echo-load adopts such orphans (see `adopt_orphans`).
    sys::end_orphans();
    let stop_seconds = stopping.elapsed().as_secs_f64();
    let Drive {
        nodes,
        mut router,
        recorder,
        ..
    } = drive;
    if config.strict && interrupted.is_none() {
        strict_stops(&mut router, &nodes, stops);
    }
    drop(follow); // what the nodes wrote last is shown before the summary
    let stderr = last_words(&nodes, router.faults());
    let (printed_after_input, unended) = loose_ends(&nodes);
    let history = router.take_history().map(history::History::finish);
    drop(nodes);
    if scratch {
        let _ = std::fs::remove_dir_all(&logs);
    }
    let journal = router.take_journal();
    let lost = router.lost_lines();
    let reply_to_a_node = router.first_reply_to_a_node();
    let initialised = router.initialised_count();
    let (counts, faults, timeout_marks) = router.finish();
    let report = Report {
        lost,
        history_error: history.and_then(Result::err),
        interrupted,
        stderr,
        config: config.clone(),
        counts,
        due: load.map_or(0, |l| l.due),
        seconds: load.map_or(0.0, |l| l.seconds),
        clients_busy: load.is_some_and(|l| l.clients_busy),
        start_seconds,
        initialised,
        stop_seconds,
        descriptors,
        peak_rss_kib: sys::peak_rss_kib(),
        faults,
        reply_to_a_node,
        printed_after_input,
        unended,
        timeout_marks,
        driver_cpu,
        nodes_cpu,
        recorder: recorder.settled(),
        journal,
    };
    Ok(report)
}

/// The router of `config`'s run, keeping its history if it is kept.
fn new_router(config: &Config) -> Result<Router, Error> {
    let names: Vec<String> = (0..config.node_count)
        .map(|i| format!("n{}", config.first_node + i))
        .collect();
    let mut router = Router::new(
        names,
        config.concurrency,
        Payloads::new(&config.payload, config.seed),
        config.seed,
        config.timeout,
        config.strict,
    );
    if config.keeps_history()
        && let Some(dir) = &config.out
    {
        let requests = config.history_size().0;
        router.keep_history(history::History::create(dir, requests, router.names())?);
    }
    Ok(router)
}

/// Runs the load, unless the start already failed or was stopped: what it came to, the
/// driver's CPU over it, and the nodes' CPU over it where the system says (a node that
/// ended during it counts for nothing).
fn load(drive: &mut Drive) -> (Option<Load>, Duration, Option<Duration>) {
    let nodes_before: Vec<Option<Duration>> = drive.nodes.iter().map(NodeProcess::cpu).collect();
    let cpu_before = sys::cpu_self();
    let load = if drive.router.faults().ended() || drive.haste() > Haste::None {
        None
    } else {
        Some(drive.load(Instant::now()))
    };
    let driver_cpu = sys::cpu_self().saturating_sub(cpu_before);
    let measured: Vec<Duration> = drive
        .nodes
        .iter()
        .zip(nodes_before)
        .filter_map(|(node, before)| Some(node.cpu()?.saturating_sub(before?)))
        .collect();
    let nodes_cpu = (!measured.is_empty()).then(|| measured.into_iter().sum());
    (load, driver_cpu, nodes_cpu)
}

/// Under `--strict`, a node that had to be killed at the end, or exited with a failure,
/// is a fault (one whose stdout ended mid-run was reported then).
fn strict_stops(router: &mut Router, nodes: &[NodeProcess], stops: Vec<Stop>) {
    for (node, stop) in nodes.iter().zip(stops) {
        if node.stdout_closed {
            continue;
        }
        match stop {
            Stop::Killed => router.fault(Fault::Lingered {
                node: node.name.clone(),
                seconds: EXIT_GRACE.as_secs(),
            }),
            Stop::Exited(status) if !status.success() => router.fault(Fault::BadExit {
                node: node.name.clone(),
                status: describe(status),
            }),
            Stop::Exited(_) => {}
        }
    }
}

/// One run of a comparison or a capacity search, kept (when the search has a folder,
/// `base`) in a folder of its own in it, `name`, with every output a run writes; the
/// report, and the outputs that could not be written.
pub(crate) fn run_kept(
    config: &Config,
    base: Option<&Path>,
    name: &str,
) -> Result<(Report, Option<OutputError>), Error> {
    let Some(base) = base else {
        return run_checked(config).map(|r| (r, None));
    };
    let dir = base.join(name);
    prepare_out(&dir).map_err(Error::Out)?;
    let config = Config {
        out: Some(dir.clone()),
        ..config.clone()
    };
    let report = run_checked(&config)?;
    let failed = output::write(&dir, &report).err();
    Ok((report, failed))
}

/// How many nodes at fault have their last stderr lines quoted, and how many lines each.
const QUOTED_NODES: usize = 3;
const QUOTED_LINES: usize = 5;

/// The last stderr lines of the first few nodes the faults name (but where the fault
/// quotes them itself: a node that ended), read before the logs may be removed.
fn last_words(nodes: &[NodeProcess], faults: &fault::Faults) -> Vec<(String, Vec<String>)> {
    let mut quoted: Vec<(String, Vec<String>)> = Vec::new();
    for fault in fault::Kind::ALL.into_iter().flat_map(|k| faults.shown(k)) {
        if quoted.len() == QUOTED_NODES {
            break;
        }
        let Some(name) = fault.node() else { continue };
        if matches!(fault, Fault::Exited { .. }) || quoted.iter().any(|(n, _)| n == name) {
            continue;
        }
        let Some(node) = nodes.iter().find(|n| n.name == name) else {
            continue;
        };
        let lines = receive::last_lines(&node.log, QUOTED_LINES);
        if !lines.is_empty() {
            quoted.push((name.to_owned(), lines));
        }
    }
    quoted
}

/// A figure for each of some nodes, by name.
type PerNode<T> = Vec<(String, T)>;

/// What the nodes Maelstrom still read left at the end: the bytes each printed only
/// once its stdin was closed, and the bytes each printed after its last line end, for
/// the nodes that did.
fn loose_ends(nodes: &[NodeProcess]) -> (PerNode<u64>, PerNode<usize>) {
    let read = || nodes.iter().filter(|n| !n.unread);
    let after = read()
        .filter(|n| n.printed_after_input > 0)
        .map(|n| (n.name.clone(), n.printed_after_input))
        .collect();
    let unended = read()
        .filter(|n| n.lines.pending() > 0)
        .map(|n| (n.name.clone(), n.lines.pending()))
        .collect();
    (after, unended)
}

/// Checks every configuration of a session of several runs, then makes the first's
/// `out`, if given, ready (see [`prepare_out`]: it holds the session's outputs, and each
/// run's folder, which [`run_kept`] gives it). Returns each configuration for its runs:
/// without an `out` of their own and without `--history`.
pub(crate) fn session(configs: &[Config]) -> Result<Vec<Config>, Error> {
    for config in configs {
        config.check()?;
    }
    if let Some(dir) = configs.first().and_then(|c| c.out.as_ref()) {
        prepare_out(dir).map_err(Error::Out)?;
    }
    let run = |config: &Config| Config {
        out: None,
        history: false,
        ..config.clone()
    };
    Ok(configs.iter().map(run).collect())
}
