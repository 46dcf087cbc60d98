//! What a run is asked to do: [`Config`], Maelstrom's defaults, the bounds each option
//! must keep, and the check of a configuration before anything starts.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::history;
use crate::network;
use crate::send::{self, PayloadKind};
use crate::words::{self, number, plural};

/// How long a node has to answer `init`, as in Maelstrom.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// [`Config::keeps_history`]) after it, and [`write`](crate::write())
    /// adds the rest. `None`: no files (echo-load's command gives a folder in the store
    /// instead: [`store`](crate::store)).
    pub out: Option<PathBuf>,
    /// Seeds the payload choice.
    pub seed: u64,
    /// Stop after this many requests (before the time limit, if it comes first).
    pub requests: Option<u64>,
    /// Fail the run also for what this project holds a good node should not do, and
    /// Maelstrom lets pass (see [`Kind::strict_only`](crate::fault::Kind::strict_only)).
    pub strict: bool,
    /// Show progress on stderr.
    pub progress: bool,
    /// Write the history into [`Config::out`] (which it needs) whatever the run's size;
    /// a small run's is written without it (see [`Config::keeps_history`]).
    pub history: bool,
    /// Let [`Config::history`] write more than `LARGE` (`--history-large`).
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
    /// Maelstrom's `--availability`: the least fraction of requests that must succeed
    /// for the run to be valid (maelstrom/checker.clj, `availability-checker`); `None`,
    /// no bound.
    pub availability: Option<Availability>,
}

/// Maelstrom's `--availability`: how many of the requests invoked must succeed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Availability {
    /// Every one (`total`).
    Total,
    /// At least this fraction, 0 to 1.
    AtLeast(f64),
}

impl Availability {
    /// Whether `ok_fraction`, the fraction of the requests invoked that succeeded, meets
    /// it.
    pub fn met(self, ok_fraction: f64) -> bool {
        match self {
            Availability::Total => ok_fraction == 1.0,
            Availability::AtLeast(a) => a <= ok_fraction,
        }
    }
}

impl std::fmt::Display for Availability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Availability::Total => f.write_str("total"),
            Availability::AtLeast(a) => write!(f, "{a}"),
        }
    }
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
            availability: None,
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

    /// The size this run's history would have: the requests it sends at most (`--requests`,
    /// else its rate over its time limit, `CLOSED_LOOP_RATE` for a closed
    /// loop), and their bytes.
    pub fn history_size(&self) -> (u64, u64) {
        let config = self;
        let seconds = config.time_limit.as_secs_f64();
        let by_time = (config.rate.unwrap_or(history::CLOSED_LOOP_RATE) * seconds).ceil() as u64;
        let requests = config.requests.map_or(by_time, |n| n.min(by_time));
        let each = history::BYTES_A_REQUEST + 2 * config.payload.mean_len();
        (requests, requests.saturating_mul(each))
    }

    /// Whether this run writes its history (`history.jsonl`, and from it `history.txt`,
    /// `history.edn` and `timeline.html`): into its `out` folder, under `--history`, or
    /// with no `--history` when [`Config::history_size`] finds it small (at most
    /// [`history::KEPT_REQUESTS`] requests and `KEPT_BYTES`); never under
    /// `--no-history`.
    pub fn keeps_history(&self) -> bool {
        let config = self;
        let (requests, bytes) = config.history_size();
        config.out.is_some()
            && !config.no_history
            && (config.history
                || (requests <= history::KEPT_REQUESTS && bytes <= history::KEPT_BYTES))
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
        let (requests, bytes) = self.history_size();
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
