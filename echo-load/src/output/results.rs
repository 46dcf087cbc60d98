//! A run's `results.json` (echo-load's figures) and `results.edn` (the checkers' results
//! as Maelstrom composes them, written in EDN).

use std::fmt::Write as _;

use serde_json::json;

use super::report::Report;
use crate::edn;
use crate::fault::Kind;
use crate::record::ms;

impl Report {
    /// `results.json`'s content.
    pub fn results_json(&self) -> serde_json::Value {
        let cpu = self.cpu_per_request_us();
        let (driver, nodes) = (cpu.map(|c| c.0), cpu.and_then(|c| c.1));
        let c = &self.counts;
        let l = &self.recorder.latency;
        let w = &self.recorder.wait;
        let faults: serde_json::Map<String, serde_json::Value> = Kind::ALL
            .into_iter()
            .filter(|k| self.faults.count(*k) > 0)
            .map(|k| (k.name().to_owned(), json!(self.faults.count(k))))
            .collect();
        let shown: Vec<serde_json::Value> = Kind::ALL
            .into_iter()
            .flat_map(|k| self.faults.shown(k))
            .map(|f| {
                json!({
                    "kind": f.kind().name(),
                    "strict_only": f.kind().strict_only(),
                    "text": f.to_string(),
                })
            })
            .collect();
        json!({
            "valid": self.valid(),
            "diagnosis": self.diagnosis(),
            "outcome": self.outcome().word(),
            "aborted": self.faults.aborted().map(|f| f.to_string()),
            "lost_lines": self.lost.iter().map(|(n, k)| (n.clone(), json!(k))).collect::<serde_json::Map<_, _>>(),
            "verdict": if self.config.strict { "strict" } else { "maelstrom" },
            "interrupted": self.interrupted.map(crate::interrupt::name),
            "stderr": self.stderr.iter().map(|(n, l)| (n.clone(), json!(l))).collect::<serde_json::Map<_, _>>(),
            "abandoned": c.abandoned,
            "settings": self.settings_json(),
            "initialised": self.initialised,
            "requests": { "due": self.due, "sent": c.sent, "never_sent": self.never_sent() },
            "ok": c.ok,
            "failed": c.failed,
            "wrong": c.wrong,
            "timeouts": c.timeouts,
            "skipped": {
                "total": c.skipped,
                "duplicate": c.duplicate,
                "misdirected": c.misdirected,
                "unsolicited": c.skipped - c.duplicate - c.misdirected,
            },
            "forwarded": c.forwarded,
            "offered_rate": self.config.rate,
            "sent_rate": self.sent_rate(),
            "throughput": self.throughput(),
            "replies_in_window": self.recorder.in_window,
            "seconds": self.seconds,
            "latency_from": if self.from_schedule() { "schedule" } else { "send" },
            "unanswered_in_latency": self.recorder.unanswered,
            "reply_time_error_ms": self.recorder.stamp_error.as_secs_f64() * 1000.0,
            "driver_lagged": self.driver_lagged(),
            "service_ms": {
                "min": ms(&self.recorder.service, 0.0),
                "p50": ms(&self.recorder.service, 0.5),
                "p90": ms(&self.recorder.service, 0.9),
                "p99": ms(&self.recorder.service, 0.99),
                "p999": ms(&self.recorder.service, 0.999),
                "max": ms(&self.recorder.service, 1.0),
            },
            "latency_ms": {
                "min": ms(l, 0.0),
                "mean": if l.is_empty() { 0.0 } else { l.mean() / 1000.0 },
                "p50": ms(l, 0.5),
                "p90": ms(l, 0.9),
                "p99": ms(l, 0.99),
                "p999": ms(l, 0.999),
                "p9999": ms(l, 0.9999),
                "max": ms(l, 1.0),
            },
            "wait_ms": {
                "p50": ms(w, 0.5),
                "p90": ms(w, 0.9),
                "p99": ms(w, 0.99),
                "max": ms(w, 1.0),
            },
            "cpu_us_per_request": { "driver": driver, "nodes": nodes },
            "start_seconds": self.start_seconds,
            "stop_seconds": self.stop_seconds,
            "driver": { "descriptors": self.descriptors, "peak_rss_kib": self.peak_rss_kib },
            "faults": faults,
            "failures": shown,
            "run": self.config.describe(),
        })
    }

    /// `results.json`'s `settings`: every option that changes a run, as given.
    fn settings_json(&self) -> serde_json::Value {
        json!({
            "bin": self.config.bin.display().to_string(),
            "node_args": self.config.node_args,
            "nodes": self.config.node_count,
            "first_node": format!("n{}", self.config.first_node),
            "concurrency": self.config.concurrency,
            "rate": self.config.rate,
            "closed_loop": self.config.rate.is_none(),
            "payload": self.config.payload.to_string(),
            "time_limit_s": self.config.time_limit.as_secs_f64(),
            "timeout_ms": self.config.timeout.as_millis() as u64,
            "requests": self.config.requests,
            "seed": self.config.seed,
            "strict": self.config.strict,
            "latency_ms": self.config.latency_ms,
            "latency_dist": self.config.latency_dist.to_string(),
            "log_stderr": self.config.log_stderr,
            "availability": self.config.availability.map(|a| a.to_string()),
            "history": self.config.history,
            "no_history": self.config.no_history,
            "workload": "echo",
        })
    }

    /// `results.edn`: the checkers' results as Maelstrom composes them (core.clj: `:perf`,
    /// `:timeline`, `:exceptions`, `:stats`, `:net`, `:workload`, and `:valid?` over all),
    /// and echo-load's own figures (`results.json`'s) under `:echo-load`.
    pub(super) fn results_edn(&self) -> String {
        let report = self;
        let c = &report.counts;
        // An operation is invoked when its request is written; it completes `:ok` (a reply,
        // right or wrong: the workload's checker judges its value), `:fail` (an error
        // reply), or `:info` (no definite outcome: a timeout, a malformed reply, a run
        // interrupted).
        let ok = report.ok_ops();
        let fail = c.failed;
        let info = c.malformed + c.timeouts + c.abandoned;
        let count = ok + fail + info;
        // Jepsen's stats checker: each f is valid when some of its operations were ok.
        let stats_valid = count == 0 || ok > 0;
        let judged = |valid: bool| {
            if report.faults.aborted().is_some() {
                ":unknown"
            } else if valid {
                "true"
            } else {
                "false"
            }
        };
        // The workload's checker judges the faults; the composed verdict adds
        // `--availability`'s.
        let workload_valid = judged(!report.faults.fail(report.config.strict));
        let valid = judged(report.valid());
        let op_stats = |out: &mut String| {
            let _ = write!(
                out,
                ":count {count}, :ok-count {ok}, :fail-count {fail}, :info-count {info}"
            );
        };
        let mut s = String::new();
        s.push_str(
            "{:perf {:latency-graph {:valid? true}, :rate-graph {:valid? true}, :valid? true},\n",
        );
        s.push_str(" :timeline {:valid? true},\n :exceptions {:valid? true},\n");
        let _ = write!(s, " :stats {{:valid? {stats_valid}, ");
        op_stats(&mut s);
        s.push_str(", :by-f {");
        if count > 0 {
            let _ = write!(s, ":echo {{:valid? {}, ", ok > 0);
            op_stats(&mut s);
            s.push('}');
        }
        s.push_str("}},\n");
        let journal = &report.journal;
        let (clients, servers) = (journal.clients(), journal.servers());
        let invoked = c.sent;
        let traffic = |out: &mut String, sends: u64, recvs: u64, per_op: bool| {
            let _ = write!(
                out,
                "{{:send-count {sends}, :recv-count {recvs}, :msg-count {sends}"
            );
            if per_op && invoked > 0 {
                let _ = write!(
                    out,
                    ", :msgs-per-op {}",
                    edn::float(sends as f64 / invoked as f64)
                );
            }
            out.push('}');
        };
        s.push_str(" :net {:stats {:all ");
        traffic(
            &mut s,
            clients.sends + servers.sends,
            clients.recvs + servers.recvs,
            true,
        );
        s.push_str(",\n               :clients ");
        traffic(&mut s, clients.sends, clients.recvs, false);
        s.push_str(",\n               :servers ");
        traffic(&mut s, servers.sends, servers.recvs, true);
        s.push_str("},\n       :valid? true},\n");
        let ok_fraction = match c.sent {
            0 => "1".to_owned(),
            _ => edn::float(report.ok_fraction()),
        };
        let _ = writeln!(
            s,
            " :availability {{:valid? {}, :ok-fraction {ok_fraction}}},",
            report.availability_met()
        );
        let errors: Vec<String> = crate::fault::Kind::ALL
            .into_iter()
            .filter(|k| !k.strict_only() || report.config.strict)
            .flat_map(|k| report.faults.shown(k))
            .map(|f| f.to_string())
            .collect();
        let _ = write!(s, " :workload {{:valid? {workload_valid}, :errors (");
        for (i, e) in errors.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            edn::string(&mut s, e);
        }
        s.push_str(")},\n :echo-load ");
        edn::value(&mut s, &report.results_json());
        let _ = writeln!(s, ",\n :valid? {valid}}}");
        s
    }
}
