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
    /// Replies answered but not yet in the fields above: `count` of them, all with the
    /// same three times (none when `count` is 0).
    run: Run,
    /// The last reply time [`Recorder::read_at`] worked out, and what it gave: valid
    /// for the recorder's start and bins as they are (reset by [`Recorder::start`]).
    read: Option<Read>,
}

/// Where the replies read at one time are counted.
#[derive(Clone, Copy, Debug)]
struct Read {
    now: Instant,
    /// Seconds from the start of the load.
    at: f64,
    /// Its index in [`Recorder::per_second`] (which is that long).
    second: usize,
    /// Its index in [`Recorder::bins`] (which is that long).
    bin: usize,
}

/// A run of replies with the same times, recorded together.
#[derive(Clone, Copy, Debug)]
struct Run {
    due: Instant,
    sent: Instant,
    now: Instant,
    count: u64,
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
            run: Run {
                due: now,
                sent: now,
                now,
                count: 0,
            },
            read: None,
        }
    }

    /// The load starts at `start`, for `window` (its time limit).
    pub fn start(&mut self, start: Instant, window: Duration) {
        self.start = start;
        self.last = start;
        self.window_end = start + window;
        self.bin_width = (window.as_secs_f64() / BINS as f64).max(1e-3);
        self.read = None;
    }

    /// The load window ends at `end`, before its time limit (a stop signal, a fault,
    /// `--requests`): replies after it are not the load's.
    pub fn end_window(&mut self, end: Instant) {
        self.settle(); // the replies held were judged by the window as it was
        self.window_end = self.window_end.min(end);
    }

    /// A request that fell due at `due` and was written at `sent` was answered at `now`.
    ///
    /// Replies whose three times are the same as the last one's (requests sent in one
    /// write whose replies came in one read) join its run and are recorded together, at
    /// the next reply with other times or when the recorder is read ([`Recorder::settled`]):
    /// the record is the same as one reply at a time, at one record a run.
    pub fn answered(&mut self, due: Instant, sent: Instant, now: Instant) {
        let run = &mut self.run;
        if run.count > 0 && run.now == now && run.due == due && run.sent == sent {
            run.count += 1;
            return;
        }
        self.settle();
        self.run = Run {
            due,
            sent,
            now,
            count: 1,
        };
    }

    /// Records the run of equal replies that [`Recorder::answered`] holds, if any.
    fn settle(&mut self) {
        let Run {
            due,
            sent,
            now,
            count,
        } = self.run;
        if count == 0 {
            return;
        }
        self.run.count = 0;
        let micros = now.saturating_duration_since(due).as_micros() as u64;
        self.latency.saturating_record_n(micros.max(1), count);
        let waited = sent.saturating_duration_since(due).as_micros() as u64;
        self.wait.saturating_record_n(waited.max(1), count);
        // From the write to the reply: what of the latency was not the wait (one clock
        // subtraction fewer a reply).
        let service = micros.saturating_sub(waited);
        self.service.saturating_record_n(service.max(1), count);
        if now <= self.window_end {
            self.in_window += count;
        }
        let Read {
            at, second, bin, ..
        } = self.read_at(now);
        self.per_second[second] += count;
        self.last = self.last.max(now);
        self.bins[bin].saturating_record_n(micros.max(1), count);
        // The sample draws each reply of the run in turn, as it would one at a time.
        let point = (at, micros as f64 / 1000.0);
        for _ in 0..count {
            self.seen += 1;
            if self.samples.len() < PLOT_POINTS {
                self.samples.push(point);
            } else {
                let k = (self.rng.next_u64() % self.seen) as usize;
                if k < PLOT_POINTS {
                    self.samples[k] = point;
                }
            }
        }
    }

    /// The recorder with every reply recorded: what a reader of its histograms, counts
    /// and sample takes once the load is over.
    pub fn settled(mut self) -> Self {
        self.settle();
        self
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
        let bin = self.bin(seconds);
        self.bins[bin].saturating_record_n(micros.max(1), count);
    }

    /// The index in [`Recorder::bins`] of `seconds` into the load, the bin made if new.
    fn bin(&mut self, seconds: f64) -> usize {
        let bin = ((seconds / self.bin_width) as usize).min(2 * BINS - 1);
        while self.bins.len() <= bin {
            self.bins
                .push(Histogram::new_with_bounds(1, LATENCY_MAX_US, 2).expect("valid bounds"));
        }
        bin
    }

    /// Where replies read at `now` are counted: worked out once for the replies of one
    /// read (they share its time), the second's count and the bin made if new.
    fn read_at(&mut self, now: Instant) -> Read {
        if let Some(read) = self.read
            && read.now == now
        {
            return read;
        }
        let at = now.saturating_duration_since(self.start).as_secs_f64();
        let second = at as usize;
        if self.per_second.len() <= second {
            self.per_second.resize(second + 1, 0);
        }
        let read = Read {
            now,
            at,
            second,
            bin: self.bin(at),
        };
        self.read = Some(read);
        read
    }

    /// The lines of one read were handled by `done`, their time taken at `read`.
    pub fn stamped(&mut self, read: Instant, done: Instant) {
        self.stamp_error = self.stamp_error.max(done.saturating_duration_since(read));
    }

    /// When the last request was answered (the start, before any).
    pub fn last_answer(&self) -> Instant {
        match self.run.count {
            0 => self.last,
            _ => self.last.max(self.run.now),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Replies recorded in runs leave exactly what they leave recorded one at a time.
    #[test]
    fn runs_of_equal_replies_record_as_one_at_a_time() {
        let start = Instant::now();
        let (mut runs, mut single) = (Recorder::new(7), Recorder::new(7));
        for r in [&mut runs, &mut single] {
            r.start(start, Duration::from_secs(4));
        }
        let at = |us: u64| start + Duration::from_micros(us);
        // 9,000 replies in runs of 1 to 7 equal ones, over 5 s (past the window's 4 s).
        let mut k = 0u64;
        while k < 9_000 {
            let now = at(k * 550);
            let (due, sent) = (
                at((k * 550).saturating_sub(300 + k % 97)),
                at(k * 550 - k % 5),
            );
            for _ in 0..=k % 7 {
                runs.answered(due, sent, now);
                single.answered(due, sent, now);
                single.settle();
                k += 1;
            }
            if k == 4_000 {
                runs.end_window(at(3_000_000));
                single.end_window(at(3_000_000));
            }
        }
        let (runs, single) = (runs.settled(), single.settled());
        assert_eq!(runs.latency.len(), k);
        assert!(runs.latency == single.latency);
        assert!(runs.wait == single.wait);
        assert!(runs.service == single.service);
        assert!(runs.bins.len() > 1 && runs.bins.len() == single.bins.len());
        assert!(runs.bins.iter().zip(&single.bins).all(|(a, b)| a == b));
        assert_eq!(runs.in_window, single.in_window);
        assert!(runs.in_window < k);
        assert_eq!(runs.per_second, single.per_second);
        assert_eq!((runs.seen, runs.last), (single.seen, single.last));
        assert_eq!(runs.samples.len(), PLOT_POINTS);
        assert_eq!(runs.samples, single.samples);
    }
}
