//! What the tests of echo-node and echo-load share, written once: a global allocator that
//! counts allocations, for the tests that claim a path allocates nothing; a reader that
//! hands its input over in pieces; echo-load's `demo_node` example, built; and a run of
//! echo-load that must end in bounded time.

#![warn(missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The system allocator, counting every allocation and reallocation made through it, by
/// the thread that makes it. A test binary installs it with
/// `#[global_allocator] static GLOBAL: Counting = Counting;` and reads [`allocations`].
///
/// The count is the thread's own so that what the test harness does meanwhile on its own
/// thread (its notice that a test has run for over 60 seconds, under an emulator on a
/// busy machine) is not counted against the path a test measures; the paths measured
/// (the node's in-memory run, the driver's reply path) run on the calling thread.
pub struct Counting;

thread_local! {
    /// Allocations and reallocations made by this thread. Const-initialised and without
    /// a destructor: reading it never allocates, and it is never torn down.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Counts one allocation by the calling thread.
fn count() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Allocations and reallocations so far through [`Counting`] by the calling thread.
pub fn allocations() -> u64 {
    ALLOCATIONS.try_with(Cell::get).unwrap_or(0)
}

// SAFETY: every method forwards its call, arguments unchanged, to the system allocator,
// which upholds `GlobalAlloc`'s contract; the only other thing done is a count in a
// thread-local cell, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract for `alloc_zeroed` is passed on as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

/// A reader that returns its input in pieces of at most `chunk` bytes a read, as a pipe
/// may.
pub struct Chunked<'a> {
    /// What is left to read.
    pub data: &'a [u8],
    /// The most bytes a read returns.
    pub chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Runs echo-load with `config`, and checks that the run ended within its time limit,
/// twice its timeout and five seconds more: a run must never hang, whatever its node does.
#[cfg(feature = "load")]
pub fn run(config: &echo_load::Config) -> echo_load::Report {
    use std::time::{Duration, Instant};
    let started = Instant::now();
    let report = echo_load::run(config).expect("the run starts");
    let bound = config.time_limit + 2 * config.timeout + Duration::from_secs(5);
    assert!(
        started.elapsed() < bound,
        "run took {:?}",
        started.elapsed()
    );
    report
}

/// echo-load's `demo_node` example, built (or brought up to date) once per test or bench
/// run, in the profile the test or bench was built in: a test run alone (`cargo test
/// --test verdict`) or a bench does not build examples by itself.
pub fn demo_node() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test path");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("target/<profile>/deps");
            let mut build = Command::new(env!("CARGO"));
            build.args([
                "build",
                "--quiet",
                "-p",
                "echo-load",
                "--example",
                "demo_node",
            ]);
            if profile_dir.ends_with("release") {
                build.arg("--release");
            }
            assert!(
                build.status().expect("cargo").success(),
                "building demo_node"
            );
            profile_dir.join("examples").join("demo_node")
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    #[test]
    fn every_allocation_and_growth_is_counted() {
        let before = allocations();
        let mut v: Vec<u8> = Vec::with_capacity(16);
        v.extend_from_slice(&[0; 64]); // grows: a reallocation
        let zeroed = vec![0u8; 32];
        assert!(
            allocations() - before >= 3,
            "{} counted",
            allocations() - before
        );
        drop((v, zeroed));
    }

    #[test]
    fn another_threads_allocations_are_its_own() {
        let before = allocations();
        std::thread::spawn(|| {
            let before = allocations();
            let v = vec![1u8; 64];
            assert!(allocations() > before, "counted on its thread");
            drop(v);
        })
        .join()
        .expect("thread");
        // Spawning and joining may allocate here; the other thread's vector does not count.
        let mine = allocations() - before;
        let v = vec![1u8; 64];
        assert_eq!(
            allocations() - before,
            mine + 1,
            "this thread's own vector counts"
        );
        drop(v);
    }
}
