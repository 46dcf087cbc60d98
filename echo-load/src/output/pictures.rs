//! The pictures Maelstrom draws of a run, drawn from what echo-load kept of it:
//! `messages.svg` (the network's spacetime diagram, from the [`Journal`]'s window),
//! `latency-quantiles.svg` (latency binned over time, as quantiles) and `timeline.html`
//! (each client's operations on a track of its own, from `history.jsonl`).

use std::fmt::Write as _;
use std::io::{self, BufRead};
use std::path::Path;
use std::time::Instant;

use plotters::prelude::*;
use serde_json::Value;

use super::chart::{PLOT_SIZE, legend};
use super::pages::escape;
use crate::check;
use crate::files::Plot;
use crate::journal::{Entry, Journal};
use crate::record::Recorder;
use crate::words::short;

/// The colour of a message (net/viz.clj): pink for an error, blue for one to or from a
/// client, black between servers.
fn colour(kind: &str, client: bool) -> &'static str {
    if kind == "error" {
        "#FF1E90"
    } else if client {
        "#81BFFC"
    } else {
        "#000"
    }
}

/// Where a party's line goes: clients first, then nodes, then services, each in order
/// of their numbers.
fn party_order(name: &str) -> (u8, u64, String) {
    let number = |rest: &str| rest.parse::<u64>().ok();
    match name.as_bytes().first() {
        Some(b'c') if number(&name[1..]).is_some() => {
            (0, number(&name[1..]).unwrap_or(0), String::new())
        }
        Some(b'n') if number(&name[1..]).is_some() => {
            (1, number(&name[1..]).unwrap_or(0), String::new())
        }
        _ => (2, 0, name.to_owned()),
    }
}

/// A message's sender, receiver and type.
type Parties = (String, String, String);

/// A message's parties and type, read from its line as Maelstrom reads it (text after
/// the message, a raw control character in a string and an escaped lone surrogate
/// included: every message the journal holds was read so).
fn parties(line: &[u8]) -> Option<Parties> {
    let message = check::read_message(line).ok()?;
    // A string's text; one that does not decode (an escaped lone surrogate) as written.
    let text = |token: &[u8]| {
        (token.len() >= 2 && token.starts_with(b"\"")).then(|| {
            check::decode_string(token).map_or_else(
                |_| String::from_utf8_lossy(&token[1..token.len() - 1]).into_owned(),
                std::borrow::Cow::into_owned,
            )
        })
    };
    let src = text(message.src.of(line))?;
    let dest = text(message.dest.of(line))?;
    let kind = message
        .body
        .type_
        .and_then(|t| text(t.of(line)))
        .unwrap_or_default();
    Some((src, dest, kind))
}

/// The longest text shown for a message on hover.
const HOVER: usize = 2_000;

/// `messages.svg`: each party (client, node, service) a vertical line, each message of
/// the journal's window an arrow from its sender to its receiver, a row each, time
/// flowing down (by order, not to scale); a message's JSON shows on hover. Messages
/// after the window are not drawn: a notice at the end says how many.
pub fn messages(journal: &Journal, start: Instant) -> Plot {
    let (first, skipped) = journal.window();
    let rows: Vec<Option<&Entry>> = first
        .iter()
        .map(Some)
        .chain((skipped > 0).then_some(None))
        .collect();
    let read: Vec<Option<(&Entry, Parties)>> = rows
        .iter()
        .map(|e| e.and_then(|e| parties(&e.line).map(|p| (e, p))))
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for (_, (src, dest, _)) in read.iter().flatten() {
        for name in [src.as_str(), dest.as_str()] {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.sort_by_key(|n| party_order(n));
    let column = |name: &str| names.iter().position(|n| *n == name).unwrap_or(0);
    let width = (names.len().max(1) * 120).clamp(600, 2400) as f64;
    let x = |k: usize| (k as f64 + 0.5) / names.len().max(1) as f64 * width;
    let step = 20.0;
    let top = 40.0;
    let height = top + step * (rows.len() as f64 + 2.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\
         <defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"context-stroke\"/></marker></defs>\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
    );
    for (k, name) in names.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
             <line x1=\"{:.1}\" y1=\"28\" x2=\"{:.1}\" y2=\"{height}\" stroke=\"#ccc\" \
             stroke-width=\"2\"/>",
            x(k),
            escape(name),
            x(k),
            x(k)
        );
    }
    for (i, row) in read.iter().enumerate() {
        let y = top + step * i as f64;
        let Some((entry, (src, dest, kind))) = row else {
            if rows[i].is_none() {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#D96918\">\
                     {skipped} later messages not drawn</text>",
                    width / 2.0,
                    y + step * 0.6
                );
            }
            continue;
        };
        let client = party_order(src).0 == 0 || party_order(dest).0 == 0;
        let (x1, x2) = (x(column(src)), x(column(dest)));
        let text = String::from_utf8_lossy(&entry.line);
        let mut hover: String = text.chars().take(HOVER).collect();
        if hover.len() < text.len() {
            hover.push('…');
        }
        let seconds = if entry.at >= start {
            (entry.at - start).as_secs_f64()
        } else {
            -(start - entry.at).as_secs_f64()
        };
        let dash = if entry.delivered {
            ""
        } else {
            " stroke-dasharray=\"4 3\""
        };
        let _ = write!(
            svg,
            "<g class=\"message\"><title>{:.6} s: {}{}</title>\
             <line x1=\"{x1:.1}\" y1=\"{y:.1}\" x2=\"{x2:.1}\" y2=\"{:.1}\" stroke=\"{}\" \
             stroke-width=\"2\" marker-end=\"url(#head)\"{dash}/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text></g>",
            seconds,
            escape(&hover),
            if entry.delivered {
                ""
            } else {
                " (not delivered)"
            },
            y + step * 0.8,
            colour(kind, client),
            (x1 + x2) / 2.0,
            y + step * 0.4 - 2.0,
            escape(kind),
        );
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// `latency-quantiles.svg`: the latency of the requests in each bin of the run, as
/// quantiles 0.5, 0.95, 0.99 and 1 (Maelstrom's `latency-quantiles.png`).
pub fn quantiles(recorder: &Recorder, describe: &str) -> Plot {
    let width = recorder.bin_width;
    let quantiles = [
        (0.5, "p50", RGBColor(0x1f, 0x77, 0xb4)),
        (0.95, "p95", RGBColor(0x2c, 0xa0, 0x2c)),
        (0.99, "p99", RGBColor(0xff, 0x7f, 0x0e)),
        (1.0, "max", RGBColor(0xd6, 0x27, 0x28)),
    ];
    let bins: Vec<(f64, &hdrhistogram::Histogram<u64>)> = recorder
        .bins
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| ((i as f64 + 0.5) * width, h))
        .collect();
    let end = bins.last().map_or(1.0, |(t, _)| t + width / 2.0).max(width);
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| {
        (h.value_at_quantile(q) as f64 / 1000.0).max(0.001)
    };
    let hi = bins.iter().map(|(_, h)| ms(h, 1.0)).fold(1.0, f64::max) * 10.0;
    let lo = bins
        .iter()
        .map(|(_, h)| ms(h, 0.5))
        .fold(f64::MAX, f64::min);
    let lo = if bins.is_empty() { 0.001 } else { lo / 1.5 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Latency quantiles, {} s bins ({describe})", short(width)),
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
        for (q, name, colour) in quantiles {
            let style = colour.stroke_width(2);
            chart
                .draw_series(LineSeries::new(
                    bins.iter().map(|(t, h)| (*t, ms(h, q))),
                    style,
                ))?
                .label(name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present()?;
    }
    Ok(svg)
}

/// The most operations `timeline.html` draws: the first ones of the history.
pub const TIMELINE_OPS: usize = 10_000;

/// One operation of the timeline: its process, the event rows it spans, how it ended.
struct Span {
    process: String,
    from: usize,
    to: usize,
    kind: String,
    value: String,
    done: String,
}

/// `timeline.html` from `history.jsonl` in `dir`: a track for each client, each of its
/// operations a bar from its invocation's event to its completion's (time flows down
/// by event, as Jepsen's timeline does), coloured by how it ended: blue `ok`, orange
/// `info`, pink `fail`; the first [`TIMELINE_OPS`] operations.
pub fn timeline(dir: &Path, title: &str) -> io::Result<String> {
    let (spans, event, more) = operations(dir)?;
    let mut processes: Vec<&str> = spans.iter().map(|s| s.process.as_str()).collect();
    processes.sort_by_key(|p| party_order(p));
    processes.dedup();
    let row = 16usize;
    let track = 110usize;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>Timeline: {title}</title><style>\
         body{{font-family:sans-serif;margin:1em}}\
         .tl{{position:relative;height:{}px;width:{}px}}\
         .op{{position:absolute;width:{}px;border-radius:2px;font-size:10px;\
         overflow:hidden;white-space:nowrap;box-sizing:border-box;padding:0 2px}}\
         .ok{{background:#6DB6FE}}.info{{background:#FFAA26}}.fail{{background:#FEB5DA}}\
         .head{{position:absolute;top:0;width:{}px;font-weight:bold;text-align:center}}\
         </style></head><body><h1>Timeline</h1><p>{title}: each client's operations on \
         its own track, time flowing down by event; <span class=\"op ok\" \
         style=\"position:static\">ok</span> <span class=\"op info\" \
         style=\"position:static\">info</span> <span class=\"op fail\" \
         style=\"position:static\">fail</span>{}</p><div class=\"tl\">",
        (event + 3) * row,
        processes.len().max(1) * track,
        track - 6,
        track - 6,
        if more > 0 {
            format!("; the first {TIMELINE_OPS} operations (the rest not drawn)")
        } else {
            String::new()
        },
        title = escape(title),
    );
    for (k, p) in processes.iter().enumerate() {
        let _ = write!(
            html,
            "<div class=\"head\" style=\"left:{}px\">{}</div>",
            k * track,
            escape(p)
        );
    }
    for span in &spans {
        let k = processes
            .iter()
            .position(|p| *p == span.process)
            .unwrap_or(0);
        let _ = write!(
            html,
            "<div class=\"op {}\" style=\"left:{}px;top:{}px;height:{}px\" \
             title=\"{}: {} -&gt; {}\">{}</div>",
            escape(&span.kind),
            k * track,
            (span.from + 2) * row,
            (span.to.saturating_sub(span.from).max(1)) * row - 2,
            escape(&span.process),
            escape(&span.value),
            escape(&span.done),
            escape(&span.value),
        );
    }
    html.push_str("</div></body></html>\n");
    Ok(html)
}

/// The first [`TIMELINE_OPS`] operations of `history.jsonl` in `dir`, each a span from
/// its invocation's event to its completion's; the events read, and how many operations
/// were left out.
fn operations(dir: &Path) -> io::Result<(Vec<Span>, usize, u64)> {
    let file = std::fs::File::open(dir.join("history.jsonl"))?;
    let mut open: std::collections::HashMap<(String, u64), usize> = Default::default();
    let mut spans: Vec<Span> = Vec::new();
    let mut event = 0usize;
    let mut more = 0u64;
    for line in io::BufReader::new(file).lines() {
        let line = line?;
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let (Some(process), Some(kind), Some(msg_id)) = (
            v.get("process").and_then(Value::as_str),
            v.get("type").and_then(Value::as_str),
            v.get("msg_id").and_then(Value::as_u64),
        ) else {
            continue;
        };
        let key = (process.to_owned(), msg_id);
        let value = v.get("value").map(Value::to_string).unwrap_or_default();
        if kind == "invoke" {
            if spans.len() == TIMELINE_OPS {
                more += 1;
                if open.is_empty() {
                    break; // every operation drawn has completed: the rest is not read
                }
                continue;
            }
            open.insert(key, spans.len());
            spans.push(Span {
                process: process.to_owned(),
                from: event,
                to: event + 1,
                kind: "info".into(),
                value,
                done: "not completed".into(),
            });
        } else if let Some(i) = open.remove(&key) {
            let span = &mut spans[i];
            span.to = event;
            span.kind = kind.to_owned();
            span.done = match (v.get("error"), v.get("code")) {
                (Some(e), _) => format!("{kind}: {e}"),
                (_, Some(code)) => format!("{kind}: error code {code}"),
                _ => format!("{kind}: {value}"),
            };
        } else {
            continue;
        }
        event += 1;
    }
    Ok((spans, event, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines Maelstrom reads, which strict JSON readers refuse or that carry what XML
    /// cannot hold.
    const LINES: [&str; 5] = [
        "{\"src\":\"n0\",\"dest\":\"c1\",\"body\":{\"type\":\"echo_ok\"}} and some text",
        "{\"src\":\"n0\",\"dest\":\"c1\",\"body\":{\"type\":\"echo_ok\",\"echo\":\"\\ud800\"}}",
        "{\"src\":\"n0\",\"dest\":\"c1\",\"body\":{\"type\":\"echo_ok\",\"echo\":\"a\tb\u{1}\"}}",
        "{\"src\":\"n0\",\"dest\":\"n1\",\"body\":{\"type\":\"gossip\\u0001\"}}",
        "{\"src\":\"n0\",\"dest\":\"n1\",\"body\":{\"type\":\"x\u{ffff}\"}}",
    ];

    #[test]
    fn every_message_maelstrom_reads_is_drawn_in_a_well_formed_picture() {
        let start = Instant::now();
        let mut journal = Journal::default();
        for line in LINES {
            assert!(parties(line.as_bytes()).is_some(), "drawn: {line}");
            journal.message(start, line.as_bytes(), true, true);
        }
        let svg = messages(&journal, start).expect("drawn");
        assert_eq!(svg.matches("<g class=\"message\">").count(), LINES.len());
        // Only characters an XML document may hold.
        let bad = svg.chars().find(|&c| {
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
        });
        assert_eq!(bad, None, "{svg}");
        assert!(svg.contains("gossip\\u0001"), "shown as its code: {svg}");
    }
}
