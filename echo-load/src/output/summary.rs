//! A run's summary, as printed at its end: counts, rates, percentiles, CPU, the faults
//! by section and kind, and the verdict.

use std::fmt::Write as _;

use super::report::{DRIVER_LAG_MS, Report};
use crate::fault::{Class, Kind};
use crate::record::ms;
use crate::words::{fill, number, plural};

impl Report {
    /// Which verdict the run gives.
    fn verdict_name(&self) -> &'static str {
        if self.config.strict {
            "--strict verdict (Maelstrom's and stricter)"
        } else {
            "Maelstrom's verdict"
        }
    }

    /// The summary, its control characters as the node wrote them (see
    /// [`Report::summary`]).
    pub(super) fn summary_text(&self) -> String {
        let mut s = String::new();
        self.requests(&mut s);
        // Figures that measured nothing are left out.
        if self.counts.sent > 0 {
            self.rates(&mut s);
        }
        if !self.recorder.latency.is_empty() {
            self.latencies(&mut s);
        }
        self.costs(&mut s);
        self.findings(&mut s);
        s
    }

    /// What the requests came to: the run, the counts, what was due and sent.
    fn requests(&self, s: &mut String) {
        let c = &self.counts;
        let _ = writeln!(
            s,
            "echo-load: {}; {}",
            self.config.describe(),
            self.verdict_name()
        );
        if let Some(signal) = self.interrupted {
            let _ = writeln!(
                s,
                "interrupted by {} after {:.2} s of load: what ran is below; {} outstanding \
                 then were abandoned, neither answered nor failed",
                crate::interrupt::name(signal),
                self.seconds,
                plural(c.abandoned, "request", "requests")
            );
        }
        self.what_to_fix(s);
        let _ = writeln!(
            s,
            "ok {}  failed {}  wrong {}  timed out {}  skipped {}",
            c.ok, c.failed, c.wrong, c.timeouts, c.skipped
        );
        if c.skipped > 0 {
            let unsolicited = c.skipped - c.duplicate - c.misdirected;
            let _ = writeln!(
                s,
                "skipped messages: {} duplicate, {} misdirected, {} unsolicited",
                c.duplicate, c.misdirected, unsolicited
            );
        }
        let _ = writeln!(
            s,
            "requests: due {}  sent {}  never sent {}",
            self.due,
            c.sent,
            self.never_sent()
        );
        let cut_short = self.interrupted.is_some() || self.faults.ended();
        if let Some(rate) = self.config.rate
            && self.never_sent() > 0
            && !cut_short
        {
            let reached = c.sent as f64 / self.seconds.max(1e-9);
            let _ = writeln!(
                s,
                "warning: the asked rate was not sustained: {rate} requests/s asked, {reached:.0} sent ({}, each with one request outstanding)",
                plural(self.config.concurrency as u64, "client", "clients")
            );
        }
    }

    /// [`Report::diagnosis`], first after the run's own line, for a run that is not
    /// valid.
    fn what_to_fix(&self, s: &mut String) {
        let diagnosis = self.diagnosis();
        if diagnosis.is_empty() {
            return;
        }
        let _ = writeln!(s, "what to fix:");
        for line in diagnosis {
            let _ = writeln!(s, "{}", fill(&line, "  - ", "    "));
        }
    }

    /// The rates: offered, sent, and the throughput.
    fn rates(&self, s: &mut String) {
        let offered = match self.config.rate {
            Some(rate) => format!("offered {} requests/s (the schedule), ", number(rate)),
            None => String::new(),
        };
        match self.throughput() {
            Some(t) => {
                let _ = writeln!(
                    s,
                    "rates: {offered}sent {:.0} requests/s, throughput {t:.0} requests/s \
                     (replies within the {:.2} s load window)",
                    self.sent_rate(),
                    self.seconds
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "rates: {offered}sent {:.0} requests/s; throughput not measured: the \
                     load window was {:.2} s, under a second",
                    self.sent_rate(),
                    self.seconds
                );
            }
        }
    }

    /// The latencies, the service times and the wait in echo-load.
    fn latencies(&self, s: &mut String) {
        let l = &self.recorder.latency;
        let quantiles = |h: &hdrhistogram::Histogram<u64>| {
            format!(
                "min {:.3}  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
                ms(h, 0.0),
                ms(h, 0.5),
                ms(h, 0.9),
                ms(h, 0.99),
                ms(h, 0.999),
                ms(h, 1.0)
            )
        };
        let counted = match self.recorder.unanswered {
            0 => String::new(),
            n => format!(
                " (with the {} never answered, each at what it had waited when given up)",
                plural(n, "request", "requests")
            ),
        };
        if self.from_schedule() {
            let _ = writeln!(
                s,
                "latency from the schedule, ms: {}{counted}",
                quantiles(l)
            );
            if !self.recorder.service.is_empty() {
                let _ = writeln!(
                    s,
                    "service time from the write, ms: {}",
                    quantiles(&self.recorder.service)
                );
            }
        } else {
            let _ = writeln!(
                s,
                "service time from each client's send, ms: {}{counted}",
                quantiles(l)
            );
        }
        let w = &self.recorder.wait;
        let _ = writeln!(
            s,
            "waited in echo-load before sending, ms: p50 {:.3}  p99 {:.3}  max {:.3}; reply \
             times taken at each read of a node's stdout, each within {:.3} ms of it",
            ms(w, 0.5),
            ms(w, 0.99),
            ms(w, 1.0),
            self.recorder.stamp_error.as_secs_f64() * 1000.0
        );
        if self.driver_lagged() {
            let _ = writeln!(
                s,
                "note: requests waited in echo-load itself (p99 {:.3} ms, over {DRIVER_LAG_MS} \
                 ms): the latencies above include the driver's own delay",
                ms(w, 0.99)
            );
        }
    }

    /// What the run cost: CPU, the nodes' start and stop, the driver's descriptors and memory.
    fn costs(&self, s: &mut String) {
        let _ = match self.cpu_per_request_us() {
            Some((driver, Some(nodes))) => writeln!(
                s,
                "cpu per request during the load: driver {driver:.2} us, nodes {nodes:.2} us"
            ),
            Some((driver, None)) => writeln!(
                s,
                "cpu per request during the load: driver {driver:.2} us (the nodes' is not \
                 measured on this system)"
            ),
            // Left out: nothing was measured.
            None => Ok(()),
        };
        let nodes = self.config.node_count;
        let _ = if self.initialised == nodes {
            writeln!(
                s,
                "nodes: started and initialised in {:.2} s, stopped in {:.2} s",
                self.start_seconds, self.stop_seconds
            )
        } else {
            writeln!(
                s,
                "nodes: started in {:.2} s, {} of {nodes} initialised, stopped in {:.2} s",
                self.start_seconds, self.initialised, self.stop_seconds
            )
        };
        if let (Some(fds), Some(kib)) = (self.descriptors, self.peak_rss_kib) {
            let _ = writeln!(
                s,
                "driver: {fds} descriptors open, peak memory {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
    }

    /// [`Report::findings`], as text of its own: what `echo-load doctor` shows of a run.
    pub(crate) fn findings_text(&self) -> String {
        let mut s = String::new();
        self.findings(&mut s);
        s
    }

    /// The faults by section, what the nodes at fault last wrote, and the verdict.
    fn findings(&self, s: &mut String) {
        for section in [
            Class::Aborts,
            Class::StopsReading,
            Class::Fails,
            Class::StrictOnly,
        ] {
            self.list_faults(s, section);
        }
        if let Some(a) = self.config.availability
            && !self.availability_met()
        {
            let _ = writeln!(
                s,
                "availability: {} of {} requests succeeded ({:.4}), under --availability {a}",
                self.ok_ops(),
                self.counts.sent,
                self.ok_fraction()
            );
        }
        if !self.stderr.is_empty() {
            let _ = writeln!(s, "what the nodes at fault last wrote on stderr:");
            for (node, lines) in &self.stderr {
                for line in lines {
                    let _ = writeln!(s, "  {node}: {line}");
                }
            }
        }
        match (self.faults.aborted(), self.interrupted) {
            (Some(_), _) => {
                let _ = writeln!(s, "valid? unknown: Maelstrom would stop this test");
            }
            (None, Some(signal)) => {
                let name = crate::interrupt::name(signal);
                let _ = writeln!(s, "valid? {} (of what ran before {name})", self.valid());
            }
            (None, None) => {
                let _ = writeln!(s, "valid? {}", self.valid());
            }
        }
    }

    /// Appends the faults of one section of the summary, the first few of each kind.
    fn list_faults(&self, s: &mut String, section: Class) {
        let kinds: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| k.class() == section && self.faults.count(*k) > 0)
            .collect();
        if kinds.is_empty() {
            return;
        }
        let heading = match section {
            Class::Aborts => "Maelstrom would stop this test",
            Class::StopsReading => "where Maelstrom stops reading a node's stdout",
            Class::Fails => "failures",
            Class::StrictOnly => "failures stricter than Maelstrom",
        };
        let _ = writeln!(s, "{heading}:");
        for kind in kinds {
            let count = self.faults.count(kind);
            let shown = self.faults.shown(kind).count() as u64;
            let more = if count > shown {
                format!(", first {shown} shown")
            } else {
                String::new()
            };
            let _ = writeln!(s, "  {} ({count}{more}):", kind.label());
            for fault in self.faults.shown(kind) {
                for (i, line) in fault.to_string().lines().enumerate() {
                    let indent = if i == 0 { "    " } else { "      " };
                    let _ = writeln!(s, "{indent}{line}");
                }
            }
        }
        if section == Class::StopsReading && !self.lost.is_empty() {
            let lost: Vec<String> = self
                .lost
                .iter()
                .map(|(node, n)| format!("{node} {}", plural(*n, "line", "lines")))
                .collect();
            let _ = writeln!(s, "  lost after it: {}", lost.join(", "));
        }
    }
}
