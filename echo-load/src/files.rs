//! What every output writer needs: a file written whole or not at all, every failure
//! named ([`OutputError`]), a [`Plot`] (a picture's text, or why it could not be drawn)
//! and pretty JSON.

use std::io;
use std::path::Path;

/// `value` as pretty JSON, a line.
pub(crate) fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// A plot, or why it could not be drawn.
pub(crate) type Plot = Result<String, Box<dyn std::error::Error>>;

/// Writes each file into `dir`, under a temporary name first and then renamed, so that
/// each is whole or absent. Every file is tried; the error names each that could not be
/// written, with its path.
pub(crate) fn write_outputs<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, Plot)>,
) -> Result<(), OutputError> {
    let mut failed = OutputError {
        failures: Vec::new(),
    };
    for (name, text) in files {
        let path = dir.join(name);
        let written = text
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|text| write_whole(&path, text.as_bytes()));
        if let Err(error) = written {
            failed.failures.push((path, error));
        }
    }
    if failed.failures.is_empty() {
        Ok(())
    } else {
        Err(failed)
    }
}

/// The output files that could not be written (at least one), each with why.
#[derive(Debug)]
pub struct OutputError {
    /// Each file, and why it could not be written.
    pub failures: Vec<(std::path::PathBuf, io::Error)>,
}

impl OutputError {
    /// Every failure of `results`, or `Ok` when each was.
    pub fn all(results: Vec<Result<(), OutputError>>) -> Result<(), OutputError> {
        let failures: Vec<_> = results
            .into_iter()
            .filter_map(Result::err)
            .flat_map(|e| e.failures)
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(OutputError { failures })
        }
    }

    /// `path` could not be written, for `error`.
    pub fn of(path: std::path::PathBuf, error: io::Error) -> OutputError {
        OutputError {
            failures: vec![(path, error)],
        }
    }
}

impl std::fmt::Display for OutputError {
    /// A line a file: `cannot write PATH: WHY`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (path, error)) in self.failures.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                f.write_str("echo-load: ")?;
            }
            write!(f, "cannot write {}: {error}", path.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for OutputError {}

impl Clone for OutputError {
    /// The same failures: each error of the same kind and text.
    fn clone(&self) -> Self {
        OutputError {
            failures: self
                .failures
                .iter()
                .map(|(p, e)| (p.clone(), io::Error::new(e.kind(), e.to_string())))
                .collect(),
        }
    }
}

/// Writes `bytes` to `path` whole or not at all: into `path.tmp`, then renamed over it.
fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
