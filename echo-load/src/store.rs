//! The store, as Maelstrom keeps one: each run, comparison or capacity search in a
//! folder of its own, `store/echo/<timestamp>/` (UTC, to the millisecond:
//! `20261203T163400.123Z`), with `store/current` pointing at the one running and
//! `store/latest` at the newest that ended; and the list of what it holds, for the
//! front page `echo-load serve` shows.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::output::Verdict;
pub use crate::output::pages::Kept;
use crate::output::pages::Shade;

/// The store's folder, under the current folder, unless told another.
pub const STORE: &str = "store";

/// The folder of the workload's runs in the store.
const WORKLOAD: &str = "echo";

/// A new folder for a run in `store` (made, with the store, if need be), with
/// `store/current` pointing at it; if it cannot point there, no folder is left. An error
/// names the path it is about.
pub fn new_run(store: &Path) -> io::Result<PathBuf> {
    let base = store.join(WORKLOAD);
    std::fs::create_dir_all(&base).map_err(|e| about(&base, e))?;
    let stamp = timestamp(SystemTime::now());
    // Two runs in the same millisecond: the second's folder gets `-2`, and so on.
    let mut k = 1;
    let run = loop {
        let name = if k == 1 {
            stamp.clone()
        } else {
            format!("{stamp}-{k}")
        };
        let run = base.join(&name);
        match std::fs::create_dir(&run) {
            Ok(()) => break run,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && k < 1000 => k += 1,
            Err(e) => return Err(about(&run, e)),
        }
    };
    point(store, "current", &run).inspect_err(|_| {
        let _ = std::fs::remove_dir(&run);
    })?;
    Ok(run)
}

/// The run in `run` ended: `store/latest` points at it. An error names the path it is
/// about.
pub fn ended(store: &Path, run: &Path) -> io::Result<()> {
    point(store, "latest", run)
}

/// `e`, naming `path`.
fn about(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Makes `store/name` a symbolic link to `run` (relative to the store), replacing the one
/// there at once: a new link under a temporary name, renamed over it. What is there must
/// be a link, or nothing.
fn point(store: &Path, name: &str, run: &Path) -> io::Result<()> {
    let link = store.join(name);
    if std::fs::symlink_metadata(&link).is_ok_and(|m| !m.file_type().is_symlink()) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: not a link, as echo-load and Maelstrom keep it (a store copied with \
                 its links followed?): move it away, and echo-load makes the link anew",
                link.display()
            ),
        ));
    }
    let target = run.strip_prefix(store).unwrap_or(run);
    let tmp = store.join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    symlink(target, &tmp).map_err(|e| about(&tmp, e))?;
    std::fs::rename(&tmp, &link).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        about(&link, e)
    })
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::other("symbolic links are made on Unix only"))
}

/// `at` as the store names a run: `YYYYMMDDTHHMMSS.mmmZ`, in UTC.
pub fn timestamp(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Every run, comparison and capacity search kept in `store`, newest first: its folder,
/// verdict and what it was, as its `results.json` says. A folder with no readable
/// `results.json` (a run still going, or one that could not start) is shown as unknown.
pub fn list(store: &Path) -> Vec<Kept> {
    let base = store.join(WORKLOAD);
    let mut kept: Vec<Kept> = std::fs::read_dir(&base)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let results = std::fs::read(e.path().join("results.json")).ok();
            let json: Option<serde_json::Value> =
                results.and_then(|r| serde_json::from_slice(&r).ok());
            let outcome = json
                .as_ref()
                .and_then(|j| j.get("outcome"))
                .and_then(|o| o.as_str())
                .and_then(Verdict::from_word);
            let what = match &json {
                None => "no results".to_owned(),
                Some(j) if j.get("compare").is_some() => "comparison".to_owned(),
                Some(j) if j.get("capacity").is_some() => "capacity search".to_owned(),
                Some(j) => {
                    let bin = j
                        .pointer("/settings/bin")
                        .and_then(|b| b.as_str())
                        .unwrap_or("?");
                    format!("run of {bin}")
                }
            };
            Some(Kept {
                path: format!("{WORKLOAD}/{name}"),
                shade: outcome.map_or(Shade::Unknown, Verdict::shade),
                what,
            })
        })
        .collect();
    kept.sort_by(|a, b| b.path.cmp(&a.path));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_to_the_millisecond() {
        assert_eq!(timestamp(UNIX_EPOCH), "19700101T000000.000Z");
        // 2026-12-03T16:34:05.250Z
        let at = UNIX_EPOCH + Duration::from_millis(1_796_315_645_250);
        assert_eq!(timestamp(at), "20261203T163405.250Z");
        // A leap day.
        let at = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(at), "20000229T000000.000Z");
    }

    #[test]
    fn a_run_gets_a_folder_of_its_own_and_the_links_follow() {
        let store = std::env::temp_dir().join(format!("echo-load-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let a = new_run(&store).unwrap();
        let b = new_run(&store).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(store.join("echo")) && a.is_dir() && b.is_dir());
        let current = std::fs::canonicalize(store.join("current")).unwrap();
        assert_eq!(current, std::fs::canonicalize(&b).unwrap());
        ended(&store, &a).unwrap();
        let latest = std::fs::canonicalize(store.join("latest")).unwrap();
        assert_eq!(latest, std::fs::canonicalize(&a).unwrap());
        std::fs::write(
            a.join("results.json"),
            r#"{"outcome":"invalid","settings":{"bin":"x"}}"#,
        )
        .unwrap();
        let listed = list(&store);
        assert_eq!(listed.len(), 2);
        let of_a = listed.iter().find(|k| a.ends_with(&k.path)).unwrap();
        assert_eq!(of_a.shade, Shade::Invalid);
        assert_eq!(of_a.what, "run of x");
        let _ = std::fs::remove_dir_all(&store);
    }
}
