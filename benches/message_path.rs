//! In-process throughput of the message path (line -> parse -> reply bytes), beside the
//! same work done the conventional way (serde_json::Value in, serde_json::to_writer out).
//!
//! `cargo bench --bench message_path`

#![forbid(unsafe_code)]

mod support;

use std::hint::black_box;
use std::io;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use echo_node::Flush;
use echo_node::{Config, Stats};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn message_path(c: &mut Criterion) {
    for (name, payload) in support::PAYLOADS {
        let count: u64 = if name == "4KiB" { 2_000 } else { 10_000 };
        let input = support::requests(count, payload);
        let mut group = c.benchmark_group(format!("message_path/{name}"));
        group.throughput(Throughput::ElementsAndBytes {
            elements: count + 1,
            bytes: input.len() as u64,
        });
        let mut out = Vec::with_capacity(2 * input.len());

        let config = Config {
            flush: Flush::Batch,
            quiet: true,
            ..Config::default()
        };
        group.bench_function("echo-node", |b| {
            b.iter(|| {
                out.clear();
                let mut stats = Stats::default();
                echo_node::run(&config, &input[..], &mut out, io::sink(), &mut stats)
                    .expect("in-memory run");
                black_box(&out);
            })
        });

        // The floor under the node's figure: simd-json alone, parsing each line in place.
        // Parsing unescapes strings in place, so each run gets a fresh copy (not timed).
        let mut padded = input.clone();
        padded.extend_from_slice(&[b' '; simd_json::INPUT_PADDING]);
        let mut buffers = simd_json::Buffers::default();
        let mut tape = simd_json::Tape(Vec::new());
        group.bench_function("simd-json fill_tape_padded alone", |b| {
            b.iter_batched_ref(
                || padded.clone(),
                |padded| {
                    let mut start = 0;
                    while let Some(i) = memchr::memchr(b'\n', &padded[start..input.len()]) {
                        let mut t =
                            std::mem::replace(&mut tape, simd_json::Tape(Vec::new())).reset();
                        simd_json::fill_tape_padded(&mut padded[start..], i, &mut buffers, &mut t)
                            .expect("valid");
                        black_box(&t);
                        tape = t.reset();
                        start += i + 1;
                    }
                },
                BatchSize::LargeInput,
            )
        });

        group.bench_function("serde_json::Value", |b| {
            b.iter(|| {
                out.clear();
                let mut node = support::Conventional::default();
                for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    node.handle(line, &mut out).expect("in-memory write");
                }
                black_box(&out);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, message_path);
criterion_main!(benches);
