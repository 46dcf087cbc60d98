//! `--capacity`: the highest open-loop rate a node sustains. Each step is a whole run at
//! one `--rate`, judged as [`crate::run()`] judges it; a step passes when the run is valid,
//! answered a request, sent every request that fell due, and p99 latency (from each request's scheduled
//! time, so queueing counts) is within the bound. The rate doubles from the start while
//! steps pass (or halves while they fail, when the first fails), then narrows between
//! the highest step that passed and the lowest that failed, by their geometric middle,
//! until the two are within [`PRECISION`] of each other.
//!
//! What a search shows and keeps (its summary, `results.json`, `capacity.svg`, its page)
//! is in `output.rs`.

use std::io::{self, Write};

use crate::config::Config;
use crate::error::Error;
use crate::files::OutputError;
use crate::interrupt::{Haste, Interrupts};
use crate::output::{Report, Verdict};
use crate::run::{run_kept, session};
use crate::words::{plural, short, thousands};

mod output;

/// The rate the search starts at unless `--rate` says, in requests a second.
pub const START: f64 = 1000.0;

/// The p99 latency bound unless `--p99-max` says, in milliseconds.
pub const P99_MAX_MS: f64 = 10.0;

/// The `--p99-max` values a search can use, in milliseconds.
pub const P99_MAX_RANGE: std::ops::RangeInclusive<f64> = 0.001..=3_600_000.0;

/// Steps that double (or halve) the rate, at most.
pub const EXPLORE_STEPS: usize = 24;

/// Steps that narrow between a passing and a failing rate, at most.
pub const NARROW_STEPS: usize = 6;

/// The search ends when the failing rate is within this factor of the passing one.
pub const PRECISION: f64 = 1.05;

/// How many runs a step makes unless told: it passes only when each passes.
pub const REPEATS: usize = 3;

/// The repeat counts a search can use.
pub const REPEATS_RANGE: std::ops::RangeInclusive<usize> = 1..=100;

/// One step: the runs at one rate (at most the repeats asked: the first that fails ends
/// the step), and what they measured together.
#[derive(Clone, Debug)]
pub struct Step {
    /// The rate asked, requests a second.
    pub offered: f64,
    /// Throughput (replies within the load window a second of it): the runs' median.
    pub throughput: f64,
    /// Median latency from the schedule, in milliseconds: the runs' median.
    pub p50_ms: f64,
    /// 99th percentile latency from the schedule, in milliseconds: the runs' highest
    /// (each had to be within the bound).
    pub p99_ms: f64,
    /// The runs' p99s, lowest and highest: the spread of the step.
    pub p99_range: (f64, f64),
    /// Runs made.
    pub runs: usize,
    /// Runs that passed.
    pub passed_runs: usize,
    /// CPU a request during the load, in microseconds, the runs' median: the driver's,
    /// and the nodes' where the system says.
    pub cpu_us: Option<(f64, Option<f64>)>,
    /// Valid, invalid or aborted (see [`Report::outcome`]).
    pub outcome: Verdict,
    /// Requests that fell due and were never sent.
    pub unsent: u64,
    /// Why the step failed; `None`: it passed.
    pub failed: Option<String>,
}

impl Step {
    /// What `report`'s run at `offered` measured, against the bound `p99_max_ms`.
    pub fn of(offered: f64, report: &Report, p99_max_ms: f64) -> Step {
        let p99_ms = report.latency_ms(0.99);
        let unsent = report.never_sent();
        let mut why = Vec::new();
        if report.outcome() != Verdict::Valid {
            why.push(report.outcome().word().to_owned());
        }
        if report.counts.ok == 0 {
            why.push("nothing answered".to_owned());
        }
        if unsent > 0 {
            why.push(format!("{} unsent", thousands(unsent)));
        }
        if p99_ms > p99_max_ms {
            why.push(format!("p99 over {} ms", short(p99_max_ms)));
        }
        Step {
            offered,
            throughput: report.achieved(),
            p50_ms: report.latency_ms(0.5),
            p99_ms,
            p99_range: (p99_ms, p99_ms),
            runs: 1,
            passed_runs: usize::from(why.is_empty()),
            cpu_us: report.cpu_per_request_us(),
            outcome: report.outcome(),
            unsent,
            failed: (!why.is_empty()).then(|| why.join(", ")),
        }
    }

    /// The step made of `runs` at one rate (one at least), in the order run: it passed
    /// when every run did, and its failure is the first run's that failed.
    pub fn combine(runs: &[Step]) -> Step {
        let median = |f: &dyn Fn(&Step) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        let p99s = runs.iter().map(|r| r.p99_ms);
        let lowest = p99s.clone().fold(f64::INFINITY, f64::min);
        let highest = p99s.fold(0.0, f64::max);
        let passed_runs = runs.iter().filter(|r| r.passed()).count();
        let failing = runs.iter().enumerate().find(|(_, r)| !r.passed());
        let outcome = Verdict::worst(runs.iter().map(|r| r.outcome));
        let cpu = runs.iter().filter_map(|r| r.cpu_us).collect::<Vec<_>>();
        let cpu_us = (!cpu.is_empty()).then(|| {
            let mut driver: Vec<f64> = cpu.iter().map(|c| c.0).collect();
            driver.sort_by(f64::total_cmp);
            let mut nodes: Vec<f64> = cpu.iter().filter_map(|c| c.1).collect();
            nodes.sort_by(f64::total_cmp);
            (
                driver[driver.len() / 2],
                nodes.get(nodes.len() / 2).copied(),
            )
        });
        Step {
            offered: runs.first().map_or(0.0, |r| r.offered),
            throughput: median(&|r| r.throughput),
            p50_ms: median(&|r| r.p50_ms),
            p99_ms: highest,
            p99_range: (lowest.min(highest), highest),
            runs: runs.len(),
            passed_runs,
            cpu_us,
            outcome,
            unsent: runs.iter().map(|r| r.unsent).max().unwrap_or(0),
            failed: failing.map(|(k, r)| {
                let why = r.failed.clone().unwrap_or_default();
                if runs.len() > 1 || k > 0 {
                    format!("{why} (run {} of the step)", k + 1)
                } else {
                    why
                }
            }),
        }
    }

    /// Whether the rate was sustained.
    pub fn passed(&self) -> bool {
        self.failed.is_none()
    }
}

/// What a search found.
#[derive(Debug)]
pub struct Capacity {
    /// What each step ran (its rate is each step's own).
    pub config: Config,
    /// The bound on p99 latency, in milliseconds.
    pub p99_max_ms: f64,
    /// The runs a step made at most (it passed only when each did).
    pub repeats: usize,
    /// Every step, in the order run.
    pub steps: Vec<Step>,
    /// The summary of the first step whose run was not valid, if one was not.
    pub first_invalid: Option<String>,
    /// The stop signal that ended it early, if one did.
    pub interrupted: Option<i32>,
    /// Its runs' outputs that could not be written into their folders.
    pub(crate) unwritten: Vec<OutputError>,
}

impl Capacity {
    /// The search's outcome: `aborted` when a step was (a node crashed, or an init
    /// failed: Maelstrom would have stopped that test, and no rate is measured by it;
    /// the search stops there), `valid` when it found a capacity, `invalid` when every
    /// step failed.
    pub fn outcome(&self) -> Verdict {
        if self.steps.iter().any(|s| s.outcome == Verdict::Aborted) {
            Verdict::Aborted
        } else if self.rate().is_some() {
            Verdict::Valid
        } else {
            Verdict::Invalid
        }
    }

    /// The step at the highest rate that passed: the capacity (none when a step was
    /// aborted: see [`Capacity::outcome`]).
    pub fn best(&self) -> Option<&Step> {
        if self.steps.iter().any(|s| s.outcome == Verdict::Aborted) {
            return None;
        }
        self.steps
            .iter()
            .filter(|s| s.passed())
            .max_by(|a, b| a.offered.total_cmp(&b.offered))
    }

    /// The highest rate that passed, requests a second.
    pub fn rate(&self) -> Option<f64> {
        self.best().map(|s| s.offered)
    }

    /// The lowest rate that failed above the capacity, if a step failed there.
    fn first_bad(&self) -> Option<f64> {
        let floor = self.rate().unwrap_or(0.0);
        self.steps
            .iter()
            .filter(|s| !s.passed() && s.offered > floor)
            .map(|s| s.offered)
            .min_by(f64::total_cmp)
    }

    /// What was searched: the nodes, their command, the clients, the payload, a step's
    /// length.
    pub fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "{} ({}), {}, {} payload, {} s a step",
            plural(c.node_count as u64, "node", "nodes"),
            c.command(),
            plural(c.concurrency as u64, "client", "clients"),
            c.payload,
            c.time_limit.as_secs_f64(),
        )
    }
}

/// The rates of a search, given what each step found: [`Search::next`] says the next rate.
#[derive(Debug, Default)]
struct Search {
    /// The highest rate that passed.
    good: Option<f64>,
    /// The lowest rate that failed.
    bad: Option<f64>,
    /// Steps run, and of them, narrowing ones.
    steps: usize,
    narrowing: usize,
}

impl Search {
    /// Records a step at `rate`.
    fn record(&mut self, rate: f64, passed: bool) {
        self.steps += 1;
        if self.good.is_some() && self.bad.is_some() {
            self.narrowing += 1;
        }
        if passed {
            self.good = Some(self.good.map_or(rate, |g| g.max(rate)));
        } else {
            self.bad = Some(self.bad.map_or(rate, |b| b.min(rate)));
        }
    }

    /// The next rate to try; `None`: the search is over.
    fn next(&self) -> Option<f64> {
        let (lo, hi) = (*crate::config::RATE.start(), *crate::config::RATE.end());
        match (self.good, self.bad) {
            (Some(good), Some(bad)) => (bad / good > PRECISION && self.narrowing < NARROW_STEPS)
                .then(|| (good * bad).sqrt()),
            _ if self.steps >= EXPLORE_STEPS => None,
            (Some(good), None) => (good < hi).then(|| (good * 2.0).min(hi)),
            (None, Some(bad)) => (bad > lo).then(|| (bad / 2.0).max(lo)),
            (None, None) => None,
        }
    }
}

/// Searches the capacity of `config`'s nodes from `start` requests a second, with p99
/// bounded by `p99_max_ms`; each step runs `config` with that `--rate` up to `repeats`
/// times, and passes only when each run passes (the first that fails ends the step), so
/// that one lucky run decides nothing. A stop signal (Ctrl-C) ends the search with the
/// steps that finished. At most [`EXPLORE_STEPS`] + [`NARROW_STEPS`] steps. An `Err` is
/// a run that could not start.
///
/// With `config.out`, that folder is made ready first, for [`write`](crate::write()); the runs
/// themselves keep no files (no node logs, no `--history`).
///
/// ```
/// # // An echo node in sed (GNU sed's -u, BSD's -l): init -> init_ok, echo -> echo_ok.
/// # let echo_node = ["-c".to_owned(), r#"if sed --version >/dev/null 2>&1; then u=-u; else u=-l; fi; exec sed $u -e 's/^{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{"type":"init",.*"msg_id":\([0-9]*\)}}$/{"src":"\2","dest":"\1","body":{"type":"init_ok","in_reply_to":\3}}/' -e 's/^{"id":[0-9]*,"src":"\([^"]*\)","dest":"\([^"]*\)","body":{"echo":\(.*\),"type":"echo","msg_id":\([0-9]*\)}}$/{"src":"\2","dest":"\1","body":{"type":"echo_ok","echo":\3,"in_reply_to":\4}}/'"#.to_owned()];
/// let config = echo_load::Config {
///     bin: "/bin/sh".into(), // with `echo_node`: `sh -c` and a sed script
///     node_args: echo_node.to_vec(),
///     concurrency: 10,
///     time_limit: std::time::Duration::from_millis(200),
///     node_count: 1, // n0, as `--node-count 1` names it
///     first_node: 0,
///     rate: None, // closed loop: `--rate max`
///     ..echo_load::Config::default() // Maelstrom's defaults
/// };
/// // From 100 requests a second, p99 within 50 ms, one run a step.
/// let found = echo_load::capacity(&config, 100.0, 50.0, 1, false)?;
/// print!("{}", found.summary());
/// assert!(found.rate().is_some_and(|rate| rate >= 100.0));
/// # Ok::<(), echo_load::Error>(())
/// ```
pub fn capacity(
    config: &Config,
    start: f64,
    p99_max_ms: f64,
    repeats: usize,
    progress: bool,
) -> Result<Capacity, Error> {
    if !REPEATS_RANGE.contains(&repeats) {
        let (lo, hi) = (REPEATS_RANGE.start(), REPEATS_RANGE.end());
        return Err(Error::Config(format!(
            "--capacity-repeats: {repeats} is out of range: {lo} to {hi}"
        )));
    }
    if !crate::config::RATE.contains(&start) {
        let (lo, hi) = (crate::config::RATE.start(), crate::config::RATE.end());
        return Err(Error::Config(format!(
            "--rate: {start} is out of range: {lo} to {hi} requests a second"
        )));
    }
    if !P99_MAX_RANGE.contains(&p99_max_ms) {
        let (lo, hi) = (P99_MAX_RANGE.start(), P99_MAX_RANGE.end());
        return Err(Error::Config(format!(
            "--p99-max: {p99_max_ms} is out of range: {lo} to {hi} ms"
        )));
    }
    if let Some(n) = config.requests {
        return Err(Error::Config(format!(
            "--requests {n}: a capacity search's steps each run the whole --time-limit at \
             their rate; a cap on requests would end them early and measure nothing"
        )));
    }
    let base = config.out.clone();
    let config = &session(std::slice::from_ref(config))?.remove(0);
    let mut found = Capacity {
        config: config.clone(),
        p99_max_ms,
        repeats,
        steps: Vec::new(),
        first_invalid: None,
        interrupted: None,
        unwritten: Vec::new(),
    };
    let mut interrupts = Interrupts::install()?;
    let mut search = Search::default();
    let mut rate = Some(start);
    'steps: while let Some(offered) = rate {
        let step_config = Config {
            rate: Some(offered),
            ..config.clone()
        };
        let mut runs: Vec<Step> = Vec::with_capacity(repeats);
        while runs.len() < repeats {
            if interrupts.haste() > Haste::None {
                found.interrupted = interrupts.first();
                break 'steps;
            }
            if progress {
                let _ = writeln!(
                    io::stderr(),
                    "echo-load: step {}: {} requests/s, run {} of {repeats}",
                    found.steps.len() + 1,
                    short(offered),
                    runs.len() + 1
                );
            }
            let name = format!("step-{}-run-{}", found.steps.len() + 1, runs.len() + 1);
            let (report, failed) = run_kept(&step_config, base.as_deref(), &name)?;
            found.unwritten.extend(failed);
            if let Some(signal) = report.interrupted {
                found.interrupted = Some(signal);
                break 'steps;
            }
            let run = Step::of(offered, &report, p99_max_ms);
            if run.outcome != Verdict::Valid && found.first_invalid.is_none() {
                found.first_invalid = Some(report.summary());
            }
            let failed = !run.passed();
            runs.push(run);
            if failed {
                break; // the step has failed: no more of its runs can make it pass
            }
        }
        let step = Step::combine(&runs);
        // A step Maelstrom would stop (a crash, a failed init) measures no rate: the
        // search ends with it, and no capacity is built on what passed before.
        let aborted = step.outcome == Verdict::Aborted;
        search.record(offered, step.passed());
        found.steps.push(step);
        rate = if aborted { None } else { search.next() };
    }
    if found.interrupted.is_none() && interrupts.haste() > Haste::None {
        found.interrupted = interrupts.first();
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
