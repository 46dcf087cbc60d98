//! Stage 7: what a run measured and its verdict: counts, latency and wait percentiles
//! (HdrHistogram), throughput, CPU per request, the faults by kind; and what it leaves as
//! an [`Output`], like what Maelstrom leaves in its store: its files and its page. Its
//! summary is drawn up in `summary.rs`, `results.json` and `results.edn` in `results.rs`,
//! its plots in `plots.rs`.

use std::path::Path;
use std::time::Duration;

use super::Output;
use super::pages::Page;
use super::verdict::Verdict;
use crate::config::Config;
use crate::counts::Counts;
use crate::fault::Faults;
use crate::files::{OutputError, Plot};
use crate::record::{Recorder, ms};

/// The outcome of a run.
#[derive(Debug)]
pub struct Report {
    /// Lines lost from each node's stdout after Maelstrom would have stopped reading it.
    pub lost: Vec<(String, u64)>,
    /// Writing `history.jsonl` failed (`--history`): the first error.
    pub history_error: Option<OutputError>,
    /// The stop signal that ended the run early (Ctrl-C: SIGINT), if one did.
    pub interrupted: Option<i32>,
    /// The last stderr lines of the first few nodes at fault, by node.
    pub stderr: Vec<(String, Vec<String>)>,
    /// What was run.
    pub config: Config,
    /// What the clients did.
    pub counts: Counts,
    /// Requests that fell due (open loop: by the schedule; closed loop: the ones sent).
    pub due: u64,
    /// The load window, in seconds: from its start to its time limit (or to where it
    /// stopped: a stop signal, a fault, `--requests`).
    pub seconds: f64,
    /// A request fell due while every client was busy: then requests waited for a
    /// client, not for the driver.
    pub clients_busy: bool,
    /// Seconds from starting the first node to the last init_ok (or to when starting
    /// ended without it).
    pub start_seconds: f64,
    /// Nodes that answered their init.
    pub initialised: usize,
    /// Seconds from closing the nodes' stdins to the last node's exit.
    pub stop_seconds: f64,
    /// Descriptors the driver held open once every node had started.
    pub descriptors: Option<u64>,
    /// The driver's peak resident memory, in KiB (the whole process's: when a run is made
    /// from inside another program, that program's too).
    pub peak_rss_kib: Option<u64>,
    /// What went wrong.
    pub faults: Faults,
    /// Bytes each node printed only once its stdin was closed at the end of the run,
    /// for the nodes that did (and whose stdout Maelstrom was still reading).
    pub printed_after_input: Vec<(String, u64)>,
    /// Bytes each node had printed after its last line end when the run ended, for the
    /// nodes that had.
    pub unended: Vec<(String, usize)>,
    /// The first reply a node sent to a node (its sender, and its `dest`), if one did:
    /// Maelstrom delivers it, and an echo node most often meant it for a client.
    pub reply_to_a_node: Option<(String, String)>,
    /// When timed-out requests were sent (seconds into the load), for the latency plot.
    pub timeout_marks: Vec<f64>,
    /// CPU time (user + system) of the driver during the load.
    pub driver_cpu: Duration,
    /// CPU time (user + system) of the nodes during the load, where the system says
    /// (Linux); `None` elsewhere.
    pub nodes_cpu: Option<Duration>,
    /// Latencies and throughput of the answered requests.
    pub recorder: Recorder,
    /// The network's journal: message counts, and the window `messages.svg` draws.
    pub(crate) journal: crate::journal::Journal,
}

impl Report {
    /// The verdict: Maelstrom's (every request answered, correctly: a run that sent none
    /// is valid, as Maelstrom's checkers pass an empty history), and under `--strict` the
    /// stricter checks too.
    pub fn valid(&self) -> bool {
        !self.faults.fail(self.config.strict) && self.availability_met()
    }

    /// Operations that completed `:ok`, as Maelstrom's history has them: every reply that
    /// is not an error, right or wrong (the workload's checker judges its value), but a
    /// malformed one.
    pub fn ok_ops(&self) -> u64 {
        let c = &self.counts;
        c.ok + c.wrong - c.malformed
    }

    /// The fraction of the requests invoked (sent) that completed `:ok`; 1 with none
    /// (maelstrom/checker.clj, `availability-checker`).
    pub fn ok_fraction(&self) -> f64 {
        match self.counts.sent {
            0 => 1.0,
            invoked => self.ok_ops() as f64 / invoked as f64,
        }
    }

    /// `--availability`, if given, is met.
    pub fn availability_met(&self) -> bool {
        self.config
            .availability
            .is_none_or(|a| a.met(self.ok_fraction()))
    }

    /// Requests that fell due and were never sent: the clients could not carry the rate.
    pub fn never_sent(&self) -> u64 {
        self.due.saturating_sub(self.counts.sent)
    }

    /// Answered requests per second of load; `None` for a load under a second, too short
    /// to say.
    pub fn throughput(&self) -> Option<f64> {
        (self.seconds >= 1.0).then(|| self.achieved())
    }

    /// Throughput however short the window: replies received within the load window, per
    /// second of it (the drain after it is not the load's); 0 for no load.
    pub fn achieved(&self) -> f64 {
        if self.seconds > 0.0 {
            self.recorder.in_window as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Requests the clients sent, per second of the load window (0 for no load).
    pub fn sent_rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.counts.sent as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Whether the latency counts from each request's scheduled time (open loop), not
    /// from its client's send (closed loop: there it is the service time as the client
    /// sees it).
    pub fn from_schedule(&self) -> bool {
        self.config.rate.is_some()
    }

    /// Service time at quantile `q`, in milliseconds: from each request's write to its
    /// node to its reply.
    pub fn service_ms(&self, q: f64) -> f64 {
        ms(&self.recorder.service, q)
    }

    /// Whether the driver's own delay before sending was large enough (its p99 over
    /// `DRIVER_LAG_MS`, 1 ms, with a client free for every request) that the latencies
    /// include it.
    pub fn driver_lagged(&self) -> bool {
        !self.clients_busy && ms(&self.recorder.wait, 0.99) > DRIVER_LAG_MS
    }

    /// Latency at quantile `q`, in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        ms(&self.recorder.latency, q)
    }

    /// The largest latency, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.latency_ms(1.0)
    }

    /// CPU time during the load per answered request, in microseconds: (driver, nodes);
    /// `None` when no request was answered (and for the nodes where it is not measured).
    pub fn cpu_per_request_us(&self) -> Option<(f64, Option<f64>)> {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.counts.ok as f64;
        (self.counts.ok > 0).then(|| (per(self.driver_cpu), self.nodes_cpu.map(per)))
    }

    /// The summary printed at the end of a run: every control character in it but its
    /// line ends escaped (what a node wrote is quoted in it, and never acts on the
    /// terminal).
    pub fn summary(&self) -> String {
        crate::words::printable(&self.summary_text(), true).into_owned()
    }

    /// How the run ended: valid, invalid, or aborted (Maelstrom would stop the test with
    /// no verdict).
    pub fn outcome(&self) -> Verdict {
        if self.faults.aborted().is_some() {
            Verdict::Aborted
        } else if self.valid() {
            Verdict::Valid
        } else {
            Verdict::Invalid
        }
    }
}

impl Output for Report {
    fn verdict(&self) -> Verdict {
        self.outcome()
    }

    fn interrupted(&self) -> Option<i32> {
        self.interrupted
    }

    fn summary(&self) -> String {
        Report::summary(self)
    }

    fn results_json(&self) -> serde_json::Value {
        Report::results_json(self)
    }

    /// `results.edn`, the plots, the pictures, and the timeline from the run's history
    /// once it is whole (off the load's path).
    fn files(&self, dir: &Path) -> Vec<(&'static str, Plot)> {
        let mut files = vec![
            ("results.edn", Ok(self.results_edn())),
            ("latency.svg", self.plot_latency()),
            (
                "latency-quantiles.svg",
                super::pictures::quantiles(&self.recorder, &self.config.describe()),
            ),
            ("throughput.svg", self.plot_throughput()),
            (
                "messages.svg",
                super::pictures::messages(&self.journal, self.recorder.start),
            ),
        ];
        if self.history_error.is_none() && dir.join("history.jsonl").is_file() {
            let timeline = super::pictures::timeline(dir, &self.config.describe())
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error>);
            files.push(("timeline.html", timeline));
        }
        files
    }

    /// The run's page: its verdict, summary, counts and pictures.
    fn page(&self) -> Page {
        let c = &self.counts;
        let (clients, servers) = (self.journal.clients(), self.journal.servers());
        let n = |x: u64| crate::words::thousands(x);
        let traffic = |name: &str, t: crate::journal::Traffic| {
            vec![name.to_owned(), n(t.sends), n(t.recvs), n(t.sends)]
        };
        let all = crate::journal::Traffic {
            sends: clients.sends + servers.sends,
            recvs: clients.recvs + servers.recvs,
        };
        let latency = |name: &str, h: &hdrhistogram::Histogram<u64>| {
            let mut row = vec![name.to_owned()];
            row.extend([0.5, 0.9, 0.99, 0.999, 1.0].map(|q| format!("{:.3}", ms(h, q))));
            row
        };
        super::pages::Page {
            title: format!("echo run: {}", self.config.describe()),
            shade: self.outcome().shade(),
            diagnosis: self
                .diagnosis()
                .iter()
                .map(|line| crate::words::printable(line, false).into_owned())
                .collect(),
            summary: self.summary(),
            tables: vec![
                (
                    "Requests".into(),
                    [
                        "due",
                        "sent",
                        "ok",
                        "failed",
                        "wrong",
                        "timed out",
                        "never sent",
                    ]
                    .map(String::from)
                    .to_vec(),
                    vec![vec![
                        n(self.due),
                        n(c.sent),
                        n(c.ok),
                        n(c.failed),
                        n(c.wrong),
                        n(c.timeouts),
                        n(self.never_sent()),
                    ]],
                ),
                (
                    "Network (results.edn :net)".into(),
                    ["", "sent", "received", "messages"]
                        .map(String::from)
                        .to_vec(),
                    vec![
                        traffic("all", all),
                        traffic("clients", clients),
                        traffic("servers", servers),
                    ],
                ),
                (
                    "Latency, ms".into(),
                    ["", "p50", "p90", "p99", "p99.9", "max"]
                        .map(String::from)
                        .to_vec(),
                    vec![
                        latency("from the schedule", &self.recorder.latency),
                        latency("service time", &self.recorder.service),
                    ],
                ),
            ],
            pictures: vec![
                "latency.svg",
                "latency-quantiles.svg",
                "throughput.svg",
                "messages.svg",
                "timeline.html",
            ],
        }
    }

    /// The history, when it could not be written.
    fn unwritten(&self) -> Vec<OutputError> {
        self.history_error.iter().cloned().collect()
    }
}

/// A driver's own delay before sending (its p99) past which a run says that its
/// latencies include it, in milliseconds.
pub const DRIVER_LAG_MS: f64 = 1.0;
