//! Why a run could not take place. Everything a node does wrong is in the run's report,
//! never here.

use std::fmt;
use std::io;

/// Why a run (or a comparison, or a capacity search) could not start.
#[derive(Debug)]
pub enum Error {
    /// The configuration cannot be run: the option at fault, its value and the range it
    /// must be in.
    Config(String),
    /// The nodes need more file descriptors than the system allows.
    Descriptors {
        /// Nodes asked for.
        nodes: usize,
        /// Descriptors they need, with the driver's own.
        need: u64,
        /// The limit on open files, raised as far as the system allows.
        limit: u64,
    },
    /// The `--out` folder cannot be used (it names the folder, and why).
    Out(String),
    /// The system refused what the run needs: a node could not be started, a pipe or
    /// file could not be made.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(why) | Error::Out(why) => f.write_str(why),
            Error::Descriptors { nodes, need, limit } => write!(
                f,
                "{nodes} nodes need about {} file descriptors; the limit is {} (ulimit -n)",
                crate::words::thousands(*need),
                crate::words::thousands(*limit)
            ),
            Error::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}
