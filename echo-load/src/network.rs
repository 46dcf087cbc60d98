//! Maelstrom's network latency (`--latency`, `--latency-dist`), as net.clj applies it:
//! a message that involves no client (node to node, node to service and back) is held
//! for a latency drawn from the distribution, and each node receives its messages in the
//! order of their deadlines (net.clj: `latency-for`, `send!` and `recv!` over a priority
//! queue per node). Messages to and from clients are never delayed: Maelstrom keeps
//! clients as if beside their nodes.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::route::Call;
use crate::send::Rng;

/// The shape of the latency distribution (net.clj, `latency-dist`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LatencyDist {
    /// Always the mean.
    #[default]
    Constant,
    /// A whole number of milliseconds, uniform from 0 to twice the mean.
    Uniform,
    /// Exponential, of the given mean.
    Exponential,
}

impl FromStr for LatencyDist {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "constant" => Ok(LatencyDist::Constant),
            "uniform" => Ok(LatencyDist::Uniform),
            "exponential" => Ok(LatencyDist::Exponential),
            _ => Err(format!(
                "'{text}' is not a distribution: expected constant, uniform or exponential"
            )),
        }
    }
}

impl fmt::Display for LatencyDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LatencyDist::Constant => "constant",
            LatencyDist::Uniform => "uniform",
            LatencyDist::Exponential => "exponential",
        })
    }
}

/// What the network carries: a message for a node's stdin (its bytes, as written there),
/// or a node's message to a service, handed to the service when it arrives.
#[derive(Debug, PartialEq, Eq)]
pub enum Parcel {
    /// For node `k`'s stdin.
    Node(usize, Vec<u8>),
    /// For a service.
    Service(Call),
}

/// A held parcel: its deadline and the order it was sent in (so equal deadlines keep
/// it), by which it is ordered.
#[derive(Debug)]
struct Held {
    deadline: Instant,
    sent: u64,
    parcel: Parcel,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Held {}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.sent).cmp(&(other.deadline, other.sent))
    }
}

/// The delayed messages of a run with latency, and the draws that delay them.
#[derive(Debug)]
pub struct Network {
    mean_ms: u64,
    dist: LatencyDist,
    rng: Rng,
    /// Messages waiting for their deadline, earliest first.
    held: BinaryHeap<Reverse<Held>>,
    sent: u64,
}

impl Network {
    /// A network with mean latency `mean_ms` of shape `dist`; `None` when the mean is 0
    /// (no message is held, and nothing is drawn).
    pub fn new(mean_ms: u64, dist: LatencyDist, seed: u64) -> Option<Network> {
        (mean_ms > 0).then(|| Network {
            mean_ms,
            dist,
            rng: Rng::new(seed ^ 0x1a7e_0c1e),
            held: BinaryHeap::new(),
            sent: 0,
        })
    }

    /// A latency drawn from the distribution, in whole milliseconds (net.clj takes the
    /// `long` of the draw).
    pub fn draw(&mut self) -> Duration {
        let mean = self.mean_ms;
        let ms = match self.dist {
            LatencyDist::Constant => mean,
            LatencyDist::Uniform => self.rng.next_u64() % (2 * mean + 1),
            LatencyDist::Exponential => {
                // Inverse transform on a uniform draw in (0, 1].
                let u = ((self.rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
                (-(mean as f64) * u.ln()) as u64
            }
        };
        Duration::from_millis(ms)
    }

    /// Holds `parcel` until `now` plus a drawn latency.
    pub fn hold(&mut self, now: Instant, parcel: Parcel) {
        let deadline = now + self.draw();
        self.held.push(Reverse(Held {
            deadline,
            sent: self.sent,
            parcel,
        }));
        self.sent += 1;
    }

    /// The next held parcel whose deadline has come by `now`.
    pub fn due(&mut self, now: Instant) -> Option<Parcel> {
        if self.held.peek()?.0.deadline > now {
            return None;
        }
        self.held.pop().map(|Reverse(held)| held.parcel)
    }

    /// The earliest deadline held, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.held.peek().map(|r| r.0.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_have_the_distributions_means() {
        for dist in [
            LatencyDist::Constant,
            LatencyDist::Uniform,
            LatencyDist::Exponential,
        ] {
            let mut net = Network::new(20, dist, 1).expect("a mean");
            let draws: Vec<u64> = (0..20_000).map(|_| net.draw().as_millis() as u64).collect();
            let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
            // Whole milliseconds, truncated: a continuous draw loses half a ms on average.
            assert!((18.5..=20.5).contains(&mean), "{dist}: mean {mean}");
            if dist == LatencyDist::Uniform {
                assert!(draws.iter().all(|&d| d <= 40));
            }
        }
        assert!(Network::new(0, LatencyDist::Exponential, 1).is_none());
    }

    #[test]
    fn messages_come_out_in_deadline_order_when_due() {
        let mut net = Network::new(10, LatencyDist::Constant, 1).expect("a mean");
        let t = Instant::now();
        net.hold(t, Parcel::Node(1, b"first".to_vec()));
        net.hold(
            t + Duration::from_millis(1),
            Parcel::Node(0, b"second".to_vec()),
        );
        assert_eq!(net.due(t + Duration::from_millis(9)), None);
        assert_eq!(net.next_deadline(), Some(t + Duration::from_millis(10)));
        assert_eq!(
            net.due(t + Duration::from_millis(20)),
            Some(Parcel::Node(1, b"first".to_vec()))
        );
        assert_eq!(
            net.due(t + Duration::from_millis(20)),
            Some(Parcel::Node(0, b"second".to_vec()))
        );
        assert_eq!(net.due(t + Duration::from_millis(20)), None);
    }
}
