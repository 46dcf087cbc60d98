//! Inputs and the conventional node shared by the benchmarks.
#![allow(dead_code)] // each bench uses its own subset

use std::io::{self, Write};

use echo_wire::frame;
use serde_json::{Value, json};

/// Maelstrom's init for node n1.
pub fn init() -> Vec<u8> {
    let mut out = Vec::new();
    frame::init(&mut out, 0, "c0", "n1", &frame::node_ids(&["n1"]));
    out
}

/// Makes the payload of request `i`.
pub type Payload = fn(u64) -> String;

/// The payload kinds measured.
pub const PAYLOADS: [(&str, Payload); 3] = [
    ("maelstrom", |i| format!("\"Please echo {}\"", i % 100)),
    ("nested", |i| {
        format!(
            "{{\"user\":{{\"name\":\"Zo\u{eb} \\\"Z\\\" \u{dc}nal\",\"tags\":[\"\u{3b1}\",\"\u{3b2}\",\"\\u00e9\\n\"],\
             \"scores\":[1,-2.5,3e10,12345678901234567890],\"active\":true,\"meta\":null}},\"ts\":{}}}",
            1_732_500_000_000u64 + i
        )
    }),
    ("4KiB", |i| {
        let mut s = String::with_capacity(4100);
        s.push('"');
        while s.len() < 4096 {
            s.push_str("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        }
        s.truncate(4096);
        s.push_str(&format!("{:04}", i % 10_000));
        s.push('"');
        s
    }),
];

/// `init`, then `count` Maelstrom-shaped echo requests (Maelstrom's key order) from ten
/// clients carrying `payload(i)`.
pub fn requests(count: u64, payload: Payload) -> Vec<u8> {
    let mut input = init();
    for i in 0..count {
        let client = format!("c{}", 1 + i % 10);
        frame::echo_request(
            &mut input,
            i + 1,
            client.as_bytes(),
            b"n1",
            payload(i).as_bytes(),
            1 + i / 10,
        );
    }
    input
}

/// The conventional way to write a node: each line into a `serde_json::Value`, the reply
/// built as a `Value`, written with `serde_json::to_writer`.
#[derive(Default)]
pub struct Conventional {
    node_id: Value,
    next_msg_id: u64,
}

impl Conventional {
    /// Handles one line, writing its reply (if any) to `out`.
    pub fn handle(&mut self, line: &[u8], out: &mut impl Write) -> io::Result<()> {
        let Ok(request) = serde_json::from_slice::<Value>(line) else {
            return Ok(());
        };
        let body = &request["body"];
        let mut reply = match body["type"].as_str() {
            Some("init") => {
                self.node_id = body["node_id"].clone();
                json!({"type": "init_ok"})
            }
            Some("echo") => json!({"type": "echo_ok", "echo": body["echo"]}),
            _ => json!({"type": "error", "code": 10, "text": "not supported"}),
        };
        reply["in_reply_to"] = body["msg_id"].clone();
        reply["msg_id"] = json!(self.next_msg_id);
        self.next_msg_id += 1;
        let reply = json!({"src": self.node_id, "dest": request["src"], "body": reply});
        serde_json::to_writer(&mut *out, &reply)?;
        out.write_all(b"\n")
    }
}
