//! Several nodes, one workload: `--bin` given more than once. Each node runs the same
//! workload in alternating rounds (A B A B …), so that what the machine does meanwhile
//! falls on every node alike; each node gets Maelstrom's verdict for every round, and
//! the medians and spreads of what the rounds measured, with each node's ratio to the
//! first node taken round by round.
//!
//! The spread is the median absolute deviation over the rounds: a robust measure that
//! one round disturbed by the machine moves little.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use hdrhistogram::Histogram;
use plotters::prelude::*;
use serde_json::json;

use crate::chart::{PLOT_SIZE, legend};
use crate::config::Config;
use crate::error::Error;
use crate::files::{OutputError, Plot};
use crate::interrupt::{Haste, Interrupts};
use crate::output::Output;
use crate::pages::Page;
use crate::report::Report;
use crate::run::{run_kept, session};
use crate::verdict::Verdict;
use crate::words::{plural, short, thousands};

/// How many rounds each node runs unless told: enough for a median and a spread that
/// one disturbed round does not decide.
pub const ROUNDS: usize = 5;

/// The round counts a comparison can use.
pub const ROUNDS_RANGE: std::ops::RangeInclusive<usize> = 1..=1000;

/// The shortest closed-loop round a comparison takes: a run's throughput is not
/// measured under a second.
pub const ROUND_MIN: std::time::Duration = std::time::Duration::from_secs(1);

/// What one run of one node measured.
#[derive(Clone, Debug)]
pub struct Round {
    /// Valid, invalid or aborted (see [`Report::outcome`]).
    pub outcome: Verdict,
    /// Answered requests a second of load.
    pub throughput: f64,
    /// Median latency, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// CPU time during the load per answered request, in microseconds: echo-load's.
    pub driver_cpu_us: Option<f64>,
    /// The same, the nodes' (where the system says).
    pub nodes_cpu_us: Option<f64>,
}

impl Round {
    /// What `report` measured.
    pub fn of(report: &Report) -> Round {
        Round {
            outcome: report.outcome(),
            throughput: report.achieved(),
            p50_ms: report.latency_ms(0.5),
            p99_ms: report.latency_ms(0.99),
            driver_cpu_us: report.cpu_per_request_us().map(|c| c.0),
            nodes_cpu_us: report.cpu_per_request_us().and_then(|c| c.1),
        }
    }
}

/// The median of some measurements and their spread: the median absolute deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// The median.
    pub median: f64,
    /// The median of the distances from the median.
    pub spread: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    /// Of `values`; `None` for none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let median = median_sorted(&v);
        let mut deviations: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        Some(Spread {
            median,
            spread: median_sorted(&deviations),
            min: v[0],
            max: v[v.len() - 1],
        })
    }

    fn json(&self) -> serde_json::Value {
        json!({ "median": self.median, "spread": self.spread, "min": self.min, "max": self.max })
    }
}

fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A node's measure moving one way round after round: a trend its median hides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drift {
    /// Whether it rose (each round above the one before) or fell.
    pub rising: bool,
    /// The first round's measure, and the last's.
    pub first: f64,
    /// The last round's measure.
    pub last: f64,
}

impl Drift {
    /// The trend in `values`, one a round in order: at least [`DRIFT_ROUNDS`] rounds,
    /// each above the one before (or each below), and the last more than
    /// [`DRIFT_FACTOR`] times the first (or less than its inverse). `None`: no trend.
    pub fn of(values: &[f64]) -> Option<Drift> {
        if values.len() < DRIFT_ROUNDS || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let rising = values.windows(2).all(|w| w[1] > w[0]);
        let falling = values.windows(2).all(|w| w[1] < w[0]);
        let (first, last) = (values[0], values[values.len() - 1]);
        let far = last > first * DRIFT_FACTOR || last * DRIFT_FACTOR < first;
        ((rising || falling) && far).then_some(Drift {
            rising,
            first,
            last,
        })
    }
}

/// The fewest rounds a trend is told from: with fewer, a steady move is chance.
pub const DRIFT_ROUNDS: usize = 3;

/// How far a steady move must go, first round to last, to be a trend and not noise.
pub const DRIFT_FACTOR: f64 = 1.25;

/// One node of a comparison: its runs and what they add up to.
#[derive(Debug)]
pub struct Compared {
    /// How the node is named: its program's file name and its arguments.
    pub label: String,
    /// What it was run with.
    pub config: Config,
    /// Its rounds, in order; the round of an interrupted run is not among them.
    pub rounds: Vec<Round>,
    /// The summary of its first run that was not valid: after it, the node runs no more.
    pub failed: Option<String>,
    /// The latencies of all its rounds, in microseconds.
    latency: Histogram<u64>,
}

impl Compared {
    /// Not run when it ran no round (the comparison was stopped first); valid when every
    /// round was; else the first round's outcome that was not.
    pub fn outcome(&self) -> Verdict {
        if self.rounds.is_empty() {
            return Verdict::NotRun;
        }
        self.rounds
            .iter()
            .map(|r| r.outcome)
            .find(|o| *o != Verdict::Valid)
            .unwrap_or(Verdict::Valid)
    }

    /// Whether every round it ran was valid (and it ran one).
    pub fn valid(&self) -> bool {
        !self.rounds.is_empty() && self.outcome() == Verdict::Valid
    }

    /// Throughput over the rounds (a valid node's only).
    pub fn throughput(&self) -> Option<Spread> {
        self.of(|r| r.throughput)
    }

    /// Median latency over the rounds, in ms (a valid node's only).
    pub fn p50_ms(&self) -> Option<Spread> {
        self.of(|r| r.p50_ms)
    }

    /// 99th percentile latency over the rounds, in ms (a valid node's only).
    pub fn p99_ms(&self) -> Option<Spread> {
        self.of(|r| r.p99_ms)
    }

    fn of(&self, f: impl Fn(&Round) -> f64) -> Option<Spread> {
        if !self.valid() {
            return None;
        }
        Spread::of(self.rounds.iter().map(f))
    }

    /// Its measure's trend over the rounds (throughput, or p50 under a rate), if it has
    /// one: then its median and spread describe no steady node.
    pub fn drift(&self, open_loop: bool) -> Option<Drift> {
        let values: Vec<f64> = self
            .rounds
            .iter()
            .map(|r| if open_loop { r.p50_ms } else { r.throughput })
            .collect();
        Drift::of(&values)
    }

    /// Latency at quantile `q` over all its rounds, in ms.
    pub fn latency_ms(&self, q: f64) -> f64 {
        if self.latency.is_empty() {
            0.0
        } else {
            self.latency.value_at_quantile(q) as f64 / 1000.0
        }
    }

    /// Its ratio to `first`'s measure `f`, taken round by round (round k of each): `None`
    /// unless both are valid.
    pub fn ratio(&self, first: &Compared, f: impl Fn(&Round) -> f64) -> Option<Spread> {
        if !self.valid() || !first.valid() {
            return None;
        }
        Spread::of(
            self.rounds
                .iter()
                .zip(&first.rounds)
                .map(|(mine, theirs)| f(mine) / f(theirs)),
        )
    }
}

/// What a comparison found.
#[derive(Debug)]
pub struct Comparison {
    /// One entry a node, in the order given.
    pub nodes: Vec<Compared>,
    /// The rounds asked for.
    pub rounds: usize,
    /// The stop signal that ended it early, if one did.
    pub interrupted: Option<i32>,
    /// Its runs' outputs that could not be written into their folders.
    pub(crate) unwritten: Vec<OutputError>,
}

/// How a node is named in a comparison: its program's file name, then its arguments.
pub fn label(config: &Config) -> String {
    let name = config.bin.file_name().map_or_else(
        || config.bin.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    std::iter::once(name)
        .chain(config.node_args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs each of `configs` `rounds` times, alternating (the first, the second, …, the
/// first again), and judges each run as [`crate::run()`] does. A node whose run is not
/// valid runs no more. A stop signal (Ctrl-C) ends the comparison with the rounds that
/// finished. `progress` says which run starts, on stderr. An `Err` is a run that could not
/// start.
///
/// With the first config's `out`, that folder is made ready first, for
/// [`write`](crate::write()); the runs themselves keep no files (no node logs, no
/// `--history`).
///
/// ```
/// # // An echo node in sed (GNU sed's -u, BSD's -l): init -> init_ok, echo -> echo_ok.
/// # let echo_node = ["-c".to_owned(), r#"if sed --version >/dev/null 2>&1; then u=-u; else u=-l; fi; exec sed $u -e 's/^{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{"type":"init",.*"msg_id":\([0-9]*\)}}$/{"src":"\2","dest":"\1","body":{"type":"init_ok","in_reply_to":\3}}/' -e 's/^{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{"echo":\(.*\),"type":"echo","msg_id":\([0-9]*\)}}$/{"src":"\2","dest":"\1","body":{"type":"echo_ok","echo":\3,"in_reply_to":\4}}/'"#.to_owned()];
/// use std::time::Duration;
///
/// // `echo_node`: `sh -c` and a sed script. Two nodes run alike, alternated, for the
/// // shortest closed-loop rounds a comparison takes.
/// let sed = echo_load::Config {
///     bin: "/bin/sh".into(),
///     node_args: echo_node.to_vec(),
///     time_limit: echo_load::compare::ROUND_MIN,
///     node_count: 1, // n0, as `--node-count 1` names it
///     first_node: 0,
///     rate: None, // closed loop: `--rate max`
///     ..echo_load::Config::default() // Maelstrom's defaults
/// };
/// let comparison = echo_load::compare(&[sed.clone(), sed], 2, false)?;
/// print!("{}", comparison.summary());
/// let [first, second] = &comparison.nodes[..] else { unreachable!() };
/// assert!(first.valid() && second.valid());
/// let ratio = second.ratio(first, |round| round.throughput).expect("both valid");
/// println!("{:.3} ± {:.3} times the first's throughput", ratio.median, ratio.spread);
/// # Ok::<(), echo_load::Error>(())
/// ```
pub fn compare(configs: &[Config], rounds: usize, progress: bool) -> Result<Comparison, Error> {
    if !ROUNDS_RANGE.contains(&rounds) {
        let (lo, hi) = (ROUNDS_RANGE.start(), ROUNDS_RANGE.end());
        return Err(Error::Config(format!(
            "--rounds: {rounds} is out of range: {lo} to {hi}"
        )));
    }
    // Throughput is not measured under a second (as a single run says): rounds that
    // short would be compared by noise.
    if let Some(short) = configs
        .iter()
        .find(|c| c.rate.is_none() && c.time_limit < ROUND_MIN)
    {
        return Err(Error::Config(format!(
            "--time-limit: {} s is too short for a comparison's closed-loop rounds: \
             throughput is measured over {} s or more (give --time-limit 1 or more, or \
             compare latency under a --rate)",
            short.time_limit.as_secs_f64(),
            ROUND_MIN.as_secs()
        )));
    }
    // Every node's configuration is checked before the first runs.
    let runs = session(configs)?;
    let base = configs.first().and_then(|c| c.out.clone());
    let mut unwritten = Vec::new();
    let plain: Vec<String> = configs.iter().map(label).collect();
    // Two nodes run alike are told apart by their place.
    let labels = plain.iter().enumerate().map(|(i, l)| {
        if plain.iter().filter(|m| *m == l).count() > 1 {
            format!("{l} (#{})", i + 1)
        } else {
            l.clone()
        }
    });
    let mut nodes: Vec<Compared> = runs
        .into_iter()
        .zip(labels)
        .map(|(config, label)| Compared {
            label,
            config,
            rounds: Vec::new(),
            failed: None,
            latency: crate::record::histogram(),
        })
        .collect();
    // Caught for the whole comparison: a signal between two runs ends it as one during a
    // run does, with what was measured.
    let mut interrupts = Interrupts::install()?;
    let mut interrupted = None;
    'rounds: for round in 1..=rounds {
        for (k, node) in nodes.iter_mut().enumerate() {
            if node.failed.is_some() {
                continue;
            }
            if interrupts.haste() > Haste::None {
                interrupted = interrupts.first();
                break 'rounds;
            }
            if progress {
                let _ = writeln!(
                    io::stderr(),
                    "echo-load: round {round} of {rounds}: {}",
                    node.label
                );
            }
            let name = format!("round-{round}-bin-{}", k + 1);
            let (report, failed) = run_kept(&node.config, base.as_deref(), &name)?;
            unwritten.extend(failed);
            if let Some(signal) = report.interrupted {
                interrupted = Some(signal);
                break 'rounds;
            }
            let measured = Round::of(&report);
            let _ = node.latency.add(&report.recorder.latency);
            if measured.outcome != Verdict::Valid {
                node.failed = Some(report.summary());
            }
            node.rounds.push(measured);
        }
    }
    if interrupted.is_none() && interrupts.haste() > Haste::None {
        interrupted = interrupts.first();
    }
    Ok(Comparison {
        nodes,
        rounds,
        interrupted,
        unwritten,
    })
}

/// A ratio or a measure with three significant digits.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (2.0 - x.abs().log10().floor()).clamp(0.0, 12.0) as usize;
    format!("{x:.decimals$}")
}

/// `median ± spread`: the median to three significant digits, and both to as many
/// decimals as the spread needs for one (in whole units with thousands separated, from
/// 1,000 on).
fn pm(s: &Spread) -> String {
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
    /// Whether the nodes ran open loop (`--rate`): latency is then what they are compared
    /// by, and throughput otherwise.
    fn open_loop(&self) -> bool {
        self.nodes.first().is_some_and(|n| n.config.rate.is_some())
    }

    /// The worst of its nodes' outcomes: aborted if a node's run was; else invalid if one
    /// was not valid; else not run if a node ran no round (the comparison was stopped
    /// first); else valid.
    pub fn outcome(&self) -> Verdict {
        Verdict::worst(self.nodes.iter().map(Compared::outcome))
    }

    /// The summary printed at the end (escaped as [`Report::summary`] is).
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
        let width = self
            .nodes
            .iter()
            .map(|n| n.label.chars().count())
            .max()
            .unwrap_or(0);
        let open = self.open_loop();
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
        s
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
fn percentile_label(nines: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_move_far_enough_is_a_trend_and_noise_is_not() {
        let fell = Drift::of(&[1581.0, 900.0, 400.0, 150.0, 78.0]).expect("a trend");
        assert!(!fell.rising && fell.first == 1581.0 && fell.last == 78.0);
        assert!(Drift::of(&[1.0, 1.3, 1.7]).is_some_and(|d| d.rising));
        // Not one way all along, not far enough, or too few rounds.
        assert_eq!(Drift::of(&[100.0, 90.0, 95.0, 50.0]), None);
        assert_eq!(Drift::of(&[100.0, 99.0, 98.0, 97.0]), None);
        assert_eq!(Drift::of(&[100.0, 10.0]), None);
    }

    #[test]
    fn the_spread_is_the_median_absolute_deviation() {
        let s = Spread::of([1.0, 2.0, 3.0, 4.0, 100.0]).expect("values");
        assert_eq!(s.median, 3.0);
        assert_eq!(s.spread, 1.0); // distances 2 1 0 1 97
        assert_eq!((s.min, s.max), (1.0, 100.0));
        let even = Spread::of([1.0, 3.0]).expect("values");
        assert_eq!((even.median, even.spread), (2.0, 1.0));
        assert_eq!(Spread::of([]), None);
        assert_eq!(Spread::of([f64::NAN]), None);
    }

    #[test]
    fn measures_read_with_three_significant_digits() {
        assert_eq!(sig(0.04512), "0.0451");
        assert_eq!(sig(812_345.0), "812345");
        assert_eq!(sig(1.0), "1.00");
        let s = Spread {
            median: 0.04512,
            spread: 0.00321,
            min: 0.0,
            max: 1.0,
        };
        assert_eq!(pm(&s), "0.0451 ± 0.0032");
        let tight = Spread {
            median: 1.1894,
            spread: 0.0011,
            ..s
        };
        assert_eq!(pm(&tight), "1.189 ± 0.001");
        let big = Spread {
            median: 812_345.4,
            spread: 12_000.6,
            ..s
        };
        assert_eq!(pm(&big), "812,345 ± 12,001");
        assert_eq!(percentile_label(0.0), "0%");
        assert_eq!(percentile_label(2.0), "99%");
        assert_eq!(percentile_label(3.0), "99.9%");
    }

    #[test]
    fn a_label_is_the_programs_name_and_its_arguments() {
        let config = Config {
            bin: "/usr/local/bin/echo-node".into(),
            node_args: vec!["--flush".into(), "batch".into()],
            node_count: 1,
            first_node: 0,
            ..Config::default()
        };
        assert_eq!(label(&config), "echo-node --flush batch");
    }
}
