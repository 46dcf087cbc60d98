//! Several nodes, one workload: `--bin` given more than once. Each node runs the same
//! workload in alternating rounds (A B A B …), so that what the machine does meanwhile
//! falls on every node alike; each node gets Maelstrom's verdict for every round, and
//! the medians and spreads of what the rounds measured, with each node's ratio to the
//! first node taken round by round.
//!
//! The spread is the median absolute deviation over the rounds: a robust measure that
//! one round disturbed by the machine moves little.
//!
//! What a comparison shows and keeps (its summary, `results.json`, `compare.svg`, its
//! page) is in `output.rs`.

use std::io::{self, Write};

use hdrhistogram::Histogram;
use serde_json::json;

use crate::config::Config;
use crate::error::Error;
use crate::files::OutputError;
use crate::interrupt::{Haste, Interrupts};
use crate::output::{Report, Verdict};
use crate::run::{run_kept, session};

mod output;

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
}

#[cfg(test)]
mod tests;
