//! A run's plots: latency of each request over time on a log scale, timeouts marked
//! (`latency.svg`); throughput over time, `--rate` drawn (`throughput.svg`).

use plotters::prelude::*;

use super::chart::{PLOT_SIZE, legend};
use super::report::Report;
use crate::words::short;

impl Report {
    /// `latency.svg`.
    pub(super) fn plot_latency(&self) -> Result<String, Box<dyn std::error::Error>> {
        let samples = &self.recorder.samples;
        let timeout_ms = self.config.timeout.as_secs_f64() * 1000.0;
        let end = samples
            .iter()
            .map(|p| p.0)
            .chain(self.timeout_marks.iter().copied())
            .fold(self.seconds, f64::max)
            // With nothing answered, a second's axis rather than a millisecond's.
            .max(if samples.is_empty() { 1.0 } else { 0.001 });
        let (lo, hi) = samples
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        // Room above the highest mark for the legend: a decade over the timeouts.
        let hi = if self.timeout_marks.is_empty() {
            hi * 1.5
        } else {
            hi.max(timeout_ms) * 10.0
        };
        let (lo, hi) = if samples.is_empty() {
            (0.001, hi.max(1.0))
        } else {
            (lo.max(0.001) / 1.5, hi)
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!("Latency of each request ({})", self.config.describe()),
                    ("sans-serif", 16),
                )
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..end, (lo..hi).log_scale())?;
            chart
                .configure_mesh()
                .x_desc("time since the load started (s)")
                .y_desc("latency (ms)")
                .y_label_formatter(&|ms| short(*ms))
                .draw()?;
            let answered = if samples.len() as u64 == self.recorder.seen {
                "answered".to_owned()
            } else {
                format!("answered (a sample of {})", samples.len())
            };
            chart
                .draw_series(
                    samples
                        .iter()
                        .map(|&(t, ms)| Circle::new((t, ms.max(lo)), 1, BLUE.mix(0.35).filled())),
                )?
                .label(answered)
                .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
            if !self.timeout_marks.is_empty() {
                chart
                    .draw_series(
                        self.timeout_marks
                            .iter()
                            .map(|&t| Cross::new((t, timeout_ms), 6, RED.stroke_width(2))),
                    )?
                    .label(format!(
                        "timed out ({}), at the time it was sent",
                        self.counts.timeouts
                    ))
                    .legend(|(x, y)| Cross::new((x + 10, y), 4, RED.stroke_width(2)));
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
            root.present()?;
        }
        Ok(svg)
    }

    /// `throughput.svg`.
    pub(super) fn plot_throughput(&self) -> Result<String, Box<dyn std::error::Error>> {
        // Every whole second of the load, silent ones at zero; a last partial second
        // would read as a drop.
        let seconds = (self.seconds.floor() as usize).max(1);
        let mut per_second = self.recorder.per_second.clone();
        per_second.resize(seconds, 0);
        let rate = self.config.rate.unwrap_or(0.0);
        let top = (per_second.iter().copied().max().unwrap_or(0) as f64)
            .max(rate)
            .max(1.0)
            * 1.1;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!("Throughput ({})", self.config.describe()),
                    ("sans-serif", 16),
                )
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(80)
                .build_cartesian_2d(0f64..(seconds as f64), 0f64..top)?;
            chart
                .configure_mesh()
                .x_desc("time since the load started (s)")
                .y_desc("requests answered per second")
                .y_label_formatter(&|n| short(*n))
                .draw()?;
            chart
                .draw_series(LineSeries::new(
                    per_second
                        .iter()
                        .enumerate()
                        .flat_map(|(s, &n)| [(s as f64, n as f64), (s as f64 + 1.0, n as f64)]),
                    BLUE.stroke_width(2),
                ))?
                .label("answered per second")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
            // The asked rate on top, dashed: where the two are equal, both show.
            if let Some(rate) = self.config.rate {
                let red = RED.stroke_width(1);
                chart
                    .draw_series(DashedLineSeries::new(
                        [(0.0, rate), (seconds as f64, rate)],
                        8,
                        6,
                        red,
                    ))?
                    .label(format!("--rate {rate}"))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 8, y)], red));
            }
            legend(&mut chart, SeriesLabelPosition::LowerRight)?;
            root.present()?;
        }
        Ok(svg)
    }
}
