//! The `echo-load` command line: the flags ([`flags`]), what they gave and the command
//! made of it ([`given`]), the parse ([`parse`]), the help ([`usage`]), and here, running
//! the command and exiting with its status.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use echo_load::Output;

mod flags;
mod given;
mod maelstrom;
mod parse;
mod usage;

#[cfg(test)]
mod tests;

use given::Command;

/// Runs the command the process's arguments ask for: its exit status.
pub fn main() -> ExitCode {
    // echo-load's only children are the nodes: what they start and leave behind is
    // adopted, and ended at the end of each run (Linux).
    echo_load::adopt_orphans();
    echo_load::survive_file_size_limit();
    let command = match parse::parse(std::env::args_os().skip(1).collect()) {
        Ok((command, notes)) => {
            for note in notes {
                let _ = writeln!(io::stderr(), "echo-load: {note}");
            }
            Ok(command)
        }
        Err(e) => Err(e),
    };
    let command = match command {
        Ok(Command::Help) => {
            let _ = io::stdout().write_all(usage::usage().as_bytes());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            let _ = writeln!(io::stdout(), "echo-load {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}\nTry 'echo-load --help'.");
            return ExitCode::from(2);
        }
    };
    let mut command = command;
    if let Command::Serve(store, addr) = &command {
        return serve(store, *addr);
    }
    if let Command::Doctor(bin, args) = &command {
        return doctor(bin, args);
    }
    let store = Path::new(echo_load::store::STORE);
    let in_store = match keep_in_store(&mut command, store) {
        Ok(run) => run,
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}");
            return ExitCode::from(2);
        }
    };
    // The --out folder is this command's until its outputs are written.
    let out = match &command {
        Command::Run(config) | Command::Capacity(config, ..) => config.out.as_deref(),
        Command::Compare(configs, _) => configs.first().and_then(|c| c.out.as_deref()),
        Command::Serve(..) | Command::Doctor(..) | Command::Help | Command::Version => None,
    };
    let _lock = match out.map(echo_load::lock_out).transpose() {
        Ok(lock) => lock,
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}");
            return ExitCode::from(2);
        }
    };
    // What ran, and what its folder holds; one path from there to its summary, its
    // files and its exit status.
    let done = execute(&command);
    let mut ran =
        done.map(|done| done.map_or(ExitCode::SUCCESS, |(done, what)| finish(&*done, out, what)));
    // A kept run that `latest` cannot point at is an output not written: status 3.
    if let Some(run) = &in_store
        && let Err(e) = echo_load::store::ended(store, run)
    {
        let _ = writeln!(io::stderr(), "echo-load: {e}");
        ran = ran.map(|_| ExitCode::from(3));
    }
    ran.unwrap_or_else(|e| {
        let _ = writeln!(io::stderr(), "echo-load: {e}");
        ExitCode::from(2)
    })
}

/// `echo-load serve`: the store at `addr`, until the process is stopped.
fn serve(store: &Path, addr: std::net::SocketAddr) -> ExitCode {
    if !addr.ip().is_loopback() {
        let _ = writeln!(
            io::stderr(),
            "echo-load: serve: listening on {}, which other machines can reach: the store \
             holds every kept run's node logs",
            addr.ip()
        );
    }
    let served = echo_load::serve(store, addr, |at| {
        let _ = writeln!(
            io::stdout(),
            "echo-load: serving {} at http://{at}/ (Ctrl-C ends it)",
            store.display()
        );
        let _ = io::stdout().flush();
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: serve: {e}");
            ExitCode::from(2)
        }
    }
}

/// `echo-load doctor`: the node checked, and 0 when it is right, 1 when it is not.
fn doctor(bin: &Path, args: &[String]) -> ExitCode {
    // A name found nowhere is the doctor's to explain, as the file it is not.
    let program = given::find_program(bin).unwrap_or_else(|_| bin.to_path_buf());
    let right = echo_load::doctor(&program, args, &mut io::stdout().lock());
    ExitCode::from(match right {
        Ok(true) => 0,
        Ok(false) => 1,
        // stdout closed: nothing more can be said.
        Err(_) => 3,
    })
}

/// With no --out, the command's run is kept in `store`, as Maelstrom keeps it: the run's
/// new folder there, now the command's --out.
fn keep_in_store(command: &mut Command, store: &Path) -> std::io::Result<Option<PathBuf>> {
    let out_slot = match command {
        Command::Run(config) | Command::Capacity(config, ..) => Some(&mut config.out),
        Command::Compare(configs, _) => configs.first_mut().map(|c| &mut c.out),
        Command::Serve(..) | Command::Doctor(..) | Command::Help | Command::Version => None,
    };
    let Some(slot) = out_slot.filter(|slot| slot.is_none()) else {
        return Ok(None);
    };
    let run = echo_load::store::new_run(store)?;
    *slot = Some(run.clone());
    Ok(Some(run))
}

/// Runs `command`: what ran, and what its folder holds (`None`: nothing runs).
fn execute(command: &Command) -> Result<Option<Done>, echo_load::Error> {
    match command {
        Command::Run(config) => {
            if config.history && config.progress {
                let (requests, bytes) = config.history_size();
                let _ = writeln!(
                    io::stderr(),
                    "echo-load: --history: up to about {} MB for up to {requests} requests",
                    bytes.div_ceil(1_000_000)
                );
            }
            let what = if config.keeps_history() {
                "results, history, pictures and node logs"
            } else {
                "results, pictures and node logs"
            };
            echo_load::run(config).map(|report| Some((Box::new(report) as Box<dyn Output>, what)))
        }
        Command::Compare(configs, rounds) => {
            let progress = configs.first().is_some_and(|c| c.progress);
            echo_load::compare(configs, *rounds, progress)
                .map(|comparison| Some((Box::new(comparison) as Box<dyn Output>, SESSION_HOLDS)))
        }
        Command::Capacity(config, start, p99_max, repeats) => {
            echo_load::capacity(config, *start, *p99_max, *repeats, config.progress)
                .map(|found| Some((Box::new(found) as Box<dyn Output>, SESSION_HOLDS)))
        }
        Command::Serve(..) | Command::Doctor(..) | Command::Help | Command::Version => Ok(None),
    }
}

/// What ran, and what its folder holds, in words.
type Done = (Box<dyn Output>, &'static str);

/// What a comparison's or a capacity search's folder holds.
const SESSION_HOLDS: &str = "results, plots and runs";

/// Prints what ran's summary first (an output that cannot be written loses nothing of
/// it), then writes its folder, if it has one, and says where its outputs went (`what` in
/// the folder), or which could not be written (and the status is 3 then); else the status
/// its verdict means.
fn finish(done: &dyn Output, out: Option<&Path>, what: &str) -> ExitCode {
    let code = ExitCode::from(done.verdict().exit_status(done.interrupted()));
    let _ = io::stdout().write_all(done.summary().as_bytes());
    let _ = io::stdout().flush();
    let Some(dir) = out else {
        return code;
    };
    match echo_load::write(dir, done) {
        Ok(()) => {
            let _ = writeln!(io::stdout(), "{what} in {}", dir.display());
            code
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "echo-load: {e}");
            ExitCode::from(3)
        }
    }
}
