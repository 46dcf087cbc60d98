//! The node's standard streams and the operating system: waiting on stdin, stdout and
//! stderr, signals, pipe sizes and peak memory. Everything that differs between platforms
//! is in this folder; the rest of the node sees only `Read` and `Write`.
//!
//! - [`Stdin`] (stdin) waits with `poll(2)` for input *or* SIGTERM/SIGINT, so a signal
//!   stops the node even while it waits, and an inherited `O_NONBLOCK` stdin (EAGAIN) is
//!   waited on instead of failing.
//! - [`Stdout`] (stdout) waits with `poll(2)` when an inherited `O_NONBLOCK` stdout is
//!   full, instead of failing.
//! - [`Diagnostics`] (stderr) never blocks the node: a thread of its own writes stderr,
//!   and the node hands it lines only while it has room; what stderr does not take is
//!   dropped, counted and reported. The inherited descriptor's flags (whose open file
//!   description the parent and other processes share) are never changed.
//! - When stdout and stderr are one destination (`2>&1`, one terminal), they take turns
//!   ([`Turn`]): a reply and a diagnostic never split each other.
//!
//! [`standard_streams`] opens all three.
//!
//! Portable: `poll(2)` and signals are POSIX, and behave the same on Linux and macOS.
//! Linux only, each with its portable counterpart written beside it: growing a pipe's
//! capacity (`F_SETPIPE_SZ`; elsewhere pipes keep the system's size, which costs
//! throughput, never correctness), opting out of transparent huge pages and sizing
//! mimalloc's first arena before anything allocates (elsewhere nothing to do), and
//! reading the peak memory from `/proc` (elsewhere `getrusage(2)`).
//!
//! One file a thing it wraps: `signals.rs` (the stop signals), `streams.rs` (stdin and
//! stdout), `stderr.rs` (the stderr writer), `turn.rs` (stdout's and stderr's turns),
//! `memory.rs` (the allocator's set-up, peak memory) and `platform.rs` (the calls the
//! streams share: waiting on a descriptor, whether two are one destination, pipe sizes).

mod memory;
mod platform;
mod signals;
mod stderr;
mod streams;
mod turn;

pub use memory::{ARENA_RESERVE_KIB, peak_rss_bytes, release_freed_memory};
pub use signals::{STOP_SIGNALS, Signals, Stopped};
pub use stderr::{Diagnostics, EXIT_PATIENCE, STALL, STDERR_BACKLOG};
pub use streams::{Stdin, Stdout, standard_streams};
pub use turn::Turn;
