//! Stage 6: what each request measured, recorded as it comes: latency, service time and
//! wait (HdrHistogram), answers per second and within the load window, and a uniform
//! sample for the latency plot. A request that fell due and was never answered (never
//! sent, or timed out) enters the latency too, at the time it had waited by then: every
//! due request counts (no coordinated omission at the end of a run either).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::send::Rng;

/// At most this many requests are drawn in the latency plot (a uniform sample of all).
const PLOT_POINTS: usize = 4_000;

/// Records each answered request as it comes.
#[derive(Debug)]
pub struct Recorder {
    /// The start of the load: times are seconds from here.
    pub(crate) start: Instant,
    /// Latency in microseconds, from when a request fell due to its reply (or, for one
    /// never answered, to when it was given up: see [`Recorder::unanswered`]).
    pub(crate) latency: Histogram<u64>,
    /// Service time in microseconds, from when a request was wholly written to its node
    /// to its reply.
    pub(crate) service: Histogram<u64>,
    /// Requests never answered that the latency counts, at the time they had waited.
    pub(crate) unanswered: u64,
    /// Replies that came within the load window (by [`Recorder::end_window`]).
    pub(crate) in_window: u64,
    /// The end of the load window: replies after it are the drain, not the load's.
    window_end: Instant,
    /// The longest a read's lines waited to be handled after their time was taken: the
    /// bound on the error of every reply time.
    pub(crate) stamp_error: Duration,
    /// Microseconds a request waited in echo-load, from when it fell due to when it was
    /// written to its node.
    pub(crate) wait: Histogram<u64>,
    /// Requests answered in each second of the load.
    pub(crate) per_second: Vec<u64>,
    /// (seconds into the load, latency in ms) of a uniform sample (reservoir) of requests.
    pub(crate) samples: Vec<(f64, f64)>,
    pub(crate) seen: u64,
    pub(crate) rng: Rng,
    /// When the last request was answered.
    pub(crate) last: Instant,
    /// Latency in microseconds (2 significant digits) of the requests answered or given
    /// up in each bin of [`Recorder::bin_width`] seconds from the start, for the plot of
    /// its quantiles over time; made as replies reach them.
    pub(crate) bins: Vec<Histogram<u64>>,
    /// Seconds a bin spans: the time limit over [`BINS`].
    pub(crate) bin_width: f64,
}

/// The bins the load window is cut into for the quantiles over time; replies after it
/// (the drain) take as many again at most, and the last holds any later.
pub const BINS: usize = 60;

impl Recorder {
    /// An empty recorder; `seed` seeds the plot's sample.
    pub fn new(seed: u64) -> Self {
        let now = Instant::now();
        Recorder {
            start: now,
            latency: histogram(),
            service: histogram(),
            unanswered: 0,
            in_window: 0,
            window_end: now,
            stamp_error: Duration::ZERO,
            wait: histogram(),
            per_second: Vec::new(),
            samples: Vec::with_capacity(PLOT_POINTS),
            seen: 0,
            rng: Rng::new(seed),
            last: now,
            bins: Vec::new(),
            bin_width: 1.0,
        }
    }

    /// The load starts at `start`, for `window` (its time limit).
    pub fn start(&mut self, start: Instant, window: Duration) {
        self.start = start;
        self.last = start;
        self.window_end = start + window;
        self.bin_width = (window.as_secs_f64() / BINS as f64).max(1e-3);
    }

    /// The load window ends at `end`, before its time limit (a stop signal, a fault,
    /// `--requests`): replies after it are not the load's.
    pub fn end_window(&mut self, end: Instant) {
        self.window_end = self.window_end.min(end);
    }

    /// A request that fell due at `due` and was written at `sent` was answered at `now`.
    pub fn answered(&mut self, due: Instant, sent: Instant, now: Instant) {
        let micros = now.saturating_duration_since(due).as_micros() as u64;
        self.latency.saturating_record(micros.max(1));
        let waited = sent.saturating_duration_since(due).as_micros() as u64;
        self.wait.saturating_record(waited.max(1));
        // From the write to the reply: what of the latency was not the wait (one clock
        // subtraction fewer a reply).
        let service = micros.saturating_sub(waited);
        self.service.saturating_record(service.max(1));
        if now <= self.window_end {
            self.in_window += 1;
        }
        let at = now.saturating_duration_since(self.start).as_secs_f64();
        let second = at as usize;
        if self.per_second.len() <= second {
            self.per_second.resize(second + 1, 0);
        }
        self.per_second[second] += 1;
        self.seen += 1;
        self.last = now;
        self.binned(at, micros, 1);
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

    /// A request that fell due at `due` was never answered: given up at `at` (its
    /// timeout, or the end of the run for one never sent). It enters the latency at what
    /// it had waited by then, a lower bound on what it would have measured.
    pub fn unanswered(&mut self, due: Instant, at: Instant) {
        self.unanswered_n(due, at, 1);
    }

    /// [`Recorder::unanswered`] for `count` requests that fell due at `due`.
    pub fn unanswered_n(&mut self, due: Instant, at: Instant, count: u64) {
        let micros = at.saturating_duration_since(due).as_micros() as u64;
        self.latency.saturating_record_n(micros.max(1), count);
        self.unanswered += count;
        let seconds = at.saturating_duration_since(self.start).as_secs_f64();
        self.binned(seconds, micros, count);
    }

    /// Records `count` latencies of `micros` in the bin of `seconds` into the load.
    fn binned(&mut self, seconds: f64, micros: u64, count: u64) {
        let bin = ((seconds / self.bin_width) as usize).min(2 * BINS - 1);
        while self.bins.len() <= bin {
            self.bins
                .push(Histogram::new_with_bounds(1, LATENCY_MAX_US, 2).expect("valid bounds"));
        }
        self.bins[bin].saturating_record_n(micros.max(1), count);
    }

    /// The lines of one read were handled by `done`, their time taken at `read`.
    pub fn stamped(&mut self, read: Instant, done: Instant) {
        self.stamp_error = self.stamp_error.max(done.saturating_duration_since(read));
    }

    /// When the last request was answered (the start, before any).
    pub fn last_answer(&self) -> Instant {
        self.last
    }
}

/// The longest latency recorded, in microseconds: an hour, the longest `--timeout`.
const LATENCY_MAX_US: u64 = 3_600_000_000;

/// An empty histogram of microseconds, 1 to [`LATENCY_MAX_US`], to 3 significant digits.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_US, 3).expect("valid bounds")
}

/// Milliseconds at quantile `q` of `h` (recorded in microseconds).
pub(crate) fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    h.value_at_quantile(q) as f64 / 1000.0
}
