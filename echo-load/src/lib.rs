//! echo-load: Maelstrom's echo workload, run natively against any Maelstrom echo node
//! binary, and judged as Maelstrom would judge it.
//!
//! One thread drives every node through non-blocking pipes and the OS's readiness API
//! (epoll, kqueue), so it keeps up with a node that answers a million requests a second,
//! and with thousands of nodes. A run's path, one file a stage:
//!
//! 1. `schedule.rs`: when each request falls due (open loop at `--rate`, Maelstrom's 5 a
//!    second by default, or a closed loop).
//! 2. `send.rs`: the payloads, and each request in Maelstrom's own bytes.
//! 3. `receive.rs`: each node's stdout cut into lines; its stderr goes to its log file.
//! 4. `check.rs`: each line read as Maelstrom reads it: the message's envelope, the
//!    reply's closed schema, Maelstrom's equality of values.
//! 5. `route/`: where each message goes: to another node or a service (through
//!    `network.rs` under `--latency`), or to the client whose request it answers (kept
//!    for it when it comes early); timeouts; the `msg_id` bookkeeping.
//! 6. `record.rs`: each request's latency from its due time (answered or given up),
//!    service time and wait, and the replies within the load window, as they come.
//! 7. [`Report`]: counts, percentiles, the three rates, CPU, `results.json`, plots.
//!
//! [`compare()`] runs several nodes in alternating rounds and sets them side by side;
//! [`capacity()`] searches the highest rate a node sustains: both are made of whole runs.
//!
//! `fault/` names everything that can go wrong ([`Fault`], [`Kind`]); `process.rs` starts
//! and stops the node processes; `drive/` is the loop that wires the stages; [`run()`] is
//! the whole run.
//!
//! What a user of the library needs is at the crate's root: [`Config`] and its bounds,
//! [`run()`], [`compare()`] and [`capacity()`], what they return ([`Report`] with its
//! [`Counts`], [`Faults`] and [`Recorder`]; [`Comparison`], [`Capacity`]: each an
//! [`Output`] with its [`Verdict`]), [`write()`], which writes one into its folder,
//! [`Error`] and [`OutputError`], the kinds a [`Config`] names ([`PayloadKind`],
//! [`LatencyDist`]), [`serve()`], which serves the store, and what echo-load's command asks
//! of the process ([`lock_out`], [`adopt_orphans`], [`survive_file_size_limit`]). Three
//! modules are public: [`compare`](mod@compare) and [`capacity`](mod@capacity), each with its bounds, and [`store`],
//! where runs are kept. The stages are private; with the `test-util` feature, the
//! crate's own tests reach the router through `test_util`. This file defines nothing: the
//! configuration is `config.rs`, the run `run.rs`, the `--out` folder `out_dir.rs`, what
//! is written `output/`.

#![warn(missing_docs)]
// Every type the API reaches can be named from the root.
#![cfg_attr(not(feature = "test-util"), warn(unnameable_types))]
// One module may use `unsafe`, with a proof for each block: the thread that starts the
// nodes on Linux (drive/spawner.rs), which gives itself a descriptor table of its own.
#![deny(unsafe_code)]

pub mod capacity;
mod check;
pub mod compare;
mod config;
mod counts;
mod doctor;
mod drive;
mod edn;
mod error;
mod fault;
mod files;
mod history;
mod interrupt;
mod journal;
mod network;
mod out_dir;
mod output;
mod process;
mod program;
mod progress;
mod quick;
mod receive;
mod record;
mod route;
mod run;
mod schedule;
mod send;
mod serve;
mod service;
pub mod store;
mod sys;
mod words;

pub use capacity::{Capacity, capacity};
pub use compare::{Comparison, compare};
pub use config::{
    Availability, CONCURRENCY, Config, INIT_TIMEOUT, LATENCY_MS_MAX, NODE_COUNT, RATE, TIME_LIMIT,
    TIME_LIMIT_TEXT, TIMEOUT,
};
pub use counts::Counts;
pub use doctor::doctor;
pub use error::Error;
pub use fault::{At, Class, Ending, Excerpt, Fault, Faults, Kind, Skip};
pub use files::OutputError;
pub use history::KEPT_REQUESTS;
pub use network::LatencyDist;
pub use out_dir::{OutLock, lock_out};
pub use output::{Output, Page, Report, Shade, Verdict, write};
pub use record::Recorder;
pub use run::{EXIT_GRACE, TEARDOWN_AFTER, run};
pub use send::{MAX_STRING_PAYLOAD, PayloadKind};
pub use serve::serve;
pub use sys::{adopt_orphans, survive_file_size_limit};

/// The driver's inner stages, for this crate's own tests that hold them to their claims
/// (a run's path through the router allocates nothing): not part of the API, and only
/// with the `test-util` feature.
#[cfg(feature = "test-util")]
pub mod test_util {
    pub use crate::route::{Outcome, Router};
    pub use crate::send::Payloads;
}
