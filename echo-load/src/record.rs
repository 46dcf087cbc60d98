//! Stage 6: what each answered request measured, recorded as it comes: latency and wait
//! (HdrHistogram), answers per second, and a uniform sample for the latency plot.

use std::time::Instant;

use hdrhistogram::Histogram;

use crate::send::Rng;

/// At most this many requests are drawn in the latency plot (a uniform sample of all).
const PLOT_POINTS: usize = 4_000;

/// Records each answered request as it comes.
#[derive(Debug)]
pub struct Recorder {
    /// The start of the load: times are seconds from here.
    pub(crate) start: Instant,
    /// Latency in microseconds, from when a request fell due to its reply.
    pub(crate) latency: Histogram<u64>,
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
}

impl Recorder {
    /// An empty recorder; `seed` seeds the plot's sample.
    pub fn new(seed: u64) -> Self {
        let now = Instant::now();
        Recorder {
            start: now,
            latency: histogram(),
            wait: histogram(),
            per_second: Vec::new(),
            samples: Vec::with_capacity(PLOT_POINTS),
            seen: 0,
            rng: Rng::new(seed),
            last: now,
        }
    }

    /// The load starts at `start`.
    pub fn start(&mut self, start: Instant) {
        self.start = start;
        self.last = start;
    }

    /// A request that fell due at `due` and was written at `sent` was answered at `now`.
    pub fn answered(&mut self, due: Instant, sent: Instant, now: Instant) {
        let micros = now.saturating_duration_since(due).as_micros() as u64;
        self.latency.saturating_record(micros.max(1));
        let waited = sent.saturating_duration_since(due).as_micros() as u64;
        self.wait.saturating_record(waited.max(1));
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
