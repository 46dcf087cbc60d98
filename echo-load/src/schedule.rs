//! Stage 1: when requests are sent.
//!
//! Closed loop (`--rate max`): a client sends its next request as soon as the last one is
//! answered, as fast as the node goes. Open loop (`--rate R`, 5 by default, as
//! Maelstrom's): request k falls due at `start + k / R`, whatever the node is doing, and
//! goes to the next idle client; if no client is idle, it waits. `--rate 0` is a load
//! with no requests, as Maelstrom's (core.clj: a generator that only sleeps). Either way a request's latency is measured from the time it
//! fell due, not from when it was sent: a node that stalls shows as the stall it is, in
//! every request that fell due during it (no coordinated omission).

use std::time::{Duration, Instant};

/// How many never-sent requests [`Schedule::untaken`] gives one by one.
pub const UNTAKEN_EACH: u64 = 100_000;

/// When requests fall due.
#[derive(Clone, Debug)]
pub enum Schedule {
    /// Each request falls due when a client is free.
    Closed,
    /// No request ever falls due (`--rate 0`): the load is the time limit's wait.
    Idle,
    /// Request `next` falls due at `start + next / rate`.
    Open {
        /// When the load started.
        start: Instant,
        /// Requests per second.
        rate: f64,
        /// The number of the next request to fall due.
        next: u64,
    },
}

impl Schedule {
    /// The schedule for `rate` requests per second across all clients (none at 0), or
    /// closed loop.
    pub fn new(rate: Option<f64>, start: Instant) -> Self {
        match rate {
            Some(rate) if rate <= 0.0 => Schedule::Idle,
            Some(rate) => Schedule::Open {
                start,
                rate,
                next: 0,
            },
            None => Schedule::Closed,
        }
    }

    /// The time the next request fell due, if it has by `now` (and counts it as taken).
    pub fn take_due(&mut self, now: Instant) -> Option<Instant> {
        match self {
            Schedule::Closed => Some(now),
            Schedule::Idle => None,
            Schedule::Open { start, rate, next } => {
                let due = *start + Duration::from_secs_f64(*next as f64 / *rate);
                (due <= now).then(|| {
                    *next += 1;
                    due
                })
            }
        }
    }

    /// Whether requests fall due by the clock (open loop, or none at all).
    pub fn is_open(&self) -> bool {
        !matches!(self, Schedule::Closed)
    }

    /// How many requests fell due before `t`, sent or not (open loop; closed loop: 0).
    pub fn due_by(&self, t: Instant) -> u64 {
        match self {
            Schedule::Closed | Schedule::Idle => 0,
            Schedule::Open { start, rate, next } => {
                let elapsed = t.saturating_duration_since(*start).as_secs_f64();
                ((elapsed * rate).ceil() as u64).max(*next)
            }
        }
    }

    /// The due times of the next `count` requests not taken (open loop; none otherwise),
    /// the ones that fell due and were never sent at the end of a run, each with how many
    /// requests it stands for: one each up to [`UNTAKEN_EACH`] of them; past that, in as
    /// many groups of consecutive requests, each at its middle's due time (so that
    /// an over-driven run of any size is counted in bounded time).
    pub fn untaken(&self, count: u64) -> impl Iterator<Item = (Instant, u64)> + '_ {
        let (start, rate, next, count) = match self {
            Schedule::Open { start, rate, next } => (*start, *rate, *next, count),
            Schedule::Closed | Schedule::Idle => (Instant::now(), 1.0, 0, 0),
        };
        let groups = count.min(UNTAKEN_EACH);
        (0..groups).map(move |g| {
            // Group g holds requests [g * count / groups, (g + 1) * count / groups).
            let (from, to) = (
                (g as u128 * count as u128 / groups as u128) as u64,
                ((g + 1) as u128 * count as u128 / groups as u128) as u64,
            );
            let middle = next + from + (to - from) / 2;
            let due = start + Duration::from_secs_f64(middle as f64 / rate);
            (due, to - from)
        })
    }

    /// When the next request falls due (open loop), so the driver knows how long it may
    /// wait for replies.
    pub fn next_due(&self) -> Option<Instant> {
        match self {
            Schedule::Closed | Schedule::Idle => None,
            Schedule::Open { start, rate, next } => {
                Some(*start + Duration::from_secs_f64(*next as f64 / *rate))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_loop_requests_fall_due_on_schedule_even_when_taken_late() {
        let start = Instant::now();
        let mut s = Schedule::new(Some(1000.0), start);
        // 10.5 ms later, 11 requests are due (at 0, 1, ..., 10 ms), each with its own time.
        let now = start + Duration::from_micros(10_500);
        let due: Vec<Instant> = std::iter::from_fn(|| s.take_due(now)).collect();
        assert_eq!(due.len(), 11);
        assert_eq!(due[10] - start, Duration::from_millis(10));
        assert_eq!(
            s.next_due().map(|t| t - start),
            Some(Duration::from_millis(11))
        );
        // By 20.5 ms, 21 had fallen due (0 to 20 ms), 11 of them taken.
        assert_eq!(s.due_by(start + Duration::from_micros(20_500)), 21);
    }

    #[test]
    fn requests_never_taken_are_given_by_their_due_times_in_bounded_groups() {
        let start = Instant::now();
        let mut s = Schedule::new(Some(1000.0), start);
        let _ = s.take_due(start + Duration::from_millis(1)); // requests 0 and 1
        let _ = s.take_due(start + Duration::from_millis(1));
        let few: Vec<(Instant, u64)> = s.untaken(3).collect();
        assert_eq!(
            few.iter()
                .map(|(t, n)| (*t - start, *n))
                .collect::<Vec<_>>(),
            [2, 3, 4].map(|ms| (Duration::from_millis(ms), 1))
        );
        // A billion: in UNTAKEN_EACH groups, every request counted once.
        let many: Vec<(Instant, u64)> = s.untaken(1_000_000_000).collect();
        assert_eq!(many.len() as u64, UNTAKEN_EACH);
        assert_eq!(many.iter().map(|(_, n)| n).sum::<u64>(), 1_000_000_000);
        assert!(many.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(Schedule::new(None, start).untaken(5).count(), 0);
    }

    #[test]
    fn a_rate_of_zero_has_nothing_fall_due() {
        let start = Instant::now();
        let mut s = Schedule::new(Some(0.0), start);
        let later = start + Duration::from_secs(3600);
        assert_eq!(s.take_due(later), None);
        assert_eq!((s.next_due(), s.due_by(later)), (None, 0));
        assert!(s.is_open(), "it waits for the clock, not for the clients");
    }

    #[test]
    fn closed_loop_is_always_due_now() {
        let now = Instant::now();
        let mut s = Schedule::new(None, now);
        assert_eq!(s.take_due(now), Some(now));
        assert_eq!(s.next_due(), None);
    }
}
