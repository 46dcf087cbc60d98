//! Stage 7: what a run measured and its verdict: counts, latency and wait percentiles
//! (HdrHistogram), throughput, CPU per request, the faults by kind; as a summary,
//! `results.json` and plots (latency of each request over time on a log scale, timeouts
//! marked; throughput over time, `--rate` drawn), like the ones Maelstrom leaves in its
//! store.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use plotters::prelude::*;
use serde_json::json;

use crate::chart::{PLOT_SIZE, legend};
use crate::config::Config;
use crate::counts::Counts;
use crate::edn;
use crate::fault::{Class, Faults, Kind};
use crate::files::{OutputError, Plot};
use crate::output::Output;
use crate::pages::Page;
use crate::record::{Recorder, ms};
use crate::verdict::Verdict;
use crate::words::{number, plural, short};

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
    /// Requests that fell due (see [`Load::due`](crate::drive::Load)).
    pub due: u64,
    /// The load window, in seconds (see [`Load::seconds`](crate::drive::Load)).
    pub seconds: f64,
    /// A request fell due while every client was busy (see
    /// [`Load::clients_busy`](crate::drive::Load)).
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
        !self.faults.fail(self.config.strict)
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
    /// [`DRIVER_LAG_MS`], with a client free for every request) that the latencies
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

    /// Which verdict the run gives.
    fn verdict_name(&self) -> &'static str {
        if self.config.strict {
            "--strict verdict (Maelstrom's and stricter)"
        } else {
            "Maelstrom's verdict"
        }
    }

    /// The summary printed at the end of a run: every control character in it but its
    /// line ends escaped (what a node wrote is quoted in it, and never acts on the
    /// terminal).
    pub fn summary(&self) -> String {
        crate::words::printable(&self.summary_text(), true).into_owned()
    }

    fn summary_text(&self) -> String {
        let mut s = String::new();
        let c = &self.counts;
        let _ = writeln!(
            s,
            "echo-load: {}; {}",
            self.config.describe(),
            self.verdict_name()
        );
        if let Some(signal) = self.interrupted {
            let _ = writeln!(
                s,
                "interrupted by {} after {:.2} s of load: what ran is below; {} outstanding \
                 then were abandoned, neither answered nor failed",
                crate::interrupt::name(signal),
                self.seconds,
                plural(c.abandoned, "request", "requests")
            );
        }
        let _ = writeln!(
            s,
            "ok {}  failed {}  wrong {}  timed out {}  skipped {}",
            c.ok, c.failed, c.wrong, c.timeouts, c.skipped
        );
        if c.skipped > 0 {
            let unsolicited = c.skipped - c.duplicate - c.misdirected;
            let _ = writeln!(
                s,
                "skipped messages: {} duplicate, {} misdirected, {} unsolicited",
                c.duplicate, c.misdirected, unsolicited
            );
        }
        let _ = writeln!(
            s,
            "requests: due {}  sent {}  never sent {}",
            self.due,
            c.sent,
            self.never_sent()
        );
        let cut_short = self.interrupted.is_some() || self.faults.ended();
        if let Some(rate) = self.config.rate
            && self.never_sent() > 0
            && !cut_short
        {
            let reached = c.sent as f64 / self.seconds.max(1e-9);
            let _ = writeln!(
                s,
                "warning: the asked rate was not sustained: {rate} requests/s asked, {reached:.0} sent ({}, each with one request outstanding)",
                plural(self.config.concurrency as u64, "client", "clients")
            );
        }
        let offered = match self.config.rate {
            Some(rate) => format!("offered {} requests/s (the schedule), ", number(rate)),
            None => String::new(),
        };
        match self.throughput() {
            Some(t) => {
                let _ = writeln!(
                    s,
                    "rates: {offered}sent {:.0} requests/s, throughput {t:.0} requests/s \
                     (replies within the {:.2} s load window)",
                    self.sent_rate(),
                    self.seconds
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "rates: {offered}sent {:.0} requests/s; throughput not measured: the \
                     load window was {:.2} s, under a second",
                    self.sent_rate(),
                    self.seconds
                );
            }
        }
        let l = &self.recorder.latency;
        let quantiles = |h: &hdrhistogram::Histogram<u64>| {
            format!(
                "min {:.3}  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
                ms(h, 0.0),
                ms(h, 0.5),
                ms(h, 0.9),
                ms(h, 0.99),
                ms(h, 0.999),
                ms(h, 1.0)
            )
        };
        let counted = match self.recorder.unanswered {
            0 => String::new(),
            n => format!(
                " (with the {} never answered, each at what it had waited when given up)",
                plural(n, "request", "requests")
            ),
        };
        if self.from_schedule() {
            let _ = writeln!(
                s,
                "latency from the schedule, ms: {}{counted}",
                quantiles(l)
            );
            let _ = writeln!(
                s,
                "service time from the write, ms: {}",
                quantiles(&self.recorder.service)
            );
        } else {
            let _ = writeln!(
                s,
                "service time from each client's send, ms: {}{counted}",
                quantiles(l)
            );
        }
        let w = &self.recorder.wait;
        let _ = writeln!(
            s,
            "waited in echo-load before sending, ms: p50 {:.3}  p99 {:.3}  max {:.3}; reply \
             times taken at each read of a node's stdout, each within {:.3} ms of it",
            ms(w, 0.5),
            ms(w, 0.99),
            ms(w, 1.0),
            self.recorder.stamp_error.as_secs_f64() * 1000.0
        );
        if self.driver_lagged() {
            let _ = writeln!(
                s,
                "note: requests waited in echo-load itself (p99 {:.3} ms, over {DRIVER_LAG_MS} \
                 ms): the latencies above include the driver's own delay",
                ms(w, 0.99)
            );
        }
        let _ = match self.cpu_per_request_us() {
            Some((driver, Some(nodes))) => writeln!(
                s,
                "cpu per request during the load: driver {driver:.2} us, nodes {nodes:.2} us"
            ),
            Some((driver, None)) => writeln!(
                s,
                "cpu per request during the load: driver {driver:.2} us (the nodes' is not \
                 measured on this system)"
            ),
            None => writeln!(s, "cpu per request: none measured, no request was answered"),
        };
        let nodes = self.config.node_count;
        let _ = if self.initialised == nodes {
            writeln!(
                s,
                "nodes: started and initialised in {:.2} s, stopped in {:.2} s",
                self.start_seconds, self.stop_seconds
            )
        } else {
            writeln!(
                s,
                "nodes: started in {:.2} s, {} of {nodes} initialised, stopped in {:.2} s",
                self.start_seconds, self.initialised, self.stop_seconds
            )
        };
        if let (Some(fds), Some(kib)) = (self.descriptors, self.peak_rss_kib) {
            let _ = writeln!(
                s,
                "driver: {fds} descriptors open, peak memory {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
        for section in [
            Class::Aborts,
            Class::StopsReading,
            Class::Fails,
            Class::StrictOnly,
        ] {
            self.list_faults(&mut s, section);
        }
        if !self.stderr.is_empty() {
            let _ = writeln!(s, "what the nodes at fault last wrote on stderr:");
            for (node, lines) in &self.stderr {
                for line in lines {
                    let _ = writeln!(s, "  {node}: {line}");
                }
            }
        }
        match (self.faults.aborted(), self.interrupted) {
            (Some(_), _) => {
                let _ = writeln!(s, "valid? unknown: Maelstrom would stop this test");
            }
            (None, Some(signal)) => {
                let name = crate::interrupt::name(signal);
                let _ = writeln!(s, "valid? {} (of what ran before {name})", self.valid());
            }
            (None, None) => {
                let _ = writeln!(s, "valid? {}", self.valid());
            }
        }
        s
    }

    /// Appends the faults of one section of the summary, the first few of each kind.
    fn list_faults(&self, s: &mut String, section: Class) {
        let kinds: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| k.class() == section && self.faults.count(*k) > 0)
            .collect();
        if kinds.is_empty() {
            return;
        }
        let heading = match section {
            Class::Aborts => "Maelstrom would stop this test",
            Class::StopsReading => "where Maelstrom stops reading a node's stdout",
            Class::Fails => "failures",
            Class::StrictOnly => "failures stricter than Maelstrom",
        };
        let _ = writeln!(s, "{heading}:");
        for kind in kinds {
            let count = self.faults.count(kind);
            let shown = self.faults.shown(kind).count() as u64;
            let more = if count > shown {
                format!(", first {shown} shown")
            } else {
                String::new()
            };
            let _ = writeln!(s, "  {} ({count}{more}):", kind.label());
            for fault in self.faults.shown(kind) {
                for (i, line) in fault.to_string().lines().enumerate() {
                    let indent = if i == 0 { "    " } else { "      " };
                    let _ = writeln!(s, "{indent}{line}");
                }
            }
        }
        if section == Class::StopsReading && !self.lost.is_empty() {
            let lost: Vec<String> = self
                .lost
                .iter()
                .map(|(node, n)| format!("{node} {}", plural(*n, "line", "lines")))
                .collect();
            let _ = writeln!(s, "  lost after it: {}", lost.join(", "));
        }
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

    /// `results.json`'s content.
    pub fn results_json(&self) -> serde_json::Value {
        let cpu = self.cpu_per_request_us();
        let (driver, nodes) = (cpu.map(|c| c.0), cpu.and_then(|c| c.1));
        let c = &self.counts;
        let l = &self.recorder.latency;
        let w = &self.recorder.wait;
        let faults: serde_json::Map<String, serde_json::Value> = Kind::ALL
            .into_iter()
            .filter(|k| self.faults.count(*k) > 0)
            .map(|k| (k.name().to_owned(), json!(self.faults.count(k))))
            .collect();
        let shown: Vec<serde_json::Value> = Kind::ALL
            .into_iter()
            .flat_map(|k| self.faults.shown(k))
            .map(|f| {
                json!({
                    "kind": f.kind().name(),
                    "strict_only": f.kind().strict_only(),
                    "text": f.to_string(),
                })
            })
            .collect();
        json!({
            "valid": self.valid(),
            "outcome": self.outcome().word(),
            "aborted": self.faults.aborted().map(|f| f.to_string()),
            "lost_lines": self.lost.iter().map(|(n, k)| (n.clone(), json!(k))).collect::<serde_json::Map<_, _>>(),
            "verdict": if self.config.strict { "strict" } else { "maelstrom" },
            "interrupted": self.interrupted.map(crate::interrupt::name),
            "stderr": self.stderr.iter().map(|(n, l)| (n.clone(), json!(l))).collect::<serde_json::Map<_, _>>(),
            "abandoned": c.abandoned,
            "settings": {
                "bin": self.config.bin.display().to_string(),
                "node_args": self.config.node_args,
                "nodes": self.config.node_count,
                "first_node": format!("n{}", self.config.first_node),
                "concurrency": self.config.concurrency,
                "rate": self.config.rate,
                "closed_loop": self.config.rate.is_none(),
                "payload": self.config.payload.to_string(),
                "time_limit_s": self.config.time_limit.as_secs_f64(),
                "timeout_ms": self.config.timeout.as_millis() as u64,
                "requests": self.config.requests,
                "seed": self.config.seed,
                "strict": self.config.strict,
                "latency_ms": self.config.latency_ms,
                "latency_dist": self.config.latency_dist.to_string(),
                "log_stderr": self.config.log_stderr,
                "history": self.config.history,
                "no_history": self.config.no_history,
                "workload": "echo",
            },
            "initialised": self.initialised,
            "requests": { "due": self.due, "sent": c.sent, "never_sent": self.never_sent() },
            "ok": c.ok,
            "failed": c.failed,
            "wrong": c.wrong,
            "timeouts": c.timeouts,
            "skipped": {
                "total": c.skipped,
                "duplicate": c.duplicate,
                "misdirected": c.misdirected,
                "unsolicited": c.skipped - c.duplicate - c.misdirected,
            },
            "forwarded": c.forwarded,
            "offered_rate": self.config.rate,
            "sent_rate": self.sent_rate(),
            "throughput": self.throughput(),
            "replies_in_window": self.recorder.in_window,
            "seconds": self.seconds,
            "latency_from": if self.from_schedule() { "schedule" } else { "send" },
            "unanswered_in_latency": self.recorder.unanswered,
            "reply_time_error_ms": self.recorder.stamp_error.as_secs_f64() * 1000.0,
            "driver_lagged": self.driver_lagged(),
            "service_ms": {
                "min": ms(&self.recorder.service, 0.0),
                "p50": ms(&self.recorder.service, 0.5),
                "p90": ms(&self.recorder.service, 0.9),
                "p99": ms(&self.recorder.service, 0.99),
                "p999": ms(&self.recorder.service, 0.999),
                "max": ms(&self.recorder.service, 1.0),
            },
            "latency_ms": {
                "min": ms(l, 0.0),
                "mean": if l.is_empty() { 0.0 } else { l.mean() / 1000.0 },
                "p50": ms(l, 0.5),
                "p90": ms(l, 0.9),
                "p99": ms(l, 0.99),
                "p999": ms(l, 0.999),
                "p9999": ms(l, 0.9999),
                "max": ms(l, 1.0),
            },
            "wait_ms": {
                "p50": ms(w, 0.5),
                "p90": ms(w, 0.9),
                "p99": ms(w, 0.99),
                "max": ms(w, 1.0),
            },
            "cpu_us_per_request": { "driver": driver, "nodes": nodes },
            "start_seconds": self.start_seconds,
            "stop_seconds": self.stop_seconds,
            "driver": { "descriptors": self.descriptors, "peak_rss_kib": self.peak_rss_kib },
            "faults": faults,
            "failures": shown,
            "run": self.config.describe(),
        })
    }

    /// `results.edn`: the checkers' results as Maelstrom composes them (core.clj: `:perf`,
    /// `:timeline`, `:exceptions`, `:stats`, `:net`, `:workload`, and `:valid?` over all),
    /// and echo-load's own figures (`results.json`'s) under `:echo-load`.
    pub(crate) fn results_edn(&self) -> String {
        let report = self;
        let c = &report.counts;
        // An operation is invoked when its request is written; it completes `:ok` (a reply,
        // right or wrong: the workload's checker judges its value), `:fail` (an error
        // reply), or `:info` (no definite outcome: a timeout, a malformed reply, a run
        // interrupted).
        let ok = c.ok + c.wrong - c.malformed;
        let fail = c.failed;
        let info = c.malformed + c.timeouts + c.abandoned;
        let count = ok + fail + info;
        // Jepsen's stats checker: each f is valid when some of its operations were ok.
        let stats_valid = count == 0 || ok > 0;
        let valid = if report.faults.aborted().is_some() {
            ":unknown"
        } else if report.valid() {
            "true"
        } else {
            "false"
        };
        let op_stats = |out: &mut String| {
            let _ = write!(
                out,
                ":count {count}, :ok-count {ok}, :fail-count {fail}, :info-count {info}"
            );
        };
        let mut s = String::new();
        s.push_str(
            "{:perf {:latency-graph {:valid? true}, :rate-graph {:valid? true}, :valid? true},\n",
        );
        s.push_str(" :timeline {:valid? true},\n :exceptions {:valid? true},\n");
        let _ = write!(s, " :stats {{:valid? {stats_valid}, ");
        op_stats(&mut s);
        s.push_str(", :by-f {");
        if count > 0 {
            let _ = write!(s, ":echo {{:valid? {}, ", ok > 0);
            op_stats(&mut s);
            s.push('}');
        }
        s.push_str("}},\n");
        let journal = &report.journal;
        let (clients, servers) = (journal.clients(), journal.servers());
        let invoked = c.sent;
        let traffic = |out: &mut String, sends: u64, recvs: u64, per_op: bool| {
            let _ = write!(
                out,
                "{{:send-count {sends}, :recv-count {recvs}, :msg-count {sends}"
            );
            if per_op && invoked > 0 {
                let _ = write!(
                    out,
                    ", :msgs-per-op {}",
                    edn::float(sends as f64 / invoked as f64)
                );
            }
            out.push('}');
        };
        s.push_str(" :net {:stats {:all ");
        traffic(
            &mut s,
            clients.sends + servers.sends,
            clients.recvs + servers.recvs,
            true,
        );
        s.push_str(",\n               :clients ");
        traffic(&mut s, clients.sends, clients.recvs, false);
        s.push_str(",\n               :servers ");
        traffic(&mut s, servers.sends, servers.recvs, true);
        s.push_str("},\n       :valid? true},\n");
        let errors: Vec<String> = crate::fault::Kind::ALL
            .into_iter()
            .filter(|k| !k.strict_only() || report.config.strict)
            .flat_map(|k| report.faults.shown(k))
            .map(|f| f.to_string())
            .collect();
        let _ = write!(s, " :workload {{:valid? {valid}, :errors (");
        for (i, e) in errors.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            edn::string(&mut s, e);
        }
        s.push_str(")},\n :echo-load ");
        edn::value(&mut s, &report.results_json());
        let _ = writeln!(s, ",\n :valid? {valid}}}");
        s
    }

    fn plot_latency(&self) -> Result<String, Box<dyn std::error::Error>> {
        let samples = &self.recorder.samples;
        let timeout_ms = self.config.timeout.as_secs_f64() * 1000.0;
        let end = samples
            .iter()
            .map(|p| p.0)
            .chain(self.timeout_marks.iter().copied())
            .fold(self.seconds, f64::max)
            // With nothing answered, a second's axis rather than a millisecond's.
            .max(if samples.is_empty() { 1.0 } else { 0.001 });
        let (lo, hi) = samples
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        // Room above the highest mark for the legend: a decade over the timeouts.
        let hi = if self.timeout_marks.is_empty() {
            hi * 1.5
        } else {
            hi.max(timeout_ms) * 10.0
        };
        let (lo, hi) = if samples.is_empty() {
            (0.001, hi.max(1.0))
        } else {
            (lo.max(0.001) / 1.5, hi)
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!("Latency of each request ({})", self.config.describe()),
                    ("sans-serif", 16),
                )
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..end, (lo..hi).log_scale())?;
            chart
                .configure_mesh()
                .x_desc("time since the load started (s)")
                .y_desc("latency (ms)")
                .y_label_formatter(&|ms| short(*ms))
                .draw()?;
            let answered = if samples.len() as u64 == self.recorder.seen {
                "answered".to_owned()
            } else {
                format!("answered (a sample of {})", samples.len())
            };
            chart
                .draw_series(
                    samples
                        .iter()
                        .map(|&(t, ms)| Circle::new((t, ms.max(lo)), 1, BLUE.mix(0.35).filled())),
                )?
                .label(answered)
                .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
            if !self.timeout_marks.is_empty() {
                chart
                    .draw_series(
                        self.timeout_marks
                            .iter()
                            .map(|&t| Cross::new((t, timeout_ms), 6, RED.stroke_width(2))),
                    )?
                    .label(format!(
                        "timed out ({}), at the time it was sent",
                        self.counts.timeouts
                    ))
                    .legend(|(x, y)| Cross::new((x + 10, y), 4, RED.stroke_width(2)));
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
            root.present()?;
        }
        Ok(svg)
    }

    fn plot_throughput(&self) -> Result<String, Box<dyn std::error::Error>> {
        // Every whole second of the load, silent ones at zero; a last partial second
        // would read as a drop.
        let seconds = (self.seconds.floor() as usize).max(1);
        let mut per_second = self.recorder.per_second.clone();
        per_second.resize(seconds, 0);
        let rate = self.config.rate.unwrap_or(0.0);
        let top = (per_second.iter().copied().max().unwrap_or(0) as f64)
            .max(rate)
            .max(1.0)
            * 1.1;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!("Throughput ({})", self.config.describe()),
                    ("sans-serif", 16),
                )
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(80)
                .build_cartesian_2d(0f64..(seconds as f64), 0f64..top)?;
            chart
                .configure_mesh()
                .x_desc("time since the load started (s)")
                .y_desc("requests answered per second")
                .y_label_formatter(&|n| short(*n))
                .draw()?;
            chart
                .draw_series(LineSeries::new(
                    per_second
                        .iter()
                        .enumerate()
                        .flat_map(|(s, &n)| [(s as f64, n as f64), (s as f64 + 1.0, n as f64)]),
                    BLUE.stroke_width(2),
                ))?
                .label("answered per second")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
            // The asked rate on top, dashed: where the two are equal, both show.
            if let Some(rate) = self.config.rate {
                let red = RED.stroke_width(1);
                chart
                    .draw_series(DashedLineSeries::new(
                        [(0.0, rate), (seconds as f64, rate)],
                        8,
                        6,
                        red,
                    ))?
                    .label(format!("--rate {rate}"))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 8, y)], red));
            }
            legend(&mut chart, SeriesLabelPosition::LowerRight)?;
            root.present()?;
        }
        Ok(svg)
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
                crate::pictures::quantiles(&self.recorder, &self.config.describe()),
            ),
            ("throughput.svg", self.plot_throughput()),
            (
                "messages.svg",
                crate::pictures::messages(&self.journal, self.recorder.start),
            ),
        ];
        if self.history_error.is_none() && dir.join("history.jsonl").is_file() {
            let timeline = crate::pictures::timeline(dir, &self.config.describe())
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
        crate::pages::Page {
            title: format!("echo run: {}", self.config.describe()),
            shade: self.outcome().shade(),
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
