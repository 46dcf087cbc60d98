//! An echo node written the way Maelstrom's own demo nodes are: a JSON library reads each
//! message into a map, and the reply is the request's body with its `type` changed, so
//! its `msg_id` repeats the client's (as Go's demo does). Switches make it do what other
//! correct nodes do, or break one rule; echo-load's tests judge it with each.
//!
//! ```text
//! cargo run -p echo-load --example demo_node -- [SWITCHES]
//! ```
//!
//! Correct behaviours:
//! - `--delay-us N`: each reply is written by its own thread after 0 to N µs, so replies
//!   go out of order (as the Python and JavaScript demos' tasks do).
//! - `--forward`: a node hands each client request to the next node (n1 to n2, ..., the
//!   last to n1) in a node-to-node message; that node answers the client directly, and
//!   replies `forward_ok` to the node that forwarded it.
//! - `--chatter`: a stderr line for every message.
//! - `--kv`: each echo request is first written to Maelstrom's `lin-kv` service (the
//!   number of echoes so far, under the key `"echoes"`), and answered once `lin-kv`
//!   says `write_ok`; a `lin-tso` timestamp is asked for too, and its answer ignored.
//! - `--cr`: its lines end with `\r` alone, as some writers' do (Java's readLine, which
//!   Maelstrom reads with, takes them).
//! - `--gossip-control`: once initialised, it sends the next node a `gossip` message
//!   whose string holds a raw TAB, which Maelstrom's reader takes (and its writer
//!   escapes); and it reads strictly: a line that is not JSON (RFC 8259, which has no
//!   raw control character in a string) makes it exit with status 4.
//!
//!
//! Speeds, for comparisons and capacity searches:
//! - `--cost-us N`: each echo request costs N µs of CPU before it is answered (a busy
//!   wait: the node does nothing else meanwhile).
//! - `--max-rate R`: it answers at most R echo requests a second: each reply waits for
//!   its turn, 1/R s after the one before.
//!
//! Faults, at the Nth echo request (1-based):
//! - `--duplicate-at N`: the reply is sent twice.
//! - `--misdirect-at N`: the reply goes to another client (c1, or c2 for c1's).
//! - `--silent-after N`: it keeps reading, and answers nothing more.
//! - `--stop-reading-after N`: it stops reading its stdin (and answers nothing more).
//! - `--exit-after N`: it exits with status 3.
//! - `--pause-at N MS`: it stops for MS milliseconds before answering (a stall).
//! - `--early-at N`: after the reply, it sends another, with `in_reply_to` the next
//!   `msg_id` its client will use and a wrong echo (a reply that comes before its
//!   request, which Maelstrom's client keeps for that request).

#![forbid(unsafe_code)]

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Default)]
struct Switches {
    delay_us: u64,
    forward: bool,
    chatter: bool,
    duplicate_at: Option<u64>,
    misdirect_at: Option<u64>,
    silent_after: Option<u64>,
    stop_reading_after: Option<u64>,
    exit_after: Option<u64>,
    pause_at: Option<(u64, u64)>,
    kv: bool,
    cost_us: u64,
    max_rate: Option<u64>,
    cr: bool,
    gossip_control: bool,
    early_at: Option<u64>,
}

/// The line end of every message it writes (`--cr`: `\r`).
static LINE_END: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

fn switches() -> Result<Switches, String> {
    let mut s = Switches::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{arg} takes a number"))
        };
        match arg.as_str() {
            "--delay-us" => s.delay_us = number()?,
            "--forward" => s.forward = true,
            "--chatter" => s.chatter = true,
            "--kv" => s.kv = true,
            "--cost-us" => s.cost_us = number()?,
            "--max-rate" => s.max_rate = Some(number()?).filter(|r| *r > 0),
            "--duplicate-at" => s.duplicate_at = Some(number()?),
            "--misdirect-at" => s.misdirect_at = Some(number()?),
            "--silent-after" => s.silent_after = Some(number()?),
            "--stop-reading-after" => s.stop_reading_after = Some(number()?),
            "--exit-after" => s.exit_after = Some(number()?),
            "--pause-at" => s.pause_at = Some((number()?, number()?)),
            "--cr" => s.cr = true,
            "--gossip-control" => s.gossip_control = true,
            "--early-at" => s.early_at = Some(number()?),
            other => return Err(format!("unknown switch {other}")),
        }
    }
    Ok(s)
}

/// Writes one message as a line, whole, under the lock.
fn send(out: &Mutex<io::Stdout>, message: &Value) {
    if let Ok(mut out) = out.lock() {
        let _ = write!(out, "{message}{}", LINE_END.get().unwrap_or(&"\n"));
        let _ = out.flush();
    }
}

fn main() {
    let s = match switches() {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(io::stderr(), "demo_node: {e}");
            std::process::exit(2);
        }
    };
    let _ = LINE_END.set(if s.cr { "\r" } else { "\n" });
    let out = Arc::new(Mutex::new(io::stdout()));

    let (mut me, mut nodes) = (String::new(), Vec::<String>::new());
    let mut echoes = 0u64;
    let mut next_msg_id = 1u64;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    // Under --kv: the echo replies that wait for lin-kv's write_ok, by the write's msg_id.
    let mut waiting: std::collections::HashMap<u64, Value> = std::collections::HashMap::new();
    // Under --max-rate: when the next reply may go.
    let mut next_turn = Instant::now();
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            let _ = writeln!(io::stderr(), "not JSON: {line}");
            if s.gossip_control {
                std::process::exit(4);
            }
            continue;
        };
        if s.chatter {
            let _ = writeln!(io::stderr(), "{me} received {line}");
        }
        let src = msg["src"].as_str().unwrap_or_default().to_owned();
        let mut body = msg["body"].clone();
        match body["type"].as_str().unwrap_or_default() {
            "init" => {
                me = body["node_id"].as_str().unwrap_or_default().to_owned();
                nodes = body["node_ids"]
                    .as_array()
                    .map(|ids| {
                        ids.iter()
                            .filter_map(|i| i.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let reply = json!({"src": me, "dest": src,
                    "body": {"type": "init_ok", "in_reply_to": body["msg_id"]}});
                send(&out, &reply);
                let at = nodes.iter().position(|n| *n == me).unwrap_or(0);
                if s.gossip_control && nodes.len() > 1 {
                    let next = &nodes[(at + 1) % nodes.len()];
                    // Written by hand: a JSON library would escape the tab.
                    if let Ok(mut out) = out.lock() {
                        let _ = writeln!(
                            out,
                            "{{\"src\":\"{me}\",\"dest\":\"{next}\",\"body\":{{\"type\":\"gossip\",\"text\":\"a\tb\"}}}}"
                        );
                        let _ = out.flush();
                    }
                }
            }
            "echo" => {
                echoes += 1;
                let nth = Some(echoes);
                if s.exit_after.is_some_and(|n| echoes > n) {
                    std::process::exit(3);
                }
                if s.stop_reading_after.is_some_and(|n| echoes > n) {
                    loop {
                        std::thread::sleep(Duration::from_secs(60));
                    }
                }
                if s.silent_after.is_some_and(|n| echoes > n) {
                    continue;
                }
                if s.cost_us > 0 {
                    let until = Instant::now() + Duration::from_micros(s.cost_us);
                    while Instant::now() < until {
                        std::hint::spin_loop();
                    }
                }
                if let Some(rate) = s.max_rate {
                    let now = Instant::now();
                    if next_turn > now {
                        std::thread::sleep(next_turn - now);
                    }
                    next_turn = next_turn.max(now) + Duration::from_secs_f64(1.0 / rate as f64);
                }
                if let Some((at, ms)) = s.pause_at
                    && at == echoes
                {
                    std::thread::sleep(Duration::from_millis(ms));
                }
                if s.forward && nodes.len() > 1 {
                    let at = nodes.iter().position(|n| *n == me).unwrap_or(0);
                    let next = &nodes[(at + 1) % nodes.len()];
                    let forward = json!({"src": me, "dest": next, "body": {"type": "forward",
                        "msg_id": next_msg_id, "client": src, "request": body}});
                    next_msg_id += 1;
                    send(&out, &forward);
                    continue;
                }
                let mut dest = src;
                if s.misdirect_at == nth {
                    dest = if dest == "c1" {
                        "c2".into()
                    } else {
                        "c1".into()
                    };
                }
                body["type"] = "echo_ok".into();
                body["in_reply_to"] = body["msg_id"].clone();
                let reply = json!({"src": me, "dest": dest, "body": body});
                if s.kv {
                    let write = json!({"src": me, "dest": "lin-kv", "body": {"type": "write",
                        "key": "echoes", "value": echoes, "msg_id": next_msg_id}});
                    waiting.insert(next_msg_id, reply);
                    let ts = json!({"src": me, "dest": "lin-tso",
                        "body": {"type": "ts", "msg_id": next_msg_id + 1}});
                    next_msg_id += 2;
                    send(&out, &write);
                    send(&out, &ts);
                    continue;
                }
                if s.early_at == nth {
                    send(&out, &reply);
                    let next = body["msg_id"].as_u64().unwrap_or(0) + 1;
                    let early = json!({"src": me, "dest": reply["dest"], "body": {
                        "type": "echo_ok", "echo": "early", "in_reply_to": next}});
                    send(&out, &early);
                    continue;
                }
                let times = if s.duplicate_at == nth { 2 } else { 1 };
                if s.delay_us == 0 {
                    for _ in 0..times {
                        send(&out, &reply);
                    }
                } else {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let delay = Duration::from_micros(rng % (s.delay_us + 1));
                    let out = Arc::clone(&out);
                    std::thread::spawn(move || {
                        std::thread::sleep(delay);
                        for _ in 0..times {
                            send(&out, &reply);
                        }
                    });
                }
            }
            "forward" => {
                // Answer the client directly, as if asked, then tell the forwarder.
                let mut request = body["request"].clone();
                let client = body["client"].as_str().unwrap_or_default();
                request["type"] = "echo_ok".into();
                request["in_reply_to"] = request["msg_id"].clone();
                send(&out, &json!({"src": me, "dest": client, "body": request}));
                let ok = json!({"src": me, "dest": src,
                    "body": {"type": "forward_ok", "in_reply_to": body["msg_id"]}});
                send(&out, &ok);
            }
            "write_ok" => {
                if let Some(reply) = body["in_reply_to"]
                    .as_u64()
                    .and_then(|id| waiting.remove(&id))
                {
                    send(&out, &reply);
                }
            }
            _ => {} // forward_ok, ts_ok, gossip, and anything else: nothing to answer
        }
    }
}
