//! echo-load: Maelstrom's echo workload, run natively against any Maelstrom echo node
//! binary, and judged as Maelstrom would judge it.
//!
//! One thread drives every node through non-blocking pipes and the OS's readiness API
//! (epoll, kqueue), so it keeps up with a node that answers a million requests a second,
//! and with thousands of nodes. A run's path, one file a stage:
//!
//! 1. [`schedule`]: when each request falls due (open loop at `--rate`, Maelstrom's 5 a
//!    second by default, or a closed loop).
//! 2. [`send`]: the payloads, and each request in Maelstrom's own bytes.
//! 3. [`receive`]: each node's stdout cut into lines; its stderr goes to its log file.
//! 4. [`check`]: each line read as Maelstrom reads it: the message's envelope, the
//!    reply's closed schema, Maelstrom's equality of values.
//! 5. [`route`]: where each message goes: to another node or a service (through
//!    [`network`] under `--latency`), or to the client whose request it answers (kept for
//!    it when it comes early); timeouts; the `msg_id` bookkeeping.
//! 6. [`record`]: each request's latency from its due time (answered or given up),
//!    service time and wait, and the replies within the load window, as they come.
//! 7. [`report`]: counts, percentiles, the three rates, CPU, `results.json`, plots.
//!
//! [`compare()`] runs several nodes in alternating rounds and sets them side by side;
//! [`capacity()`] searches the highest rate a node sustains: both are made of whole runs.
//!
//! [`fault`] names everything that can go wrong; [`process`] starts and stops the node
//! processes; [`drive`] is the loop that wires the stages; [`run`] is the whole run.
//!
//! What a user of the library needs is at the crate's root: [`Config`] and [`run`],
//! [`compare()`] and [`capacity()`], what they return ([`Report`], [`Comparison`],
//! [`Capacity`]), [`Error`], the kinds a [`Config`] names ([`PayloadKind`],
//! [`LatencyDist`]), and what echo-load's command asks of the process ([`lock_out`],
//! [`adopt_orphans`], [`survive_file_size_limit`]). The stage modules are public for the tests and benches that hold
//! each stage to its claims, and for reading.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod capacity;
mod chart;
pub mod check;
pub mod compare;
mod counts;
pub mod drive;
mod edn;
mod error;
pub mod fault;
mod files;
pub mod history;
pub mod interrupt;
pub mod journal;
pub mod network;
pub mod pages;
mod pictures;
pub mod process;
mod progress;
mod quick;
pub mod receive;
pub mod record;
pub mod report;
pub mod route;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod service;
pub mod store;
mod sys;
mod words;

use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use capacity::{Capacity, capacity};
pub use compare::{Comparison, compare};
pub use counts::Counts;
pub use error::Error;
pub use files::OutputError;
pub use network::LatencyDist;
pub use report::Report;
pub use send::PayloadKind;
pub use sys::{adopt_orphans, survive_file_size_limit};

use drive::Drive;
use fault::Fault;
use interrupt::{Haste, Interrupts as Interrupt};
use process::{NodeProcess, Stop, describe, stop_all};
use record::Recorder;
use route::Router;
use send::Payloads;
use words::plural;

/// How long a node has to answer `init`, as in Maelstrom.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long after the load the nodes are checked to be alive, as Maelstrom's teardown
/// does once the clients have closed.
pub const TEARDOWN_AFTER: Duration = Duration::from_millis(50);

/// How long the nodes have to exit once their stdins are closed at the end of a run.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The node's executable.
    pub bin: PathBuf,
    /// Arguments for every node process.
    pub node_args: Vec<String>,
    /// Node processes, named `n{first_node}` on: Maelstrom's five `n1`..`n5` by default,
    /// `n0`..`n(N-1)` under `--node-count N` (core.clj, `parse-node-count`).
    pub node_count: usize,
    /// The number in the first node's name: 1 for Jepsen's default nodes (and `--nodes
    /// n1,n2,...`), 0 under `--node-count`.
    pub first_node: usize,
    /// Logical clients, numbered after the nodes' init clients (`c{N}` on for N nodes),
    /// spread over the nodes (the k-th talks to the k-th node mod N).
    pub concurrency: usize,
    /// Requests per second across all clients (open loop; 0: none, a run that only
    /// waits out its time limit); `None`: closed loop (`--rate max`).
    pub rate: Option<f64>,
    /// How long requests are sent.
    pub time_limit: Duration,
    /// How long a request may wait for its reply, from when its client sent it.
    pub timeout: Duration,
    /// What the requests carry.
    pub payload: PayloadKind,
    /// The run's folder: the node logs go there during the run, the history (see
    /// [`history::kept`]) after it, and [`Report::write`] adds the rest. `None`: no
    /// files (echo-load's command gives a folder in the store instead: [`store`]).
    pub out: Option<PathBuf>,
    /// Seeds the payload choice.
    pub seed: u64,
    /// Stop after this many requests (before the time limit, if it comes first).
    pub requests: Option<u64>,
    /// Fail the run also for what this project holds a good node should not do, and
    /// Maelstrom lets pass (see [`fault::Kind::strict_only`]).
    pub strict: bool,
    /// Show progress on stderr.
    pub progress: bool,
    /// Write the history into [`Config::out`] (which it needs) whatever the run's size;
    /// a small run's is written without it (see [`history::kept`]).
    pub history: bool,
    /// Let [`Config::history`] write more than [`history::LARGE`] (`--history-large`).
    pub history_large: bool,
    /// Write no history, whatever the run's size (`--no-history`).
    pub no_history: bool,
    /// Maelstrom's `--latency`: the mean delay of messages between nodes (and services),
    /// in milliseconds; 0, none.
    pub latency_ms: u64,
    /// Maelstrom's `--latency-dist`.
    pub latency_dist: network::LatencyDist,
    /// Maelstrom's `--log-stderr`: show each node's stderr as it comes, each line after
    /// the node's id.
    pub log_stderr: bool,
}

/// Maelstrom's run of the echo workload, as `maelstrom test -w echo --bin BIN` makes it:
/// Jepsen's five nodes `n1`..`n5`, one client a node (`--concurrency 1n`), 5 requests a
/// second, for Jepsen's 60 s, each request given 5 s (core.clj, jepsen's cli.clj,
/// client.clj's `default-timeout`).
impl Default for Config {
    fn default() -> Self {
        Config {
            bin: PathBuf::new(),
            node_args: Vec::new(),
            node_count: 5,
            first_node: 1,
            concurrency: 5,
            rate: Some(5.0),
            time_limit: Duration::from_secs(60),
            timeout: Duration::from_millis(5000),
            payload: PayloadKind::Maelstrom,
            out: None,
            seed: 0,
            requests: None,
            strict: false,
            progress: false,
            history: false,
            history_large: false,
            no_history: false,
            latency_ms: 0,
            latency_dist: network::LatencyDist::Constant,
            log_stderr: false,
        }
    }
}

impl Config {
    /// One line saying what is run: the nodes, their command, and [`Config::workload`].
    pub fn describe(&self) -> String {
        format!(
            "{} ({}), {}",
            plural(self.node_count as u64, "node", "nodes"),
            self.command(),
            self.workload()
        )
    }

    /// The nodes' command line.
    pub fn command(&self) -> String {
        std::iter::once(self.bin.display().to_string())
            .chain(self.node_args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What every node is asked, whatever it runs: the clients, the loop, the payload,
    /// the time.
    pub fn workload(&self) -> String {
        let mode = match self.rate {
            Some(rate) if rate <= 0.0 => "no requests (--rate 0)".to_owned(),
            Some(rate) => format!("open loop at {rate} requests/s"),
            None => "closed loop".to_owned(),
        };
        let mut text = format!(
            "{}, {mode}, {} payload, {} s",
            plural(self.concurrency as u64, "client", "clients"),
            self.payload,
            self.time_limit.as_secs_f64()
        );
        // Whatever else changes the run, as its option says it.
        if self.timeout != Config::default().timeout {
            text += &format!(", --timeout {}", self.timeout.as_millis());
        }
        if let Some(n) = self.requests {
            text += &format!(", --requests {n}");
        }
        if self.latency_ms > 0 {
            text += &format!(", --latency {} ({})", self.latency_ms, self.latency_dist);
        }
        if self.seed != 0 {
            text += &format!(", --seed {}", self.seed);
        }
        if self.log_stderr {
            text += ", --log-stderr";
        }
        if self.history {
            text += ", --history";
        }
        text
    }

    /// Checks what can be checked before anything starts, changing nothing: each error
    /// names the option (and the path) at fault, the value and the range it must be in.
    pub fn check(&self) -> Result<(), Error> {
        self.check_all().map_err(Error::Config)
    }

    fn check_all(&self) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let bin = self.bin.display();
        match std::fs::metadata(&self.bin) {
            Err(e) => return Err(format!("--bin {bin}: {e}")),
            Ok(m) if !m.is_file() => return Err(format!("--bin {bin}: not a file")),
            Ok(m) if m.permissions().mode() & 0o111 == 0 => {
                return Err(format!("--bin {bin}: not executable"));
            }
            Ok(_) => {}
        }
        let out_of = |option: &str, value: String, range: String| {
            Err(format!("{option}: {value} is out of range: {range}"))
        };
        if !NODE_COUNT.contains(&self.node_count) {
            let range = format!("{} to {}", NODE_COUNT.start(), NODE_COUNT.end());
            return out_of("--node-count", self.node_count.to_string(), range);
        }
        if !CONCURRENCY.contains(&self.concurrency) {
            let range = format!("{} to {}", CONCURRENCY.start(), CONCURRENCY.end());
            return out_of("--concurrency", self.concurrency.to_string(), range);
        }
        if let Some(rate) = self.rate
            && !RATE.contains(&rate)
            && rate != 0.0
        {
            let range = format!(
                "0 (no requests), or {} to {} requests a second",
                RATE.start(),
                RATE.end()
            );
            return out_of("--rate", number(rate), range);
        }
        if self.first_node.checked_add(self.node_count).is_none() {
            return out_of(
                "--nodes",
                format!("n{}", self.first_node),
                "names whose numbers fit".into(),
            );
        }
        if !TIME_LIMIT.contains(&self.time_limit) {
            let value = number(self.time_limit.as_secs_f64());
            return out_of("--time-limit", value, TIME_LIMIT_TEXT.to_owned());
        }
        if !TIMEOUT.contains(&self.timeout) {
            let range = format!(
                "{} to {} ms",
                TIMEOUT.start().as_millis(),
                TIMEOUT.end().as_millis()
            );
            return out_of("--timeout", self.timeout.as_millis().to_string(), range);
        }
        if self.latency_ms > LATENCY_MS_MAX {
            let range = format!("0 to {LATENCY_MS_MAX} ms");
            return out_of("--latency", self.latency_ms.to_string(), range);
        }
        let (requests, bytes) = history::estimate(self);
        if self.history && self.no_history {
            return Err("--history and --no-history: give one of them".into());
        }
        if self.history && bytes > history::LARGE && !self.history_large {
            return Err(format!(
                "--history: this run's would be about {} ({} requests at most, about {} \
                 each), more than the {} written unless told: give --history-large to \
                 write it, or bound it with --requests N",
                words::bytes(bytes),
                words::thousands(requests),
                words::bytes(bytes / requests.max(1)),
                words::bytes(history::LARGE)
            ));
        }
        if let PayloadKind::String(n) = self.payload
            && n > send::MAX_STRING_PAYLOAD
        {
            let range = format!("0 to {} bytes", send::MAX_STRING_PAYLOAD);
            return out_of("--payload string:", n.to_string(), range);
        }
        Ok(())
    }
}

/// `x` as a person would write it: `1e-300`, not three hundred zeros.
pub(crate) fn number(x: f64) -> String {
    if x != 0.0 && !(1e-3..1e9).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// The largest `--latency`, in milliseconds: a minute.
pub const LATENCY_MS_MAX: u64 = 60_000;

/// The node counts a run can use (two descriptors each).
pub const NODE_COUNT: RangeInclusive<usize> = 1..=100_000;

/// The client counts a run can use (each holds a few hundred bytes of state).
pub const CONCURRENCY: RangeInclusive<usize> = 1..=1_000_000;

/// The `--rate`s a run can use, in requests a second, but for 0 (no requests): from one
/// every 1,000 s to far past what one thread sends.
pub const RATE: RangeInclusive<f64> = 0.001..=100_000_000.0;

/// The time limits a run can use: a millisecond to a million seconds (11.6 days).
pub const TIME_LIMIT: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(1_000_000);

/// [`TIME_LIMIT`] in words.
pub const TIME_LIMIT_TEXT: &str = "0.001 to 1000000 seconds";

/// The timeouts a run can use: a millisecond to an hour.
pub const TIMEOUT: RangeInclusive<Duration> = Duration::from_millis(1)..=Duration::from_secs(3600);

/// Starts the nodes, initialises them, runs the workload, stops them and reports. An
/// `Err` is a run that could not start (the configuration is not usable, the descriptors
/// it needs are more than the limit, a node could not be started, `--out` could not be
/// made ready); everything the nodes do wrong is in the report. With `config.out`, the
/// nodes' logs are written there (an earlier run's outputs there are removed first);
/// [`Report::write`] adds `results.json` and the plots.
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
    let follow = config.log_stderr.then(|| {
        let logs = router
            .names()
            .iter()
            .map(|n| (n.clone(), logs.join(format!("{n}.log"))))
            .collect();
        receive::Follow::start(logs)
    });
    if history::kept(config)
        && let Some(dir) = &config.out
    {
        let requests = history::estimate(config).0;
        router.keep_history(history::History::create(dir, requests, router.names())?);
    }
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
    let nodes_before: Vec<Option<Duration>> = drive.nodes.iter().map(NodeProcess::cpu).collect();
    let cpu_before = sys::cpu_self();
    let load = if drive.router.faults().ended() || drive.haste() > Haste::None {
        None
    } else {
        Some(drive.load(Instant::now()))
    };
    let driver_cpu = sys::cpu_self().saturating_sub(cpu_before);
    // The nodes' CPU over the same window, the load, where the system says (a node that
    // ended during it counts for nothing).
    let measured: Vec<Duration> = drive
        .nodes
        .iter()
        .zip(nodes_before)
        .filter_map(|(node, before)| Some(node.cpu()?.saturating_sub(before?)))
        .collect();
    let nodes_cpu = (!measured.is_empty()).then(|| measured.into_iter().sum());
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
    for (node, stop) in nodes.iter().zip(stops) {
        if node.stdout_closed || !config.strict || interrupted.is_some() {
            continue; // it ended mid-run, and that was reported; or Maelstrom's verdict
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
    drop(follow); // what the nodes wrote last is shown before the summary
    let stderr = last_words(&nodes, router.faults());
    let history = router.take_history().map(history::History::finish);
    drop(nodes);
    if scratch {
        let _ = std::fs::remove_dir_all(&logs);
    }
    let journal = router.take_journal();
    let lost = router.lost_lines();
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
        timeout_marks,
        driver_cpu,
        nodes_cpu,
        recorder: recorder.settled(),
        journal,
    };
    Ok(report)
}

/// One run of a comparison or a capacity search, kept (when the search has a folder,
/// `base`) in a folder of its own in it, `name`, with every output a run writes; the
/// report, and the outputs that could not be written.
pub(crate) fn run_kept(
    config: &Config,
    base: Option<&Path>,
    name: &str,
) -> Result<(Report, Option<files::OutputError>), Error> {
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
    let mut written = vec![report.write(&dir)];
    if let Some(e) = &report.history_error {
        written.push(Err(files::OutputError::of(
            dir.join("history.jsonl"),
            io::Error::other(e.to_string()),
        )));
    }
    let failed = files::OutputError::all(written).err();
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

/// The lock file that [`lock_out`] holds in an `--out` folder.
const LOCK: &str = ".echo-load.lock";

/// An `--out` folder held for one command's outputs: see [`lock_out`]. The lock is let go
/// when this is dropped (or the process ends).
#[derive(Debug)]
pub struct OutLock {
    _file: std::fs::File,
}

/// Holds `dir` (made if need be) for one command's outputs, by a lock on a file in it
/// (`.echo-load.lock`), so that two echo-load commands given the same `--out` at once
/// never mix their files: the second is refused ([`Error::Out`]), naming the folder.
/// [`run`], [`compare()`] and [`capacity()`] do not take it themselves; echo-load's
/// command takes it before the run and lets it go once the outputs are written.
pub fn lock_out(dir: &Path) -> Result<OutLock, Error> {
    let shown = dir.display();
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Out(format!("--out {shown}: cannot create it: {e}")))?;
    let path = dir.join(LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::Out(format!("--out {shown}: {}: {e}", path.display())))?;
    match sys::try_lock(&file) {
        Ok(true) => Ok(OutLock { _file: file }),
        Ok(false) => Err(Error::Out(format!(
            "--out {shown}: another echo-load command is writing there (it holds {}); give \
             another folder, or wait for it to end",
            path.display()
        ))),
        Err(e) => Err(Error::Out(format!(
            "--out {shown}: {}: {e}",
            path.display()
        ))),
    }
}

/// The files a run, a comparison or a capacity search writes into its folder.
pub(crate) const OUTPUTS: [&str; 13] = [
    "results.json",
    "results.edn",
    "latency.svg",
    "latency-quantiles.svg",
    "throughput.svg",
    "messages.svg",
    "history.jsonl",
    "history.edn",
    "history.txt",
    "timeline.html",
    "index.html",
    "compare.svg",
    "capacity.svg",
];

/// Whether a folder named `name` in a comparison's or a capacity search's folder is
/// one of its runs' (`round-2-bin-1`, `step-3-run-1`).
fn run_folder(name: &str) -> bool {
    let shape = |prefix: &str, middle: &str| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.split_once(middle))
            .is_some_and(|(a, b)| {
                [a, b]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
    };
    shape("round-", "-bin-") || shape("step-", "-run-")
}

/// Whether `name` is a file echo-load writes into `--out` ([`OUTPUTS`]), a node's log
/// (`n7.log`), or one of those being written (`.tmp`).
fn ours(name: &str) -> bool {
    if name == LOCK {
        return true;
    }
    let name = name.strip_suffix(".tmp").unwrap_or(name);
    OUTPUTS.contains(&name)
        || name
            .strip_prefix('n')
            .and_then(|n| n.strip_suffix(".log"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Makes `dir` ready for a run's outputs: created if need be, and emptied of an earlier
/// run's files, so that two runs never mix. A folder that holds anything else is refused
/// as it is.
fn prepare_out(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    std::fs::create_dir_all(dir).map_err(|e| format!("--out {shown}: cannot create it: {e}"))?;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("--out {shown}: {e}"))?;
    let mut earlier = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("--out {shown}: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !ours(&name) && !run_folder(&name) {
            return Err(format!(
                "--out {shown}: it holds '{name}', which is not an output of echo-load; \
                 give a new or empty folder, or one an earlier run wrote"
            ));
        }
        // Something else by one of those names (a folder, say) is left as it is: writing
        // that output fails at the end, and says so.
        if entry.file_type().is_ok_and(|t| t.is_file()) && name != LOCK {
            earlier.push((entry.path(), false));
        }
        if run_folder(&name) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            earlier.push((entry.path(), true));
        }
    }
    for (path, folder) in earlier {
        // An earlier search's run folder holds only what a run writes, or is refused.
        let removed = if folder {
            prepare_out(&path).and_then(|()| std::fs::remove_dir(&path).map_err(|e| format!("{e}")))
        } else {
            std::fs::remove_file(&path).map_err(|e| format!("{e}"))
        };
        removed.map_err(|e| format!("--out {shown}: cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A new folder for a run's node logs: in memory where Linux offers it (`/dev/shm`:
/// creating thousands of files there is quick), else under the system's temporary folder.
fn scratch_dir() -> io::Result<PathBuf> {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let shm = std::path::Path::new("/dev/shm");
    let base = if cfg!(target_os = "linux") && shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "echo-load-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
