//! The process's memory: set up before anything allocates, given back, and its peak.

/// Sets up the process's memory before anything in it allocates (Linux; elsewhere there
/// is nothing to do): no transparent huge pages, and mimalloc's first arena sized for a
/// node.
///
/// mimalloc's arena is 2 MiB-aligned, so where THP is `always` the kernel backs the first
/// pages the heap touches with two 2 MiB huge pages: an idle node would then hold several
/// times the anonymous memory it uses (PERFORMANCE.md, "Memory", has what it holds; where
/// THP is `madvise`, mimalloc's `no_thp` feature already keeps it from asking).
///
/// mimalloc reserves its first arena at 1 GiB by default, and sets up that arena's
/// bookkeeping on its first allocation: about 150 KiB of pages an idle node touches and
/// then holds, for room it never uses (an idle node holds a few hundred KiB in all). A
/// node starts with [`ARENA_RESERVE_KIB`] instead, which `MIMALLOC_ARENA_RESERVE` in the
/// environment still overrides; mimalloc reserves more arenas as a node needs them, and
/// a block too large for one gets memory of its own.
///
/// Both settings count from before the first allocation, and Rust's runtime and
/// mimalloc's own constructor allocate before `main`, so they are made from
/// `.preinit_array`, which the dynamic loader runs before any constructor of the program.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[used]
// SAFETY: `.preinit_array` holds pointers to functions the loader calls, once each, with
// (argc, argv, envp) and the C ABI, before `main` and before any constructor: the entry is
// such a pointer, of that signature. The function ignores its arguments, makes one prctl
// system call through rustix's raw-syscall backend (no libc state, no allocation, no Rust
// runtime), ignores its result, and sets a mimalloc option's default (see
// `default_arena_reserve`), so nothing it does can observe that the runtime is not yet
// initialised.
#[unsafe(link_section = ".preinit_array")]
static BEFORE_ANY_ALLOCATION: extern "C" fn(i32, *const *const u8, *const *const u8) =
    before_any_allocation;

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" fn before_any_allocation(_argc: i32, _argv: *const *const u8, _envp: *const *const u8) {
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    default_arena_reserve();
}

/// The size, in KiB, of the first arena mimalloc reserves for a node: set on Linux
/// before anything allocates, unless `MIMALLOC_ARENA_RESERVE` in the environment says
/// otherwise (mimalloc's own default is 1 GiB).
pub const ARENA_RESERVE_KIB: i64 = 4 * 1024;

/// mimalloc 3's `mi_option_arena_reserve` (its place in `mi_option_e`, mimalloc.h), which
/// libmimalloc-sys names no constant for.
#[cfg(all(feature = "mimalloc", any(target_os = "linux", target_os = "android")))]
const MI_OPTION_ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;

/// Makes [`ARENA_RESERVE_KIB`] mimalloc's default first arena.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn default_arena_reserve() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_option_set_default` takes no pointer: it checks that the option is in
    // range and, unless the option was set already, writes its value into mimalloc's
    // static options table, which the loader has initialised before any code of the
    // program runs; it allocates nothing and calls nothing, so it may run before
    // mimalloc's own constructor. mimalloc reads the environment's
    // `MIMALLOC_ARENA_RESERVE`, if set, over this default when it first reads the option.
    unsafe {
        libmimalloc_sys::mi_option_set_default(
            MI_OPTION_ARENA_RESERVE,
            ARENA_RESERVE_KIB as std::ffi::c_long,
        )
    };
}

/// Gives the memory the allocator holds freed back to the system now, rather than when it
/// next allocates (which a node in its steady state never does). Called once the buffers
/// a line far larger than usual grew have shrunk back.
pub fn release_freed_memory() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_collect` takes no pointer and touches only mimalloc's own bookkeeping
    // (it frees and decommits memory no live allocation uses); mimalloc allows it from
    // any thread at any time, whether or not mimalloc is the global allocator. Without
    // it, what a huge line needed stays resident (tests/resources.rs checks it is not).
    unsafe {
        libmimalloc_sys::mi_collect(true)
    };
}

/// The most memory this process has had resident, in bytes.
///
/// Linux: `VmHWM` from `/proc/self/status`, the peak of this program image alone.
/// `getrusage(2)`'s `ru_maxrss` is not that on Linux: it survives `exec`, so a process
/// spawned by a large parent reports the parent's size (a node spawned by a benchmark that
/// holds its input in memory would report the benchmark's). Elsewhere `ru_maxrss`, which is in bytes on
/// macOS and iOS and in KiB on the BSDs.
pub fn peak_rss_bytes() -> Option<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let usage =
            nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF).ok()?;
        let max_rss = u64::try_from(usage.max_rss()).ok()?;
        if cfg!(any(target_os = "macos", target_os = "ios")) {
            Some(max_rss)
        } else {
            Some(max_rss * 1024)
        }
    }
}
