//! A run's `--out` folder: held by one command at a time, emptied of an earlier run's
//! outputs and never mixed with files echo-load did not write; and the scratch folder
//! for the node logs of a run without one.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;
use crate::sys;

/// The lock file that [`lock_out`] holds in an `--out` folder.
const LOCK: &str = ".echo-load.lock";

/// An `--out` folder held for one command's outputs: see [`lock_out`]. The lock is let go
/// when this is dropped (or the process ends).
#[derive(Debug)]
pub struct OutLock {
    _file: std::fs::File,
}

/// Holds `dir` (made if need be) for one command's outputs, by a lock on a file in it
/// (`.echo-load.lock`), so that two echo-load commands given the same `--out` at once
/// never mix their files: the second is refused ([`Error::Out`]), naming the folder.
/// [`run()`](crate::run()), [`compare()`](crate::compare()) and
/// [`capacity()`](crate::capacity()) do not take it themselves; echo-load's command takes
/// it before the run and lets it go once the outputs are written.
pub fn lock_out(dir: &Path) -> Result<OutLock, Error> {
    let shown = dir.display();
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Out(format!("--out {shown}: cannot create it: {e}")))?;
    let path = dir.join(LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::Out(format!("--out {shown}: {}: {e}", path.display())))?;
    match sys::try_lock(&file) {
        Ok(true) => Ok(OutLock { _file: file }),
        Ok(false) => Err(Error::Out(format!(
            "--out {shown}: another echo-load command is writing there (it holds {}); give \
             another folder, or wait for it to end",
            path.display()
        ))),
        Err(e) => Err(Error::Out(format!(
            "--out {shown}: {}: {e}",
            path.display()
        ))),
    }
}

/// The files a run, a comparison or a capacity search writes into its folder.
pub(crate) const OUTPUTS: [&str; 13] = [
    "results.json",
    "results.edn",
    "latency.svg",
    "latency-quantiles.svg",
    "throughput.svg",
    "messages.svg",
    "history.jsonl",
    "history.edn",
    "history.txt",
    "timeline.html",
    "index.html",
    "compare.svg",
    "capacity.svg",
];

/// Whether a folder named `name` in a comparison's or a capacity search's folder is
/// one of its runs' (`round-2-bin-1`, `step-3-run-1`).
fn run_folder(name: &str) -> bool {
    let shape = |prefix: &str, middle: &str| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.split_once(middle))
            .is_some_and(|(a, b)| {
                [a, b]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
    };
    shape("round-", "-bin-") || shape("step-", "-run-")
}

/// Whether `name` is a file echo-load writes into `--out` ([`OUTPUTS`]), a node's log
/// (`n7.log`), or one of those being written (`.tmp`).
fn ours(name: &str) -> bool {
    if name == LOCK {
        return true;
    }
    let name = name.strip_suffix(".tmp").unwrap_or(name);
    OUTPUTS.contains(&name)
        || name
            .strip_prefix('n')
            .and_then(|n| n.strip_suffix(".log"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Makes `dir` ready for a run's outputs: created if need be, and emptied of an earlier
/// run's files, so that two runs never mix. A folder that holds anything else is refused
/// as it is.
pub(crate) fn prepare_out(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    std::fs::create_dir_all(dir).map_err(|e| format!("--out {shown}: cannot create it: {e}"))?;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("--out {shown}: {e}"))?;
    let mut earlier = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("--out {shown}: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !ours(&name) && !run_folder(&name) {
            return Err(format!(
                "--out {shown}: it holds '{name}', which is not an output of echo-load; \
                 give a new or empty folder, or one an earlier run wrote"
            ));
        }
        // Something else by one of those names (a folder, say) is left as it is: writing
        // that output fails at the end, and says so.
        if entry.file_type().is_ok_and(|t| t.is_file()) && name != LOCK {
            earlier.push((entry.path(), false));
        }
        if run_folder(&name) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            earlier.push((entry.path(), true));
        }
    }
    for (path, folder) in earlier {
        // An earlier search's run folder holds only what a run writes, or is refused.
        let removed = if folder {
            prepare_out(&path).and_then(|()| std::fs::remove_dir(&path).map_err(|e| format!("{e}")))
        } else {
            std::fs::remove_file(&path).map_err(|e| format!("{e}"))
        };
        removed.map_err(|e| format!("--out {shown}: cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A new folder for a run's node logs: in memory where Linux offers it (`/dev/shm`:
/// creating thousands of files there is quick), else under the system's temporary folder.
pub(crate) fn scratch_dir() -> io::Result<PathBuf> {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let shm = std::path::Path::new("/dev/shm");
    let base = if cfg!(target_os = "linux") && shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "echo-load-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
