//! A Maelstrom-shaped load test: 50 synchronous clients (each sends a request and waits
//! for its reply, 5 s timeout, like Maelstrom's) drive the node with varied payloads, every
//! reply is checked the way Maelstrom's echo checker does, and the achieved rate and
//! latency percentiles are printed (see them with `cargo test --test load -- --nocapture`).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::Value;

use common::{FLUSH_MODES, INIT, check_reply_shape, json, spawn_node};

const CLIENTS: u64 = 50;
const REQUESTS_PER_CLIENT: u64 = 400;
const TIMEOUT: Duration = Duration::from_secs(5);

/// Payloads of every kind, as Maelstrom clients might send them.
fn payload(client: u64, i: u64) -> String {
    match (client + i) % 6 {
        0 => format!("\"Please echo {i}\""),
        1 => format!("{{\"client\":{client},\"seq\":[{i},{i}.5,-{i}e-3],\"ok\":true}}"),
        2 => format!("\"\\u00e9\\t\\\"{client}\\\" \u{1F600}\""),
        3 => format!("{}{}", i, "0".repeat((i % 25) as usize)),
        4 => "null".to_string(),
        _ => format!("\"{}\"", "x".repeat(((i * 37) % 3000) as usize)),
    }
}

type Waiters = Arc<Mutex<HashMap<(String, u64), Sender<Vec<u8>>>>>;

fn load(flush: &str) {
    let mut child = spawn_node(&["--flush", flush]);
    let stdin = Arc::new(Mutex::new(child.stdin.take().expect("piped")));
    let stdout = child.stdout.take().expect("piped");
    let waiters: Waiters = Arc::default();

    // The network: routes each reply to the client that waits for it.
    let (init_tx, init_rx) = mpsc::channel();
    let router = {
        let waiters = Arc::clone(&waiters);
        thread::spawn(move || {
            let mut init_tx = Some(init_tx);
            for line in BufReader::new(stdout).split(b'\n') {
                let line = line.expect("read reply");
                let v = check_reply_shape(&line);
                if let Some(tx) = init_tx.take() {
                    tx.send(v).expect("init waiter");
                    continue;
                }
                let key = (
                    v["dest"].as_str().expect("dest").to_string(),
                    v["body"]["in_reply_to"].as_u64().expect("in_reply_to"),
                );
                let waiter = waiters.lock().expect("lock").remove(&key);
                let waiter = waiter.unwrap_or_else(|| panic!("unexpected reply {v}"));
                waiter.send(line).expect("client waits");
            }
        })
    };

    {
        let mut stdin = stdin.lock().expect("lock");
        stdin.write_all(INIT.as_bytes()).expect("send init");
        stdin.flush().expect("flush");
    }
    let init = init_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("init_ok within 10 s");
    assert_eq!(init["body"]["type"], "init_ok");

    let started = Instant::now();
    let clients: Vec<_> = (1..=CLIENTS)
        .map(|client| {
            let stdin = Arc::clone(&stdin);
            let waiters = Arc::clone(&waiters);
            thread::spawn(move || {
                let mut latencies = Histogram::<u64>::new(3).expect("histogram");
                let name = format!("c{client}");
                for i in 1..=REQUESTS_PER_CLIENT {
                    let sent = payload(client, i);
                    let line = format!(
                        "{{\"id\":{i},\"src\":\"{name}\",\"dest\":\"n1\",\"body\":{{\"echo\":{sent},\"type\":\"echo\",\"msg_id\":{i}}}}}\n"
                    );
                    let (tx, rx) = mpsc::channel();
                    waiters.lock().expect("lock").insert((name.clone(), i), tx);
                    let at = Instant::now();
                    {
                        let mut stdin = stdin.lock().expect("lock");
                        stdin.write_all(line.as_bytes()).expect("send");
                        stdin.flush().expect("flush");
                    }
                    let reply = rx
                        .recv_timeout(TIMEOUT)
                        .unwrap_or_else(|_| panic!("{name}: no reply to msg {i} within 5 s"));
                    latencies
                        .record(at.elapsed().as_micros() as u64)
                        .expect("record");
                    // Maelstrom's echo checker: the reply's echo equals what was sent.
                    let v: Value = json(&reply);
                    assert_eq!(v["body"]["type"], "echo_ok");
                    assert_eq!(v["body"]["echo"], json(sent.as_bytes()), "{name} msg {i}");
                    assert_eq!(v["src"], "n1");
                }
                latencies
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new(3).expect("histogram");
    for client in clients {
        all.add(client.join().expect("client")).expect("merge");
    }
    let elapsed = started.elapsed();
    drop(stdin);
    let output = child.wait_with_output().expect("exit");
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    router.join().expect("router");
    let total = CLIENTS * REQUESTS_PER_CLIENT;
    assert_eq!(all.len(), total);
    println!(
        "--flush {flush}: {CLIENTS} clients, {total} requests in {:.2} s = {:.0} requests/s; \
         latency us p50 {} p90 {} p99 {} p99.9 {} max {}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        all.value_at_quantile(0.5),
        all.value_at_quantile(0.9),
        all.value_at_quantile(0.99),
        all.value_at_quantile(0.999),
        all.max()
    );
}

#[test]
fn fifty_synchronous_clients_in_both_flush_modes() {
    for flush in FLUSH_MODES {
        load(flush);
    }
}
