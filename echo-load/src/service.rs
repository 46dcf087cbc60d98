//! Maelstrom's services, which every Maelstrom run has beside the nodes (db.clj starts
//! them; service.clj defines them), answered as Maelstrom answers:
//!
//! - `lin-kv`: a linearizable key-value store: `read`, `write`, `cas` (with
//!   `create_if_not_exists`); error 20 (key does not exist), 22 (precondition failed).
//! - `seq-kv`: the same store, sequentially consistent: an operation that changes nothing
//!   (a read, a failed cas) may see any of the last 32 states not older than what its
//!   client saw last; one that changes the store acts on the newest.
//! - `lww-kv`: the same operations (no `create_if_not_exists`) on two replicas, each with
//!   a Lamport clock, merged last-write-wins: before each operation one random replica's
//!   state is merged into another, and the operation goes to a random one.
//! - `lin-tso`: `ts` answers `ts_ok` with timestamps 0, 1, 2, ...
//!
//! A reply carries the request's `msg_id` as `in_reply_to`. A request of a type the
//! service does not know gets no reply (service.clj's thread logs the error and goes
//! on). Keys are compared as JSON values; values as Maelstrom compares them (Clojure's
//! `=`, [`crate::check::same`]). Off the request path of an echo run: services are only
//! used by nodes that ask them.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::check::same;
use crate::send::Rng;

/// The services' names, as nodes address them.
pub const NAMES: [&str; 4] = ["lin-kv", "seq-kv", "lww-kv", "lin-tso"];

/// How many past states `seq-kv` keeps (service.clj, `sequential`).
const SEQ_STATES: usize = 32;

/// Every service of a run.
#[derive(Debug)]
pub struct Services {
    lin_kv: Kv,
    seq_kv: Sequential,
    lww_kv: [Lww; 2],
    lin_tso: u64,
    rng: Rng,
}

impl Services {
    /// The services, fresh; `seed` drives seq-kv's and lww-kv's random choices.
    pub fn new(seed: u64) -> Services {
        Services {
            lin_kv: Kv::default(),
            seq_kv: Sequential {
                states: vec![Kv::default()],
                last: 0,
                seen: HashMap::new(),
            },
            lww_kv: [Lww::default(), Lww::default()],
            lin_tso: 0,
            rng: Rng::new(seed ^ 0x5e71_c0de),
        }
    }

    /// Whether `name` is a service's.
    pub fn is_service(name: &str) -> bool {
        NAMES.contains(&name)
    }

    /// The service called `name`, if there is one.
    pub fn named(name: &str) -> Option<&'static str> {
        NAMES.iter().copied().find(|n| *n == name)
    }

    /// Handles `body` (a request's body, JSON text) sent to service `name` by `src`;
    /// returns the reply's body (JSON text, with `in_reply_to`), or `None` when the
    /// service answers nothing.
    pub fn handle(&mut self, name: &str, src: &str, body: &[u8]) -> Option<Vec<u8>> {
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let mut reply = match name {
            "lin-kv" => self.lin_kv.handle(&body)?.0,
            "seq-kv" => self.seq(src, &body)?,
            "lww-kv" => self.lww(&body)?,
            "lin-tso" => {
                if body.get("type") != Some(&json!("ts")) {
                    return None;
                }
                let ts = self.lin_tso;
                self.lin_tso += 1;
                json!({"type": "ts_ok", "ts": ts})
            }
            _ => return None,
        };
        if let Value::Object(reply) = &mut reply {
            reply.insert(
                "in_reply_to".into(),
                body.get("msg_id").cloned().unwrap_or(Value::Null),
            );
        }
        serde_json::to_vec(&reply).ok()
    }

    /// seq-kv: see the module docs.
    fn seq(&mut self, client: &str, body: &Map<String, Value>) -> Option<Value> {
        let s = &mut self.seq_kv;
        let oldest = s.last + 1 - s.states.len() as u64;
        let seen = s.seen.get(client).copied().unwrap_or(0).max(oldest);
        let index = seen + self.rng.next_u64() % (s.last - seen + 1);
        let at = s.states.len() - 1 - (s.last - index) as usize;
        let mut state = s.states[at].clone();
        let (reply, changed) = state.handle(body)?;
        if !changed {
            s.seen.insert(client.to_owned(), index);
            return Some(reply);
        }
        // It changes the store: it acts on the newest state.
        let mut newest = s.states[s.states.len() - 1].clone();
        let (reply, _) = newest.handle(body)?;
        s.states.push(newest);
        if s.states.len() > SEQ_STATES {
            s.states.remove(0);
        }
        s.last += 1;
        s.seen.insert(client.to_owned(), s.last);
        Some(reply)
    }

    /// lww-kv: see the module docs.
    fn lww(&mut self, body: &Map<String, Value>) -> Option<Value> {
        let from = (self.rng.next_u64() % 2) as usize;
        let to = (self.rng.next_u64() % 2) as usize;
        let merged = self.lww_kv[to].merged(&self.lww_kv[from]);
        self.lww_kv[to] = merged;
        let i = (self.rng.next_u64() % 2) as usize;
        self.lww_kv[i].handle(body)
    }
}

/// A key as a map key: its JSON text.
fn key(body: &Map<String, Value>) -> String {
    body.get("key").unwrap_or(&Value::Null).to_string()
}

/// Error `code` with `text`.
fn error(code: u64, text: String) -> Value {
    json!({"type": "error", "code": code, "text": text})
}

/// "key does not exist" (error 20).
fn no_key() -> Value {
    error(20, "key does not exist".into())
}

/// Whether a JSON value is truthy as Clojure has it (all but `false` and `null`).
fn truthy(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null | Value::Bool(false)))
}

/// service.clj's `PersistentKV`.
#[derive(Debug, Clone, Default)]
struct Kv {
    m: HashMap<String, Value>,
}

impl Kv {
    /// The reply, and whether the store changed; `None` for an unknown type.
    fn handle(&mut self, body: &Map<String, Value>) -> Option<(Value, bool)> {
        let k = key(body);
        let value = |name: &str| body.get(name).cloned().unwrap_or(Value::Null);
        Some(match body.get("type").and_then(Value::as_str)? {
            "read" => match self.m.get(&k) {
                Some(v) => (json!({"type": "read_ok", "value": v}), false),
                None => (no_key(), false),
            },
            "write" => {
                self.m.insert(k, value("value"));
                (json!({"type": "write_ok"}), true)
            }
            "cas" => match self.m.get(&k) {
                Some(current) if same(&value("from"), current) => {
                    self.m.insert(k, value("to"));
                    (json!({"type": "cas_ok"}), true)
                }
                Some(current) => (
                    error(
                        22,
                        format!("current value {current} is not {}", value("from")),
                    ),
                    false,
                ),
                None if truthy(body.get("create_if_not_exists")) => {
                    self.m.insert(k, value("to"));
                    (json!({"type": "cas_ok"}), true)
                }
                None => (no_key(), false),
            },
            _ => return None,
        })
    }
}

/// service.clj's `sequential` around a `PersistentKV`.
#[derive(Debug)]
struct Sequential {
    /// The last [`SEQ_STATES`] states, oldest first; the last is number `last`.
    states: Vec<Kv>,
    last: u64,
    /// The newest state number each client has seen.
    seen: HashMap<String, u64>,
}

/// service.clj's `LWWKV`: values with the Lamport timestamp they were written at.
#[derive(Debug, Clone, Default)]
struct Lww {
    clock: u64,
    m: HashMap<String, (u64, Value)>,
}

impl Lww {
    fn handle(&mut self, body: &Map<String, Value>) -> Option<Value> {
        let k = key(body);
        let value = |name: &str| body.get(name).cloned().unwrap_or(Value::Null);
        Some(match body.get("type").and_then(Value::as_str)? {
            "read" => match self.m.get(&k) {
                Some((_, v)) => json!({"type": "read_ok", "value": v}),
                None => no_key(),
            },
            "write" => {
                self.m.insert(k, (self.clock, value("value")));
                self.clock += 1;
                json!({"type": "write_ok"})
            }
            "cas" => match self.m.get(&k) {
                Some((_, current)) if same(&value("from"), current) => {
                    self.m.insert(k, (self.clock, value("to")));
                    self.clock += 1;
                    json!({"type": "cas_ok"})
                }
                Some((_, current)) => error(
                    22,
                    format!("current value {current} is not {}", value("from")),
                ),
                None => no_key(),
            },
            _ => return None,
        })
    }

    /// This replica with `other` merged in: the larger clock, and for each key the value
    /// with the larger timestamp (this one's on a tie).
    fn merged(&self, other: &Lww) -> Lww {
        let mut m = self.m.clone();
        for (k, (ts, v)) in &other.m {
            match m.get(k) {
                Some((mine, _)) if mine >= ts => {}
                _ => {
                    m.insert(k.clone(), (*ts, v.clone()));
                }
            }
        }
        Lww {
            clock: self.clock.max(other.clock),
            m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(s: &mut Services, name: &str, body: &str) -> Option<Value> {
        s.handle(name, "n0", body.as_bytes())
            .map(|r| serde_json::from_slice(&r).expect("JSON"))
    }

    #[test]
    fn lin_kv_reads_writes_and_compares_and_sets_as_maelstrom() {
        let mut s = Services::new(0);
        let r = ask(&mut s, "lin-kv", r#"{"type":"read","key":"x","msg_id":1}"#);
        assert_eq!(
            r,
            Some(json!({"type":"error","code":20,"text":"key does not exist","in_reply_to":1}))
        );
        let r = ask(
            &mut s,
            "lin-kv",
            r#"{"type":"write","key":"x","value":[1],"msg_id":2}"#,
        );
        assert_eq!(r, Some(json!({"type":"write_ok","in_reply_to":2})));
        let r = ask(
            &mut s,
            "lin-kv",
            r#"{"type":"cas","key":"x","from":[1.0],"to":2,"msg_id":3}"#,
        );
        assert_eq!(
            r.as_ref().map(|r| &r["code"]),
            Some(&json!(22)),
            "1 is not 1.0"
        );
        let r = ask(
            &mut s,
            "lin-kv",
            r#"{"type":"cas","key":"x","from":[1],"to":2,"msg_id":4}"#,
        );
        assert_eq!(r, Some(json!({"type":"cas_ok","in_reply_to":4})));
        let r = ask(&mut s, "lin-kv", r#"{"type":"read","key":"x","msg_id":5}"#);
        assert_eq!(r, Some(json!({"type":"read_ok","value":2,"in_reply_to":5})));
        let r = ask(
            &mut s,
            "lin-kv",
            r#"{"type":"cas","key":"y","from":0,"to":1,"create_if_not_exists":true,"msg_id":6}"#,
        );
        assert_eq!(r, Some(json!({"type":"cas_ok","in_reply_to":6})));
        assert_eq!(
            ask(&mut s, "lin-kv", r#"{"type":"nonsense","msg_id":7}"#),
            None
        );
    }

    #[test]
    fn lin_tso_counts_from_zero() {
        let mut s = Services::new(0);
        for ts in 0..3 {
            let r = ask(&mut s, "lin-tso", r#"{"type":"ts","msg_id":9}"#);
            assert_eq!(r, Some(json!({"type":"ts_ok","ts":ts,"in_reply_to":9})));
        }
    }

    #[test]
    fn seq_kv_never_goes_back_for_a_client_and_writes_on_the_newest() {
        let mut s = Services::new(7);
        for v in 0..10 {
            let body = format!(r#"{{"type":"write","key":"k","value":{v},"msg_id":1}}"#);
            assert_eq!(
                ask(&mut s, "seq-kv", &body).map(|r| r["type"].clone()),
                Some(json!("write_ok"))
            );
        }
        // Its own writes seen: reads from then on never go back.
        let mut last = 9;
        for _ in 0..20 {
            let r =
                ask(&mut s, "seq-kv", r#"{"type":"read","key":"k","msg_id":2}"#).expect("reply");
            let v = r["value"].as_u64().expect("a value");
            assert!(v >= last, "{v} after {last}");
            last = v;
        }
        // Another client may see an older state, but a state that was.
        let r = s.handle("seq-kv", "n1", br#"{"type":"read","key":"k","msg_id":3}"#);
        assert!(r.is_some());
    }

    #[test]
    fn lww_kv_merges_last_write_wins() {
        let a = Lww {
            clock: 3,
            m: HashMap::from([("\"k\"".into(), (2, json!("old")))]),
        };
        let b = Lww {
            clock: 5,
            m: HashMap::from([("\"k\"".into(), (4, json!("new")))]),
        };
        let merged = a.merged(&b);
        assert_eq!(merged.clock, 5);
        assert_eq!(merged.m["\"k\""], (4, json!("new")));
        let mut s = Services::new(1);
        let r = ask(
            &mut s,
            "lww-kv",
            r#"{"type":"write","key":"k","value":1,"msg_id":1}"#,
        );
        assert_eq!(r.map(|r| r["type"].clone()), Some(json!("write_ok")));
    }
}
