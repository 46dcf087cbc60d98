//! Progress on stderr while a run goes.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::words::thousands;

/// How often progress is reported.
const EVERY: Duration = Duration::from_secs(1);

/// Progress while a run goes: a bar when stderr is a terminal, a plain line a second
/// otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last: Instant,
    last_count: u64,
    enabled: bool,
}

impl Progress {
    /// `total` is the planned length of the load; `enabled` false prints nothing.
    pub fn new(total: Duration, enabled: bool) -> Self {
        let bar = (enabled && io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total.as_millis() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            last: Instant::now(),
            last_count: 0,
            enabled,
        }
    }

    /// Called while nodes start (`started` of `total`, `ready` answered init); reports
    /// about once a second.
    pub fn starting(&mut self, started: usize, total: usize, ready: usize, now: Instant) {
        if !self.enabled || now.saturating_duration_since(self.last) < EVERY {
            return;
        }
        self.last = now;
        let msg = format!(
            "starting nodes: {}/{}, {} initialised",
            thousands(started as u64),
            thousands(total as u64),
            thousands(ready as u64)
        );
        match &self.bar {
            Some(bar) => bar.set_message(msg),
            None => {
                let _ = writeln!(io::stderr(), "echo-load: {msg}");
            }
        }
    }

    /// Called often; reports about once a second.
    pub fn tick(&mut self, elapsed: Duration, done: u64, now: Instant) {
        let since = now.saturating_duration_since(self.last);
        if !self.enabled || since < EVERY {
            return;
        }
        let rate = (done - self.last_count) as f64 / since.as_secs_f64();
        self.last = now;
        self.last_count = done;
        let msg = format!("{done} requests, {rate:.0}/s");
        match &self.bar {
            Some(bar) => {
                bar.set_position(elapsed.as_millis() as u64);
                bar.set_message(msg);
            }
            None => {
                let _ = writeln!(
                    io::stderr(),
                    "echo-load: {:.1} s, {msg}",
                    elapsed.as_secs_f64()
                );
            }
        }
    }

    /// Clears the bar, if one was drawn.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
