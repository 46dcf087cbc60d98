//! What a capacity search shows and keeps: its summary, `results.json`, `capacity.svg`
//! and its page, as an [`Output`].

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use serde_json::json;

use super::{Capacity, Step};
use crate::files::{OutputError, Plot};
use crate::output::{Output, PLOT_SIZE, Page, Verdict, legend};
use crate::words::{plural, short, thousands};

impl Capacity {
    /// The summary printed at the end (escaped as [`Report::summary`](crate::Report::summary) is).
    pub fn summary(&self) -> String {
        crate::words::printable(&self.summary_text(), true).into_owned()
    }

    fn summary_text(&self) -> String {
        let mut s = String::new();
        if let Some(failed) = &self.first_invalid {
            let _ = writeln!(s, "the first step that was not valid:\n{failed}");
        }
        let _ = writeln!(
            s,
            "echo-load: capacity of {}: the highest open-loop rate with p99 within {} ms, \
             every request sent, and Maelstrom's verdict valid, in each of {} a step",
            self.describe(),
            short(self.p99_max_ms),
            plural(self.repeats as u64, "run", "runs")
        );
        if let Some(signal) = self.interrupted {
            let _ = writeln!(
                s,
                "interrupted by {}: the steps that finished are below",
                crate::interrupt::name(signal)
            );
        }
        let _ = writeln!(
            s,
            "  {:>12}  {:>13}  {:>10}  {:>10}  {:>6}  verdict",
            "offered/s", "throughput/s", "p50 ms", "p99 ms", "passed"
        );
        for step in &self.steps {
            let _ = writeln!(
                s,
                "  {:>12}  {:>13}  {:>10}  {:>10}  {:>6}  {}{}",
                rate(step.offered),
                rate(step.throughput),
                short(step.p50_ms),
                short(step.p99_ms),
                format!("{}/{}", step.passed_runs, step.runs),
                step.outcome,
                step.failed
                    .as_ref()
                    .map_or_else(|| ", passed".to_owned(), |why| format!(": {why}")),
            );
        }
        if let Some(step) = self.steps.iter().find(|s| s.outcome == Verdict::Aborted) {
            let _ = writeln!(
                s,
                "capacity: none: the step at {} requests/s was aborted (Maelstrom would stop \
                 that test), so the search stopped there; see the first step that was not \
                 valid, above",
                rate(step.offered)
            );
            return s;
        }
        self.capacity_lines(&mut s);
        // Unsent requests with the verdict valid and p99 within bound: the clients, not
        // the node, were the limit.
        if self
            .steps
            .iter()
            .any(|s| s.unsent > 0 && s.outcome == Verdict::Valid && s.p99_ms <= self.p99_max_ms)
        {
            let _ = writeln!(
                s,
                "requests went unsent while p99 was within bound: {} could not carry \
                 the rate; give more (--concurrency)",
                plural(self.config.concurrency as u64, "client", "clients")
            );
        }
        s
    }

    /// The capacity found (with the rate that failed above it, and its CPU), or that
    /// none was.
    fn capacity_lines(&self, s: &mut String) {
        match (self.best(), self.first_bad()) {
            (Some(best), bad) => {
                let _ = write!(
                    s,
                    "capacity: {} requests/s, passed in {} of {} (p50 {} ms, p99 {} to {} \
                     ms over them)",
                    rate(best.offered),
                    best.passed_runs,
                    plural(best.runs as u64, "run", "runs"),
                    short(best.p50_ms),
                    short(best.p99_range.0),
                    short(best.p99_range.1)
                );
                match bad {
                    Some(bad) => {
                        let _ = writeln!(
                            s,
                            "; {} requests/s failed: the capacity lies between, {:.1}% apart",
                            rate(bad),
                            (bad / best.offered - 1.0) * 100.0
                        );
                    }
                    None => {
                        let _ = writeln!(s, "; no step failed");
                    }
                }
                if let Some((driver, nodes)) = best.cpu_us {
                    let nodes = nodes.map_or_else(
                        || "not measured on this system".to_owned(),
                        |n| format!("{n:.2} us"),
                    );
                    let _ = writeln!(
                        s,
                        "cpu per request at the capacity: driver {driver:.2} us, nodes {nodes}"
                    );
                }
            }
            (None, _) => {
                let _ = writeln!(
                    s,
                    "capacity: not found: every step failed, the lowest at {} requests/s",
                    self.steps
                        .iter()
                        .map(|s| s.offered)
                        .min_by(f64::total_cmp)
                        .map_or_else(|| "no".to_owned(), short)
                );
            }
        }
    }

    /// `results.json`'s content: `capacity`.
    pub fn results_json(&self) -> serde_json::Value {
        let best = self.best();
        json!({
            "run": self.describe(),
            "outcome": self.outcome().word(),
            "interrupted": self.interrupted.map(crate::interrupt::name),
            "repeats": self.repeats,
            "capacity": {
                "rate": best.map(|s| s.offered),
                "p99_ms_range": best.map(|s| [s.p99_range.0, s.p99_range.1]),
                "cpu_us_per_request": best.and_then(|s| s.cpu_us).map(|(d, n)| json!({"driver": d, "nodes": n})),
                "p50_ms": best.map(|s| s.p50_ms),
                "p99_ms": best.map(|s| s.p99_ms),
                "p99_max_ms": self.p99_max_ms,
                "first_failed_rate": self.first_bad(),
                "steps": self.steps.iter().map(|s| json!({
                    "offered": s.offered,
                    "throughput": s.throughput,
                    "p50_ms": s.p50_ms,
                    "p99_ms": s.p99_ms,
                    "p99_ms_range": [s.p99_range.0, s.p99_range.1],
                    "runs": s.runs,
                    "passed_runs": s.passed_runs,
                    "cpu_us_per_request": s.cpu_us.map(|(d, n)| json!({"driver": d, "nodes": n})),
                    "outcome": s.outcome.word(),
                    "unsent": s.unsent,
                    "passed": s.passed(),
                    "failed": s.failed,
                })).collect::<Vec<_>>(),
            },
        })
    }

    /// p50 and p99 against the offered rate (the throughput-latency curve), the bound and
    /// the capacity marked.
    fn plot(&self) -> Plot {
        let mut steps = self.steps.clone();
        steps.sort_by(|a, b| a.offered.total_cmp(&b.offered));
        let (x_lo, x_hi) = match (steps.first(), steps.last()) {
            (Some(a), Some(b)) => (a.offered / 1.3, b.offered * 1.3),
            _ => (1.0, 10.0),
        };
        let y_lo = steps
            .iter()
            .map(|s| s.p50_ms)
            .filter(|x| *x > 0.0)
            .fold(self.p99_max_ms, f64::min)
            .max(0.001)
            / 2.0;
        let y_hi = steps
            .iter()
            .map(|s| s.p99_ms)
            .fold(self.p99_max_ms, f64::max)
            * 3.0;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!("Latency against offered rate ({})", self.describe()),
                    ("sans-serif", 14),
                )
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(70)
                .build_cartesian_2d((x_lo..x_hi).log_scale(), (y_lo..y_hi).log_scale())?;
            chart
                .configure_mesh()
                .x_desc("offered rate (requests/s)")
                .y_desc("latency (ms)")
                .x_label_formatter(&|x| short(*x))
                .y_label_formatter(&|y| short(*y))
                .draw()?;
            for (q, color, name) in [(0.5, BLUE, "p50"), (0.99, RED, "p99")] {
                let at = |s: &Step| if q == 0.5 { s.p50_ms } else { s.p99_ms };
                chart
                    .draw_series(LineSeries::new(
                        steps.iter().map(|s| (s.offered, at(s).max(y_lo))),
                        color.stroke_width(2),
                    ))?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart.draw_series(steps.iter().map(|s| {
                    let style = if s.passed() {
                        color.filled()
                    } else {
                        color.stroke_width(1)
                    };
                    Circle::new((s.offered, at(s).max(y_lo)), 4, style)
                }))?;
            }
            let bound = BLACK.stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_lo, self.p99_max_ms), (x_hi, self.p99_max_ms)],
                    8,
                    6,
                    bound,
                ))?
                .label(format!("--p99-max {} ms", short(self.p99_max_ms)))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 8, y)], bound));
            if let Some(rate) = self.rate() {
                let mark = GREEN.stroke_width(2);
                chart
                    .draw_series(LineSeries::new([(rate, y_lo), (rate, y_hi)], mark))?
                    .label(format!("capacity {}/s", short(rate)))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], mark));
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
            root.present()?;
        }
        Ok(svg)
    }
}

/// A rate for the table: whole and with thousands separated from 1,000 on, with three
/// significant digits below.
fn rate(x: f64) -> String {
    if x >= 1000.0 {
        thousands(x.round() as u64)
    } else {
        short(x)
    }
}

impl Output for Capacity {
    fn verdict(&self) -> Verdict {
        self.outcome()
    }

    fn interrupted(&self) -> Option<i32> {
        self.interrupted
    }

    fn summary(&self) -> String {
        Capacity::summary(self)
    }

    fn results_json(&self) -> serde_json::Value {
        Capacity::results_json(self)
    }

    /// `capacity.svg`.
    fn files(&self, _dir: &Path) -> Vec<(&'static str, Plot)> {
        vec![("capacity.svg", self.plot())]
    }

    /// Its summary and picture, and a link to each run's folder.
    fn page(&self) -> Page {
        Page {
            title: format!("echo capacity search: {}", self.config.describe()),
            shade: self.outcome().shade(),
            diagnosis: Vec::new(),
            summary: self.summary(),
            tables: Vec::new(),
            pictures: vec!["capacity.svg"],
        }
    }

    /// Its runs' outputs that could not be written.
    fn unwritten(&self) -> Vec<OutputError> {
        self.unwritten.clone()
    }
}
