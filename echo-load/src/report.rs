//! Stage 5: what a run measured and its verdict: counts, latency percentiles
//! (HdrHistogram), throughput, CPU per request; as a summary, `results.json` and plots
//! (latency of each request over time, on a log scale, and throughput over time), like
//! the ones Maelstrom leaves in its store.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use plotters::prelude::*;
use serde_json::json;

use crate::send::Rng;

/// At most this many requests are drawn in the latency plot (a uniform sample of all).
const PLOT_POINTS: usize = 4_000;

/// Records each answered request as it comes.
#[derive(Debug)]
pub struct Recorder {
    start: Instant,
    /// Latency in microseconds.
    latency: Histogram<u64>,
    /// Requests answered in each second of the run.
    per_second: Vec<u64>,
    /// (seconds into the run, latency in ms) of a uniform sample (reservoir) of requests.
    samples: Vec<(f64, f64)>,
    seen: u64,
    rng: Rng,
    /// When the last request was answered.
    last: Instant,
}

impl Recorder {
    pub fn new(start: Instant, seed: u64) -> Self {
        Recorder {
            start,
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
            per_second: Vec::new(),
            samples: Vec::with_capacity(PLOT_POINTS),
            seen: 0,
            rng: Rng::new(seed),
            last: start,
        }
    }

    /// A request that fell due at `due` was answered at `now`.
    pub fn answered(&mut self, due: Instant, now: Instant) {
        let micros = now.saturating_duration_since(due).as_micros() as u64;
        self.latency.saturating_record(micros.max(1));
        let at = now.saturating_duration_since(self.start).as_secs_f64();
        let second = at as usize;
        if self.per_second.len() <= second {
            self.per_second.resize(second + 1, 0);
        }
        self.per_second[second] += 1;
        self.seen += 1;
        self.last = now;
        let point = (at, micros as f64 / 1000.0);
        if self.samples.len() < PLOT_POINTS {
            self.samples.push(point);
        } else {
            let k = (self.rng.next_u64() % self.seen) as usize;
            if k < PLOT_POINTS {
                self.samples[k] = point;
            }
        }
    }

    /// When the last request was answered (the start, before any).
    pub fn last_answer(&self) -> Instant {
        self.last
    }

    /// Requests answered so far.
    pub fn count(&self) -> u64 {
        self.seen
    }
}

/// The outcome of a run.
#[derive(Debug)]
pub struct Report {
    /// What was run, for the summary's first line.
    pub what: String,
    pub ok: u64,
    /// Requests answered with an error.
    pub failed: u64,
    /// Requests not answered within the timeout.
    pub timeouts: u64,
    /// Replies that came after their request had timed out.
    pub late: u64,
    /// Seconds of load.
    pub seconds: f64,
    /// The first thing that made the run invalid, if any.
    pub failure: Option<String>,
    /// CPU time (user + system) of the driver during the load, and of the nodes.
    pub driver_cpu: Duration,
    pub nodes_cpu: Duration,
    pub recorder: Recorder,
}

impl Report {
    /// Maelstrom's verdict: every request answered, correctly, and at least one made.
    pub fn valid(&self) -> bool {
        self.failure.is_none() && self.failed == 0 && self.timeouts == 0 && self.ok > 0
    }

    /// Answered requests per second of load.
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }

    /// Latency at quantile `q`, in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.recorder.latency.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.recorder.latency.max() as f64 / 1000.0
    }

    /// CPU time per answered request, in microseconds: (driver, nodes).
    pub fn cpu_per_request_us(&self) -> (f64, f64) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.ok.max(1) as f64;
        (per(self.driver_cpu), per(self.nodes_cpu))
    }

    /// The summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let (driver, nodes) = self.cpu_per_request_us();
        let _ = writeln!(s, "echo-load: {}", self.what);
        let _ = writeln!(
            s,
            "ok {}  failed {}  timed out {}{}",
            self.ok,
            self.failed,
            self.timeouts,
            if self.late > 0 {
                format!("  (late replies {})", self.late)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "throughput {:.0} requests/s over {:.2} s",
            self.throughput(),
            self.seconds
        );
        let _ = writeln!(
            s,
            "latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
            self.latency_ms(0.5),
            self.latency_ms(0.9),
            self.latency_ms(0.99),
            self.latency_ms(0.999),
            self.max_ms()
        );
        let _ = writeln!(
            s,
            "cpu per request: driver {driver:.2} us, nodes {nodes:.2} us"
        );
        if let Some(failure) = &self.failure {
            let _ = writeln!(s, "failure: {failure}");
        }
        let _ = writeln!(s, "valid? {}", self.valid());
        s
    }

    /// `results.json`'s content.
    pub fn results_json(&self) -> serde_json::Value {
        let (driver, nodes) = self.cpu_per_request_us();
        json!({
            "valid": self.valid(),
            "ok": self.ok,
            "failed": self.failed,
            "timeouts": self.timeouts,
            "late": self.late,
            "throughput": self.throughput(),
            "seconds": self.seconds,
            "latency_ms": {
                "p50": self.latency_ms(0.5),
                "p90": self.latency_ms(0.9),
                "p99": self.latency_ms(0.99),
                "p999": self.latency_ms(0.999),
                "max": self.max_ms(),
            },
            "cpu_us_per_request": { "driver": driver, "nodes": nodes },
            "failure": self.failure,
            "run": self.what,
        })
    }

    /// Writes `results.json`, `latency.svg` and `throughput.svg` into `dir`.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_string_pretty(&self.results_json()).map_err(io::Error::other)?;
        std::fs::write(dir.join("results.json"), text + "\n")?;
        self.plot_latency(&dir.join("latency.svg"))
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.plot_throughput(&dir.join("throughput.svg"))
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(())
    }

    fn plot_latency(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let samples = &self.recorder.samples;
        let end = samples
            .iter()
            .map(|p| p.0)
            .fold(self.seconds, f64::max)
            .max(0.001);
        let (lo, hi) = samples
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        let (lo, hi) = if samples.is_empty() {
            (0.001, 1.0)
        } else {
            (lo.max(0.001) / 1.5, hi * 1.5)
        };
        let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Latency of each request ({})", self.what),
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..end, (lo..hi).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("latency (ms)")
            .y_label_formatter(&|ms| short(*ms))
            .draw()?;
        chart.draw_series(
            samples
                .iter()
                .map(|&(t, ms)| Circle::new((t, ms.max(lo)), 1, BLUE.mix(0.35).filled())),
        )?;
        root.present()?;
        Ok(())
    }

    fn plot_throughput(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        // Whole seconds of the run only: a last partial second would read as a drop.
        let whole = (self.seconds.floor() as usize).clamp(1, self.recorder.per_second.len().max(1));
        let per_second = &self.recorder.per_second[..whole.min(self.recorder.per_second.len())];
        let top = per_second.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
        let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Throughput ({})", self.what), ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..(per_second.len().max(1) as f64), 0f64..top)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("requests answered per second")
            .y_label_formatter(&|n| short(*n))
            .draw()?;
        chart.draw_series(LineSeries::new(
            per_second
                .iter()
                .enumerate()
                .flat_map(|(s, &n)| [(s as f64, n as f64), (s as f64 + 1.0, n as f64)]),
            &BLUE,
        ))?;
        root.present()?;
        Ok(())
    }
}

/// A number for an axis label: 3 significant digits at most, with k or M for thousands
/// and millions (`0.05`, `0.3`, `12`, `950k`, `1.2M`).
fn short(x: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    match x.abs() {
        a if a >= 1e6 => format!("{}M", trim(format!("{:.2}", x / 1e6))),
        a if a >= 1e4 => format!("{}k", trim(format!("{:.1}", x / 1e3))),
        a if a >= 100.0 || a == 0.0 => format!("{x:.0}"),
        a => {
            let decimals = (2.0 - a.log10().floor()).max(0.0) as usize;
            trim(format!("{x:.decimals$}"))
        }
    }
}

/// Progress while a run goes: a bar when stderr is a terminal, a plain line a second
/// otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last: Instant,
    last_count: u64,
    enabled: bool,
}

impl Progress {
    /// `total` is the planned length of the load; `enabled` false prints nothing.
    pub fn new(total: Duration, enabled: bool) -> Self {
        let bar = (enabled && io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total.as_millis() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            last: Instant::now(),
            last_count: 0,
            enabled,
        }
    }

    /// Called often; reports about once a second.
    pub fn tick(&mut self, elapsed: Duration, done: u64, now: Instant) {
        let since = now.saturating_duration_since(self.last);
        if !self.enabled || since < Duration::from_secs(1) {
            return;
        }
        let rate = (done - self.last_count) as f64 / since.as_secs_f64();
        self.last = now;
        self.last_count = done;
        let msg = format!("{done} requests, {rate:.0}/s");
        match &self.bar {
            Some(bar) => {
                bar.set_position(elapsed.as_millis() as u64);
                bar.set_message(msg);
            }
            None => {
                let _ = writeln!(
                    io::stderr(),
                    "echo-load: {:.1} s, {msg}",
                    elapsed.as_secs_f64()
                );
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn axis_labels_are_short() {
        for (x, label) in [
            (0.30000000000000004, "0.3"),
            (0.05, "0.05"),
            (0.123456, "0.123"),
            (1.0, "1"),
            (12.5, "12.5"),
            (250.0, "250"),
            (0.0, "0"),
            (950_000.0, "950k"),
            (1_000_000.0, "1M"),
            (1_250_000.0, "1.25M"),
        ] {
            assert_eq!(short(x), label, "{x}");
        }
    }
}
