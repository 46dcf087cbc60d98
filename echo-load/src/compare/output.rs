//! What a comparison shows and keeps: its summary, `results.json`, `compare.svg` and its
//! page, as an [`Output`].

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use serde_json::json;

use super::{Comparison, Round, Spread};
use crate::files::{OutputError, Plot};
use crate::output::{Output, PLOT_SIZE, Page, Verdict, legend};
use crate::words::{plural, short, thousands};

/// A ratio or a measure with three significant digits.
pub(super) fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (2.0 - x.abs().log10().floor()).clamp(0.0, 12.0) as usize;
    format!("{x:.decimals$}")
}

/// `median ± spread`: the median to three significant digits, and both to as many
/// decimals as the spread needs for one (in whole units with thousands separated, from
/// 1,000 on).
pub(super) fn pm(s: &Spread) -> String {
    if s.median >= 1000.0 && s.median.is_finite() {
        let whole = |x: f64| thousands(x.round() as u64);
        return format!("{} ± {}", whole(s.median), whole(s.spread));
    }
    if s.median == 0.0 || !s.median.is_finite() || !s.spread.is_finite() {
        return format!("{} ± {}", sig(s.median), sig(s.spread));
    }
    let places = |x: f64, digits: f64| (digits - 1.0 - x.abs().log10().floor()).clamp(0.0, 12.0);
    let spread_places = if s.spread > 0.0 {
        places(s.spread, 1.0)
    } else {
        0.0
    };
    let decimals = places(s.median, 3.0).max(spread_places) as usize;
    format!("{:.decimals$} ± {:.decimals$}", s.median, s.spread)
}

impl Comparison {
    /// The summary printed at the end (escaped as [`Report::summary`](crate::Report::summary) is).
    pub fn summary(&self) -> String {
        crate::words::printable(&self.summary_text(), true).into_owned()
    }

    fn summary_text(&self) -> String {
        let mut s = String::new();
        for node in &self.nodes {
            if let Some(failed) = &node.failed {
                let _ = writeln!(s, "{}: its run that was not valid:\n{failed}", node.label);
            }
        }
        let workload = self.nodes.first().map_or_else(String::new, |n| {
            let nodes = plural(n.config.node_count as u64, "node", "nodes");
            format!("{nodes} each, {}", n.config.workload())
        });
        let _ = writeln!(
            s,
            "echo-load: compared {} over {} of {workload}, alternated; Maelstrom's verdict \
             for every run",
            plural(self.nodes.len() as u64, "command", "commands"),
            plural(self.rounds as u64, "round", "rounds"),
        );
        if let Some(signal) = self.interrupted {
            let _ = writeln!(
                s,
                "interrupted by {}: the rounds that finished are below",
                crate::interrupt::name(signal)
            );
        }
        let open = self.open_loop();
        self.node_lines(&mut s, open);
        self.drift_lines(&mut s, open);
        self.ratio_lines(&mut s, open);
        s
    }

    /// Each node's verdict and what it measured: latency under an open loop (`open`), else throughput.
    fn node_lines(&self, s: &mut String, open: bool) {
        let width = self
            .nodes
            .iter()
            .map(|n| n.label.chars().count())
            .max()
            .unwrap_or(0);
        for node in &self.nodes {
            let ran = plural(node.rounds.len() as u64, "round", "rounds");
            let measured = if !node.valid() {
                match node.rounds.len() {
                    0 => "(stopped before its first round)".to_owned(),
                    n => format!("round {n} was {}: no speed is given", node.outcome()),
                }
            } else if open {
                let (p50, p99) = (node.p50_ms(), node.p99_ms());
                match (p50, p99) {
                    (Some(p50), Some(p99)) => {
                        format!("p50 {} ms, p99 {} ms ({ran})", pm(&p50), pm(&p99))
                    }
                    _ => String::new(),
                }
            } else {
                node.throughput()
                    .map_or_else(String::new, |t| format!("{} requests/s ({ran})", pm(&t)))
            };
            let _ = writeln!(
                s,
                "  {:width$}  {:8} {measured}",
                node.label,
                node.outcome()
            );
        }
    }

    /// Each node whose figure moved one way round after round.
    fn drift_lines(&self, s: &mut String, open: bool) {
        for node in &self.nodes {
            if let Some(d) = node.drift(open) {
                let (what, unit) = if open {
                    ("p50 latency", " ms")
                } else {
                    ("throughput", " requests/s")
                };
                let way = if d.rising { "rose" } else { "fell" };
                let value = |x: f64| {
                    if open {
                        sig(x)
                    } else {
                        thousands(x.round() as u64)
                    }
                };
                let _ = writeln!(
                    s,
                    "{}: its {what} {way} round after round, {}{unit} to {}{unit}: a trend, \
                     not noise, which its median and spread do not describe",
                    node.label,
                    value(d.first),
                    value(d.last)
                );
            }
        }
    }

    /// Each node's ratio to the first, round by round.
    fn ratio_lines(&self, s: &mut String, open: bool) {
        if let Some((first, rest)) = self.nodes.split_first()
            && !rest.is_empty()
        {
            for node in rest {
                let line = if first.rounds.is_empty() {
                    format!("{}: no ratio, {} did not run", node.label, first.label)
                } else if !first.valid() {
                    format!("{}: no ratio, {} is not valid", node.label, first.label)
                } else if node.rounds.is_empty() {
                    format!("{}: no ratio, it did not run", node.label)
                } else if !node.valid() {
                    format!("{}: no ratio, it is not valid", node.label)
                } else if open {
                    let p50 = node.ratio(first, |r| r.p50_ms);
                    let p99 = node.ratio(first, |r| r.p99_ms);
                    match (p50, p99) {
                        (Some(p50), Some(p99)) => format!(
                            "{}: p50 {} times, p99 {} times {}'s",
                            node.label,
                            pm(&p50),
                            pm(&p99),
                            first.label
                        ),
                        _ => continue,
                    }
                } else {
                    match node.ratio(first, |r| r.throughput) {
                        Some(r) => format!(
                            "{}: {} times {}'s throughput",
                            node.label,
                            pm(&r),
                            first.label
                        ),
                        None => continue,
                    }
                };
                let _ = writeln!(s, "{line}");
            }
            let _ = writeln!(
                s,
                "(median ± median absolute deviation over the rounds; ratios round by round)"
            );
        }
    }

    /// `results.json`'s content: `compare`, one entry a node in the order given.
    pub fn results_json(&self) -> serde_json::Value {
        let first = self.nodes.first();
        let entries: Vec<serde_json::Value> = self
            .nodes
            .iter()
            .map(|n| {
                let spread = |s: Option<Spread>| s.map(|s| s.json());
                let ratio = |f: fn(&Round) -> f64| first.and_then(|first| n.ratio(first, f));
                let throughput = n.throughput();
                json!({
                    "label": n.label,
                    "bin": n.config.bin.display().to_string(),
                    "node_args": n.config.node_args,
                    "valid": n.valid(),
                    "outcome": n.outcome().word(),
                    "rounds": n.rounds.len(),
                    "drift": n.drift(self.open_loop()).map(|d| json!({
                        "way": if d.rising { "rising" } else { "falling" },
                        "first": d.first,
                        "last": d.last,
                    })),
                    "throughput_median": throughput.map(|t| t.median),
                    "throughput_spread": throughput.map(|t| t.spread),
                    "throughput": spread(throughput),
                    "p50_ms": spread(n.p50_ms()),
                    "p99_ms": spread(n.p99_ms()),
                    "p50_ms_median": n.p50_ms().map(|t| t.median),
                    "p99_ms_median": n.p99_ms().map(|t| t.median),
                    "ratio_to_first": {
                        "throughput": spread(ratio(|r| r.throughput)),
                        "p50_ms": spread(ratio(|r| r.p50_ms)),
                        "p99_ms": spread(ratio(|r| r.p99_ms)),
                    },
                    "cpu_us_per_request": {
                        "driver": spread(n.of(|r| r.driver_cpu_us.unwrap_or(f64::NAN))),
                        "nodes": spread(n.of(|r| r.nodes_cpu_us.unwrap_or(f64::NAN))),
                    },
                    "per_round": n.rounds.iter().map(|r| json!({
                        "outcome": r.outcome.word(),
                        "throughput": r.throughput,
                        "p50_ms": r.p50_ms,
                        "p99_ms": r.p99_ms,
                        "cpu_us_per_request": { "driver": r.driver_cpu_us, "nodes": r.nodes_cpu_us },
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "outcome": self.outcome().word(),
            "valid": self.outcome() == Verdict::Valid,
            "rounds": self.rounds,
            "spread": "median absolute deviation over the rounds",
            "interrupted": self.interrupted.map(crate::interrupt::name),
            "workload": first.map(|n| n.config.workload()),
            "compare": entries,
        })
    }

    /// Throughput per node (median, the rounds' range as a bar, each round a dot) beside
    /// the latency distributions over all rounds, overlaid.
    fn plot(&self) -> Result<String, Box<dyn std::error::Error>> {
        let mut svg = String::new();
        {
            let (w, h) = PLOT_SIZE;
            let root = SVGBackend::with_string(&mut svg, (w + 300, h)).into_drawing_area();
            root.fill(&WHITE)?;
            let (left, right) = root.split_horizontally(w / 2 + 150);
            let right = right.margin(0, 0, 0, 24);
            let n = self.nodes.len();
            let top = self
                .nodes
                .iter()
                .flat_map(|c| c.rounds.iter().map(|r| r.throughput))
                .fold(1.0f64, f64::max)
                * 1.15;
            let mut chart = ChartBuilder::on(&left)
                .caption("Throughput, each round", ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(70)
                .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
            let labels: Vec<String> = self.nodes.iter().map(|c| c.label.clone()).collect();
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n)
                .x_label_formatter(&|x| {
                    let i = x.round();
                    if (x - i).abs() < 1e-6 && i >= 0.0 {
                        labels.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .y_desc("requests answered per second")
                .y_label_formatter(&|y| short(*y))
                .draw()?;
            for (i, node) in self.nodes.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                let x = i as f64;
                if let Some(t) = Spread::of(node.rounds.iter().map(|r| r.throughput)) {
                    chart.draw_series([Rectangle::new(
                        [(x - 0.25, 0.0), (x + 0.25, t.median)],
                        color.mix(if node.valid() { 0.35 } else { 0.1 }).filled(),
                    )])?;
                    chart.draw_series([PathElement::new(
                        [(x, t.min), (x, t.max)],
                        BLACK.stroke_width(2),
                    )])?;
                }
                chart.draw_series(
                    node.rounds
                        .iter()
                        .map(|r| Circle::new((x, r.throughput), 3, color.filled())),
                )?;
            }
            let lo = self
                .nodes
                .iter()
                .map(|c| c.latency_ms(0.0))
                .filter(|x| *x > 0.0)
                .fold(f64::MAX, f64::min)
                .clamp(0.001, 1.0);
            let hi = self
                .nodes
                .iter()
                .map(|c| c.latency_ms(1.0))
                .fold(lo * 10.0, f64::max)
                * 2.0;
            let mut chart = ChartBuilder::on(&right)
                .caption("Latency distribution, all rounds", ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..NINES, (lo..hi).log_scale())?;
            chart
                .configure_mesh()
                .x_desc("percentile")
                .x_labels(5)
                .x_label_formatter(&|x| percentile_label(*x))
                .y_desc("latency (ms)")
                .y_label_formatter(&|ms| short(*ms))
                .draw()?;
            for (i, node) in self.nodes.iter().enumerate() {
                if node.latency.is_empty() {
                    continue;
                }
                let color = Palette99::pick(i).to_rgba();
                let points = (0..=(NINES * 20.0) as usize).map(|k| {
                    let nines = k as f64 / 20.0;
                    let q = 1.0 - 10f64.powf(-nines);
                    (nines, node.latency_ms(q).max(lo))
                });
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                    .label(node.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
            root.present()?;
        }
        Ok(svg)
    }
}

/// The latency plot's x axis runs to the 99.99th percentile: four nines.
const NINES: f64 = 4.0;

/// The percentile at `nines` nines (`0`: 0%, `1`: 90%, `2`: 99%).
pub(super) fn percentile_label(nines: f64) -> String {
    let q = 100.0 * (1.0 - 10f64.powf(-nines));
    let text = format!("{q:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

impl Output for Comparison {
    fn verdict(&self) -> Verdict {
        self.outcome()
    }

    fn interrupted(&self) -> Option<i32> {
        self.interrupted
    }

    fn summary(&self) -> String {
        Comparison::summary(self)
    }

    fn results_json(&self) -> serde_json::Value {
        Comparison::results_json(self)
    }

    /// `compare.svg`.
    fn files(&self, _dir: &Path) -> Vec<(&'static str, Plot)> {
        vec![("compare.svg", self.plot())]
    }

    /// Its summary and picture, and a link to each run's folder.
    fn page(&self) -> Page {
        Page {
            title: format!("echo comparison: {} rounds", self.rounds),
            shade: self.outcome().shade(),
            diagnosis: Vec::new(),
            summary: self.summary(),
            tables: Vec::new(),
            pictures: vec!["compare.svg"],
        }
    }

    /// Its runs' outputs that could not be written.
    fn unwritten(&self) -> Vec<OutputError> {
        self.unwritten.clone()
    }
}
